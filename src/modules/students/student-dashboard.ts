import { sql } from "kysely";
import { DateTime } from "luxon";
import type { Tx } from "../../db/database.js";
import { tenantZone } from "../../platform/tenants.js";

export interface StudentDashboard {
  timezone: string;
  as_of: string;
  current_students: number;
  members: number;
  share_basis_points: number;
  yesterday: { date: string; new_students: number; expired_students: number };
}

/**
 * The share in basis points, rounded half up (1 of 3 → 3333, 2 of 3 → 6667); 0 without
 * members. Integers only.
 */
export function shareBasisPoints(part: number, whole: number): number {
  if (whole === 0) return 0;
  return Math.floor((part * 20_000 + whole) / (2 * whole));
}

/**
 * The student dashboard at `now`, in the tenant's zone. Current students: members (not
 * closed) with an approval whose validity has not ended — read from the approvals' end
 * times, so it is exact whether or not the expiry job has run yet. The share is of all
 * members not closed (closed members count in neither number). Yesterday is the tenant's
 * previous calendar day: new = distinct members approved in it (re-verifications
 * included); expired = distinct members whose approval ended in it by validity or
 * graduation (one replaced by a re-verification did not expire).
 */
export async function studentDashboard(trx: Tx, tenantId: string, now: Date): Promise<StudentDashboard> {
  const zone = await tenantZone(trx, tenantId);
  const today = DateTime.fromJSDate(now, { zone }).startOf("day");
  const from = today.minus({ days: 1 }).toJSDate();
  const to = today.toJSDate();
  const row = await sql<{ current: string; members: string; approved: string; expired: string }>`
    select
      (select count(distinct v.member_id) from student_verifications v
         join members m on m.tenant_id = v.tenant_id and m.id = v.member_id
        where v.tenant_id = ${tenantId} and v.status = 'approved' and v.valid_until > ${now}
          and m.status <> 'closed') as current,
      (select count(*) from members where tenant_id = ${tenantId} and status <> 'closed') as members,
      (select count(distinct member_id) from student_verifications
        where tenant_id = ${tenantId} and status in ('approved', 'expired', 'superseded')
          and reviewed_at >= ${from} and reviewed_at < ${to}) as approved,
      (select count(distinct member_id) from student_verifications
        where tenant_id = ${tenantId} and status in ('approved', 'expired')
          and valid_until >= ${from} and valid_until < ${to} and valid_until <= ${now}) as expired`.execute(
    trx,
  );
  const counts = row.rows[0] ?? { current: "0", members: "0", approved: "0", expired: "0" };
  const current = Number(counts.current);
  const members = Number(counts.members);
  return {
    timezone: zone,
    as_of: now.toISOString(),
    current_students: current,
    members,
    share_basis_points: shareBasisPoints(current, members),
    yesterday: {
      date: today.minus({ days: 1 }).toISODate() ?? "",
      new_students: Number(counts.approved),
      expired_students: Number(counts.expired),
    },
  };
}
