import { parse } from "csv-parse/sync";
import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { columnsAtMost, decodeCsv } from "../../platform/files/csv-encoding.js";
import { firstSheetRows } from "../../platform/files/excel.js";
import { repeatedColumns } from "../../platform/files/import-headers.js";
import { isUnstorableText, UNSTORABLE_TEXT_MESSAGE } from "../../platform/http/text-guard.js";
import { tenantZone } from "../../platform/tenants.js";
import { DomainError, type FieldError } from "../../shared/errors.js";
import { createMember } from "./create-member.js";
import {
  fieldProblems,
  labelCodes,
  MAX_LABELS_PER_MEMBER,
  type MemberInput,
  STUDENT_NO,
  STUDENT_YES,
} from "./member-input.js";
import { MembersError } from "./members.errors.js";
import { loadCatalog } from "./members.repository.js";

/** One import holds at most this many rows (and its file at most MAX_IMPORT_BYTES). */
export const MAX_IMPORT_ROWS = 5000;
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/**
 * What an xlsx import may unpack to, its cell styles at most MAX_XLSX_STYLES_BYTES of it. The
 * request's own process reads it and holds its shared strings: a 300 KB file of 300 MiB of
 * them filled the API's heap and ended the process. 5,000 rows of every column unpack to a
 * few MiB.
 */
export const MAX_IMPORT_UNPACKED_BYTES = 16 * 1024 * 1024;
/**
 * Cells a row may reach across. The import has fewer columns than this; a row far wider (a
 * line of commas, a cell in a sheet's last column) would be built whole, some 16,000 cells a
 * row, and 5,000 such rows ended the API's process.
 */
export const MAX_IMPORT_ROW_CELLS = 64;
export const IMPORT_COLUMNS = [
  "external_ref",
  "name",
  "phone",
  "email",
  "birthday",
  "card_plan",
  "tier",
  "card_number",
  "student",
  "groups",
  "tags",
] as const;

type Cell = string | null;

/** Reads the first sheet (xlsx) or the CSV: a header row naming IMPORT_COLUMNS, then one member a row. */
export async function readImportFile(
  format: "xlsx" | "csv",
  content: Buffer,
): Promise<Record<string, Cell>[]> {
  if (content.length > MAX_IMPORT_BYTES) {
    throw new MembersError("import_too_large", `An import file is at most ${MAX_IMPORT_BYTES} bytes`);
  }
  let table: Cell[][];
  try {
    if (format === "csv") {
      table = parse(await decodeCsv(content), {
        bom: true,
        skip_empty_lines: true,
        relax_column_count: true,
        to: MAX_IMPORT_ROWS + 2,
        cast: columnsAtMost(
          MAX_IMPORT_ROW_CELLS,
          (line) =>
            new MembersError("import_invalid", `Line ${line} has more than ${MAX_IMPORT_ROW_CELLS} columns`),
        ),
      });
    } else {
      table = [];
      for await (const values of firstSheetRows(content, MAX_IMPORT_UNPACKED_BYTES, MAX_IMPORT_ROW_CELLS)) {
        table.push(values);
        if (table.length > MAX_IMPORT_ROWS + 1) break;
      }
    }
  } catch (error) {
    if (error instanceof DomainError && error.code === "file_too_large") {
      throw new MembersError("import_too_large", error.message);
    }
    if (error instanceof DomainError && error.code === "invalid_file") {
      throw new MembersError("import_invalid", error.message);
    }
    if (error instanceof DomainError) throw error;
    throw new MembersError("import_invalid", `The file is not a readable ${format} file`);
  }
  const [header, ...rows] = table;
  if (!header) throw new MembersError("import_invalid", "The file has no header row");
  if (rows.length > MAX_IMPORT_ROWS) {
    throw new MembersError("import_too_large", `An import holds at most ${MAX_IMPORT_ROWS} rows`);
  }
  const names = header.map((h) => (h ?? "").trim().toLowerCase());
  const unknown = names.filter((n) => n && !(IMPORT_COLUMNS as readonly string[]).includes(n));
  if (unknown.length > 0 || !names.includes("name")) {
    throw new MembersError(
      "import_invalid",
      `Header must name columns among ${IMPORT_COLUMNS.join(", ")} and include name`,
    );
  }
  const repeated = repeatedColumns(names);
  if (repeated.length > 0) {
    throw new MembersError(
      "import_invalid",
      `The header names ${repeated.map((n) => `"${n}"`).join(", ")} more than once; name each column once`,
      { errors: repeated.map((n) => ({ field: `/header/${n}`, message: "named more than once" })) },
    );
  }
  return rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]?.toString().trim() || null])));
}

function toInput(row: Record<string, Cell>): MemberInput & { name: string } {
  const student = row.student?.toLowerCase();
  return {
    name: row.name ?? "",
    external_ref: row.external_ref ?? undefined,
    phone: row.phone ?? undefined,
    email: row.email ?? undefined,
    birthday: row.birthday ?? undefined,
    card_plan: row.card_plan ?? undefined,
    tier: row.tier ?? undefined,
    card_number: row.card_number ?? undefined,
    student: student ? STUDENT_YES.includes(student) : undefined,
    groups: labelCodes(row.groups),
    tags: labelCodes(row.tags),
  };
}

/**
 * Creates every row's member, or none: any bad row refuses the whole import with each bad
 * row's number and reason (row 2 is the first data row, as a spreadsheet counts). A row whose
 * external_ref already exists is refused too (import is for new members).
 */
export async function importMembers(
  trx: Tx,
  ctx: RequestContext,
  rows: Record<string, Cell>[] | (MemberInput & { name: string })[],
  now: Date,
): Promise<{ created: number; member_ids: string[] }> {
  if (rows.length === 0) throw new MembersError("import_invalid", "The import has no rows");
  if (rows.length > MAX_IMPORT_ROWS) {
    throw new MembersError("import_too_large", `An import holds at most ${MAX_IMPORT_ROWS} rows`);
  }
  const catalog = await loadCatalog(trx, ctx.actor.tenantId);
  const zone = await tenantZone(trx, ctx.actor.tenantId);
  const errors: FieldError[] = [];
  const ids: string[] = [];
  const quiet = { actor: ctx.actor, requestId: ctx.requestId };
  for (let i = 0; i < rows.length; i++) {
    const raw = rows[i]!;
    const input =
      "groups" in raw && Array.isArray(raw.groups)
        ? (raw as MemberInput & { name: string })
        : toInput(raw as Record<string, Cell>);
    // A decoded file's cells never passed the request's text check: PostgreSQL would refuse
    // such a row inside createMember, failing the whole request instead of naming the row.
    const unstorable = Object.entries(raw).filter(([, v]) => typeof v === "string" && isUnstorableText(v));
    if (unstorable.length > 0) {
      for (const [column] of unstorable) {
        errors.push({ field: `/rows/${i + 2}/${column}`, message: UNSTORABLE_TEXT_MESSAGE });
      }
      if (errors.length >= 100) break;
      continue;
    }
    if (!input.name || input.name.length > 200) {
      errors.push({ field: `/rows/${i + 2}/name`, message: "name is required (at most 200 characters)" });
      if (errors.length >= 100) break;
      continue;
    }
    const problems: { field: string; message: string }[] = fieldProblems(input);
    const cell = (raw as { student?: unknown }).student;
    if (
      typeof cell === "string" &&
      !STUDENT_YES.includes(cell.toLowerCase()) &&
      !STUDENT_NO.includes(cell.toLowerCase())
    ) {
      problems.push({ field: "student", message: "must be yes or no" });
    }
    for (const field of ["groups", "tags"] as const) {
      if ((input[field]?.length ?? 0) > MAX_LABELS_PER_MEMBER) {
        problems.push({ field, message: `at most ${MAX_LABELS_PER_MEMBER} codes` });
      }
    }
    if (problems.length > 0) {
      for (const p of problems) errors.push({ field: `/rows/${i + 2}/${p.field}`, message: p.message });
      if (errors.length >= 100) break;
      continue;
    }
    try {
      await sql`savepoint member_import_row`.execute(trx);
      const row = await createMember(trx, quiet, input, now, { catalog, reason: "import", zone });
      await sql`release savepoint member_import_row`.execute(trx);
      ids.push(row.id);
    } catch (error) {
      await sql`rollback to savepoint member_import_row`.execute(trx);
      if (!(error instanceof DomainError)) throw error;
      errors.push({ field: `/rows/${i + 2}`, message: `${error.code}: ${error.message}` });
    }
    if (errors.length >= 100) break;
  }
  if (errors.length > 0) {
    // The list stops at 100: more may be refused than it names.
    const told =
      errors.length >= 100 ? "At least 100 problems (the first 100 listed)" : `${errors.length} problem(s)`;
    throw new MembersError("import_invalid", `${told}; nothing was imported`, {
      errors,
    });
  }
  await recordAudit(
    trx,
    ctx,
    { action: "member.imported", targetType: "member", targetId: null, summary: { created: ids.length } },
    now,
  );
  return { created: ids.length, member_ids: ids };
}
