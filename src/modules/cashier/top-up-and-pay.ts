import type { Database } from "../../db/database.js";
import type { Ledger, UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { assertOrderPaymentWithinCap, assertWithinCap, smartOffer, startSmartTopup } from "../topup/index.js";
import {
  assertBalancePaymentEnabled,
  assertOnlineCurrency,
  assertRoomForTaggedTopup,
  createProviderPayment,
  type PaymentOrigin,
  type ProviderResolver,
} from "../wallets/index.js";
import { CashierError } from "./cashier.errors.js";
import { type OrderRow, updateOrder } from "./cashier.repository.js";
import { assertPayable, lockPayableOrder, onlineDeadline, visibleOrder } from "./order-access.js";
import type { OnlinePart } from "./pay-cashier-order.js";

export interface TopupAndPayInput {
  orderId: string;
  paymentId: string;
  planId: string;
  tierIndex: number;
  /** The tier's top-up, as the provider was asked to collect it. */
  amount: number;
  online: OnlinePart;
}

/**
 * The member accepts a smart top-up tier for their order: the offer is decided (no lock) as
 * `GET /v1/smart-topup/offers?cashier_order_id` shows it — counting only the balance the
 * order's payment may use — and the tier's top-up is created at the provider, outside any
 * unit of work.
 */
export async function prepareTopupAndPay(
  db: Database,
  ledger: Ledger,
  ctx: RequestContext,
  providers: ProviderResolver,
  input: { orderId: string; planId: string; tierIndex: number } & PaymentOrigin,
  now: Date,
): Promise<TopupAndPayInput> {
  const tenantId = ctx.actor.tenantId;
  const { order, offer, provider } = await db.tenantTx(tenantId, async (trx) => {
    const order = await visibleOrder(trx, ctx.actor, input.orderId);
    assertPayable(order, now, { waitingOk: true });
    const offer = await smartOffer(
      trx,
      ctx.actor,
      {
        memberId: order.member_id,
        storeId: null,
        channel: "online",
        orderAmount: order.total,
        planId: input.planId,
        balancePayment: { currency: order.currency, ledger: ledger.within(trx, tenantId), lines: [] },
      },
      now,
    );
    const tier = offer.plan ? offer.tiers[input.tierIndex] : undefined;
    if (tier?.offered) {
      await assertWithinCap(
        trx,
        tenantId,
        { amount: tier.amount, bonus: tier.bonus_amount, field: "/body/tier_index" },
        now,
      );
      await assertBalancePaymentEnabled(trx, tenantId, now);
      await assertOrderPaymentWithinCap(trx, tenantId, order.total, now);
      await assertRoomForTaggedTopup(trx, tenantId, order.member_id);
    }
    return { order, offer, provider: await providers(trx, tenantId) };
  });
  // Refused here only to spare the provider a payment; startSmartTopup decides again, locked.
  if (!offer.plan) {
    throw new CashierError("no_smart_offer", `No smart top-up offer: ${offer.reason}`, {
      extra: { reason: offer.reason },
    });
  }
  const tier = offer.tiers[input.tierIndex];
  if (!tier?.offered) {
    throw new CashierError(
      "tier_not_offered",
      `Tier ${input.tierIndex} is not offered: ${tier?.reason ?? "no such tier"}`,
      {
        extra: { reason: tier?.reason ?? "no_such_tier" },
      },
    );
  }
  assertOnlineCurrency(provider, order.currency);
  const paymentId = newId("csp");
  const expiresAt = onlineDeadline(order, now);
  const created = await createProviderPayment(
    provider,
    {
      tenantId,
      intentId: paymentId,
      amount: tier.amount,
      currency: order.currency,
      description: `Top-up for order ${order.merchant_order_ref}`,
      expiresAt,
    },
    input,
    "cashier-payment-webhooks",
  );
  return {
    orderId: order.id,
    paymentId,
    planId: input.planId,
    tierIndex: input.tierIndex,
    amount: tier.amount,
    online: {
      provider: provider.name,
      providerRef: created.providerRef,
      checkout: created.checkout,
      expiresAt,
    },
  };
}

/**
 * Records the accepted tier: the smart top-up `pending_payment` (topup module) and the
 * order waiting for it. The provider's confirmation credits the top-up and pays the order
 * from the balance in one unit of work (confirm-cashier-payment.ts).
 */
export async function topUpAndPay(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: TopupAndPayInput,
  now: Date,
): Promise<OrderRow> {
  const order = await lockPayableOrder(uow, ctx, input.orderId, now);
  const topup = await startSmartTopup(
    uow,
    ctx,
    {
      memberId: order.member_id,
      planId: input.planId,
      tierIndex: input.tierIndex,
      orderAmount: order.total,
      orderId: input.paymentId,
      amount: input.amount,
    },
    now,
  );
  await uow.trx
    .insertInto("cashier_payments")
    .values({
      tenant_id: uow.tenantId,
      id: input.paymentId,
      order_id: order.id,
      kind: "smart_topup",
      status: "pending",
      currency: order.currency,
      balance_amount: order.total,
      online_amount: input.amount,
      provider: input.online.provider,
      provider_ref: input.online.providerRef,
      checkout: JSON.stringify(input.online.checkout),
      expires_at: input.online.expiresAt,
      wallet_payment_id: null,
      topup_id: topup.id,
      created_by: ctx.actor.id,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return updateOrder(uow.trx, uow.tenantId, order.id, { status: "pending_payment" }, now);
}
