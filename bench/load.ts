/**
 * The load generator of the ledger benchmark, run as its own process so it does not share
 * an event loop (or CPU accounting) with the server. Prints one JSON line with the result.
 *
 *   tsx bench/load.ts <config.json>
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { percentile } from "./percentile.js";

export interface LoadConfig {
  /** One server, or several processes of it: client i talks to urls[i mod n]. */
  urls: string[];
  apiKey: string;
  /** transfer: single transfers for `seconds`; batch: `total` transfers in batches of `batchSize`. */
  mode: "transfer" | "batch";
  clients: number;
  seconds?: number;
  warmupSeconds?: number;
  total?: number;
  batchSize?: number;
  accounts: string[];
  /** Every transfer credits this account (the hot workload). */
  hot?: string;
}

export interface LoadResult {
  ops: number;
  seconds: number;
  ops_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  first_error?: string;
  /** CPU seconds the load generator used (user + system), warm-up included. */
  cpu_s?: number;
}

const pick = (list: string[]) => list[Math.floor(Math.random() * list.length)]!;

async function main() {
  const cpuAtStart = process.cpuUsage();
  const config = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadConfig;
  const pools = config.urls.map(
    (url, i) =>
      new Pool(url, {
        connections: Math.ceil((config.clients - i) / config.urls.length),
        pipelining: 1,
        keepAliveTimeout: 60_000,
      }),
  );
  const headers = { authorization: `Bearer ${config.apiKey}`, "content-type": "application/json" };
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let ops = 0;

  const transferBody = () => {
    const credit = config.hot ?? pick(config.accounts);
    let debit = pick(config.accounts);
    while (debit === credit) debit = pick(config.accounts);
    return {
      debit_account_id: debit,
      credit_account_id: credit,
      amount: 1 + Math.floor(Math.random() * 1000),
    };
  };

  const send = async (client: number, path: string, body: unknown, record: boolean, count: number) => {
    const started = performance.now();
    const response = await pools[client % pools.length]!.request({
      path,
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    const text = await response.body.text();
    const elapsed = performance.now() - started;
    const okStatus = response.statusCode === 201 || response.statusCode === 200;
    if (!record) return;
    if (okStatus) {
      latencies.push(elapsed);
      ops += count;
    } else {
      errors++;
      firstError ??= `${response.statusCode} ${text.slice(0, 300)}`;
    }
  };

  let measuredSeconds: number;
  if (config.mode === "transfer") {
    const warmupEnd = performance.now() + (config.warmupSeconds ?? 1) * 1000;
    const end = warmupEnd + (config.seconds ?? 10) * 1000;
    const worker = async (client: number) => {
      for (;;) {
        const now = performance.now();
        if (now >= end) return;
        await send(client, "/v1/ledger/transfers", transferBody(), now >= warmupEnd, 1);
      }
    };
    await Promise.all(Array.from({ length: config.clients }, (_, client) => worker(client)));
    measuredSeconds = config.seconds ?? 10;
  } else {
    const total = config.total ?? 1_000_000;
    const size = config.batchSize ?? 8190;
    const bodies: number[] = [];
    for (let left = total; left > 0; left -= size) bodies.push(Math.min(size, left));
    const started = performance.now();
    let next = 0;
    const worker = async (client: number) => {
      while (next < bodies.length) {
        const count = bodies[next++]!;
        const transfers = Array.from({ length: count }, transferBody);
        const t0 = performance.now();
        await send(client, "/v1/ledger/transfers/batch", { transfers }, true, count);
        if (process.env.BENCH_VERBOSE)
          process.stderr.write(`batch of ${count}: ${(performance.now() - t0).toFixed(0)} ms\n`);
      }
    };
    await Promise.all(Array.from({ length: config.clients }, (_, client) => worker(client)));
    measuredSeconds = (performance.now() - started) / 1000;
  }
  await Promise.all(pools.map((pool) => pool.close()));
  const sorted = Float64Array.from(latencies).sort();
  const result: LoadResult = {
    ops,
    seconds: measuredSeconds,
    ops_per_s: ops / measuredSeconds,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    errors,
    ...(firstError ? { first_error: firstError } : {}),
    cpu_s: ((cpu) => (cpu.user + cpu.system) / 1e6)(process.cpuUsage(cpuAtStart)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
