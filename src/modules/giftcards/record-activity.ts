import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { emitEvent } from "../../platform/events/outbox.js";
import { newId } from "../../shared/ids.js";
import { EVENT_OF } from "./giftcards.events.js";
import type { UnitOfWork } from "./giftcards.ledger.js";
import type { ActivityRow, ActivityType, CardRow, GiftCardActivitiesTable } from "./giftcards.repository.js";

export type ActivityInput = {
  id?: string;
  type: ActivityType;
  amount: number;
  balanceAfter: number;
} & Partial<
  Pick<
    GiftCardActivitiesTable,
    | "store_id"
    | "channel"
    | "reference_module"
    | "reference_id"
    | "redemption_id"
    | "paid_amount"
    | "discount_amount"
    | "payment_method"
    | "payment_ref"
    | "returned_to"
    | "reason"
  >
>;

/** The id an activity will have: chosen first, so its transfers can be named after it. */
export const newActivityId = () => newId("gca");

/**
 * Writes an activity row (at once, not with the batch: later units of the same batch read
 * it, e.g. the refunds of a redemption), its audit record and its webhook event.
 */
export async function recordActivity(
  uow: UnitOfWork,
  context: RequestContext,
  card: CardRow,
  input: ActivityInput,
  now: Date,
): Promise<ActivityRow> {
  const { actor } = context;
  const row = (await uow.trx
    .insertInto("gift_card_activities")
    .values({
      tenant_id: uow.tenantId,
      id: input.id ?? newActivityId(),
      card_id: card.id,
      type: input.type,
      amount: input.amount,
      balance_after: input.balanceAfter,
      asset: card.asset,
      store_id: input.store_id ?? null,
      channel: input.channel ?? null,
      operator_type: actor.type,
      operator_id: actor.id,
      reference_module: input.reference_module ?? null,
      reference_id: input.reference_id ?? null,
      redemption_id: input.redemption_id ?? null,
      paid_amount: input.paid_amount ?? null,
      discount_amount: input.discount_amount ?? null,
      payment_method: input.payment_method ?? null,
      payment_ref: input.payment_ref ?? null,
      returned_to: input.returned_to ?? null,
      reason: input.reason ?? null,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as ActivityRow;
  const event = EVENT_OF[row.type];
  await recordAudit(
    uow,
    context,
    {
      action: event.type,
      targetType: "gift_card",
      targetId: card.id,
      summary: {
        activity_id: row.id,
        type: row.type,
        amount: row.amount,
        balance_after: row.balance_after,
        ...(row.reference_id ? { reference: `${row.reference_module}:${row.reference_id}` } : {}),
        ...(row.reason ? { reason: row.reason } : {}),
      },
    },
    now,
  );
  await emitEvent(
    uow,
    {
      tenantId: uow.tenantId,
      type: event.type,
      data: {
        activity_id: row.id,
        card_id: card.id,
        card_number_last4: card.number.slice(-4),
        plan_id: card.plan_id,
        type: row.type,
        amount: row.amount,
        balance_after: row.balance_after,
        asset: row.asset,
        store_id: row.store_id,
        channel: row.channel,
        reference_module: row.reference_module,
        reference_id: row.reference_id,
        redemption_id: row.redemption_id,
        holder_member_id: card.holder_member_id,
      },
    },
    now,
  );
  return row;
}
