/**
 * What one route costs a running server: requests per second and the server process's CPU
 * per request, over a warm-up and then a measured stretch, with a fixed number of clients.
 * For comparing two builds side by side on one database (start each with its own PORT and
 * the same DATABASE_URL, then measure them in turn, several times, in alternating order).
 *
 *   npx tsx bench/route-cost.ts --url http://127.0.0.1:3000 --pid <server pid> --key <api key> \
 *     [--clients 32] [--seconds 8] POST /v1/ledger/transfers '{"debit_account_id":"a","credit_account_id":"b","amount":1}'
 *
 * The body is sent as given, every time; a non-2xx answer counts as an error and the first
 * one is printed. Bounded: it stops after its seconds.
 */
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { cpuSecondsOf } from "./process-cpu.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string", default: "http://127.0.0.1:3000" },
    pid: { type: "string" },
    key: { type: "string" },
    clients: { type: "string", default: "32" },
    seconds: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
  },
});
const [method = "GET", path = "/healthz", body] = positionals;
const pid = Number(values.pid);
const clients = Number(values.clients);
if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(clients) || clients < 1 || clients > 512) {
  process.stderr.write("usage: --pid <server pid> [--clients 1..512] [--seconds N] METHOD PATH [BODY]\n");
  process.exit(2);
}

const pool = new Pool(values.url!, { connections: clients, pipelining: 1, keepAliveTimeout: 60_000 });
const headers: Record<string, string> = { "content-type": "application/json" };
if (values.key) headers.authorization = `Bearer ${values.key}`;

let ok = 0;
let errors = 0;
let firstError = "";
async function drive(seconds: number, counting: boolean): Promise<void> {
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const res = await pool.request({ path, method: method as "GET", headers, body });
        const text = await res.body.text();
        if (!counting) continue;
        if (res.statusCode < 300) ok++;
        else {
          errors++;
          firstError ||= `${res.statusCode} ${text.slice(0, 200)}`;
        }
      }
    }),
  );
}

await drive(Number(values.warmup), false);
const seconds = Number(values.seconds);
const before = cpuSecondsOf(pid);
await drive(seconds, true);
const cpu = cpuSecondsOf(pid) - before;
await pool.close();
const perRequest = ok > 0 ? `${((cpu / ok) * 1e6).toFixed(0)} µs` : "n/a";
process.stdout.write(
  `${method} ${path}: ${(ok / seconds).toFixed(0)} requests/s, server CPU ${perRequest} per request, ${errors} errors${firstError ? ` (first: ${firstError})` : ""}\n`,
);
