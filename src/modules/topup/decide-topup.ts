import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { inScope } from "../../platform/auth/scope.js";
import { orgUnitPath } from "../../platform/org/org-units.js";
import { tenantZone } from "../../platform/tenants.js";
import { type Availability, closedReason, type StoreScope, storeInScope } from "../catalog/index.js";
import { type AudienceRule, audienceMatches, loadMemberFacts, loadTierCatalog } from "../members/index.js";
import { balanceAsset } from "../wallets/index.js";
import type { TopupChannel } from "./plan-terms.js";
import { TopupError, type TopupErrorCode } from "./topup.errors.js";
import type { PlanStatus } from "./topup.repository.js";

export { tenantZone };

export interface OpenCheck {
  status: PlanStatus;
  availability?: Availability | undefined;
  store_scope?: StoreScope | undefined;
  audience?: AudienceRule | undefined;
  channels: readonly TopupChannel[];
}

/**
 * Why a plan cannot be used now by this member at this store and channel, or null. The
 * order of the checks is the order of the codes: plan_not_active, channel_not_allowed,
 * plan_not_available_now (with not_started / ended / wrong_day / outside_hours),
 * store_not_in_scope, audience_mismatch.
 */
export async function whyClosed(
  trx: Tx,
  tenantId: string,
  plan: OpenCheck,
  req: { memberId: string; storeId: string | null; channel: TopupChannel },
  now: Date,
): Promise<{ code: TopupErrorCode; detail: string } | null> {
  if (plan.status !== "active") return { code: "plan_not_active", detail: `The plan is ${plan.status}` };
  if (!plan.channels.includes(req.channel))
    return { code: "channel_not_allowed", detail: `The plan is not offered on ${req.channel}` };
  if (plan.availability) {
    const reason = closedReason(plan.availability, now, await tenantZone(trx, tenantId));
    if (reason) return { code: "plan_not_available_now", detail: reason };
  }
  if (plan.store_scope && !(await storeInScope(trx, tenantId, plan.store_scope, req.storeId)))
    return { code: "store_not_in_scope", detail: "The plan does not apply at this store" };
  if (plan.audience) {
    const facts = await loadMemberFacts(trx, tenantId, req.memberId);
    if (!facts || !audienceMatches(plan.audience, facts, await loadTierCatalog(trx, tenantId)))
      return { code: "audience_mismatch", detail: "The member is not in the plan's user scope" };
  }
  return null;
}

export async function assertOpen(
  trx: Tx,
  tenantId: string,
  plan: OpenCheck,
  req: { memberId: string; storeId: string | null; channel: TopupChannel },
  now: Date,
): Promise<void> {
  const closed = await whyClosed(trx, tenantId, plan, req, now);
  if (closed) throw new TopupError(closed.code, closed.detail, { extra: { reason: closed.detail } });
}

/**
 * The store a top-up names exists in the tenant and, for staff bound to an org unit, lies in
 * their subtree: a store-bound operator cannot attribute a top-up to another store, nor use a
 * plan only that store may sell. Out of scope answers as missing.
 */
export async function assertStoreUsable(trx: Tx, actor: Actor, storeId: string | null): Promise<void> {
  if (storeId === null) return;
  const path = await orgUnitPath(trx, actor.tenantId, storeId);
  if (path === undefined || (actor.type !== "member" && !inScope(actor, path)))
    throw new TopupError("store_not_found", "Store not found");
}

/** A member token sees only shown plans: a hidden one does not exist for it (staff may use it). */
export function assertVisible(actor: Actor, visibility: "shown" | "hidden") {
  if (actor.type === "member" && visibility === "hidden")
    throw new TopupError("topup_plan_not_found", "Top-up plan not found");
}

/**
 * A plan is priced in the balance asset it was made in. That asset may change while no member
 * holds a balance, and balances are never converted: a plan still priced in the old one tops
 * up nothing, or its amounts would be credited as minor units of the new asset.
 */
export async function assertInBalanceAsset(trx: Tx, tenantId: string, currency: string, now: Date) {
  const asset = await balanceAsset(trx, tenantId, now);
  if (asset !== currency)
    throw new TopupError(
      "currency_mismatch",
      `The plan is priced in ${currency}; the member balance is now in ${asset}`,
      { extra: { plan_currency: currency, balance_asset: asset } },
    );
}
