/**
 * What a snapshot read costs, made one by one (a pipeline: BEGIN, the tenant, each statement,
 * COMMIT) or as one statement (see `tenantRead`): the CPU of this process and of the
 * PostgreSQL backend that answered, per read, over reads of eight statements of some 90
 * columns and 13 rows in all (as a member's checkout quote reads), alternating the two ways.
 *
 *   npx tsx bench/read-as-one.ts
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDatabase } from "../src/db/database.js";
import { freePort, startEmbeddedPostgres } from "../src/db/embedded.js";

const ROUNDS = 6;
const READS = 2000;
const temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-read-as-one-"));
const pgHandle = await startEmbeddedPostgres({
  clusterDir: path.join(temp, "pg"),
  port: await freePort(),
  durable: false,
});
const db = createDatabase(pgHandle.url("postgres") + (process.env.PG_OPTS ?? ""), { poolSize: 1 });
const ticks = async (pid: number) => {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
};
try {
  const shapes = [
    [3, 1],
    [22, 1],
    [6, 3],
    [12, 2],
    [5, 3],
    [14, 1],
    [8, 1],
    [20, 1],
  ];
  const statements = shapes.map(([columns, rows], s) => {
    const list = Array.from({ length: columns! }, (_, c) =>
      [
        `'text ${s}-${c}-' || g::text`,
        `(${s * 1000 + c} + g)::bigint`,
        `timestamptz '2026-12-01 10:00:00+00' + g * interval '1 hour'`,
        `null::text`,
        `${c % 2 === 0}`,
        `'${s}.${c}'::numeric`,
      ][c % 6]!.concat(` as c${c}`),
    );
    return { text: `select ${list.join(", ")} from generate_series(1, $1::int) g`, values: [rows!] };
  });
  const backend = Number(
    (await db.tenantRead("t", [{ text: "select pg_backend_pid() as pid", values: [] }]))[0]![0]!.pid,
  );
  const hz = 100;
  const perRead: Record<string, { self: number[]; backend: number[] }> = {
    "one by one": { self: [], backend: [] },
    "as one statement": { self: [], backend: [] },
  };
  const read = () => db.tenantRead("t", statements);
  process.env.VOUCHSAFE_READ_AS_ONE = "0";
  const oneByOne = await read();
  delete process.env.VOUCHSAFE_READ_AS_ONE;
  if (JSON.stringify(await read()) !== JSON.stringify(oneByOne))
    throw new Error("the two ways read different rows");
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(perRead)) {
      if (name === "one by one") process.env.VOUCHSAFE_READ_AS_ONE = "0";
      else delete process.env.VOUCHSAFE_READ_AS_ONE;
      const before = process.cpuUsage();
      const backendBefore = await ticks(backend);
      for (let i = 0; i < READS; i++) await read();
      const used = process.cpuUsage(before);
      perRead[name]!.self.push((used.user + used.system) / READS);
      perRead[name]!.backend.push((((await ticks(backend)) - backendBefore) * 1e6) / hz / READS);
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  for (const [name, { self, backend: pgCpu }] of Object.entries(perRead))
    process.stdout.write(
      `${name}: this process ${median(self).toFixed(1)} µs, PostgreSQL ${median(pgCpu).toFixed(1)} µs of CPU per read (${self.map((v) => v.toFixed(0)).join(", ")} / ${pgCpu.map((v) => v.toFixed(0)).join(", ")})\n`,
    );
} finally {
  await db.close();
  await pgHandle.stop();
  await rm(temp, { recursive: true, force: true });
}
