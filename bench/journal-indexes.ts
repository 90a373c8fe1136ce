/**
 * What the journal's indexes and row-level security cost a bulk batch's insert, inside
 * PostgreSQL: the engine's own journal insert (`transferInsert`) of 8,190 rows into copies
 * of `ledger_transfers` (same columns, constraints, indexes and policy), each copy without
 * one of them, in turns, as the application role. Times are EXPLAIN ANALYZE execution times,
 * so they leave out the network, the client and the commit.
 *
 *   npx tsx bench/journal-indexes.ts [--rounds 12]
 */
import pg from "pg";
import { transferInsert } from "../src/ledger/engine.js";
import type { Transfer } from "../src/ledger/types.js";
import { MAX_BATCH_TRANSFERS } from "../src/ledger/types.js";
import { newId } from "../src/shared/ids.js";
import { reportMedians, runBench, withBenchDatabase } from "./bench-db.js";

const ROUNDS = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 12;
const TENANT = "ten_bench";
const ACCOUNTS = 10_000;
/** `%` is the copy's name; LIKE … INCLUDING ALL names its indexes after their columns. */
const VARIANTS: Record<string, string[]> = {
  "all indexes": [],
  "without (tenant_id, seq)": ["drop index %_tenant_id_seq_idx"],
  "without (tenant_id, debit_account_id, seq)": ["drop index %_tenant_id_debit_account_id_seq_idx"],
  "without (tenant_id, credit_account_id, seq)": ["drop index %_tenant_id_credit_account_id_seq_idx"],
  "primary key only (and the partial ones)": [
    "drop index %_tenant_id_seq_idx",
    "drop index %_tenant_id_debit_account_id_seq_idx",
    "drop index %_tenant_id_credit_account_id_seq_idx",
  ],
  "without row-level security": ["alter table % disable row level security"],
};

function batch(now: Date): Transfer[] {
  const account = () => `bench-${Math.floor(Math.random() * ACCOUNTS)}`;
  return Array.from({ length: MAX_BATCH_TRANSFERS }, () => {
    const debit = account();
    let credit = account();
    while (credit === debit) credit = account();
    return transfer(debit, credit, now);
  });
}

function transfer(debit: string, credit: string, now: Date): Transfer {
  return {
    id: newId("tr"),
    kind: "posted",
    debit_account_id: debit,
    credit_account_id: credit,
    amount: 1 + Math.floor(Math.random() * 1000),
    asset: "CNY",
    code: "transfer",
    reference_module: null,
    reference_id: null,
    memo: null,
    metadata: null,
    pending_id: null,
    pending_before: null,
    timeout_seconds: null,
    timeout_at: null,
    debit_balance: -Math.floor(Math.random() * 1e6),
    credit_balance: Math.floor(Math.random() * 1e6),
    created_at: now,
  };
}

async function main() {
  await withBenchDatabase("journal-indexes", async (url) => {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {});
    await client.connect();
    await client.query(`insert into tenants (id, name) values ('${TENANT}', 'bench')`);
    const names = Object.keys(VARIANTS);
    for (const [i, name] of names.entries()) {
      const table = `journal_${i}`;
      await client.query(`create table ${table} (like ledger_transfers including all)`);
      await client.query(`alter table ${table} enable row level security`);
      await client.query(
        `create policy tenant_isolation on ${table} using (tenant_id = current_setting('vouchsafe.tenant_id', true)) with check (tenant_id = current_setting('vouchsafe.tenant_id', true))`,
      );
      await client.query(`grant select, insert on ${table} to vouchsafe_app`);
      for (const step of VARIANTS[name]!) await client.query(step.replaceAll("%", table));
    }
    await client.query("set role vouchsafe_app");
    const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, name] of names.entries()) {
        const write = transferInsert(TENANT, batch(new Date()));
        await client.query(`begin; select set_config('vouchsafe.tenant_id', '${TENANT}', true)`);
        const plan = await client.query(
          `explain (analyze, format json) ${write.sql.replace("into ledger_transfers", `into journal_${i}`)}`,
          write.params,
        );
        await client.query("commit");
        times[name]!.push(plan.rows[0]["QUERY PLAN"][0]["Execution Time"] as number);
      }
    }
    reportMedians("journal-indexes", times, `${MAX_BATCH_TRANSFERS} rows`);
    await client.end();
  });
}

runBench(main);
