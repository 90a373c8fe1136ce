import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createDatabase } from "./db/database.js";
import { demoMemberLinks } from "./demo-links.js";
import { buildServices } from "./deps.js";
import { createApiKey, hashApiKey } from "./platform/auth/api-keys.js";
import { type DemoCredentials, demoTenantId, readDemoCredentials, seedDemo } from "./platform/demo.js";
import { pruneIdempotencyKeys } from "./platform/idempotency/idempotency.js";
import { ensureSigningSecret, openDatabase } from "./runtime.js";
import { systemClock } from "./shared/clock.js";

const PRUNE_INTERVAL_MS = 3_600_000;

function say(line: string) {
  process.stdout.write(`${line}\n`);
}

async function main() {
  const startedAt = Date.now();
  const config = await ensureSigningSecret(loadConfig());
  say(
    config.databaseUrl
      ? "Vouchsafe: using DATABASE_URL"
      : `Vouchsafe: starting PostgreSQL in ${config.dataDir}/pg`,
  );
  const opened = await openDatabase(config, say);
  if (opened.applied.length > 0) say(`Applied ${opened.applied.length} migrations`);

  const db = createDatabase(opened.url, {
    poolSize: config.poolSize,
    idleTransactionTimeoutMs: config.idleTransactionTimeoutSeconds * 1000,
  });
  const services = await buildServices(config, db, systemClock, { ownerUrl: opened.url });

  const demo = await ensureDemo(config, services.deps.db);

  const app = await buildApp(services.deps, {
    logger: config.logLevel === "silent" ? false : { level: config.logLevel },
  });
  await app.listen({ port: config.port, host: config.host });
  const base = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;

  const pruner = setInterval(() => {
    pruneIdempotencyKeys(db, systemClock.now()).catch((error) =>
      app.log.error({ err: error }, "pruning idempotency keys failed"),
    );
  }, PRUNE_INTERVAL_MS);
  pruner.unref();

  // Signals are ours from the moment we listen: a stop during the start-up printout (the
  // demo member link is made through the API) must still be a clean stop.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Work cut short by the shutdown may reject late; that must not turn a clean stop into a crash.
    process.on("unhandledRejection", (reason) => say(`during shutdown: ${String(reason)}`));
    say(`\n${signal}: finishing in-flight requests and stopping`);
    clearInterval(pruner);
    // Closing the server stops new connections and waits for in-flight requests. Answers sent
    // from now on close their connections (app.ts); a connection that went idle just as the
    // close began is closed by the sweep rather than by the 72 s keep-alive timeout.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 250);
    await app.close().catch(() => {});
    clearInterval(sweep);
    await services.stop().catch((error) => say(`stopping services: ${String(error)}`));
    await db.close().catch(() => {});
    if (opened.embedded) await opened.embedded.stop().catch(() => {});
    say("Stopped.");
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));

  // Made before the printout: its requests are logged, and their lines would split it.
  const memberLink = demo
    ? await demoMemberLinks(
        app,
        demo.api_key,
        base,
        systemClock.now(),
        config.signingSecret,
        config.demoCatalog,
      ).catch((error) => {
        app.log.error({ err: error }, "creating the demo member link failed");
        return undefined;
      })
    : undefined;
  say("");
  say(`Vouchsafe is ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  say(`  Console    ${base}/console/${demo ? `?tenant=${demo.tenant_id}` : ""}`);
  say(`  API        ${base}/v1`);
  say(`  API docs   ${base}/docs   (OpenAPI: ${base}/openapi.json)`);
  say(`  Health     ${base}/healthz   ${base}/readyz   ${base}/metrics`);
  if (demo) {
    say(`  Demo tenant "${demo.tenant_name}" (${demo.tenant_id})`);
    say(`    API key   ${demo.api_key}`);
    say("    Console sign-in (tenant ID filled in by the Console link above):");
    for (const user of demo.users)
      say(`    ${user.role.padEnd(9)} ${user.email} / ${user.password}  (${user.org_unit})`);
    say(`  Try: curl -H "Authorization: Bearer ${demo.api_key}" ${base}/v1/tenant`);
    if (memberLink) {
      say(`  Member center (a phone-sized window; the link works once, for 5 minutes):`);
      say(`    ${memberLink.url}`);
      say(`    Cashier with an order handed over at this start: ${memberLink.cashierUrl}`);
      say(
        `    Another: curl -X POST -H "Authorization: Bearer ${demo.api_key}" -H "content-type: application/json" ` +
          `-d '{"member_id":"${memberLink.memberId}"}' ${base}/v1/member-center/links`,
      );
    }
  }
  say("Press Ctrl+C to stop.");
}

/** Seeds the demo tenant on the first start; later starts print the same credentials. */
async function ensureDemo(
  config: Awaited<ReturnType<typeof ensureSigningSecret>>,
  db: ReturnType<typeof createDatabase>,
): Promise<DemoCredentials | undefined> {
  const existing = await demoTenantId(db);
  if (!existing) {
    const credentials = await seedDemo(db, systemClock.now(), {
      apiKey: config.demoApiKey,
      dataDir: config.dataDir,
    });
    say(`Seeded the demo tenant (credentials kept in ${config.dataDir}/demo-credentials.json)`);
    return credentials;
  }
  const saved = await readDemoCredentials(config.dataDir);
  if (config.demoApiKey) {
    // A different demo key on a later start: add it, so scripts can drive this instance.
    const key = config.demoApiKey;
    await db.tenantTx(existing, async (trx) => {
      const found = await trx
        .selectFrom("api_keys")
        .select("id")
        .where("tenant_id", "=", existing)
        .where("secret_hash", "=", hashApiKey(key))
        .executeTakeFirst();
      if (!found)
        await createApiKey(
          trx,
          existing,
          { name: "Demo key", role: "owner", secret: key },
          systemClock.now(),
        );
    });
    if (saved) return { ...saved, api_key: key };
  }
  return saved;
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `Vouchsafe failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
