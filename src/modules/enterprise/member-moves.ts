import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { EnterpriseError } from "./enterprise.errors.js";

/**
 * A member account is associated with the master it lies under (association checks it), and
 * the master's staff reach its allocated coupons, sharing and bills through that subtree. A move
 * that takes an associated member account out of its master's subtree is refused: under another
 * unit, that unit's staff would spend the coupons the master allocated (and draw its shared
 * packages) while the master could no longer see them to revoke. Checked on the moved subtree
 * as it now lies (an org unit move guard).
 */
export async function assertMembersStayUnderMaster(
  trx: Tx,
  tenantId: string,
  movedPath: string,
): Promise<void> {
  const stranded = await sql<{ member_id: string; enterprise_id: string }>`
    select m.member_id, m.enterprise_id
    from enterprise_members m
    join org_units u on u.tenant_id = m.tenant_id and u.id = m.member_id
    join org_units e on e.tenant_id = m.tenant_id and e.id = m.enterprise_id
    where m.tenant_id = ${tenantId}
      and starts_with(u.path, ${movedPath})
      and not starts_with(u.path, e.path)
    order by m.member_id
    limit 1`.execute(trx);
  const row = stranded.rows[0];
  if (row) {
    throw new EnterpriseError(
      "org_unit_in_use",
      `Member account ${row.member_id} is associated with enterprise ${row.enterprise_id}, whose subtree the move would take it out of`,
    );
  }
}
