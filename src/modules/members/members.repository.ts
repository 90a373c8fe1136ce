import type { QueryCreator, Selectable } from "kysely";
import type { RowsOfEach, Tx } from "../../db/database.js";
import type { DB, JsonDefault, Timestamp } from "../../db/schema.js";
import { lockForTransaction } from "../../db/transaction-lock.js";
import { orgUnitPath } from "../../platform/org/org-units.js";
import type { DomainError } from "../../shared/errors.js";
import type { MemberFacts } from "./audience.js";
import { MembersError } from "./members.errors.js";

export type MemberStatus = "active" | "frozen" | "closed";
export type TierChangeReason = "manual" | "topup_upgrade" | "package" | "registration" | "import";

export interface CardPlansTable {
  tenant_id: string;
  id: string;
  code: string;
  name: string;
  validity_kind: "permanent" | "relative";
  validity_days: number | null;
  archived_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CardTiersTable {
  tenant_id: string;
  id: string;
  card_plan_id: string;
  code: string;
  name: string;
  rank: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LabelTable {
  tenant_id: string;
  id: string;
  code: string;
  name: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MembersTable {
  tenant_id: string;
  id: string;
  external_ref: string | null;
  name: string;
  phone: string | null;
  email: string | null;
  birth_month: number | null;
  birth_day: number | null;
  birth_year: number | null;
  card_plan_id: string | null;
  tier_id: string | null;
  card_number: string | null;
  card_issued_at: Date | null;
  card_expires_at: Date | null;
  student: boolean;
  status: MemberStatus;
  org_unit_id: string | null;
  group_ids: string[];
  tag_ids: string[];
  metadata: JsonDefault<Record<string, unknown>>;
  registered_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MemberTierChangesTable {
  tenant_id: string;
  id: string;
  member_id: string;
  from_plan_id: string | null;
  from_tier_id: string | null;
  to_plan_id: string | null;
  to_tier_id: string | null;
  reason: TierChangeReason;
  reference: string | null;
  actor_type: string;
  actor_id: string;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    card_plans: CardPlansTable;
    card_tiers: CardTiersTable;
    member_groups: LabelTable;
    member_tags: LabelTable;
    members: MembersTable;
    member_tier_changes: MemberTierChangesTable;
  }
}

export type MemberRow = Selectable<MembersTable>;
export type CardPlanRow = Selectable<CardPlansTable>;
export type CardTierRow = Selectable<CardTiersTable>;
export type LabelRow = Selectable<LabelTable>;

/** A tenant has at most this many groups, tags, card plans (and tiers per plan). */
export const CATALOG_LIMITS = { groups: 1000, tags: 1000, plans: 100, tiersPerPlan: 20 } as const;

/**
 * How many rows of a counted catalog table the tenant has, read under a transaction lock on
 * that count: a count taken without it lets two creations at the last free place both see
 * room and both insert. The lock is released at commit, when the new row becomes visible.
 */
export async function countCatalogRows(
  trx: Tx,
  tenantId: string,
  table: "card_plans" | "member_groups" | "member_tags",
): Promise<number> {
  await lockForTransaction(trx, "catalog_count", table, tenantId);
  const row = await trx
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("tenant_id", "=", tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Codes ↔ ids of a tenant's plans, tiers, groups and tags, loaded once per request. */
export interface Catalog {
  plans: Map<string, CardPlanRow>;
  tiers: Map<string, CardTierRow>;
  groups: Map<string, LabelRow>;
  tags: Map<string, LabelRow>;
}

export async function loadCatalog(trx: Tx, tenantId: string): Promise<Catalog> {
  const [plans, tiers, groups, tags] = catalogQueries(trx, tenantId);
  // One after another on the transaction's one connection (see `heldBenefits` in the catalog module).
  return catalogOf([
    await plans.execute(),
    await tiers.execute(),
    await groups.execute(),
    await tags.execute(),
  ]);
}

/** What `loadCatalog` reads, as independent queries for `Database.tenantQueries`; `catalogOf` reads their rows. */
export function catalogQueries(qc: QueryCreator<DB>, tenantId: string) {
  return [
    qc.selectFrom("card_plans").selectAll().where("tenant_id", "=", tenantId),
    qc.selectFrom("card_tiers").selectAll().where("tenant_id", "=", tenantId),
    qc.selectFrom("member_groups").selectAll().where("tenant_id", "=", tenantId),
    qc.selectFrom("member_tags").selectAll().where("tenant_id", "=", tenantId),
  ] as const;
}

export function catalogOf([plans, tiers, groups, tags]: RowsOfEach<
  ReturnType<typeof catalogQueries>
>): Catalog {
  const byId = <R extends { id: string }>(rows: R[]) => new Map(rows.map((r) => [r.id, r]));
  return { plans: byId(plans), tiers: byId(tiers), groups: byId(groups), tags: byId(tags) };
}

export function findByCode<R extends { code: string }>(map: Map<string, R>, code: string): R | undefined {
  for (const row of map.values()) if (row.code === code) return row;
  return undefined;
}

export function codesToIds(
  map: Map<string, LabelRow>,
  codes: readonly string[],
  what: "member_group" | "member_tag",
): string[] {
  return codes.map((code) => {
    const row = findByCode(map, code);
    if (!row)
      throw new MembersError(`${what}_not_found`, `No ${what.replace("member_", "")} with code ${code}`);
    return row.id;
  });
}

export function birthdayText(
  row: Pick<MemberRow, "birth_year" | "birth_month" | "birth_day">,
): string | null {
  if (row.birth_month === null || row.birth_day === null) return null;
  const md = `${String(row.birth_month).padStart(2, "0")}-${String(row.birth_day).padStart(2, "0")}`;
  return row.birth_year ? `${row.birth_year}-${md}` : md;
}

export function factsOf(row: MemberRow, catalog: Catalog): MemberFacts {
  return {
    id: row.id,
    status: row.status,
    cardPlan: row.card_plan_id ? (catalog.plans.get(row.card_plan_id)?.code ?? null) : null,
    tier: row.tier_id ? (catalog.tiers.get(row.tier_id)?.code ?? null) : null,
    groups: row.group_ids.map((id) => catalog.groups.get(id)?.code).filter((c): c is string => !!c),
    tags: row.tag_ids.map((id) => catalog.tags.get(id)?.code).filter((c): c is string => !!c),
    student: row.student,
    birthday: birthdayText(row),
  };
}

/** The member row, locked when `lock` (operations that decide on its status lock first). */
export async function findMember(
  trx: Tx,
  tenantId: string,
  memberId: string,
  options: { lock?: boolean } = {},
): Promise<MemberRow | undefined> {
  let query = memberQuery(trx, tenantId, memberId);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The member's row, as a query for a transaction or for `Database.tenantQueries`. */
export function memberQuery(qc: QueryCreator<DB>, tenantId: string, memberId: string) {
  return qc.selectFrom("members").selectAll().where("tenant_id", "=", tenantId).where("id", "=", memberId);
}

/** The path of the member's org unit (no row: the member has none, or is unknown). */
export function memberUnitPathQuery(qc: QueryCreator<DB>, tenantId: string, memberId: string) {
  return qc
    .selectFrom("members as m")
    .innerJoin("org_units as u", (j) =>
      j.onRef("u.tenant_id", "=", "m.tenant_id").onRef("u.id", "=", "m.org_unit_id"),
    )
    .select("u.path")
    .where("m.tenant_id", "=", tenantId)
    .where("m.id", "=", memberId);
}

/** Maps unique violations of the members tables to their domain codes. */
export function uniqueViolation(error: unknown): DomainError | undefined {
  const e = error as { code?: string; constraint?: string };
  if (e.code !== "23505") return undefined;
  const c = e.constraint ?? "";
  if (c.includes("external_ref"))
    return new MembersError("external_ref_taken", "Another member has this external reference");
  if (c.includes("card_number"))
    return new MembersError("card_number_taken", "Another member has this card number");
  if (c.includes("rank"))
    return new MembersError("tier_rank_taken", "The card plan already has a tier with this rank");
  if (c.includes("code")) return new MembersError("code_taken", "This code is already used");
  return undefined;
}

/** The path of a member's org unit (null: none); a unit that does not exist is refused. */
export async function existingOrgUnitPath(
  trx: Tx,
  tenantId: string,
  orgUnitId: string | null,
): Promise<string | null> {
  if (!orgUnitId) return null;
  const path = await orgUnitPath(trx, tenantId, orgUnitId);
  if (path === undefined) throw new MembersError("org_unit_not_found", "Org unit not found");
  return path;
}
