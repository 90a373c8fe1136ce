import { sql } from "kysely";
import type { AppDeps } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { type RequestContext, systemActor } from "../../platform/auth/actor.js";
import { forEachTenant } from "../../platform/jobs/each-tenant.js";
import { tenantZone } from "../../platform/tenants.js";
import { findVisibleMember, setStudentStatus } from "../members/index.js";
import { endOfLocalDate, localDate } from "./student-validity.js";
import { emitStudentEvent } from "./students.events.js";
import { deliverReminders, type PendingReminder } from "./students.notices.js";
import {
  holdStudentSettings,
  loadSettings,
  updateVerification,
  type VerificationRow,
} from "./students.repository.js";

/** At most this many verifications one transaction settles; the job loops until none is due. */
export const STUDENT_EXPIRY_BATCH = 200;
export const STUDENT_EXPIRY_JOB = "students.expire";

/** Tenants with an approval past its end or a reminder due. */
async function tenantsWithDueStudents(deps: Pick<AppDeps, "db">, now: Date): Promise<string[]> {
  const rows = await deps.db.systemTx((trx) =>
    sql<{ tenant_id: string }>`
      select tenant_id from student_verifications v where status = 'approved' and valid_until <= ${now}
        and ${liveTenantOnly("v.tenant_id")}
      union
      select tenant_id from student_verifications v
        where status = 'approved' and reminder_sent_at is null and remind_at <= ${now}
          and ${liveTenantOnly("v.tenant_id")}
      limit 10000`.execute(trx),
  );
  return rows.rows.map((r) => r.tenant_id);
}

/**
 * Ends an approval whose `valid_until` has come: `expired`, ended at its `valid_until` (so
 * "expired yesterday" counts the day status was lost, whenever this ran), with the bound that
 * ended it — the graduation date when it is the earlier one — audited, and `student.expired`.
 * The member's flag, tag and group are the caller's.
 */
export async function expireApproval(
  trx: Tx,
  ctx: RequestContext,
  v: VerificationRow,
  zone: string,
  now: Date,
): Promise<void> {
  const tenantId = ctx.actor.tenantId;
  const until = v.valid_until as Date;
  const reason = endOfLocalDate(v.graduation_date, zone).toJSDate() <= until ? "graduated" : "validity_ended";
  await updateVerification(trx, tenantId, v.id, { status: "expired", end_reason: reason, ended_at: until });
  await recordAudit(
    trx,
    ctx,
    {
      action: "student_verification.expired",
      targetType: "student_verification",
      targetId: v.id,
      summary: { member_id: v.member_id, end_reason: reason, ended_at: until.toISOString() },
    },
    now,
  );
  await emitStudentEvent(
    trx,
    tenantId,
    "student.expired",
    {
      verification_id: v.id,
      member_id: v.member_id,
      valid_from: (v.valid_from as Date).toISOString(),
      valid_until: until.toISOString(),
      reason,
    },
    now,
  );
}

/**
 * One batch of a tenant's clock-driven student work: approvals whose end has come become
 * `expired` (ended at their `valid_until`, so "expired yesterday" counts the day status was
 * lost, whenever the job ran) and the member stops being a student (flag, tag, group) unless
 * the member is closed; reminders due are marked sent and returned for delivery after commit
 * (none for a closed member). SKIP LOCKED lets two runners split the work.
 */
export async function settleDueStudents(
  trx: Tx,
  tenantId: string,
  now: Date,
): Promise<{ settled: number; reminders: PendingReminder[] }> {
  const ctx = { actor: systemActor(tenantId, STUDENT_EXPIRY_JOB), requestId: null };
  await holdStudentSettings(trx, tenantId, "apply");
  const settings = await loadSettings(trx, tenantId);
  const labels = { tag: settings.tag_code, group: settings.group_code };
  // The member's row is locked with its approval, and both are passed over while a review
  // holds either: a review locks the member and then the approval it replaces, so taking the
  // approval and then waiting on the member would deadlock with it. A passed-over approval is
  // ended by the review itself (or by the next run).
  const ended = await trx
    .selectFrom("student_verifications as v")
    .innerJoin("members as m", (j) =>
      j.onRef("m.tenant_id", "=", "v.tenant_id").onRef("m.id", "=", "v.member_id"),
    )
    .selectAll("v")
    .select("m.status as member_status")
    .where("v.tenant_id", "=", tenantId)
    .where("v.status", "=", "approved")
    .where("v.valid_until", "<=", now)
    .orderBy("v.valid_until")
    .limit(STUDENT_EXPIRY_BATCH)
    .forUpdate(["v", "m"])
    .skipLocked()
    .execute();
  const zone = await tenantZone(trx, tenantId);
  for (const { member_status, ...v } of ended) {
    await expireApproval(trx, ctx, v, zone, now);
    // A closed member is final (a PATCH of it is refused, a label move passes it over): it
    // keeps the flag and labels it was closed with; only its approval stops being due.
    if (member_status === "closed") continue;
    await setStudentStatus(trx, ctx, v.member_id, { student: false, labels }, now);
  }
  const due = await trx
    .selectFrom("student_verifications")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "approved")
    .where("reminder_sent_at", "is", null)
    .where("remind_at", "<=", now)
    // One whose end has come (passed over above while a review held its member, or beyond
    // this batch) is ending, not about to: telling the member it ends on a day gone by is wrong.
    .where("valid_until", ">", now)
    .limit(STUDENT_EXPIRY_BATCH)
    .forUpdate()
    .skipLocked()
    .execute();
  const reminders: PendingReminder[] = [];
  for (const v of due) {
    await updateVerification(trx, tenantId, v.id, { reminder_sent_at: now });
    const member = await findVisibleMember(trx, ctx.actor, v.member_id);
    if (member.status === "closed") continue;
    reminders.push({
      tenantId,
      memberId: member.id,
      email: member.email,
      phone: member.phone,
      vars: {
        name: member.name,
        school: v.school,
        // The last local day of student status.
        until_date: localDate(new Date((v.valid_until as Date).getTime() - 1), zone),
      },
    });
  }
  return { settled: ended.length + due.length, reminders };
}

/** Runs the student work due at the clock's now in every tenant (or one); tests call it after moving the clock. */
export async function runStudentExpiry(
  deps: Pick<AppDeps, "db" | "clock" | "notifier">,
  tenantId?: string,
  now = deps.clock.now(),
): Promise<number> {
  const tenant = async (id: string) => {
    let total = 0;
    for (;;) {
      const { settled, reminders } = await deps.db.tenantTx(id, (trx) => settleDueStudents(trx, id, now));
      await deliverReminders(deps.notifier, reminders, now);
      total += settled;
      if (settled === 0) return total;
    }
  };
  if (tenantId) return tenant(tenantId);
  const done = await forEachTenant(STUDENT_EXPIRY_JOB, await tenantsWithDueStudents(deps, now), tenant);
  return done.reduce((sum, n) => sum + n, 0);
}
