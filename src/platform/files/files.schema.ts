import type { ColumnType, Generated } from "kysely";
import type { JsonDefault, Timestamp } from "../../db/schema.js";

export type FileFormat = "csv" | "xlsx";
export type FileJobStatus = "queued" | "running" | "succeeded" | "failed" | "expired";
export type ImportMode = "all_or_nothing" | "skip_bad_rows";

export interface RowError {
  /** 1-based line of the file (the header is line 1). */
  row: number;
  /** The column's key, or null for a row-level problem. */
  column: string | null;
  message: string;
}

export interface FileJobsTable {
  tenant_id: string;
  id: string;
  kind: "import" | "export";
  type: string;
  format: FileFormat;
  status: FileJobStatus;
  mode: ImportMode | null;
  filters: JsonDefault<Record<string, unknown>>;
  rows_total: number | null;
  rows_done: Generated<number>;
  rows_failed: Generated<number>;
  errors: JsonDefault<RowError[]>;
  error: string | null;
  /** Why the job failed, as a stable code (`export_too_large`), when it is a known refusal. */
  error_code: Generated<string | null>;
  file_name: string | null;
  /** Relative to `<dataDir>/files`: `<tenant>/<id>.<ext>`. */
  file_path: string | null;
  file_size: number | null;
  created_by: string;
  created_at: Timestamp;
  started_at: Date | null;
  finished_at: Date | null;
  expires_at: ColumnType<Date, Date, Date>;
}

declare module "../../db/schema.js" {
  interface DB {
    file_jobs: FileJobsTable;
  }
}
