import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { VouchersError } from "./vouchers.errors.js";

/**
 * A live voucher (active, holding value) stays with a holder inside its issuer's subtree: a
 * move that takes the holder out is refused. Staff reach a voucher through its holder, so under
 * another unit that unit's staff would spend the issuer's discount on their own bills, while the
 * issuer, who alone may withdraw it, could no longer find it. Checked on the moved subtree as it
 * now lies (an org unit move guard); spent, expired or withdrawn vouchers hold nothing back.
 */
export async function assertHoldersStayUnderIssuers(
  trx: Tx,
  tenantId: string,
  movedPath: string,
): Promise<void> {
  const stranded = await sql<{ id: string; customer_id: string; issuer_id: string }>`
    select v.id, v.customer_id, v.issuer_id
    from vouchers v
    join org_units c on c.tenant_id = v.tenant_id and c.id = v.customer_id
    join org_units i on i.tenant_id = v.tenant_id and i.id = v.issuer_id
    join ledger_accounts a on a.tenant_id = v.tenant_id and a.id = v.account_id
    where v.tenant_id = ${tenantId}
      and starts_with(c.path, ${movedPath})
      and not starts_with(c.path, i.path)
      and v.state = 'active'
      and (a.credits_posted - a.debits_posted > 0 or a.debits_pending > 0)
    order by v.id
    limit 1`.execute(trx);
  const voucher = stranded.rows[0];
  if (voucher) {
    throw new VouchersError(
      "org_unit_in_use",
      `${voucher.customer_id} holds voucher ${voucher.id}, issued by ${voucher.issuer_id}, whose subtree it would leave: let the voucher be used, expire or be withdrawn first`,
    );
  }
}
