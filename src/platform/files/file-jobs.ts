import { once } from "node:events";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse as parseCsv } from "csv-parse";
import { type QueryCreator, type Selectable, sql } from "kysely";
import { DEFAULT_EXPORT_MAX_ROWS } from "../../config.js";
import type { Database, Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { ledgerWithin } from "../../ledger/index.js";
import { DomainError, defineErrors } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { isUnstorableText, UNSTORABLE_TEXT_MESSAGE } from "../http/text-guard.js";
import type { Notifier } from "../notify/notifier.js";
import { columnsAtMost, openCsv } from "./csv-encoding.js";
import { assertXlsxUnpacksWithin, firstSheetRows } from "./excel.js";
import { csvSink, xlsxSink } from "./file-sinks.js";
import type { FileFormat, FileJobsTable, ImportMode, RowError } from "./files.schema.js";
import { repeatedColumns } from "./import-headers.js";
import {
  type ExportDefinition,
  exportType,
  type ImportColumn,
  type ImportServices,
  importType,
  type ParsedRow,
} from "./registry.js";

export { csvField } from "./file-sinks.js";

export const FILE_ERRORS = defineErrors({
  file_not_ready: 409,
  file_expired: 410,
  import_type_unknown: 404,
  export_type_unknown: 404,
  file_too_large: 422,
  invalid_file: 422,
  export_too_large: 422,
});

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 100_000;
/**
 * An xlsx is a zip: what its parts unpack to, in total, not its upload size, is what the reader
 * holds (its shared strings are kept in memory). 64 MiB fits 100,000 ordinary rows and keeps
 * the reader well inside a worker's heap (--max-old-space-size=192).
 */
export const MAX_UNPACKED_XLSX_BYTES = 64 * 1024 * 1024;
/**
 * Cells a row may reach, in CSV and xlsx alike. Every import type has a few named columns, and
 * a file exported here and filled back in has no more than its export's; a sheet's own width
 * (16,384, XFD) let one crafted file of 100,000 rows each reaching column XFD hold the worker
 * for minutes, building rows of 16,384 cells.
 */
export const MAX_IMPORT_COLUMNS = 256;
/** Row errors kept on the job (all are counted). */
export const MAX_STORED_ERRORS = 1000;
export const DEFAULT_RETENTION_DAYS = 7;
const PROGRESS_EVERY_ROWS = 10_000;
const DAY_MS = 86_400_000;

export interface FileDeps {
  db: Database;
  dataDir: string;
  retentionDays?: number;
  /** Rows an export may write (default DEFAULT_EXPORT_MAX_ROWS). */
  maxExportRows?: number;
  /** For what an import sends once it committed (notices); absent in a process that cannot send. */
  notifier?: Notifier | undefined;
}

export function filesRoot(dataDir: string): string {
  return path.join(dataDir, "files");
}

/** Tenant and job ids are generated, never user input, but keep the path inside the root anyway. */
function storagePath(dataDir: string, relative: string): string {
  const root = filesRoot(dataDir);
  const full = path.resolve(root, relative);
  if (!full.startsWith(`${root}${path.sep}`)) throw new Error("file path escapes the storage folder");
  return full;
}

export type FileJobRow = Selectable<FileJobsTable>;

/** The rows one export of a kind may hold: the deployment's limit, or the kind's own where lower. */
function rowLimit(definition: ExportDefinition, deploymentMax: number | undefined): number {
  return Math.min(deploymentMax ?? DEFAULT_EXPORT_MAX_ROWS, definition.maxRows ?? Number.POSITIVE_INFINITY);
}

function exportTooLarge(maxRows: number, rows?: number): DomainError {
  const found = rows === undefined ? "more rows" : `${rows.toLocaleString("en")} rows`;
  return new DomainError(
    "export_too_large",
    `The export has ${found}; one export holds at most ${maxRows.toLocaleString("en")}. Narrow its filters (a shorter time range, one type) and export the parts separately.`,
    { extra: { max_rows: maxRows } },
  );
}

export async function createFileJob(
  trx: Tx,
  tenantId: string,
  input: {
    kind: "import" | "export";
    type: string;
    format: FileFormat;
    mode?: ImportMode;
    filters?: Record<string, unknown>;
    createdBy: string;
    id?: string;
  },
  now: Date,
  options: {
    retentionDays?: number;
    maxExportRows?: number;
    /**
     * Real time, when `now` is a sandbox's: a file's retention is counted in real days, as the
     * prune (on real time) counts it, so its expiry is set from real time.
     */
    realTime?: Date;
  } = {},
): Promise<FileJobRow> {
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  if (input.kind === "export") {
    const definition = exportType(input.type);
    if (!definition) throw new DomainError("export_type_unknown", `No export type ${input.type}`);
    definition.validateFilters?.(input.filters ?? {});
    await definition.checkReferences?.(trx, tenantId, input.filters ?? {});
    // An export that can count its rows is refused here, before a job runs; the others stop
    // at the limit as they write (runExport).
    if (definition.count) {
      const maxRows = rowLimit(definition, options.maxExportRows);
      const rows = await definition.count(trx, tenantId, input.filters ?? {});
      if (rows > maxRows) throw exportTooLarge(maxRows, rows);
    }
  }
  if (input.kind === "import" && !importType(input.type)) {
    throw new DomainError("import_type_unknown", `No import type ${input.type}`);
  }
  const row = await trx
    .insertInto("file_jobs")
    .values({
      tenant_id: tenantId,
      id: input.id ?? newId(input.kind === "import" ? "imp" : "exp"),
      kind: input.kind,
      type: input.type,
      format: input.format,
      status: "queued",
      mode: input.kind === "import" ? (input.mode ?? "all_or_nothing") : null,
      filters: JSON.stringify(input.filters ?? {}),
      rows_total: null,
      errors: "[]",
      error: null,
      file_name: null,
      file_path: null,
      file_size: null,
      created_by: input.createdBy,
      created_at: now,
      started_at: null,
      finished_at: null,
      expires_at: new Date((options.realTime ?? now).getTime() + retentionDays * DAY_MS),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return row as FileJobRow;
}

export async function getFileJob(trx: Tx, tenantId: string, id: string, kind?: "import" | "export") {
  return foundFileJob(await fileJobQuery(trx, tenantId, id, kind).executeTakeFirst(), kind);
}

/** The job's row, as a query for a transaction or for `Database.tenantQuery` (see `foundFileJob`). */
export function fileJobQuery(qc: QueryCreator<DB>, tenantId: string, id: string, kind?: "import" | "export") {
  const query = qc.selectFrom("file_jobs").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
  return kind ? query.where("kind", "=", kind) : query;
}

/** The job `fileJobQuery` read, or `getFileJob`'s not-found error. */
export function foundFileJob(row: object | undefined, kind?: "import" | "export"): FileJobRow {
  if (!row) throw new DomainError("file_job_not_found", `${kind ?? "File job"} not found`);
  return row as FileJobRow;
}

async function update(
  db: Database,
  tenantId: string,
  id: string,
  set: Partial<Record<keyof FileJobsTable, unknown>>,
) {
  await db.tenantTx(tenantId, (trx) =>
    trx
      .updateTable("file_jobs")
      // biome-ignore lint/suspicious/noExplicitAny: a partial row of this table.
      .set(set as any)
      .where("tenant_id", "=", tenantId)
      .where("id", "=", id)
      .execute(),
  );
}

/**
 * Stores an upload under the tenant's folder, refusing more than MAX_UPLOAD_BYTES, and an xlsx
 * that is not a readable zip or unpacks to more than MAX_UNPACKED_XLSX_BYTES.
 */
export async function saveUpload(
  dataDir: string,
  tenantId: string,
  id: string,
  format: FileFormat,
  body: Readable,
  maxBytes = MAX_UPLOAD_BYTES,
): Promise<{ relative: string; size: number }> {
  const relative = `${tenantId}/${id}.upload.${format}`;
  const full = storagePath(dataDir, relative);
  await mkdir(path.dirname(full), { recursive: true });
  // Opened before the first chunk is read: a stream that opens its file itself may create it
  // after an early refusal has already removed it, leaving an empty file behind.
  const file = await open(full, "w");
  let size = 0;
  try {
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length;
          if (size > maxBytes) {
            throw new DomainError(
              "payload_too_large",
              `Uploads are limited to ${maxBytes / 1024 / 1024} MiB`,
            );
          }
          yield chunk;
        }
      },
      file.createWriteStream(),
    );
    if (format === "xlsx") await assertXlsxUnpacksWithin(full, MAX_UNPACKED_XLSX_BYTES);
  } catch (error) {
    await file.close().catch(() => {});
    await rm(full, { force: true });
    throw error;
  }
  return { relative, size };
}

/** Runs a queued import or export to its end; safe to call again for a job already finished. */
export async function runFileJob(
  deps: FileDeps,
  tenantId: string,
  id: string,
  now: () => Date,
): Promise<void> {
  const job = await deps.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, id));
  if (job.status !== "queued" && job.status !== "running") return;
  await update(deps.db, tenantId, id, { status: "running", started_at: now() });
  try {
    if (job.kind === "export") await runExport(deps, job, now);
    else await runImport(deps, job, now);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await update(deps.db, tenantId, id, {
      status: "failed",
      error: message.slice(0, 2000),
      error_code: error instanceof DomainError ? error.code : null,
      finished_at: now(),
    });
  }
}

// ---------------------------------------------------------------- exports

async function runExport(deps: FileDeps, job: FileJobRow, now: () => Date): Promise<void> {
  const definition = exportType(job.type);
  if (!definition) throw new Error(`export type ${job.type} is no longer registered`);
  const relative = `${job.tenant_id}/${job.id}.${job.format}`;
  const full = storagePath(deps.dataDir, relative);
  const temp = `${full}.part`;
  await mkdir(path.dirname(full), { recursive: true });
  const headers = definition.columns.map((c) => c.header);
  const sink = job.format === "csv" ? await csvSink(temp, headers) : await xlsxSink(temp, job.type, headers);
  const maxRows = rowLimit(definition, deps.maxExportRows);
  let done = 0;
  try {
    await deps.db.tenantTx(job.tenant_id, async (trx) => {
      if (definition.count) {
        // Rows may have been added since the export was requested.
        const total = await definition.count(trx, job.tenant_id, job.filters);
        if (total > maxRows) throw exportTooLarge(maxRows, total);
        await update(deps.db, job.tenant_id, job.id, { rows_total: total });
      }
      let reported = 0;
      for await (const batch of definition.batches(trx, job.tenant_id, job.filters)) {
        // Checked before the batch is written: the file never holds more than the limit.
        if (done + batch.length > maxRows) throw exportTooLarge(maxRows);
        for (const row of batch) await sink.write(definition.columns.map((c) => c.value(row)));
        done += batch.length;
        if (done - reported >= PROGRESS_EVERY_ROWS) {
          reported = done;
          await update(deps.db, job.tenant_id, job.id, { rows_done: done });
        }
      }
    });
    await sink.close();
    await rename(temp, full);
  } catch (error) {
    await sink.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  const size = (await stat(full)).size;
  const stamp = now().toISOString().slice(0, 19).replace(/[-:T]/g, "");
  await update(deps.db, job.tenant_id, job.id, {
    status: "succeeded",
    rows_done: done,
    rows_total: done,
    file_path: relative,
    file_size: size,
    file_name: `${job.type}-${stamp}.${job.format}`,
    finished_at: now(),
  });
}

// ---------------------------------------------------------------- imports

/** The header row maps to columns by key or header text (case-insensitive). */
function headerMap(headers: string[], columns: ImportColumn[]): (string | null)[] {
  return headers.map((h) => {
    const name = h
      .trim()
      .replace(/^\ufeff/, "")
      .toLowerCase();
    return columns.find((c) => c.key.toLowerCase() === name || c.header.toLowerCase() === name)?.key ?? null;
  });
}

/** Rows of an uploaded file as raw cell arrays, streamed; the first is the header. */
async function* readRows(file: string, format: FileFormat): AsyncGenerator<string[]> {
  if (format === "csv") {
    const { source, readable } = await openCsv(file);
    const parser = readable.pipe(
      parseCsv({
        bom: true,
        relax_column_count: true,
        skip_empty_lines: true,
        cast: columnsAtMost(
          MAX_IMPORT_COLUMNS,
          (line) => new Error(`line ${line} has more than ${MAX_IMPORT_COLUMNS} columns`),
        ),
      }),
    );
    try {
      for await (const record of parser) yield (record as string[]).map((v) => v ?? "");
    } finally {
      // pipe() leaves the source open when the parser stops early (a bad header, too many
      // rows): its file descriptor would stay open until the process exits. The descriptor
      // is closed after destroy() returns, so the import waits for it.
      if (!source.closed) {
        const closed = once(source, "close");
        source.destroy();
        await closed;
      }
    }
    return;
  }
  // Bounded where it is read, whatever stored the file (an upload accepted before this limit
  // existed, a retried job): every part the reader unpacks counts against the limit.
  yield* firstSheetRows(file, MAX_UNPACKED_XLSX_BYTES, MAX_IMPORT_COLUMNS);
}

async function runImport(deps: FileDeps, job: FileJobRow, now: () => Date): Promise<void> {
  const definition = importType(job.type);
  if (!definition) throw new Error(`import type ${job.type} is no longer registered`);
  if (!job.file_path) throw new Error("the import has no uploaded file");
  const file = storagePath(deps.dataDir, job.file_path);
  const errors: RowError[] = [];
  let errorCount = 0;
  const addError = (e: RowError) => {
    errorCount++;
    if (errors.length < MAX_STORED_ERRORS) errors.push(e);
  };
  const parsed: ParsedRow<unknown>[] = [];
  const badRows = new Set<number>();
  let keys: (string | null)[] | undefined;
  let line = 0;
  for await (const values of readRows(file, job.format)) {
    line++;
    if (!keys) {
      keys = headerMap(values, definition.columns);
      const missing = definition.columns.filter((c) => c.required && !keys!.includes(c.key));
      for (const c of missing) addError({ row: 1, column: c.key, message: `missing column "${c.header}"` });
      // A column named twice (by its key and by its header text too) would keep only its last cell.
      const repeated = repeatedColumns(keys);
      for (const key of repeated) {
        addError({ row: 1, column: key, message: `column "${key}" is named more than once in the header` });
      }
      if (missing.length > 0 || repeated.length > 0) break;
      continue;
    }
    if (line - 1 > MAX_IMPORT_ROWS) {
      throw new Error(`the file has more than ${MAX_IMPORT_ROWS} rows; split it`);
    }
    const cells: Record<string, string> = {};
    keys.forEach((key, i) => {
      if (key) cells[key] = (values[i] ?? "").trim();
    });
    // PostgreSQL refuses such text: once the row is looked up or written, the whole job would
    // fail with the database's message. It is the row's error instead, for every import type.
    // The row is not parsed further: a type's messages may quote a cell, and the job's errors
    // are stored as jsonb, which refuses NUL too.
    const unstorable = Object.keys(cells).filter((key) => isUnstorableText(cells[key]!));
    const result: ReturnType<typeof definition.parseRow> =
      unstorable.length > 0
        ? { errors: unstorable.map((column) => ({ row: line, column, message: UNSTORABLE_TEXT_MESSAGE })) }
        : definition.parseRow(cells, line);
    if ("errors" in result) {
      badRows.add(line);
      for (const e of result.errors) addError(e);
    } else parsed.push({ row: line, value: result.value });
    if (line % PROGRESS_EVERY_ROWS === 0)
      await update(deps.db, job.tenant_id, job.id, { rows_total: line - 1 });
  }
  if (!keys) throw new Error("the file is empty");
  const total = Math.max(line - 1, 0);

  // Validate across rows, then write — in one transaction, so what was checked is what is
  // written — and record the job's end in it too: a job whose process stops after this commit
  // is finished, and the queue running it again writes nothing twice.
  const afterCommit: ((services: ImportServices) => Promise<void>)[] = [];
  await deps.db.tenantTx(job.tenant_id, async (trx) => {
    const current = await trx
      .selectFrom("file_jobs")
      .select("status")
      .where("tenant_id", "=", job.tenant_id)
      .where("id", "=", job.id)
      .forUpdate()
      .executeTakeFirst();
    // Another run of the same job finished it meanwhile.
    if (current?.status !== "running") return;
    const crossErrors = errors.some((e) => e.row === 1)
      ? []
      : await definition.validate(trx, job.tenant_id, parsed);
    for (const e of crossErrors) {
      badRows.add(e.row);
      addError(e);
    }
    const failed = errors.some((e) => e.row === 1) || (job.mode !== "skip_bad_rows" && badRows.size > 0);
    const good = failed ? [] : parsed.filter((r) => !badRows.has(r.row));
    if (good.length > 0)
      await definition.apply(trx, job.tenant_id, good, {
        jobId: job.id,
        now: now(),
        ledger: ledgerWithin(trx, job.tenant_id, { now }),
        afterCommit: (task) => void afterCommit.push(task),
      });
    errors.sort((a, b) => a.row - b.row);
    await trx
      .updateTable("file_jobs")
      .set({
        status: failed ? "failed" : "succeeded",
        rows_total: total,
        rows_done: good.length,
        rows_failed: badRows.size,
        errors: JSON.stringify(errors),
        error: failed
          ? `${errorCount} errors in ${badRows.size} rows; nothing was imported (fix the rows or choose skip_bad_rows)`
          : null,
        finished_at: now(),
      })
      .where("tenant_id", "=", job.tenant_id)
      .where("id", "=", job.id)
      .execute();
  });
  // A job that stops before these leaves what they send recorded by the import itself, for
  // its module to send later.
  for (const task of afterCommit) {
    await task({ db: deps.db, notifier: deps.notifier }).catch(() => {});
  }
}

/** The file to send for a download: only a finished job's, only within its retention (`now`: real time). */
export async function downloadable(trx: Tx, tenantId: string, id: string, dataDir: string, now: Date) {
  const job = await getFileJob(trx, tenantId, id, "export");
  if (job.status === "expired" || job.expires_at <= now)
    throw new DomainError("file_expired", "The file has expired");
  if (job.status !== "succeeded" || !job.file_path) {
    throw new DomainError("file_not_ready", `The export is ${job.status}`);
  }
  return {
    path: storagePath(dataDir, job.file_path),
    name: job.file_name ?? path.basename(job.file_path),
    format: job.format,
  };
}

/** The import template: the header row and one example row. */
export async function writeTemplate(type: string, format: FileFormat, file: string): Promise<void> {
  const definition = importType(type);
  if (!definition) throw new DomainError("import_type_unknown", `No import type ${type}`);
  const headers = definition.columns.map((c) => c.header);
  const example = definition.columns.map((c) => c.example);
  const sink = format === "csv" ? await csvSink(file, headers) : await xlsxSink(file, type, headers);
  await sink.write(example);
  await sink.close();
}

/** Deletes files past their retention and marks their jobs expired; returns how many. */
export async function pruneFiles(deps: FileDeps, now: Date, limit = 1000): Promise<number> {
  const expired = await deps.db.systemTx(async (trx) => {
    const result = await sql<{ tenant_id: string; id: string; file_path: string | null }>`
      update file_jobs set status = 'expired'
       where (tenant_id, id) in (
         select tenant_id, id from file_jobs
          where expires_at <= ${now} and status in ('succeeded', 'failed')
          limit ${limit} for update skip locked)
      returning tenant_id, id, file_path`.execute(trx);
    return result.rows;
  });
  // Uploads of imports are kept beside their job: remove them too.
  for (const job of expired) {
    if (job.file_path) await rm(storagePath(deps.dataDir, job.file_path), { force: true });
  }
  return expired.length;
}
