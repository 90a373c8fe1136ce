/**
 * Checkout benchmark: (1) in-process quotes of a 20-line cart against 50 active benefits on
 * one core; (2) HTTP quotes at 32 concurrent clients against the server as `npm start` runs
 * it (its own process, the transpiled build, embedded PostgreSQL), the load from wrk (from this
 * process's Node clients with --node-clients).
 *
 *   npx tsx bench/checkout.ts            # 10 s per part
 *   npx tsx bench/checkout.ts --quick    # 3 s per part
 *   npx tsx bench/checkout.ts --local    # the in-process part only
 *   npx tsx bench/checkout.ts --statements   # also PostgreSQL's costliest statements
 *   npx tsx bench/checkout.ts --processes 2  # two API processes, clients spread over them
 *   npx tsx bench/checkout.ts --node-clients # the HTTP load from Node (undici) in this process
 *   BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npx tsx bench/checkout.ts
 *
 * Besides rates it prints where the CPU of a quote goes: the server's (all its threads, from
 * /proc) and this load generator's, per quote, and the database round trips per quote.
 *
 * Targets (issue 9): ≥ 20,000 quotes/s in-process; HTTP p99 ≤ 10 ms. Writes
 * bench/results/checkout.json; the last line is
 * `checkout-bench quotes_per_s=A http_quotes_per_s=B http_p99_ms=C select_ratio=D`, where D is
 * B over pgbench's select-only rate at the same clients on the same PostgreSQL.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { withClient } from "../src/db/database.js";
import { freePort, livePostmaster, startEmbeddedPostgres } from "../src/db/embedded.js";
import type { AnyBenefit, BenefitKind, KindConfig } from "../src/modules/benefits/index.js";
import { DEFAULT_POINTS_RULE, type QuoteInput, quote } from "../src/modules/checkout/index.js";
import {
  type LatencyBuckets,
  latencyBoundBetween,
  routeLatencyBuckets,
  routeRoundTrips,
} from "../src/platform/http/metrics.js";
import { percentile } from "./percentile.js";
import { findPgbench, pgbenchSelectOnly } from "./pgbench.js";
import {
  type CpuPerOperation,
  cpuCeilingPerSecond,
  cpuSecondsOf,
  describeCpu,
  startCpuMeter,
} from "./process-cpu.js";
import { type BenchProcess, startBenchProcess } from "./processes.js";
import { benefitPayloads, LINES, seedQuoteTenant } from "./quote-setup.js";
import { findWrk, sameRequestLua, wrkLoad } from "./wrk.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const QUICK = process.argv.includes("--quick");
/** Only the in-process part (for profiling the engine). */
const LOCAL_ONLY = process.argv.includes("--local");
/** PostgreSQL's statements by total execution time (pg_stat_statements), after the HTTP part. */
const STATEMENTS = process.argv.includes("--statements");
/** The HTTP load from Node clients (undici) in this process instead of wrk. */
const NODE_CLIENTS = process.argv.includes("--node-clients");
const SECONDS = QUICK ? 3 : 10;
/** API processes on the one database (`--processes N`), clients spread over them. */
const PROCESSES = process.argv.includes("--processes")
  ? Math.max(1, Number(process.argv[process.argv.indexOf("--processes") + 1]) || 1)
  : 1;
const WARMUP_SECONDS = 3;
const CLIENTS = 32;
const SINGLE_CLIENT_QUOTES = 1000;
const say = (line: string) => process.stdout.write(`${line}\n`);

function inProcess(): { quotesPerS: number; cpuMicrosPerQuote: number; total: number } {
  const benefits: readonly AnyBenefit[] = Object.freeze(
    benefitPayloads("cmp_bench").map(
      (b, i) =>
        ({
          id: `bnf_${String(i).padStart(26, "0")}`,
          kind: b.kind,
          name: b.name,
          brief: null,
          description: null,
          icon: null,
          audience: b.audience,
          config: b.config as KindConfig[BenefitKind],
          stackable: b.stackable ?? false,
          status: "active",
          version: 1,
          createdBy: "bench",
          updatedBy: "bench",
          createdAt: new Date(0),
          updatedAt: new Date(0),
        }) as AnyBenefit,
    ),
  );
  const input: QuoteInput = {
    at: new Date("2026-11-27T04:00:00Z"),
    timezone: "Asia/Shanghai",
    channel: "POS",
    currency: "CNY",
    lines: LINES.map((l) => ({
      sku: l.sku,
      category: l.category,
      quantity: l.quantity,
      unitPrice: l.unit_price,
    })),
    member: {
      id: "mbr_bench",
      status: "active",
      cardPlan: "bench_standard",
      tier: "bench_platinum",
      groups: [],
      tags: [],
      student: false,
      birthday: "11-25",
    },
    tierRanks: new Map([
      ["bench_silver", { plan: "bench_standard", rank: 1 }],
      ["bench_gold", { plan: "bench_standard", rank: 2 }],
      ["bench_platinum", { plan: "bench_standard", rank: 3 }],
    ]),
    benefits,
    vouchers: [],
    balanceAvailable: 1_000_000,
    payWithBalance: true,
    shippingAmount: 800,
    pointsRule: DEFAULT_POINTS_RULE,
  };
  const run = (seconds: number) => {
    const end = performance.now() + seconds * 1000;
    let n = 0;
    let total = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) total = quote(input).total;
      n += 100;
    }
    return { n, total };
  };
  run(WARMUP_SECONDS);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const { n, total } = run(SECONDS);
  const cpu = process.cpuUsage(cpuBefore);
  // CPU per quote says what a quote costs even when other processes take turns on the core.
  return {
    quotesPerS: n / ((performance.now() - started) / 1000),
    cpuMicrosPerQuote: (cpu.user + cpu.system) / n,
    total,
  };
}

async function overHttp(temp: string): Promise<{
  quotesPerS: number;
  p50: number;
  p99: number;
  errors: number;
  selectOnlyTps: number;
  /** A quote's machine CPU and its parts over the 32-client stretch. */
  cost: CpuPerOperation;
  machineMicrosPerSelect: number;
}> {
  const pgPort = await freePort();
  const pgHandle = await startEmbeddedPostgres({
    clusterDir: path.join(temp, "pg"),
    port: pgPort,
    durable: true,
    extraFlags: STATEMENTS
      ? ["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all"]
      : [],
  });
  const postmasterPid = livePostmaster(path.join(temp, "pg"))!.pid;
  const apiKey = randomBytes(30).toString("base64url");
  const wrk = NODE_CLIENTS ? undefined : findWrk(say);
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });
  // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the servers.
  const nodeArgs = process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
  const apis: BenchProcess[] = [];
  try {
    // The first process migrates and seeds the database; the others start on it afterwards.
    for (let i = 0; i < PROCESSES; i++)
      apis.push(
        await startBenchProcess({
          databaseUrl: pgHandle.url("postgres"),
          apiKey,
          dataDir: path.join(temp, "data"),
          nodeArgs,
        }),
      );
    const { url } = apis[0]!;
    const cpuOfApis = (mainThread = false) =>
      apis.reduce((sum, api) => sum + cpuSecondsOf(api.child.pid, mainThread), 0);
    /** The quote route's latency histogram, summed over the API processes. */
    const quoteLatencyBuckets = async (): Promise<LatencyBuckets> => {
      const each = await Promise.all(
        apis.map(async (api) =>
          routeLatencyBuckets(
            await (await fetch(`${api.url}/metrics`)).text(),
            "POST",
            "/v1/checkout/quotes",
          ),
        ),
      );
      return each[0]!.map((b, i) => ({
        le: b.le,
        count: each.reduce((sum, e) => sum + (e[i]?.count ?? 0), 0),
      }));
    };
    const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
    const body = await seedQuoteTenant(url, apiKey);
    // Client i talks to process i mod PROCESSES (no load balancer), as the ledger bench does.
    const pools = apis.map(
      (api) =>
        new Pool(api.url, {
          connections: Math.ceil(CLIENTS / PROCESSES),
          pipelining: 1,
          keepAliveTimeout: 60_000,
        }),
    );
    const pool = pools[0]!;
    const latencies: number[] = [];
    let errors = 0;
    let firstError = "";
    const worker = async (client: number, until: number, record: boolean) => {
      const pool = pools[client % pools.length]!;
      while (performance.now() < until) {
        const started = performance.now();
        const res = await pool.request({ path: "/v1/checkout/quotes", method: "POST", headers, body });
        const text = await res.body.text();
        if (!record) continue;
        if (res.statusCode === 200) latencies.push(performance.now() - started);
        else {
          errors++;
          firstError ||= `${res.statusCode} ${text.slice(0, 200)}`;
        }
      }
    };
    {
      const first = await pool.request({ path: "/v1/checkout/quotes", method: "POST", headers, body });
      say(`quote: request ${body.length} bytes, response ${(await first.body.text()).length} bytes`);
    }
    type Measured = { ok: number; seconds: number; p50: number; p99: number; loadgenCpu: number };
    // The servers' CPU and their own latency histograms when the measured stretch begins.
    let atStart = {
      all: 0,
      main: 0,
      meter: startCpuMeter(postmasterPid),
      held: [] as LatencyBuckets,
    };
    const markMeasuring = async () => {
      const held = await quoteLatencyBuckets();
      atStart = { all: cpuOfApis(), main: cpuOfApis(true), meter: startCpuMeter(postmasterPid), held };
    };
    let measure: () => Promise<Measured>;
    if (wrk) {
      const lua = await sameRequestLua(temp, { method: "POST", path: "/v1/checkout/quotes", headers, body });
      measure = async () => {
        const measured = await wrkLoad({
          wrk,
          dir: temp,
          urls: apis.map((a) => a.url),
          clients: CLIENTS,
          warmupSeconds: WARMUP_SECONDS,
          seconds: SECONDS,
          lua,
          onMeasuring: markMeasuring,
        });
        errors += measured.errors;
        if (measured.errors) firstError ||= `${measured.errors} answers were not 2xx (wrk)`;
        // wrk's CPU covers its warm-up too: the measured answers' share of it.
        return { ...measured, loadgenCpu: (measured.cpuSeconds * measured.ok) / measured.allAnswers };
      };
    } else {
      measure = async () => {
        await Promise.all(
          Array.from({ length: CLIENTS }, (_, i) =>
            worker(i, performance.now() + WARMUP_SECONDS * 1000, false),
          ),
        );
        await markMeasuring();
        const benchCpuBefore = process.cpuUsage();
        const started = performance.now();
        const until = started + SECONDS * 1000;
        await Promise.all(Array.from({ length: CLIENTS }, (_, i) => worker(i, until, true)));
        const seconds = (performance.now() - started) / 1000;
        const benchCpu = process.cpuUsage(benchCpuBefore);
        latencies.sort((a, b) => a - b);
        return {
          ok: latencies.length,
          seconds,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          loadgenCpu: (benchCpu.user + benchCpu.system) / 1e6,
        };
      };
    }
    const load = await measure();
    const serverCpu = cpuOfApis() - atStart.all;
    const serverMain = cpuOfApis(true) - atStart.main;
    // The measured stretch's machine and PostgreSQL CPU, per answered quote; like wrk's, it
    // includes the few requests still in flight when the stretch ends.
    const perQuote = (seconds: number) => (seconds / load.ok) * 1e6;
    const spent = atStart.meter();
    const cost: CpuPerOperation = {
      machine: perQuote(spent.machine),
      postgres: perQuote(spent.tree),
      api: perQuote(serverCpu),
      loadGenerator: perQuote(load.loadgenCpu),
    };
    const heldAfter = await quoteLatencyBuckets();
    const held = (before: LatencyBuckets, after: LatencyBuckets, q: number) => {
      const bound = latencyBoundBetween(before, after, q);
      return bound === null ? "-" : `≤ ${bound * 1000} ms`;
    };
    say(
      `http: the server held 50 % of quotes ${held(atStart.held, heldAfter, 0.5)} and 99 % ${held(atStart.held, heldAfter, 0.99)} (from request to response, its /metrics histogram); the clients measured p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms`,
    );
    say(
      `http: CPU per quote ${((serverCpu / load.ok) * 1e6).toFixed(0)} µs in the server (${((serverMain / load.ok) * 1e6).toFixed(0)} µs on its main thread), ${((load.loadgenCpu / load.ok) * 1e6).toFixed(0)} µs in the load generator (${wrk ? "wrk" : "Node clients"})`,
    );
    // Then one client, on the warmed server: the latency of a quote without queueing.
    const single: number[] = [];
    const singleCpuBefore = cpuOfApis();
    const singleMainBefore = cpuOfApis(true);
    const singleHeldBefore = await quoteLatencyBuckets();
    for (let i = 0; i < SINGLE_CLIENT_QUOTES; i++) {
      const started = performance.now();
      const res = await pool.request({ path: "/v1/checkout/quotes", method: "POST", headers, body });
      await res.body.text();
      single.push(performance.now() - started);
    }
    const singleCpu = cpuOfApis() - singleCpuBefore;
    const singleMain = cpuOfApis(true) - singleMainBefore;
    const singleHeldAfter = await quoteLatencyBuckets();
    single.sort((a, b) => a - b);
    say(
      `http (1 client): CPU per quote ${((singleCpu / single.length) * 1e6).toFixed(0)} µs in the server (${((singleMain / single.length) * 1e6).toFixed(0)} µs on its main thread)`,
    );
    say(
      `http (1 client): p50 ${single[Math.floor(single.length / 2)]!.toFixed(2)} ms, p99 ${single[Math.floor(single.length * 0.99)]!.toFixed(2)} ms; the server held 50 % ${held(singleHeldBefore, singleHeldAfter, 0.5)}, 99 % ${held(singleHeldBefore, singleHeldAfter, 0.99)}`,
    );
    await Promise.all(pools.map((p) => p.close()));
    if (STATEMENTS) {
      await withClient(pgHandle.url("postgres"), async (admin) => {
        await admin.query("create extension if not exists pg_stat_statements");
        const top = await admin.query(
          `select calls, round((total_exec_time / calls * 1000)::numeric, 1) as us_per_call,
             left(regexp_replace(query, '\\s+', ' ', 'g'), 140) as query
           from pg_stat_statements where calls >= 100 order by total_exec_time desc limit 15`,
        );
        say("statements (calls, µs per call, text):");
        for (const row of top.rows) say(`  ${row.calls} ${row.us_per_call} ${row.query}`);
      });
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const trips = routeRoundTrips(metrics, "POST", "/v1/checkout/quotes");
    say(
      `http: ${(trips.sum / trips.count).toFixed(2)} round trips per quote (sampled); pool ${metrics.match(/^vouchsafe_db_pool_max_connections (\d+)$/m)?.[1]} connections`,
    );
    if (firstError) say(`first HTTP error: ${firstError}`);
    // A quote needs at least one read: pgbench's select-only rate at the same clients, on the
    // same PostgreSQL in the same run (the server idle meanwhile), is its physical ceiling here.
    say(`running pgbench -S (select-only) at ${CLIENTS} clients ...`);
    await withClient(pgHandle.url("postgres"), (admin) => admin.query("create database pgbench_select"));
    const selectOnly = pgbenchSelectOnly(
      findPgbench(),
      pgHandle.host,
      pgPort,
      "pgbench_select",
      CLIENTS,
      SECONDS,
    );
    return {
      quotesPerS: load.ok / load.seconds,
      p50: load.p50,
      p99: load.p99,
      errors,
      selectOnlyTps: selectOnly.tps,
      cost,
      machineMicrosPerSelect: selectOnly.machineMicrosPerSelect,
    };
  } finally {
    await Promise.all(apis.map((api) => api.stop()));
    await pgHandle.stop();
  }
}

async function main() {
  const temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-checkout-bench-"));
  try {
    say(
      `checkout-bench: ${QUICK ? "quick" : "full"} run; ${PROCESSES} API process${PROCESSES > 1 ? "es" : ""}; ${os.cpus().length} CPUs; 20 lines, 50 benefits`,
    );
    const local = inProcess();
    say(
      `in-process: ${local.quotesPerS.toFixed(0)} quotes/s (one core), ${local.cpuMicrosPerQuote.toFixed(1)} µs CPU per quote, total ${local.total}`,
    );
    if (LOCAL_ONLY) return;
    const http = await overHttp(temp);
    say(
      `http (${CLIENTS} clients): ${http.quotesPerS.toFixed(0)} quotes/s, p50 ${http.p50.toFixed(2)} ms, p99 ${http.p99.toFixed(2)} ms, errors ${http.errors}`,
    );
    // What the whole machine spends per quote bounds the rate on these cores whatever overlaps,
    // and so bounds select_ratio against pgbench -S's measured rate.
    const { cost } = http;
    const ceiling = cpuCeilingPerSecond(cost);
    say(
      `http: ${describeCpu(cost, "quote")} quotes/s, select_ratio ${(ceiling / http.selectOnlyTps).toFixed(3)}; pgbench -S: ${http.machineMicrosPerSelect.toFixed(1)} µs per select`,
    );
    const result = {
      at: new Date().toISOString(),
      quick: QUICK,
      cpus: os.cpus().length,
      /** Other work on the machine during the run (1-minute load average at the end). */
      load_average: Number(os.loadavg()[0]!.toFixed(2)),
      in_process_quotes_per_s: Math.round(local.quotesPerS),
      processes: PROCESSES,
      http_clients: CLIENTS,
      http_quotes_per_s: Math.round(http.quotesPerS),
      http_p50_ms: Number(http.p50.toFixed(2)),
      http_p99_ms: Number(http.p99.toFixed(2)),
      http_errors: http.errors,
      pgbench_select_only_tps: Math.round(http.selectOnlyTps),
      select_ratio: Number((http.quotesPerS / http.selectOnlyTps).toFixed(3)),
      /** Machine CPU per quote and its parts (µs), and the rate and select_ratio the cores allow at it. */
      http_cpu_per_quote_us: {
        machine: Math.round(cost.machine),
        postgres: Math.round(cost.postgres),
        api: Math.round(cost.api),
        load_generator: Math.round(cost.loadGenerator),
      },
      http_cpu_ceiling_quotes_per_s: Math.round(ceiling),
      select_ratio_cpu_ceiling: Number((ceiling / http.selectOnlyTps).toFixed(3)),
      pgbench_select_only_machine_us: Number(http.machineMicrosPerSelect.toFixed(1)),
    };
    await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
    await writeFile(
      path.join(ROOT, `bench/results/${PROCESSES > 1 ? `checkout-processes-${PROCESSES}` : "checkout"}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    say(
      `checkout-bench ${PROCESSES > 1 ? `processes=${PROCESSES} ` : ""}quotes_per_s=${result.in_process_quotes_per_s} http_quotes_per_s=${result.http_quotes_per_s} http_p99_ms=${result.http_p99_ms} select_ratio=${result.select_ratio}`,
    );
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

await main();
