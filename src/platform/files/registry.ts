import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { LedgerOps } from "../../ledger/index.js";
import { assert } from "../../shared/assert.js";
import type { Actor } from "../auth/actor.js";
import type { Notifier } from "../notify/notifier.js";
import type { RowError } from "./files.schema.js";

/**
 * Modules declare their import and export types in their manifests, installed here; the machinery
 * (jobs, progress, storage, limits, templates, the API) is shared.
 */
export type Cell = string | number | boolean | Date | null;

/** Spreadsheet programs run cells starting with these as formulas (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A signed decimal such as a refund's "-12.50" is a number to a spreadsheet, never a formula. */
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/**
 * Text a spreadsheet would take for a formula gets a leading apostrophe; other text, and
 * signed decimals, are kept. Every file we write (CSV and xlsx, jobs and direct downloads)
 * passes its text cells through here.
 */
export function defuseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** A cell as it goes into a file: text defused, numbers, booleans, dates and blanks kept. */
export function spreadsheetCell<C extends Cell>(cell: C): C {
  return (typeof cell === "string" ? defuseFormula(cell) : cell) as C;
}

export interface ExportColumn<R> {
  key: string;
  header: string;
  value: (row: R) => Cell;
}

export interface ExportDefinition<R = unknown> {
  type: string;
  description: string;
  /** The permission a caller needs to start this export. */
  permission: string;
  columns: ExportColumn<R>[];
  /** Refuses bad filters when the export is requested (throw a DomainError), before any job runs. */
  validateFilters?(filters: Record<string, unknown>): void;
  /**
   * Refuses, when the export is requested, filters that name a row the tenant does not have (an
   * account that is not there answers 404 as any lookup of it does), so no job is queued to fail.
   */
  checkReferences?(trx: Tx, tenantId: string, filters: Record<string, unknown>): Promise<void>;
  /**
   * The most rows one export of this kind may hold, where it is less than the deployment's
   * limit (`VOUCHSAFE_EXPORT_MAX_ROWS`); past it the export is refused as any too large one is,
   * never cut short.
   */
  maxRows?: number;
  /** Rows in batches (keyset pages), read in the tenant's transaction. */
  batches(trx: Tx, tenantId: string, filters: Record<string, unknown>): AsyncIterable<R[]>;
  /** How many rows the export will have (for progress); optional. */
  count?(trx: Tx, tenantId: string, filters: Record<string, unknown>): Promise<number>;
  /**
   * Lets a caller bound to an org unit start this export: it throws (a DomainError) unless the
   * filters stay within the caller's subtree. Such a caller then sees only the jobs it started.
   * Without it the export is for tenant-wide callers only.
   */
  scoped?(trx: Tx, actor: Actor, filters: Record<string, unknown>): Promise<void>;
  /**
   * `scoped`'s rule as a condition on a `file_jobs` row (on its `filters`, whatever they
   * name now): true while they stay within the subtree at `subtreePath`. A scoped caller's
   * export list, details and download read the job through it, so a job whose account has
   * left the subtree is gone from all three alike, and a list page stays one query. Given
   * exactly when `scoped` is.
   */
  scopedJobs?(eb: ExpressionBuilder<DB, "file_jobs">, subtreePath: string): Expression<SqlBool>;
}

export interface ImportColumn {
  key: string;
  header: string;
  required: boolean;
  description: string;
  example: string;
}

export interface ParsedRow<V> {
  row: number;
  value: V;
}

/** What the import's services are, for work after its commit. */
export interface ImportServices {
  db: Database;
  /** Email, SMS and inbox; absent in a process that cannot send. */
  notifier?: Notifier | undefined;
}

export interface ImportContext {
  jobId: string;
  now: Date;
  /** The ledger inside the import's transaction, for imports that move value. */
  ledger: LedgerOps;
  /**
   * Work to run once the import's transaction has committed (never when it rolls back), such
   * as sending the notices its rows decided. A failure there does not fail the import: what
   * must not be lost is recorded in the transaction and sent again from there.
   */
  afterCommit(task: (services: ImportServices) => Promise<void>): void;
}

export interface ImportDefinition<V = unknown> {
  type: string;
  description: string;
  permission: string;
  columns: ImportColumn[];
  /** Checks one row's cells (trimmed text by column key); returns its value or its errors. */
  parseRow(cells: Record<string, string>, row: number): { value: V } | { errors: RowError[] };
  /** Checks across rows and against the database (duplicates, references). */
  validate(trx: Tx, tenantId: string, rows: ParsedRow<V>[]): Promise<RowError[]>;
  /** Writes the rows; runs in one transaction with `validate`. */
  apply(trx: Tx, tenantId: string, rows: ParsedRow<V>[], context: ImportContext): Promise<void>;
}

const exportsByType = new Map<string, ExportDefinition>();
const importsByType = new Map<string, ImportDefinition>();

export function registerExport<R>(definition: ExportDefinition<R>): void {
  const existing = exportsByType.get(definition.type);
  if (existing === definition) return;
  assert(!existing, `export ${definition.type} registered twice`);
  assert(
    !definition.scoped === !definition.scopedJobs,
    `export ${definition.type}: scoped and scopedJobs come together`,
  );
  exportsByType.set(definition.type, definition as ExportDefinition);
}

export function registerImport<V>(definition: ImportDefinition<V>): void {
  const existing = importsByType.get(definition.type);
  if (existing === definition) return;
  assert(!existing, `import ${definition.type} registered twice`);
  importsByType.set(definition.type, definition as ImportDefinition);
}

export function exportType(type: string): ExportDefinition | undefined {
  return exportsByType.get(type);
}

export function importType(type: string): ImportDefinition | undefined {
  return importsByType.get(type);
}

export function exportTypes(): ExportDefinition[] {
  return [...exportsByType.values()];
}

export function importTypes(): ImportDefinition[] {
  return [...importsByType.values()];
}
