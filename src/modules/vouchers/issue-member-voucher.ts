import type { RequestContext } from "../../platform/auth/actor.js";
import { findVisibleMember, lockUsableMember } from "../members/index.js";
import { type OpenVoucherInput, openVoucher } from "./open-voucher.js";
import type { ProductScope } from "./voucher-rules.js";
import { VouchersError } from "./vouchers.errors.js";
import type { UnitOfWork } from "./vouchers.ledger.js";
import type { VoucherRow } from "./vouchers.repository.js";

/** Funding owner of member vouchers the tenant issues itself (no issuing org unit). */
export const TENANT_FUNDING_OWNER = "tenant";

export interface MemberVoucherInput {
  memberId: string;
  /** The issuing org unit, or null: the tenant itself (funded by `vfund_tenant_<asset>`). */
  issuerId: string | null;
  amount: number;
  asset: string;
  scope: ProductScope;
  minBillAmount: number;
  startsAt: Date;
  expiresAt: Date;
}

/**
 * Gives a member a voucher (purpose `member_voucher`), funded from its issuer's funding
 * account, in the caller's unit of work. The member must be one the actor may see
 * (member_not_found) and not closed (member_closed). The member then spends it by id
 * (redeemVoucher) at checkout.
 */
export async function issueMemberVoucher(
  uow: UnitOfWork,
  context: RequestContext,
  input: MemberVoucherInput,
  now: Date,
): Promise<VoucherRow> {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new VouchersError("invalid_amount", "A voucher's amount is a positive integer in minor units");
  }
  if (!Number.isSafeInteger(input.minBillAmount) || input.minBillAmount < 0) {
    throw new VouchersError("invalid_amount", "The minimum bill amount is a non-negative integer");
  }
  if (input.startsAt.getTime() >= input.expiresAt.getTime()) {
    throw new VouchersError("invalid_validity", "The voucher must start before it expires");
  }
  // An org unit's voucher keeps its holder under the unit (holder-moves.ts): the member's row is
  // locked, as a move locks it, so a move cannot commit between its check and this voucher.
  const member = input.issuerId
    ? await lockUsableMember(uow.trx, context.actor, input.memberId, { allowFrozen: true, allowClosed: true })
    : await findVisibleMember(uow.trx, context.actor, input.memberId);
  if (member.status === "closed") throw new VouchersError("member_closed", "The member is closed");
  const open: OpenVoucherInput = {
    holderId: member.id,
    holderKind: "member",
    issuerId: input.issuerId,
    purpose: "member_voucher",
    amount: input.amount,
    asset: input.asset,
    scope: input.scope,
    minBillAmount: input.minBillAmount,
    startsAt: input.startsAt,
    expiresAt: input.expiresAt,
    source: { fundingOwnerId: input.issuerId ?? TENANT_FUNDING_OWNER },
    insufficient: () => new VouchersError("quota_exceeded", "The funding account cannot cover this voucher"),
  };
  return openVoucher(uow, context, open, now);
}
