import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { childrenCpuSeconds } from "./process-cpu.js";
import { installDebianPackage } from "./processes.js";

/**
 * HTTP load from wrk (Debian's package): a C load generator, as pgbench is for PostgreSQL, so
 * the load costs the two shared cores little of what the server needs (undici in Node spent
 * 0.5–0.7 ms of CPU per quote, a third of what the server spent answering it).
 */
export function findWrk(say: (line: string) => void): string {
  for (const candidate of ["/usr/bin/wrk", "/usr/local/bin/wrk"]) if (existsSync(candidate)) return candidate;
  installDebianPackage("wrk", "wrk not found", say);
  if (!existsSync("/usr/bin/wrk"))
    throw new Error("wrk is still missing after installing Debian's wrk package");
  return "/usr/bin/wrk";
}

export interface WrkRun {
  /** Answers with a 2xx status. */
  ok: number;
  /** Answers with another status, and socket errors and timeouts. */
  errors: number;
  seconds: number;
  /** Milliseconds; over several instances, the largest instance's figure (an upper bound). */
  p50: number;
  p99: number;
  /** CPU seconds the wrk processes used (user + system). */
  cpuSeconds: number;
}

/** Lua for wrk that sends the same request every time. */
export async function sameRequestLua(
  dir: string,
  request: { method: string; path: string; headers: Record<string, string>; body: string },
): Promise<string> {
  const bodyFile = path.join(dir, "wrk-body.json");
  await writeFile(bodyFile, request.body);
  return [
    `wrk.method = ${JSON.stringify(request.method)}`,
    `wrk.path = ${JSON.stringify(request.path)}`,
    `local f = assert(io.open(${JSON.stringify(bodyFile)}, "rb")); wrk.body = f:read("*a"); f:close()`,
    ...Object.entries(request.headers).map(
      ([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`,
    ),
  ].join("\n");
}

/**
 * `clients` connections spread over `urls` (connection i to url i mod n: one wrk per url, one
 * thread each, `WRK_INSTANCE` telling each its index), sending what `lua` defines for
 * `seconds`. Each connection waits for its answer before the next request, as the Node
 * clients did.
 */
export async function wrkLoad(options: {
  wrk: string;
  dir: string;
  urls: string[];
  clients: number;
  seconds: number;
  lua: string;
}): Promise<WrkRun> {
  const script = path.join(options.dir, `wrk-${process.hrtime.bigint()}.lua`);
  const lua = [
    options.lua,
    "function done(summary, latency, requests)",
    "  local e = summary.errors",
    '  io.write(string.format("WRK %d %d %d %d %d\\n", summary.requests, e.status + e.connect + e.read + e.write + e.timeout, summary.duration, latency:percentile(50), latency:percentile(99)))',
    "end",
  ].join("\n");
  await writeFile(script, lua);
  const cpuBefore = childrenCpuSeconds();
  const runs = await Promise.all(
    options.urls.map(
      (url, i) =>
        new Promise<{ requests: number; errors: number; micros: number; p50: number; p99: number }>(
          (resolve, reject) => {
            const connections = Math.ceil((options.clients - i) / options.urls.length);
            const child = spawn(
              options.wrk,
              ["-t1", `-c${connections}`, `-d${options.seconds}s`, "--timeout", "10s", "-s", script, url],
              { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRK_INSTANCE: String(i) } },
            );
            let out = "";
            child.stdout.on("data", (c) => {
              out += c;
            });
            child.stderr.on("data", (c) => {
              out += c;
            });
            child.once("error", reject);
            child.once("exit", (code) => {
              const m = /^WRK (\d+) (\d+) (\d+) (\d+) (\d+)$/m.exec(out);
              if (code !== 0 || !m) return reject(new Error(`wrk failed (${code}):\n${out}`));
              const [requests, errors, micros, p50, p99] = m.slice(1).map(Number) as [
                number,
                number,
                number,
                number,
                number,
              ];
              resolve({ requests, errors, micros, p50, p99 });
            });
          },
        ),
    ),
  );
  const requests = runs.reduce((s, r) => s + r.requests, 0);
  const errors = runs.reduce((s, r) => s + r.errors, 0);
  return {
    ok: requests - errors,
    errors,
    seconds: Math.max(...runs.map((r) => r.micros)) / 1e6,
    p50: Math.max(...runs.map((r) => r.p50)) / 1000,
    p99: Math.max(...runs.map((r) => r.p99)) / 1000,
    cpuSeconds: childrenCpuSeconds() - cpuBefore,
  };
}
