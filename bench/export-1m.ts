/**
 * Exports 1,000,000 audit-log rows through the real export machinery (CSV, then xlsx), then
 * imports 100,000 org units from a CSV (IMPORT=0 skips it), and prints rows/s and the
 * process's peak RSS for each, which must stay under 300 MB.
 *
 *   node --max-old-space-size=192 --import tsx bench/export-1m.ts   # embedded PostgreSQL in a temp folder
 *   DATABASE_URL=postgres://… node --max-old-space-size=192 --import tsx bench/export-1m.ts
 *   ROWS=200000 FORMATS=csv …
 *
 * The live heap of an export stays near 15 MB whatever the row count; without a heap limit
 * V8 simply collects late (RSS then floats to 600+ MB of garbage on a large machine). The
 * worker is meant to run with the same limit (`NODE_OPTIONS=--max-old-space-size=192`).
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { sql } from "kysely";
import { createDatabase, createOwnerKysely, withClient } from "../src/db/database.js";
import { freePort, startEmbeddedPostgres } from "../src/db/embedded.js";
import { migrateToLatest } from "../src/db/migrate.js";
import "../src/platform/files/builtin.js";
import { createFileJob, getFileJob, runFileJob, saveUpload } from "../src/platform/files/file-jobs.js";
import type { FileFormat } from "../src/platform/files/files.schema.js";
import { createTenant } from "../src/platform/tenants.js";

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const FORMATS = (process.env.FORMATS ?? "csv,xlsx").split(",") as FileFormat[];
const RSS_LIMIT_MB = 300;

async function main() {
  const temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-bench-export-"));
  let stopPg = async () => {};
  let url = process.env.DATABASE_URL;
  if (!url) {
    const handle = await startEmbeddedPostgres({
      clusterDir: path.join(temp, "pg"),
      port: await freePort(),
      durable: false,
    });
    stopPg = handle.stop;
    await withClient(handle.url("postgres"), (admin) => admin.query("create database bench_export"));
    url = handle.url("bench_export");
  }
  const owner = createOwnerKysely(url);
  await migrateToLatest(owner);
  const db = createDatabase(url, { poolSize: 4 });
  const now = new Date();
  const { tenantId } = await createTenant(db, { name: `Export bench ${now.toISOString()}` }, now);

  process.stdout.write(`seeding ${ROWS.toLocaleString("en")} audit events…\n`);
  await sql`
    insert into audit_events (tenant_id, id, actor_type, actor_id, actor_role, action, target_type, target_id, summary, request_id, created_at)
    select ${tenantId}, 'aud_' || lpad(g::text, 26, '0'), 'api_key', 'key_bench', 'owner',
           case when g % 3 = 0 then 'voucher.issued' else 'member.updated' end, 'member', 'mbr_' || g,
           jsonb_build_object('before', jsonb_build_object('name', '会员 ' || g), 'after', jsonb_build_object('name', 'Member ' || g)),
           'req_' || g, now() - (g || ' seconds')::interval
      from generate_series(1, ${ROWS}) g`.execute(owner);
  await sql`analyze audit_events`.execute(owner);

  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const results: string[] = [];
  for (const format of FORMATS) {
    if (global.gc) global.gc();
    const startRss = process.memoryUsage().rss;
    peak = startRss;
    const job = await db.tenantTx(tenantId, (trx) =>
      createFileJob(
        trx,
        tenantId,
        { kind: "export", type: "audit_events", format, createdBy: "bench" },
        new Date(),
      ),
    );
    const started = performance.now();
    await runFileJob({ db, dataDir: temp }, tenantId, job.id, () => new Date());
    const seconds = (performance.now() - started) / 1000;
    const done = await db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
    if (done.status !== "succeeded") throw new Error(`export ${format} ${done.status}: ${done.error}`);
    const size = (await stat(path.join(temp, "files", done.file_path!))).size;
    const peakMb = peak / 1024 / 1024;
    const line =
      `${format.padEnd(4)} ${done.rows_done.toLocaleString("en")} rows in ${seconds.toFixed(1)} s = ` +
      `${Math.round(done.rows_done / seconds).toLocaleString("en")} rows/s; file ${(size / 1024 / 1024).toFixed(0)} MB; ` +
      `peak RSS ${peakMb.toFixed(0)} MB (start ${(startRss / 1024 / 1024).toFixed(0)} MB) ` +
      (peakMb < RSS_LIMIT_MB ? `< ${RSS_LIMIT_MB} MB ok` : `>= ${RSS_LIMIT_MB} MB OVER`);
    results.push(line);
    process.stdout.write(`${line}\n`);
  }
  if (process.env.IMPORT !== "0") {
    // The import side of the memory cap: 100,000 org units from one CSV, validated then written.
    const rows = Number(process.env.IMPORT_ROWS ?? 100_000);
    const lines = ["code,name,kind,parent_code"];
    for (let i = 0; i < rows; i++) lines.push(`B${i},门店 ${i},store,${i < 100 ? "" : `B${i % 100}`}`);
    const job = await db.tenantTx(tenantId, (trx) =>
      createFileJob(
        trx,
        tenantId,
        { kind: "import", type: "org_units", format: "csv", createdBy: "bench" },
        new Date(),
      ),
    );
    const saved = await saveUpload(
      temp,
      tenantId,
      job.id,
      "csv",
      Readable.from([Buffer.from(lines.join("\n"))]),
    );
    lines.length = 0;
    await db.tenantTx(tenantId, (trx) =>
      trx.updateTable("file_jobs").set({ file_path: saved.relative }).where("id", "=", job.id).execute(),
    );
    if (global.gc) global.gc();
    const startRss = process.memoryUsage().rss;
    peak = startRss;
    const started = performance.now();
    await runFileJob({ db, dataDir: temp }, tenantId, job.id, () => new Date());
    const seconds = (performance.now() - started) / 1000;
    const done = await db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id));
    if (done.status !== "succeeded") throw new Error(`import ${done.status}: ${done.error}`);
    const peakMb = peak / 1024 / 1024;
    const line =
      `import csv ${done.rows_done.toLocaleString("en")} org units in ${seconds.toFixed(1)} s = ` +
      `${Math.round(done.rows_done / seconds).toLocaleString("en")} rows/s; peak RSS ${peakMb.toFixed(0)} MB ` +
      (peakMb < RSS_LIMIT_MB ? `< ${RSS_LIMIT_MB} MB ok` : `>= ${RSS_LIMIT_MB} MB OVER`);
    results.push(line);
    process.stdout.write(`${line}\n`);
  }
  clearInterval(sampler);
  await db.close();
  await owner.destroy();
  // A pooled connection still closing when PostgreSQL stops is not a benchmark failure.
  process.on("uncaughtException", (error) => {
    if (!/administrator command/.test(String(error))) throw error;
  });
  await stopPg();
  await rm(temp, { recursive: true, force: true });
  process.stdout.write(`\nnode ${process.version}, ${os.cpus().length} CPUs\n${results.join("\n")}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
