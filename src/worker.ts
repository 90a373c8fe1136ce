import { ConfigError, loadConfig } from "./config.js";
import { createDatabase } from "./db/database.js";
import { buildServices } from "./deps.js";
import { ensureSigningSecret, openDatabase } from "./runtime.js";
import { systemClock } from "./shared/clock.js";

/**
 * `npm run worker`: the job runner as a process of its own, with the server's configuration
 * (same database, same data folder). Any number may run; pg-boss hands each job to one.
 */
function say(line: string) {
  process.stdout.write(`${line}\n`);
}

async function main() {
  const config = { ...(await ensureSigningSecret(loadConfig())), runWorker: true };
  const opened = await openDatabase(config, say);
  const db = createDatabase(opened.url, {
    poolSize: config.poolSize,
    idleTransactionTimeoutMs: config.idleTransactionTimeoutSeconds * 1000,
  });
  const services = await buildServices(config, db, systemClock, { ownerUrl: opened.url });
  say("Vouchsafe worker is running. Press Ctrl+C to stop.");
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: finishing running jobs and stopping`);
    await services.stop().catch((error) => say(`stopping: ${String(error)}`));
    await db.close().catch(() => {});
    if (opened.embedded?.owned) await opened.embedded.stop().catch(() => {});
    say("Stopped.");
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `Vouchsafe worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
