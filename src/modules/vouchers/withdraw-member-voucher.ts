import type { RequestContext } from "../../platform/auth/actor.js";
import { inScope } from "../../platform/auth/scope.js";
import { DomainError } from "../../shared/errors.js";
import { findVisibleMember } from "../members/index.js";
import { VouchersError } from "./vouchers.errors.js";
import type { UnitOfWork } from "./vouchers.ledger.js";
import type { VoucherRow } from "./vouchers.repository.js";
import { withdrawLocked } from "./withdraw-voucher.js";

/**
 * Withdraws a member's voucher (irreversible): its remaining balance returns to its source
 * (the issuer's funding account), past redemptions stay, and it pays nothing afterwards.
 * The voucher row is locked first (as redemptions and expiry do). Who may: staff who see
 * the member and whose scope contains the issuing org unit; a voucher the tenant issued
 * itself only by tenant-wide staff. Only an unexpired voucher with a balance.
 */
export async function withdrawMemberVoucher(
  uow: UnitOfWork,
  context: RequestContext,
  input: { voucherId: string; reason: string | null },
  now: Date,
): Promise<{ voucher: VoucherRow; returned: number }> {
  const { actor } = context;
  const notFound = () => new VouchersError("voucher_not_found", "Voucher not found");
  const row = await uow.trx
    .selectFrom("vouchers as v")
    .leftJoin("org_units as i", (j) =>
      j.onRef("i.tenant_id", "=", "v.tenant_id").onRef("i.id", "=", "v.issuer_id"),
    )
    .selectAll("v")
    .select("i.path as issuer_path")
    .where("v.tenant_id", "=", actor.tenantId)
    .where("v.id", "=", input.voucherId)
    .where("v.member_id", "is not", null)
    .forUpdate("v")
    .executeTakeFirst();
  if (!row || actor.type === "member") throw notFound();
  try {
    await findVisibleMember(uow.trx, actor, row.member_id!);
  } catch (e) {
    if (e instanceof DomainError) throw notFound();
    throw e;
  }
  const { issuer_path: issuerPath, ...voucher } = row;
  const allowed = voucher.issuer_id === null ? actor.orgUnitPath === null : inScope(actor, issuerPath);
  if (!allowed) {
    throw new VouchersError(
      "voucher_withdraw_forbidden",
      "Only staff whose scope contains the voucher's issuer can withdraw it",
    );
  }
  return withdrawLocked(uow, context, voucher, input.reason, now);
}
