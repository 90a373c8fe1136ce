import type { QueryCreator, Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";

export interface MemberCenterSettingsTable {
  tenant_id: string;
  brand_color: string | null;
  logo_url: string | null;
  updated_by: string;
  updated_at: Date;
}

export interface MemberCenterCodesTable {
  tenant_id: string;
  id: string;
  /** SHA-256 of the code: the code itself exists only in the link. */
  code_hash: string;
  member_id: string;
  /** The page of the member center the link opens (home, balance, vouchers, …). */
  page: string;
  expires_at: Date;
  used_at: Date | null;
  created_by: string;
  created_at: Date;
}

declare module "../../db/schema.js" {
  interface DB {
    member_center_settings: MemberCenterSettingsTable;
    member_center_codes: MemberCenterCodesTable;
  }
}

export type CodeRow = Selectable<MemberCenterCodesTable>;

export interface Look {
  brandColor: string | null;
  logoUrl: string | null;
}

/** The tenant's logo and colour as stored (none until a manager sets them). */
export async function readLook(trx: Tx, tenantId: string): Promise<Look> {
  return lookOf(await lookQuery(trx, tenantId).execute());
}

/** What `readLook` reads, as a query for a transaction or for `Database.tenantQuery`. */
export function lookQuery(qc: QueryCreator<DB>, tenantId: string) {
  return qc
    .selectFrom("member_center_settings")
    .select(["brand_color", "logo_url"])
    .where("tenant_id", "=", tenantId);
}

export function lookOf(rows: readonly { brand_color: string | null; logo_url: string | null }[]): Look {
  const row = rows[0];
  return { brandColor: row?.brand_color ?? null, logoUrl: row?.logo_url ?? null };
}

export async function writeLook(
  trx: Tx,
  tenantId: string,
  look: Look,
  actorId: string,
  now: Date,
): Promise<void> {
  const values = {
    brand_color: look.brandColor,
    logo_url: look.logoUrl,
    updated_by: actorId,
    updated_at: now,
  };
  await trx
    .insertInto("member_center_settings")
    .values({ tenant_id: tenantId, ...values })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet(values))
    .execute();
}

export async function insertCode(trx: Tx, row: Omit<CodeRow, "used_at">): Promise<void> {
  await trx.insertInto("member_center_codes").values(row).execute();
}

/** The code by its hash, locked: two pages trading the same code at once get one token between them. */
export async function lockCode(trx: Tx, tenantId: string, codeHash: string): Promise<CodeRow | undefined> {
  return trx
    .selectFrom("member_center_codes")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("code_hash", "=", codeHash)
    .forUpdate()
    .executeTakeFirst();
}

export async function markCodeUsed(trx: Tx, tenantId: string, id: string, now: Date): Promise<void> {
  await trx
    .updateTable("member_center_codes")
    .set({ used_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .execute();
}

/** The tenant's name, zone, currency and locale (the tenants table is the platform's). */
export async function readTenant(trx: Tx, tenantId: string) {
  return trx
    .selectFrom("tenants")
    .select(["id", "name", "timezone", "default_currency", "locale"])
    .where("id", "=", tenantId)
    .executeTakeFirst();
}
