import { NoResultError, type QueryCreator } from "kysely";
import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../app-types.js";
import type { Tx } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { DomainError } from "../shared/errors.js";
import { addUser, assertMayGrant } from "./add-user.js";
import { changeSummary, recordAudit } from "./audit/audit.js";
import type { Actor, ROLES } from "./auth/actor.js";
import { CSRF_HEADER, SESSION_COOKIE } from "./auth/authenticate.js";
import { hashPassword, verifyPassword } from "./auth/passwords.js";
import { ALL_STAFF, MANAGERS } from "./auth/permissions.js";
import { assertInScope } from "./auth/scope.js";
import {
  LOCK_MINUTES,
  login,
  recordFailedPassword,
  revokeUserSessions,
  SESSION_ERRORS,
  sessionPolicy,
  USER_COLUMNS,
  type UserRow,
} from "./auth/sessions.js";
import { AttemptLimiter, clientAddressKey, TooManyAttempts } from "./auth/throttle.js";
import { assertPasswordAcceptable } from "./auth/users.js";
import { pageLimit, toPage } from "./http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj } from "./http/schemas.js";
import { valueRoute } from "./http/value-route.js";
import { orgUnitInScope, subtreePattern } from "./org/org-units.js";
import { Password, RoleSchema, Session, serializeUser, User, UserBody } from "./users.schemas.js";

const USER_PATH = "org_units.path";

/** The user with its org unit's path, as a query for a transaction or for `Database.tenantQuery`. */
function userQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("users")
    .leftJoin("org_units", (j) =>
      j.onRef("org_units.tenant_id", "=", "users.tenant_id").onRef("org_units.id", "=", "users.org_unit_id"),
    )
    .select([...USER_COLUMNS, USER_PATH])
    .where("users.tenant_id", "=", tenantId)
    .where("users.id", "=", id);
}

/** The user, if in the actor's subtree; owners are touched only by owners. */
async function userInScope(trx: Tx, actor: Actor, id: string, write: boolean): Promise<UserRow> {
  return scopedUser(await userQuery(trx, actor.tenantId, id).executeTakeFirst(), actor, write);
}

/** `userInScope` of the row `userQuery` read. */
function scopedUser(
  row: { org_unit_id: string | null; path: string | null; role: string } | undefined,
  actor: Actor,
  write: boolean,
): UserRow {
  if (!row) throw new DomainError("user_not_found", "User not found");
  assertInScope(actor, row.org_unit_id ? row.path : null, "user");
  const { path: _path, ...user } = row;
  if (write && user.role === "owner" && actor.role !== "owner") {
    throw new DomainError("forbidden", "Only an owner can change an owner");
  }
  return user as UserRow;
}

/** Console users, sign-in sessions and password changes. */
export async function userRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock, config } = deps;
  const policy = sessionPolicy(config);
  // Sign-in attempts per client address, apart from the general rate limit (which may be off).
  const throttle = new AttemptLimiter(config.loginRateLimitPerMinute, clock);
  const audit = (trx: Tx, actor: Actor, requestId: string, entry: Parameters<typeof recordAudit>[2]) =>
    recordAudit(trx, { actor, requestId }, entry, clock.now());

  app.post(
    "/v1/sessions",
    {
      config: { public: true },
      schema: {
        tags: ["sessions"],
        summary: "Sign in to the console",
        description:
          "Checks the email and password of a user of the tenant and sets the httpOnly session cookie " +
          `\`${SESSION_COOKIE}\`. Writes made with the cookie must send the returned csrf_token as ` +
          `\`${CSRF_HEADER}\`. After 5 consecutive wrong passwords the account is locked for 15 minutes.`,
        security: [],
        body: Obj({
          tenant_id: IdParam,
          email: Type.String({ minLength: 3, maxLength: 320 }),
          password: Password,
        }),
        response: { 201: Session, ...errorResponses(423) },
      },
    },
    async (request, reply) => {
      const wait = throttle.hit(clientAddressKey(request.ip));
      if (wait > 0) throw new TooManyAttempts(wait, "sign-in attempts");
      const { tenant_id: tenantId, email, password } = request.body;
      const { user, session } = await login(deps, policy, {
        tenantId,
        email,
        password,
        requestId: request.id,
      });
      reply.setCookie(SESSION_COOKIE, session.token, {
        path: "/",
        httpOnly: true,
        sameSite: "lax",
        secure: config.secureCookies,
        maxAge: policy.maxHours * 3600,
      });
      reply.status(201);
      return {
        id: session.id,
        object: "session" as const,
        tenant_id: tenantId,
        csrf_token: session.csrfToken,
        expires_at: session.expiresAt.toISOString(),
        user: serializeUser(user),
      };
    },
  );

  function requireSession(actor: Actor): string {
    if (actor.type !== "user" || !actor.sessionId) {
      throw new DomainError("session_not_found", "This request was not made with a console session");
    }
    return actor.sessionId;
  }

  app.get(
    "/v1/sessions/current",
    {
      config: { permission: "session.self" },
      schema: {
        tags: ["sessions"],
        summary: "Who am I: the signed-in user, role, tenant and CSRF token",
        response: { 200: Session, ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const sessionId = requireSession(actor);
      const sessionQuery = db.kysely
        .selectFrom("sessions")
        .select(["id", "csrf_token", "expires_at"])
        .where("tenant_id", "=", actor.tenantId)
        .where("id", "=", sessionId);
      const [[session], [userRow]] = await db.tenantQueries(actor.tenantId, [
        sessionQuery,
        userQuery(db.kysely, actor.tenantId, actor.id),
      ] as const);
      if (!session) throw new NoResultError(sessionQuery.toOperationNode());
      const user = scopedUser(userRow, { ...actor, orgUnitPath: null }, false);
      return {
        id: session.id,
        object: "session" as const,
        tenant_id: actor.tenantId,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at.toISOString(),
        user: serializeUser(user),
      };
    },
  );

  app.delete(
    "/v1/sessions/current",
    {
      config: { permission: "session.self" },
      schema: {
        tags: ["sessions"],
        summary: "Sign out: end this session and clear its cookie",
        response: { 204: Type.Null(), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      const sessionId = requireSession(actor);
      await db.tenantTx(actor.tenantId, async (trx) => {
        await trx
          .updateTable("sessions")
          .set({ revoked_at: clock.now() })
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", sessionId)
          .execute();
        await audit(trx, actor, request.id, {
          action: "session.ended",
          targetType: "session",
          targetId: sessionId,
        });
      });
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.status(204).send(null);
    },
  );

  app.post(
    "/v1/users/me/password",
    {
      config: { permission: "session.self" },
      schema: {
        tags: ["sessions"],
        summary: "Change my password (ends my other sessions)",
        body: Obj({ current_password: Password, new_password: Password }),
        response: { 204: Type.Null(), ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      const sessionId = requireSession(actor);
      const { current_password: current, new_password: next } = request.body;
      assertPasswordAcceptable(next);
      if (current === next) {
        throw new DomainError("password_unchanged", "The new password must differ from the current one");
      }
      // A wrong current password counts like a failed sign-in, so a stolen session cannot
      // guess the password; the lock-out also ends every session of the user. The new one is
      // hashed only once the current one is known: a wrong guess must not cost a hash too.
      const outcome = await db.tenantTx(actor.tenantId, async (trx) => {
        const row = await trx
          .selectFrom("users")
          .select(["id", "password_hash", "failed_logins", "locked_until"])
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", actor.id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const now = clock.now();
        if (row.locked_until && row.locked_until.getTime() > now.getTime()) return "locked" as const;
        if (!(await verifyPassword(row.password_hash, current))) {
          const locked = await recordFailedPassword(trx, { actor, requestId: request.id }, row, now);
          if (locked) await revokeUserSessions(trx, actor.tenantId, actor.id, now);
          return locked ? ("locked" as const) : ("incorrect" as const);
        }
        if (row.failed_logins !== 0) {
          await trx
            .updateTable("users")
            .set({ failed_logins: 0 })
            .where("tenant_id", "=", actor.tenantId)
            .where("id", "=", actor.id)
            .execute();
        }
        const newHash = await hashPassword(next);
        await trx
          .updateTable("users")
          .set({ password_hash: newHash, updated_at: now })
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", actor.id)
          .execute();
        const ended = await revokeUserSessions(trx, actor.tenantId, actor.id, now, sessionId);
        await audit(trx, actor, request.id, {
          action: "user.password_changed",
          targetType: "user",
          targetId: actor.id,
          summary: { after: { other_sessions_ended: ended } },
        });
        return "changed" as const;
      });
      if (outcome === "incorrect") {
        throw new DomainError("current_password_incorrect", "The current password is not correct");
      }
      if (outcome === "locked") {
        throw new DomainError(
          "account_locked",
          `Too many wrong passwords; try again in ${LOCK_MINUTES} minutes`,
        );
      }
      return reply.status(204).send(null);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/users",
    config: { permission: "users.manage", idempotent: true },
    schema: {
      tags: ["users"],
      summary: "Create a console user",
      description:
        "Admins cannot create owners. An actor bound to an org unit creates users only inside its " +
        "subtree; without org_unit_id the user is bound to the actor's own unit.",
      body: UserBody,
      response: { 201: User, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    guard: ({ actor, body }) => assertMayGrant(actor, body.role),
    input: ({ body }) => body,
    op: ({ trx }, ctx, input, now) => addUser(trx, ctx, input, now),
    respond: serializeUser,
  });

  app.get(
    "/v1/users",
    {
      config: { permission: "users.manage" },
      schema: {
        tags: ["users"],
        summary: "List console users",
        querystring: Obj({
          ...ListQuery,
          role: Type.Optional(RoleSchema),
          org_unit_id: Type.Optional(IdParam),
          disabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: listOf(User), ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const q = request.query;
      const limit = pageLimit(q.limit);
      let query = db.kysely
        .selectFrom("users")
        .leftJoin("org_units", (j) =>
          j
            .onRef("org_units.tenant_id", "=", "users.tenant_id")
            .onRef("org_units.id", "=", "users.org_unit_id"),
        )
        .select(USER_COLUMNS)
        .where("users.tenant_id", "=", actor.tenantId)
        .orderBy("users.id")
        .limit(limit + 1);
      if (q.starting_after) query = query.where("users.id", ">", q.starting_after);
      if (q.role) query = query.where("users.role", "=", q.role);
      if (q.org_unit_id) query = query.where("users.org_unit_id", "=", q.org_unit_id);
      if (q.disabled !== undefined) {
        query = query.where("users.disabled_at", q.disabled ? "is not" : "is", null);
      }
      if (actor.orgUnitPath) query = query.where(USER_PATH, "like", subtreePattern(actor.orgUnitPath));
      const rows = await db.tenantQuery(actor.tenantId, query);
      return toPage(rows as UserRow[], limit, serializeUser);
    },
  );

  app.get(
    "/v1/users/:id",
    {
      config: { permission: "users.manage" },
      schema: {
        tags: ["users"],
        summary: "Get a console user",
        params: Obj({ id: IdParam }),
        response: { 200: User, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor, params } = request;
      const [row] = await db.tenantQuery(actor.tenantId, userQuery(db.kysely, actor.tenantId, params.id));
      return serializeUser(scopedUser(row, actor, false));
    },
  );

  async function changeUser(
    actor: Actor,
    requestId: string,
    id: string,
    change: {
      name?: string;
      role?: (typeof ROLES)[number];
      org_unit_id?: string | null;
      disabled?: boolean;
      password?: string;
    },
  ) {
    if (change.password !== undefined) assertPasswordAcceptable(change.password);
    const passwordHash = change.password !== undefined ? await hashPassword(change.password) : undefined;
    return db.tenantTx(actor.tenantId, async (trx) => {
      const before = await userInScope(trx, actor, id, true);
      if (actor.type === "user" && actor.id === id && (change.role !== undefined || change.disabled)) {
        throw new DomainError("forbidden", "You cannot change your own role or disable yourself");
      }
      // Resetting one's own password here would skip the current-password check and its
      // lock-out: whoever holds a session could take the account over for good.
      if (actor.type === "user" && actor.id === id && change.password !== undefined) {
        throw new DomainError("forbidden", "Change your own password with POST /v1/users/me/password");
      }
      if (change.role === "owner" && actor.role !== "owner") {
        throw new DomainError("forbidden", "Only an owner can make owners");
      }
      if (change.org_unit_id === null && actor.orgUnitPath) {
        throw new DomainError("forbidden", "You can only bind users inside your own org unit");
      }
      if (change.org_unit_id) await orgUnitInScope(trx, actor, change.org_unit_id);
      const now = clock.now();
      const disabledAt =
        change.disabled === undefined
          ? before.disabled_at
          : change.disabled
            ? (before.disabled_at ?? now)
            : null;
      // Re-enabling also lifts a lock-out: it is how an administrator lets a locked user back in.
      const unlock = change.disabled === false;
      const after = await trx
        .updateTable("users")
        .set({
          ...(change.name !== undefined ? { name: change.name } : {}),
          ...(change.role !== undefined ? { role: change.role } : {}),
          ...(change.org_unit_id !== undefined ? { org_unit_id: change.org_unit_id } : {}),
          ...(passwordHash !== undefined ? { password_hash: passwordHash } : {}),
          ...(unlock ? { locked_until: null, failed_logins: 0 } : {}),
          disabled_at: disabledAt,
          updated_at: now,
        })
        .where("tenant_id", "=", actor.tenantId)
        .where("id", "=", id)
        .returning(USER_COLUMNS)
        .executeTakeFirstOrThrow();
      // Losing access or a password reset ends the user's sessions at once.
      if (disabledAt || passwordHash !== undefined || change.role !== undefined) {
        await revokeUserSessions(trx, actor.tenantId, id, now);
      }
      await audit(trx, actor, requestId, {
        action: disabledAt && !before.disabled_at ? "user.disabled" : "user.updated",
        targetType: "user",
        targetId: id,
        summary: {
          ...changeSummary(before, after as UserRow, [
            "name",
            "role",
            "org_unit_id",
            "disabled_at",
            "locked_until",
          ]),
          ...(passwordHash !== undefined ? { password_reset: true } : {}),
        },
      });
      return after as UserRow;
    });
  }

  app.patch(
    "/v1/users/:id",
    {
      config: { permission: "users.manage" },
      schema: {
        tags: ["users"],
        summary: "Change a user's name, role, org unit, password, or disable / re-enable them",
        description:
          "Disabling, a new role or a new password ends the user's sessions. `disabled: false` " +
          "also lifts a lock-out after failed sign-ins.",
        params: Obj({ id: IdParam }),
        body: Obj(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            role: Type.Optional(RoleSchema),
            org_unit_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
            disabled: Type.Optional(Type.Boolean()),
            password: Type.Optional(Password),
          },
          { minProperties: 1 },
        ),
        response: { 200: User, ...errorResponses(422) },
      },
    },
    async (request) =>
      serializeUser(await changeUser(request.actor, request.id, request.params.id, request.body)),
  );

  app.delete(
    "/v1/users/:id",
    {
      config: { permission: "users.manage" },
      schema: {
        tags: ["users"],
        summary: "Disable a user (kept for the audit trail; sessions end at once)",
        params: Obj({ id: IdParam }),
        response: { 200: User, ...errorResponses() },
      },
    },
    async (request) =>
      serializeUser(await changeUser(request.actor, request.id, request.params.id, { disabled: true })),
  );
}

/** Users, sessions and passwords. */
export const usersManifest: ModuleManifest = {
  name: "platform.users",
  routes: userRoutes,
  permissions: { "users.manage": MANAGERS, "session.self": ALL_STAFF },
  errors: SESSION_ERRORS,
};
