/**
 * Two builds of the API side by side on one database, one route measured on each in turn:
 * requests per second and the server's CPU per request (`measureRoute`). The order alternates
 * A B, B A, A B, … so that the machine's drift falls on both alike: its speed moves by a
 * factor of two between minutes here, so whole bench runs taken one after the other cannot
 * show a change of a few per cent, and this can.
 *
 *   npx tsx bench/ab.ts --base <git ref> [--rounds 6] [--seconds 8] [--clients 32]
 *     [--route transfer|hot|uniform|account|tenant|members|balance|topup|quote]
 *     [--base-node-flags "…"] [--node-flags "…"] [--base-over-tcp] [--base-env K=V …] [--env K=V …]
 *
 * The base is checked out into a temporary worktree that shares this checkout's node_modules,
 * and both are built (scripts/build.mjs): the other side is this working tree as it is. Both
 * must have the same migrations. The rounds run in pairs, each pair on two newly started
 * servers after a warm-up that is not reported. Bounded: 2 × (rounds × (2 + seconds) + pairs ×
 * (2 + 5)) seconds of load, then it stops the servers and removes the worktree.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { withClient } from "../src/db/database.js";
import { runBench, withBenchDatabase } from "./bench-db.js";
import { median } from "./percentile.js";
import { peakRssMbOf } from "./process-cpu.js";
import { type BenchProcess, START_NODE_FLAGS, startBenchProcess } from "./processes.js";
import { seedQuoteTenant } from "./quote-setup.js";
import { measureRoute } from "./route-measure.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    base: { type: "string" },
    rounds: { type: "string", default: "6" },
    seconds: { type: "string", default: "8" },
    clients: { type: "string", default: "32" },
    route: { type: "string", default: "transfer" },
    /** Node's flags for each side's server (as `npm start` by default): to compare flags on one build. */
    "base-node-flags": { type: "string", default: START_NODE_FLAGS },
    "node-flags": { type: "string", default: START_NODE_FLAGS },
    /** The base side reaches PostgreSQL through loopback TCP instead of its Unix-domain socket. */
    "base-over-tcp": { type: "boolean", default: false },
    /** More environment for one side's server (repeatable): to compare a setting on one build. */
    "base-env": { type: "string", multiple: true, default: [] },
    env: { type: "string", multiple: true, default: [] },
  },
});
/** `K=V` pairs as an environment; undefined when one is not of that form. */
function environmentOf(pairs: string[]): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) return undefined;
    env[match[1]!] = match[2]!;
  }
  return env;
}
const baseEnv = environmentOf(values["base-env"]!);
const headEnv = environmentOf(values.env!);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const clients = Number(values.clients);
/** Accounts of the hot and uniform routes, as in `npm run bench`: `ab-0` … `ab-9999`. */
const SPREAD = 10_000;
const anyAccount = () => `ab-${Math.floor(Math.random() * SPREAD)}`;
const ROUTES = {
  /** Always the same two accounts. */
  transfer: {
    method: "POST",
    path: "/v1/ledger/transfers",
    body: JSON.stringify({ debit_account_id: "ab-debit", credit_account_id: "ab-credit", amount: 1 }),
  },
  /** `npm run bench`'s hot workload: from any of 10,000 accounts, always to one. */
  hot: {
    method: "POST",
    path: "/v1/ledger/transfers",
    body: () => JSON.stringify({ debit_account_id: anyAccount(), credit_account_id: "ab-credit", amount: 1 }),
  },
  /** Its uniform workload: between any two of 10,000 accounts. */
  uniform: {
    method: "POST",
    path: "/v1/ledger/transfers",
    body: () => {
      const debit = anyAccount();
      let credit = anyAccount();
      while (credit === debit) credit = anyAccount();
      return JSON.stringify({ debit_account_id: debit, credit_account_id: credit, amount: 1 });
    },
  },
  account: { method: "GET", path: "/v1/ledger/accounts/ab-debit", body: undefined },
  /** The tenant's settings, one read (`Database.tenantQuery`; in a `tenantTx` before ADR 0019). */
  tenant: { method: "GET", path: "/v1/tenant", body: undefined },
  /**
   * A business operation: an operator's top-up of one member (a ledger unit with SQL of its
   * own, then its transfers); the member is made once the tenant is set up.
   */
  topup: { method: "POST", path: "/v1/members/{member}/top-ups", body: JSON.stringify({ amount: 1 }) },
  /** The console's member list (with the tenant's plans, tiers, groups and tags). */
  members: { method: "GET", path: "/v1/members?limit=20", body: undefined },
  /** What a till asks most: a member's balance and points (settings, member, accounts, lots). */
  balance: { method: "GET", path: "/v1/members/{member}/balance", body: undefined },
  /** The checkout bench's quote (bench/quote-setup.ts); its body is made once the tenant is set up. */
  quote: { method: "POST", path: "/v1/checkout/quotes", body: undefined },
} as const;
const route = ROUTES[values.route as keyof typeof ROUTES];
if (
  !values.base ||
  !route ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  rounds > 50 ||
  !(seconds >= 1 && seconds <= 120) ||
  !Number.isInteger(clients) ||
  clients < 1 ||
  clients > 512 ||
  !baseEnv ||
  !headEnv
) {
  process.stderr.write(
    "usage: npx tsx bench/ab.ts --base <git ref> [--rounds 1..50] [--seconds 1..120] [--clients 1..512] [--route transfer|hot|uniform|account|tenant|members|balance|topup|quote] [--base-env K=V] [--env K=V]\n",
  );
  process.exit(2);
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
const build = (root: string) =>
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "ignore" });
const described = (env: Record<string, string>) =>
  Object.keys(env).length > 0
    ? ` with ${Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`
    : "";
/** Each new pair of processes' warm-up, not reported: at most this long besides measureRoute's own. */
const WARM_UP_SECONDS = 5;

runBench(async () => {
  const commit = git("rev-parse", "--verify", `${values.base}^{commit}`);
  const temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-ab-"));
  const baseRoot = path.join(temp, "base");
  git("worktree", "add", "--detach", baseRoot, commit);
  const servers: BenchProcess[] = [];
  let seeder: BenchProcess | undefined;
  try {
    await symlink(path.join(ROOT, "node_modules"), path.join(baseRoot, "node_modules"));
    say(`ab: building ${values.base} (${commit.slice(0, 12)}) and this working tree ...`);
    build(baseRoot);
    build(ROOT);
    await withBenchDatabase("ab", async (databaseUrl) => {
      const apiKey = randomBytes(30).toString("base64url");
      const baseUrl = new URL(databaseUrl);
      if (values["base-over-tcp"]) baseUrl.searchParams.delete("host");
      const sides = [
        {
          name: `base ${commit.slice(0, 12)}${values["base-over-tcp"] ? " over TCP" : ""}${described(baseEnv)}`,
          root: baseRoot,
          flags: values["base-node-flags"]!,
          databaseUrl: baseUrl.toString(),
          env: baseEnv,
        },
        {
          name: `this tree${described(headEnv)}`,
          root: ROOT,
          flags: values["node-flags"]!,
          databaseUrl,
          env: headEnv,
        },
      ];
      // A process of this tree migrates, seeds the demo tenant that the key opens and the
      // route's data, and stops before either side starts: a side that had done that work
      // answered quotes at 10–15 % more CPU than the same build beside it.
      seeder = await startBenchProcess({ databaseUrl, apiKey, dataDir: path.join(temp, "data-seed") });
      const tenant = (await (
        await fetch(`${seeder.url}/v1/tenant`, { headers: { authorization: `Bearer ${apiKey}` } })
      ).json()) as { id: string };
      const owner = new pg.Client({ connectionString: databaseUrl });
      owner.on("error", () => {});
      await owner.connect();
      try {
        await owner.query(
          "insert into ledger_assets (tenant_id, code, scale, name) values ($1, 'CNY', 2, 'Renminbi') on conflict do nothing",
          [tenant.id],
        );
        await owner.query(
          "insert into ledger_accounts (tenant_id, id, asset, kind) select $1, id, 'CNY', 'bench' from unnest($2::text[]) id",
          [tenant.id, ["ab-debit", "ab-credit", ...Array.from({ length: SPREAD }, (_, i) => `ab-${i}`)]],
        );
      } finally {
        await owner.end();
      }

      const body = values.route === "quote" ? await seedQuoteTenant(seeder.url, apiKey) : route.body;
      const routePath =
        values.route === "topup" || values.route === "balance"
          ? route.path.replace("{member}", await createMember(seeder.url, apiKey))
          : route.path;
      await seeder.stop();
      // As `npm run bench` does: without statistics the planner's generic plans may look an
      // account up by (tenant, kind, id) and scan all 10,000 of the tenant's accounts for it.
      await withClient(databaseUrl, (owner) => owner.query("analyze"));
      say(
        `ab: ${route.method} ${routePath}, ${clients} clients, ${seconds} s a round, ${rounds} rounds a side`,
      );
      const results = sides.map(() => ({
        rate: [] as number[],
        cpu: [] as number[],
        machine: [] as number[],
        p99: [] as number[],
        peakRssMb: 0,
      }));
      // Each server process keeps a cost of its own: the same build in two processes side by
      // side answered quotes at 1–15 % apart, the same way round for the processes' whole life.
      // So the rounds run in pairs, each pair on two newly started processes (started in turn
      // one side first, then the other) after a warm-up of their own.
      const pairs = Math.ceil(rounds / 2);
      let round = 0;
      for (let p = 0; p < pairs; p++) {
        const startOrder = p % 2 === 0 ? [0, 1] : [1, 0];
        const started: BenchProcess[] = [];
        for (const i of startOrder) {
          const side = sides[i]!;
          started[i] = await startBenchProcess({
            databaseUrl: side.databaseUrl,
            apiKey,
            dataDir: path.join(temp, `data-${p}-${i}`),
            root: side.root,
            nodeArgs: side.flags.split(" ").filter(Boolean),
            env: side.env,
          });
          servers.push(started[i]!);
        }
        const pairRounds = Math.min(2, rounds - round);
        for (let r = 0; r <= pairRounds; r++) {
          const order = (r + p) % 2 === 0 ? [0, 1] : [1, 0];
          if (r > 0) round++;
          for (const i of order) {
            const cost = await measureRoute({
              url: started[i]!.url,
              pid: started[i]!.child.pid!,
              apiKey,
              method: route.method,
              path: routePath,
              body,
              clients,
              warmupSeconds: 2,
              seconds: r === 0 ? Math.min(seconds, WARM_UP_SECONDS) : seconds,
            });
            if (cost.errors > 0)
              throw new Error(`${sides[i]!.name}: ${cost.errors} errors, first ${cost.firstError}`);
            if (r === 0) continue;
            results[i]!.rate.push(cost.requestsPerSecond);
            results[i]!.cpu.push(cost.cpuMicrosPerRequest);
            results[i]!.machine.push(cost.machineMicrosPerRequest);
            results[i]!.p99.push(cost.p99Ms);
            say(
              `  round ${round}, ${sides[i]!.name}: ${cost.requestsPerSecond.toFixed(0)}/s, ${cost.cpuMicrosPerRequest.toFixed(0)} µs, machine ${cost.machineMicrosPerRequest.toFixed(0)} µs, p50 ${cost.p50Ms.toFixed(1)} ms, p99 ${cost.p99Ms.toFixed(1)} ms`,
            );
          }
        }
        for (const [i, process] of started.entries()) {
          results[i]!.peakRssMb = Math.max(results[i]!.peakRssMb, peakRssMbOf(process.child.pid));
          await process.stop();
        }
      }
      const [base, head] = results as [(typeof results)[0], (typeof results)[0]];
      for (const [i, r] of results.entries())
        say(
          `${sides[i]!.name}: median ${median(r.rate).toFixed(0)} requests/s, server CPU per request median ${median(r.cpu).toFixed(0)} µs (${Math.min(...r.cpu).toFixed(0)}–${Math.max(...r.cpu).toFixed(0)}), machine ${median(r.machine).toFixed(0)} µs (${Math.min(...r.machine).toFixed(0)}–${Math.max(...r.machine).toFixed(0)}), p99 median ${median(r.p99).toFixed(1)} ms (${Math.min(...r.p99).toFixed(1)}–${Math.max(...r.p99).toFixed(1)}), peak RSS ${r.peakRssMb.toFixed(0)} MB`,
        );
      const percent = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} %`;
      say(
        `ab-bench cpu_change=${percent(median(head.cpu) / median(base.cpu) - 1)} machine_cpu_change=${percent(median(head.machine) / median(base.machine) - 1)} rate_change=${percent(median(head.rate) / median(base.rate) - 1)} p99_change=${percent(median(head.p99) / median(base.p99) - 1)} load_average=${os.loadavg()[0]!.toFixed(1)}`,
      );
    });
  } finally {
    for (const server of [seeder, ...servers]) await server?.stop();
    git("worktree", "remove", "--force", baseRoot);
    await rm(temp, { recursive: true, force: true });
  }
});

/** A member of the tenant `apiKey` opens, made through the API: its id. */
async function createMember(url: string, apiKey: string): Promise<string> {
  const res = await fetch(`${url}/v1/members`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Bench" }),
  });
  if (res.status >= 300) throw new Error(`POST /v1/members → ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
