import type { Database } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import {
  assertOnlineCurrency,
  createProviderPayment,
  type PaymentOrigin,
  type ProviderResolver,
} from "../wallets/index.js";
import { expireUnpaidTopups, TOPUP_EXPIRY_BATCH } from "./expire-unpaid-topups.js";
import { type PlanTopupRequest, preparePlanTopup } from "./prepare-plan-topup.js";
import { takePlanStock, topupValues } from "./top-up-with-plan.js";
import { emitTopupEvent } from "./topup.events.js";
import { TOPUP_ID_PREFIX, type TopupRow } from "./topup.repository.js";

/** How long a member has to pay an online top-up; an unpaid one then frees its stock and limit. */
export const ONLINE_TOPUP_TTL_SECONDS = 15 * 60;

/** An online top-up the provider has created a payment for, ready to be recorded. */
export interface OnlineTopupStart {
  req: PlanTopupRequest & { paymentMethod: "online" };
  id: string;
  provider: string;
  providerRef: string;
  checkout: unknown;
  expiresAt: Date;
  /** What the provider was asked to collect (minor units). */
  amount: number;
}

/**
 * Starts an online top-up, before any unit of work: decides it (nothing locked), then creates
 * the payment at the tenant's provider (a network call, so outside every transaction). Only a
 * real currency the provider takes can be bought online. `from` says where the request came
 * from: its address for the payment's notify URL (this flow's own route), the payment scene.
 */
export async function prepareOnlineTopup(
  db: Database,
  ctx: RequestContext,
  providers: ProviderResolver,
  req: PlanTopupRequest & { paymentMethod: "online" },
  now: Date,
  from: PaymentOrigin = {},
): Promise<OnlineTopupStart> {
  const tenantId = ctx.actor.tenantId;
  const { prepared, provider } = await db.tenantTx(tenantId, async (trx) => {
    const p = await preparePlanTopup(trx, ctx.actor, req, now, { lock: false });
    const provider = await providers(trx, tenantId);
    assertOnlineCurrency(provider, p.plan.currency);
    return { prepared: p, provider };
  });
  const id = newId(TOPUP_ID_PREFIX);
  const expiresAt = new Date(now.getTime() + ONLINE_TOPUP_TTL_SECONDS * 1000);
  const created = await createProviderPayment(
    provider,
    {
      tenantId,
      intentId: id,
      amount: prepared.figures.amount,
      currency: prepared.plan.currency,
      description: `${prepared.plan.name} top-up`,
      expiresAt,
    },
    from,
    "topup-payment-webhooks",
  );
  return {
    req,
    id,
    provider: provider.name,
    providerRef: created.providerRef,
    checkout: created.checkout,
    expiresAt,
    amount: prepared.figures.amount,
  };
}

/**
 * Records a started online top-up: deciding again with the member locked, takes a unit of
 * stock and records the top-up `pending_payment`. The provider's signed confirmation credits
 * it (confirm-topup-payment.ts); an online top-up counts toward the purchase limit while it
 * may still be paid.
 */
export async function recordOnlineTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  start: OnlineTopupStart,
  now: Date,
): Promise<TopupRow> {
  const { trx, tenantId } = uow;
  const { id } = start;
  // Decided again at the amount the provider will collect: a plan edited while the provider
  // answered must refuse the top-up rather than record one no payment notification can match.
  const req = { ...start.req, amount: start.amount };
  // Units of stock the plan's lapsed top-ups hold go back before this one takes its unit.
  while ((await expireUnpaidTopups(trx, tenantId, now, req.planId)) === TOPUP_EXPIRY_BATCH);
  const p = await preparePlanTopup(trx, ctx.actor, req, now, { lock: true });
  const stockKey = await takePlanStock(trx, tenantId, p.plan.id, now);
  const row = await trx
    .insertInto("topups")
    .values({
      ...topupValues(p, req, ctx, id, stockKey, now),
      provider: start.provider,
      provider_ref: start.providerRef,
      checkout: JSON.stringify(start.checkout),
      payment_expires_at: start.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "topup.payment_started",
      targetType: "topup",
      targetId: id,
      summary: { amount: row.amount, provider: start.provider },
    },
    now,
  );
  await emitTopupEvent(
    trx,
    tenantId,
    "topup.payment_started",
    {
      topup_id: id,
      plan_id: row.plan_id,
      member_id: row.member_id,
      amount: row.amount,
      provider: start.provider,
    },
    now,
  );
  return row;
}
