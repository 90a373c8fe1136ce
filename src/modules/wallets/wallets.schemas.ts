import { Type } from "typebox";
import {
  ProviderRefundFields,
  providerRefundTotals,
  RefundRecordOrNull,
} from "../../platform/http/record-refund.js";
import {
  Amount,
  AssetCode,
  IdParam,
  ListQuery,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import type { LabelledChangeRow } from "./balance-changes.js";
import { MAX_POINTS_PER_OPERATION } from "./change-points.js";
import { SYSTEM_REASON_CODES } from "./change-reasons.js";
import { MAX_DAYS } from "./daily-totals.js";
import { MAX_ORDER_LINES } from "./pay-with-balance.js";
import { PAYMENT_SCENES } from "./payment-providers.js";
import { MAX_POINTS_VALIDITY_DAYS } from "./points-lots.js";
import type { SettingsView } from "./wallet-views.js";
import {
  CHANGE_KINDS,
  INTENT_STATUSES,
  type IntentRow,
  type PaymentRow,
  REWARD_SOURCES,
  type RefundRow,
} from "./wallets.repository.js";

/** The wallets API's request and response schemas and the serializers that fill them. */
export const Note = Type.String({ minLength: 1, maxLength: 500 });
export const ACCOUNTS = ["balance", "points", "referral_points"] as const;
export const Ratio = Type.String({
  maxLength: 14,
  pattern: "^[0-9]{1,9}(\\.[0-9]{1,4})?$",
  description: 'Points per one major unit of the balance asset, an exact decimal ("100": 100 points = 1.00)',
  examples: ["100"],
});

export const Settings = Type.Object(
  {
    object: Type.Literal("wallet_settings"),
    asset: Type.Object({
      code: Type.String(),
      scale: Type.Integer(),
      symbol: Nullable(Type.String()),
      name: Type.String(),
    }),
    spend_order: StringEnum(["bonus_first", "principal_first"] as const),
    hide_balance_in_member_center: Type.Boolean(),
    balance_payment_enabled: Type.Boolean(),
    online_topup_enabled: Type.Boolean(),
    max_single_amount: Type.Integer({
      description: "Cap of one operation, minor units (default 1,000,000.00)",
    }),
    points_per_unit: Type.String(),
    points_validity_days: Nullable(Type.Integer()),
    payment_hold_timeout_seconds: Type.Integer(),
    topup_intent_ttl_seconds: Type.Integer(),
    payment_provider: Type.String(),
  },
  { $id: "WalletSettings" },
);

export const Balance = Type.Object(
  {
    object: Type.Literal("balance"),
    member_id: Type.String(),
    asset: Type.String(),
    principal: Type.Integer(),
    bonus: Type.Integer(),
    total: Type.Integer({ description: "principal + bonus" }),
    held: Type.Integer({ description: "Reserved by pending balance payments" }),
    available: Type.Integer(),
    points: Type.Integer(),
    referral_points: Type.Integer(),
  },
  {
    $id: "MemberBalance",
    examples: [
      {
        object: "balance",
        member_id: "mbr_…",
        asset: "CNY",
        principal: 10000,
        bonus: 500,
        total: 10500,
        held: 0,
        available: 10500,
        points: 120,
        referral_points: 0,
      },
    ],
  },
);

export const Change = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("balance_change"),
    member_id: Type.String(),
    account: StringEnum(ACCOUNTS),
    kind: StringEnum(CHANGE_KINDS),
    asset: Type.String(),
    amount: Type.Integer({ description: "Signed: + in, − out" }),
    principal_delta: Type.Integer(),
    bonus_delta: Type.Integer(),
    balance_after: Type.Integer({
      description: "The account's running balance right after (balance: principal + bonus)",
    }),
    reason: Nullable(Type.String()),
    reason_code: Nullable(
      StringEnum(SYSTEM_REASON_CODES, {
        description:
          "Set when the system made the change: why, as a code to show in the reader's language (`reason` says it in English); null for a person's own reason",
      }),
    ),
    reason_params: Nullable(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
        description: "The values `reason_code`'s sentence names (an order, a top-up and its plan, a ratio)",
      }),
    ),
    note: Nullable(Type.String()),
    source: Nullable(Type.String()),
    source_ref: Nullable(Type.String()),
    order_id: Nullable(Type.String()),
    payment_id: Nullable(Type.String()),
    lots: Nullable(
      Type.Array(Type.Object({ lot_id: Type.String(), kind: Type.String(), amount: Type.Integer() }), {
        description: "Tagged top-up lots this change moved (signed amounts)",
      }),
    ),
    actor_type: Type.String(),
    actor_id: Type.String(),
    actor_label: Nullable(
      Type.String({
        description:
          "Who made the change, by name: a user's email or an API key's name. Null for a member's own changes and the system's, and always null for a member token",
      }),
    ),
    created_at: Timestamp,
  },
  { $id: "BalanceChange" },
);

export const Payment = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("wallet_payment"),
    member_id: Type.String(),
    order_id: Type.String(),
    currency: Type.String(),
    amount_due: Type.Integer(),
    balance_amount: Type.Integer(),
    external_amount: Type.Integer(),
    external_method: StringEnum(["none", "online", "offline"] as const),
    status: StringEnum(["held", "paid", "voided", "expired"] as const),
    principal_amount: Type.Integer(),
    bonus_amount: Type.Integer(),
    refunded_amount: Type.Integer(),
    timeout_at: Nullable(Timestamp),
    lines: Type.Array(Type.Unknown()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "WalletPayment" },
);

export const Refund = Type.Object({
  id: Type.String(),
  object: Type.Literal("wallet_refund"),
  payment_id: Type.String(),
  amount: Type.Integer(),
  principal_amount: Type.Integer(),
  bonus_amount: Type.Integer(),
  reason: Nullable(Type.String()),
  created_at: Timestamp,
});

/**
 * Where the member will pay an online payment, on every route that starts one: the provider
 * makes a different payment for a phone (Alipay mobile-website pay, WeChat Pay H5).
 */
export const PaymentSceneField = StringEnum(PAYMENT_SCENES, {
  description:
    "Where the member pays the online part (default desktop). desktop: Alipay computer-website pay (checkout.pay_url), WeChat Pay Native (checkout.code_url, a QR code to scan with WeChat from the screen). mobile, for a phone's browser: Alipay mobile-website pay (alipay.trade.wap.pay, checkout.pay_url), WeChat Pay H5 (checkout.h5_url, to open in the phone's browser, which hands over to WeChat; the request's client address is sent as the payer's). Stripe's and the test provider's payments are the same for both. Echoed as checkout.payment_scene. Ignored when nothing is paid online.",
});

/**
 * Where a provider's hosted payment page returns the member: with it, Stripe makes a Checkout
 * Session (a page to open) rather than a PaymentIntent (a client secret for Stripe.js).
 */
export const ReturnUrlField = Type.String({
  format: "uri",
  pattern: "^https?://",
  maxLength: 2048,
  description:
    "The page a provider's hosted payment page sends the member back to (an absolute http(s) URL; the member center sends its own page). Stripe: given, the payment is a Checkout Session in payment mode and checkout holds pay_url (the session's page, to open; no Stripe.js needed) and checkout_session_id, returning here paid or cancelled; absent, a PaymentIntent as before (checkout.client_secret, paid with Stripe.js). Alipay: its signed return_url, where its cashier sends the member once paid. WeChat Pay: on a phone (H5), appended to checkout.h5_url as redirect_url; a Native QR code has no way back. Ignored by the test provider and when nothing is paid online; only the provider's notification settles a sale.",
});

/** What `checkout` holds, wherever a payment created at the provider is shown. */
export const CHECKOUT_DESCRIPTION =
  "What the member's client needs to pay, as the provider answered: pay_url (Alipay, the test provider, Stripe Checkout with checkout_session_id), code_url (WeChat Pay desktop), h5_url (WeChat Pay mobile), client_secret (Stripe without return_url); payment_scene, desktop or mobile, the scene it was made for (absent on payments created before scenes existed: desktop)";

export const Intent = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("topup_intent"),
    member_id: Type.String(),
    asset: Type.String(),
    amount: Type.Integer(),
    provider: Type.String(),
    status: StringEnum(INTENT_STATUSES),
    checkout: Type.Record(Type.String(), Type.Unknown(), { description: CHECKOUT_DESCRIPTION }),
    expires_at: Timestamp,
    completed_at: Nullable(Timestamp),
    refund_record: RefundRecordOrNull,
    ...ProviderRefundFields,
    refund_taken_back: Type.Integer({
      minimum: 0,
      description:
        "Of a credited intent's provider refunds, what was taken back out of the member's balance (minor units; 0 when none)",
    }),
    refund_shortfall: Type.Integer({
      minimum: 0,
      description:
        "Of a credited intent's provider refunds, what the member had already spent and so could not be taken back: refunded at the provider, still in the member's hands, for an operator to settle (minor units; 0 when none). The balance never goes below zero",
    }),
    created_at: Timestamp,
  },
  { $id: "TopupIntent" },
);

export const OperationResult = Type.Object({
  object: Type.Literal("balance_operation"),
  change_id: Type.String(),
  balance: Balance,
});

export function serializeChange(r: LabelledChangeRow) {
  return {
    object: "balance_change" as const,
    ...r,
    actor_label: r.actor_label ?? null,
    tenant_id: undefined,
    created_at: r.created_at.toISOString(),
  };
}

export function serializePayment(p: PaymentRow, refunded: number) {
  return {
    id: p.id,
    object: "wallet_payment" as const,
    member_id: p.member_id,
    order_id: p.order_id,
    currency: p.currency,
    amount_due: p.amount_due,
    balance_amount: p.balance_amount,
    external_amount: p.external_amount,
    external_method: p.external_method,
    status: p.status,
    principal_amount: p.principal_amount,
    bonus_amount: p.bonus_amount,
    refunded_amount: refunded,
    timeout_at: p.timeout_at ? p.timeout_at.toISOString() : null,
    lines: p.lines,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
  };
}

export function serializeIntent(i: IntentRow) {
  return {
    id: i.id,
    object: "topup_intent" as const,
    member_id: i.member_id,
    asset: i.asset,
    amount: i.amount,
    provider: i.provider,
    status: i.status,
    checkout: i.checkout,
    expires_at: i.expires_at.toISOString(),
    completed_at: i.completed_at ? i.completed_at.toISOString() : null,
    refund_record: i.refund_record,
    ...providerRefundTotals(i.provider_refunds),
    refund_taken_back: i.provider_refunds?.taken_principal ?? 0,
    refund_shortfall: i.provider_refunds?.shortfall ?? 0,
    created_at: i.created_at.toISOString(),
  };
}

/** The member balance: settings, top-ups, withdrawals, rewards, points, payments, change log, totals. */

export function serializeRefund(r: RefundRow) {
  return {
    id: r.id,
    object: "wallet_refund" as const,
    payment_id: r.payment_id,
    amount: r.amount,
    principal_amount: r.principal_amount,
    bonus_amount: r.bonus_amount,
    reason: r.reason,
    created_at: r.created_at.toISOString(),
  };
}

export function serializeSettings({ settings: s, asset }: SettingsView) {
  return {
    object: "wallet_settings" as const,
    asset: { code: asset.code, scale: asset.scale, symbol: asset.symbol, name: asset.name },
    spend_order: s.spend_order,
    hide_balance_in_member_center: s.hide_balance_in_member_center,
    balance_payment_enabled: s.balance_payment_enabled,
    online_topup_enabled: s.online_topup_enabled,
    max_single_amount: s.max_single_amount,
    points_per_unit: s.points_per_unit,
    points_validity_days: s.points_validity_days,
    payment_hold_timeout_seconds: s.payment_hold_timeout_seconds,
    topup_intent_ttl_seconds: s.topup_intent_ttl_seconds,
    payment_provider: s.payment_provider,
  };
}

export const MemberParams = Obj({ id: IdParam });
export const IdParams = Obj({ id: IdParam });

export const SettingsPatch = Obj(
  {
    asset: Type.Optional(
      Obj(
        {
          code: AssetCode,
          scale: Type.Integer({ minimum: 0, maximum: 8 }),
          symbol: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 8 }))),
          name: Type.String({ minLength: 1, maxLength: 64 }),
        },
        { description: "An ISO currency, or the tenant's own (e.g. GOLD with symbol ★)" },
      ),
    ),
    spend_order: Type.Optional(StringEnum(["bonus_first", "principal_first"] as const)),
    hide_balance_in_member_center: Type.Optional(Type.Boolean()),
    balance_payment_enabled: Type.Optional(Type.Boolean()),
    online_topup_enabled: Type.Optional(Type.Boolean()),
    max_single_amount: Type.Optional(Amount),
    points_per_unit: Type.Optional(Ratio),
    points_validity_days: Type.Optional(
      Nullable(Type.Integer({ minimum: 1, maximum: MAX_POINTS_VALIDITY_DAYS })),
    ),
    payment_hold_timeout_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 604_800 })),
    topup_intent_ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
    payment_provider: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { minProperties: 1 },
);

export const TopUpBody = Obj(
  {
    amount: Amount,
    bonus_amount: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_AMOUNT,
        description: "Credited to bonus",
      }),
    ),
    reason: Type.Optional(Note),
    note: Type.Optional(Note),
  },
  { examples: [{ amount: 10000, bonus_amount: 500, reason: "Cash at front desk" }] },
);

export const WithdrawalBody = Obj({ amount: Amount, reason: Type.Optional(Note), note: Type.Optional(Note) });

export const RewardBody = Obj({
  account: StringEnum(ACCOUNTS),
  amount: Amount,
  source: StringEnum(REWARD_SOURCES),
  source_ref: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, description: "e.g. the form submission id" }),
  ),
  note: Type.Optional(Note),
});

export const RewardTotals = Type.Object({
  object: Type.Literal("reward_totals"),
  member_id: Type.String(),
  data: Type.Array(
    Type.Object({
      account: Type.String(),
      source: Type.String(),
      asset: Type.String(),
      total: Type.Integer(),
      count: Type.Integer(),
    }),
  ),
});

export const PointsBody = Obj({
  operation: StringEnum(["earn", "spend", "adjust"] as const),
  kind: Type.Optional(StringEnum(["points", "referral_points"] as const)),
  points: Type.Integer({
    minimum: -MAX_POINTS_PER_OPERATION,
    maximum: MAX_POINTS_PER_OPERATION,
    description: "Positive; adjust may be negative",
  }),
  reason: Type.Optional(Note),
  reference: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});

export const ExchangeBody = Obj(
  {
    from: StringEnum(["points", "referral_points"] as const),
    points: Type.Integer({ minimum: 1, maximum: MAX_POINTS_PER_OPERATION }),
    points_per_unit: Type.Optional(Ratio),
    note: Type.Optional(Note),
  },
  { examples: [{ from: "points", points: 1500, points_per_unit: "100" }] },
);

export const ExchangeResult = Type.Object({
  ...OperationResult.properties,
  credited: Type.Integer(),
  points_per_unit: Type.String(),
});

export const PaymentBody = Obj(
  {
    member_id: IdParam,
    order_id: Type.String({ minLength: 1, maxLength: 128 }),
    currency: AssetCode,
    lines: Type.Array(
      Obj({
        sku: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        name: Type.String({ minLength: 1, maxLength: 200 }),
        quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
        unit_amount: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT }),
      }),
      { maxItems: MAX_ORDER_LINES },
    ),
    amount_due: Amount,
    balance_amount: Type.Optional(Amount),
    external_method: StringEnum(["none", "online", "offline"] as const),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 604_800 })),
  },
  {
    examples: [
      {
        member_id: "mbr_…",
        order_id: "SO-1001",
        currency: "CNY",
        lines: [{ name: "Latte", quantity: 2, unit_amount: 1800 }],
        amount_due: 3600,
        balance_amount: 2000,
        external_method: "online",
      },
    ],
  },
);

export const PaymentQuery = Obj({
  ...ListQuery,
  member_id: Type.Optional(IdParam),
  order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  status: Type.Optional(StringEnum(["held", "paid", "voided", "expired"] as const)),
});

export const TopUpIntentBody = Obj({
  amount: Amount,
  payment_scene: Type.Optional(PaymentSceneField),
  return_url: Type.Optional(ReturnUrlField),
});

export const RefundBody = Obj({ amount: Amount, reason: Type.Optional(Note) });

export const WebhookParams = Obj({ provider: IdParam, tenant_id: IdParam });
export const WebhookReceipt = Type.Object({
  object: Type.Literal("webhook_receipt"),
  intent_id: Type.Union([Type.String(), Type.Null()], {
    description:
      "null for a notice of a payment that is no top-up intent here (refund_ignored, payment_ignored)",
  }),
  result: StringEnum([
    "credited",
    "failed",
    "expired",
    "refund_due",
    "refund_recorded",
    "refund_ignored",
    "payment_ignored",
    "already_settled",
  ] as const),
});

const ChangeFilters = {
  account: Type.Optional(StringEnum(ACCOUNTS)),
  kind: Type.Optional(Type.Array(StringEnum(CHANGE_KINDS), { maxItems: CHANGE_KINDS.length })),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  source: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
};
export const ChangeQuery = Obj({ ...ListQuery, ...ChangeFilters });
export const ChangeExportQuery = Obj({ format: StringEnum(["csv", "xlsx"] as const), ...ChangeFilters });

export const Totals = Type.Object({
  object: Type.Literal("wallet_totals"),
  asset: Type.String(),
  timezone: Type.String(),
  today: Type.Object({ from: Timestamp, to: Timestamp }),
  total_balance: Type.Integer(),
  total_consumption: Type.Integer(),
  today_increase: Type.Integer(),
  today_consumption: Type.Integer(),
});

export const DailyTotalsQuery = Obj({
  days: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_DAYS,
      default: 30,
      description: "Calendar days, today included",
    }),
  ),
});

export const DailyTotals = Type.Object({
  object: Type.Literal("wallet_daily_totals"),
  asset: Type.String(),
  timezone: Type.String(),
  data: Type.Array(
    Type.Object({
      date: Type.String({ description: "The tenant's calendar day", examples: ["2026-11-23"] }),
      topups: Type.Integer(),
      consumption: Type.Integer(),
      closing_balance: Type.Integer(),
    }),
  ),
});
