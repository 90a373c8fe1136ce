import type { Database, Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { lockUsableMember } from "../members/index.js";
import type { PaymentProvider } from "./payment-providers.js";
import { assertOnlineCurrency } from "./provider-registry.js";
import { assertWithinCap, type IntentRow, loadSettings } from "./wallets.repository.js";

/**
 * Starts an online top-up: checks the member and the settings, creates the payment at the
 * provider, then records the intent (pending until the provider's signed confirmation).
 * A member token is refused while the balance is hidden in the member center.
 */
export async function createTopupIntent<R>(
  db: Database,
  ctx: RequestContext,
  providers: ReadonlyMap<string, PaymentProvider>,
  input: { memberId: string; amount: number },
  now: Date,
  /** Runs in the intent's transaction (the idempotency record goes there). */
  finish: (trx: Tx, intent: IntentRow) => Promise<R>,
): Promise<R> {
  const tenantId = ctx.actor.tenantId;
  const settings = await db.tenantTx(tenantId, async (trx) => {
    const s = await loadSettings(trx, tenantId, now);
    await lockUsableMember(trx, ctx.actor, input.memberId, { lock: false });
    return s;
  });
  if (!settings.online_topup_enabled)
    throw new DomainError("online_topup_disabled", "Online top-up is turned off");
  if (ctx.actor.type === "member" && settings.hide_balance_in_member_center) {
    throw new DomainError(
      "balance_hidden",
      "The balance is hidden in the member center; online top-up is not offered",
    );
  }
  assertWithinCap(settings, input.amount);
  const provider = providers.get(settings.payment_provider);
  if (!provider)
    throw new DomainError("payment_provider_unknown", `No payment provider ${settings.payment_provider}`);
  assertOnlineCurrency(provider, settings.asset);
  const id = newId("wtopi");
  const expiresAt = new Date(now.getTime() + settings.topup_intent_ttl_seconds * 1000);
  const created = await provider.createPayment({
    tenantId,
    intentId: id,
    amount: input.amount,
    currency: settings.asset,
    description: `Balance top-up ${id}`,
    expiresAt,
  });
  return db.tenantTx(tenantId, async (trx) => {
    const row = await trx
      .insertInto("wallet_topup_intents")
      .values({
        tenant_id: tenantId,
        id,
        member_id: input.memberId,
        asset: settings.asset,
        amount: input.amount,
        provider: provider.name,
        provider_ref: created.providerRef,
        status: "pending",
        checkout: JSON.stringify(created.checkout),
        expires_at: expiresAt,
        completed_at: null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      ctx,
      {
        action: "wallet.topup_intent_created",
        targetType: "topup_intent",
        targetId: id,
        summary: { amount: input.amount },
      },
      now,
    );
    return finish(trx, row);
  });
}
