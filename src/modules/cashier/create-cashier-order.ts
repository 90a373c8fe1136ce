import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { createMemberCenterLink } from "../membercenter/index.js";
import { balanceAsset } from "../wallets/index.js";
import { CashierError } from "./cashier.errors.js";
import { findOrderByRef, type OrderItem, type OrderRow } from "./cashier.repository.js";
import { DEFAULT_EXPIRY_MINUTES } from "./cashier.schemas.js";

export interface CreateOrderInput {
  memberId: string;
  items: OrderItem[];
  total: number;
  currency?: string;
  merchantOrderRef: string;
  returnUrl?: string;
  expiresInMinutes?: number;
}

/**
 * A merchant's order handed over to the member center's cashier, with a one-time link that
 * opens it for its member. The total must be what the items add up to, in the balance asset
 * (the only currency the balance pays). One cashier order per merchant reference; the
 * route's Idempotency-Key replays a retry with the same link.
 */
export async function createCashierOrder(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: CreateOrderInput,
  now: Date,
  /** Real time, even in a sandbox: the lifetime of the member's link (see createMemberCenterLink). */
  realTime: Date,
): Promise<{ order: OrderRow; link: { path: string; expiresAt: Date } }> {
  const { trx, tenantId } = uow;
  const sum = input.items.reduce((s, i) => s + i.quantity * i.unit_amount, 0);
  if (sum !== input.total) {
    throw new CashierError("amount_mismatch", `The items add up to ${sum}, not to the total ${input.total}`);
  }
  const asset = await balanceAsset(trx, tenantId, now);
  if (input.currency !== undefined && input.currency !== asset) {
    throw new CashierError(
      "currency_mismatch",
      `The order is in ${input.currency}; the member balance is in ${asset}, the only currency the cashier takes`,
    );
  }
  if (await findOrderByRef(trx, tenantId, input.merchantOrderRef)) {
    throw new CashierError(
      "cashier_order_exists",
      `A cashier order for ${input.merchantOrderRef} exists already`,
    );
  }
  const id = newId("cso");
  // The link checks the member (visible to the caller, not closed) before anything is written.
  const link = await createMemberCenterLink(
    trx,
    ctx,
    { memberId: input.memberId, page: "cashier", query: { order: id } },
    now,
    realTime,
  );
  const minutes = input.expiresInMinutes ?? DEFAULT_EXPIRY_MINUTES;
  const order = await trx
    .insertInto("cashier_orders")
    .values({
      tenant_id: tenantId,
      id,
      member_id: input.memberId,
      merchant_order_ref: input.merchantOrderRef,
      currency: asset,
      items: JSON.stringify(input.items),
      total: input.total,
      status: "open",
      return_url: input.returnUrl ?? null,
      expires_at: new Date(now.getTime() + minutes * 60_000),
      paid_by: null,
      paid_at: null,
      cancelled_at: null,
      created_by: ctx.actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch((error: { code?: string }) => {
      // Another request took this reference between our check and the insert.
      if (error.code === "23505")
        throw new CashierError(
          "cashier_order_exists",
          `A cashier order for ${input.merchantOrderRef} exists already`,
        );
      throw error;
    });
  await recordAudit(
    uow,
    ctx,
    {
      action: "cashier_order.created",
      targetType: "cashier_order",
      targetId: id,
      summary: { member_id: input.memberId, merchant_order_ref: input.merchantOrderRef, total: input.total },
    },
    now,
  );
  return { order, link: { path: link.path, expiresAt: link.expiresAt } };
}
