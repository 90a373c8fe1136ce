/**
 * How a bulk batch's journal rows are best written: the engine's `INSERT … SELECT FROM unnest`
 * against `COPY … FROM STDIN`, on the real migrated `ledger_transfers` (indexes, row-level
 * security) as the application role. PostgreSQL refuses COPY into a table with row-level
 * security, so COPY can only reach the journal through a staging table.
 *
 *   npx tsx bench/journal-insert.ts [--rounds 8] [--drop-index ledger_transfers_seq]
 */
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql } from "kysely";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { createOwnerKysely } from "../src/db/database.js";
import { MAX_BATCH_TRANSFERS } from "../src/ledger/types.js";
import { reportMedians, runBench, withBenchDatabase } from "./bench-db.js";

const ROUNDS = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 8;
const COLUMNS = `tenant_id, id, kind, debit_account_id, credit_account_id, amount, asset, code,
  reference_module, reference_id, memo, metadata, pending_id, timeout_seconds, timeout_at,
  debit_balance, credit_balance, created_at`;
const TYPES =
  "text text text text text int8 text text text text text jsonb text int4 timestamptz int8 int8 timestamptz".split(
    " ",
  );
const TENANT = "ten_bench";

type Row = (string | number | null)[];

/** COPY's text format: tab-separated, \N for NULL, backslash escapes for \ tab newline return. */
function copyText(rows: Row[]): string {
  const field = (v: string | number | null) =>
    v === null
      ? "\\N"
      : String(v).replace(
          /[\\\t\n\r]/g,
          (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!,
        );
  return rows.map((r) => `${r.map(field).join("\t")}\n`).join("");
}

let next = 0;
function journalRows(): Row[] {
  const now = new Date().toISOString();
  return Array.from({ length: MAX_BATCH_TRANSFERS }, () => {
    next++;
    return [
      TENANT,
      `t-${next}`,
      "posted",
      `acc-${next % 10_000}`,
      `acc-${(next * 7 + 1) % 10_000}`,
      1,
      "CNY",
      "transfer",
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      -next,
      next,
      now,
    ];
  });
}

const MODES: Record<string, (c: pg.ClientBase, rows: Row[]) => Promise<unknown>> = {
  unnest: (c, rows) =>
    c.query(
      `insert into ledger_transfers (${COLUMNS}) select * from unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(", ")})`,
      TYPES.map((_, i) => rows.map((r) => r[i])),
    ),
  copy_via_staging: async (c, rows) => {
    await pipeline(Readable.from([copyText(rows)]), c.query(copyFrom(`copy journal_staging from stdin`)));
    await c.query(
      `insert into ledger_transfers (${COLUMNS}) select * from journal_staging; truncate journal_staging`,
    );
  },
};

async function main() {
  await withBenchDatabase("journal-bench", async (url) => {
    const owner = createOwnerKysely(url);
    await owner.insertInto("tenants").values({ id: TENANT, name: "bench" }).execute();
    // `--drop-index name`: what one journal index costs the insert.
    const dropped = process.argv.includes("--drop-index")
      ? process.argv[process.argv.indexOf("--drop-index") + 1]
      : undefined;
    if (dropped) await sql.raw(`drop index ${dropped}`).execute(owner);
    await owner.destroy();
    const probe = new pg.Client({ connectionString: url });
    probe.on("error", () => {});
    await probe.connect();
    await probe.query(
      `set role vouchsafe_app; begin; select set_config('vouchsafe.tenant_id', '${TENANT}', true)`,
    );
    const refused = await pipeline(
      Readable.from([copyText(journalRows())]),
      probe.query(copyFrom(`copy ledger_transfers (${COLUMNS}) from stdin`)),
    )
      .then(() => "accepted")
      .catch((e: Error) => `refused: ${e.message}`);
    await probe.end().catch(() => {});
    process.stdout.write(`COPY straight into ledger_transfers as the application role: ${refused}\n`);
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {});
    await client.connect();
    await client.query("set role vouchsafe_app");
    await client.query(
      `create temp table journal_staging as select ${COLUMNS} from ledger_transfers limit 0`,
    );
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(MODES).map((m) => [m, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, write] of Object.entries(MODES)) {
        const rows = journalRows();
        const t0 = performance.now();
        await client.query(`begin; select set_config('vouchsafe.tenant_id', '${TENANT}', true)`);
        await write(client, rows);
        await client.query("commit");
        times[mode]!.push(performance.now() - t0);
      }
    }
    reportMedians("journal-insert", times, `${MAX_BATCH_TRANSFERS} rows`);
    await client.end();
  });
}

runBench(main);
