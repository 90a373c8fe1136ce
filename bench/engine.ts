/**
 * Engine-level ledger benchmark: `ledger.run` called directly (no HTTP), so the cost of the
 * group commit itself can be seen apart from the web layer.
 *
 *   npx tsx bench/engine.ts [--seconds 5] [--bulk 100000] [--no-batching] [--carry] [--concurrent N]
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import { createDatabase, createOwnerKysely } from "../src/db/database.js";
import { Ledger } from "../src/ledger/ledger.js";
import { createAsset } from "../src/ledger/queries.js";
import { MAX_BATCH_TRANSFERS } from "../src/ledger/types.js";
import { systemClock } from "../src/shared/clock.js";
import { runBench, withBenchDatabase } from "./bench-db.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg("seconds", 5);
const BULK = arg("bulk", 100_000);
const CLIENTS = arg("clients", 64);
const BATCHING = !process.argv.includes("--no-batching");
/** Batches decide on what the committing ones leave (ADR 0009); without it they lock and wait. */
const CARRY = process.argv.includes("--carry");
const ACCOUNTS = 10_000;

const pick = (ids: string[]) => ids[Math.floor(Math.random() * ids.length)]!;

async function main() {
  await withBenchDatabase("engine-bench", async (url) => {
    const owner = createOwnerKysely(url);
    const tenantId = "ten_bench";
    await owner.insertInto("tenants").values({ id: tenantId, name: "bench" }).execute();
    const db = createDatabase(url, { poolSize: 10 });
    await db.tenantTx(tenantId, (trx) =>
      createAsset(trx, tenantId, { code: "CNY", scale: 2, name: "CNY" }, new Date()),
    );
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => `acc-${i}`);
    const ownerPool = new pg.Pool({ connectionString: url, max: 1 });
    ownerPool.on("error", () => {});
    await ownerPool.query(
      `insert into ledger_accounts (tenant_id, id, asset, kind) select $1, id, 'CNY', 'bench' from unnest($2::text[]) id`,
      [tenantId, [...ids, "hot"]],
    );
    await ownerPool.query("analyze");
    await ownerPool.end();
    const ledger = new Ledger(db, {
      clock: systemClock,
      batching: BATCHING,
      carryForward: CARRY,
      unitsAreLedgerOnly: true,
      ...(process.argv.includes("--concurrent") ? { concurrentBatches: arg("concurrent", 2) } : {}),
    });

    for (const workload of ["uniform", "hot"] as const) {
      const latencies: number[] = [];
      const end = performance.now() + SECONDS * 1000;
      const worker = async () => {
        while (performance.now() < end) {
          const credit = workload === "hot" ? "hot" : pick(ids);
          let debit = pick(ids);
          while (debit === credit) debit = pick(ids);
          const t0 = performance.now();
          const r = await ledger.run(
            tenantId,
            (uow) => uow.transfer({ debit_account_id: debit, credit_account_id: credit, amount: 1 }),
            { lock: [debit, credit] },
          );
          if (!r.ok) throw new Error(r.code);
          latencies.push(performance.now() - t0);
        }
      };
      const batchesBefore = ledger.stats.batches;
      await Promise.all(Array.from({ length: CLIENTS }, worker));
      latencies.sort((a, b) => a - b);
      const p = (q: number) => latencies[Math.floor(q * latencies.length)]!.toFixed(1);
      process.stdout.write(
        `engine ${workload}: ${(latencies.length / SECONDS).toFixed(0)} transfers/s, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, ${(latencies.length / (ledger.stats.batches - batchesBefore)).toFixed(1)} units/batch (batching ${BATCHING}, carry ${CARRY}, ${ledger.stats.staleBatches} stale)\n`,
      );
    }

    const t0 = performance.now();
    for (let done = 0; done < BULK; done += MAX_BATCH_TRANSFERS) {
      const items = Array.from({ length: Math.min(MAX_BATCH_TRANSFERS, BULK - done) }, () => {
        const credit = pick(ids);
        let debit = pick(ids);
        while (debit === credit) debit = pick(ids);
        return { debit_account_id: debit, credit_account_id: credit, amount: 1 };
      });
      const s = performance.now();
      await ledger.run(tenantId, (uow) => uow.batch(items));
      if (process.env.BENCH_VERBOSE)
        process.stderr.write(`batch ${items.length}: ${(performance.now() - s).toFixed(0)} ms\n`);
    }
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(
      `engine bulk: ${(BULK / seconds).toFixed(0)} transfers/s (${BULK} in ${seconds.toFixed(1)} s)\n`,
    );
    await db.close();
    await owner.destroy();
  });
}

runBench(main);
