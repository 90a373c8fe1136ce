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

/**
 * wrk's `done` for these runs: the summary line, with the latencies wrk measured. wrk 4 corrects
 * its histogram for coordinated omission before `done` sees it (`stats_correct`: for every
 * latency v of at least twice a connection's mean interval e, it adds samples at v − e, v − 2e,
 * … while above e), as if each connection meant to send at a fixed rate. These clients wait for
 * each answer before the next request, as pgbench's do, and pgbench reports what it measured;
 * with the correction a few slow answers at a run's start became a p99 several times what the
 * clients and the server saw (measured: 400–560 ms against 89–92 ms). So the correction is
 * undone, from the largest latency down: measured(v) = corrected(v) − the measured samples at
 * v + e, v + 2e, … (for v > e). wrk's Lua accessor for the histogram scans it from the start on
 * every call, so the histogram (one count per microsecond) is read in place through LuaJIT's
 * FFI, after checking that the layout read agrees with what wrk reports of it. Prints
 * `WRK requests errors duration_us p50_us p99_us recovered_samples timeouts`, or `WRK-LAYOUT`
 * when the layout does not agree.
 */
const MEASURED_LATENCY_LUA = `
local ffi = require("ffi")
ffi.cdef[[ typedef struct { uint64_t count; uint64_t limit; uint64_t min; uint64_t max; uint64_t data[?]; } vouchsafe_wrk_stats; ]]
function done(summary, latency, requests)
  local e = summary.errors
  local s = ffi.cast("vouchsafe_wrk_stats **", latency)[0]
  local lo, hi = tonumber(s.min), tonumber(s.max)
  local total = 0
  if #latency > 0 then for v = lo, hi do total = total + tonumber(s.data[v]) end end
  if #latency > 0 and (lo ~= latency.min or hi ~= latency.max or total ~= tonumber(s.count)) then
    io.write("WRK-LAYOUT\\n")
    return
  end
  local connections = tonumber(os.getenv("WRK_CONNECTIONS"))
  local perConnection = math.floor(summary.requests / connections)
  local step = perConnection > 0 and math.floor(summary.duration / perConnection) or math.huge
  local recovered, p50, p99 = 0, 0, 0
  if #latency > 0 then
    local measured = ffi.new("double[?]", hi - lo + 1)
    local strided = ffi.new("double[?]", hi - lo + 1)
    for v = hi, lo, -1 do
      local above = (v + step <= hi) and strided[v + step - lo] or 0
      local c = tonumber(s.data[v])
      if v > step then c = c - above end
      measured[v - lo] = c
      strided[v - lo] = c + above
      recovered = recovered + c
    end
    local seen, rank50, rank99 = 0, math.max(1, math.ceil(0.5 * recovered)), math.max(1, math.ceil(0.99 * recovered))
    for v = lo, hi do
      seen = seen + measured[v - lo]
      if p50 == 0 and seen >= rank50 then p50 = v end
      if seen >= rank99 then p99 = v break end
    end
  end
  io.write(string.format("WRK %d %d %d %d %d %d %d\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, summary.duration, p50, p99, recovered, e.timeout))
end
`;

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
  const lua = `${options.lua}\n${MEASURED_LATENCY_LUA}`;
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
              {
                stdio: ["ignore", "pipe", "pipe"],
                env: { ...process.env, WRK_INSTANCE: String(i), WRK_CONNECTIONS: String(connections) },
              },
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
              if (/^WRK-LAYOUT$/m.test(out))
                return reject(new Error("wrk's latency histogram is not laid out as bench/wrk.ts reads it"));
              const m = /^WRK (\d+) (\d+) (\d+) (\d+) (\d+) (-?\d+) (\d+)$/m.exec(out);
              if (code !== 0 || !m) return reject(new Error(`wrk failed (${code}):\n${out}`));
              const [requests, errors, micros, p50, p99, recovered, timeouts] = m.slice(1).map(Number) as [
                number,
                number,
                number,
                number,
                number,
                number,
                number,
              ];
              // Every answer within the timeout has one measured latency (wrk's timeout count
              // can also include connections merely found waiting); anything else means the
              // correction was not undone as wrk applied it.
              if (recovered > requests || recovered < requests - timeouts)
                return reject(
                  new Error(`wrk's measured latencies not recovered: ${recovered} of ${requests - timeouts}`),
                );
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
