import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import {
  createDatabase,
  createOwnerKysely,
  type Database,
  type Db,
  withClient,
} from "../../src/db/database.js";
import { TEMPLATE_DB, withDatabase } from "./global-setup.js";

export interface TestDatabase {
  name: string;
  url: string;
  /** The application's view (app role, row-level security on). */
  db: Database;
  /** The owner's view, for assertions that must see every tenant's rows. */
  owner: Db;
  drop: () => Promise<void>;
}

/** A fresh database cloned from the migrated template: cheap, isolated per test file. */
export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  await withClient(adminUrl, (admin) => admin.query(`create database ${name} template ${TEMPLATE_DB}`));
  const url = withDatabase(adminUrl, name);
  const db = createDatabase(url, { poolSize: options.poolSize ?? 20 });
  const owner = createOwnerKysely(url);
  return {
    name,
    url,
    db,
    owner,
    drop: async () => {
      await db.close();
      await owner.destroy();
      await withClient(adminUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`));
    },
  };
}
