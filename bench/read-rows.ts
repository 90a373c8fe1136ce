/**
 * What reading a snapshot's rows costs this process: one simple query of 15 statements (about
 * 90 columns in all, as a member's checkout quote reads), answered through node-postgres's own
 * Query or through `StatementsRows`, alternating, CPU of this process per read. PostgreSQL's
 * time is its own process's and is not counted.
 *
 *   npx tsx bench/read-rows.ts
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { createDatabase, rowsOfEachStatement } from "../src/db/database.js";
import { freePort, startEmbeddedPostgres } from "../src/db/embedded.js";

const ROUNDS = 5;
const READS = 2000;
const temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-read-rows-"));
const pgHandle = await startEmbeddedPostgres({
  clusterDir: path.join(temp, "pg"),
  port: await freePort(),
  durable: false,
});
// The app's type parsers (bigint as a safe number, timestamptz read directly) come with it.
const db = createDatabase(pgHandle.url("postgres"), { poolSize: 1 });
try {
  const statements = Array.from({ length: 15 }, (_, s) => {
    const columns = Array.from({ length: 6 }, (_, c) =>
      [
        `'text ${s}-${c}'::text`,
        `${s * 1000 + c}::bigint`,
        `now()`,
        `null::text`,
        `${c % 2 === 0}`,
        `'${s}.${c}'::numeric`,
      ][c % 6]!.concat(` as c${c}`),
    );
    return `select ${columns.join(", ")} from generate_series(1, ${1 + (s % 3)})`;
  });
  const text = ["begin transaction isolation level repeatable read, read only", ...statements, "commit"].join(
    ";\n",
  );
  const client = await db.pool.connect();
  const viaQuery = async () => {
    const results = (await client.query(text)) as unknown as pg.QueryResult[];
    return results.map((r) => r.rows);
  };
  const viaRows = () => rowsOfEachStatement(client, text);
  if (
    JSON.stringify((await viaQuery()).slice(1, -1).map((r) => r.map((x) => ({ ...x, c2: 0 })))) !==
    JSON.stringify((await viaRows()).slice(1, -1).map((r) => r.map((x) => ({ ...x, c2: 0 }))))
  )
    throw new Error("the two ways read different rows");
  const perRead: Record<string, number[]> = { "node-postgres Query": [], StatementsRows: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, read] of [
      ["node-postgres Query", viaQuery],
      ["StatementsRows", viaRows],
    ] as const) {
      const before = process.cpuUsage();
      for (let i = 0; i < READS; i++) await read();
      const used = process.cpuUsage(before);
      perRead[name]!.push((used.user + used.system) / READS);
    }
  }
  client.release();
  for (const [name, list] of Object.entries(perRead)) {
    const sorted = [...list].sort((a, b) => a - b);
    process.stdout.write(
      `${name}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs of this process's CPU per read (${sorted.map((v) => v.toFixed(0)).join(", ")})\n`,
    );
  }
} finally {
  await db.close();
  await pgHandle.stop();
  await rm(temp, { recursive: true, force: true });
}
