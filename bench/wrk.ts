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
  /** Answers with a 2xx status, completed in the measured stretch. */
  ok: number;
  /** Answers with another status in the measured stretch, and socket errors and timeouts. */
  errors: number;
  /** The measured stretch (after the warm-up). */
  seconds: number;
  /** Milliseconds, of requests sent in the measured stretch; over several instances, the largest. */
  p50: number;
  p99: number;
  /** CPU seconds the wrk processes used (user + system), warm-up included. */
  cpuSeconds: number;
  /** Answers over the whole run, warm-up included (for the load generator's CPU per answer). */
  allAnswers: number;
}

/**
 * Times every request itself, after the workload's Lua. wrk's own histogram is corrected for
 * coordinated omission before a script sees it (`stats_correct` adds samples below every
 * latency of at least twice a connection's mean interval, as if each connection meant to send
 * at a fixed rate), where these clients wait for each answer, as pgbench's do; measured on a
 * server of known latency, the correction made p99 400–560 ms of what was 89–92 ms. And a run
 * measured on connections it has just opened carries the server's accepting them: libuv
 * accepts one connection per event-loop iteration, so on a busy server the last of 32 new
 * connections waited some 700 ms for its first answer. So one run warms up and measures on the
 * same connections: each request carries an `x-request-id` (the API echoes it), its sending
 * time is taken from the monotonic clock through LuaJIT's FFI, and only requests sent after
 * the warm-up count. Prints `WRK answers ok errors window_us p50_us p99_us`.
 */
const TIMED_REQUESTS_LUA = `
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } vouchsafe_timespec; int clock_gettime(int, vouchsafe_timespec *); ]]
local clock = ffi.new("vouchsafe_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
local workload_request = request
local warmup_us = tonumber(os.getenv("WRK_WARMUP_US"))
local id_prefix = "wrk" .. (os.getenv("WRK_INSTANCE") or "0") .. "-"
local sequence, sent, started = 0, {}, nil
latencies, answers, ok, errors, window_from, window_to = {}, 0, 0, 0, nil, 0
request = function()
  local t = now_us()
  started = started or t
  sequence = sequence + 1
  sent[sequence] = t
  wrk.headers["x-request-id"] = id_prefix .. sequence
  if workload_request then return workload_request() end
  return wrk.format()
end
response = function(status, headers, body)
  answers = answers + 1
  local id = headers["x-request-id"]
  local n = id and tonumber(id:match("-(%d+)$"))
  local t = n and sent[n]
  if not t then return end
  sent[n] = nil
  if t - started < warmup_us then return end
  local done_at = now_us()
  window_from = window_from or started + warmup_us
  window_to = done_at
  if status >= 200 and status <= 299 then
    ok = ok + 1
    latencies[#latencies + 1] = done_at - t
  else
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local all, total_answers, total_ok, total_errors, window = {}, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    local l = thread:get("latencies")
    for i = 1, #l do all[#all + 1] = l[i] end
    total_answers = total_answers + thread:get("answers")
    total_ok = total_ok + thread:get("ok")
    total_errors = total_errors + thread:get("errors")
    local from = thread:get("window_from")
    if from then window = math.max(window, thread:get("window_to") - from) end
  end
  table.sort(all)
  local function percentile(p)
    if #all == 0 then return 0 end
    return all[math.max(1, math.ceil(p / 100 * #all))]
  end
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d\\n", total_answers, total_ok,
    total_errors + e.connect + e.read + e.write + e.timeout, window, percentile(50), percentile(99)))
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
 * `warmupSeconds` and then the measured `seconds`, on the same connections. The workload's Lua
 * may define `request()`; the API must echo `x-request-id`. Each connection waits for its
 * answer before the next request. `onMeasuring` is called when the measured stretch begins.
 */
export async function wrkLoad(options: {
  wrk: string;
  dir: string;
  urls: string[];
  clients: number;
  warmupSeconds: number;
  seconds: number;
  lua: string;
  onMeasuring?: () => unknown;
}): Promise<WrkRun> {
  const script = path.join(options.dir, `wrk-${process.hrtime.bigint()}.lua`);
  await writeFile(script, `${options.lua}\n${TIMED_REQUESTS_LUA}`);
  const cpuBefore = childrenCpuSeconds();
  const measuring = options.onMeasuring
    ? new Promise<unknown>((resolve) =>
        setTimeout(() => resolve(options.onMeasuring?.()), options.warmupSeconds * 1000),
      )
    : Promise.resolve();
  const runs = await Promise.all(
    options.urls.map(
      (url, i) =>
        new Promise<{
          answers: number;
          ok: number;
          errors: number;
          micros: number;
          p50: number;
          p99: number;
        }>((resolve, reject) => {
          const connections = Math.ceil((options.clients - i) / options.urls.length);
          const duration = Math.ceil(options.warmupSeconds + options.seconds);
          const child = spawn(
            options.wrk,
            ["-t1", `-c${connections}`, `-d${duration}s`, "--timeout", "10s", "-s", script, url],
            {
              stdio: ["ignore", "pipe", "pipe"],
              env: {
                ...process.env,
                WRK_INSTANCE: String(i),
                WRK_WARMUP_US: String(Math.round(options.warmupSeconds * 1e6)),
              },
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
            const m = /^WRK (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$/m.exec(out);
            if (code !== 0 || !m) return reject(new Error(`wrk failed (${code}):\n${out}`));
            const [answers, ok, errors, micros, p50, p99] = m.slice(1).map(Number) as [
              number,
              number,
              number,
              number,
              number,
              number,
            ];
            if (ok === 0) return reject(new Error(`wrk measured no answer:\n${out}`));
            resolve({ answers, ok, errors, micros, p50, p99 });
          });
        }),
    ),
  );
  await measuring;
  return {
    ok: runs.reduce((s, r) => s + r.ok, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    seconds: Math.max(...runs.map((r) => r.micros)) / 1e6,
    p50: Math.max(...runs.map((r) => r.p50)) / 1000,
    p99: Math.max(...runs.map((r) => r.p99)) / 1000,
    cpuSeconds: childrenCpuSeconds() - cpuBefore,
    allAnswers: runs.reduce((s, r) => s + r.answers, 0),
  };
}
