import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { createOwnerKysely, withClient } from "../../src/db/database.js";
import { freePort, startEmbeddedPostgres } from "../../src/db/embedded.js";
import { migrateToLatest } from "../../src/db/migrate.js";

export const TEMPLATE_DB = "vouchsafe_template";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

/**
 * One PostgreSQL for the whole run (embedded unless DATABASE_URL names one); one
 * migrated template database that every test file clones.
 */
export default async function setup(project: TestProject) {
  let stop: () => Promise<void> = async () => {};
  let adminUrl: string;
  let tempDir: string | undefined;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    tempDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-test-"));
    const port = await freePort();
    const handle = await startEmbeddedPostgres({
      clusterDir: path.join(tempDir, "pg"),
      port,
      durable: false,
    });
    adminUrl = handle.url("postgres");
    stop = handle.stop;
  }
  await withClient(adminUrl, async (admin) => {
    await admin.query(`drop database if exists ${TEMPLATE_DB}`);
    await admin.query(`create database ${TEMPLATE_DB}`);
  });
  const templateUrl = withDatabase(adminUrl, TEMPLATE_DB);
  const owner = createOwnerKysely(templateUrl);
  await migrateToLatest(owner);
  await owner.destroy();
  project.provide("pgAdminUrl", adminUrl);
  return async () => {
    await stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
