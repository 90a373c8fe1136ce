import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import {
  applyProviderRefund,
  notRefundDue,
  type ProviderRefundNotice,
  type RecordRefundInput,
  type RefundRecord,
  refundRecordOf,
} from "../../platform/http/record-refund.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import type { UnitOfWork } from "./wallets.ledger.js";
import type { IntentRow } from "./wallets.repository.js";

/**
 * Finance refunded a `refund_due` intent's payment at the provider: the intent becomes
 * `refunded` with who recorded it, when, the provider's refund id and a note. Nothing was
 * credited, so nothing moves. The intent row is locked first; any other status (a second call
 * included, or the provider's refund notification having recorded it) refuses with
 * `not_refund_due` and writes nothing. The caller has checked the intent is visible to it.
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
  return settleRefunded(uow, ctx, intent, refundRecordOf(ctx, input.body, now), now);
}

/**
 * The provider says it refunded a `refund_due` intent's payment (the intent locked by the
 * caller): once all that was collected is back, the intent is recorded refunded exactly as
 * finance would record it, the provider's event as its record. A part refund keeps it
 * `refund_due`, its amount kept (`provider_refunds`) and audited
 * (`wallet.topup_intent_provider_refund`, with what is still owed) for finance. A refund id
 * already heard of, or no more than already recorded, changes nothing.
 */
export async function recordProviderRefundOfIntent(
  uow: UnitOfWork,
  ctx: RequestContext,
  intent: IntentRow,
  notice: ProviderRefundNotice,
  now: Date,
): Promise<{ result: "refund_recorded" | "refund_ignored"; intent: IntentRow }> {
  const applied = await applyProviderRefund(
    ctx,
    notice,
    { row: intent, log: intent.provider_refunds, collected: intent.amount },
    {
      keepLog: (log) =>
        uow.trx
          .updateTable("wallet_topup_intents")
          .set({ provider_refunds: JSON.stringify(log), updated_at: now })
          .where("tenant_id", "=", uow.tenantId)
          .where("id", "=", intent.id)
          .returningAll()
          .executeTakeFirstOrThrow(),
      settle: (row, record) => settleRefunded(uow, ctx, row, record, now),
      auditPart: (part) =>
        recordAudit(
          uow,
          ctx,
          {
            action: "wallet.topup_intent_provider_refund",
            targetType: "topup_intent",
            targetId: intent.id,
            summary: { ...part, currency: intent.asset },
          },
          now,
        ),
    },
    now,
  );
  return { result: applied.result, intent: applied.row };
}

/** A `refund_due` intent (locked) becomes `refunded` with `record`: audited, announced. */
async function settleRefunded(
  uow: UnitOfWork,
  ctx: RequestContext,
  intent: IntentRow,
  record: RefundRecord,
  now: Date,
): Promise<IntentRow> {
  const { trx, tenantId } = uow;
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
        ...(record.provider_event ? { provider_event: record.provider_event } : {}),
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
