import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import {
  createFileJob,
  downloadable,
  type FileDeps,
  runFileJob,
} from "../../src/platform/files/file-jobs.js";
import type { TestApp } from "./app.js";

/** Runs one CSV export job to its end, as the worker would, and answers its rows by column name. */
export async function exportedRows(
  t: TestApp,
  files: FileDeps,
  tenantId: string,
  type: string,
  filters: Record<string, unknown>,
): Promise<Record<string, string>[]> {
  const now = () => t.clock.now();
  const job = await t.deps.db.tenantTx(tenantId, (trx) =>
    createFileJob(trx, tenantId, { kind: "export", type, format: "csv", filters, createdBy: "test" }, now()),
  );
  await runFileJob(files, tenantId, job.id, now);
  const file = await t.deps.db.tenantTx(tenantId, (trx) =>
    downloadable(trx, tenantId, job.id, files.dataDir, now()),
  );
  return parse(await readFile(file.path, "utf8"), { columns: true, bom: true }) as Record<string, string>[];
}
