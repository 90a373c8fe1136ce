import { Type } from "typebox";
import { Nullable, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { CHECKOUT_DESCRIPTION } from "../wallets/index.js";
import { CHANNELS } from "./plan-terms.js";
import { refundLogOf } from "./record-provider-refund.js";
import {
  PLAN_STATUSES,
  type PlanRow,
  type SmartPlanRow,
  TOPUP_STATUSES,
  type TopupRow,
} from "./topup.repository.js";

const Str = Type.String();
const NullStr = Nullable(Type.String());
const Int = Type.Integer();
const Terms = Type.Record(Type.String(), Type.Unknown(), { description: "The plan's terms as saved" });

export const Plan = Type.Object({
  id: Str,
  object: Type.Literal("topup_plan"),
  kind: StringEnum(["package", "custom"] as const),
  name: Str,
  currency: Str,
  status: StringEnum(PLAN_STATUSES),
  visibility: StringEnum(["shown", "hidden"] as const),
  version: Int,
  terms: Terms,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function serializePlan(p: PlanRow) {
  const { name: _n, ...terms } = p.terms;
  return {
    id: p.id,
    object: "topup_plan" as const,
    kind: p.kind,
    name: p.name,
    currency: p.currency,
    status: p.status,
    visibility: p.visibility,
    version: p.version,
    terms,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
  };
}

export const SmartPlan = Type.Object({
  id: Str,
  object: Type.Literal("smart_topup_plan"),
  name: Str,
  currency: Str,
  status: StringEnum(PLAN_STATUSES),
  terms: Terms,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function serializeSmartPlan(p: SmartPlanRow) {
  const { name: _n, ...terms } = p.terms;
  return {
    id: p.id,
    object: "smart_topup_plan" as const,
    name: p.name,
    currency: p.currency,
    status: p.status,
    terms,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
  };
}

const Gift = Type.Object({ perk: Str, grant_id: Str, status: Str, voucher_ids: Type.Array(Str) });

export const Topup = Type.Object(
  {
    id: Str,
    object: Type.Literal("topup"),
    source: StringEnum(["plan", "smart"] as const),
    plan_id: Str,
    plan_name: Str,
    member_id: Str,
    member_name: Type.Optional(Type.String({ description: "The member's name (in the plan's details)" })),
    card_number: NullStr,
    currency: Str,
    amount: Int,
    bonus_amount: Int,
    points: Int,
    first_topup: Type.Boolean(),
    gift: Type.Array(Gift),
    channel: StringEnum(CHANNELS),
    store_id: NullStr,
    payment_method: StringEnum(["offline", "online"] as const),
    provider: NullStr,
    checkout: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: CHECKOUT_DESCRIPTION })),
    payment_expires_at: Nullable(Timestamp),
    status: StringEnum(TOPUP_STATUSES, {
      description:
        "`credited` stays while only part of an online payment is refunded at the provider; `refunded` once all of it is",
    }),
    refunded_amount: Type.Integer({
      description: "What the payment provider has refunded of this top-up's payment so far (minor units)",
    }),
    refund_count: Type.Integer({ description: "The provider's refunds recorded, each once" }),
    refund_shortfall: Type.Integer({
      description:
        "Of the refunded value, what could not be taken back from the balance because the member had spent it (for an operator to settle)",
    }),
    refund_points_taken: Type.Integer({
      description:
        "Points taken back for the provider's refunds: the top-up's points × refunded / amount, rounded down, as far as the member still held them",
    }),
    refund_points_shortfall: Type.Integer({
      description:
        "Of the points due back for the provider's refunds, those the member no longer held (spent or expired; for an operator to settle)",
    }),
    recharge_code_id: NullStr,
    details: Type.Record(Type.String(), Type.Unknown()),
    created_at: Timestamp,
    credited_at: Nullable(Timestamp),
  },
  {
    examples: [
      {
        id: "tup_01jd3m2x4y5z6a7b8c9d0e1f2g",
        object: "topup",
        source: "plan",
        plan_id: "tpp_01jd3m2x4y5z6a7b8c9d0e1f2g",
        plan_name: "Summer Prepaid Bonus Plan",
        member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
        card_number: "8800001",
        currency: "CNY",
        amount: 25000,
        bonus_amount: 2500,
        points: 12,
        first_topup: false,
        gift: [],
        channel: "pos",
        store_id: null,
        payment_method: "offline",
        provider: null,
        checkout: null,
        payment_expires_at: null,
        status: "credited",
        refunded_amount: 0,
        refund_count: 0,
        refund_shortfall: 0,
        refund_points_taken: 0,
        refund_points_shortfall: 0,
        recharge_code_id: null,
        details: { principal_lot_id: "wlot_01jd3m2x4y5z6a7b8c9d0e1f2g" },
        created_at: "2026-11-23T08:00:00.000Z",
        credited_at: "2026-11-23T08:00:00.000Z",
      },
    ],
  },
);

export function serializeTopup(t: TopupRow) {
  const refund = refundLogOf(t);
  return {
    id: t.id,
    object: "topup" as const,
    source: t.source,
    plan_id: t.plan_id,
    plan_name: t.plan_name,
    member_id: t.member_id,
    card_number: t.card_number,
    currency: t.currency,
    amount: t.amount,
    bonus_amount: t.bonus_amount,
    points: t.points,
    first_topup: t.first_topup,
    gift: t.gift,
    channel: t.channel,
    store_id: t.store_id,
    payment_method: t.payment_method,
    provider: t.provider,
    checkout: t.checkout,
    payment_expires_at: t.payment_expires_at?.toISOString() ?? null,
    status: t.status,
    refunded_amount: refund.refunded_total,
    refund_count: Object.keys(refund.refunds).length,
    refund_shortfall: refund.shortfall,
    refund_points_taken: refund.taken_points ?? 0,
    refund_points_shortfall: refund.points_shortfall ?? 0,
    recharge_code_id: t.recharge_code_id,
    details: t.details,
    created_at: t.created_at.toISOString(),
    credited_at: t.credited_at?.toISOString() ?? null,
  };
}

/** The columns of the "Details" export, in order. */
export const DETAIL_COLUMNS = [
  "id",
  "created_at",
  "member_id",
  "card_number",
  "currency",
  "amount",
  "bonus_amount",
  "points",
  "gift",
  "channel",
  "store_id",
  "first_topup",
  "status",
  "refunded_amount",
  "recharge_code_id",
] as const;

export function detailRow(t: TopupRow): (string | number | null)[] {
  const gifts = t.gift.flatMap((g) => g.voucher_ids).join(" ");
  const s = serializeTopup(t);
  return DETAIL_COLUMNS.map((c) => {
    if (c === "gift") return gifts;
    const v = s[c] as string | number | boolean | null;
    return typeof v === "boolean" ? String(v) : v;
  });
}
