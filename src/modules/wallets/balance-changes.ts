import type { QueryCreator } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { actorLabelOf } from "../../platform/audit/audit.js";
import { type ExportFormat, exportTable } from "../../platform/files/export-table.js";
import { WalletsError } from "./wallets.errors.js";
import type { ChangeKind, ChangeRow, WalletAccount } from "./wallets.repository.js";

/** An export holds at most this many rows; narrow the time range for more. */
export const MAX_EXPORT_ROWS = 50_000;

export interface ChangeFilter {
  account?: WalletAccount;
  /** Leaves the balance's entries out (a member who may not see the balance). */
  pointsOnly?: boolean;
  kinds?: ChangeKind[];
  from?: string;
  to?: string;
  order_id?: string;
  source?: string;
  starting_after?: string;
  /** Reads who made each change by name too (for staff: a member is not shown staff emails). */
  actorLabels?: boolean;
}

export type LabelledChangeRow = ChangeRow & { actor_label?: string | null };

/** A member's change log, newest first (cursor: `starting_after` an older-than id). */
export async function listChanges(
  trx: Tx,
  tenantId: string,
  memberId: string,
  filter: ChangeFilter,
  limit: number,
): Promise<LabelledChangeRow[]> {
  if (filter.from && filter.to && filter.from > filter.to) {
    throw new WalletsError("validation_failed", "from must not be after to");
  }
  let q = trx
    .selectFrom("wallet_changes")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .$if(filter.actorLabels === true, (qb) => qb.select(actorLabelOf("wallet_changes").as("actor_label")));
  if (filter.account) q = q.where("account", "=", filter.account);
  if (filter.pointsOnly) q = q.where("account", "!=", "balance");
  if (filter.kinds?.length) q = q.where("kind", "in", filter.kinds);
  if (filter.from) q = q.where("created_at", ">=", new Date(filter.from));
  if (filter.to) q = q.where("created_at", "<", new Date(filter.to));
  if (filter.order_id) q = q.where("order_id", "=", filter.order_id);
  if (filter.source) q = q.where("source", "=", filter.source);
  if (filter.starting_after) q = q.where("id", "<", filter.starting_after);
  return q.orderBy("id", "desc").limit(limit).execute();
}

/** Cumulative rewards a member received, per account and source. */
export async function rewardTotals(trx: Tx, tenantId: string, memberId: string) {
  return rewardTotalsOf(await rewardTotalsQuery(trx, tenantId, memberId).execute());
}

/** What `rewardTotals` reads, as a query for a transaction or for `Database.tenantQueries`. */
export function rewardTotalsQuery(qc: QueryCreator<DB>, tenantId: string, memberId: string) {
  return qc
    .selectFrom("wallet_changes")
    .select([
      "account",
      "source",
      "asset",
      (eb) => eb.fn.sum<string>("amount").as("total"),
      (eb) => eb.fn.countAll<string>().as("count"),
    ])
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("kind", "=", "reward")
    .groupBy(["account", "source", "asset"])
    .orderBy("account")
    .orderBy("source");
}

export function rewardTotalsOf(
  rows: readonly {
    account: WalletAccount;
    source: string | null;
    asset: string;
    total: string;
    count: string;
  }[],
) {
  return rows.map((r) => ({
    account: r.account,
    source: r.source ?? "manual",
    asset: r.asset,
    total: Number(r.total),
    count: Number(r.count),
  }));
}

const EXPORT_COLUMNS = [
  "id",
  "created_at",
  "account",
  "kind",
  "asset",
  "amount",
  "principal_delta",
  "bonus_delta",
  "balance_after",
  "reason",
  "note",
  "source",
  "source_ref",
  "order_id",
  "payment_id",
  "actor_type",
  "actor_id",
  "actor_label",
] as const;

/** A member's change log as a CSV or xlsx file (at most MAX_EXPORT_ROWS rows). */
export async function exportChanges(
  trx: Tx,
  tenantId: string,
  memberId: string,
  filter: ChangeFilter,
  format: ExportFormat,
) {
  const rows = await listChanges(
    trx,
    tenantId,
    memberId,
    { ...filter, actorLabels: true },
    MAX_EXPORT_ROWS + 1,
  );
  if (rows.length > MAX_EXPORT_ROWS) {
    throw new WalletsError("limit_exceeded", `More than ${MAX_EXPORT_ROWS} changes; narrow from/to`);
  }
  return exportTable(
    `balance-changes-${memberId}`,
    format,
    [...EXPORT_COLUMNS],
    rows.map((r) =>
      EXPORT_COLUMNS.map((c) => (c === "created_at" ? r.created_at.toISOString() : (r[c] ?? null))),
    ),
  );
}
