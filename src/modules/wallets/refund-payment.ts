import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { balancePaymentOwner, balancePaymentRefunded } from "../../platform/payment-outcomes.js";
import { newId } from "../../shared/ids.js";
import { divideRounded } from "../../shared/money.js";
import { lockMemberTakingRefund } from "../members/index.js";
import { type ChangeReason, reasonText } from "./change-reasons.js";
import { lotMoves, refundedSoFar, refundLegsOf } from "./refund-legs.js";
import { planRefund } from "./spend-plan.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import { logChange, memberBalance, openSystem, type UnitOfWork } from "./wallets.ledger.js";
import { findPayment, type PaymentRow, type RefundRow } from "./wallets.repository.js";

/**
 * The bonus share of a cumulative refund of `refundedTotal` out of a payment that took
 * `principalPaid` + `bonusPaid`: bonus × refundedTotal / paid, rounded down, so rounding
 * favours principal (real money) and the shares are exact once everything is refunded.
 * Computed on the cumulative total, so several partial refunds never drift.
 */
export function bonusShare(refundedTotal: number, principalPaid: number, bonusPaid: number): number {
  const paid = principalPaid + bonusPaid;
  if (paid === 0) return 0;
  return Number(divideRounded(BigInt(refundedTotal) * BigInt(bonusPaid), BigInt(paid), "down"));
}

/**
 * A refund asked of the wallets themselves (`POST /v1/wallet-payments/{id}/refunds`). A
 * payment that pays a record another module refunds as a whole (a checkout order with its
 * points, vouchers and gift cards; a package order with its period) is refused
 * (`payment_refunded_by_order`, naming the order and its refund): refunded alone, its money
 * would come back while the order stayed paid, and the order's own refund could then never
 * return the rest. That refund returns the payment too, in its own unit of work.
 */
export async function refundPaymentAlone(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { paymentId: string; amount: number; reason?: ChangeReason | null },
  now: Date,
): Promise<RefundRow> {
  const payment = await lockPayment(uow, input.paymentId);
  const owner = await balancePaymentOwner(uow.trx, uow.tenantId, {
    id: payment.id,
    orderId: payment.order_id,
  });
  if (owner) {
    throw new WalletsError(
      "payment_refunded_by_order",
      `This payment pays ${owner.module} order ${owner.orderId}, which is refunded whole: POST ${owner.refundPath}`,
      { extra: { module: owner.module, order_id: owner.orderId, refund_path: owner.refundPath } },
    );
  }
  return refundLockedPayment(uow, ctx, payment, input, now);
}

/**
 * Refunds (part of) a paid balance payment back to the accounts that paid it, in proportion;
 * several refunds may follow one another, never more in total than balance paid.
 */
export async function refundPayment(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { paymentId: string; amount: number; reason?: ChangeReason | null },
  now: Date,
): Promise<RefundRow> {
  return refundLockedPayment(uow, ctx, await lockPayment(uow, input.paymentId), input, now);
}

async function lockPayment(uow: UnitOfWork, paymentId: string): Promise<PaymentRow> {
  const payment = await findPayment(uow.trx, uow.tenantId, { id: paymentId }, { lock: true });
  if (!payment) throw new WalletsError("payment_not_found", "Payment not found");
  return payment;
}

/** The refund of a payment this unit of work has locked. */
async function refundLockedPayment(
  uow: UnitOfWork,
  ctx: RequestContext,
  payment: PaymentRow,
  input: { amount: number; reason?: ChangeReason | null },
  now: Date,
): Promise<RefundRow> {
  if (payment.status !== "paid") {
    throw new WalletsError("payment_not_refundable", `A ${payment.status} payment cannot be refunded`);
  }
  await lockMemberTakingRefund(uow.trx, uow.tenantId, payment.member_id);
  const previous = await uow.trx
    .selectFrom("wallet_refunds")
    .select([
      (eb) => eb.fn.coalesce(eb.fn.sum<string>("amount"), eb.lit(0)).as("amount"),
      (eb) => eb.fn.coalesce(eb.fn.sum<string>("bonus_amount"), eb.lit(0)).as("bonus"),
    ])
    .where("tenant_id", "=", uow.tenantId)
    .where("payment_id", "=", payment.id)
    .executeTakeFirstOrThrow();
  const refunded = Number(previous.amount);
  const refundable = payment.balance_amount - refunded;
  if (input.amount > refundable) {
    throw new WalletsError(
      "refund_exceeds_paid",
      `At most ${refundable} can still be refunded to the balance`,
      {
        extra: { refundable },
      },
    );
  }
  const plan = planRefund(
    await refundLegsOf(uow.trx, uow.tenantId, payment),
    await refundedSoFar(uow.trx, uow.tenantId, payment, previous),
    input.amount,
    bonusShare,
  );
  const bonus = plan.filter((l) => l.kind === "bonus").reduce((s, l) => s + l.amount, 0);
  const principal = input.amount - bonus;
  const sales = await openSystem(uow, "sales", payment.currency);
  const id = newId("wref");
  for (const r of await uow.transfers(
    plan.map((l, i) => ({
      id: `${id}_${i}`,
      debit_account_id: sales,
      credit_account_id: l.accountId,
      amount: l.amount,
      code: "refund",
      reference_module: "wallets",
      reference_id: payment.id,
      memo: payment.order_id,
    })),
  )) {
    expectTransfer(r);
  }
  const refund = await uow.trx
    .insertInto("wallet_refunds")
    .values({
      tenant_id: uow.tenantId,
      id,
      payment_id: payment.id,
      member_id: payment.member_id,
      amount: input.amount,
      principal_amount: principal,
      bonus_amount: bonus,
      reason: reasonText(input.reason),
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await uow.trx
    .insertInto("wallet_refund_legs")
    .values(
      plan.map((l) => ({
        tenant_id: uow.tenantId,
        refund_id: id,
        payment_id: payment.id,
        account_id: l.accountId,
        kind: l.kind,
        amount: l.amount,
      })),
    )
    .execute();
  const lots = await lotMoves(uow.trx, uow.tenantId, plan);
  const after = await memberBalance(
    uow,
    payment.member_id,
    lots.map((l) => l.lot_id),
  );
  logChange(
    uow,
    ctx.actor,
    {
      memberId: payment.member_id,
      account: "balance",
      kind: "refund",
      asset: payment.currency,
      amount: input.amount,
      principalDelta: principal,
      bonusDelta: bonus,
      balanceAfter: after.total,
      reason: input.reason,
      orderId: payment.order_id,
      paymentId: payment.id,
      lots,
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.refunded",
      targetType: "wallet_payment",
      targetId: payment.id,
      summary: {
        refund_id: id,
        amount: input.amount,
        principal_amount: principal,
        bonus_amount: bonus,
        reason: reasonText(input.reason),
      },
    },
    now,
  );
  await emitWalletEvent(
    uow,
    uow.tenantId,
    "wallet.refunded",
    {
      refund_id: id,
      payment_id: payment.id,
      order_id: payment.order_id,
      member_id: payment.member_id,
      asset: payment.currency,
      amount: input.amount,
      principal_amount: principal,
      bonus_amount: bonus,
    },
    now,
  );
  // The record the payment paid (a cashier order) says its money is back in this same unit
  // of work: refunded here and still paid there is what it must never show.
  await balancePaymentRefunded(
    uow,
    ctx,
    {
      paymentId: payment.id,
      orderId: payment.order_id,
      memberId: payment.member_id,
      refundId: id,
      amount: input.amount,
      refundedTotal: refunded + input.amount,
    },
    now,
  );
  return refund;
}
