/**
 * What one route costs a running server, measured from here: requests per second and the
 * server process's CPU per request, over a warm-up and then a measured stretch, with a fixed
 * number of clients, each sending the same request again as soon as it has its answer.
 */
import { Pool } from "undici";
import { percentile } from "./percentile.js";
import { cpuSecondsOf, machineBusySeconds } from "./process-cpu.js";

export interface RouteLoad {
  url: string;
  /** The server process whose CPU is counted. */
  pid: number;
  apiKey?: string;
  method: string;
  path: string;
  /** The request's body, or a function that makes each request's (a transfer between random accounts). */
  body?: string | (() => string);
  clients: number;
  warmupSeconds: number;
  seconds: number;
}

export interface RouteCost {
  requestsPerSecond: number;
  /** Server CPU per answered request, in µs (NaN when none was answered). */
  cpuMicrosPerRequest: number;
  /**
   * The whole machine's busy CPU per answered request, in µs: the server's, PostgreSQL's and
   * this load generator's (`machineBusySeconds`).
   */
  machineMicrosPerRequest: number;
  /** Client-measured latency of the answered requests, in ms (request sent to body read). */
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The first non-2xx answer, for the report ("" when none). */
  firstError: string;
}

/** Non-2xx answers count as errors. Bounded: it stops after the warm-up and its seconds. */
export async function measureRoute(load: RouteLoad): Promise<RouteCost> {
  const pool = new Pool(load.url, { connections: load.clients, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (load.apiKey) headers.authorization = `Bearer ${load.apiKey}`;
  let ok = 0;
  const latencies: number[] = [];
  let errors = 0;
  let firstError = "";
  const drive = async (seconds: number, counting: boolean) => {
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: load.clients }, async () => {
        while (performance.now() < end) {
          const sent = performance.now();
          const res = await pool.request({
            path: load.path,
            method: load.method as "GET",
            headers,
            body: typeof load.body === "function" ? load.body() : load.body,
          });
          const text = await res.body.text();
          if (!counting) continue;
          if (res.statusCode < 300) {
            ok++;
            latencies.push(performance.now() - sent);
          } else {
            errors++;
            firstError ||= `${res.statusCode} ${text.slice(0, 200)}`;
          }
        }
      }),
    );
  };
  try {
    await drive(load.warmupSeconds, false);
    const before = cpuSecondsOf(load.pid);
    const machineBefore = machineBusySeconds();
    await drive(load.seconds, true);
    const cpu = cpuSecondsOf(load.pid) - before;
    const machine = machineBusySeconds() - machineBefore;
    latencies.sort((a, b) => a - b);
    return {
      requestsPerSecond: ok / load.seconds,
      cpuMicrosPerRequest: ok > 0 ? (cpu / ok) * 1e6 : Number.NaN,
      machineMicrosPerRequest: ok > 0 ? (machine / ok) * 1e6 : Number.NaN,
      p50Ms: ok > 0 ? percentile(latencies, 50) : Number.NaN,
      p99Ms: ok > 0 ? percentile(latencies, 99) : Number.NaN,
      errors,
      firstError,
    };
  } finally {
    await pool.close();
  }
}
