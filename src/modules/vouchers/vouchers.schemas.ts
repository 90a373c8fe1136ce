import { Type } from "typebox";
import {
  Amount,
  AssetCode,
  IdParam,
  ListQuery,
  Money,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { MAX_BILL_LINES } from "./deduct-bill.js";
import { MAX_ISSUE_RECIPIENTS } from "./issue-vouchers.js";
import type { VoucherListRow } from "./list-vouchers.js";
import type { RefundResult } from "./refund-bill.js";
import type { TemplatePatch } from "./update-template.js";
import { MAX_PRODUCT_CODES, MAX_VALID_DAYS } from "./voucher-rules.js";
import { serializeVoucherTerms, VoucherTerms } from "./voucher-view.js";
import {
  PURPOSES,
  SCOPE_KINDS,
  TEMPLATE_STATUSES,
  type TemplateRow,
  VALIDITY_KINDS,
  VOUCHER_PURPOSES,
  VOUCHER_STATUSES,
} from "./vouchers.repository.js";

export const ProductCode = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });
export const DateOnly = Type.String({ maxLength: 10, format: "date", examples: ["2026-12-31"] });
export const NonNegativeAmount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const ValidityIn = Obj(
  {
    kind: StringEnum(VALIDITY_KINDS, {
      description: "fixed: calendar dates (inclusive, tenant time zone); relative: N days from issue",
    }),
    valid_from: Type.Optional(DateOnly),
    valid_until: Type.Optional(DateOnly),
    valid_days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_VALID_DAYS })),
  },
  { description: "Validity of the vouchers issued from the template" },
);
export const ScopeIn = Obj({
  kind: StringEnum(SCOPE_KINDS, {
    description: "all products / only the listed products (allow) / all but the listed products (deny)",
  }),
  product_codes: Type.Optional(Type.Array(ProductCode, { maxItems: MAX_PRODUCT_CODES, uniqueItems: true })),
});

export const Validity = Type.Object({
  kind: StringEnum(VALIDITY_KINDS),
  valid_from: Type.Union([Type.String(), Type.Null()]),
  valid_until: Type.Union([Type.String(), Type.Null()]),
  valid_days: Type.Union([Type.Integer(), Type.Null()]),
});
export const Scope = Type.Object({ kind: StringEnum(SCOPE_KINDS), product_codes: Type.Array(Type.String()) });

export const VoucherTemplate = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("voucher_template"),
    owner_id: Type.String({ description: "The reseller (customer_discount) or distributor (product_trial)" }),
    name: Type.String(),
    purpose: StringEnum(PURPOSES),
    face_value: Type.Object({ amount: Type.Integer(), asset: Type.String() }),
    validity: Validity,
    scope: Scope,
    min_bill_amount: Type.Integer({ description: "A bill below this total is not offset (0: no minimum)" }),
    note: Type.Union([Type.String(), Type.Null()]),
    status: StringEnum(TEMPLATE_STATUSES),
    in_use: Type.Boolean({ description: "Vouchers have been issued from it: it can no longer be edited" }),
    issued_count: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "VoucherTemplate" },
);

export function serializeTemplate(row: TemplateRow) {
  return {
    id: row.id,
    object: "voucher_template" as const,
    owner_id: row.owner_id,
    name: row.name,
    purpose: row.purpose as (typeof PURPOSES)[number],
    face_value: { amount: row.face_amount, asset: row.asset },
    validity: {
      kind: row.validity_kind,
      valid_from: row.valid_from,
      valid_until: row.valid_until,
      valid_days: row.valid_days,
    },
    scope: { kind: row.scope_kind, product_codes: row.product_codes },
    min_bill_amount: row.min_bill_amount,
    note: row.note,
    status: row.status,
    in_use: row.issued_count > 0,
    issued_count: row.issued_count,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export interface ValidityBody {
  kind: "fixed" | "relative";
  valid_from?: string;
  valid_until?: string;
  valid_days?: number;
}
export interface ScopeBody {
  kind: "all" | "allow" | "deny";
  product_codes?: string[];
}

export const validityOf = (v: ValidityBody) => ({
  kind: v.kind,
  validFrom: v.valid_from ?? null,
  validUntil: v.valid_until ?? null,
  validDays: v.valid_days ?? null,
});
export const scopeOf = (s: ScopeBody) => ({ kind: s.kind, productCodes: s.product_codes ?? [] });

export const Quota = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("voucher_quota"),
    reseller_id: Type.String(),
    distributor_id: Type.String(),
    asset: Type.String(),
    allocated: Type.Integer({ description: "Sum of all raises and lowerings" }),
    available: Type.Integer({
      description: "What the reseller can still issue (the quota account's balance)",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "VoucherQuota" },
);

export const QuotaChange = Type.Object({
  id: Type.String(),
  object: Type.Literal("voucher_quota_change"),
  quota_id: Type.String(),
  delta: Type.Integer(),
  reason: Type.String(),
  actor_type: Type.String(),
  actor_id: Type.String(),
  actor_label: Nullable(
    Type.String({ description: "Who made the change, by name: a user's email or an API key's name" }),
  ),
  created_at: Timestamp,
});

export const Voucher = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("voucher"),
    purpose: StringEnum(VOUCHER_PURPOSES),
    customer_id: Type.String(),
    issuer_id: Type.String(),
    template_id: Type.Union([Type.String(), Type.Null()]),
    ...VoucherTerms,
  },
  { $id: "Voucher" },
);

export function serializeVoucher(row: VoucherListRow) {
  return {
    id: row.id,
    object: "voucher" as const,
    purpose: row.purpose,
    customer_id: row.customer_id,
    issuer_id: row.issuer_id,
    template_id: row.template_id,
    ...serializeVoucherTerms(row),
  };
}

export const Refund = Type.Object({
  object: Type.Literal("voucher_bill_refund"),
  id: Type.String(),
  refund_id: Type.String(),
  bill_id: Type.String(),
  returned_amount: Type.Integer(),
  returns: Type.Array(
    Type.Object({
      voucher_id: Type.String(),
      line_index: Type.Integer(),
      amount: Type.Integer(),
      returned_to: StringEnum(["voucher", "source"] as const, {
        description: "voucher: back into the voucher; source: the voucher had expired or was withdrawn",
      }),
    }),
  ),
  created_at: Timestamp,
});

export function serializeRefund(refund: RefundResult) {
  return {
    object: "voucher_bill_refund" as const,
    id: refund.refundRef,
    refund_id: refund.refundId,
    bill_id: refund.billId,
    returned_amount: refund.returnedAmount,
    returns: refund.returns.map((r) => ({
      voucher_id: r.voucherId,
      line_index: r.lineIndex,
      amount: r.amount,
      returned_to: r.returnedTo,
    })),
    created_at: refund.createdAt.toISOString(),
  };
}

export const Usage = Type.Object({
  id: Type.String(),
  object: Type.Literal("voucher_usage"),
  voucher_id: Type.String(),
  kind: StringEnum(["deduction", "refund"] as const),
  bill_id: Type.String(),
  line_index: Type.Integer(),
  product_code: Type.String(),
  amount: Type.Integer(),
  returned_to: Type.Union([StringEnum(["voucher", "source"] as const), Type.Null()]),
  created_at: Timestamp,
});

export const VoucherFilterQuery = {
  status: Type.Optional(StringEnum(VOUCHER_STATUSES)),
  customer_id: Type.Optional(IdParam),
  template_id: Type.Optional(IdParam),
  issuer_id: Type.Optional(IdParam),
  purpose: Type.Optional(StringEnum(VOUCHER_PURPOSES)),
  // A face amount is a ledger amount: bounded as one, so no filter reaches the database past bigint.
  face_amount: Type.Optional(Amount),
  issued_from: Type.Optional(Timestamp),
  issued_to: Type.Optional(Timestamp),
  expires_from: Type.Optional(Timestamp),
  expires_to: Type.Optional(Timestamp),
};

export const VOUCHER_EXPORT_COLUMNS = [
  "voucher_id",
  "purpose",
  "status",
  "face_amount",
  "balance",
  "asset",
  "customer_id",
  "template_id",
  "issued_at",
  "expires_at",
];
export const USAGE_EXPORT_COLUMNS = [
  "time",
  "kind",
  "bill_id",
  "line",
  "product_code",
  "amount",
  "asset",
  "returned_to",
];

export const IdParams = Obj({ id: IdParam });
const TemplateName = Type.String({ minLength: 1, maxLength: 100 });

export const TemplateBody = Obj({
  owner_id: Type.Optional(IdParam),
  name: TemplateName,
  purpose: Type.Optional(StringEnum(PURPOSES, { default: "customer_discount" })),
  face_value: Money,
  validity: ValidityIn,
  scope: ScopeIn,
  min_bill_amount: Type.Optional(NonNegativeAmount),
  note: Type.Optional(Type.String({ maxLength: 500 })),
});

export const TemplateQuery = Obj({
  ...ListQuery,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "Contains, any case" })),
  purpose: Type.Optional(StringEnum(PURPOSES)),
  scope_kind: Type.Optional(StringEnum(SCOPE_KINDS)),
  status: Type.Optional(StringEnum(TEMPLATE_STATUSES)),
  in_use: Type.Optional(Type.Boolean()),
  owner_id: Type.Optional(IdParam),
  created_from: Type.Optional(Timestamp),
  created_to: Type.Optional(Timestamp),
});

export const TemplatePatchBody = Obj(
  {
    name: Type.Optional(TemplateName),
    face_value: Type.Optional(Money),
    validity: Type.Optional(ValidityIn),
    scope: Type.Optional(ScopeIn),
    min_bill_amount: Type.Optional(NonNegativeAmount),
    note: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  },
  { minProperties: 1 },
);

/** The edit a PATCH asks for: only the fields it names. */
export function templatePatchOf(body: {
  name?: string;
  face_value?: { amount: number; asset: string };
  validity?: ValidityBody;
  scope?: ScopeBody;
  min_bill_amount?: number;
  note?: string | null;
}): TemplatePatch {
  const patch: TemplatePatch = {};
  if (body.name !== undefined) patch.name = body.name;
  if (body.face_value !== undefined) {
    patch.faceAmount = body.face_value.amount;
    patch.asset = body.face_value.asset;
  }
  if (body.validity !== undefined) patch.validity = validityOf(body.validity);
  if (body.scope !== undefined) patch.scope = scopeOf(body.scope);
  if (body.min_bill_amount !== undefined) patch.minBillAmount = body.min_bill_amount;
  if (body.note !== undefined) patch.note = body.note;
  return patch;
}

export const CopyBody = Type.Optional(Obj({ name: Type.Optional(TemplateName) }));

export const QuotaAdjustmentBody = Obj({
  reseller_id: IdParam,
  asset: AssetCode,
  delta: Type.Integer({
    minimum: -Number.MAX_SAFE_INTEGER,
    maximum: Number.MAX_SAFE_INTEGER,
    not: { const: 0 },
  }),
  reason: Type.String({ minLength: 1, maxLength: 500 }),
});

export interface QuotaView {
  id: string;
  reseller_id: string;
  distributor_id: string;
  asset: string;
  allocated: number | string | null;
  available: number | string;
  created_at: Date;
  updated_at: Date;
}

export const serializeQuota = (row: QuotaView) => ({
  id: row.id,
  object: "voucher_quota" as const,
  reseller_id: row.reseller_id,
  distributor_id: row.distributor_id,
  asset: row.asset,
  allocated: Number(row.allocated ?? 0),
  available: Number(row.available),
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export const serializeQuotaChange = (row: {
  id: string;
  quota_id: string;
  delta: number;
  reason: string;
  actor_type: string;
  actor_id: string;
  actor_label: string | null;
  created_at: Date;
}) => ({
  id: row.id,
  object: "voucher_quota_change" as const,
  quota_id: row.quota_id,
  delta: row.delta,
  reason: row.reason,
  actor_type: row.actor_type,
  actor_id: row.actor_id,
  actor_label: row.actor_label,
  created_at: row.created_at.toISOString(),
});

export const IssueBody = Obj({
  recipients: Type.Array(
    Obj({
      customer_id: IdParam,
      amount: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    }),
    { minItems: 1, maxItems: MAX_ISSUE_RECIPIENTS },
  ),
});

export const serializeUsage = (row: {
  id: string;
  voucher_id: string;
  kind: "deduction" | "refund";
  bill_id: string;
  line_index: number;
  product_code: string;
  amount: number;
  returned_to: "voucher" | "source" | null;
  created_at: Date;
}) => ({
  id: row.id,
  object: "voucher_usage" as const,
  voucher_id: row.voucher_id,
  kind: row.kind,
  bill_id: row.bill_id,
  line_index: row.line_index,
  product_code: row.product_code,
  amount: row.amount,
  returned_to: row.returned_to,
  created_at: row.created_at.toISOString(),
});

/** A voucher's usage as one export row (a refund counts negative). */
export const usageExportRow = (
  r: Parameters<typeof serializeUsage>[0],
  asset: string,
): (string | number | null)[] => [
  r.created_at.toISOString(),
  r.kind,
  r.bill_id,
  r.line_index,
  r.product_code,
  r.kind === "refund" ? -r.amount : r.amount,
  asset,
  r.returned_to,
];

/** A voucher as one export row. */
export const voucherExportRow = (r: VoucherListRow): (string | number | null)[] => [
  r.id,
  r.purpose,
  r.status,
  r.face_amount,
  Number(r.balance),
  r.asset,
  r.customer_id,
  r.template_id,
  r.created_at.toISOString(),
  r.expires_at.toISOString(),
];

/** The caller's bill id: in the body that creates the bill and in the paths that read and refund it. */
export const BillId = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });

export const BillBody = Obj({
  bill_id: BillId,
  customer_id: IdParam,
  asset: AssetCode,
  lines: Type.Array(Obj({ product_code: ProductCode, amount: Type.Integer({ minimum: 1, maximum: 1e13 }) }), {
    minItems: 1,
    maxItems: MAX_BILL_LINES,
  }),
});

export const RefundBody = Obj({
  refund_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
  lines: Type.Optional(
    Type.Array(
      Obj({
        line_index: Type.Integer({ minimum: 0, maximum: MAX_BILL_LINES - 1 }),
        amount: Type.Integer({ minimum: 1, maximum: 1e13 }),
      }),
      {
        minItems: 1,
        maxItems: MAX_BILL_LINES,
      },
    ),
  ),
});
