/** What the benchmarks start: Debian packages they need, and processes of the transpiled build. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "../src/db/embedded.js";

const ROOT = path.resolve(import.meta.dirname, "..");

/** Installs one of Debian's packages (as root, or through sudo), saying so first. */
export function installDebianPackage(name: string, why: string, say: (line: string) => void): void {
  say(`${why}: installing Debian's ${name} package (apt-get install -y ${name}) ...`);
  const asRoot = process.getuid?.() === 0;
  const aptGet = (...args: string[]) =>
    execFileSync(asRoot ? "apt-get" : "sudo", asRoot ? args : ["apt-get", ...args], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  aptGet("update");
  aptGet("install", "-y", name);
}

/** The Node flags `npm start` runs the server with (package.json): heap cap, young generation. */
export const START_NODE_FLAGS = "--max-old-space-size=192 --max-semi-space-size=32";

export interface BenchProcess {
  child: ChildProcess;
  url: string;
  /** Stops it with SIGTERM and waits for it to exit. */
  stop: () => Promise<void>;
}

/** Stops a child process with SIGTERM and waits for it to exit (at once if it has). */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/**
 * `dist/server.js` (an API process) or `dist/worker.js` (the job runner) on `databaseUrl`, as
 * `npm start` runs it but with no rate limit and no worker inside an API process; resolves
 * once it is ready (the API answers /readyz, the worker says it is running).
 */
export async function startBenchProcess(options: {
  databaseUrl: string;
  apiKey: string;
  dataDir: string;
  entry?: "server" | "worker";
  nodeArgs?: string[];
  /** The checkout whose build runs (this one by default). */
  root?: string;
  /** More environment for the process (a setting to compare, e.g. VOUCHSAFE_DB_POOL_SIZE). */
  env?: Record<string, string>;
}): Promise<BenchProcess> {
  const entry = options.entry ?? "server";
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), `dist/${entry}.js`], {
    cwd: options.root ?? ROOT,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      VOUCHSAFE_DATA_DIR: options.dataDir,
      VOUCHSAFE_DEMO_API_KEY: options.apiKey,
      // The demo's shop would add its own plans, benefits and orders to the measured tenant, and
      // its seeding would run while the load starts.
      VOUCHSAFE_DEMO_CATALOG: "false",
      VOUCHSAFE_RATE_LIMIT_PER_MINUTE: "0",
      VOUCHSAFE_RUN_WORKER: "false",
      LOG_LEVEL: "warn",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c) => {
    output += c;
  });
  child.stderr?.on("data", (c) => {
    output += c;
  });
  const stop = () => stopChild(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${entry} exited:\n${output}`);
    if (entry === "worker" && output.includes("worker is running")) break;
    try {
      if (entry === "server" && (await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not yet listening
    }
    if (i > 600) {
      await stop();
      throw new Error(`${entry} not ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, stop };
}
