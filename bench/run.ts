/**
 * Ledger benchmark: PostgreSQL's own pgbench (tpcb-like) against our HTTP transfer endpoint,
 * on the same embedded PostgreSQL (durable: fsync on, PostgreSQL's defaults), same clients.
 *
 *   npm run bench              # 20 s per workload, 1,000,000 bulk transfers
 *   npm run bench -- --quick   # the same in under a minute (shorter runs, 100,000 bulk)
 *   npm run bench -- --quick --processes 2   # two API processes and a worker on one database
 *   npm run bench -- --quick --only bulk     # one ledger workload (uniform, hot or bulk), no pgbench or checkout
 *
 * Workloads: (a) uniform random transfers among 10,000 accounts vs tpcb-like at scale 10;
 * (b) every transfer credits one hot account vs tpcb-like at scale 1; (c) bulk transfers
 * through the batch endpoint in batches of 8,190. The server runs as its own process (the
 * transpiled build, as `npm start` runs it); the load comes from another process (undici).
 * Then runs the checkout benchmark (bench/checkout.ts). Writes bench/results/latest.json; the
 * last two lines are the summaries: `ledger-bench …` and `checkout-bench …`.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { withClient } from "../src/db/database.js";
import { freePort, livePostmaster, startEmbeddedPostgres } from "../src/db/embedded.js";
import { gcPausesOf, routeRoundTrips } from "../src/platform/http/metrics.js";
import type { LoadConfig, LoadResult } from "./load.js";
import { percentile } from "./percentile.js";
import { findPgbench, pgbenchConnection } from "./pgbench.js";
import {
  type CpuPerOperation,
  cpuCeilingPerSecond,
  cpuSecondsOf,
  describeCpu,
  peakRssMbOf,
  startCpuMeter,
} from "./process-cpu.js";
import { START_NODE_FLAGS, startBenchProcess } from "./processes.js";
import { findWrk, wrkLoad } from "./wrk.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const QUICK = process.argv.includes("--quick");
/**
 * PostgreSQL settings for the bench's cluster beyond its defaults, e.g.
 * BENCH_PG_SETTINGS="max_wal_size=8GB checkpoint_timeout=30min" (pgbench runs on them too).
 */
const PG_FLAGS = (process.env.BENCH_PG_SETTINGS ?? "")
  .split(" ")
  .filter(Boolean)
  .flatMap((setting) => ["-c", setting]);

/** The cluster's WAL so far: bytes, full-page images, checkpoints begun. */
async function walStats(client: pg.Client) {
  const { rows } = await client.query<{ bytes: string; fpi: string; checkpoints: string }>(
    "select w.wal_bytes::text as bytes, w.wal_fpi::text as fpi, (c.num_timed + c.num_requested)::text as checkpoints from pg_stat_wal w, pg_stat_checkpointer c",
  );
  const row = rows[0]!;
  return { bytes: Number(row.bytes), fullPageImages: Number(row.fpi), checkpoints: Number(row.checkpoints) };
}
type WalStats = Awaited<ReturnType<typeof walStats>>;
const walDelta = (a: WalStats, b: WalStats): WalStats => ({
  bytes: b.bytes - a.bytes,
  fullPageImages: b.fullPageImages - a.fullPageImages,
  checkpoints: b.checkpoints - a.checkpoints,
});
const CLIENTS = 64;
const SECONDS = QUICK ? 5 : 20;
const WARMUP_SECONDS = QUICK ? 1 : 3;
const ACCOUNTS = 10_000;
const BULK_TOTAL = QUICK ? 100_000 : 1_000_000;
const BULK_BATCH = 8190;
const BULK_CLIENTS = 2;
/** API processes on the one database (`--processes N`); with more than one, a separate worker runs too. */
const PROCESSES = process.argv.includes("--processes")
  ? Math.max(1, Number(process.argv[process.argv.indexOf("--processes") + 1]) || 1)
  : 1;

/** Single transfers from the Node load generator (bench/load.ts) instead of wrk. */
const NODE_CLIENTS = process.argv.includes("--node-clients");
let wrkPath: string | undefined;
/** wrk, found (or installed) when single transfers are first sent. */
const wrk = () => (wrkPath ??= findWrk((line) => process.stdout.write(`${line}\n`)));

/** One ledger workload only (`--only bulk`, or BENCH_ONLY=bulk): pgbench and the checkout bench are skipped. */
const ONLY = process.argv.includes("--only")
  ? process.argv[process.argv.indexOf("--only") + 1]
  : process.env.BENCH_ONLY || undefined;
if (ONLY !== undefined && !["uniform", "hot", "bulk"].includes(ONLY)) {
  process.stderr.write(`--only takes uniform, hot or bulk, not ${ONLY}\n`);
  process.exit(2);
}

const say = (line: string) => process.stdout.write(`${line}\n`);

type Workload = "uniform" | "hot" | "bulk";

/** CPU per operation (µs) over a workload's run, and the rate the machine's cores allow at it. */
interface WorkloadCost {
  machine_us_per_op: number;
  postgres_us_per_op: number;
  api_us_per_op: number;
  load_generator_us_per_op: number;
  cpu_ceiling_per_s: number;
}

interface Row {
  workload: string;
  clients: number;
  ops_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors?: number;
}

async function runPgbench(
  pgbench: string,
  host: string,
  port: number,
  database: string,
  scale: number,
  logDir: string,
): Promise<Row> {
  const { env, common } = pgbenchConnection(host, port);
  execFileSync(pgbench, [...common, "-i", "-q", "-s", String(scale), database], { env, stdio: "pipe" });
  const prefix = path.join(logDir, `pgbench_s${scale}`);
  const out = execFileSync(
    pgbench,
    [
      ...common,
      "-b",
      "tpcb-like",
      "-c",
      String(CLIENTS),
      "-j",
      "2",
      "-T",
      String(SECONDS + WARMUP_SECONDS),
      "-l",
      "--log-prefix",
      prefix,
      database,
    ],
    { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  // Per-transaction log lines: client, transaction, latency_us, script, epoch_s, epoch_us.
  const latencies: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  const lines: { at: number; latency: number }[] = [];
  for (const file of readdirSync(logDir).filter((f) => f.startsWith(path.basename(prefix)))) {
    for (const line of readFileSync(path.join(logDir, file), "utf8").split("\n")) {
      const parts = line.split(" ");
      if (parts.length < 6) continue;
      const at = Number(parts[4]) + Number(parts[5]) / 1e6;
      first = Math.min(first, at);
      lines.push({ at, latency: Number(parts[2]) / 1000 });
    }
  }
  // Same warm-up as ours: count only transactions finished after it.
  const measured = lines.filter((l) => l.at >= first + WARMUP_SECONDS);
  for (const l of measured) latencies.push(l.latency);
  latencies.sort((a, b) => a - b);
  const tps = /tps = ([\d.]+)/.exec(out);
  return {
    workload: `pgbench tpcb-like scale ${scale}`,
    clients: CLIENTS,
    ops_per_s: measured.length / SECONDS || Number(tps?.[1] ?? 0),
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
  };
}

interface Server {
  child: ChildProcess;
  url: string;
  maxRssMb: () => number;
  stop: () => Promise<void>;
}

/** A process of the transpiled build: `dist/server.js` (an API process) or `dist/worker.js` (the job runner). */
async function startServer(
  databaseUrl: string,
  apiKey: string,
  dataDir: string,
  entry: "server" | "worker" = "server",
): Promise<Server> {
  const { child, url, stop } = await startBenchProcess({
    databaseUrl,
    apiKey,
    dataDir,
    entry,
    // The same flags as `npm start` (heap cap, young generation), unless BENCH_NODE_FLAGS says otherwise.
    nodeArgs: (process.env.BENCH_NODE_FLAGS ?? START_NODE_FLAGS).split(" ").filter(Boolean),
  });
  return { child, url, maxRssMb: () => peakRssMbOf(child.pid), stop };
}

/**
 * Single transfers from wrk (C, as pgbench's own client is), each a random pair of accounts
 * (the credit always the hot account when one is named) and amount made in Lua; a warm-up
 * first, on the same connections. Batches stay with the Node load generator: two clients,
 * 8,190 transfers a body.
 */
async function wrkTransfers(wrk: string, config: LoadConfig, dir: string): Promise<LoadResult> {
  const accountsFile = path.join(dir, "accounts.txt");
  await writeFile(accountsFile, `${config.accounts.join("\n")}\n`);
  const lua = `
wrk.method = "POST"
wrk.path = "/v1/ledger/transfers"
wrk.headers["authorization"] = "Bearer ${config.apiKey}"
wrk.headers["content-type"] = "application/json"
local accounts = {}
for line in io.lines(${JSON.stringify(accountsFile)}) do accounts[#accounts + 1] = line end
local hot = ${config.hot ? JSON.stringify(config.hot) : "nil"}
math.randomseed(os.time() * 16 + tonumber(os.getenv("WRK_INSTANCE") or "0"))
function request()
  local credit = hot or accounts[math.random(#accounts)]
  local debit = accounts[math.random(#accounts)]
  while debit == credit do debit = accounts[math.random(#accounts)] end
  return wrk.format(nil, nil, nil, string.format(
    '{"debit_account_id":"%s","credit_account_id":"%s","amount":%d}', debit, credit, math.random(1000)))
end`;
  // One run: the warm-up, then the measured seconds on the same connections.
  const measured = await wrkLoad({
    wrk,
    dir,
    urls: config.urls,
    clients: config.clients,
    warmupSeconds: config.warmupSeconds ?? 1,
    seconds: config.seconds ?? 10,
    lua,
  });
  return {
    ops: measured.ok,
    seconds: measured.seconds,
    ops_per_s: measured.ok / measured.seconds,
    p50_ms: measured.p50,
    p99_ms: measured.p99,
    errors: measured.errors,
    ...(measured.errors ? { first_error: `${measured.errors} answers were not 2xx (wrk)` } : {}),
    cpu_s: measured.cpuSeconds,
  };
}

async function runLoad(config: LoadConfig, dir: string): Promise<LoadResult> {
  if (config.mode === "transfer" && !NODE_CLIENTS) return wrkTransfers(wrk(), config, dir);
  const file = path.join(dir, `load-${randomBytes(4).toString("hex")}.json`);
  await writeFile(file, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/load.ts", file], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`load process exited with ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").pop()!) as LoadResult);
    });
  });
}

const fmt = (n: number, digits = 1) => (Number.isNaN(n) ? "-" : n.toFixed(digits));

async function main() {
  const started = Date.now();
  const temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-bench-"));
  const pgbench = findPgbench();
  const loadBefore = os.loadavg()[0]!;
  say(
    `ledger-bench: ${QUICK ? "quick" : "full"} run; ${PROCESSES} API process${PROCESSES > 1 ? "es and a worker" : ""}; pgbench at ${pgbench}; ${os.cpus().length} CPUs; load average ${loadBefore.toFixed(1)}`,
  );
  const port = await freePort();
  const pgHandle = await startEmbeddedPostgres({
    clusterDir: path.join(temp, "pg"),
    port,
    durable: true,
    extraFlags: PG_FLAGS,
  });
  const postmasterPid = livePostmaster(path.join(temp, "pg"))!.pid;
  const servers: Server[] = [];
  try {
    await withClient(pgHandle.url("postgres"), async (admin) => {
      for (const db of ["pgbench_s10", "pgbench_s1", "vouchsafe"]) await admin.query(`create database ${db}`);
    });

    const rows: Row[] = [];
    const only = ONLY;
    const skipped: Row = { workload: "skipped", clients: 0, ops_per_s: 1, p50_ms: 0, p99_ms: 0 };
    say("running pgbench tpcb-like, scale 10 ...");
    const pgUniform = only
      ? skipped
      : await runPgbench(pgbench, pgHandle.host, port, "pgbench_s10", 10, temp);
    say("running pgbench tpcb-like, scale 1 ...");
    const pgHot = only ? skipped : await runPgbench(pgbench, pgHandle.host, port, "pgbench_s1", 1, temp);

    const apiKey = randomBytes(30).toString("base64url");
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
    for (let i = 0; i < PROCESSES; i++)
      servers.push(await startServer(pgHandle.url("vouchsafe"), apiKey, path.join(temp, "data")));
    const server = servers[0]!;
    if (PROCESSES > 1)
      servers.push(await startServer(pgHandle.url("vouchsafe"), apiKey, path.join(temp, "data"), "worker"));
    const apiUrls = servers.slice(0, PROCESSES).map((s) => s.url);
    /** The largest resident set of any one process (each is capped alike). */
    const peakRss = () => Math.max(...servers.map((s) => s.maxRssMb()));
    const auth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
    const tenant = (await (await fetch(`${server.url}/v1/tenant`, { headers: auth })).json()) as {
      id: string;
    };
    const asset = await fetch(`${server.url}/v1/ledger/assets`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ code: "CNY", scale: 2, name: "Renminbi" }),
    });
    if (asset.status >= 300) throw new Error(`creating the asset failed: ${await asset.text()}`);
    // 10,000 accounts (and a hot one), written directly: setting up is not what is measured.
    const owner = new pg.Client({ connectionString: pgHandle.url("vouchsafe") });
    owner.on("error", () => {});
    await owner.connect();
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => `bench-${i}`);
    await owner.query(
      `insert into ledger_accounts (tenant_id, id, asset, kind) select $1, id, 'CNY', 'bench' from unnest($2::text[]) id`,
      [tenant.id, [...ids, "bench-hot"]],
    );
    await owner.query("analyze");

    const load = (config: Partial<LoadConfig>) =>
      runLoad(
        {
          urls: apiUrls,
          apiKey,
          mode: "transfer",
          clients: CLIENTS,
          seconds: SECONDS,
          warmupSeconds: WARMUP_SECONDS,
          accounts: ids,
          ...config,
        },
        temp,
      );
    /**
     * A workload with what it cost the API processes: CPU per operation (over the warm-up and
     * the measured seconds, so per operation at the measured rate) and database round trips
     * per request of its route, from /metrics (which counts a sample of requests: ADR 0011).
     */
    const costs: Partial<Record<Workload, WorkloadCost>> = {};
    const costed = async (
      workload: Workload,
      route: string,
      run: () => Promise<LoadResult>,
    ): Promise<LoadResult> => {
      const cpu = () => servers.slice(0, PROCESSES).reduce((sum, s) => sum + cpuSecondsOf(s.child.pid), 0);
      const readMetrics = async () => {
        let sum = 0;
        let count = 0;
        let fullCollections = 0;
        let fullCollectionSeconds = 0;
        for (const u of apiUrls) {
          const text = await (await fetch(`${u}/metrics`)).text();
          const seen = routeRoundTrips(text, "POST", route);
          sum += seen.sum;
          count += seen.count;
          const major = gcPausesOf(text, "major");
          fullCollections += major.count;
          fullCollectionSeconds += major.seconds;
        }
        return { sum, count, fullCollections, fullCollectionSeconds };
      };
      const cpuBefore = cpu();
      const meter = startCpuMeter(postmasterPid);
      const before = await readMetrics();
      const walBefore = await walStats(owner);
      const r = await run();
      const cpuSeconds = cpu() - cpuBefore;
      const spent = meter();
      const after = await readMetrics();
      const wal = walDelta(walBefore, await walStats(owner));
      // Single transfers run a warm-up first at about the measured rate; batches have none.
      const ops = route.endsWith("/batch") ? r.ops : r.ops_per_s * (r.seconds + WARMUP_SECONDS);
      const requests = after.count - before.count;
      say(
        `  server CPU ${fmt((cpuSeconds / ops) * 1e6, 0)} µs per operation, load generator ${fmt(((r.cpu_s ?? Number.NaN) / ops) * 1e6, 0)} µs (${route.endsWith("/batch") || NODE_CLIENTS ? "Node" : "wrk"}); ${fmt((after.sum - before.sum) / requests, 2)} round trips per request (${requests} sampled)`,
      );
      const perOp = (seconds: number) => (seconds / ops) * 1e6;
      const cost: CpuPerOperation = {
        machine: perOp(spent.machine),
        postgres: perOp(spent.tree),
        api: perOp(cpuSeconds),
        loadGenerator: perOp(r.cpu_s ?? Number.NaN),
      };
      say(`  ${describeCpu(cost, "operation")}/s`);
      say(
        `  WAL ${fmt(wal.bytes / ops, 0)} bytes per operation, ${wal.fullPageImages} full-page images (${fmt(wal.fullPageImages / ops, 2)} per operation); ${wal.checkpoints} checkpoints began`,
      );
      costs[workload] = {
        machine_us_per_op: cost.machine,
        postgres_us_per_op: cost.postgres,
        api_us_per_op: cost.api,
        load_generator_us_per_op: cost.loadGenerator,
        cpu_ceiling_per_s: cpuCeilingPerSecond(cost),
      };
      // Each full collection stalls the requests in flight (ADR 0012): how often, and for how long in all.
      say(
        `  ${after.fullCollections - before.fullCollections} full garbage collections, ${fmt((after.fullCollectionSeconds - before.fullCollectionSeconds) * 1000, 0)} ms of their pauses in all`,
      );
      return r;
    };
    say("running our uniform workload ...");
    const none: LoadResult = { ops: 0, seconds: 1, ops_per_s: 0, p50_ms: 0, p99_ms: 0, errors: 0 };
    const uniform =
      only && only !== "uniform" ? none : await costed("uniform", "/v1/ledger/transfers", () => load({}));
    say("running our hot-account workload ...");
    const rssAfterUniform = peakRss();
    const hot =
      only && only !== "hot"
        ? none
        : await costed("hot", "/v1/ledger/transfers", () => load({ hot: "bench-hot" }));
    const rssAfterHot = peakRss();
    say(`running bulk: ${BULK_TOTAL} transfers in batches of ${BULK_BATCH} ...`);
    const bulk =
      only && only !== "bulk"
        ? none
        : await costed("bulk", "/v1/ledger/transfers/batch", () =>
            load({
              mode: "batch",
              total: BULK_TOTAL,
              batchSize: BULK_BATCH,
              clients: BULK_CLIENTS,
            }),
          );
    const rssMb = peakRss();

    const verify = (await (await fetch(`${server.url}/v1/ledger/verify`, { headers: auth })).json()) as {
      ok: boolean;
      transfers_checked: number;
    };
    await owner.end();

    const ours = (name: string, r: LoadResult, clients: number): Row => ({
      workload: name,
      clients,
      ops_per_s: r.ops_per_s,
      p50_ms: r.p50_ms,
      p99_ms: r.p99_ms,
      errors: r.errors,
    });
    rows.push(pgUniform, ours("vouchsafe uniform (10,000 accounts)", uniform, CLIENTS));
    rows.push(pgHot, ours("vouchsafe hot account", hot, CLIENTS));
    rows.push(ours(`vouchsafe bulk (batches of ${BULK_BATCH})`, bulk, BULK_CLIENTS));
    // With one workload alone pgbench did not run: no ratio (NaN, shown as "-").
    const ratioTo = (ours: LoadResult, theirs: Row) =>
      theirs === skipped ? Number.NaN : ours.ops_per_s / theirs.ops_per_s;
    const uniformRatio = ratioTo(uniform, pgUniform);
    const hotRatio = ratioTo(hot, pgHot);
    const ratios = [uniformRatio, undefined, hotRatio, undefined, undefined];

    say("");
    say(
      `${"workload".padEnd(40)} ${"clients".padStart(7)} ${"ops/s".padStart(10)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"ratio".padStart(7)}`,
    );
    rows.forEach((r, i) => {
      const ratio = i % 2 === 1 && i < 4 ? ratios[i - 1] : undefined;
      say(
        `${r.workload.padEnd(40)} ${String(r.clients).padStart(7)} ${fmt(r.ops_per_s, 0).padStart(10)} ${fmt(r.p50_ms).padStart(8)} ${fmt(r.p99_ms).padStart(8)} ${(ratio === undefined || Number.isNaN(ratio) ? "" : `${fmt(ratio, 2)}x`).padStart(7)}`,
      );
    });
    // The ceilings beside the bars: what the measured CPU per operation would allow with
    // every part overlapped, as a ratio to pgbench where the bar is one.
    const ceilingOf = (workload: Workload, against?: Row) => {
      const ceiling = costs[workload]?.cpu_ceiling_per_s;
      if (ceiling === undefined) return undefined;
      const ratio =
        against && against !== skipped ? ` (${fmt(ceiling / against.ops_per_s, 2)}x pgbench)` : "";
      return `${workload} ${fmt(ceiling, 0)}/s${ratio}`;
    };
    const ceilings = [ceilingOf("uniform", pgUniform), ceilingOf("hot", pgHot), ceilingOf("bulk")];
    if (ceilings.some((c) => c !== undefined))
      say(
        `the machine's CPU per operation allows at most: ${ceilings.filter((c) => c !== undefined).join(", ")}`,
      );
    for (const [name, r] of [
      ["uniform", uniform],
      ["hot", hot],
      ["bulk", bulk],
    ] as const) {
      if (r.errors > 0) say(`${name}: ${r.errors} failed requests, first: ${r.first_error}`);
    }
    say(
      `server peak RSS ${fmt(rssMb, 0)} MB; verify: ${verify.ok ? "no difference" : "DIFFERENCES"} over ${verify.transfers_checked} transfers`,
    );

    const result = {
      at: new Date().toISOString(),
      quick: QUICK,
      processes: PROCESSES,
      cpus: os.cpus().length,
      /** Other work on the machine skews every figure: the 1-minute load average before and after. */
      load_average: [loadBefore, os.loadavg()[0]!],
      node: process.version,
      seconds_per_workload: SECONDS,
      warmup_seconds: WARMUP_SECONDS,
      rows,
      uniform_ratio: uniformRatio,
      hot_ratio: hotRatio,
      bulk_tps: bulk.ops_per_s,
      p99_ms: uniform.p99_ms,
      rss_mb: rssMb,
      rss_mb_peak_by_phase: { uniform: rssAfterUniform, hot: rssAfterHot, bulk: rssMb },
      /** CPU per operation of the whole machine and of each part, and the rate it allows. */
      cpu_per_op: costs,
      verify_ok: verify.ok,
      transfers_checked: verify.transfers_checked,
      elapsed_s: (Date.now() - started) / 1000,
    };
    await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
    // A run of one workload does not replace the full run's figures.
    const resultFile = `bench/results/${only ? `only-${only}${PROCESSES > 1 ? `-processes-${PROCESSES}` : ""}.json` : PROCESSES > 1 ? `processes-${PROCESSES}.json` : "latest.json"}`;
    await writeFile(
      path.join(ROOT, resultFile),
      `${JSON.stringify({ ...result, only: only ?? null }, null, 2)}\n`,
    );
    say(`(${fmt(result.elapsed_s)} s; ${resultFile} written)`);
    const ledgerLine = `ledger-bench ${PROCESSES > 1 ? `processes=${PROCESSES} ` : ""}uniform_ratio=${fmt(uniformRatio, 2)} hot_ratio=${fmt(hotRatio, 2)} bulk_tps=${fmt(bulk.ops_per_s, 0)} p99_ms=${fmt(uniform.p99_ms)} rss_mb=${fmt(rssMb, 0)}`;
    // The checkout benchmark after it (the ledger's server stopped first), unless one ledger
    // workload was asked for; both summaries come last.
    for (const s of servers) await s.stop().catch(() => {});
    let checkoutLine = "";
    if (!only) {
      const checkout = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "bench/checkout.ts",
          ...(QUICK ? ["--quick"] : []),
          ...(PROCESSES > 1 ? ["--processes", String(PROCESSES)] : []),
        ],
        {
          cwd: ROOT,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      process.stdout.write(checkout.stdout);
      checkoutLine = checkout.stdout.trim().split("\n").pop() ?? "";
      if (checkout.status !== 0 || !checkoutLine.startsWith("checkout-bench "))
        throw new Error("the checkout benchmark failed");
    }
    say(ledgerLine);
    if (checkoutLine) say(checkoutLine);
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    await pgHandle.stop().catch(() => {});
    await rm(temp, { recursive: true, force: true }).catch(() => {});
  }
}

main().catch((error) => {
  process.stderr.write(
    `ledger-bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
