import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import {
  applyProviderRefund,
  notRefundDue,
  type ProviderRefundNotice,
  providerRefundRecord,
  type RecordRefundInput,
  type RefundRecord,
  refundRecordOf,
} from "../../platform/http/record-refund.js";
import { takeBackProviderRefund, takenBackLogOf } from "./take-back-refund.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import { accountIds, type UnitOfWork } from "./wallets.ledger.js";
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

/** The intent with its log of the provider's refunds replaced by `log`. */
function keepProviderRefunds(uow: UnitOfWork, intentId: string, log: object, now: Date): Promise<IntentRow> {
  return uow.trx
    .updateTable("wallet_topup_intents")
    .set({ provider_refunds: JSON.stringify(log), updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", intentId)
    .returningAll()
    .executeTakeFirstOrThrow();
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
      keepLog: (log) => keepProviderRefunds(uow, intent.id, log, now),
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

/**
 * The provider refunded (part of) a credited intent's payment (the intent locked by the caller):
 * the refunded share comes back out of the member's balance as a plan top-up's does, once per
 * refund id, cumulative or one by one as the provider counts. The intent credited untagged
 * principal, so that is where it is taken from, at most what the account still holds; what the
 * member already spent is the shortfall, kept on the intent (`provider_refunds`) for an
 * operator. Every refund is audited (`wallet.topup_intent_provider_refund`) and announced
 * (`wallet.topup_refund_taken_back`); once all the payment is back the intent becomes
 * `refunded`, the provider's event as its record (`wallet.topup_intent_refunded`). A refund id
 * heard before, or a total no higher than recorded, changes nothing (`refund_ignored`).
 */
export async function recordProviderRefundOfCredited(
  uow: UnitOfWork,
  ctx: RequestContext,
  intent: IntentRow,
  notice: ProviderRefundNotice,
  now: Date,
): Promise<{ result: "refund_recorded" | "refund_ignored"; intent: IntentRow }> {
  const taken = await takeBackProviderRefund(
    uow,
    ctx,
    {
      log: takenBackLogOf(intent.provider_refunds),
      notice,
      amount: intent.amount,
      bonusAmount: 0,
      memberId: intent.member_id,
      sourceId: intent.id,
      principalLotId: accountIds.principal(intent.member_id),
      principalUntagged: true,
      bonusLotId: null,
      channel: "online",
    },
    now,
  );
  if (!taken) return { result: "refund_ignored", intent };
  const { log, refundId, share, whole } = taken;
  const before = takenBackLogOf(intent.provider_refunds);
  const takenBack = log.taken_principal - before.taken_principal;
  const shortfall = log.shortfall - before.shortfall;
  let row = await keepProviderRefunds(uow, intent.id, log, now);
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.topup_intent_provider_refund",
      targetType: "topup_intent",
      targetId: intent.id,
      summary: {
        refund_id: refundId,
        provider_event: notice.eventId,
        refund_amount: share,
        amount: intent.amount,
        currency: intent.asset,
        taken_back: takenBack,
        refund_shortfall: shortfall,
        ...log,
      },
    },
    now,
  );
  await emitWalletEvent(
    uow,
    uow.tenantId,
    "wallet.topup_refund_taken_back",
    {
      intent_id: intent.id,
      member_id: intent.member_id,
      amount: intent.amount,
      currency: intent.asset,
      provider: intent.provider,
      provider_ref: intent.provider_ref,
      refund_id: refundId,
      refund_amount: share,
      refunded_total: log.refunded_total,
      taken_back: takenBack,
      shortfall,
      fully_refunded: whole,
    },
    now,
  );
  if (whole) {
    const record = providerRefundRecord(ctx, notice, { refundId, total: log.refunded_total }, now);
    row = await settleRefunded(uow, ctx, row, record, now, { announce: false });
  }
  return { result: "refund_recorded", intent: row };
}

/**
 * A `refund_due` intent (locked) becomes `refunded` with `record`: audited, announced (a
 * credited one's refund is announced as taken back instead: `announce` false).
 */
async function settleRefunded(
  uow: UnitOfWork,
  ctx: RequestContext,
  intent: IntentRow,
  record: RefundRecord,
  now: Date,
  opts: { announce: boolean } = { announce: true },
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
  if (!opts.announce) return updated;
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
