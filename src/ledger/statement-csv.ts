import { stringify } from "csv-stringify/sync";
import type { Tx } from "../db/database.js";
import { spreadsheetCell } from "../platform/files/registry.js";
import { DomainError } from "../shared/errors.js";
import { formatMinor } from "../shared/money.js";
import { MAX_EXPORT_ROWS, statement, type TransferFilter } from "./queries.js";

const COLUMNS = [
  "created_at",
  "transfer_id",
  "kind",
  "direction",
  "code",
  "change",
  "balance",
  "held",
  "reference_module",
  "reference_id",
  "memo",
];

/** An account's statement as CSV in the asset's major units (refused past the export limit). */
export async function statementCsv(
  trx: Tx,
  tenantId: string,
  accountId: string,
  query: Omit<TransferFilter, "account_id" | "order" | "limit">,
): Promise<string> {
  const s = await statement(trx, tenantId, accountId, { ...query, limit: MAX_EXPORT_ROWS });
  if (!s) throw new DomainError("account_not_found", `Account ${accountId} not found`);
  const asset = await trx
    .selectFrom("ledger_assets")
    .select("scale")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", s.account.asset)
    .executeTakeFirst();
  if (s.has_more) {
    throw new DomainError(
      "limit_exceeded",
      `The statement has more than ${MAX_EXPORT_ROWS} entries; narrow created_gte / created_lt`,
    );
  }
  const scale = asset?.scale ?? 0;
  return stringify(
    s.entries.map((e) =>
      [
        e.created_at.toISOString(),
        e.transfer_id,
        e.kind,
        e.direction,
        e.code,
        formatMinor(e.posted_change, scale),
        formatMinor(e.balance, scale),
        e.kind === "pending" ? formatMinor(e.amount, scale) : "",
        e.reference_module ?? "",
        e.reference_id ?? "",
        e.memo ?? "",
      ].map(spreadsheetCell),
    ),
    { header: true, columns: COLUMNS },
  );
}
