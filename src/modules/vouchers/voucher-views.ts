import { type QueryCreator, sql } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { actorLabelOf } from "../../platform/audit/audit.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import {
  MAX_LIMIT as MAX_PAGE,
  type PageParams,
  pageOfRows,
  pageRowsQuery,
  tenantPage,
} from "../../platform/http/pagination.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { loadBillResult } from "./deduct-bill.js";
import { MAX_EXPORT_ROWS, type VoucherFilters, type VoucherListRow, voucherQuery } from "./list-vouchers.js";
import { VouchersError } from "./vouchers.errors.js";
import {
  loadVoucher,
  type PURPOSES,
  type SCOPE_KINDS,
  type TEMPLATE_STATUSES,
  visibleVoucher,
  voucherWithPathsQuery,
} from "./vouchers.repository.js";
import { serializeQuotaChange, serializeTemplate } from "./vouchers.schemas.js";

/** Read views: they check what the actor may see, and neither write nor lock. */

/** Templates of the units in the actor's scope, searched. */
export async function listTemplates(
  db: Database,
  actor: Actor,
  q: PageParams & {
    name?: string;
    purpose?: (typeof PURPOSES)[number];
    scope_kind?: (typeof SCOPE_KINDS)[number];
    status?: (typeof TEMPLATE_STATUSES)[number];
    in_use?: boolean;
    owner_id?: string;
    created_from?: string;
    created_to?: string;
  },
) {
  let query = db.kysely
    .selectFrom("voucher_templates as t")
    .innerJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "t.tenant_id").onRef("o.id", "=", "t.owner_id"),
    )
    .selectAll("t")
    .where("t.tenant_id", "=", actor.tenantId);
  if (actor.orgUnitPath) query = query.where("o.path", "like", subtreePattern(actor.orgUnitPath));
  if (q.name) query = query.where("t.name", "ilike", `%${q.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (q.purpose) query = query.where("t.purpose", "=", q.purpose);
  if (q.scope_kind) query = query.where("t.scope_kind", "=", q.scope_kind);
  if (q.status) query = query.where("t.status", "=", q.status);
  if (q.in_use !== undefined) query = query.where("t.issued_count", q.in_use ? ">" : "=", 0);
  if (q.owner_id) query = query.where("t.owner_id", "=", q.owner_id);
  if (q.created_from) query = query.where("t.created_at", ">=", new Date(q.created_from));
  if (q.created_to) query = query.where("t.created_at", "<", new Date(q.created_to));
  return tenantPage(db, actor.tenantId, query, q, serializeTemplate, { by: "t.id" });
}

/**
 * Quotas of the resellers in the actor's scope, with what is allocated and left: `limit` rows
 * (at most a page) after the cursor, in id order.
 */
export async function quotasOf(
  trx: Tx,
  actor: Actor,
  filter: { id?: string; resellerId?: string },
  page: { limit: number; startingAfter?: string } = { limit: MAX_PAGE + 1 },
) {
  return quotasQuery(trx, actor, filter, page).execute();
}

/** What `quotasOf` reads, as a query for a transaction or for `Database.tenantQuery`. */
export function quotasQuery(
  qc: QueryCreator<DB>,
  actor: Actor,
  filter: { id?: string; resellerId?: string },
  page: { limit: number; startingAfter?: string } = { limit: MAX_PAGE + 1 },
) {
  let query = qc
    .selectFrom("voucher_quotas as q")
    .innerJoin("org_units as r", (j) =>
      j.onRef("r.tenant_id", "=", "q.tenant_id").onRef("r.id", "=", "q.reseller_id"),
    )
    .leftJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "q.tenant_id").onRef("a.id", "=", "q.account_id"),
    )
    .selectAll("q")
    .select((eb) => [
      sql<number>`coalesce(a.credits_posted - a.debits_posted, 0)`.as("available"),
      eb
        .selectFrom("voucher_quota_changes as c")
        .select(sql<number>`coalesce(sum(c.delta), 0)::bigint`.as("s"))
        .whereRef("c.tenant_id", "=", "q.tenant_id")
        .whereRef("c.quota_id", "=", "q.id")
        .as("allocated"),
    ])
    .where("q.tenant_id", "=", actor.tenantId)
    .orderBy("q.id")
    .limit(Math.min(page.limit, MAX_PAGE + 1));
  if (page.startingAfter) query = query.where("q.id", ">", page.startingAfter);
  if (actor.orgUnitPath) query = query.where("r.path", "like", subtreePattern(actor.orgUnitPath));
  if (filter.id) query = query.where("q.id", "=", filter.id);
  if (filter.resellerId) query = query.where("q.reseller_id", "=", filter.resellerId);
  return query;
}

/** A quota's history, when the actor may see the quota. */
export async function listQuotaChanges(db: Database, actor: Actor, quotaId: string, page: PageParams) {
  const changes = db.kysely
    .selectFrom("voucher_quota_changes")
    .selectAll()
    .select(actorLabelOf("voucher_quota_changes").as("actor_label"))
    .where("tenant_id", "=", actor.tenantId)
    .where("quota_id", "=", quotaId);
  const [quotas, rows] = await db.tenantQueries(actor.tenantId, [
    quotasQuery(db.kysely, actor, { id: quotaId }),
    pageRowsQuery(changes, page),
  ] as const);
  if (!quotas[0]) throw new VouchersError("voucher_quota_not_found", "Voucher quota not found");
  return pageOfRows(rows, page, serializeQuotaChange);
}

/** One voucher with its balance and status, as the actor may see it. */
export async function showVoucher(trx: Tx, actor: Actor, voucherId: string, now: Date) {
  const voucher = await loadVoucher(trx, actor, voucherId);
  return (await voucherQuery(trx, actor, {}, now)
    .where("v.id", "=", voucher.id)
    .executeTakeFirstOrThrow()) as VoucherListRow;
}

/** `showVoucher`'s answer, its reads sent at once. */
export async function readVoucher(db: Database, actor: Actor, voucherId: string, now: Date) {
  const [vouchers, withBalance] = await db.tenantQueries(actor.tenantId, [
    voucherWithPathsQuery(db.kysely, actor.tenantId, voucherId),
    voucherQuery(db.kysely, actor, {}, now).where("v.id", "=", voucherId),
  ] as const);
  visibleVoucher(actor, vouchers[0]);
  const row = withBalance[0];
  if (!row) throw new Error(`voucher ${voucherId} has no balance row`);
  return row as VoucherListRow;
}

/** The vouchers an export holds (refused past its limit). */
export async function exportableVouchers(trx: Tx, actor: Actor, filters: VoucherFilters, now: Date) {
  const rows = (await voucherQuery(trx, actor, filters, now)
    .orderBy("v.id")
    .limit(MAX_EXPORT_ROWS + 1)
    .execute()) as VoucherListRow[];
  if (rows.length > MAX_EXPORT_ROWS) {
    throw new VouchersError(
      "limit_exceeded",
      `More than ${MAX_EXPORT_ROWS} vouchers match; narrow the filters`,
    );
  }
  return rows;
}

/** A voucher's usages (deductions and refunds), `limit` rows after the cursor. */
export async function usagesOf(
  trx: Tx,
  actor: Actor,
  voucherId: string,
  limit: number,
  startingAfter?: string,
) {
  const voucher = await loadVoucher(trx, actor, voucherId);
  let query = trx
    .selectFrom("voucher_usages")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("voucher_id", "=", voucher.id)
    .orderBy("id")
    .limit(limit);
  if (startingAfter) query = query.where("id", ">", startingAfter);
  return { voucher, rows: await query.execute() };
}

/** A bill's voucher deductions, when the bill's customer is in the actor's scope. */
export async function showBill(trx: Tx, actor: Actor, billId: string) {
  const row = await trx
    .selectFrom("voucher_bills as b")
    .innerJoin("org_units as c", (j) =>
      j.onRef("c.tenant_id", "=", "b.tenant_id").onRef("c.id", "=", "b.customer_id"),
    )
    .select(["b.id", "c.path"])
    .where("b.tenant_id", "=", actor.tenantId)
    .where("b.bill_id", "=", billId)
    .executeTakeFirst();
  if (!row) throw new VouchersError("voucher_bill_not_found", "Bill not found");
  assertInScope(actor, row.path, "voucher_bill");
  return loadBillResult({ trx }, actor.tenantId, row.id);
}

/**
 * A voucher account's posted balance as the unit sees it. Inside a unit of work the ledger
 * writes its accounts only when the unit commits, so a SQL read of `ledger_accounts` there
 * still shows the balance from before; a response built in the unit reads it from the ledger.
 */
export async function unitBalance(uow: UnitOfWork, accountId: string | null): Promise<number> {
  const b = accountId ? await uow.peekBalances(accountId) : undefined;
  return b ? b.credits_posted - b.debits_posted : 0;
}
