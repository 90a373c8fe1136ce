import { Type } from "typebox";
import { providerRefundTotals } from "../../platform/http/record-refund.js";
import { Nullable, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { ONLINE_TOPUP_SOURCES, type OnlineTopupRow } from "../../platform/online-topups.js";
import { Intent } from "./wallets.schemas.js";

/**
 * An online top-up in the list across members: a balance top-up (an intent) or one bought
 * through a top-up plan or a smart top-up, with who it tops up and what it credits.
 */
export const IntentListItem = Type.Object(
  {
    ...Intent.properties,
    object: StringEnum(["topup_intent", "topup"] as const, {
      description:
        "topup_intent: a balance top-up (GET /v1/topup-intents/{id}); topup: a plan or smart top-up (GET /v1/topups/{id})",
    }),
    source: StringEnum(ONLINE_TOPUP_SOURCES, {
      description:
        "What bought it: balance (the member's own amount, no plan), plan (a top-up plan), smart (a smart top-up tier paid at the member center's cashier)",
    }),
    plan_id: Nullable(Type.String()),
    plan_name: Nullable(Type.String({ description: "The plan's name when the top-up was bought" })),
    bonus_amount: Type.Integer({
      minimum: 0,
      description: "The bonus it credits beside the amount paid (minor units; 0 for a balance top-up)",
    }),
    points: Type.Integer({ minimum: 0, description: "The points it awards (0 for a balance top-up)" }),
    provider: Nullable(
      Type.String({ description: "Null for a smart top-up: its cashier payment names the provider" }),
    ),
    expires_at: Nullable(Timestamp),
    member_name: Type.String(),
    member_phone: Nullable(Type.String()),
  },
  {
    $id: "TopupIntentListItem",
    examples: [
      {
        id: "tup_01JEXAMPLE",
        object: "topup",
        source: "plan",
        plan_id: "tpl_01JEXAMPLE",
        plan_name: "Summer Prepaid Bonus",
        member_id: "mbr_01JEXAMPLE",
        member_name: "Wang Fang",
        member_phone: "13800000000",
        asset: "CNY",
        amount: 10000,
        bonus_amount: 1000,
        points: 50,
        provider: "wechatpay",
        status: "succeeded",
        checkout: {},
        expires_at: "2026-12-02T08:15:00.000Z",
        completed_at: "2026-12-02T08:01:10.000Z",
        refund_record: null,
        refunded_amount: 0,
        refund_count: 0,
        refund_taken_back: 0,
        refund_shortfall: 0,
        created_at: "2026-12-02T08:00:00.000Z",
      },
    ],
  },
);

export type ListedTopupRow = OnlineTopupRow & { member_name: string; member_phone: string | null };

export function serializeListedTopup(r: ListedTopupRow) {
  const log = r.refund_log;
  return {
    id: r.id,
    object: r.object,
    source: r.source,
    member_id: r.member_id,
    member_name: r.member_name,
    member_phone: r.member_phone,
    plan_id: r.plan_id,
    plan_name: r.plan_name,
    asset: r.asset,
    amount: r.amount,
    bonus_amount: r.bonus_amount,
    points: r.points,
    provider: r.provider,
    status: r.status,
    checkout: r.checkout ?? {},
    expires_at: r.expires_at ? r.expires_at.toISOString() : null,
    completed_at: r.completed_at ? r.completed_at.toISOString() : null,
    refund_record: r.refund_record,
    ...providerRefundTotals(log),
    refund_taken_back: (log?.taken_principal ?? 0) + (log?.taken_bonus ?? 0),
    refund_shortfall: log?.shortfall ?? 0,
    created_at: r.created_at.toISOString(),
  };
}
