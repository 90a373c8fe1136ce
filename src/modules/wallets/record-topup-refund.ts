import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { notRefundDue, type RecordRefundInput, refundRecordOf } from "../../platform/http/record-refund.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import type { UnitOfWork } from "./wallets.ledger.js";
import type { IntentRow } from "./wallets.repository.js";

/**
 * Finance refunded a `refund_due` intent's payment at the provider (the intents' providers
 * send no refund notification): the intent becomes `refunded` with who recorded it, when, the
 * provider's refund id and a note. Nothing was credited, so nothing moves. The intent row is
 * locked first; any other status (a second call included) refuses with `not_refund_due` and
 * writes nothing. The caller has checked the intent is visible to it.
 */
export async function recordTopupRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { intentId: string; body: RecordRefundInput },
  now: Date,
): Promise<IntentRow> {
  const { trx, tenantId } = uow;
  const intent = await trx
    .selectFrom("wallet_topup_intents")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", input.intentId)
    .forUpdate()
    .executeTakeFirst();
  if (!intent) throw new WalletsError("topup_intent_not_found", "Top-up intent not found");
  if (intent.status !== "refund_due") throw new WalletsError(...notRefundDue("top-up intent", intent.status));
  const record = refundRecordOf(ctx, input.body, now);
  const updated = await trx
    .updateTable("wallet_topup_intents")
    .set({ status: "refunded", refund_record: JSON.stringify(record), updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", intent.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.topup_intent_refunded",
      targetType: "topup_intent",
      targetId: intent.id,
      summary: {
        reference: record.reference,
        note: record.note,
        amount: intent.amount,
        currency: intent.asset,
        provider: intent.provider,
        provider_ref: intent.provider_ref,
        previous_status: intent.status,
      },
    },
    now,
  );
  await emitWalletEvent(
    uow,
    tenantId,
    "wallet.topup_refunded",
    {
      intent_id: intent.id,
      member_id: intent.member_id,
      amount: intent.amount,
      currency: intent.asset,
      provider: intent.provider,
      provider_ref: intent.provider_ref,
      reference: record.reference,
    },
    now,
  );
  return updated;
}
