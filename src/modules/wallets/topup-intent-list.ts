import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { ExportDefinition } from "../../platform/files/registry.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { isDateTime } from "../../shared/date-time.js";
import { WalletsError } from "./wallets.errors.js";
import { INTENT_STATUSES, type IntentStatus } from "./wallets.repository.js";

/** Seed 004: the online top-up orders across members, filtered, listed and exported. */
export interface IntentFilter {
  status?: IntentStatus;
  provider?: string;
  member_id?: string;
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

/**
 * The tenant's intents with the member's name; an actor bound to an org unit sees only
 * those of members in its subtree (like the members it can read).
 */
export function intentQuery(trx: Tx, actor: Pick<Actor, "tenantId" | "orgUnitPath">, f: IntentFilter) {
  checkRange(f, "/querystring");
  let q = trx
    .selectFrom("wallet_topup_intents as i")
    .innerJoin("members as m", (j) =>
      j.onRef("m.tenant_id", "=", "i.tenant_id").onRef("m.id", "=", "i.member_id"),
    )
    .selectAll("i")
    .select(["m.name as member_name", "m.phone as member_phone"])
    .where("i.tenant_id", "=", actor.tenantId);
  if (actor.orgUnitPath) {
    q = q
      .innerJoin("org_units as o", (j) =>
        j.onRef("o.tenant_id", "=", "m.tenant_id").onRef("o.id", "=", "m.org_unit_id"),
      )
      .where("o.path", "like", subtreePattern(actor.orgUnitPath));
  }
  if (f.status) q = q.where("i.status", "=", f.status);
  if (f.provider) q = q.where("i.provider", "=", f.provider);
  if (f.member_id) q = q.where("i.member_id", "=", f.member_id);
  if (f.created_from) q = q.where("i.created_at", ">=", new Date(f.created_from));
  if (f.created_to) q = q.where("i.created_at", "<", new Date(f.created_to));
  return q;
}

const STATUSES: readonly IntentStatus[] = INTENT_STATUSES;
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
  const short = (v: string) => v.length > 0 && v.length <= 64;
  const f: IntentFilter = {
    status: text(
      "status",
      (v) => STATUSES.includes(v as IntentStatus),
      `must be one of ${STATUSES.join(", ")}`,
    ) as IntentStatus | undefined,
    provider: text("provider", short, "must be 1-64 characters"),
    member_id: text("member_id", short, "must be 1-64 characters"),
    created_from: text("created_from", isDateTime, "must be a date-time"),
    created_to: text("created_to", isDateTime, "must be a date-time"),
  };
  checkRange(f, "/body/filters");
  return f;
}

interface IntentExportRow {
  id: string;
  member_id: string;
  member_name: string;
  member_phone: string | null;
  asset: string;
  amount: number;
  provider: string;
  provider_ref: string;
  status: string;
  created_at: Date;
  completed_at: Date | null;
}

export const TOPUP_INTENTS_EXPORT: ExportDefinition<IntentExportRow> = {
  type: "topup_intents",
  description:
    "Online top-up orders (intents) across members: status, amount, provider, member and time (filters: status, provider, member_id, created_from, created_to)",
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
  ],
  count: async (trx, tenantId, filters) => {
    const row = await intentQuery(trx, { tenantId, orgUnitPath: null }, exportFilters(filters))
      .clearSelect()
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  batches: async function* (trx, tenantId, filters) {
    const f = exportFilters(filters);
    let after: string | undefined;
    for (;;) {
      let q = intentQuery(trx, { tenantId, orgUnitPath: null }, f).orderBy("i.id").limit(PAGE);
      if (after) q = q.where("i.id", ">", after);
      const rows = await q.execute();
      if (rows.length === 0) return;
      yield rows as IntentExportRow[];
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.id;
    }
  },
};
