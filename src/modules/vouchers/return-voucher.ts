import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { holdersOutsideIssuers } from "./holder-moves.js";
import { VouchersError } from "./vouchers.errors.js";
import { emitVoucherEvent, holderRef } from "./vouchers.events.js";
import { accountIds, type UnitOfWork } from "./vouchers.ledger.js";

export interface ReturnInput {
  redemptionId: string;
  /** The refund giving it back: one return per redemption and refund id. */
  refundId: string;
  amount: number;
}

export interface VoucherReturn {
  id: string;
  voucherId: string;
  amount: number;
  returnedTo: "voucher" | "source";
  replayed: boolean;
}

/**
 * Gives back (part of) a redemption, in the caller's unit of work (the refund's). The
 * voucher row is locked first; all returns of a redemption together never exceed it. A
 * voucher still usable at `now` gets the value back into its balance; one expired or
 * withdrawn since, or whose holder has left its issuer's subtree, gets nothing: the value goes
 * to its source account, as its remaining balance did (the same rule as bill refunds). Idempotent by redemption and refund id.
 */
export async function returnVoucher(
  uow: UnitOfWork,
  context: RequestContext,
  input: ReturnInput,
  now: Date,
): Promise<VoucherReturn> {
  const { actor } = context;
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new VouchersError("invalid_amount", "A return amount is a positive integer in minor units");
  }
  const redemption = await uow.trx
    .selectFrom("voucher_redemptions")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", input.redemptionId)
    .where("kind", "=", "redemption")
    .executeTakeFirst();
  if (!redemption) throw new VouchersError("voucher_redemption_not_found", "Redemption not found");
  const voucher = await uow.trx
    .selectFrom("vouchers")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", redemption.voucher_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (actor.type === "member" && actor.memberId !== voucher.member_id) {
    throw new VouchersError("voucher_redemption_not_found", "Redemption not found");
  }
  const returns = await uow.trx
    .selectFrom("voucher_redemptions")
    .select(["id", "amount", "reference_id", "returned_to"])
    .where("tenant_id", "=", actor.tenantId)
    .where("redemption_id", "=", redemption.id)
    .execute();
  const same = returns.find((r) => r.reference_id === input.refundId);
  if (same) {
    if (same.amount !== input.amount) {
      throw new VouchersError("refund_id_reused", "This refund id already returned another amount");
    }
    return {
      id: same.id,
      voucherId: voucher.id,
      amount: same.amount,
      returnedTo: same.returned_to!,
      replayed: true,
    };
  }
  const returnedBefore = returns.reduce((s, r) => s + r.amount, 0);
  if (returnedBefore + input.amount > redemption.amount) {
    throw new VouchersError(
      "return_exceeds_redemption",
      `Only ${redemption.amount - returnedBefore} of this redemption is left to return`,
    );
  }
  const usable =
    voucher.state === "active" &&
    now.getTime() < voucher.expires_at.getTime() &&
    !(await holdersOutsideIssuers(uow.trx, actor.tenantId, [voucher])).has(voucher.id);
  const returnedTo = usable ? "voucher" : "source";
  const id = newId("vrd");
  const transferId = `tr_${id}`;
  expectTransfer(
    await uow.transfer({
      id: transferId,
      debit_account_id: accountIds.settlement(voucher.asset),
      credit_account_id: usable ? voucher.account_id! : voucher.source_account_id!,
      amount: input.amount,
      code: "voucher_return",
      reference_module: redemption.reference_module,
      reference_id: input.refundId,
      metadata: { voucher_id: voucher.id, redemption_id: redemption.id },
    }),
  );
  await uow.trx
    .insertInto("voucher_redemptions")
    .values({
      tenant_id: actor.tenantId,
      id,
      voucher_id: voucher.id,
      kind: "return",
      redemption_id: redemption.id,
      reference_module: redemption.reference_module,
      reference_id: input.refundId,
      amount: input.amount,
      returned_to: returnedTo,
      transfer_id: transferId,
      created_at: now,
    })
    .execute();
  await recordAudit(
    uow,
    context,
    {
      action: "voucher.returned",
      targetType: "voucher",
      targetId: voucher.id,
      summary: {
        redemption_id: redemption.id,
        refund_id: input.refundId,
        amount: input.amount,
        returned_to: returnedTo,
      },
    },
    now,
  );
  await emitVoucherEvent(
    uow,
    actor.tenantId,
    "voucher.returned",
    {
      voucher_id: voucher.id,
      ...holderRef(voucher),
      asset: voucher.asset,
      redemption_id: redemption.id,
      reference_id: input.refundId,
      amount: input.amount,
      returned_to: returnedTo,
    },
    now,
  );
  return { id, voucherId: voucher.id, amount: input.amount, returnedTo, replayed: false };
}
