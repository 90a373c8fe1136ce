import { Type } from "typebox";
import {
  Amount,
  AssetCode,
  IdParam,
  ListQuery,
  Metadata,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../platform/http/schemas.js";
import { DomainError } from "../shared/errors.js";
import { MAX_AMOUNT } from "../shared/money.js";
import { balancesOf } from "./engine.js";
import {
  type Account,
  type AccountResult,
  type Asset,
  MAX_BATCH_TRANSFERS,
  MAX_TIMEOUT_SECONDS,
  type Transfer,
  type TransferResult,
} from "./types.js";

export const TAGS = ["ledger"];
export const ClientId = Type.String({
  maxLength: 64,
  pattern: "^[A-Za-z0-9_-]{1,64}$",
  description: "Client-chosen id: makes the call idempotent",
});
export const TRANSFER_KINDS = ["posted", "pending", "post_pending", "void_pending"] as const;

export const AssetSchema = Type.Object(
  {
    object: Type.Literal("ledger_asset"),
    code: Type.String(),
    scale: Type.Integer(),
    symbol: Nullable(Type.String()),
    name: Type.String(),
    created_at: Timestamp,
  },
  { $id: "LedgerAsset" },
);

export const AccountSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("ledger_account"),
    asset: Type.String(),
    kind: Type.String(),
    owner_module: Nullable(Type.String()),
    owner_id: Nullable(Type.String()),
    debits_must_not_exceed_credits: Type.Boolean(),
    credits_must_not_exceed_debits: Type.Boolean(),
    overdraft_limit: Type.Integer(),
    frozen_debits: Type.Boolean(),
    frozen_credits: Type.Boolean(),
    closed: Type.Boolean(),
    expires_at: Nullable(Timestamp),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    debits_posted: Type.Integer(),
    credits_posted: Type.Integer(),
    debits_pending: Type.Integer(),
    credits_pending: Type.Integer(),
    balance: Type.Integer({ description: "Posted net on the account's normal side" }),
    available: Type.Integer({ description: "Balance minus holds on the limited side" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "LedgerAccount" },
);

export const TransferSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("ledger_transfer"),
    kind: StringEnum(TRANSFER_KINDS),
    debit_account_id: Type.String(),
    credit_account_id: Type.String(),
    amount: Type.Integer(),
    asset: Type.String(),
    code: Type.String(),
    reference_module: Nullable(Type.String()),
    reference_id: Nullable(Type.String()),
    memo: Nullable(Type.String()),
    metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
    pending_id: Nullable(Type.String()),
    timeout_at: Nullable(Timestamp),
    hold_state: Type.Optional(StringEnum(["pending", "posted", "voided"] as const)),
    pending_amount: Type.Optional(
      Type.Integer({
        description:
          "A hold: what is still pending (its amount less the voids of part of it; 0 once resolved)",
      }),
    ),
    created_at: Timestamp,
  },
  { $id: "LedgerTransfer" },
);

export const StatementEntrySchema = Type.Object({
  transfer_id: Type.String(),
  kind: StringEnum(TRANSFER_KINDS),
  direction: StringEnum(["debit", "credit"] as const),
  amount: Type.Integer(),
  posted_change: Type.Integer({ description: "Signed change of the posted balance" }),
  balance: Type.Integer({ description: "Posted balance after this entry" }),
  code: Type.String(),
  reference_module: Nullable(Type.String()),
  reference_id: Nullable(Type.String()),
  memo: Nullable(Type.String()),
  pending_id: Nullable(Type.String()),
  created_at: Timestamp,
});

export const Short = Type.String({ minLength: 1, maxLength: 64 });
export const TransferFields = {
  id: Type.Optional(ClientId),
  debit_account_id: IdParam,
  credit_account_id: IdParam,
  amount: Amount,
  asset: Type.Optional(AssetCode),
  code: Type.Optional(
    Type.String({ maxLength: 64, pattern: "^[a-z][a-z0-9_.]{0,63}$", examples: ["topup"] }),
  ),
  reference_module: Type.Optional(Nullable(Short)),
  reference_id: Type.Optional(Nullable(Short)),
  memo: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  metadata: Type.Optional(Nullable(Metadata)),
  pending: Type.Optional(Type.Boolean({ description: "A hold: reserve now, post or void later" })),
  timeout_seconds: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: MAX_TIMEOUT_SECONDS }))),
};
export const TransferBody = Obj(TransferFields);
export const BatchBody = Obj({
  transfers: Type.Array(
    Obj({
      ...TransferFields,
      linked: Type.Optional(
        Type.Boolean({ description: "Chain with the next item: the chain succeeds or fails as one" }),
      ),
    }),
    { minItems: 1, maxItems: MAX_BATCH_TRANSFERS },
  ),
});
export const BatchResult = Type.Object({
  results: Type.Array(
    Type.Object({
      index: Type.Integer(),
      result: Type.String({ description: "created, exists, or the refusal code" }),
      id: Type.Optional(Type.String()),
    }),
  ),
  created: Type.Integer(),
  failed: Type.Integer(),
});
export const ResolveBody = Obj({
  id: Type.Optional(ClientId),
  amount: Type.Optional(Amount),
  code: Type.Optional(Type.String({ maxLength: 64, pattern: "^[a-z][a-z0-9_.]{0,63}$" })),
  memo: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  metadata: Type.Optional(Nullable(Metadata)),
});
export const VoidBody = Obj({
  id: Type.Optional(ClientId),
  amount: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_AMOUNT,
      examples: [2500],
      description:
        "Void only this much, at most what is still pending; the rest stays pending. Defaults to all of it",
    }),
  ),
  memo: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  metadata: Type.Optional(Nullable(Metadata)),
});
export const TimeFilters = {
  created_gte: Type.Optional(Timestamp),
  created_lt: Type.Optional(Timestamp),
  code: Type.Optional(Short),
  reference_module: Type.Optional(Short),
  reference_id: Type.Optional(Short),
};

export const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function serializeAsset(a: Asset) {
  return { object: "ledger_asset" as const, ...a, created_at: a.created_at.toISOString() };
}

export function serializeAccount(a: Account) {
  const b = balancesOf(a);
  return {
    ...a,
    object: "ledger_account" as const,
    expires_at: iso(a.expires_at),
    balance: b.posted,
    available: b.available,
    created_at: a.created_at.toISOString(),
    updated_at: a.updated_at.toISOString(),
  };
}

export function serializeTransfer(
  t: Transfer,
  hold?: { state: "pending" | "posted" | "voided"; pending: number },
) {
  return {
    id: t.id,
    object: "ledger_transfer" as const,
    kind: t.kind,
    debit_account_id: t.debit_account_id,
    credit_account_id: t.credit_account_id,
    amount: t.amount,
    asset: t.asset,
    code: t.code,
    reference_module: t.reference_module,
    reference_id: t.reference_id,
    memo: t.memo,
    metadata: t.metadata,
    pending_id: t.pending_id,
    timeout_at: iso(t.timeout_at),
    ...(hold ? { hold_state: hold.state, pending_amount: hold.pending } : {}),
    created_at: t.created_at.toISOString(),
  };
}

/** A refused operation answers problem+json with the ledger's own code. */
export function refuse(r: Extract<TransferResult | AccountResult, { ok: false }>): never {
  throw new DomainError(r.code, r.detail);
}

export const date = (s: string | undefined) => (s === undefined ? undefined : new Date(s));

export const AccountParams = Obj({ id: IdParam });

export const AssetBody = Obj({
  code: AssetCode,
  scale: Type.Integer({ minimum: 0, maximum: 8, description: "Minor-unit digits" }),
  symbol: Type.Optional(Nullable(Type.String({ maxLength: 8 }))),
  name: Type.String({ minLength: 1, maxLength: 100 }),
});

export const AccountBody = Obj({
  id: Type.Optional(ClientId),
  asset: AssetCode,
  kind: Type.String({ maxLength: 64, pattern: "^[a-z][a-z0-9_]{0,63}$", examples: ["member_principal"] }),
  owner_module: Type.Optional(Nullable(Short)),
  owner_id: Type.Optional(Nullable(Short)),
  debits_must_not_exceed_credits: Type.Optional(Type.Boolean()),
  credits_must_not_exceed_debits: Type.Optional(Type.Boolean()),
  overdraft_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  expires_at: Type.Optional(Nullable(Timestamp)),
  metadata: Type.Optional(Metadata),
});

export const AccountQuery = Obj({
  ...ListQuery,
  asset: Type.Optional(AssetCode),
  kind: Type.Optional(Short),
  owner_module: Type.Optional(Short),
  owner_id: Type.Optional(Short),
});

export const SidesBody = Type.Optional(
  Obj({
    debits: Type.Optional(Type.Boolean({ default: true })),
    credits: Type.Optional(Type.Boolean({ default: true })),
  }),
);

export const StatementQuery = Obj({ ...ListQuery, ...TimeFilters });

export const Statement = Type.Object({
  object: Type.Literal("list"),
  account: AccountSchema,
  data: Type.Array(StatementEntrySchema),
  has_more: Type.Boolean(),
});

export const TransferQuery = Obj({
  ...ListQuery,
  ...TimeFilters,
  account_id: Type.Optional(IdParam),
  kind: Type.Optional(StringEnum(TRANSFER_KINDS)),
  pending_id: Type.Optional(IdParam),
});

/** Sums over every account of an asset may pass 2^53: exact decimal strings. */
const Sum = Type.String({ pattern: "^-?[0-9]+$", examples: ["1250000"] });

export const TrialRow = Type.Object({
  asset: Type.String(),
  accounts: Type.Integer(),
  debits_posted: Sum,
  credits_posted: Sum,
  debits_pending: Sum,
  credits_pending: Sum,
  balanced: Type.Boolean(),
});

export const TrialBalance = Type.Object({
  object: Type.Literal("trial_balance"),
  assets: Type.Array(TrialRow),
});

export const Verification = Type.Object({
  object: Type.Literal("ledger_verification"),
  ok: Type.Boolean(),
  accounts_checked: Type.Integer(),
  transfers_checked: Type.Integer(),
  differences: Type.Array(
    Type.Object({
      account_id: Type.String(),
      field: Type.String(),
      stored: Nullable(Type.Integer()),
      journal: Type.Union([Type.Integer(), Sum]),
    }),
  ),
  malformed_transfers: Type.Array(Type.String()),
  flag_violations: Type.Array(Type.String()),
  trial_balance: Type.Array(TrialRow),
});
