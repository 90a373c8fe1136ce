import { type QueryCreator, type Selectable, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Json, Timestamp } from "../../db/schema.js";
import { actorMatches } from "../../platform/auth/actor-names.js";
import { escapeLike } from "../../platform/org/org-units.js";
import type { AnyBenefit, AudienceRule, BenefitKind, BenefitStatus } from "./benefit-types.js";
import { BenefitsError } from "./benefits.errors.js";

export interface BenefitsTable {
  tenant_id: string;
  id: string;
  kind: BenefitKind;
  name: string;
  brief: string | null;
  description: string | null;
  icon: string | null;
  audience: Json<AudienceRule>;
  config: Json<Record<string, unknown>>;
  stackable: boolean;
  status: BenefitStatus;
  version: number;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BenefitCatalogVersionsTable {
  tenant_id: string;
  version: number;
}

declare module "../../db/schema.js" {
  interface DB {
    benefits: BenefitsTable;
    benefit_catalog_versions: BenefitCatalogVersionsTable;
  }
}

/** A benefit as read (jsonb columns parsed, timestamps as dates). */
export type BenefitRow = Selectable<BenefitsTable>;

export function toBenefit(row: BenefitRow): AnyBenefit {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    brief: row.brief,
    description: row.description,
    icon: row.icon,
    audience: row.audience,
    config: row.config,
    stackable: row.stackable,
    status: row.status,
    version: row.version,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  } as AnyBenefit;
}

/** Locks and returns one benefit (the row every change decides on). */
export async function lockBenefit(trx: Tx, tenantId: string, id: string): Promise<BenefitRow> {
  const row = await trx
    .selectFrom("benefits")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new BenefitsError("benefit_not_found", "Benefit not found");
  return row as BenefitRow;
}

/** The benefit's row, as a query for a transaction or for `Database.tenantQuery`. */
export function benefitQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc.selectFrom("benefits").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
}

export async function findBenefit(trx: Tx, tenantId: string, id: string): Promise<BenefitRow> {
  return requireBenefit(await benefitQuery(trx, tenantId, id).executeTakeFirst());
}

export function requireBenefit(row: BenefitRow | undefined): BenefitRow {
  if (!row) throw new BenefitsError("benefit_not_found", "Benefit not found");
  return row;
}

export interface BenefitFilter {
  name?: string;
  kind?: BenefitKind;
  status?: BenefitStatus;
  operator?: string;
  startingAfter?: string;
  limit: number;
}

/** Newest first would shift under inserts; lists are ordered by id (time-ordered ids). */
/** A page of benefits (one row more than the limit), as a query for `Database.tenantQueries`. */
export function benefitsQuery(qc: QueryCreator<DB>, tenantId: string, f: BenefitFilter) {
  let q = qc.selectFrom("benefits").selectAll().where("tenant_id", "=", tenantId);
  if (f.name) q = q.where("name", "ilike", `%${escapeLike(f.name)}%`);
  if (f.kind) q = q.where("kind", "=", f.kind);
  if (f.status) q = q.where("status", "=", f.status);
  if (f.operator) q = q.where(actorMatches("benefits.updated_by", tenantId, f.operator));
  if (f.startingAfter) q = q.where("id", ">", f.startingAfter);
  return q.orderBy("id").limit(f.limit + 1);
}

/** Every active benefit of the tenant, ordered by id (what the checkout prices with). */
export async function activeBenefits(trx: Tx, tenantId: string): Promise<BenefitRow[]> {
  return (await trx
    .selectFrom("benefits")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "active")
    .orderBy("id")
    .execute()) as BenefitRow[];
}

/** Bumped in the transaction of every catalog change; caches compare it before use. */
export async function bumpCatalogVersion(trx: Tx, tenantId: string): Promise<void> {
  await sql`
    insert into benefit_catalog_versions (tenant_id, version) values (${tenantId}, 1)
    on conflict (tenant_id) do update set version = benefit_catalog_versions.version + 1`.execute(trx);
}

export async function catalogVersion(trx: Tx, tenantId: string): Promise<number> {
  const row = await trx
    .selectFrom("benefit_catalog_versions")
    .select("version")
    .where("tenant_id", "=", tenantId)
    .executeTakeFirst();
  return row?.version ?? 0;
}

export async function countActiveBenefits(trx: Tx, tenantId: string): Promise<number> {
  const row = await trx
    .selectFrom("benefits")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "active")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
