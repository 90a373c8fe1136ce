import {
  type ColumnType,
  type Expression,
  type ExpressionBuilder,
  type QueryCreator,
  type Selectable,
  sql,
} from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Json, JsonDefault, Timestamp } from "../../db/schema.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { MemberImageLookup } from "../../platform/files/member-images.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { type StoreScopeReferenceLookup, scopeNames } from "../../platform/org/store-scope-references.js";
import type { PlanTerms } from "./plan-terms.js";
import type { SmartTerms } from "./smart-terms.js";
import { TopupError } from "./topup.errors.js";

export type PlanStatus = "active" | "inactive" | "archived";
export const PLAN_STATUSES = ["active", "inactive", "archived"] as const;
/** Every top-up's id starts so (the list of online top-ups pages by what follows it). */
export const TOPUP_ID_PREFIX = "tup";
export const TOPUP_STATUSES = [
  "pending_payment",
  "credited",
  "failed",
  "expired",
  "refund_due",
  "refunded",
] as const;
export type TopupStatus = (typeof TOPUP_STATUSES)[number];

export interface TopupPlansTable {
  tenant_id: string;
  id: string;
  kind: "package" | "custom";
  name: string;
  currency: string;
  status: PlanStatus;
  visibility: "shown" | "hidden";
  terms: Json<PlanTerms>;
  version: ColumnType<number, number | undefined, number>;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SmartTopupPlansTable {
  tenant_id: string;
  id: string;
  name: string;
  currency: string;
  status: PlanStatus;
  terms: Json<SmartTerms>;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A gift line of a top-up: what the plan or its first-top-up bonus gave. */
export interface GiftGiven {
  perk: "gift" | "first_topup_gift" | "tier_gift";
  grant_id: string;
  status: string;
  voucher_ids: string[];
}

export interface TopupsTable {
  tenant_id: string;
  id: string;
  source: "plan" | "smart";
  plan_id: string;
  plan_name: string;
  member_id: string;
  card_number: string | null;
  currency: string;
  amount: number;
  bonus_amount: number;
  points: number;
  first_topup: boolean;
  gift: JsonDefault<GiftGiven[]>;
  channel: "pos" | "online";
  store_id: string | null;
  payment_method: "offline" | "online";
  provider: string | null;
  provider_ref: string | null;
  checkout: Json<Record<string, unknown> | null>;
  payment_expires_at: Date | null;
  status: TopupStatus;
  recharge_code_id: string | null;
  stock_key: string | null;
  /** Lots, tier change, entitlements: what the credit did. */
  details: JsonDefault<Record<string, unknown>>;
  created_by: string;
  created_at: Timestamp;
  credited_at: Date | null;
  updated_at: Timestamp;
}

export interface SmartTopupAcceptancesTable {
  tenant_id: string;
  id: string;
  plan_id: string;
  tier_index: number;
  tier_type: string;
  member_id: string;
  order_amount: number;
  topup_id: string;
  amount: number;
  bonus_amount: number;
  points: number;
  gift: JsonDefault<GiftGiven[]>;
  store_id: string | null;
  channel: string;
  order_id: string | null;
  payment_id: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface RechargeCodesTable {
  tenant_id: string;
  id: string;
  code: string;
  plan_id: string;
  scenario: string;
  store_id: string | null;
  channel: "pos" | "online";
  status: "active" | "disabled";
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    topup_plans: TopupPlansTable;
    smart_topup_plans: SmartTopupPlansTable;
    topups: TopupsTable;
    smart_topup_acceptances: SmartTopupAcceptancesTable;
    recharge_codes: RechargeCodesTable;
  }
}

export type PlanRow = Selectable<TopupPlansTable>;
export type SmartPlanRow = Selectable<SmartTopupPlansTable>;
export type TopupRow = Selectable<TopupsTable>;
export type AcceptanceRow = Selectable<SmartTopupAcceptancesTable>;
export type RechargeCodeRow = Selectable<RechargeCodesTable>;

/** The plan's row, as a query for a transaction or for `Database.tenantQuery`. */
export function planQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc.selectFrom("topup_plans").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
}

export async function findPlan(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<PlanRow> {
  let q = planQuery(trx, tenantId, id);
  if (options.lock) q = q.forUpdate();
  return requirePlan(await q.executeTakeFirst());
}

export function requirePlan(row: PlanRow | undefined): PlanRow {
  if (!row) throw new TopupError("topup_plan_not_found", "Top-up plan not found");
  return row;
}

/** The smart plan's row, as a query for a transaction or for `Database.tenantQuery`. */
export function smartPlanQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("smart_topup_plans")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
}

export async function findSmartPlan(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<SmartPlanRow> {
  let q = smartPlanQuery(trx, tenantId, id);
  if (options.lock) q = q.forUpdate();
  return requireSmartPlan(await q.executeTakeFirst());
}

export function requireSmartPlan(row: SmartPlanRow | undefined): SmartPlanRow {
  if (!row) throw new TopupError("smart_topup_plan_not_found", "Smart top-up plan not found");
  return row;
}

export async function findTopup(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<TopupRow> {
  let query = trx.selectFrom("topups").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new TopupError("topup_not_found", "Top-up not found");
  return row;
}

export interface PlanFilter {
  status?: PlanStatus;
  kind?: string;
  q?: string;
  shownOnly?: boolean;
  startingAfter?: string;
  limit: number;
}

/** A page of plans (one row more than the limit), as a query for `Database.tenantQuery`. */
export function plansQuery(qc: QueryCreator<DB>, tenantId: string, f: PlanFilter) {
  let q = qc.selectFrom("topup_plans").selectAll().where("tenant_id", "=", tenantId);
  if (f.status) q = q.where("status", "=", f.status);
  else q = q.where("status", "!=", "archived");
  if (f.kind) q = q.where("kind", "=", f.kind as "package" | "custom");
  if (f.q) q = q.where("name", "ilike", `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.shownOnly) q = q.where("visibility", "=", "shown");
  if (f.startingAfter) q = q.where("id", ">", f.startingAfter);
  return q.orderBy("id").limit(f.limit + 1);
}

export interface SmartPlanFilter {
  status?: PlanStatus;
  startingAfter?: string;
  limit: number;
}

/** A page of smart plans (one row more than the limit), as a query for `Database.tenantQuery`. */
export function smartPlansQuery(qc: QueryCreator<DB>, tenantId: string, f: SmartPlanFilter) {
  let q = qc.selectFrom("smart_topup_plans").selectAll().where("tenant_id", "=", tenantId);
  if (f.status) q = q.where("status", "=", f.status);
  else q = q.where("status", "!=", "archived");
  if (f.startingAfter) q = q.where("id", ">", f.startingAfter);
  return q.orderBy("id").limit(f.limit + 1);
}

export interface TopupFilter {
  member_id?: string;
  channel?: "pos" | "online";
  store_id?: string;
  status?: TopupStatus;
  first_topup?: boolean;
  recharge_code_id?: string;
  from?: string;
  to?: string;
}

/** The row's member lies in the org unit subtree of staff bound to `orgUnitPath`. */
function memberInSubtree(
  tenantId: string,
  orgUnitPath: string,
  memberRef: "topups.member_id" | "smart_topup_acceptances.member_id",
) {
  return ({ exists, selectFrom }: ExpressionBuilder<DB, "topups" | "smart_topup_acceptances">) =>
    exists(
      selectFrom("members as m")
        .innerJoin("org_units as o", (j) =>
          j.onRef("o.tenant_id", "=", "m.tenant_id").onRef("o.id", "=", "m.org_unit_id"),
        )
        .select("m.id")
        .where("m.tenant_id", "=", tenantId)
        .whereRef("m.id", "=", memberRef)
        .where("o.path", "like", subtreePattern(orgUnitPath)),
    );
}

/**
 * A plan's top-ups, newest first, filtered; an actor bound to an org unit sees only those of
 * members in its subtree, as it reads each top-up and each member.
 */
export function planTopupsQuery(
  qc: QueryCreator<DB>,
  actor: Pick<Actor, "tenantId" | "orgUnitPath">,
  planId: string,
  f: TopupFilter & { startingAfter?: string },
  limit: number,
) {
  const { tenantId, orgUnitPath } = actor;
  let q = qc.selectFrom("topups").selectAll().where("tenant_id", "=", tenantId).where("plan_id", "=", planId);
  if (orgUnitPath) q = q.where(memberInSubtree(tenantId, orgUnitPath, "topups.member_id"));
  if (f.member_id) q = q.where("member_id", "=", f.member_id);
  if (f.channel) q = q.where("channel", "=", f.channel);
  if (f.store_id) q = q.where("store_id", "=", f.store_id);
  if (f.status) q = q.where("status", "=", f.status);
  if (f.first_topup !== undefined) q = q.where("first_topup", "=", f.first_topup);
  if (f.recharge_code_id) q = q.where("recharge_code_id", "=", f.recharge_code_id);
  if (f.from) q = q.where("created_at", ">=", new Date(f.from));
  if (f.to) q = q.where("created_at", "<", new Date(f.to));
  if (f.startingAfter) q = q.where("id", "<", f.startingAfter);
  return q.orderBy("id", "desc").limit(limit);
}

export async function listPlanTopups(
  trx: Tx,
  actor: Pick<Actor, "tenantId" | "orgUnitPath">,
  planId: string,
  f: TopupFilter & { startingAfter?: string },
  limit: number,
): Promise<TopupRow[]> {
  return planTopupsQuery(trx, actor, planId, f, limit).execute();
}

/**
 * Top-ups of a member under a plan that count toward its purchase limit: every one credited,
 * refunded since or not (a refund, often partial, takes back money but not the points, gifts
 * and tier the top-up gave), and every one still awaiting its payment.
 */
export async function memberPlanTopups(
  trx: Tx,
  tenantId: string,
  planId: string,
  memberId: string,
  now: Date,
) {
  const row = await trx
    .selectFrom("topups")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("plan_id", "=", planId)
    .where("member_id", "=", memberId)
    .where((eb) =>
      eb.or([
        eb("credited_at", "is not", null),
        eb.and([eb("status", "=", "pending_payment"), eb("payment_expires_at", ">", now)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Whether the member has a plan or smart top-up that was credited, refunded since or not (the
 * wallets' change log covers the rest). A payment kept `refund_due` and then refunded never
 * reached the balance: it makes no depositor.
 */
export async function hasCreditedTopup(trx: Tx, tenantId: string, memberId: string): Promise<boolean> {
  const row = await trx
    .selectFrom("topups")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("credited_at", "is not", null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** A smart plan's accepted offers, newest first. */
export function acceptancesQuery(
  qc: QueryCreator<DB>,
  actor: Pick<Actor, "tenantId" | "orgUnitPath">,
  planId: string,
  startingAfter: string | undefined,
  limit: number,
) {
  const { tenantId, orgUnitPath } = actor;
  let q = qc
    .selectFrom("smart_topup_acceptances")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("plan_id", "=", planId);
  // Staff bound to a store see the acceptances of their branch's members, as a plan's top-ups.
  if (orgUnitPath) q = q.where(memberInSubtree(tenantId, orgUnitPath, "smart_topup_acceptances.member_id"));
  if (startingAfter) q = q.where("id", "<", startingAfter);
  return q.orderBy("id", "desc").limit(limit);
}

export interface CodeCounts {
  started: number;
  credited: number;
  amount: number;
  bonus_amount: number;
}

/** Per code: top-ups started from it, credited, and what they credited. */
/** Top-up counts per recharge code; the ids may be a subquery (a page of codes read beside it). */
export function codeCountsQuery(
  qc: QueryCreator<DB>,
  tenantId: string,
  codeIds: string[] | Expression<string>,
) {
  return qc
    .selectFrom("topups")
    .select((eb) => [
      "recharge_code_id",
      eb.fn.countAll<string>().as("started"),
      eb.fn.sum<string>(eb.case().when("status", "=", "credited").then(1).else(0).end()).as("credited"),
      eb.fn
        .sum<string>(eb.case().when("status", "=", "credited").then(eb.ref("amount")).else(0).end())
        .as("amount"),
      eb.fn
        .sum<string>(eb.case().when("status", "=", "credited").then(eb.ref("bonus_amount")).else(0).end())
        .as("bonus"),
    ])
    .where("tenant_id", "=", tenantId)
    .where("recharge_code_id", "in", codeIds)
    .groupBy("recharge_code_id");
}

export function codeCountsOf(
  rows: readonly {
    recharge_code_id: string | null;
    started: string;
    credited: string;
    amount: string;
    bonus: string;
  }[],
): Map<string, CodeCounts> {
  return new Map(
    rows.map((r) => [
      r.recharge_code_id!,
      {
        started: Number(r.started),
        credited: Number(r.credited),
        amount: Number(r.amount),
        bonus_amount: Number(r.bonus),
      },
    ]),
  );
}

export async function codeCounts(
  trx: Tx,
  tenantId: string,
  codeIds: readonly string[],
): Promise<Map<string, CodeCounts>> {
  if (codeIds.length === 0) return new Map();
  return codeCountsOf(await codeCountsQuery(trx, tenantId, [...codeIds]).execute());
}

/** A page of a plan's recharge codes, as a query for `Database.tenantQueries`. */
export function codesQuery(
  qc: QueryCreator<DB>,
  tenantId: string,
  planId: string,
  startingAfter: string | undefined,
  limit: number,
) {
  let q = qc
    .selectFrom("recharge_codes")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("plan_id", "=", planId);
  if (startingAfter) q = q.where("id", ">", startingAfter);
  return q.orderBy("id").limit(limit);
}

/**
 * Whether a plan a member sees shows the image as its cover: an active, shown top-up plan
 * (what GET /v1/topup-plans lists to a member) or an active smart top-up plan (its offers).
 */
export const topupCoverShown: MemberImageLookup = async (trx, tenantId, imageId) => {
  const plan = await trx
    .selectFrom("topup_plans")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where(sql<string>`terms->>'cover_image_id'`, "=", imageId)
    .where("status", "=", "active")
    .where("visibility", "=", "shown")
    .limit(1)
    .executeTakeFirst();
  if (plan) return true;
  const smart = await trx
    .selectFrom("smart_topup_plans")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where(sql<string>`terms->>'cover_image_id'`, "=", imageId)
    .where("status", "=", "active")
    .limit(1)
    .executeTakeFirst();
  return smart !== undefined;
};

/** A top-up or smart top-up plan not archived whose store scope names the unit or group. */
export const topupPlanNamingScope: StoreScopeReferenceLookup = async (trx, tenantId, target) => {
  for (const [table, what] of [
    ["topup_plans", "top-up plan"],
    ["smart_topup_plans", "smart top-up plan"],
  ] as const) {
    const plan = await trx
      .selectFrom(table)
      .select(["id", "name"])
      .where("tenant_id", "=", tenantId)
      .where("status", "<>", "archived")
      .where(scopeNames(sql`terms->'store_scope'`, target))
      .limit(1)
      .executeTakeFirst();
    if (plan) return `${what} ${plan.name} (${plan.id})`;
  }
  return null;
};
