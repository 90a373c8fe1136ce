import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Database, Tx } from "../db/database.js";
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
 * The demo tenant: a small chain with a distributor, a reseller, two stores and a merchant,
 * one user per role (and the merchant's own), and an owner API key. Its credentials are kept (mode 600) in the data folder
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
    const merchant = await seedDemoMerchant(trx, tenantId, root, now);
    const people: DemoCredentials["users"] = [
      {
        email: "owner@demo.vouchsafe.test",
        password: DEMO_PASSWORD,
        role: "owner",
        org_unit: "whole tenant",
      },
      {
        email: "finance@demo.vouchsafe.test",
        password: DEMO_PASSWORD,
        role: "finance",
        org_unit: "whole tenant",
      },
      {
        email: "store@demo.vouchsafe.test",
        password: DEMO_PASSWORD,
        role: "operator",
        org_unit: "Shanghai Nanjing Road",
      },
      ...partners.people,
      {
        email: "merchant@demo.vouchsafe.test",
        password: DEMO_PASSWORD,
        role: "operator",
        org_unit: DEMO_MERCHANT,
      },
    ];
    const unitOf: Record<string, string> = {
      ...partners.units,
      "Shanghai Nanjing Road": shanghai.id,
      [DEMO_MERCHANT]: merchant.id,
    };
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

const DEMO_MERCHANT = "Harbour Trading Co";

/**
 * A marketplace merchant that may open a prepaid deposit account (seed 003): its wire-transfer
 * bank account is bound and effective, and the platform's receiving account is set. Written
 * directly because the demo comes before any user exists to do it through the API.
 */
async function seedDemoMerchant(trx: Tx, tenantId: string, root: { id: string; path: string }, now: Date) {
  const merchant = await insertOrgUnit(
    trx,
    tenantId,
    { parentId: root.id, parentPath: root.path, kind: "merchant", name: DEMO_MERCHANT, code: "MER-HARBOUR" },
    now,
  );
  await trx
    .insertInto("deposit_bank_bindings")
    .values({
      tenant_id: tenantId,
      merchant_id: merchant.id,
      company_name: DEMO_MERCHANT,
      bank_name: "ICBC",
      branch: "Shanghai Pudong",
      account_number: "6222 0210 0000 8888",
      status: "effective",
      created_at: now,
      updated_at: now,
    })
    .execute();
  await trx
    .insertInto("deposit_settings")
    .values({
      tenant_id: tenantId,
      receiving_account: JSON.stringify({
        company_name: "Vouchsafe Marketplace Ltd",
        bank_name: "China Merchants Bank",
        branch: "Shanghai Lujiazui",
        account_number: "1219 0880 0010 001",
      }),
      updated_at: now,
    })
    .execute();
  return merchant;
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
