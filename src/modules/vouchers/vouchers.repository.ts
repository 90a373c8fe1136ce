import type { ColumnType, QueryCreator, Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, JsonDefault, Timestamp } from "../../db/schema.js";
import { lockForTransaction } from "../../db/transaction-lock.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertInScope, inScope } from "../../platform/auth/scope.js";
import { VouchersError } from "./vouchers.errors.js";

/** Template purposes; vouchers may also be enterprise cash coupons. */
export const PURPOSES = ["customer_discount", "product_trial"] as const;
export const VOUCHER_PURPOSES = [
  "customer_discount",
  "product_trial",
  "cash_coupon",
  "member_voucher",
] as const;
export type Purpose = (typeof VOUCHER_PURPOSES)[number];
export const SCOPE_KINDS = ["all", "allow", "deny"] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];
export const VALIDITY_KINDS = ["fixed", "relative"] as const;
export type ValidityKind = (typeof VALIDITY_KINDS)[number];
export const TEMPLATE_STATUSES = ["active", "archived"] as const;
/** The stored lifecycle; `unused / partly_used / used_up` come from the ledger balance. */
export const VOUCHER_STATES = ["active", "withdrawn", "expired"] as const;
export type VoucherState = (typeof VOUCHER_STATES)[number];
export const VOUCHER_STATUSES = ["unused", "partly_used", "used_up", "expired", "withdrawn"] as const;
export type VoucherStatus = (typeof VOUCHER_STATUSES)[number];

export interface VoucherQuotasTable {
  tenant_id: string;
  id: string;
  distributor_id: string;
  reseller_id: string;
  asset: string;
  account_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VoucherQuotaChangesTable {
  tenant_id: string;
  id: string;
  quota_id: string;
  delta: number;
  reason: string;
  actor_type: string;
  actor_id: string;
  transfer_id: string | null;
  created_at: Timestamp;
}

export interface VoucherTemplatesTable {
  tenant_id: string;
  id: string;
  owner_id: string;
  name: string;
  purpose: Purpose;
  face_amount: number;
  asset: string;
  validity_kind: ValidityKind;
  /** `YYYY-MM-DD` in the tenant's time zone (read as text). */
  valid_from: string | null;
  valid_until: string | null;
  valid_days: number | null;
  scope_kind: ScopeKind;
  product_codes: JsonDefault<string[]>;
  min_bill_amount: number;
  note: string | null;
  status: JsonDefault<"active" | "archived">;
  issued_count: JsonDefault<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VouchersTable {
  tenant_id: string;
  id: string;
  template_id: string | null;
  purpose: Purpose;
  /** The issuing org unit (null: a member voucher issued by the tenant itself). */
  issuer_id: string | null;
  /** The holder: an org unit (customer, member account) or a member, exactly one of them. */
  customer_id: string | null;
  member_id: ColumnType<string | null, string | null | undefined, string | null>;
  face_amount: number;
  asset: string;
  scope_kind: ScopeKind;
  product_codes: JsonDefault<string[]>;
  min_bill_amount: number;
  starts_at: Timestamp;
  expires_at: Timestamp;
  state: JsonDefault<VoucherState>;
  account_id: string | null;
  source_account_id: string | null;
  /**
   * The distributor that funded a voucher issued from a reseller's quota (the quota's
   * distributor when it was issued); null for any other source. What the voucher gives back
   * returns to it (`returnAccountOf`).
   */
  funded_by: ColumnType<string | null, string | null | undefined, string | null>;
  issued_by: string;
  issue_batch_id: string | null;
  withdrawn_at: Date | null;
  withdrawn_by: string | null;
  expired_at: Date | null;
  created_at: Timestamp;
}

export interface VoucherBillsTable {
  tenant_id: string;
  id: string;
  bill_id: string;
  customer_id: string;
  asset: string;
  total_amount: number;
  deducted_amount: number;
  lines: JsonDefault<{ product_code: string; amount: number }[]>;
  request_hash: string;
  created_at: Timestamp;
}

export interface VoucherBillRefundsTable {
  tenant_id: string;
  id: string;
  bill_ref: string;
  refund_id: string;
  request_hash: string;
  returned_amount: number;
  /** Bill amount refunded per line: `[{ line_index, amount }]`. */
  lines: JsonDefault<{ line_index: number; amount: number }[]>;
  created_at: Timestamp;
}

export interface VoucherUsagesTable {
  tenant_id: string;
  id: string;
  voucher_id: string;
  bill_ref: string;
  bill_id: string;
  refund_ref: string | null;
  line_index: number;
  product_code: string;
  kind: "deduction" | "refund";
  amount: number;
  returned_to: "voucher" | "source" | null;
  transfer_id: string | null;
  created_at: Timestamp;
}

/** Redemptions and returns by voucher id (the checkout's orders and refunds). */
export interface VoucherRedemptionsTable {
  tenant_id: string;
  id: string;
  voucher_id: string;
  kind: "redemption" | "return";
  /** For a return: the redemption it gives back (part of). */
  redemption_id: string | null;
  reference_module: string;
  reference_id: string;
  amount: number;
  returned_to: "voucher" | "source" | null;
  transfer_id: string;
  /** A redemption's request (see redeemVoucher); null for returns and older redemptions. */
  request_hash: ColumnType<string | null, string | null | undefined, never>;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    voucher_quotas: VoucherQuotasTable;
    voucher_quota_changes: VoucherQuotaChangesTable;
    voucher_templates: VoucherTemplatesTable;
    vouchers: VouchersTable;
    voucher_bills: VoucherBillsTable;
    voucher_bill_refunds: VoucherBillRefundsTable;
    voucher_usages: VoucherUsagesTable;
    voucher_redemptions: VoucherRedemptionsTable;
  }
}

export type TemplateRow = Selectable<VoucherTemplatesTable>;
export type VoucherRow = Selectable<VouchersTable>;
/** A voucher held by an org unit and issued by one (every voucher but a member's). */
export type UnitVoucherRow = VoucherRow & { customer_id: string; issuer_id: string };
export type QuotaRow = Selectable<VoucherQuotasTable>;

export interface UnitRef {
  id: string;
  kind: string;
  path: string;
  parent_id: string | null;
}

/** The org unit if it exists and lies in the actor's subtree (else `<what>_not_found`). */
export async function unitInScope(
  trx: Tx,
  actor: Actor,
  id: string,
  what: "org_unit" | "customer" | "voucher_bill",
): Promise<UnitRef> {
  const unit = await trx
    .selectFrom("org_units")
    .select(["id", "kind", "path", "parent_id"])
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!unit) throw new VouchersError(`${what}_not_found`, `${humanise(what)} not found`);
  assertInScope(actor, unit.path, what);
  return unit;
}

/** The nearest ancestor-or-self of `unit` of the given kind (by its path), if any. */
export async function ancestorOfKind(trx: Tx, tenantId: string, unit: UnitRef, kind: string) {
  const ids = unit.path.split("/").filter(Boolean);
  if (ids.length === 0) return undefined;
  const rows = await trx
    .selectFrom("org_units")
    .select(["id", "kind", "path", "parent_id"])
    .where("tenant_id", "=", tenantId)
    .where("id", "in", ids)
    .where("kind", "=", kind)
    .execute();
  return rows.sort((a, b) => b.path.length - a.path.length)[0];
}

export async function loadTemplate(
  trx: Tx,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<TemplateRow & { owner_path: string }> {
  let query = templateQuery(trx, actor.tenantId, id);
  if (options.forUpdate) query = query.forUpdate("t");
  return visibleTemplate(actor, await query.executeTakeFirst());
}

/** The template with its owner's path, as a query for a transaction or for `Database.tenantQuery`. */
export function templateQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("voucher_templates as t")
    .innerJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "t.tenant_id").onRef("o.id", "=", "t.owner_id"),
    )
    .selectAll("t")
    .select("o.path as owner_path")
    .where("t.tenant_id", "=", tenantId)
    .where("t.id", "=", id);
}

/** `loadTemplate`'s checks on the row of `templateQuery`. */
export function visibleTemplate(
  actor: Actor,
  row: (TemplateRow & { owner_path: string }) | undefined,
): TemplateRow & { owner_path: string } {
  if (!row || actor.type === "member") {
    throw new VouchersError("voucher_template_not_found", "Voucher template not found");
  }
  assertInScope(actor, row.owner_path, "voucher_template");
  return row;
}

function humanise(code: string): string {
  const text = code.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A voucher the actor may see: staff whose scope contains the customer, or the customer
 * itself with a member token (its member id is the customer's org unit id).
 */
export async function loadVoucher(
  trx: Tx,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<UnitVoucherRow & { customer_path: string; issuer_path: string }> {
  let query = voucherWithPathsQuery(trx, actor.tenantId, id);
  if (options.forUpdate) query = query.forUpdate("v");
  return visibleVoucher(actor, await query.executeTakeFirst());
}

/** The voucher with its holder's and issuer's paths, as a query for a transaction or for `Database.tenantQueries`. */
export function voucherWithPathsQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("vouchers as v")
    .innerJoin("org_units as c", (j) =>
      j.onRef("c.tenant_id", "=", "v.tenant_id").onRef("c.id", "=", "v.customer_id"),
    )
    .innerJoin("org_units as i", (j) =>
      j.onRef("i.tenant_id", "=", "v.tenant_id").onRef("i.id", "=", "v.issuer_id"),
    )
    .selectAll("v")
    .select(["c.path as customer_path", "i.path as issuer_path"])
    .where("v.tenant_id", "=", tenantId)
    .where("v.id", "=", id);
}

/** `loadVoucher`'s checks on the row of `voucherWithPathsQuery`. */
export function visibleVoucher<R extends { customer_id: string | null; customer_path: string }>(
  actor: Actor,
  row: R | undefined,
): UnitVoucherRow & { customer_path: string; issuer_path: string } {
  const visible =
    row !== undefined &&
    (actor.type === "member" ? actor.memberId === row.customer_id : inScope(actor, row.customer_path));
  if (!row || !visible) throw new VouchersError("voucher_not_found", "Voucher not found");
  // Both inner joins hold: the voucher is an org unit's, issued by one.
  return row as unknown as UnitVoucherRow & { customer_path: string; issuer_path: string };
}

/** Refuses an asset the tenant's ledger does not have (`asset_not_found`): it could move no value. */
export async function assertAssetExists(trx: Tx, tenantId: string, asset: string): Promise<void> {
  const row = await trx
    .selectFrom("ledger_assets")
    .select("code")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", asset)
    .executeTakeFirst();
  if (!row) throw new VouchersError("asset_not_found", `Asset ${asset} is not set up in the ledger`);
}

/** One operation per bill id at a time (deduction or refund), whatever the customer. */
export async function lockBill(trx: Tx, tenantId: string, billId: string): Promise<void> {
  await lockForTransaction(trx, "voucher_bill", tenantId, billId);
}
