import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { lockTree } from "../../platform/org/org-units.js";
import { VouchersError } from "./vouchers.errors.js";

/**
 * What makes a voucher `v` (joined to its ledger account `a`) live: active and holding value,
 * posted or held. Spent, expired or withdrawn vouchers hold nothing back.
 */
const LIVE = sql`v.state = 'active' and (a.credits_posted - a.debits_posted > 0 or a.debits_pending > 0)`;

/**
 * A live voucher (active, holding value) stays with a holder inside its issuer's subtree: a
 * move that takes the holder out is refused. Staff reach a voucher through its holder, so under
 * another unit that unit's staff would spend the issuer's discount on their own bills, while the
 * issuer, who alone may withdraw it, could no longer find it. Checked on the moved subtree as it
 * now lies (an org unit move guard), for customers and for members of the moved units alike;
 * spent, expired or withdrawn vouchers hold nothing back.
 */
export async function assertHoldersStayUnderIssuers(
  trx: Tx,
  tenantId: string,
  movedPath: string,
): Promise<void> {
  // A member's voucher moves with the member's org unit, as a customer's with the customer.
  const stranded = await sql<{ id: string; holder_id: string; issuer_id: string }>`
    select v.id, coalesce(v.customer_id, v.member_id) as holder_id, v.issuer_id
    from vouchers v
    left join members m on m.tenant_id = v.tenant_id and m.id = v.member_id
    join org_units c on c.tenant_id = v.tenant_id and c.id = coalesce(v.customer_id, m.org_unit_id)
    join org_units i on i.tenant_id = v.tenant_id and i.id = v.issuer_id
    join ledger_accounts a on a.tenant_id = v.tenant_id and a.id = v.account_id
    where v.tenant_id = ${tenantId}
      and starts_with(c.path, ${movedPath})
      and not starts_with(c.path, i.path)
      and ${LIVE}
    order by v.id
    limit 1`.execute(trx);
  const voucher = stranded.rows[0];
  if (voucher) {
    throw new VouchersError(
      "org_unit_in_use",
      `${voucher.holder_id} holds voucher ${voucher.id}, issued by ${voucher.issuer_id}, whose subtree it would leave: let the voucher be used, expire or be withdrawn first`,
    );
  }
}

/**
 * The same rule for a member changing org unit (a member move guard): a member holding a live
 * voucher an org unit issued stays in that unit's subtree. Tills reach a member's vouchers
 * through the member, so under another unit its staff could spend the issuer's voucher, while
 * the issuer, who alone may withdraw it and must see the member to do so, no longer could.
 * A voucher the tenant issued itself (no issuer) goes anywhere the member goes.
 */
export async function assertMemberStaysUnderIssuers(
  trx: Tx,
  tenantId: string,
  memberId: string,
  toPath: string | null,
): Promise<void> {
  const stranded = await sql<{ id: string; issuer_id: string }>`
    select v.id, v.issuer_id
    from vouchers v
    join org_units i on i.tenant_id = v.tenant_id and i.id = v.issuer_id
    join ledger_accounts a on a.tenant_id = v.tenant_id and a.id = v.account_id
    where v.tenant_id = ${tenantId}
      and v.member_id = ${memberId}
      and (${toPath}::text is null or not starts_with(${toPath}::text, i.path))
      and ${LIVE}
    order by v.id
    limit 1`.execute(trx);
  const voucher = stranded.rows[0];
  if (voucher) {
    throw new VouchersError(
      "member_voucher_outstanding",
      `The member holds voucher ${voucher.id}, issued by ${voucher.issuer_id}, whose subtree the new org unit lies outside: let the voucher be used, expire or be withdrawn first`,
      { extra: { voucher_id: voucher.id, issuer_id: voucher.issuer_id } },
    );
  }
}

/**
 * The vouchers among `voucherIds` whose holder now lies outside its issuer's subtree (a
 * member without an org unit included). A voucher spent to zero holds nothing back, so its
 * holder may have moved away since; a refund refilling it there would make it live where the
 * moves above refuse to take one: that unit's staff could spend the issuer's value and the
 * issuer could not reach it to withdraw. Refunds treat such a voucher as dead. Locks the org
 * tree and the members shared, as moves lock them exclusively, so no move commits between
 * this answer and the refund.
 */
export async function holdersOutsideIssuers(
  trx: Tx,
  tenantId: string,
  vouchers: readonly { id: string; issuer_id: string | null }[],
): Promise<Set<string>> {
  // The tenant's own vouchers go wherever their holders go: nothing to lock or read for them.
  const ids = vouchers.filter((v) => v.issuer_id !== null).map((v) => v.id);
  if (ids.length === 0) return new Set();
  await lockTree(trx, tenantId, "shared");
  await sql`
    select m.id from members m
    join vouchers v on v.tenant_id = m.tenant_id and v.member_id = m.id
    where v.tenant_id = ${tenantId} and v.id = any(${ids}::text[])
    order by m.id
    for share of m`.execute(trx);
  const outside = await sql<{ id: string }>`
    select v.id
    from vouchers v
    join org_units i on i.tenant_id = v.tenant_id and i.id = v.issuer_id
    left join members m on m.tenant_id = v.tenant_id and m.id = v.member_id
    left join org_units c on c.tenant_id = v.tenant_id and c.id = coalesce(v.customer_id, m.org_unit_id)
    where v.tenant_id = ${tenantId}
      and v.id = any(${ids}::text[])
      and (c.path is null or not starts_with(c.path, i.path))`.execute(trx);
  return new Set(outside.rows.map((r) => r.id));
}
