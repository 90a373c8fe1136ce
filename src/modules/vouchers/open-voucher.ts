import { expectTransfers } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import type { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { assertScope, type ProductScope } from "./voucher-rules.js";
import { VouchersError } from "./vouchers.errors.js";
import { emitVoucherEvent, holderRef } from "./vouchers.events.js";
import { openAccount, type UnitOfWork } from "./vouchers.ledger.js";
import type { Purpose, VoucherRow } from "./vouchers.repository.js";

export interface OpenVoucherInput {
  holderId: string;
  /** Who holds it: an org unit (customer, member account; the default) or a member. */
  holderKind?: "org_unit" | "member";
  /** The issuing org unit (null: the tenant itself, for a member's voucher only). */
  issuerId: string | null;
  purpose: Purpose;
  amount: number;
  asset: string;
  scope: ProductScope;
  minBillAmount: number;
  startsAt: Date;
  expiresAt: Date;
  /** Where the value comes from: another voucher's account, or the issuer's funding account. */
  source: { accountId: string } | { fundingOwnerId: string };
  /** Refusal when the source cannot cover the amount. */
  insufficient: () => DomainError;
}

/**
 * Opens one voucher of any purpose for a holder (an org unit or a member), funded from a source
 * account, in the caller's unit of work. Issuance from templates, enterprise cash coupons
 * and their allocations to member accounts all come through here or issueVouchers.
 */
export async function openVoucher(
  uow: UnitOfWork,
  context: RequestContext,
  input: OpenVoucherInput,
  now: Date,
): Promise<VoucherRow> {
  assertScope(input.scope);
  if (input.expiresAt.getTime() <= now.getTime()) {
    throw new VouchersError("invalid_validity", "The voucher would already have expired");
  }
  const sourceAccount =
    "accountId" in input.source
      ? input.source.accountId
      : await openAccount.funding(uow, input.source.fundingOwnerId, input.asset);
  const forMember = input.holderKind === "member";
  if (input.issuerId === null && !forMember) throw new Error("an org unit's voucher needs an issuer");
  const id = newId("vch");
  const accountId = await openAccount.voucher(uow, id, input.asset);
  expectTransfers(
    await uow.transfers([
      {
        id: `tr_${id}_issue`,
        debit_account_id: sourceAccount,
        credit_account_id: accountId,
        amount: input.amount,
        code: "voucher_issue",
        reference_module: "vouchers",
        reference_id: id,
      },
    ]),
    { insufficient_funds: input.insufficient },
  );
  const row = await uow.trx
    .insertInto("vouchers")
    .values({
      tenant_id: context.actor.tenantId,
      id,
      template_id: null,
      purpose: input.purpose,
      issuer_id: input.issuerId,
      customer_id: forMember ? null : input.holderId,
      member_id: forMember ? input.holderId : null,
      face_amount: input.amount,
      asset: input.asset,
      scope_kind: input.scope.kind,
      product_codes: JSON.stringify(input.scope.productCodes),
      min_bill_amount: input.minBillAmount,
      starts_at: input.startsAt,
      expires_at: input.expiresAt,
      account_id: accountId,
      source_account_id: sourceAccount,
      issued_by: `${context.actor.type}:${context.actor.id}`,
      issue_batch_id: null,
      withdrawn_at: null,
      withdrawn_by: null,
      expired_at: null,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    context,
    {
      action: "voucher.issued",
      targetType: "voucher",
      targetId: id,
      summary: {
        purpose: input.purpose,
        holder_id: input.holderId,
        amount: input.amount,
        asset: input.asset,
      },
    },
    now,
  );
  await emitVoucherEvent(
    uow,
    context.actor.tenantId,
    "voucher.issued",
    {
      voucher_id: id,
      ...holderRef({
        customer_id: forMember ? null : input.holderId,
        member_id: forMember ? input.holderId : null,
      }),
      asset: input.asset,
      template_id: null,
      purpose: input.purpose,
      amount: input.amount,
      expires_at: input.expiresAt.toISOString(),
    },
    now,
  );
  return row;
}
