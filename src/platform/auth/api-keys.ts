import { sql } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { ROLES, type Role } from "./actor.js";
import { randomToken, sha256Hex } from "./secrets.js";

/** Shown in lists so people can tell keys apart; never enough to use the key. */
const VISIBLE_PREFIX_LENGTH = 12;
const KEY_PREFIX = "vs_key_";
/** A sandbox tenant's keys say so at a glance (and in any log or config they end up in). */
const TEST_KEY_PREFIX = "vs_test_";

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  org_unit_id: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

export interface CreatedApiKey {
  record: ApiKeyRecord;
  /** The whole secret: shown once, stored only as a hash. */
  secret: string;
}

export function hashApiKey(secret: string): string {
  return sha256Hex(secret);
}

export async function createApiKey(
  trx: Tx,
  tenantId: string,
  input: {
    name: string;
    role: Role;
    orgUnitId?: string | null;
    expiresAt?: Date | null;
    /** A caller-chosen secret (the demo key); otherwise a random one. */
    secret?: string;
  },
  now: Date,
  /**
   * Real time, even in a sandbox: a key's expiry is checked against it on every request, so the
   * expiry chosen must lie ahead of it (not of the sandbox's clock).
   */
  realTime: Date = now,
): Promise<CreatedApiKey> {
  if (!ROLES.includes(input.role)) throw new DomainError("validation_failed", `Unknown role ${input.role}`);
  if (input.expiresAt && input.expiresAt.getTime() <= realTime.getTime()) {
    throw new DomainError("validation_failed", "expires_at must be in the future", {
      errors: [{ field: "/body/expires_at", message: "must be in the future" }],
    });
  }
  if (input.orgUnitId) {
    const unit = await trx
      .selectFrom("org_units")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", input.orgUnitId)
      .executeTakeFirst();
    if (!unit) throw new DomainError("org_unit_not_found", "Org unit not found");
  }
  const tenant = await trx
    .selectFrom("tenants")
    .select("sandbox")
    .where("id", "=", tenantId)
    .executeTakeFirst();
  const secret = input.secret ?? `${tenant?.sandbox ? TEST_KEY_PREFIX : KEY_PREFIX}${randomToken(32)}`;
  const row = await trx
    .insertInto("api_keys")
    .values({
      tenant_id: tenantId,
      id: newId("key"),
      name: input.name,
      prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH),
      secret_hash: hashApiKey(secret),
      role: input.role,
      org_unit_id: input.orgUnitId ?? null,
      expires_at: input.expiresAt ?? null,
      revoked_at: null,
      last_used_at: null,
      created_at: now,
    })
    .returning([
      "id",
      "name",
      "prefix",
      "role",
      "org_unit_id",
      "expires_at",
      "revoked_at",
      "last_used_at",
      "created_at",
    ])
    .executeTakeFirstOrThrow();
  return { record: row as ApiKeyRecord, secret };
}

export async function revokeApiKey(trx: Tx, tenantId: string, id: string, now: Date): Promise<ApiKeyRecord> {
  const row = await trx
    .updateTable("api_keys")
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, ${now})` })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returning([
      "id",
      "name",
      "prefix",
      "role",
      "org_unit_id",
      "expires_at",
      "revoked_at",
      "last_used_at",
      "created_at",
    ])
    .executeTakeFirst();
  if (!row) throw new DomainError("api_key_not_found", "API key not found");
  // Not enough on its own: until the transaction commits, a request may still read the key
  // as valid and cache it again. The caller forgets once more after the commit.
  forgetCachedKeys();
  return row as ApiKeyRecord;
}

export interface ResolvedApiKey {
  tenantId: string;
  id: string;
  role: Role;
  orgUnitId: string | null;
  orgUnitPath: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/**
 * Resolved keys are cached briefly: authenticating every request with a database round
 * trip would cost more than the request. Revocation in this process clears the cache once it
 * has committed; another process sees a revocation within CACHE_MS. The cache is keyed by the
 * secret as presented, so a request whose key is cached is not hashed (the hash is what the
 * database is asked for; the secret is in this process's memory with the request anyway).
 */
const CACHE_MS = 3_000;
const CACHE_MAX = 10_000;
/**
 * Longer secrets (none this service makes; a configured demo key may be) are cached by their
 * hash, so that 10,000 made-up long ones cannot fill memory. A bearer token has no whitespace,
 * so the newline keeps such an entry from ever matching a secret as presented.
 */
const MAX_SECRET_CACHED_AS_IS = 128;
const cacheKeyOf = (secret: string) =>
  secret.length <= MAX_SECRET_CACHED_AS_IS ? secret : `\n${hashApiKey(secret)}`;
const cache = new Map<string, { at: number; key: ResolvedApiKey | null }>();
/** Counts the times the cache was cleared: a key read before a clearing is not cached after it. */
let generation = 0;

export function forgetCachedKeys(): void {
  generation++;
  cache.clear();
}

export async function resolveApiKey(db: Database, secret: string): Promise<ResolvedApiKey | null> {
  const cacheKey = cacheKeyOf(secret);
  const hit = cache.get(cacheKey);
  const nowMs = Date.now();
  if (hit && nowMs - hit.at < CACHE_MS) return hit.key;
  const hash = hashApiKey(secret);
  const readIn = generation;
  const result = await sql<{
    tenant_id: string;
    id: string;
    role: Role;
    org_unit_id: string | null;
    expires_at: Date | null;
    revoked_at: Date | null;
    last_used_at: Date | null;
  }>`select * from auth_api_key(${hash})`.execute(db.kysely);
  const row = result.rows[0];
  let key: ResolvedApiKey | null = null;
  if (row) {
    let orgUnitPath: string | null = null;
    if (row.org_unit_id) {
      const unit = await db.tenantTx(row.tenant_id, (trx) =>
        trx
          .selectFrom("org_units")
          .select("path")
          .where("tenant_id", "=", row.tenant_id)
          .where("id", "=", row.org_unit_id!)
          .executeTakeFirst(),
      );
      // A key bound to a unit that no longer exists sees nothing rather than everything.
      orgUnitPath = unit?.path ?? "/\u0000/";
    }
    key = {
      tenantId: row.tenant_id,
      id: row.id,
      role: row.role,
      orgUnitId: row.org_unit_id,
      orgUnitPath,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      lastUsedAt: row.last_used_at,
    };
  }
  // A revocation that committed while this read was under way cleared the cache: what was
  // read may predate it.
  if (readIn !== generation) return key;
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(cacheKey, { at: nowMs, key });
  return key;
}

/** last_used_at is written at most once a minute per key, off the request's path. */
const LAST_USED_RESOLUTION_MS = 60_000;
const lastUsedWritten = new Map<string, number>();

export function touchApiKey(db: Database, key: ResolvedApiKey, now: Date): void {
  const previous = lastUsedWritten.get(key.id) ?? key.lastUsedAt?.getTime() ?? 0;
  if (now.getTime() - previous < LAST_USED_RESOLUTION_MS) return;
  lastUsedWritten.set(key.id, now.getTime());
  if (lastUsedWritten.size > CACHE_MAX) lastUsedWritten.clear();
  db.tenantTx(key.tenantId, (trx) =>
    trx
      .updateTable("api_keys")
      .set({ last_used_at: now })
      .where("tenant_id", "=", key.tenantId)
      .where("id", "=", key.id)
      .execute(),
  ).catch(() => {
    // Usage time is informative; losing one update is harmless.
  });
}
