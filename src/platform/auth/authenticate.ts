import "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import { sql } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import type { Clock } from "../../shared/clock.js";
import { DomainError } from "../../shared/errors.js";
import type { Actor, Role } from "./actor.js";
import { resolveApiKey, touchApiKey } from "./api-keys.js";
import { assertMemberTokenLive, verifyMemberToken } from "./member-tokens.js";
import { rolesFor } from "./permissions.js";
import { safeEqual, sha256Hex } from "./secrets.js";
import type { SessionPolicy } from "./sessions.js";
import { type AttemptLimiter, clientAddressKey, TooManyAttempts } from "./throttle.js";

export const SESSION_COOKIE = "vs_session";
export const CSRF_HEADER = "x-csrf-token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface AuthDeps {
  db: Database;
  clock: Clock;
  signingSecret: string;
  /** Console sessions slide their expiry forward on use, up to the absolute lifetime. */
  sessionPolicy?: SessionPolicy;
  /**
   * Counts failed API-key authentications per client address: an address that keeps sending
   * keys that do not work is refused for the rest of the minute before any key is looked up.
   * The general rate limit cannot do this: it counts per credential, and every guess is a new one.
   */
  authFailures?: AttemptLimiter;
}

const unauthenticated = (detail: string) => new DomainError("unauthenticated", detail);

/** The credential of an `Authorization: Bearer <token>` header, however the header is spelled. */
export function parseBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const token = parseBearer(header);
  if (token === undefined) throw unauthenticated("Authorization must be 'Bearer <API key or member token>'");
  return token;
}

async function apiKeyActor(deps: AuthDeps, secret: string): Promise<Actor> {
  const key = await resolveApiKey(deps.db, secret);
  const now = deps.clock.now();
  if (!key) throw unauthenticated("The API key is not valid");
  if (key.revokedAt) throw unauthenticated("The API key has been revoked");
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) {
    throw unauthenticated("The API key has expired");
  }
  touchApiKey(deps.db, key, now);
  return {
    tenantId: key.tenantId,
    type: "api_key",
    id: key.id,
    role: key.role,
    orgUnitId: key.orgUnitId,
    orgUnitPath: key.orgUnitPath,
    memberId: null,
  };
}

async function memberActor(deps: AuthDeps, token: string): Promise<Actor> {
  const claims = verifyMemberToken(deps.signingSecret, token, deps.clock.now());
  await assertMemberTokenLive(deps.db, claims);
  return {
    tenantId: claims.tenant_id,
    type: "member",
    id: claims.member_id,
    role: "member",
    orgUnitId: null,
    orgUnitPath: null,
    memberId: claims.member_id,
  };
}

async function limitedApiKeyActor(deps: AuthDeps, request: FastifyRequest, secret: string): Promise<Actor> {
  const limiter = deps.authFailures;
  if (!limiter) return apiKeyActor(deps, secret);
  const address = clientAddressKey(request.ip);
  const wait = limiter.retryAfter(address);
  if (wait > 0) throw new TooManyAttempts(wait, "failed authentications from this address");
  try {
    return await apiKeyActor(deps, secret);
  } catch (error) {
    if (error instanceof DomainError && error.code === "unauthenticated") limiter.hit(address);
    throw error;
  }
}

interface SessionRow {
  tenant_id: string;
  id: string;
  user_id: string;
  csrf_token: string;
  expires_at: Date;
  revoked_at: Date | null;
}

async function sessionActor(deps: AuthDeps, token: string): Promise<Actor> {
  const result = await sql<SessionRow>`select * from auth_session(${sha256Hex(token)})`.execute(
    deps.db.kysely,
  );
  const session = result.rows[0];
  const now = deps.clock.now();
  if (!session || session.revoked_at || session.expires_at.getTime() <= now.getTime()) {
    throw unauthenticated("The session has ended; sign in again");
  }
  const user = await deps.db.tenantTx(session.tenant_id, async (trx) => {
    if (deps.sessionPolicy) await slideSession(trx, session, now, deps.sessionPolicy);
    return trx
      .selectFrom("users")
      .leftJoin("org_units", (join) =>
        join
          .onRef("org_units.tenant_id", "=", "users.tenant_id")
          .onRef("org_units.id", "=", "users.org_unit_id"),
      )
      .select(["users.id", "users.role", "users.org_unit_id", "users.disabled_at", "org_units.path"])
      .where("users.tenant_id", "=", session.tenant_id)
      .where("users.id", "=", session.user_id)
      .executeTakeFirst();
  });
  if (!user || user.disabled_at) throw unauthenticated("The user is disabled");
  return {
    tenantId: session.tenant_id,
    type: "user",
    id: user.id,
    role: user.role as Role,
    orgUnitId: user.org_unit_id,
    orgUnitPath: user.org_unit_id ? (user.path ?? "/\u0000/") : null,
    memberId: null,
    csrfToken: session.csrf_token,
    sessionId: session.id,
  };
}

/**
 * Moves an idle session's expiry forward (never past created_at + maxHours). Written at
 * most once a minute per session, so reads stay cheap.
 */
async function slideSession(trx: Tx, session: SessionRow, now: Date, policy: SessionPolicy): Promise<void> {
  const idleUntil = new Date(now.getTime() + policy.idleMinutes * 60_000);
  const next = sql`least(${idleUntil}::timestamptz, created_at + make_interval(hours => ${policy.maxHours}))`;
  await sql`
    update sessions set expires_at = ${next}
    where tenant_id = ${session.tenant_id} and id = ${session.id}
      and expires_at < ${next} - interval '1 minute'`.execute(trx);
}

/**
 * Resolves the caller and checks the route's declared access. Runs as a preHandler on
 * every route that is not public.
 */
export async function authenticate(deps: AuthDeps, request: FastifyRequest): Promise<Actor> {
  const access = request.routeOptions.config;
  const token = bearerToken(request);
  let actor: Actor;
  if (token !== undefined) {
    actor = token.startsWith("mt.")
      ? await memberActor(deps, token)
      : await limitedApiKeyActor(deps, request, token);
  } else {
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (!cookie) throw unauthenticated("Send an API key as 'Authorization: Bearer <key>' or sign in");
    actor = await sessionActor(deps, cookie);
    // Cookies ride along on cross-site requests; a write must prove it came from our page.
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== "string" || !safeEqual(sent, actor.csrfToken ?? "")) {
        throw new DomainError("csrf_failed", `Cookie-authenticated writes need the ${CSRF_HEADER} header`);
      }
    }
  }
  authorize(actor, access);
  return actor;
}

export function authorize(
  actor: Actor,
  access: { permission?: string; member?: boolean; tenantWide?: boolean },
): void {
  if (actor.type === "member") {
    if (!access.member) throw new DomainError("forbidden", "A member token cannot call this endpoint");
    return;
  }
  if (!access.permission) throw new DomainError("forbidden", "This endpoint is for member tokens only");
  const roles = rolesFor(access.permission);
  if (!roles?.includes(actor.role as Role)) {
    throw new DomainError("forbidden", `Role ${actor.role} may not ${access.permission}`);
  }
  if (access.tenantWide && actor.orgUnitId) {
    throw new DomainError("forbidden", "Only callers not bound to an org unit may use this endpoint");
  }
}

export async function authenticateHook(deps: AuthDeps, request: FastifyRequest, _reply: FastifyReply) {
  request.actor = await authenticate(deps, request);
}
