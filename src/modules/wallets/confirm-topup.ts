import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { confirmProviderPayment } from "./confirm-provider-payment.js";
import type { WebhookOutcome } from "./payment-providers.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import {
  logChange,
  memberBalance,
  openMemberAccounts,
  openSystem,
  type UnitOfWork,
} from "./wallets.ledger.js";
import type { IntentRow } from "./wallets.repository.js";

export type ConfirmResult = "credited" | "failed" | "expired";

/**
 * Applies a verified provider notification to its intent, exactly once: the intent row is
 * locked first, a settled intent refuses a second confirmation (`topup_intent_closed`,
 * nothing written), and the credit is one ledger transfer whose id derives from the intent.
 * A confirmation after the intent expired credits nothing. The actor is the provider
 * (`payment_provider:<name>`, a system actor).
 */
export async function confirmTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { provider: string; outcome: WebhookOutcome },
  now: Date,
): Promise<{ result: ConfirmResult; intent: IntentRow }> {
  const { provider, outcome } = input;
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
        open: i.status === "pending",
      }),
      refuse: {
        notFound: () => new WalletsError("topup_intent_not_found", "No top-up intent for this payment"),
        mismatch: () =>
          new WalletsError(
            "amount_mismatch",
            "The confirmation's amount or currency differs from the intent",
          ),
        closed: (i) =>
          new WalletsError(
            "topup_intent_closed",
            `The top-up was already ${i.status}; nothing was credited again`,
          ),
      },
    },
    now,
  );
  const { actor } = ctx;
  const result: ConfirmResult =
    settled === "succeeded" ? "credited" : settled === "failed" ? "failed" : "expired";
  const status = result === "credited" ? "succeeded" : result;
  const updated = await uow.trx
    .updateTable("wallet_topup_intents")
    .set({ status, completed_at: now, updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", intent.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (result === "credited") {
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
  await recordAudit(
    uow,
    actor,
    {
      action: `wallet.topup_intent_${status}`,
      targetType: "topup_intent",
      targetId: intent.id,
      summary: { provider_event: outcome.eventId, outcome: outcome.status },
    },
    now,
  );
  return { result, intent: updated };
}
