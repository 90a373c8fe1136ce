import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { lockUsableMember } from "../members/index.js";
import { confirmProviderPayment, isKnownProviderPayment } from "./confirm-provider-payment.js";
import { lotLimitReached } from "./lots.repository.js";
import type { WebhookOutcome } from "./payment-providers.js";
import { recordProviderRefundOfCredited, recordProviderRefundOfIntent } from "./record-topup-refund.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import {
  logChange,
  memberBalance,
  openMemberAccounts,
  openSystem,
  type UnitOfWork,
} from "./wallets.ledger.js";
import { type IntentRow, loadSettings } from "./wallets.repository.js";

export type ConfirmResult =
  | "credited"
  | "failed"
  | "expired"
  | "refund_due"
  | "refund_recorded"
  | "refund_ignored"
  | "already_settled";

/**
 * Why a paid intent could not be credited; kept in the audit and the event. `asset_changed`:
 * the tenant's balance asset is no longer the intent's, and balances are never converted.
 * `too_many_open_lots`: the member holds more lots with money left than a balance read takes
 * in, so no balance operation (this credit included) can run for them.
 */
export type UnfulfilledReason = "member_closed" | "member_frozen" | "asset_changed" | "too_many_open_lots";

/**
 * Applies a verified provider notification to its intent, exactly once: the intent row is
 * locked first, a settled intent refuses a second confirmation (`topup_intent_closed`,
 * nothing written), and the credit is one ledger transfer whose id derives from the intent.
 * A failure is not final at every provider (a Stripe PaymentIntent may be retried and then
 * succeed), and a payment may succeed after the intent's time: such a success means the
 * member paid, so it is credited then. A success, in time or late, for a member closed or
 * frozen since the intent started credits nothing (docs/member-balance.md: a frozen account,
 * like a closed one, takes no top-up, as an offline top-up or a reward to it is refused), so
 * the intent is kept `refund_due` for a refund at the provider. A refund notification never
 * credits an intent: on one kept `refund_due` it records the refund as finance would once all
 * that was collected is back (`refund_recorded`; a part refund is kept and audited, the intent
 * still owed); on a credited one it takes the refunded share back out of the balance, what the
 * member already spent kept as the shortfall (`refund_recorded`; all of it back: `refunded`);
 * on a `refunded` one it changes nothing (`refund_ignored`), and an intent not yet paid (or
 * failed, expired) refuses it (`topup_intent_closed`). With `acknowledgeSettled` (a provider that
 * resends until acknowledged) a payment notification for a settled intent answers
 * `already_settled` instead, writing nothing. The actor is the provider
 * (`payment_provider:<name>`, a system actor).
 */
export async function confirmTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { provider: string; outcome: WebhookOutcome; acknowledgeSettled?: boolean },
  now: Date,
): Promise<{ result: ConfirmResult; intent: IntentRow | null }> {
  const { provider, outcome } = input;
  if (
    outcome.kind === "refund" &&
    !(await isKnownProviderPayment(
      uow.trx,
      uow.tenantId,
      "wallet_topup_intents",
      provider,
      outcome.providerRef,
    ))
  ) {
    return { result: "refund_ignored", intent: null };
  }
  const refund = outcome.kind === "refund";
  const paid = !refund && outcome.status === "succeeded";
  const closed = (i: IntentRow) =>
    new WalletsError("topup_intent_closed", `The top-up was already ${i.status}; nothing was credited again`);
  const { row: intent, result: settled } = await confirmProviderPayment(
    uow,
    {
      table: "wallet_topup_intents",
      provider,
      outcome,
      facts: (i) => ({
        amount: i.amount,
        currency: i.asset,
        expiresAt: i.expires_at,
        open:
          outcome.kind !== "refund" &&
          (i.status === "pending" || (paid && (i.status === "failed" || i.status === "expired"))),
      }),
      refuse: {
        notFound: () => new WalletsError("topup_intent_not_found", "No top-up intent for this payment"),
        mismatch: () =>
          new WalletsError(
            "amount_mismatch",
            "The confirmation's amount or currency differs from the intent",
          ),
        // A refund is answered below, by the intent's status.
        ...(refund || input.acknowledgeSettled ? {} : { closed }),
      },
    },
    now,
  );
  if (settled === "closed" && !refund) return { result: "already_settled", intent };
  if (refund) {
    // Owed back: the provider's refund settles it as finance's record would.
    if (intent.status === "refund_due") {
      return recordProviderRefundOfIntent(uow, ctx, intent, { ...outcome, provider }, now);
    }
    // Credited: the refunded share comes back out of the balance, part by part.
    if (intent.status === "succeeded") {
      return recordProviderRefundOfCredited(uow, ctx, intent, { ...outcome, provider }, now);
    }
    if (intent.status === "refunded") return { result: "refund_ignored", intent };
    throw closed(intent);
  }
  const { actor } = ctx;
  const late = paid && (intent.status !== "pending" || settled === "expired");
  // Paid in time or late, a closed or frozen member's balance takes no new money.
  const reason = paid ? await whyNotCreditable(uow, ctx, intent, now) : null;
  const result: ConfirmResult = paid
    ? reason === null
      ? "credited"
      : "refund_due"
    : settled === "failed"
      ? "failed"
      : "expired";
  const status = result === "credited" ? "succeeded" : result;
  const updated = await uow.trx
    .updateTable("wallet_topup_intents")
    .set({ status, completed_at: now, updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", intent.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (result === "credited") await credit(uow, actor, intent, provider, outcome, now);
  const summary = {
    provider_event: outcome.eventId,
    outcome: outcome.status,
    ...(late ? { late: true, previous_status: intent.status } : {}),
  };
  if (result === "refund_due") {
    await recordAudit(
      uow,
      actor,
      {
        action: "wallet.topup_intent_unfulfilled",
        targetType: "topup_intent",
        targetId: intent.id,
        summary: { ...summary, reason, amount: intent.amount, currency: intent.asset },
      },
      now,
    );
    await emitWalletEvent(
      uow,
      uow.tenantId,
      "wallet.topup_unfulfilled",
      {
        intent_id: intent.id,
        member_id: intent.member_id,
        amount: intent.amount,
        currency: intent.asset,
        provider: intent.provider,
        provider_ref: intent.provider_ref,
        reason: reason!,
      },
      now,
    );
    return { result, intent: updated };
  }
  await recordAudit(
    uow,
    actor,
    {
      action: `wallet.topup_intent_${status}`,
      targetType: "topup_intent",
      targetId: intent.id,
      summary,
    },
    now,
  );
  return { result, intent: updated };
}

/**
 * Locks the member as every balance change does; a closed or frozen account takes no top-up
 * credit. Nor does a balance whose asset changed since the intent started (possible while no
 * member held a balance): crediting it would open the member's accounts in the old asset, or
 * fail against accounts already opened in the new one. Nor a member whose lots are past what
 * a balance read takes in.
 */
async function whyNotCreditable(
  uow: UnitOfWork,
  ctx: RequestContext,
  intent: IntentRow,
  now: Date,
): Promise<UnfulfilledReason | null> {
  try {
    await lockUsableMember(uow.trx, ctx.actor, intent.member_id);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "member_closed" || code === "member_frozen") return code;
    throw error;
  }
  if ((await lockedBalanceAsset(uow, now)) !== intent.asset) return "asset_changed";
  // An untagged credit opens no lot, but crediting reads the member's balance, which is
  // refused past what one read takes in: the collected money is then owed back, not left pending.
  if (await lotLimitReached(uow.trx, uow.tenantId, intent.member_id, 0)) return "too_many_open_lots";
  return null;
}

/**
 * The tenant's balance asset, for crediting money paid in the asset read when the payment
 * started: with the settings row shared, an asset change waits for this credit and then sees
 * the member's accounts, so a payment started in the old asset is never credited in the new.
 */
export async function lockedBalanceAsset(uow: UnitOfWork, now: Date): Promise<string> {
  await loadSettings(uow.trx, uow.tenantId, now);
  const { asset } = await uow.trx
    .selectFrom("wallet_settings")
    .select("asset")
    .where("tenant_id", "=", uow.tenantId)
    .forShare()
    .executeTakeFirstOrThrow();
  return asset;
}

async function credit(
  uow: UnitOfWork,
  actor: RequestContext["actor"],
  intent: IntentRow,
  provider: string,
  outcome: WebhookOutcome,
  now: Date,
): Promise<void> {
  const accounts = await openMemberAccounts(uow, intent.member_id, intent.asset);
  const transfer = await uow.transfer({
    id: `wtop_${intent.id}`,
    debit_account_id: await openSystem(uow, "topup_online", intent.asset),
    credit_account_id: accounts.principal,
    amount: intent.amount,
    code: "topup_online",
    reference_module: "wallets",
    reference_id: intent.id,
    metadata: { provider, provider_ref: outcome.providerRef, provider_event: outcome.eventId },
  });
  expectTransfer(transfer);
  if (transfer.ok && transfer.code === "exists") throw new Error(`top-up ${intent.id} credited twice`);
  const balance = await memberBalance(uow, intent.member_id);
  logChange(
    uow,
    actor,
    {
      memberId: intent.member_id,
      account: "balance",
      kind: "topup_online",
      asset: intent.asset,
      amount: intent.amount,
      principalDelta: intent.amount,
      balanceAfter: balance.total,
      source: provider,
      sourceRef: intent.id,
    },
    now,
  );
  await emitWalletEvent(
    uow,
    uow.tenantId,
    "wallet.topped_up",
    {
      member_id: intent.member_id,
      asset: intent.asset,
      channel: "online",
      principal_amount: intent.amount,
      bonus_amount: 0,
      balance_after: balance.total,
      intent_id: intent.id,
    },
    now,
  );
}
