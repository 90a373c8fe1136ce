import type { Database } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import {
  assertOnlineCurrency,
  createProviderPayment,
  type PaymentOrigin,
  type ProviderResolver,
  payWithBalance,
} from "../wallets/index.js";
import { CashierError } from "./cashier.errors.js";
import { type OrderRow, type PaidBy, updateOrder } from "./cashier.repository.js";
import { assertPayable, lockPayableOrder, onlineDeadline, visibleOrder } from "./order-access.js";
import { attemptSucceeded } from "./settle-attempt.js";

/** A payment the provider has created, not yet recorded (asked before the unit of work). */
export interface OnlinePart {
  provider: string;
  providerRef: string;
  checkout: Record<string, unknown>;
  expiresAt: Date;
}

export interface PayInput {
  orderId: string;
  paymentId: string;
  balanceAmount: number;
  /** The rest of the order at the provider; null when the balance pays it all. */
  online: OnlinePart | null;
}

/** Past the provider's deadline the hold still waits this long, so the provider's "too late" comes first. */
const HOLD_MARGIN_SECONDS = 5 * 60;

/**
 * Decides the split and, for a rest paid online, creates the provider's payment — outside any
 * unit of work (no lock is held while the provider answers). The order is checked here
 * without a lock and again, locked, by `payCashierOrder`.
 */
export async function preparePayment(
  db: Database,
  ctx: RequestContext,
  providers: ProviderResolver,
  input: { orderId: string; balanceAmount?: number } & PaymentOrigin,
  now: Date,
): Promise<PayInput> {
  const tenantId = ctx.actor.tenantId;
  const { order, provider } = await db.tenantTx(tenantId, async (trx) => {
    const order = await visibleOrder(trx, ctx.actor, input.orderId);
    assertPayable(order, now, { waitingOk: true });
    const balanceAmount = input.balanceAmount ?? order.total;
    return { order, provider: balanceAmount < order.total ? await providers(trx, tenantId) : null };
  });
  const balanceAmount = input.balanceAmount ?? order.total;
  if (balanceAmount > order.total) {
    throw new CashierError(
      "amount_mismatch",
      `balance_amount ${balanceAmount} is more than the total ${order.total}`,
    );
  }
  const paymentId = newId("csp");
  if (!provider) return { orderId: order.id, paymentId, balanceAmount, online: null };
  assertOnlineCurrency(provider, order.currency);
  const expiresAt = onlineDeadline(order, now);
  const created = await createProviderPayment(
    provider,
    {
      tenantId,
      intentId: paymentId,
      amount: order.total - balanceAmount,
      currency: order.currency,
      description: `Order ${order.merchant_order_ref}`,
      expiresAt,
    },
    input,
    "cashier-payment-webhooks",
  );
  return {
    orderId: order.id,
    paymentId,
    balanceAmount,
    online: {
      provider: provider.name,
      providerRef: created.providerRef,
      checkout: created.checkout,
      expiresAt,
    },
  };
}

/**
 * The member pays their order from the balance (the wallets' balance payment, with the
 * order's items as its lines): wholly, and the order is paid at once; or partly, the balance
 * part held until the provider confirms the rest (confirm-cashier-payment.ts), released if it
 * fails or lapses (follow-hold.ts). A short balance is refused with the seed's words
 * (insufficient_balance) and nothing is written.
 */
export async function payCashierOrder(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: PayInput,
  now: Date,
): Promise<OrderRow> {
  const order = await lockPayableOrder(uow, ctx, input.orderId, now);
  const kind: PaidBy = input.online ? "balance_and_online" : "balance";
  const timeoutSeconds = input.online
    ? Math.ceil((input.online.expiresAt.getTime() - now.getTime()) / 1000) + HOLD_MARGIN_SECONDS
    : undefined;
  const wallet = await payWithBalance(
    uow,
    ctx,
    {
      memberId: order.member_id,
      orderId: input.paymentId,
      currency: order.currency,
      lines: order.items.map((i) => ({ name: i.name, quantity: i.quantity, unit_amount: i.unit_amount })),
      amountDue: order.total,
      balanceAmount: input.balanceAmount,
      externalMethod: input.online ? "online" : "none",
      ...(timeoutSeconds ? { timeoutSeconds } : {}),
    },
    now,
  );
  const payment = await uow.trx
    .insertInto("cashier_payments")
    .values({
      tenant_id: uow.tenantId,
      id: input.paymentId,
      order_id: order.id,
      kind,
      status: "pending",
      currency: order.currency,
      balance_amount: input.balanceAmount,
      online_amount: order.total - input.balanceAmount,
      provider: input.online?.provider ?? null,
      provider_ref: input.online?.providerRef ?? null,
      checkout: input.online ? JSON.stringify(input.online.checkout) : null,
      expires_at: input.online?.expiresAt ?? null,
      wallet_payment_id: wallet.id,
      topup_id: null,
      created_by: ctx.actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (!input.online) return attemptSucceeded(uow, ctx, order, payment, wallet.id, now);
  return updateOrder(uow.trx, uow.tenantId, order.id, { status: "pending_payment" }, now);
}
