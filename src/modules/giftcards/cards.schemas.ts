import { Type } from "typebox";
import {
  ProviderRefundFields,
  providerRefundTotals,
  RefundRecordOrNull,
} from "../../platform/http/record-refund.js";
import { IdParam, KeyedRecord, Nullable, Obj, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { CARD_NUMBER_PATTERN, PIN_PATTERN } from "./card-number.js";
import {
  ACTIVITY_TYPES,
  CARD_STATUSES,
  CARD_TYPES,
  PAYMENT_METHODS,
  SALE_CHANNELS,
} from "./giftcards.repository.js";
import type { ActivityListRow, CardListRow } from "./list-cards.js";
import { MAX_CARD_AMOUNT } from "./plan-rules.js";

/** Request and response schemas of cards and their activities (amounts in minor units). */

const Str = Type.String();
const Int = Type.Integer();

export const CardNumber = Type.String({
  maxLength: 19,
  pattern: CARD_NUMBER_PATTERN,
  examples: ["6035790012345678"],
});
export const Pin = Type.String({ maxLength: 12, pattern: PIN_PATTERN, examples: ["48213907"] });
export const PositiveAmount = Type.Integer({ minimum: 1, maximum: MAX_CARD_AMOUNT, examples: [5000] });
export const Reason = Type.String({ minLength: 1, maxLength: 500 });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const GiftCard = Type.Object(
  {
    id: Str,
    object: Type.Literal("gift_card"),
    number: Str,
    plan_id: Str,
    card_type: StringEnum(CARD_TYPES),
    status: StringEnum(CARD_STATUSES),
    asset: Str,
    balance: Type.Integer({ description: "What is left on the card now (its ledger balance)" }),
    face_amount: Nullable(Int),
    paid_amount: Type.Integer({ description: "What the buyer paid at the sale (face − discount)" }),
    discount_amount: Int,
    expires_at: Nullable(Timestamp),
    store_scope: Type.Unknown({ description: "Redemption stores, fixed at the sale (empty: every store)" }),
    buyer: Type.Object({
      name: Nullable(Str),
      phone: Nullable(Str),
      email: Nullable(Str),
      member_id: Nullable(Str),
    }),
    holder_member_id: Nullable(Str),
    recipient: Nullable(Type.Object({ name: Nullable(Str), phone: Nullable(Str), message: Nullable(Str) })),
    sale: Nullable(
      Type.Object({
        id: Nullable(Str),
        channel: Nullable(StringEnum(SALE_CHANNELS)),
        store_id: Nullable(Str),
        payment_method: Nullable(StringEnum(PAYMENT_METHODS)),
        sold_at: Nullable(Timestamp),
      }),
    ),
    agreements: Type.Array(Type.Object({ agreement_id: Str, type: Str, version: Int })),
    frozen_reason: Nullable(Str),
    import_job_id: Nullable(Str),
    refund_record: RefundRecordOrNull,
    ...ProviderRefundFields,
    refund_shortfall: Type.Integer({
      minimum: 0,
      description:
        "Of the provider's refunds of the card's online sale, the card value the holder had already spent and so could not be taken off the card (minor units; 0 when none): for an operator to settle. The card never goes below zero",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "GiftCard" },
);

export function serializeCard(row: CardListRow) {
  const sold = row.sale_channel !== null;
  return {
    id: row.id,
    object: "gift_card" as const,
    number: row.number,
    plan_id: row.plan_id,
    card_type: row.card_type,
    status: row.status,
    asset: row.asset,
    balance: row.balance,
    face_amount: row.face_amount,
    paid_amount: row.paid_amount,
    discount_amount: row.discount_amount,
    expires_at: row.expires_at?.toISOString() ?? null,
    store_scope: row.store_scope,
    buyer: {
      name: row.buyer_name,
      phone: row.buyer_phone,
      email: row.buyer_email,
      member_id: row.buyer_member_id,
    },
    holder_member_id: row.holder_member_id,
    recipient:
      row.recipient_name || row.recipient_phone || row.gift_message
        ? { name: row.recipient_name, phone: row.recipient_phone, message: row.gift_message }
        : null,
    sale: sold
      ? {
          id: row.sale_id,
          channel: row.sale_channel,
          store_id: row.sale_store_id,
          payment_method: row.sale_payment?.method ?? null,
          sold_at: row.sold_at?.toISOString() ?? null,
        }
      : null,
    agreements: row.agreements,
    frozen_reason: row.frozen_reason,
    import_job_id: row.import_job_id,
    refund_record: row.refund_record,
    // Of the card's online payment, whose refund_due the provider's notifications refund.
    ...providerRefundTotals(row.provider_refunds),
    refund_shortfall: row.provider_refunds?.shortfall ?? 0,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const Activity = Type.Object(
  {
    id: Str,
    object: Type.Literal("gift_card_activity"),
    card_id: Str,
    card_number: Str,
    plan_id: Str,
    type: StringEnum(ACTIVITY_TYPES),
    amount: Type.Integer({ description: "The value moved (0 for BLOCK / UNBLOCK)" }),
    balance_after: Int,
    asset: Str,
    store_id: Nullable(Str),
    channel: Nullable(StringEnum(SALE_CHANNELS)),
    operator: Type.Object({
      type: Str,
      id: Str,
      label: Nullable(
        Type.String({
          description:
            "The operator by name: a user's email or an API key's name. Null for a member, the system, and always for a member token",
        }),
      ),
    }),
    reference: Nullable(Type.Object({ module: Nullable(Str), id: Str })),
    redemption_id: Nullable(Str),
    paid_amount: Nullable(Int),
    discount_amount: Nullable(Int),
    payment_method: Nullable(StringEnum(PAYMENT_METHODS)),
    payment_ref: Nullable(Str),
    returned_to: Nullable(Str),
    reason: Nullable(Str),
    created_at: Timestamp,
  },
  {
    $id: "GiftCardActivity",
    examples: [
      {
        id: "gca_01jd3m2x4y5z6a7b8c9d0e1f2g",
        object: "gift_card_activity",
        card_id: "gc_01jd3m2x4y5z6a7b8c9d0e1f2g",
        card_number: "6035790012345678",
        plan_id: "gcp_01jd3m2x4y5z6a7b8c9d0e1f2g",
        type: "REDEEM",
        amount: 5000,
        balance_after: 15000,
        asset: "CNY",
        store_id: "org_01jd3m2x4y5z6a7b8c9d0e1f2h",
        channel: "POS",
        operator: { type: "api_key", id: "key_01jd3m2x4y5z6a7b8c9d0e1f2g", label: "Flagship POS" },
        reference: { module: "checkout", id: "ord_01jd3m2x4y5z6a7b8c9d0e1f2g" },
        redemption_id: null,
        paid_amount: null,
        discount_amount: null,
        payment_method: null,
        payment_ref: null,
        returned_to: null,
        reason: null,
        created_at: "2026-11-23T08:00:00.000Z",
      },
    ],
  },
);

export function serializeActivity(row: ActivityListRow) {
  return {
    id: row.id,
    object: "gift_card_activity" as const,
    card_id: row.card_id,
    card_number: row.card_number,
    plan_id: row.plan_id,
    type: row.type,
    amount: row.amount,
    balance_after: row.balance_after,
    asset: row.asset,
    store_id: row.store_id,
    channel: row.channel,
    operator: { type: row.operator_type, id: row.operator_id, label: row.operator_label ?? null },
    reference: row.reference_id ? { module: row.reference_module, id: row.reference_id } : null,
    redemption_id: row.redemption_id,
    paid_amount: row.paid_amount,
    discount_amount: row.discount_amount,
    payment_method: row.payment_method,
    payment_ref: row.payment_ref,
    returned_to: row.returned_to,
    reason: row.reason,
    created_at: row.created_at.toISOString(),
  };
}

export const BuyerInput = Obj({
  name: Type.Optional(Text(100)),
  phone: Type.Optional(
    Type.String({ maxLength: 21, pattern: "^\\+?[0-9 -]{5,20}$", examples: ["13800138000"] }),
  ),
  email: Type.Optional(Type.String({ format: "email", maxLength: 254 })),
});

export const RecipientInput = Obj({
  name: Type.Optional(Text(100)),
  phone: Type.Optional(Type.String({ maxLength: 21, pattern: "^\\+?[0-9 -]{5,20}$" })),
  message: Type.Optional(Text(500)),
});

export const PaymentInput = Obj({
  method: StringEnum(["offline", "balance"] as const, {
    description: "offline: paid at the till (ref: the receipt); balance: from member_id's balance",
  }),
  ref: Type.Optional(Text(128)),
  member_id: Type.Optional(IdParam),
});

export const AgreementVersions = KeyedRecord(
  { maxLength: 64, pattern: "^[A-Za-z0-9_-]{1,64}$" },
  // Versions are PostgreSQL integers (agreement_versions.version).
  Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  { description: "Agreement id → the version the buyer was shown", maxProperties: 10 },
);

export const ReferenceInput = Obj({
  module: Type.String({ minLength: 1, maxLength: 32, pattern: "^[a-z_]+$" }),
  id: Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_.:-]+$" }),
});
