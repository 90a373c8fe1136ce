import { Type } from "typebox";
import {
  AssetCode,
  IdParam,
  ListQuery,
  Money,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { BillId, type VoucherListRow } from "../vouchers/index.js";
import { MAX_ALLOCATIONS_PER_CALL } from "./allocate-coupon.js";
import type { CouponView } from "./coupon-queries.js";
import type { NamedMember, PackageRow } from "./enterprise.repository.js";
import type { UsageResult } from "./resource-packages.js";

/** The batch endpoint accepts this many ids in the body so it can answer past 100 with a clear message. */
export const MAX_BATCH_BODY = 1000;
export const ProductCode = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });

export const Member = Type.Object(
  {
    object: Type.Literal("enterprise_member"),
    member_id: Type.String(),
    name: Type.String({ description: "The member account's name" }),
    enterprise_id: Type.String(),
    sharing_enabled: Type.Boolean(),
    associated_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "EnterpriseMember" },
);
export const serializeMember = (row: NamedMember) => ({
  object: "enterprise_member" as const,
  member_id: row.member_id,
  name: row.name,
  enterprise_id: row.enterprise_id,
  sharing_enabled: row.sharing_enabled,
  associated_at: row.associated_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export const SharingChange = Type.Object({
  id: Type.String(),
  object: Type.Literal("sharing_change"),
  member_id: Type.Union([Type.String(), Type.Null()]),
  enabled: Type.Boolean(),
  via: StringEnum(["global", "association", "member", "batch"] as const),
  actor_type: Type.String(),
  actor_id: Type.String(),
  created_at: Timestamp,
});

export const Scope = Obj({
  kind: StringEnum(["all", "allow", "deny"] as const, { description: "applicable products" }),
  product_codes: Type.Optional(Type.Array(ProductCode, { maxItems: 200, uniqueItems: true })),
});

export const Coupon = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("enterprise_coupon"),
    enterprise_id: Type.String(),
    allocation_mode: StringEnum(["once", "multiple"] as const),
    allocation_count: Type.Integer(),
    face_value: Type.Object({ amount: Type.Integer(), asset: Type.String() }),
    balance: Type.Integer({ description: "Unallocated balance: the shared pool all members may use" }),
    status: Type.String(),
    scope: Type.Object({ kind: Type.String(), product_codes: Type.Array(Type.String()) }),
    starts_at: Timestamp,
    expires_at: Timestamp,
  },
  { $id: "EnterpriseCoupon" },
);
export const serializeCoupon = (c: CouponView) => ({
  id: c.id,
  object: "enterprise_coupon" as const,
  enterprise_id: c.enterprise_id,
  allocation_mode: c.allocation_mode,
  allocation_count: c.allocation_count,
  face_value: { amount: c.face_amount, asset: c.asset },
  balance: Number(c.balance),
  status: c.status,
  scope: { kind: c.scope_kind, product_codes: c.product_codes },
  starts_at: c.starts_at.toISOString(),
  expires_at: c.expires_at.toISOString(),
});

export const HeldCoupon = Type.Object({
  voucher_id: Type.String(),
  coupon_id: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  face_amount: Type.Integer(),
  balance: Type.Integer(),
  asset: Type.String(),
  expires_at: Timestamp,
});
export const serializeHeld = (v: VoucherListRow) => ({
  voucher_id: v.id,
  coupon_id: v.source_account_id?.startsWith("vacct_") ? v.source_account_id.slice("vacct_".length) : null,
  status: v.status,
  face_amount: v.face_amount,
  balance: Number(v.balance),
  asset: v.asset,
  expires_at: v.expires_at.toISOString(),
});

export const CouponRecord = Type.Object({
  id: Type.String(),
  object: Type.Literal("coupon_record"),
  coupon_id: Type.String(),
  member_id: Type.String(),
  member_name: Type.Union([Type.String(), Type.Null()], { description: "The member account's name" }),
  voucher_id: Type.String(),
  kind: StringEnum(["allocation", "revocation"] as const),
  amount: Type.Integer(),
  actor_type: Type.String(),
  actor_id: Type.String(),
  created_at: Timestamp,
});

export const Usage = Type.Object({
  object: Type.Literal("resource_usage"),
  usage_id: Type.String(),
  account_id: Type.String(),
  product_code: Type.String(),
  unit: Type.String(),
  quantity: Type.Integer(),
  covered_quantity: Type.Integer(),
  billable_quantity: Type.Integer({
    description: "Not covered by any package: to be billed (may be in arrears)",
  }),
  draws: Type.Array(
    Type.Object({ package_id: Type.String(), quantity: Type.Integer(), shared: Type.Boolean() }),
  ),
});

export const Package = Type.Object({
  id: Type.String(),
  object: Type.Literal("resource_package"),
  owner_id: Type.String(),
  product_code: Type.String(),
  unit: Type.String(),
  total_quantity: Type.Integer(),
  starts_at: Timestamp,
  expires_at: Timestamp,
});

export const serializePackage = (row: PackageRow) => ({
  id: row.id,
  object: "resource_package" as const,
  owner_id: row.owner_id,
  product_code: row.product_code,
  unit: row.unit,
  total_quantity: row.total_quantity,
  starts_at: row.starts_at.toISOString(),
  expires_at: row.expires_at.toISOString(),
});

export const PackageHolding = Type.Object(
  {
    ...Package.properties,
    object: Type.Literal("resource_package"),
    remaining_quantity: Type.Integer({ description: "What the package has left (its ledger account)" }),
    active: Type.Boolean({ description: "Usable now: started and not expired" }),
    expired_at: Type.Union([Type.Null(), Timestamp], {
      description: "When the expiry job returned what was left to the grant source (null: not yet)",
    }),
    expired_quantity: Type.Union([Type.Null(), Type.Integer()], {
      description: "What the package still held when it expired",
    }),
  },
  { $id: "ResourcePackageHolding" },
);
export const serializeHolding = (row: PackageRow, remaining: number, now: Date) => ({
  ...serializePackage(row),
  remaining_quantity: remaining,
  active: row.starts_at.getTime() <= now.getTime() && now.getTime() < row.expires_at.getTime(),
  expired_at: row.expired_at?.toISOString() ?? null,
  expired_quantity: row.expired_quantity,
});

export const MemberPackageHolding = Type.Object(
  {
    ...PackageHolding.properties,
    holder: StringEnum(["own", "master"] as const, {
      description: "The member account's own package, or its master's",
    }),
    usable: Type.Boolean({
      description: "The member may draw it now: active, and for the master's, the member's sharing is on",
    }),
  },
  {
    $id: "MemberResourcePackageHolding",
    examples: [
      {
        id: "rpk_01jd8pkg",
        object: "resource_package",
        owner_id: "org_01jd8ent",
        product_code: "cos",
        unit: "GB",
        total_quantity: 1_000,
        starts_at: "2030-01-01T00:00:00.000Z",
        expires_at: "2030-02-10T00:00:00.000Z",
        remaining_quantity: 970,
        active: true,
        expired_at: null,
        expired_quantity: null,
        holder: "master",
        usable: true,
      },
    ],
  },
);

export const SharingState = Type.Object({
  object: Type.Literal("enterprise_sharing"),
  enterprise_id: Type.String(),
  enabled: Type.Boolean(),
});

export const serializeUsage = (result: UsageResult) => ({
  object: "resource_usage" as const,
  usage_id: result.usageId,
  account_id: result.accountId,
  product_code: result.productCode,
  unit: result.unit,
  quantity: result.quantity,
  covered_quantity: result.coveredQuantity,
  billable_quantity: result.billableQuantity,
  draws: result.draws,
});

export const serializeSharingChange = (r: {
  id: string;
  member_id: string | null;
  enabled: boolean;
  via: "global" | "association" | "member" | "batch";
  actor_type: string;
  actor_id: string;
  created_at: Date;
}) => ({
  id: r.id,
  object: "sharing_change" as const,
  member_id: r.member_id,
  enabled: r.enabled,
  via: r.via,
  actor_type: r.actor_type,
  actor_id: r.actor_id,
  created_at: r.created_at.toISOString(),
});

export const serializeCouponRecord = (r: {
  id: string;
  coupon_id: string;
  member_id: string;
  member_name: string | null;
  voucher_id: string;
  kind: "allocation" | "revocation";
  amount: number;
  actor_type: string;
  actor_id: string;
  created_at: Date;
}) => ({
  id: r.id,
  object: "coupon_record" as const,
  coupon_id: r.coupon_id,
  member_id: r.member_id,
  member_name: r.member_name,
  voucher_id: r.voucher_id,
  kind: r.kind,
  amount: r.amount,
  actor_type: r.actor_type,
  actor_id: r.actor_id,
  created_at: r.created_at.toISOString(),
});

export const IdParams = Obj({ id: IdParam });
export const SharingBody = Obj({ enabled: Type.Boolean() });

export const CouponBody = Obj(
  {
    amount: Money,
    allocation_mode: StringEnum(["once", "multiple"] as const),
    scope: Scope,
    min_bill_amount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    starts_at: Type.Optional(Timestamp),
    expires_at: Timestamp,
  },
  {
    examples: [
      {
        amount: { amount: 100_000, asset: "CNY" },
        allocation_mode: "multiple",
        scope: { kind: "all" },
        expires_at: "2030-01-31T00:00:00Z",
      },
    ],
  },
);

export const AllocationsBody = Obj(
  {
    allocations: Type.Array(
      Obj({
        member_id: IdParam,
        amount: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
      }),
      { minItems: 1, maxItems: MAX_ALLOCATIONS_PER_CALL },
    ),
  },
  { examples: [{ allocations: [{ member_id: "org_01jd8m1", amount: 30_000 }] }] },
);

export const Allocation = Type.Object({
  member_id: Type.String(),
  voucher_id: Type.String(),
  amount: Type.Integer(),
});

export const Revocable = Type.Object({
  object: Type.Literal("coupon_revocable"),
  coupon_id: Type.String(),
  member_id: Type.String(),
  recoverable_amount: Type.Integer(),
  vouchers: Type.Array(
    Type.Object({
      voucher_id: Type.String(),
      status: Type.String(),
      face_amount: Type.Integer(),
      recoverable: Type.Integer(),
    }),
  ),
});

export const RevocationBody = Obj(
  {
    member_id: IdParam,
    voucher_ids: Type.Optional(Type.Array(IdParam, { minItems: 1, maxItems: 100, uniqueItems: true })),
  },
  { examples: [{ member_id: "org_01jd8m1" }] },
);

export const Revocation = Type.Object({
  object: Type.Literal("coupon_revocation"),
  coupon_id: Type.String(),
  member_id: Type.String(),
  revoked_amount: Type.Integer(),
  revoked: Type.Array(Type.Object({ voucher_id: Type.String(), amount: Type.Integer() })),
});

export const serializeRevocation = (result: {
  couponId: string;
  memberId: string;
  revoked: { voucherId: string; amount: number }[];
}) => ({
  object: "coupon_revocation" as const,
  coupon_id: result.couponId,
  member_id: result.memberId,
  revoked_amount: result.revoked.reduce((s, r) => s + r.amount, 0),
  revoked: result.revoked.map((r) => ({ voucher_id: r.voucherId, amount: r.amount })),
});

export const CouponRecordQuery = Obj({
  ...ListQuery,
  coupon_id: Type.Optional(IdParam),
  member_id: Type.Optional(IdParam),
});

export const PackageBody = Obj(
  {
    owner_id: IdParam,
    product_code: ProductCode,
    unit: AssetCode,
    quantity: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    starts_at: Type.Optional(Timestamp),
    expires_at: Timestamp,
  },
  {
    examples: [
      {
        owner_id: "org_01jd8ent",
        product_code: "cos",
        unit: "GB",
        quantity: 1_000,
        expires_at: "2030-02-10T00:00:00Z",
      },
    ],
  },
);

export const UsageBody = Obj(
  {
    usage_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
    account_id: IdParam,
    product_code: ProductCode,
    unit: AssetCode,
    quantity: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    used_at: Type.Optional(Timestamp),
  },
  {
    examples: [
      {
        usage_id: "u-2030-01-05-1",
        account_id: "org_01jd8m1",
        product_code: "cos",
        unit: "GB",
        quantity: 30,
      },
    ],
  },
);

export const BillBody = Obj(
  {
    bill_id: BillId,
    member_id: IdParam,
    asset: AssetCode,
    lines: Type.Array(
      Obj({ product_code: ProductCode, amount: Type.Integer({ minimum: 1, maximum: 1e13 }) }),
      {
        minItems: 1,
        maxItems: 200,
      },
    ),
  },
  {
    examples: [
      {
        bill_id: "b-2030-01",
        member_id: "org_01jd8m1",
        asset: "CNY",
        lines: [{ product_code: "cvm", amount: 10_000 }],
      },
    ],
  },
);

/** The refund of a member's bill takes the vouchers' refund body (at most 200 lines). */
export { RefundBody } from "../vouchers/index.js";
