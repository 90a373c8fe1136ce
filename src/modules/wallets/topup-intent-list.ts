import { sql } from "kysely";
import type { Database, Db } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { ExportDefinition } from "../../platform/files/registry.js";
import { type Page, type PageParams, pageLimit, pageOfRows } from "../../platform/http/pagination.js";
import {
  ONLINE_TOPUP_SOURCES,
  ONLINE_TOPUP_STATUSES,
  type OnlineTopupSource,
  type OnlineTopupSourceKind,
  type OnlineTopupStatus,
  onlineTopupSources,
} from "../../platform/online-topups.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { isDateTime } from "../../shared/date-time.js";
import { TOPUP_INTENT_ID_PREFIX } from "./create-topup-intent.js";
import { type ListedTopupRow, serializeListedTopup } from "./online-topups.schemas.js";
import { WalletsError } from "./wallets.errors.js";

/**
 * Seed 004: the online top-up orders across members, filtered, listed and exported. Every
 * module's online top-ups are listed here (manifest `listsOnlineTopups`): the balance's own
 * intents and the plan and smart top-ups a member paid online, one list, one cursor.
 */
export interface IntentFilter {
  status?: OnlineTopupStatus;
  provider?: string;
  member_id?: string;
  source?: OnlineTopupSourceKind;
  created_from?: string;
  created_to?: string;
}

function checkRange(f: IntentFilter, at: string): void {
  if (f.created_from && f.created_to && Date.parse(f.created_from) > Date.parse(f.created_to)) {
    throw new WalletsError("validation_failed", "created_from must not be after created_to", {
      errors: [{ field: `${at}/created_from`, message: "is after created_to" }],
    });
  }
}

/** The balance's own online top-ups, in the columns of every source. */
export const WALLET_ONLINE_TOPUPS: OnlineTopupSource = {
  prefix: TOPUP_INTENT_ID_PREFIX,
  sources: ["balance"],
  rows: (db, tenantId) =>
    db
      .selectFrom("wallet_topup_intents as i")
      .where("i.tenant_id", "=", tenantId)
      .select([
        "i.id",
        sql<"topup_intent">`'topup_intent'::text`.as("object"),
        sql<"balance">`'balance'::text`.as("source"),
        "i.member_id",
        "i.asset",
        "i.amount",
        sql<number>`0::bigint`.as("bonus_amount"),
        sql<number>`0::bigint`.as("points"),
        sql<string | null>`null::text`.as("plan_id"),
        sql<string | null>`null::text`.as("plan_name"),
        "i.provider",
        "i.provider_ref",
        "i.status",
        "i.checkout",
        "i.expires_at",
        "i.completed_at",
        "i.refund_record",
        "i.provider_refunds as refund_log",
        "i.created_at",
      ])
      .as("s"),
};

/** Where a page starts and which way it runs; `limit` rows at most from each source. */
interface Keyset {
  after?: string;
  desc: boolean;
  limit: number;
}

/**
 * One source's rows of the members the actor may read (an actor bound to an org unit: its
 * subtree's), filtered; with a keyset, ordered by id from the cursor. A source's ids share its
 * prefix and are time-ordered after it, so "after the cursor" is the cursor's time part under
 * this source's prefix: the primary key's order, whichever source the cursor came from.
 */
function sourceRows(
  db: Db,
  actor: Pick<Actor, "tenantId" | "orgUnitPath">,
  source: OnlineTopupSource,
  f: IntentFilter,
  keyset?: Keyset,
) {
  let q = db
    .selectFrom(source.rows(db, actor.tenantId))
    .innerJoin("members as m", (j) =>
      j.on("m.tenant_id", "=", actor.tenantId).onRef("m.id", "=", "s.member_id"),
    )
    .selectAll("s")
    .select(["m.name as member_name", "m.phone as member_phone"]);
  if (actor.orgUnitPath) {
    q = q
      .innerJoin("org_units as o", (j) =>
        j.onRef("o.tenant_id", "=", "m.tenant_id").onRef("o.id", "=", "m.org_unit_id"),
      )
      .where("o.path", "like", subtreePattern(actor.orgUnitPath));
  }
  if (f.status) q = q.where("s.status", "=", f.status);
  if (f.provider) q = q.where("s.provider", "=", f.provider);
  if (f.member_id) q = q.where("s.member_id", "=", f.member_id);
  if (f.source) q = q.where("s.source", "=", f.source);
  if (f.created_from) q = q.where("s.created_at", ">=", new Date(f.created_from));
  if (f.created_to) q = q.where("s.created_at", "<", new Date(f.created_to));
  if (!keyset) return q;
  if (keyset.after)
    q = q.where("s.id", keyset.desc ? "<" : ">", `${source.prefix}_${timePart(keyset.after)}`);
  return q.orderBy("s.id", keyset.desc ? "desc" : "asc").limit(keyset.limit);
}

/** An id without its prefix: the part that orders ids of every source by time. */
function timePart(id: string): string {
  return id.slice(id.indexOf("_") + 1);
}

/** Every source's rows as one query (null when the filter leaves no source). */
function unionOf(db: Db, actor: Pick<Actor, "tenantId" | "orgUnitPath">, f: IntentFilter, keyset?: Keyset) {
  const branches = onlineTopupSources()
    .filter((source) => !f.source || source.sources.includes(f.source))
    .map((source) => db.selectFrom(sourceRows(db, actor, source, f, keyset).as("b")).selectAll());
  if (branches.length === 0) return null;
  return branches.slice(1).reduce((u, b) => u.unionAll(b), branches[0]!);
}

/**
 * The online top-ups as one keyset list over every source: each source's first `limit` rows
 * from the cursor (by its primary key), merged by the ids' time part. Null when the filter
 * leaves no source.
 */
export function intentQuery(
  db: Db,
  actor: Pick<Actor, "tenantId" | "orgUnitPath">,
  f: IntentFilter,
  keyset: Keyset,
) {
  checkRange(f, "/querystring");
  const union = unionOf(db, actor, f, keyset);
  if (!union) return null;
  const dir = keyset.desc ? "desc" : "asc";
  return db
    .selectFrom(union.as("u"))
    .selectAll()
    .orderBy(sql`substr(u.id, strpos(u.id, '_') + 1)`, dir)
    .orderBy("u.id", dir)
    .limit(keyset.limit);
}

/** One page of the list, newest first (`limit` ≤ 100, `starting_after` any listed id). */
export async function listOnlineTopups(
  db: Database,
  actor: Pick<Actor, "tenantId" | "orgUnitPath">,
  query: IntentFilter & PageParams,
): Promise<Page<ReturnType<typeof serializeListedTopup>>> {
  const limit = pageLimit(query.limit);
  const q = intentQuery(db.kysely, actor, query, {
    after: query.starting_after,
    desc: true,
    limit: limit + 1,
  });
  const rows = q ? await db.tenantQuery(actor.tenantId, q) : [];
  return pageOfRows(rows as ListedTopupRow[], query, serializeListedTopup);
}

const PAGE = 2000;

/** The export's filters are the list's, checked when the export is requested. */
function exportFilters(filters: Record<string, unknown>): IntentFilter {
  const text = (key: keyof IntentFilter, ok: (v: string) => boolean, message: string) => {
    const v = filters[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !ok(v)) {
      throw new WalletsError("validation_failed", `filters.${key} ${message}`, {
        errors: [{ field: `/body/filters/${key}`, message }],
      });
    }
    return v;
  };
  const oneOf = (values: readonly string[]) => (v: string) => values.includes(v);
  const short = (v: string) => v.length > 0 && v.length <= 64;
  const f: IntentFilter = {
    status: text(
      "status",
      oneOf(ONLINE_TOPUP_STATUSES),
      `must be one of ${ONLINE_TOPUP_STATUSES.join(", ")}`,
    ) as OnlineTopupStatus | undefined,
    provider: text("provider", short, "must be 1-64 characters"),
    member_id: text("member_id", short, "must be 1-64 characters"),
    source: text(
      "source",
      oneOf(ONLINE_TOPUP_SOURCES),
      `must be one of ${ONLINE_TOPUP_SOURCES.join(", ")}`,
    ) as OnlineTopupSourceKind | undefined,
    created_from: text("created_from", isDateTime, "must be a date-time"),
    created_to: text("created_to", isDateTime, "must be a date-time"),
  };
  checkRange(f, "/body/filters");
  return f;
}

const tenantWide = (tenantId: string) => ({ tenantId, orgUnitPath: null });

export const TOPUP_INTENTS_EXPORT: ExportDefinition<ListedTopupRow> = {
  type: "topup_intents",
  description:
    "Online top-up orders across members, balance top-ups and those bought through a top-up plan or a smart top-up: source, plan, amount paid, bonus and points credited, status, provider, member and time (filters: status, provider, member_id, source, created_from, created_to)",
  permission: "wallets.read",
  validateFilters: (filters) => void exportFilters(filters),
  columns: [
    { key: "id", header: "intent_id", value: (r) => r.id },
    { key: "created_at", header: "created_at", value: (r) => r.created_at },
    { key: "member_id", header: "member_id", value: (r) => r.member_id },
    { key: "member_name", header: "member_name", value: (r) => r.member_name },
    { key: "member_phone", header: "member_phone", value: (r) => r.member_phone },
    { key: "amount", header: "amount", value: (r) => r.amount },
    { key: "asset", header: "asset", value: (r) => r.asset },
    { key: "provider", header: "provider", value: (r) => r.provider },
    { key: "provider_ref", header: "provider_ref", value: (r) => r.provider_ref },
    { key: "status", header: "status", value: (r) => r.status },
    { key: "completed_at", header: "completed_at", value: (r) => r.completed_at },
    // Added after the columns above, so files read by position keep their meaning.
    { key: "source", header: "source", value: (r) => r.source },
    { key: "plan_id", header: "plan_id", value: (r) => r.plan_id },
    { key: "plan_name", header: "plan_name", value: (r) => r.plan_name },
    { key: "bonus_amount", header: "bonus_amount", value: (r) => r.bonus_amount },
    { key: "points", header: "points", value: (r) => r.points },
  ],
  count: async (trx, tenantId, filters) => {
    const f = exportFilters(filters);
    const union = unionOf(trx, tenantWide(tenantId), f);
    if (!union) return 0;
    const row = await trx
      .selectFrom(union.as("u"))
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  batches: async function* (trx, tenantId, filters) {
    const f = exportFilters(filters);
    let after: string | undefined;
    for (;;) {
      const q = intentQuery(trx, tenantWide(tenantId), f, { after, desc: false, limit: PAGE });
      if (!q) return;
      const rows = (await q.execute()) as ListedTopupRow[];
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.id;
    }
  },
};
