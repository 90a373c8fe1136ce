/**
 * What the in-process benches share: a durable embedded PostgreSQL with one migrated database,
 * removed afterwards, and how they report medians.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createOwnerKysely, withClient } from "../src/db/database.js";
import { freePort, startEmbeddedPostgres } from "../src/db/embedded.js";
import { migrateToLatest } from "../src/db/migrate.js";

/** Runs `fn` with the URL of a freshly migrated database on its own durable (fsync on) cluster. */
export async function withBenchDatabase(name: string, fn: (url: string) => Promise<void>): Promise<void> {
  const temp = await mkdtemp(path.join(os.tmpdir(), `vouchsafe-${name}-`));
  const handle = await startEmbeddedPostgres({
    clusterDir: path.join(temp, "pg"),
    port: await freePort(),
    durable: true,
  });
  try {
    const database = name.replace(/\W/g, "_");
    await withClient(handle.url("postgres"), (admin) => admin.query(`create database ${database}`));
    const url = handle.url(database);
    const owner = createOwnerKysely(url);
    try {
      await migrateToLatest(owner);
    } finally {
      await owner.destroy();
    }
    await fn(url);
  } finally {
    await handle.stop();
    await rm(temp, { recursive: true, force: true });
  }
}

/** One line per variant (median and best of its times, in ms), then the load average. */
export function reportMedians(bench: string, times: Record<string, number[]>, per: string): void {
  for (const [variant, t] of Object.entries(times)) {
    t.sort((a, b) => a - b);
    process.stdout.write(
      `${bench} ${variant}: median ${t[Math.floor(t.length / 2)]!.toFixed(0)} ms, best ${t[0]!.toFixed(0)} ms per ${per} (${t.length} rounds)\n`,
    );
  }
  process.stdout.write(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}\n`,
  );
}

/** Runs a bench's main and exits non-zero, with the stack, if it fails. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
