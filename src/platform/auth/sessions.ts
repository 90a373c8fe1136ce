import { sql } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import type { Clock } from "../../shared/clock.js";
import { DomainError, defineErrors } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { recordAudit } from "../audit/audit.js";
import type { Actor, Role } from "./actor.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { randomToken, sha256Hex } from "./secrets.js";
import type { UserRecord } from "./users.js";

declare module "../../db/schema.js" {
  interface DB {
    sign_in_failures: {
      tenant_id: string;
      email_hash: string;
      failed_logins: number;
      locked_until: Date | null;
    };
  }
}

export const SESSION_ERRORS = defineErrors({ invalid_credentials: 401, email_taken: 409 });

/** Consecutive wrong passwords before an account is locked, and for how long. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;

export interface SessionPolicy {
  /** A session ends after this long without a request… */
  idleMinutes: number;
  /** …and this long after sign-in in any case. */
  maxHours: number;
}

export function sessionPolicy(config: {
  sessionIdleMinutes: number;
  sessionMaxHours: number;
}): SessionPolicy {
  return { idleMinutes: config.sessionIdleMinutes, maxHours: config.sessionMaxHours };
}

/** When a session used at `now` expires: idle timeout, capped by the absolute lifetime. */
export function sessionExpiry(createdAt: Date, now: Date, policy: SessionPolicy): Date {
  const idle = now.getTime() + policy.idleMinutes * 60_000;
  const absolute = createdAt.getTime() + policy.maxHours * 3_600_000;
  return new Date(Math.min(idle, absolute));
}

export const USER_COLUMNS = [
  "users.id",
  "users.email",
  "users.name",
  "users.role",
  "users.org_unit_id",
  "users.disabled_at",
  "users.locked_until",
  "users.created_at",
  "users.updated_at",
] as const;

export interface UserRow extends UserRecord {
  locked_until: Date | null;
}

export interface StartedSession {
  id: string;
  /** The cookie value: shown only to the browser, stored only as a hash. */
  token: string;
  csrfToken: string;
  expiresAt: Date;
  createdAt: Date;
}

export function userActor(tenantId: string, user: { id: string; role: string }, sessionId?: string): Actor {
  return {
    tenantId,
    type: "user",
    id: user.id,
    role: user.role as Role,
    orgUnitId: null,
    orgUnitPath: null,
    memberId: null,
    ...(sessionId ? { sessionId } : {}),
  };
}

async function startSession(
  trx: Tx,
  tenantId: string,
  userId: string,
  now: Date,
  policy: SessionPolicy,
): Promise<StartedSession> {
  const session = {
    id: newId("ses"),
    token: randomToken(32),
    csrfToken: randomToken(24),
    expiresAt: sessionExpiry(now, now, policy),
    createdAt: now,
  };
  await trx
    .insertInto("sessions")
    .values({
      tenant_id: tenantId,
      id: session.id,
      user_id: userId,
      token_hash: sha256Hex(session.token),
      csrf_token: session.csrfToken,
      expires_at: session.expiresAt,
      revoked_at: null,
      created_at: now,
    })
    .execute();
  return session;
}

/** Compared against when the email is unknown, so both cases take as long. */
let dummyHash: Promise<string> | undefined;
async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomToken(16));
  await verifyPassword(await dummyHash, password);
}

const invalidCredentials = () =>
  new DomainError("invalid_credentials", "The tenant, email or password is not correct");

type LoginOutcome =
  | { kind: "ok"; user: UserRow; session: StartedSession }
  | { kind: "failed" }
  | { kind: "locked" };

/**
 * Checks a password and opens a session. Unknown emails, disabled users and wrong
 * passwords answer alike (`invalid_credentials`); after MAX_FAILED_LOGINS consecutive
 * failures the account answers `account_locked` for LOCK_MINUTES, right password or not;
 * an email with no active user locks alike (failWithoutUser). The user row is locked while
 * the password is checked, so parallel guesses count exactly.
 */
export async function login(
  deps: { db: Database; clock: Clock },
  policy: SessionPolicy,
  input: { tenantId: string; email: string; password: string; requestId: string },
): Promise<{ user: UserRow; session: StartedSession }> {
  const { db, clock } = deps;
  const outcome = await db.tenantTx(input.tenantId, async (trx): Promise<LoginOutcome> => {
    const user = await trx
      .selectFrom("users")
      .select([...USER_COLUMNS, "users.password_hash", "users.failed_logins"])
      .where("users.tenant_id", "=", input.tenantId)
      .where((eb) => eb(eb.fn("lower", ["users.email"]), "=", input.email.toLowerCase()))
      .forUpdate()
      .executeTakeFirst();
    const now = clock.now();
    if (!user || user.disabled_at) return failWithoutUser(trx, input, now);
    if (user.locked_until && user.locked_until.getTime() > now.getTime()) return { kind: "locked" };
    const context = { actor: userActor(input.tenantId, user), requestId: input.requestId };
    if (!(await verifyPassword(user.password_hash, input.password))) {
      await recordFailedPassword(trx, context, user, now);
      return { kind: "failed" };
    }
    if (user.failed_logins !== 0 || user.locked_until) {
      await trx
        .updateTable("users")
        .set({ failed_logins: 0, locked_until: null })
        .where("tenant_id", "=", input.tenantId)
        .where("id", "=", user.id)
        .execute();
    }
    const session = await startSession(trx, input.tenantId, user.id, now, policy);
    await recordAudit(
      trx,
      context,
      { action: "session.created", targetType: "session", targetId: session.id, summary: {} },
      now,
    );
    const { password_hash: _hash, failed_logins: _failures, ...visible } = user;
    return { kind: "ok", user: { ...visible, role: visible.role as Role, locked_until: null }, session };
  });
  if (outcome.kind === "failed") throw invalidCredentials();
  if (outcome.kind === "locked") {
    throw new DomainError(
      "account_locked",
      `Too many failed sign-ins; try again in ${LOCK_MINUTES} minutes or ask an administrator`,
    );
  }
  return { user: outcome.user, session: outcome.session };
}

/**
 * A sign-in to an email with no active user: the password is checked against nothing (so it
 * takes as long as a real check) and the failure counts and locks as a user's would, so neither
 * the time nor the lock-out tells whether the email has an account. The count's row is locked
 * first, so parallel guesses count exactly. A tenant that does not exist counts nothing.
 */
async function failWithoutUser(
  trx: Tx,
  input: { tenantId: string; email: string; password: string },
  now: Date,
): Promise<LoginOutcome> {
  const key = { tenant_id: input.tenantId, email_hash: sha256Hex(input.email.toLowerCase()) };
  await sql`
    insert into sign_in_failures (tenant_id, email_hash, failed_logins, locked_until)
    select ${key.tenant_id}, ${key.email_hash}, 0, null
    where exists (select 1 from tenants where id = ${key.tenant_id})
    on conflict (tenant_id, email_hash) do nothing`.execute(trx);
  const row = await trx
    .selectFrom("sign_in_failures")
    .select(["failed_logins", "locked_until"])
    .where("tenant_id", "=", key.tenant_id)
    .where("email_hash", "=", key.email_hash)
    .forUpdate()
    .executeTakeFirst();
  if (row?.locked_until && row.locked_until.getTime() > now.getTime()) return { kind: "locked" };
  await burnPasswordCheck(input.password);
  if (!row) return { kind: "failed" };
  const failures = row.failed_logins + 1;
  const lock = failures >= MAX_FAILED_LOGINS;
  await trx
    .updateTable("sign_in_failures")
    .set({
      failed_logins: lock ? 0 : failures,
      locked_until: lock ? new Date(now.getTime() + LOCK_MINUTES * 60_000) : null,
    })
    .where("tenant_id", "=", key.tenant_id)
    .where("email_hash", "=", key.email_hash)
    .execute();
  return { kind: "failed" };
}

/**
 * Counts a wrong password against the user (sign-in or password change alike); the fifth in
 * a row locks the user for LOCK_MINUTES. The caller holds the user's row lock. Returns
 * whether this failure locked the user.
 */
export async function recordFailedPassword(
  trx: Tx,
  context: { actor: Actor; requestId: string | null },
  user: { id: string; failed_logins: number },
  now: Date,
): Promise<boolean> {
  const tenantId = context.actor.tenantId;
  const failures = user.failed_logins + 1;
  const lock = failures >= MAX_FAILED_LOGINS;
  await trx
    .updateTable("users")
    .set({
      failed_logins: lock ? 0 : failures,
      locked_until: lock ? new Date(now.getTime() + LOCK_MINUTES * 60_000) : null,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", user.id)
    .execute();
  if (lock) {
    await recordAudit(
      trx,
      context,
      {
        action: "user.locked",
        targetType: "user",
        targetId: user.id,
        summary: { after: { failed_logins: failures, lock_minutes: LOCK_MINUTES } },
      },
      now,
    );
  }
  return lock;
}

/** Ends every open session of a user, except `keepSessionId` (the caller's own). */
export async function revokeUserSessions(
  trx: Tx,
  tenantId: string,
  userId: string,
  now: Date,
  keepSessionId?: string,
): Promise<number> {
  let query = trx
    .updateTable("sessions")
    .set({ revoked_at: now })
    .where("tenant_id", "=", tenantId)
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now);
  if (keepSessionId) query = query.where("id", "!=", keepSessionId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
