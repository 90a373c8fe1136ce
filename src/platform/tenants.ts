import { sql } from "kysely";
import type { Database, Tx } from "../db/database.js";
import { ensureCurrencyAsset } from "../ledger/index.js";

import { DomainError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Role } from "./auth/actor.js";
import { type CreatedApiKey, createApiKey } from "./auth/api-keys.js";
import { claimSandboxPlace } from "./sandbox/sandboxes.js";

export const LOCALES = ["zh-CN", "en"] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * The zone as it is to be stored, if Node's time zone data knows it: in its usual capitals
 * ("asia/tokyo" → "Asia/Tokyo"), but never swapped for another name of the same zone, which is
 * what Node's own canonical name can be ("Asia/Kolkata" → "Asia/Calcutta").
 */
export function canonicalTimezone(zone: string): string | undefined {
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  return canonical.toLowerCase() === zone.toLowerCase() ? canonical : zone;
}

/**
 * Whether PostgreSQL knows the zone too: reports work out the tenant's local days in SQL
 * (`at time zone`), and its zone list lacks some names Node's has (US/Pacific-New), which would
 * otherwise be stored and then fail every such report. Asked in a transaction of its own, as the
 * refusal aborts it.
 */
async function databaseKnowsTimezone(db: Database, zone: string): Promise<boolean> {
  try {
    await db.systemTx((trx) => sql`select now() at time zone ${zone}`.execute(trx));
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "22023") return false;
    throw error;
  }
}

export interface NewTenant {
  name: string;
  timezone?: string;
  defaultCurrency?: string;
  locale?: Locale;
  /** Use this exact admin API key secret (the demo key); otherwise a random one. */
  apiKeySecret?: string;
  apiKeyRole?: Role;
  /** A sandbox tenant: its test clock starts frozen at `clockStartsAt` (default: now). */
  sandbox?: { liveTenantId?: string | null; clockStartsAt?: Date };
}

export interface CreatedTenant {
  tenantId: string;
  rootOrgUnitId: string;
  apiKey: CreatedApiKey;
}

/**
 * Checks the settings a tenant is created or changed with; answers the time zone in its
 * canonical spelling, as it is to be stored.
 */
export async function validateTenantSettings(
  db: Database,
  input: { timezone?: string; defaultCurrency?: string; locale?: string },
): Promise<{ timezone?: string }> {
  if (input.defaultCurrency !== undefined && !/^[A-Z][A-Z0-9_]{1,15}$/.test(input.defaultCurrency)) {
    throw new DomainError("validation_failed", "default_currency must be an asset code like CNY");
  }
  if (input.locale !== undefined && !(LOCALES as readonly string[]).includes(input.locale)) {
    throw new DomainError("validation_failed", "locale must be zh-CN or en");
  }
  if (input.timezone === undefined) return {};
  const timezone = canonicalTimezone(input.timezone);
  if (timezone === undefined || !(await databaseKnowsTimezone(db, timezone))) {
    throw new DomainError("validation_failed", `Unknown time zone ${input.timezone}`, {
      errors: [{ field: "/body/timezone", message: "is not an IANA time zone" }],
    });
  }
  return { timezone };
}

/**
 * Creates the tenant row, its root org unit, its currency as a ledger asset and a first API
 * key (owner unless said).
 */
export async function createTenant(db: Database, input: NewTenant, now: Date): Promise<CreatedTenant> {
  if (!input.name.trim()) throw new DomainError("validation_failed", "A tenant needs a name");
  const { timezone } = await validateTenantSettings(db, input);
  const tenantId = newId("ten");
  const rootOrgUnitId = newId("org");
  // The tenant row is the one insert that precedes any tenant: it runs as the system.
  await db.systemTx(async (trx) => {
    const liveTenantId = input.sandbox?.liveTenantId;
    if (liveTenantId) await claimSandboxPlace(trx, liveTenantId);
    await trx
      .insertInto("tenants")
      .values({
        id: tenantId,
        name: input.name.trim(),
        timezone: timezone ?? "Asia/Shanghai",
        default_currency: input.defaultCurrency ?? "CNY",
        locale: input.locale ?? "zh-CN",
        sandbox: input.sandbox !== undefined,
        live_tenant_id: input.sandbox?.liveTenantId ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  // A sandbox's own rows are written at its own time from the first one on.
  const at = input.sandbox?.clockStartsAt ?? now;
  const apiKey = await db.tenantTx(tenantId, async (trx) => {
    if (input.sandbox) {
      await trx
        .insertInto("tenant_clocks")
        .values({ tenant_id: tenantId, frozen_at: at, updated_at: at })
        .execute();
    }
    await insertOrgUnit(
      trx,
      tenantId,
      { id: rootOrgUnitId, parentPath: "/", kind: "organization", name: input.name },
      at,
    );
    // The tenant's own currency is also its balance currency until the wallet settings change
    // it: value in it (quota, balances, plans) moves without anyone setting up the asset first.
    await ensureCurrencyAsset(trx, tenantId, input.defaultCurrency ?? "CNY", at);
    return createApiKey(
      trx,
      tenantId,
      { name: "Initial admin key", role: input.apiKeyRole ?? "owner", secret: input.apiKeySecret },
      at,
    );
  });
  return { tenantId, rootOrgUnitId, apiKey };
}

export async function insertOrgUnit(
  trx: Tx,
  tenantId: string,
  unit: {
    id?: string;
    parentId?: string | null;
    parentPath: string;
    kind: string;
    name: string;
    code?: string | null;
    metadata?: Record<string, unknown>;
  },
  now: Date,
): Promise<{ id: string; path: string }> {
  const id = unit.id ?? newId("org");
  const path = `${unit.parentPath}${id}/`;
  await trx
    .insertInto("org_units")
    .values({
      tenant_id: tenantId,
      id,
      parent_id: unit.parentId ?? null,
      kind: unit.kind,
      name: unit.name,
      code: unit.code ?? null,
      path,
      ...(unit.metadata ? { metadata: JSON.stringify(unit.metadata) } : {}),
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { id, path };
}

/** The tenant's IANA time zone: every calendar rule of the tenant runs in it. */
export async function tenantZone(trx: Tx, tenantId: string): Promise<string> {
  const row = await trx
    .selectFrom("tenants")
    .select("timezone")
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
  return row.timezone;
}

/** Whether the tenant exists (a public webhook names it in its path). */
export async function tenantExists(db: Database, tenantId: string): Promise<boolean> {
  const row = await db.systemTx((trx) =>
    trx.selectFrom("tenants").select("id").where("id", "=", tenantId).executeTakeFirst(),
  );
  return row !== undefined;
}
