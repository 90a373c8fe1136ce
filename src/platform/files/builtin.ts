import type { Insertable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { OrgUnitsTable } from "../../db/schema.js";
import { countTransfers, findAccount, statement } from "../../ledger/index.js";
import { parseDateTime } from "../../shared/date-time.js";
import { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { actorLabel, recordAudit } from "../audit/audit.js";
import { systemActor } from "../auth/actor.js";
import { lockTree, ORG_UNIT_KINDS } from "../org/org-units.js";
import type { RowError } from "./files.schema.js";
import { type ExportDefinition, type ImportDefinition, registerExport, registerImport } from "./registry.js";

/** The first real export and import: the audit log out, org units in. */
const PAGE = 5000;

interface AuditRow {
  id: string;
  created_at: Date;
  actor_type: string;
  actor_id: string;
  actor_role: string | null;
  actor_label: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  summary: unknown;
  request_id: string | null;
}

/**
 * Refuses a filter the export does not know (a misspelt one would export everything) and a
 * time the API would refuse (one that is none reached the database as Invalid Date; one
 * PostgreSQL cannot hold failed the request).
 */
function checkFilters(filters: Record<string, unknown>, known: readonly string[], times: readonly string[]) {
  const refuse = (key: string, message: string) => {
    throw new DomainError("validation_failed", `filters.${key} ${message}`, {
      errors: [{ field: `/body/filters/${key}`, message }],
    });
  };
  for (const key of Object.keys(filters)) {
    if (!known.includes(key)) refuse(key, `is not a filter of this export (${known.join(", ")})`);
  }
  for (const key of times) {
    const value = filters[key];
    if (value === undefined) continue;
    if (parseDateTime(value) === undefined) {
      refuse(key, "must be a date-time such as 2026-11-23T08:00:00Z");
    }
  }
}

const AUDIT_FILTERS = ["action", "created_gte", "created_lt"] as const;
const TIME_FILTERS = ["created_gte", "created_lt"] as const;

function auditQuery(trx: Tx, tenantId: string, filters: Record<string, unknown>) {
  let query = trx.selectFrom("audit_events").where("tenant_id", "=", tenantId);
  if (typeof filters.action === "string") query = query.where("action", "=", filters.action);
  if (typeof filters.created_gte === "string")
    query = query.where("created_at", ">=", new Date(filters.created_gte));
  if (typeof filters.created_lt === "string")
    query = query.where("created_at", "<", new Date(filters.created_lt));
  return query;
}

export const AUDIT_EXPORT: ExportDefinition<AuditRow> = {
  type: "audit_events",
  description: "The audit log (filters: action, created_gte, created_lt), oldest first",
  permission: "audit.read",
  validateFilters: (filters) => checkFilters(filters, AUDIT_FILTERS, TIME_FILTERS),
  columns: [
    { key: "id", header: "id", value: (r) => r.id },
    { key: "created_at", header: "created_at", value: (r) => r.created_at },
    { key: "actor_type", header: "actor_type", value: (r) => r.actor_type },
    { key: "actor_id", header: "actor_id", value: (r) => r.actor_id },
    { key: "actor_role", header: "actor_role", value: (r) => r.actor_role },
    { key: "actor_label", header: "actor_label", value: (r) => r.actor_label },
    { key: "action", header: "action", value: (r) => r.action },
    { key: "target_type", header: "target_type", value: (r) => r.target_type },
    { key: "target_id", header: "target_id", value: (r) => r.target_id },
    { key: "summary", header: "summary", value: (r) => JSON.stringify(r.summary) },
    { key: "request_id", header: "request_id", value: (r) => r.request_id },
  ],
  count: async (trx, tenantId, filters) => {
    const row = await auditQuery(trx, tenantId, filters)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  batches: async function* (trx, tenantId, filters) {
    let after = "";
    for (;;) {
      const rows = await auditQuery(trx, tenantId, filters)
        .select([
          "id",
          "created_at",
          "actor_type",
          "actor_id",
          "actor_role",
          actorLabel.as("actor_label"),
          "action",
          "target_type",
          "target_id",
          "summary",
          "request_id",
        ])
        .where("id", ">", after)
        .orderBy("id")
        .limit(PAGE)
        .execute();
      if (rows.length === 0) return;
      yield rows;
      after = rows[rows.length - 1]!.id;
    }
  },
};

const STATEMENT_PAGE = 2000;
type StatementEntry = NonNullable<Awaited<ReturnType<typeof statement>>>["entries"][number];

function statementFilters(filters: Record<string, unknown>) {
  checkFilters(filters, ["account_id", ...TIME_FILTERS], TIME_FILTERS);
  if (typeof filters.account_id !== "string" || filters.account_id === "") {
    throw new DomainError("validation_failed", "The account statement export needs filters.account_id", {
      errors: [{ field: "/body/filters/account_id", message: "is required" }],
    });
  }
  return {
    accountId: filters.account_id,
    ...(typeof filters.created_gte === "string" ? { created_gte: new Date(filters.created_gte) } : {}),
    ...(typeof filters.created_lt === "string" ? { created_lt: new Date(filters.created_lt) } : {}),
  };
}

export const STATEMENT_EXPORT: ExportDefinition<StatementEntry> = {
  type: "account_statement",
  description:
    "A ledger account's entries with running balance, oldest first (filters: account_id, created_gte, created_lt)",
  permission: "ledger.read",
  validateFilters: (filters) => void statementFilters(filters),
  checkReferences: async (trx, tenantId, filters) => {
    const { accountId } = statementFilters(filters);
    if (!(await findAccount(trx, tenantId, accountId))) {
      throw new DomainError("account_not_found", `No ledger account ${accountId}`);
    }
  },
  columns: [
    { key: "created_at", header: "created_at", value: (e) => e.created_at },
    { key: "transfer_id", header: "transfer_id", value: (e) => e.transfer_id },
    { key: "kind", header: "kind", value: (e) => e.kind },
    { key: "direction", header: "direction", value: (e) => e.direction },
    { key: "amount", header: "amount", value: (e) => e.amount },
    { key: "posted_change", header: "posted_change", value: (e) => e.posted_change },
    { key: "balance", header: "balance", value: (e) => e.balance },
    { key: "code", header: "code", value: (e) => e.code },
    { key: "reference_module", header: "reference_module", value: (e) => e.reference_module },
    { key: "reference_id", header: "reference_id", value: (e) => e.reference_id },
    { key: "memo", header: "memo", value: (e) => e.memo },
  ],
  count: async (trx, tenantId, filters) => {
    const { accountId, ...range } = statementFilters(filters);
    return countTransfers(trx, tenantId, { ...range, account_id: accountId });
  },
  batches: async function* (trx, tenantId, filters) {
    const { accountId, ...range } = statementFilters(filters);
    let after: string | undefined;
    for (;;) {
      const page = await statement(trx, tenantId, accountId, {
        ...range,
        limit: STATEMENT_PAGE,
        ...(after ? { starting_after: after } : {}),
      });
      if (!page) throw new DomainError("account_not_found", `No ledger account ${accountId}`);
      if (page.entries.length > 0) yield page.entries;
      if (!page.has_more || page.entries.length === 0) return;
      after = page.entries[page.entries.length - 1]!.transfer_id;
    }
  },
};

interface OrgUnitImport {
  code: string;
  name: string;
  kind: string;
  parent_code: string;
}

const IMPORT_KINDS = ORG_UNIT_KINDS.filter((k) => k !== "organization");
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export const ORG_UNITS_IMPORT: ImportDefinition<OrgUnitImport> = {
  type: "org_units",
  description:
    "Org units by code; a parent is named by its code (an existing unit or an earlier row), empty for the root",
  permission: "org.manage",
  columns: [
    {
      key: "code",
      header: "code",
      required: true,
      description: "Unique code of the unit",
      example: "SH-001",
    },
    { key: "name", header: "name", required: true, description: "Display name", example: "上海徐汇店" },
    { key: "kind", header: "kind", required: true, description: IMPORT_KINDS.join(", "), example: "store" },
    {
      key: "parent_code",
      header: "parent_code",
      required: false,
      description: "Code of the parent; empty: under the root unit",
      example: "",
    },
  ],
  parseRow: (cells, row) => {
    const errors: RowError[] = [];
    const value: OrgUnitImport = {
      code: cells.code ?? "",
      name: cells.name ?? "",
      kind: cells.kind ?? "",
      parent_code: cells.parent_code ?? "",
    };
    if (!CODE.test(value.code)) {
      errors.push({ row, column: "code", message: "must be 1-64 letters, digits, _ . or -" });
    }
    if (value.name === "" || value.name.length > 200) {
      errors.push({ row, column: "name", message: "is required (at most 200 characters)" });
    }
    if (!(IMPORT_KINDS as readonly string[]).includes(value.kind)) {
      errors.push({ row, column: "kind", message: `must be one of ${IMPORT_KINDS.join(", ")}` });
    }
    if (value.parent_code !== "" && !CODE.test(value.parent_code)) {
      errors.push({ row, column: "parent_code", message: "is not a valid code" });
    }
    return errors.length > 0 ? { errors } : { value };
  },
  validate: async (trx, tenantId, rows) => {
    const errors: RowError[] = [];
    const existing = new Set(
      (
        await trx
          .selectFrom("org_units")
          .select("code")
          .where("tenant_id", "=", tenantId)
          .where("code", "is not", null)
          .execute()
      ).map((r) => r.code!),
    );
    const seen = new Map<string, number>();
    for (const { row, value } of rows) {
      if (existing.has(value.code))
        errors.push({ row, column: "code", message: `code ${value.code} already exists` });
      else if (seen.has(value.code)) {
        errors.push({
          row,
          column: "code",
          message: `code ${value.code} repeats row ${seen.get(value.code)}`,
        });
      }
      if (value.parent_code !== "" && !existing.has(value.parent_code) && !seen.has(value.parent_code)) {
        errors.push({
          row,
          column: "parent_code",
          message: `no unit ${value.parent_code} exists or appears in an earlier row`,
        });
      }
      if (!seen.has(value.code)) seen.set(value.code, row);
    }
    return errors;
  },
  apply: async (trx, tenantId, rows, { jobId, now }) => {
    await lockTree(trx, tenantId, "shared");
    const units = await trx
      .selectFrom("org_units")
      .select(["id", "code", "path", "parent_id"])
      .where("tenant_id", "=", tenantId)
      .execute();
    const root = units.find((u) => u.parent_id === null);
    if (!root) throw new Error("the tenant has no root org unit");
    const byCode = new Map(units.filter((u) => u.code).map((u) => [u.code!, { id: u.id, path: u.path }]));
    // Paths are computed here (parents come first in the file), so rows go in set-based batches.
    let batch: Insertable<OrgUnitsTable>[] = [];
    const flush = async () => {
      if (batch.length > 0) await trx.insertInto("org_units").values(batch).execute();
      batch = [];
    };
    for (const { value } of rows) {
      const parent = value.parent_code ? byCode.get(value.parent_code) : { id: root.id, path: root.path };
      // Skipped rows' children have no parent: leave them out as well.
      if (!parent) continue;
      const id = newId("org");
      const unitPath = `${parent.path}${id}/`;
      batch.push({
        tenant_id: tenantId,
        id,
        parent_id: parent.id,
        kind: value.kind,
        name: value.name,
        code: value.code,
        path: unitPath,
        created_at: now,
        updated_at: now,
      });
      byCode.set(value.code, { id, path: unitPath });
      if (batch.length >= 1000) await flush();
    }
    await flush();
    await recordAudit(
      trx,
      systemActor(tenantId, `import:${jobId}`),
      {
        action: "org_units.imported",
        targetType: "file_job",
        targetId: jobId,
        summary: { rows: rows.length },
      },
      now,
    );
  },
};

// The platform's own file types come with the file machinery itself (the worker and tools
// use it without the app); modules declare theirs in their manifests.
registerExport(AUDIT_EXPORT);
registerExport(STATEMENT_EXPORT);
registerImport(ORG_UNITS_IMPORT);
