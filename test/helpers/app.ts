import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { buildApp } from "../../src/app.js";
import type { AppDeps, RouteApp } from "../../src/app-types.js";
import { type Config, loadConfig } from "../../src/config.js";
import { Ledger } from "../../src/ledger/index.js";
import type { Role } from "../../src/platform/auth/actor.js";
import { createApiKey } from "../../src/platform/auth/api-keys.js";
import { type CreatedTenant, createTenant, insertOrgUnit } from "../../src/platform/tenants.js";
import { ManualClock } from "../../src/shared/clock.js";
import { createTestDatabase, type TestDatabase } from "./db.js";

export interface TestApp {
  app: RouteApp;
  deps: AppDeps;
  clock: ManualClock;
  database: TestDatabase;
  config: Config;
  close(): Promise<void>;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ LOG_LEVEL: "silent" }),
    signingSecret: "test-signing-secret-0123456789abcdef0123456789",
    rateLimitPerMinute: 0,
    // Many tests send wrong credentials on purpose; the tests of the limit turn it on.
    authFailuresPerMinute: 0,
    webhooksAllowPrivate: true,
    runWorker: false,
    roundTripSampleMs: 0,
    ...overrides,
  };
}

/**
 * The whole app on its own cloned database, with a manual clock. Extra deps (the ledger,
 * jobs) are built by `extend` from the base deps, as server.ts builds them.
 */
export async function createTestApp(
  options: {
    config?: Partial<Config>;
    extend?: (base: AppDeps) => Promise<Partial<AppDeps>> | Partial<AppDeps>;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const clock = new ManualClock("2026-11-23T08:00:00Z");
  // Exports and uploads go to a folder of the app's own, not the checkout's `.data`, which
  // `npm start` keeps its demo tenant in.
  const ownDataDir =
    options.config?.dataDir === undefined
      ? await mkdtemp(path.join(os.tmpdir(), "vouchsafe-test-data-"))
      : undefined;
  const config = testConfig({ ...options.config, ...(ownDataDir ? { dataDir: ownDataDir } : {}) });
  const ledger = new Ledger(database.db, { clock, batching: true });
  const base: AppDeps = { config, db: database.db, clock, ledger } as AppDeps;
  const deps = { ...base, ...(options.extend ? await options.extend(base) : {}) } as AppDeps;
  const app = await buildApp(deps);
  return {
    app,
    deps,
    clock,
    database,
    config,
    close: async () => {
      await app.close();
      await database.drop();
      if (ownDataDir) await rm(ownDataDir, { recursive: true, force: true });
    },
  };
}

export interface TestTenant extends CreatedTenant {
  /** The owner key's secret. */
  key: string;
  auth: { authorization: string };
}

export async function createTestTenant(t: TestApp, name = "Test tenant"): Promise<TestTenant> {
  const created = await createTenant(t.deps.db, { name }, t.clock.now());
  return {
    ...created,
    key: created.apiKey.secret,
    auth: { authorization: `Bearer ${created.apiKey.secret}` },
  };
}

/** A key with a role, optionally bound to an org unit. */
export async function createTestKey(
  t: TestApp,
  tenantId: string,
  role: Role,
  orgUnitId: string | null = null,
) {
  const created = await t.deps.db.tenantTx(tenantId, (trx) =>
    createApiKey(trx, tenantId, { name: `${role} key`, role, orgUnitId }, t.clock.now()),
  );
  return { id: created.record.id, key: created.secret, auth: { authorization: `Bearer ${created.secret}` } };
}

export async function createTestOrgUnit(
  t: TestApp,
  tenantId: string,
  parent: { id: string; path: string },
  kind: string,
  name: string,
) {
  return t.deps.db.tenantTx(tenantId, (trx) =>
    insertOrgUnit(trx, tenantId, { parentId: parent.id, parentPath: parent.path, kind, name }, t.clock.now()),
  );
}

export function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T;
}
