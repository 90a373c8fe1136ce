import { Type } from "typebox";
import type { RowTarget } from "../../db/database.js";
import { defineEvents } from "../../platform/events/outbox.js";

/** The deposits module's webhook events; each is written in the change's transaction. */
const AccountRef = { account_id: Type.String(), merchant_id: Type.String(), asset: Type.String() };

const EVENTS = {
  "deposit.activated": {
    description: "A deposit account's first top-up succeeded: the merchant is in prepaid mode",
    schema: Type.Object({ ...AccountRef }),
  },
  "deposit.topped_up": {
    description: "A bank transfer was matched to a top-up application and credited (arrears repaid first)",
    schema: Type.Object({
      ...AccountRef,
      topup_id: Type.String(),
      amount: Type.Integer(),
      arrears_repaid: Type.Integer(),
    }),
  },
  "deposit.campaigns_suspended": {
    description: "Available fell below the suspension threshold: the merchant's campaigns were suspended",
    schema: Type.Object({
      ...AccountRef,
      available: Type.Integer(),
      threshold: Type.Integer(),
      campaign_ids: Type.Array(Type.String()),
    }),
  },
  "deposit.campaigns_resumed": {
    description: "Available rose above the threshold: the campaigns the breaker suspended resumed (or ended)",
    schema: Type.Object({
      ...AccountRef,
      available: Type.Integer(),
      threshold: Type.Integer(),
      campaign_ids: Type.Array(Type.String()),
    }),
  },
  "deposit.campaign_started": {
    description: "One of the merchant's campaigns started running (sent once per campaign)",
    schema: Type.Object({ ...AccountRef, campaign_id: Type.String(), name: Type.String() }),
  },
  "deposit.balance_warning": {
    description: "Available is below the merchant's warning value (at most 4 a day per account)",
    schema: Type.Object({ ...AccountRef, available: Type.Integer(), warning_value: Type.Integer() }),
  },
  "deposit.arrears_recorded": {
    description: "A campaign cost exceeded available: the rest was recorded as arrears owed to the platform",
    schema: Type.Object({
      ...AccountRef,
      order_id: Type.String(),
      arrears: Type.Integer(),
      total_arrears: Type.Integer(),
    }),
  },
  "deposit.withdrawal_changed": {
    description: "A withdrawal was requested, approved, paid, rejected or failed",
    schema: Type.Object({
      ...AccountRef,
      withdrawal_id: Type.String(),
      status: Type.String(),
      amount: Type.Integer(),
    }),
  },
} as const;

export type DepositEventType = keyof typeof EVENTS;

export const DEPOSITS_EVENTS = defineEvents(EVENTS);

export async function emitDepositEvent(
  target: RowTarget,
  account: { tenant_id: string; id: string; merchant_id: string; asset: string },
  type: DepositEventType,
  data: Record<string, unknown>,
  now: Date,
): Promise<void> {
  await DEPOSITS_EVENTS.emit(
    target,
    account.tenant_id,
    type,
    { account_id: account.id, merchant_id: account.merchant_id, asset: account.asset, ...data },
    now,
  );
}
