import type { ColumnType, QueryCreator, Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, JsonDefault, Timestamp } from "../../db/schema.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { EnterpriseError } from "./enterprise.errors.js";

export interface EnterpriseSettingsTable {
  tenant_id: string;
  enterprise_id: string;
  sharing_default: boolean;
  updated_at: Timestamp;
}

export interface EnterpriseMembersTable {
  tenant_id: string;
  member_id: string;
  enterprise_id: string;
  sharing_enabled: boolean;
  associated_at: Timestamp;
  updated_at: Timestamp;
}

export type SharingVia = "global" | "association" | "member" | "batch";

export interface EnterpriseSharingChangesTable {
  tenant_id: string;
  id: string;
  enterprise_id: string;
  member_id: string | null;
  enabled: boolean;
  via: SharingVia;
  actor_type: string;
  actor_id: string;
  created_at: Timestamp;
}

export interface EnterpriseCouponsTable {
  tenant_id: string;
  id: string;
  enterprise_id: string;
  allocation_mode: "once" | "multiple";
  allocation_count: JsonDefault<number>;
  created_at: Timestamp;
}

export interface EnterpriseCouponRecordsTable {
  tenant_id: string;
  id: string;
  coupon_id: string;
  enterprise_id: string;
  member_id: string;
  voucher_id: string;
  kind: "allocation" | "revocation";
  amount: number;
  actor_type: string;
  actor_id: string;
  created_at: Timestamp;
}

export interface ResourcePackagesTable {
  tenant_id: string;
  id: string;
  owner_id: string;
  product_code: string;
  unit: string;
  total_quantity: number;
  starts_at: Timestamp;
  expires_at: Timestamp;
  account_id: string;
  created_at: Timestamp;
  /** Set once by the expiry job, with what the package still held then. */
  expired_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  expired_quantity: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface UsageDraw {
  package_id: string;
  quantity: number;
  shared: boolean;
}

export interface ResourceUsagesTable {
  tenant_id: string;
  id: string;
  usage_id: string;
  account_owner_id: string;
  product_code: string;
  unit: string;
  quantity: number;
  covered_quantity: number;
  billable_quantity: number;
  draws: JsonDefault<UsageDraw[]>;
  request_hash: string;
  used_at: Timestamp;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    enterprise_settings: EnterpriseSettingsTable;
    enterprise_members: EnterpriseMembersTable;
    enterprise_sharing_changes: EnterpriseSharingChangesTable;
    enterprise_coupons: EnterpriseCouponsTable;
    enterprise_coupon_records: EnterpriseCouponRecordsTable;
    resource_packages: ResourcePackagesTable;
    resource_usages: ResourceUsagesTable;
  }
}

export type MemberRow = Selectable<EnterpriseMembersTable>;
export type PackageRow = Selectable<ResourcePackagesTable>;
/** A member association with the member account's name, as every member answer shows it. */
export type NamedMember = MemberRow & { name: string };

/** The member accounts' names beside their association rows (one query). */
export async function withNames(trx: Tx, tenantId: string, rows: MemberRow[]): Promise<NamedMember[]> {
  if (rows.length === 0) return [];
  const names = await trx
    .selectFrom("org_units")
    .select(["id", "name"])
    .where("tenant_id", "=", tenantId)
    .where(
      "id",
      "in",
      rows.map((r) => r.member_id),
    )
    .execute();
  const byId = new Map(names.map((n) => [n.id, n.name]));
  return rows.map((r) => ({ ...r, name: byId.get(r.member_id) ?? "" }));
}

export interface UnitRef {
  id: string;
  name: string;
  kind: string;
  path: string;
  parent_id: string | null;
}

export function unitQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("org_units")
    .select(["id", "name", "kind", "path", "parent_id"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
}

async function unit(trx: Tx, tenantId: string, id: string): Promise<UnitRef | undefined> {
  return unitQuery(trx, tenantId, id).executeTakeFirst();
}

/** The enterprise master, if it lies in the actor's scope (member accounts do not see it). */
export async function loadEnterprise(trx: Tx, actor: Actor, id: string): Promise<UnitRef> {
  return enterpriseInScope(actor, await unit(trx, actor.tenantId, id));
}

/** `unitQuery`'s row, if it is an enterprise master in the actor's scope. */
export function enterpriseInScope(actor: Actor, found: UnitRef | undefined): UnitRef {
  if (found?.kind !== "enterprise" || actor.type === "member") {
    throw new EnterpriseError("enterprise_not_found", "Enterprise not found");
  }
  assertInScope(actor, found.path, "enterprise");
  return found;
}

/** An associated member account the actor may see (its master's staff, or itself). */
export async function loadMember(
  trx: Tx,
  actor: Actor,
  memberId: string,
  options: { forUpdate?: boolean } = {},
): Promise<NamedMember & { path: string }> {
  let query = memberAccountQuery(trx, actor.tenantId, memberId);
  if (options.forUpdate) query = query.forUpdate("m");
  return memberAccountInScope(actor, await query.executeTakeFirst());
}

/** The member account with its org unit's name and path, which `memberAccountInScope` checks. */
export function memberAccountQuery(qc: QueryCreator<DB>, tenantId: string, memberId: string) {
  return qc
    .selectFrom("enterprise_members as m")
    .innerJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "m.tenant_id").onRef("o.id", "=", "m.member_id"),
    )
    .selectAll("m")
    .select(["o.path", "o.name"])
    .where("m.tenant_id", "=", tenantId)
    .where("m.member_id", "=", memberId);
}

/** `memberAccountQuery`'s row, if there is one, the actor is staff and its scope covers it. */
export function memberAccountInScope<Row extends { path: string }>(actor: Actor, row: Row | undefined): Row {
  if (!row || actor.type === "member")
    throw new EnterpriseError("member_not_associated", "Member account not found");
  assertInScope(actor, row.path, "member_account");
  return row;
}

/**
 * Coupons and resource packages are the platform's grants to an enterprise: whoever grants
 * one must be staff above the enterprise master (tenant-wide, or a unit containing it), never
 * its own operators or a member account's, who would be minting value for themselves.
 */
export async function assertGrantor(trx: Tx, actor: Actor, owner: UnitRef): Promise<void> {
  if (actor.orgUnitPath === null) return;
  const ids = owner.path.split("/").filter(Boolean);
  const enterprises = await trx
    .selectFrom("org_units")
    .select("path")
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "in", ids)
    .where("kind", "=", "enterprise")
    .execute();
  const master = enterprises.sort((a, b) => b.path.length - a.path.length)[0]?.path ?? owner.path;
  if (actor.orgUnitPath.startsWith(master)) {
    throw new EnterpriseError(
      "forbidden",
      "Only staff above the enterprise master grant it coupons and packages",
    );
  }
}

/** The enterprise a member account is associated with, if any (no scope check: callers check theirs). */
export async function memberEnterprise(trx: Tx, tenantId: string, memberId: string): Promise<string | null> {
  const row = await trx
    .selectFrom("enterprise_members")
    .select("enterprise_id")
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .executeTakeFirst();
  return row?.enterprise_id ?? null;
}

export function sharingDefaultQuery(qc: QueryCreator<DB>, tenantId: string, enterpriseId: string) {
  return qc
    .selectFrom("enterprise_settings")
    .select("sharing_default")
    .where("tenant_id", "=", tenantId)
    .where("enterprise_id", "=", enterpriseId);
}

/** An enterprise that never set its switch does not share. */
export function sharingDefaultOf(row: { sharing_default: boolean } | undefined): boolean {
  return row?.sharing_default ?? false;
}

export async function sharingDefault(trx: Tx, tenantId: string, enterpriseId: string): Promise<boolean> {
  return sharingDefaultOf(await sharingDefaultQuery(trx, tenantId, enterpriseId).executeTakeFirst());
}

export async function findUnit(trx: Tx, actor: Actor, id: string, what: "org_unit"): Promise<UnitRef> {
  const found = await unit(trx, actor.tenantId, id);
  if (!found) throw new EnterpriseError(`${what}_not_found`, "Not found");
  assertInScope(actor, found.path, what);
  return found;
}

export { subtreePattern as subtree } from "../../platform/org/org-units.js";
