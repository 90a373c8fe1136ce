/** Finding PostgreSQL's pgbench for the benchmarks, and running its select-only script. */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { machineBusySeconds } from "./process-cpu.js";
import { installDebianPackage } from "./processes.js";

const say = (line: string) => process.stdout.write(`${line}\n`);

/** pgbench from PATH, pg_config's bindir or Debian's folders; installs Debian's package if missing. */
export function findPgbench(): string {
  const candidates: string[] = [];
  const which = spawnSync("sh", ["-c", "command -v pgbench"], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim()) candidates.push(which.stdout.trim());
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (pgConfig.status === 0) candidates.push(path.join(pgConfig.stdout.trim(), "pgbench"));
  if (existsSync("/usr/lib/postgresql")) {
    for (const version of readdirSync("/usr/lib/postgresql").sort().reverse()) {
      candidates.push(path.join("/usr/lib/postgresql", version, "bin", "pgbench"));
    }
  }
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  installDebianPackage("postgresql", "pgbench not found", say);
  return findPgbenchInstalled();
}

export function findPgbenchInstalled(): string {
  for (const version of readdirSync("/usr/lib/postgresql").sort().reverse()) {
    const candidate = path.join("/usr/lib/postgresql", version, "bin", "pgbench");
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("pgbench is still missing after installing postgresql");
}

/**
 * How pgbench reaches the embedded server as our processes do: `host` is its socket folder, or
 * 127.0.0.1 (`EmbeddedPostgresHandle.host`).
 */
export function pgbenchConnection(host: string, port: number) {
  return {
    env: { ...process.env, PGPASSWORD: "vouchsafe-local" },
    common: ["-h", host, "-p", String(port), "-U", "postgres"],
  };
}

/**
 * pgbench's built-in select-only script (`-S`: one primary-key read per transaction) at
 * `clients` for `seconds`: the rate of the cheapest read this PostgreSQL serves, and what the
 * whole machine (PostgreSQL and pgbench) spent per read.
 */
export function pgbenchSelectOnly(
  pgbench: string,
  host: string,
  port: number,
  database: string,
  clients: number,
  seconds: number,
): { tps: number; machineMicrosPerSelect: number } {
  const { env, common } = pgbenchConnection(host, port);
  execFileSync(pgbench, [...common, "-i", "-q", "-s", "1", database], { env, stdio: "pipe" });
  const machineBefore = machineBusySeconds();
  const out = execFileSync(
    pgbench,
    [...common, "-S", "-c", String(clients), "-j", "2", "-T", String(seconds), database],
    { env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] },
  );
  const tps = /tps = ([\d.]+)/.exec(out);
  const machineSeconds = machineBusySeconds() - machineBefore;
  const transactions = /number of transactions actually processed: (\d+)/.exec(out);
  if (!tps || !transactions) throw new Error(`pgbench -S printed no rate:\n${out}`);
  return { tps: Number(tps[1]), machineMicrosPerSelect: (machineSeconds / Number(transactions[1])) * 1e6 };
}
