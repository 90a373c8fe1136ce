import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Database } from "../db/database.js";
import type { Role } from "./auth/actor.js";
import { createUser } from "./auth/users.js";
import { seedPartners } from "./demo-partners.js";
import { createTenant, insertOrgUnit } from "./tenants.js";

export const DEMO_TENANT_NAME = "Demo Retail";
export const DEMO_PASSWORD = "vouchsafe-demo";

export interface DemoCredentials {
  tenant_id: string;
  tenant_name: string;
  api_key: string;
  users: { email: string; password: string; role: Role; org_unit: string }[];
}

const CREDENTIALS_FILE = "demo-credentials.json";

/**
 * The demo tenant: a small chain with a distributor, a reseller and two stores, one user
 * per role, and an owner API key. Its credentials are kept (mode 600) in the data folder
 * so every start can print them again; the key's secret is never stored in the database.
 */
export async function seedDemo(
  db: Database,
  now: Date,
  options: { apiKey?: string; dataDir?: string } = {},
): Promise<DemoCredentials> {
  const tenant = await createTenant(
    db,
    {
      name: DEMO_TENANT_NAME,
      timezone: "Asia/Shanghai",
      defaultCurrency: "CNY",
      locale: "zh-CN",
      apiKeySecret: options.apiKey,
    },
    now,
  );
  const tenantId = tenant.tenantId;
  const users = await db.tenantTx(tenantId, async (trx) => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const east = await insertOrgUnit(
      trx,
      tenantId,
      {
        parentId: root.id,
        parentPath: root.path,
        kind: "distributor",
        name: "East Distribution",
        code: "DIST-EAST",
      },
      now,
    );
    const harbour = await insertOrgUnit(
      trx,
      tenantId,
      {
        parentId: east.id,
        parentPath: east.path,
        kind: "reseller",
        name: "Harbour Resellers",
        code: "RES-HARBOUR",
      },
      now,
    );
    const partners = await seedPartners(trx, tenantId, { root, east, harbour }, DEMO_PASSWORD, now);
    const shanghai = await insertOrgUnit(
      trx,
      tenantId,
      {
        parentId: root.id,
        parentPath: root.path,
        kind: "store",
        name: "Shanghai Nanjing Road",
        code: "STORE-SH-01",
      },
      now,
    );
    await insertOrgUnit(
      trx,
      tenantId,
      {
        parentId: root.id,
        parentPath: root.path,
        kind: "store",
        name: "Beijing Wangfujing",
        code: "STORE-BJ-01",
      },
      now,
    );
    const people: DemoCredentials["users"] = [
      {
        email: "owner@demo.vouchsafe.test",
        password: DEMO_PASSWORD,
        role: "owner",
        org_unit: "(whole tenant)",
      },
      {
        email: "finance@demo.vouchsafe.test",
        password: DEMO_PASSWORD,
        role: "finance",
        org_unit: "(whole tenant)",
      },
      {
        email: "store@demo.vouchsafe.test",
        password: DEMO_PASSWORD,
        role: "operator",
        org_unit: "Shanghai Nanjing Road",
      },
      ...partners.people,
    ];
    const unitOf: Record<string, string> = { ...partners.units, "Shanghai Nanjing Road": shanghai.id };
    for (const person of people) {
      await createUser(
        trx,
        tenantId,
        {
          email: person.email,
          name: person.email.split("@")[0]!,
          password: person.password,
          role: person.role,
          orgUnitId: unitOf[person.org_unit] ?? null,
        },
        now,
      );
    }
    return people;
  });
  const credentials: DemoCredentials = {
    tenant_id: tenantId,
    tenant_name: DEMO_TENANT_NAME,
    api_key: tenant.apiKey.secret,
    users,
  };
  if (options.dataDir) {
    const file = path.join(options.dataDir, CREDENTIALS_FILE);
    await writeFile(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return credentials;
}

export async function readDemoCredentials(dataDir: string): Promise<DemoCredentials | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, CREDENTIALS_FILE), "utf8")) as DemoCredentials;
  } catch {
    return undefined;
  }
}

/** Whether the database already holds the demo tenant (a restart must not seed twice). */
export async function demoTenantId(db: Database): Promise<string | undefined> {
  const row = await db.systemTx((trx) =>
    trx
      .selectFrom("tenants")
      .select("id")
      .where("name", "=", DEMO_TENANT_NAME)
      .orderBy("created_at")
      .executeTakeFirst(),
  );
  return row?.id;
}
