import type { Database } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { lockUsableMember } from "../members/index.js";
import { lotLimitReached, MAX_SPENDABLE_LOTS } from "./lots.repository.js";
import { createProviderPayment, type PaymentOrigin } from "./payment-providers.js";
import { assertOnlineCurrency, type ProviderResolver } from "./provider-registry.js";
import { WalletsError } from "./wallets.errors.js";
import { assertWithinCap, type IntentRow, loadSettings } from "./wallets.repository.js";

/** Every intent's id starts so (the list across sources pages by what follows it). */
export const TOPUP_INTENT_ID_PREFIX = "wtopi";

/** A top-up the provider has accepted, not yet recorded. */
export interface PreparedIntent {
  id: string;
  memberId: string;
  asset: string;
  amount: number;
  provider: string;
  providerRef: string;
  checkout: Record<string, unknown>;
  expiresAt: Date;
}

/**
 * Checks the member and the settings and creates the payment at the provider, outside any
 * unit of work (no lock is held while the provider answers). A member token is refused
 * while the balance is hidden in the member center, and a member whose lots leave no room
 * for a credit (`too_many_open_lots`, the rule the confirmation applies) is refused too.
 * The provider is the tenant's (the test one, or its own Alipay, WeChat Pay or Stripe);
 * `origin` is the address the request came in by, for the payment's notify URL.
 */
export async function prepareTopupIntent(
  db: Database,
  ctx: RequestContext,
  providers: ProviderResolver,
  input: { memberId: string; amount: number } & PaymentOrigin,
  now: Date,
): Promise<PreparedIntent> {
  const tenantId = ctx.actor.tenantId;
  const { settings, lotsFull } = await db.tenantTx(tenantId, async (trx) => {
    const s = await loadSettings(trx, tenantId, now);
    await lockUsableMember(trx, ctx.actor, input.memberId, { lock: false });
    return { settings: s, lotsFull: await lotLimitReached(trx, tenantId, input.memberId, 0) };
  });
  if (!settings.online_topup_enabled)
    throw new WalletsError("online_topup_disabled", "Online top-up is turned off");
  if (ctx.actor.type === "member" && settings.hide_balance_in_member_center) {
    throw new WalletsError(
      "balance_hidden",
      "The balance is hidden in the member center; online top-up is not offered",
    );
  }
  assertWithinCap(settings, input.amount);
  // Its confirmation could not be credited (it would be kept for a refund): refused before
  // the member is asked to pay.
  if (lotsFull) {
    throw new WalletsError(
      "too_many_open_lots",
      `The member holds more than ${MAX_SPENDABLE_LOTS} top-up lots with money left; spend some before topping up online`,
      { extra: { limit: MAX_SPENDABLE_LOTS } },
    );
  }
  const provider = await db.tenantTx(tenantId, (trx) => providers(trx, tenantId, settings.payment_provider));
  assertOnlineCurrency(provider, settings.asset);
  const id = newId(TOPUP_INTENT_ID_PREFIX);
  const expiresAt = new Date(now.getTime() + settings.topup_intent_ttl_seconds * 1000);
  const created = await createProviderPayment(
    provider,
    {
      tenantId,
      intentId: id,
      amount: input.amount,
      currency: settings.asset,
      description: `Balance top-up ${id}`,
      expiresAt,
    },
    input,
    "payment-webhooks",
  );
  return {
    id,
    memberId: input.memberId,
    asset: settings.asset,
    amount: input.amount,
    provider: provider.name,
    providerRef: created.providerRef,
    checkout: created.checkout,
    expiresAt,
  };
}

/** Records the intent (pending until the provider's signed confirmation). */
export async function createTopupIntent(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: PreparedIntent,
  now: Date,
): Promise<IntentRow> {
  const row = await uow.trx
    .insertInto("wallet_topup_intents")
    .values({
      tenant_id: uow.tenantId,
      id: input.id,
      member_id: input.memberId,
      asset: input.asset,
      amount: input.amount,
      provider: input.provider,
      provider_ref: input.providerRef,
      status: "pending",
      checkout: JSON.stringify(input.checkout),
      expires_at: input.expiresAt,
      completed_at: null,
      refund_record: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow.trx,
    ctx,
    {
      action: "wallet.topup_intent_created",
      targetType: "topup_intent",
      targetId: input.id,
      summary: { amount: input.amount },
    },
    now,
  );
  return row;
}
