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
import { measureRoute } from "./route-measure.js";

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

const cost = await measureRoute({
  url: values.url!,
  pid,
  apiKey: values.key,
  method,
  path,
  body,
  clients,
  warmupSeconds: Number(values.warmup),
  seconds: Number(values.seconds),
});
const perRequest = Number.isNaN(cost.cpuMicrosPerRequest)
  ? "n/a"
  : `${cost.cpuMicrosPerRequest.toFixed(0)} µs`;
process.stdout.write(
  `${method} ${path}: ${cost.requestsPerSecond.toFixed(0)} requests/s, server CPU ${perRequest} per request, ${cost.errors} errors${cost.firstError ? ` (first: ${cost.firstError})` : ""}\n`,
);
