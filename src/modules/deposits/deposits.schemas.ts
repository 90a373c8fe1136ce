import { Type } from "typebox";
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
import {
  ACCOUNT_STATUSES,
  BANK_RECORD_STATUSES,
  type BankRecordRow,
  CAMPAIGN_STATUSES,
  type CampaignRow,
  ENTRY_TYPES,
  type OrderWithAmounts,
  type SettingsRow,
  TOPUP_STATUSES,
  type TopupRow,
} from "./deposits.repository.js";

export const iso = (d: Date | null) => (d ? d.toISOString() : null);
export const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
export const Email = Type.String({ format: "email", maxLength: 254 });
export const Phone = Type.String({ maxLength: 21, pattern: "^\\+?[0-9]{6,20}$", examples: ["13800138000"] });
export const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
export const NonNegative = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const AccountParams = Obj({ id: IdParam });
export const OrderParams = Obj({ id: IdParam, order_id: IdParam });

export const ReceivingAccount = Type.Object({
  company_name: Type.Optional(Type.String()),
  bank_name: Type.Optional(Type.String()),
  branch: Type.Optional(Type.String()),
  account_number: Type.Optional(Type.String()),
});

export const Settings = Type.Object(
  {
    object: Type.Literal("deposit_settings"),
    asset: Type.String(),
    min_topup_amount: Type.Integer({
      description: "Smallest top-up, minor units (default 300000 = 3,000.00)",
    }),
    suspension_threshold: Type.Integer({
      description: "Platform-wide breaker threshold (default 100000 = 1,000.00)",
    }),
    invoice_min_net_amount: Type.Integer({
      description:
        "An invoice request's net amount must be greater than this (default 10000 = 100.00: exactly 100.00 is refused)",
    }),
    invoice_wait_days: Type.Integer({ description: "Days after settlement before it can be invoiced (15)" }),
    tax_rate_bps: Type.Integer(),
    receiving_account: ReceivingAccount,
    updated_at: Timestamp,
  },
  { $id: "DepositSettings" },
);

export const serializeSettings = (s: SettingsRow) => ({
  object: "deposit_settings" as const,
  asset: s.asset,
  min_topup_amount: s.min_topup_amount,
  suspension_threshold: s.suspension_threshold,
  invoice_min_net_amount: s.invoice_min_net_amount,
  invoice_wait_days: s.invoice_wait_days,
  tax_rate_bps: s.tax_rate_bps,
  receiving_account: s.receiving_account,
  updated_at: s.updated_at.toISOString(),
});

export const BankBinding = Type.Object(
  {
    object: Type.Literal("deposit_bank_binding"),
    merchant_id: Type.String(),
    company_name: Type.String(),
    bank_name: Type.String(),
    branch: Type.String(),
    account_number: Type.String(),
    status: StringEnum(["effective", "ineffective"] as const),
    updated_at: Timestamp,
  },
  { $id: "DepositBankBinding" },
);

export const DepositAccount = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_account"),
    merchant_id: Type.String(),
    status: StringEnum(ACCOUNT_STATUSES),
    asset: Type.String(),
    available: Type.Integer({ description: "Spendable now (minor units)" }),
    frozen: Type.Integer({ description: "Held for open orders' campaign costs (冻结)" }),
    withdrawal_held: Type.Integer({
      description: "Held for withdrawals in progress (requested, approved or failed payouts)",
    }),
    arrears: Type.Integer({ description: "Owed to the platform (pending payment)" }),
    balance: Type.Integer({ description: "available + frozen + withdrawal_held" }),
    total_topped_up: Type.Integer(),
    total_settled: Type.Integer(),
    total_withdrawn: Type.Integer(),
    warning_value: NullableInt,
    warning_emails: Type.Array(Type.String()),
    warning_phones: Type.Array(Type.String()),
    suspension_threshold: Type.Integer({
      description:
        "The amount the circuit breaker uses: the merchant's own amount, never below suspension_threshold_minimum",
    }),
    suspension_threshold_minimum: Type.Integer({
      description:
        "The lowest amount the merchant may set: finance's threshold_override, else the platform's (1,000.00 by default)",
    }),
    merchant_threshold: Type.Union([
      Type.Integer({ description: "The merchant's own suspension amount (null: the minimum applies)" }),
      Type.Null(),
    ]),
    threshold_override: Type.Union([
      Type.Integer({
        description: "Set by finance for this merchant: the minimum, below or above the platform's",
      }),
      Type.Null(),
    ]),
    campaigns_suspended: Type.Boolean({ description: "The circuit breaker holds the merchant's campaigns" }),
    ledger_account_id: Type.String(),
    activated_at: Nullable(Timestamp),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  {
    $id: "DepositAccount",
    examples: [
      {
        id: "dpa_01jd8x1m2k3n4p5q6r7s8t9v0w",
        object: "deposit_account",
        merchant_id: "org_01jd8x0a1b2c3d4e5f6g7h8j9k",
        status: "active",
        asset: "CNY",
        available: 150000,
        frozen: 50000,
        withdrawal_held: 100000,
        arrears: 0,
        balance: 300000,
        total_topped_up: 300000,
        total_settled: 0,
        total_withdrawn: 0,
        warning_value: 400000,
        warning_emails: ["ops@merchant.example"],
        warning_phones: ["13800138000"],
        suspension_threshold: 150000,
        suspension_threshold_minimum: 100000,
        merchant_threshold: 150000,
        threshold_override: null,
        campaigns_suspended: false,
        ledger_account_id: "dep_dpa_01jd8x1m2k3n4p5q6r7s8t9v0w",
        activated_at: "2026-11-23T08:00:00.000Z",
        created_at: "2026-11-23T07:50:00.000Z",
        updated_at: "2026-11-23T09:00:00.000Z",
      },
    ],
  },
);

export const Topup = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_topup"),
    account_id: Type.String(),
    amount: Type.Integer(),
    reference: Type.String({ description: "Quote it on the wire transfer (optional tie-breaker)" }),
    status: StringEnum(TOPUP_STATUSES),
    arrears_repaid: Type.Integer(),
    bank_record_id: Nullable(Type.String()),
    receiving_account: Type.Optional(ReceivingAccount),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
  },
  { $id: "DepositTopup" },
);
export const serializeTopup = (t: TopupRow) => ({
  id: t.id,
  object: "deposit_topup" as const,
  account_id: t.account_id,
  amount: t.amount,
  reference: t.reference,
  status: t.status,
  arrears_repaid: t.arrears_repaid,
  bank_record_id: t.bank_record_id,
  created_at: t.created_at.toISOString(),
  completed_at: iso(t.completed_at),
});

export const BankRecord = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_bank_record"),
    bank_transaction_id: Type.String(),
    payer_name: Type.String(),
    amount: Type.Integer(),
    asset: Type.String(),
    reference: Nullable(Type.String()),
    status: StringEnum(BANK_RECORD_STATUSES),
    reason: Nullable(
      Type.String({
        description:
          "Why it is unmatched: name_mismatch, name_ambiguous (more than one merchant bears the name), no_application_with_amount, asset_mismatch",
      }),
    ),
    topup_id: Nullable(Type.String()),
    duplicate: Type.Optional(
      Type.Boolean({ description: "This bank transaction arrived before; nothing was credited again" }),
    ),
    received_at: Timestamp,
    created_at: Timestamp,
  },
  { $id: "DepositBankRecord" },
);
export const serializeRecord = (r: BankRecordRow, duplicate?: boolean) => ({
  id: r.id,
  object: "deposit_bank_record" as const,
  bank_transaction_id: r.bank_transaction_id,
  payer_name: r.payer_name,
  amount: r.amount,
  asset: r.asset,
  reference: r.reference,
  status: r.status,
  reason: r.reason,
  topup_id: r.topup_id,
  ...(duplicate === undefined ? {} : { duplicate }),
  received_at: r.received_at.toISOString(),
  created_at: r.created_at.toISOString(),
});

export const Campaign = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_campaign"),
    account_id: Type.String(),
    merchant_id: Type.String(),
    name: Type.String(),
    starts_at: Timestamp,
    ends_at: Timestamp,
    status: StringEnum(CAMPAIGN_STATUSES),
    suspended_by_breaker: Type.Boolean(),
    started_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { $id: "DepositCampaign" },
);
export const serializeCampaign = (c: CampaignRow) => ({
  id: c.id,
  object: "deposit_campaign" as const,
  account_id: c.account_id,
  merchant_id: c.merchant_id,
  name: c.name,
  starts_at: c.starts_at.toISOString(),
  ends_at: c.ends_at.toISOString(),
  status: c.status,
  suspended_by_breaker: c.suspended_by_breaker,
  started_at: iso(c.started_at),
  created_at: c.created_at.toISOString(),
});

export const OrderCost = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_order_cost"),
    account_id: Type.String(),
    order_id: Type.String(),
    campaign_id: Nullable(Type.String()),
    cost: Type.Integer(),
    frozen: Type.Integer(),
    arrears: Type.Integer({ description: "Part of the cost not covered by available, owed to the platform" }),
    released: Type.Integer(),
    settled: Type.Integer(),
    refunded: Type.Integer(),
    status: StringEnum(["frozen", "settled", "released"] as const),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "DepositOrderCost" },
);
export const serializeOrder = (o: OrderWithAmounts) => ({
  id: o.id,
  object: "deposit_order_cost" as const,
  account_id: o.account_id,
  order_id: o.order_id,
  campaign_id: o.campaign_id,
  cost: o.cost,
  frozen: o.frozen,
  arrears: o.arrears,
  released: o.released,
  settled: o.settled,
  refunded: o.refunded,
  status: o.status,
  created_at: o.created_at.toISOString(),
  updated_at: o.updated_at.toISOString(),
});
export const FreezeAnswer = Type.Object({
  outcome: StringEnum(["frozen", "replayed", "manual"] as const, {
    description: "manual: the account could not take the cost; it waits in the manual-handling list",
  }),
  order: Type.Union([OrderCost, Type.Null()]),
  manual_item_id: Nullable(Type.String()),
  reason: Nullable(Type.String()),
});

export const serializeBinding = (row: {
  merchant_id: string;
  company_name: string;
  bank_name: string;
  branch: string;
  account_number: string;
  status: "effective" | "ineffective";
  updated_at: Date;
}) => ({
  object: "deposit_bank_binding" as const,
  merchant_id: row.merchant_id,
  company_name: row.company_name,
  bank_name: row.bank_name,
  branch: row.branch,
  account_number: row.account_number,
  status: row.status,
  updated_at: row.updated_at.toISOString(),
});

const BankAccountFields = {
  company_name: Text(200),
  bank_name: Text(200),
  branch: Text(200),
  account_number: Type.String({ maxLength: 40, pattern: "^[0-9 -]{4,40}$" }),
};

export const SettingsPatch = Obj(
  {
    min_topup_amount: Type.Optional(Amount),
    suspension_threshold: Type.Optional(NonNegative),
    invoice_min_net_amount: Type.Optional(Amount),
    tax_rate_bps: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
    receiving_account: Type.Optional(Obj(BankAccountFields)),
  },
  { minProperties: 1 },
);

export const BankBindingBody = Obj({
  ...BankAccountFields,
  status: Type.Optional(StringEnum(["effective", "ineffective"] as const, { default: "effective" })),
});

export const AccountQuery = Obj({
  ...ListQuery,
  status: Type.Optional(StringEnum(ACCOUNT_STATUSES)),
  merchant_id: Type.Optional(IdParam),
});

export const WarningBody = Obj(
  {
    warning_value: NonNegative,
    emails: Type.Array(Email, { maxItems: 10 }),
    phones: Type.Array(Phone, { maxItems: 10 }),
    suspension_threshold: Type.Optional(
      Type.Union([NonNegative, Type.Null()], {
        description:
          "The merchant's own suspension amount (at least suspension_threshold_minimum); null: the platform's; absent: unchanged",
      }),
    ),
  },
  {
    examples: [
      {
        warning_value: 500000,
        emails: ["ops@merchant.example"],
        phones: ["13800138000"],
        suspension_threshold: 150000,
      },
    ],
  },
);

export const AccountPatch = Obj(
  {
    status: Type.Optional(StringEnum(["abnormal", "active", "closed"] as const)),
    suspension_threshold: Type.Optional(Type.Union([NonNegative, Type.Null()])),
  },
  { minProperties: 1 },
);

/** A bank record's text bounds, for the API body and each bank statement row alike. */
export const BANK_RECORD_MAX_LENGTH = { payer_name: 200, payer_account: 64, reference: 200 } as const;

export const BankRecordIn = Obj({
  bank_transaction_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
  payer_name: Text(BANK_RECORD_MAX_LENGTH.payer_name),
  payer_account: Type.Optional(Type.String({ maxLength: BANK_RECORD_MAX_LENGTH.payer_account })),
  amount: Amount,
  asset: AssetCode,
  reference: Type.Optional(Type.String({ maxLength: BANK_RECORD_MAX_LENGTH.reference })),
  received_at: Timestamp,
});

export const CampaignQuery = Obj({
  ...ListQuery,
  merchant_id: Type.Optional(IdParam),
  status: Type.Optional(StringEnum(CAMPAIGN_STATUSES)),
});

export const EntryQuery = Obj({
  ...ListQuery,
  type: Type.Optional(StringEnum(ENTRY_TYPES)),
  order_id: Type.Optional(IdParam),
  campaign_id: Type.Optional(IdParam),
  created_gte: Type.Optional(Timestamp),
  created_lt: Type.Optional(Timestamp),
});

export const ManualItem = Type.Object({
  id: Type.String(),
  object: Type.Literal("deposit_manual_item"),
  account_id: Nullable(Type.String()),
  kind: Type.String(),
  reference_id: Nullable(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  created_at: Timestamp,
});

export const serializeManualItem = (m: {
  id: string;
  account_id: string | null;
  kind: string;
  reference_id: string | null;
  detail: Record<string, unknown>;
  status: string;
  created_at: Date;
}) => ({
  id: m.id,
  object: "deposit_manual_item" as const,
  account_id: m.account_id,
  kind: m.kind,
  reference_id: m.reference_id,
  detail: m.detail,
  status: m.status,
  created_at: m.created_at.toISOString(),
});

/** What a freeze answers: the order's cost, or the manual-handling item it became. */
export const serializeFreeze = (
  result:
    | { outcome: "frozen" | "replayed"; order: OrderWithAmounts }
    | { outcome: "manual"; manualItemId: string; reason: string },
) =>
  result.outcome === "manual"
    ? { outcome: result.outcome, order: null, manual_item_id: result.manualItemId, reason: result.reason }
    : { outcome: result.outcome, order: serializeOrder(result.order), manual_item_id: null, reason: null };
