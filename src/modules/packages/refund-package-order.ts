import type { Tx } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import type { RefundRecord } from "../../platform/http/record-refund.js";
import {
  lockSourceEntitlements,
  revokeEntitlements,
  revokeGifts,
  usedGiftVouchers,
} from "../catalog/index.js";
import { findVisibleMember, lockMemberIsClosed } from "../members/index.js";
import { orderPoints, refundOrderBalance } from "../wallets/index.js";
import { giftSourceRef } from "./package-config.js";
import { PackagesError } from "./packages.errors.js";
import { emitPackageEvent } from "./packages.events.js";
import { findOrder, findPeriod, type OrderRow, type PeriodRow } from "./packages.repository.js";

/** How a paid order is refunded (a refund_due one is refunded at the provider: record-order-refund.ts). */
export type RefundKind = "order" | "offline";

export interface RefundResult {
  order: OrderRow;
  withdrawnVoucherIds: string[];
  keptVoucherIds: string[];
  /** Where the money went: the balance accounts that paid, or outside (online, offline). */
  moneyReturnedTo: "balance" | "external" | "none";
  /** What this refund returned: the order's amount less what the provider had already refunded. */
  amountReturned: number;
}

/**
 * Refunds a paid package order in one unit of work. With the package's refund restriction on,
 * an **order refund** is refused (`refund_restricted`) once any voucher it gave has paid for
 * something; an **offline refund** is never restricted ("Used vouchers/voucher packages are
 * non-refundable for Order Refunds; no restrictions for Offline Refunds"). A refund ends the
 * period at once, removes its entitlements, withdraws every gifted voucher not used (used ones
 * stay), takes back the bonus points, and returns the money to the balance accounts that paid
 * (an online or offline payment is returned outside and only recorded).
 */
export async function refundPackageOrder(
  uow: UnitOfWork,
  context: RequestContext,
  input: { orderId: string; kind: RefundKind; reason: string | null },
  now: Date,
): Promise<RefundResult> {
  const tenantId = uow.tenantId;
  const order = await findOrder(uow.trx, tenantId, input.orderId, { lock: true });
  await findVisibleMember(uow.trx, context.actor, order.member_id).catch(() => {
    throw new PackagesError("package_order_not_found", "Package order not found");
  });
  if (order.status !== "paid") {
    throw new PackagesError(
      "package_order_not_refundable",
      `The order is ${order.status}; only a paid order is refunded`,
    );
  }
  await lockHolding(uow.trx, tenantId, order);
  const refs = order.snapshot.perks.filter((p) => "gift" in p).map((p) => giftSourceRef(order.id, p.key));
  if (order.snapshot.package.refund_restriction && input.kind === "order") {
    const used = await usedGiftVouchers(uow.trx, tenantId, refs);
    if (used.length > 0) {
      throw new PackagesError(
        "refund_restricted",
        "Vouchers this package gave have been used: an order refund is not allowed (an offline refund is)",
        { extra: { used_voucher_ids: used } },
      );
    }
  }
  return endRefundedOrder(uow, context, order, { kind: input.kind, reason: input.reason }, now);
}

/**
 * Locks what a paid order holds, in the module's order (the order already locked by the
 * caller): its period, then the entitlements the period gave (FOR UPDATE). Every path that
 * ends a package takes it before it decides — before the vouchers, the member and the ledger
 * accounts — so a checkout applying the package's benefit at that moment (which holds those
 * entitlements FOR SHARE from before its balance and vouchers) has either committed, and the
 * refund sees its order, or waits and prices without them.
 */
export async function lockHolding(
  trx: Tx,
  tenantId: string,
  order: OrderRow,
): Promise<PeriodRow | undefined> {
  if (!order.period_id) return undefined;
  const period = await findPeriod(trx, tenantId, order.period_id, { lock: true });
  await lockSourceEntitlements(trx, tenantId, { type: "package_period", id: order.period_id });
  return period;
}

/**
 * What every refund of a paid order (locked, checked by the caller) does: ends the period now,
 * removes its entitlements, withdraws the gifted vouchers not used, takes back the bonus
 * points (not from a member closed since: recorded as `points_not_reversed`), returns a
 * balance payment, and records the order refunded (with the provider's `record` when the
 * provider refunded it), audited and announced.
 */
export async function endRefundedOrder(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  input: { kind: "order" | "offline" | "provider"; reason: string | null; record?: RefundRecord },
  now: Date,
): Promise<RefundResult> {
  const tenantId = uow.tenantId;
  const refs = order.snapshot.perks.filter((p) => "gift" in p).map((p) => giftSourceRef(order.id, p.key));
  const reason = input.reason ?? `package order ${order.id} refunded`;
  // The provider's part refunds of the online payment are already back with the member: an
  // operator's refund after them returns only the rest (nothing once all of it is back). The
  // provider's own ending is the sum of its refunds, the whole amount.
  const providerRefunded = input.kind === "provider" ? 0 : (order.provider_refunds?.refunded_total ?? 0);
  const returned = Math.max(0, order.amount - providerRefunded);
  // Its callers locked it before deciding; taken again here (a no-op then) so no path ends a
  // package without the lock.
  const period = await lockHolding(uow.trx, tenantId, order);
  const gifts = await revokeGifts(uow, context, { sourceRefs: refs, reason }, now);
  if (period) {
    await revokeEntitlements(uow.trx, tenantId, { type: "package_period", id: period.id }, now);
    await uow.trx
      .updateTable("package_periods")
      .set({ state: "refunded", ended_at: now, deferred_gift_due: false })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", period.id)
      .execute();
  }
  // Closing is final and a closed account holds nothing usable, so its bonus points are not
  // taken back (that refuses a closed member, and with it the refund the provider's review
  // points operators to); the audit entry says so. Locked here, where taking them back would.
  const memberClosed =
    order.points_awarded > 0 && (await lockMemberIsClosed(uow.trx, context.actor, order.member_id));
  const notReversed = memberClosed
    ? { points: order.points_awarded, reason: "member_closed" as const }
    : null;
  if (order.points_awarded > 0 && !notReversed) {
    await orderPoints(
      uow,
      context,
      { memberId: order.member_id, points: order.points_awarded, orderId: order.id, reverse: true },
      now,
    );
  }
  if (order.wallet_payment_id) {
    await refundOrderBalance(
      uow,
      context,
      { paymentId: order.wallet_payment_id, amount: order.amount, reason },
      now,
    );
  }
  const refunded = await uow.trx
    .updateTable("package_orders")
    .set({
      status: "refunded",
      refund_kind: input.kind,
      refund_reason: input.reason,
      refunded_at: now,
      ...(input.record ? { refund_record: JSON.stringify(input.record) } : {}),
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await emitPackageEvent(
    uow,
    tenantId,
    "package.refunded",
    {
      order_id: order.id,
      period_id: period?.id ?? "",
      package_id: order.package_id,
      member_id: order.member_id,
      starts_at: (period?.starts_at ?? now).toISOString(),
      ends_at: now.toISOString(),
      refund_kind: input.kind,
      amount: returned,
      currency: order.currency,
      withdrawn_voucher_ids: gifts.withdrawn,
      ...(notReversed ? { points_not_reversed: notReversed } : {}),
    },
    now,
  );
  await recordAudit(
    uow,
    context,
    {
      action: "package.refunded",
      targetType: "package_order",
      targetId: order.id,
      summary: {
        kind: input.kind,
        amount: returned,
        ...(providerRefunded > 0 ? { provider_refunded: providerRefunded } : {}),
        withdrawn: gifts.withdrawn,
        kept: gifts.kept,
        ...(notReversed ? { points_not_reversed: notReversed } : {}),
      },
    },
    now,
  );
  return {
    order: refunded,
    withdrawnVoucherIds: gifts.withdrawn,
    keptVoucherIds: gifts.kept,
    moneyReturnedTo: order.wallet_payment_id ? "balance" : returned === 0 ? "none" : "external",
    amountReturned: returned,
  };
}
