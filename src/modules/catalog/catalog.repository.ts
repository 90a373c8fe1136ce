import type { QueryCreator, Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Json, JsonDefault, Timestamp } from "../../db/schema.js";
import { CatalogError } from "./catalog.errors.js";

/** Table types of the shared catalog pieces (migration 0800) and their plain reads. */

export { IMAGE_PURPOSES, type ImagePurpose, type ImagesTable } from "../../platform/files/images.js";

export const AGREEMENT_TYPES = [
  "purchase_agreement",
  "terms_of_use",
  "faq",
  "topup_agreement",
  "gift_card_terms",
] as const;
export type AgreementType = (typeof AGREEMENT_TYPES)[number];
export const CATALOG_STATUSES = ["active", "archived"] as const;
export type CatalogStatus = (typeof CATALOG_STATUSES)[number];

export interface AgreementsTable {
  tenant_id: string;
  id: string;
  type: AgreementType;
  status: CatalogStatus;
  current_version: number;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AgreementVersionsTable {
  tenant_id: string;
  agreement_id: string;
  version: number;
  title: string;
  body: string;
  locale: string;
  created_by: string;
  created_at: Timestamp;
}

export interface GiftVoucherTemplatesTable {
  tenant_id: string;
  id: string;
  name: string;
  face_amount: number;
  asset: string;
  validity_kind: "fixed" | "relative";
  valid_from: string | null;
  valid_until: string | null;
  valid_days: number | null;
  scope_kind: "all" | "allow" | "deny";
  product_codes: JsonDefault<string[]>;
  min_spend: number;
  status: CatalogStatus;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VoucherPackageLine {
  template_id: string;
  quantity: number;
}

export interface GiftVoucherPackagesTable {
  tenant_id: string;
  id: string;
  name: string;
  lines: Json<VoucherPackageLine[]>;
  status: CatalogStatus;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GiftStocksTable {
  tenant_id: string;
  key: string;
  stock_limit: number | null;
  granted: JsonDefault<number>;
  updated_at: Timestamp;
}

export type GiftGrantStatus = "granted" | "out_of_stock" | "no_gift" | "revoked";

export interface GiftGrantsTable {
  tenant_id: string;
  id: string;
  source_ref: string;
  member_id: string;
  spec: Json<Record<string, unknown>>;
  status: GiftGrantStatus;
  voucher_ids: JsonDefault<string[]>;
  stock_key: string | null;
  created_at: Timestamp;
  revoked_at: Date | null;
}

export interface EntitlementsTable {
  tenant_id: string;
  id: string;
  member_id: string;
  benefit_id: string;
  source_type: string;
  source_id: string;
  source_name: string;
  valid_from: Timestamp;
  valid_until: Timestamp;
  revoked_at: Date | null;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    agreements: AgreementsTable;
    agreement_versions: AgreementVersionsTable;
    gift_voucher_templates: GiftVoucherTemplatesTable;
    gift_voucher_packages: GiftVoucherPackagesTable;
    gift_stocks: GiftStocksTable;
    gift_grants: GiftGrantsTable;
    entitlements: EntitlementsTable;
  }
}

export type TemplateRow = Selectable<GiftVoucherTemplatesTable>;
export type VoucherPackageRow = Selectable<GiftVoucherPackagesTable>;
export type GiftGrantRow = Selectable<GiftGrantsTable>;
export type EntitlementRow = Selectable<EntitlementsTable>;
export type AgreementRow = Selectable<AgreementsTable>;
export type AgreementVersionRow = Selectable<AgreementVersionsTable>;

export async function findTemplate(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<TemplateRow> {
  let query = templateQuery(trx, tenantId, id);
  if (options.lock) query = query.forUpdate();
  return requireTemplate(await query.executeTakeFirst(), id);
}

/** The template's row, as a query for a transaction or for `Database.tenantQuery`. */
export function templateQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("gift_voucher_templates")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
}

export function requireTemplate(row: TemplateRow | undefined, id: string): TemplateRow {
  if (!row) throw new CatalogError("gift_voucher_template_not_found", `Voucher template ${id} not found`);
  return row;
}

export async function findVoucherPackage(trx: Tx, tenantId: string, id: string): Promise<VoucherPackageRow> {
  return requireVoucherPackage(await voucherPackageQuery(trx, tenantId, id).executeTakeFirst(), id);
}

/** The voucher package's row, as a query for a transaction or for `Database.tenantQuery`. */
export function voucherPackageQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("gift_voucher_packages")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
}

export function requireVoucherPackage(row: VoucherPackageRow | undefined, id: string): VoucherPackageRow {
  if (!row) throw new CatalogError("gift_voucher_package_not_found", `Voucher package ${id} not found`);
  return row;
}

export interface CatalogPage {
  status?: CatalogStatus;
  startingAfter?: string;
  limit: number;
}

/** Keyset pages by id (`limit + 1` rows: the extra one says more exist), as queries for `Database.tenantQuery`. */
export function templatesQuery(qc: QueryCreator<DB>, tenantId: string, page: CatalogPage) {
  let query = qc
    .selectFrom("gift_voucher_templates")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .limit(page.limit + 1);
  if (page.status) query = query.where("status", "=", page.status);
  if (page.startingAfter) query = query.where("id", ">", page.startingAfter);
  return query;
}

export function voucherPackagesQuery(qc: QueryCreator<DB>, tenantId: string, page: CatalogPage) {
  let query = qc
    .selectFrom("gift_voucher_packages")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .limit(page.limit + 1);
  if (page.status) query = query.where("status", "=", page.status);
  if (page.startingAfter) query = query.where("id", ">", page.startingAfter);
  return query;
}

/** An agreement with its current version's text. */
export type AgreementView = AgreementRow & Pick<AgreementVersionRow, "title" | "body" | "locale">;

/** Agreements joined to their current version's text. */
function agreementsWithText(qc: QueryCreator<DB>, tenantId: string) {
  return qc
    .selectFrom("agreements as a")
    .innerJoin("agreement_versions as v", (j) =>
      j
        .onRef("v.tenant_id", "=", "a.tenant_id")
        .onRef("v.agreement_id", "=", "a.id")
        .onRef("v.version", "=", "a.current_version"),
    )
    .selectAll("a")
    .select(["v.title", "v.body", "v.locale"])
    .where("a.tenant_id", "=", tenantId);
}

export async function findAgreement(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<AgreementView> {
  let query = agreementQuery(trx, tenantId, id);
  if (options.lock) query = query.forUpdate("a");
  return requireAgreement(await query.executeTakeFirst());
}

/** The agreement's current version, as a query for a transaction or for `Database.tenantQuery`. */
export function agreementQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return agreementsWithText(qc, tenantId).where("a.id", "=", id);
}

export function requireAgreement(row: AgreementView | undefined): AgreementView {
  if (!row) throw new CatalogError("agreement_not_found", "Agreement not found");
  return row;
}

export function agreementVersionQuery(qc: QueryCreator<DB>, tenantId: string, id: string, version: number) {
  return qc
    .selectFrom("agreement_versions")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("agreement_id", "=", id)
    .where("version", "=", version);
}

export function requireAgreementVersion(row: AgreementVersionRow | undefined): AgreementVersionRow {
  if (!row) throw new CatalogError("agreement_not_found", "Agreement version not found");
  return row;
}

/** A page of agreements (one row more than the limit), as a query for `Database.tenantQuery`. */
export function agreementsQuery(
  qc: QueryCreator<DB>,
  tenantId: string,
  page: CatalogPage & { type?: AgreementType },
) {
  let query = agreementsWithText(qc, tenantId)
    .orderBy("a.id")
    .limit(page.limit + 1);
  if (page.type) query = query.where("a.type", "=", page.type);
  if (page.status) query = query.where("a.status", "=", page.status);
  if (page.startingAfter) query = query.where("a.id", ">", page.startingAfter);
  return query;
}
