import { NoResultError } from "kysely";
import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../app-types.js";
import { realNow } from "../shared/clock.js";
import { DomainError } from "../shared/errors.js";
import { changeSummary, recordAudit } from "./audit/audit.js";
import { type Actor, ROLES } from "./auth/actor.js";
import { type ApiKeyRecord, createApiKey, forgetCachedKeys, revokeApiKey } from "./auth/api-keys.js";
import { memberTokenGuard, revokeMemberTokens, signMemberToken } from "./auth/member-tokens.js";
import { ALL_STAFF, MANAGERS } from "./auth/permissions.js";
import { assertInScope } from "./auth/scope.js";
import { pageLimit, toPage } from "./http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum, Timestamp } from "./http/schemas.js";
import { valueRoute } from "./http/value-route.js";
import { subtreePattern } from "./org/org-units.js";
import { LOCALES, type Locale, validateTenantSettings } from "./tenants.js";

const RoleSchema = StringEnum(ROLES);

const ApiKey = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("api_key"),
    name: Type.String(),
    prefix: Type.String({ description: "The first characters of the key, to tell keys apart" }),
    role: RoleSchema,
    org_unit_id: Type.Union([Type.String(), Type.Null()]),
    expires_at: Type.Union([Timestamp, Type.Null()]),
    revoked_at: Type.Union([Timestamp, Type.Null()]),
    last_used_at: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
  },
  { $id: "ApiKey" },
);

const ApiKeyWithSecret = Type.Object({
  ...ApiKey.properties,
  secret: Type.String({ description: "The whole key. Shown only in this response; store it now." }),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function serializeKey(row: ApiKeyRecord) {
  return {
    id: row.id,
    object: "api_key" as const,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    org_unit_id: row.org_unit_id,
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
    last_used_at: iso(row.last_used_at),
    created_at: row.created_at.toISOString(),
  };
}

const MemberToken = Type.Object({
  object: Type.Literal("member_token"),
  token: Type.String(),
  member_id: Type.String(),
  expires_at: Timestamp,
});

const MemberTokenRevocation = Type.Object({
  object: Type.Literal("member_token_revocation"),
  member_id: Type.String(),
  revoked_before: Timestamp,
});

const Tenant = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("tenant"),
    name: Type.String(),
    timezone: Type.String({ description: "IANA time zone for calendar rules", examples: ["Asia/Shanghai"] }),
    default_currency: Type.String(),
    locale: StringEnum(LOCALES),
    sandbox: Type.Boolean({
      description: "A sandbox tenant: its time is its test clock (`GET /v1/test-clock`)",
    }),
    live_tenant_id: Type.Union([Type.String(), Type.Null()], {
      description: "The live tenant a sandbox was created for",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Tenant" },
);

function serializeTenant(row: {
  id: string;
  name: string;
  timezone: string;
  default_currency: string;
  locale: Locale;
  sandbox: boolean;
  live_tenant_id: string | null;
  created_at: Date;
  updated_at: Date;
}) {
  return {
    id: row.id,
    object: "tenant" as const,
    name: row.name,
    timezone: row.timezone,
    default_currency: row.default_currency,
    locale: row.locale,
    sandbox: row.sandbox,
    live_tenant_id: row.live_tenant_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The tenant's settings, API keys and member tokens. */
export async function foundationRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const TENANT_COLUMNS = [
    "id",
    "name",
    "timezone",
    "default_currency",
    "locale",
    "sandbox",
    "live_tenant_id",
    "created_at",
    "updated_at",
  ] as const;

  app.get(
    "/v1/tenant",
    {
      config: { permission: "tenant.read" },
      schema: {
        tags: ["tenant"],
        summary: "The caller's tenant and its settings",
        response: { 200: Tenant, ...errorResponses() },
      },
    },
    async (request) => {
      const { tenantId } = request.actor;
      const query = db.kysely.selectFrom("tenants").select(TENANT_COLUMNS).where("id", "=", tenantId);
      const [row] = await db.tenantQuery(tenantId, query);
      if (!row) throw new NoResultError(query.toOperationNode());
      return serializeTenant(row);
    },
  );

  app.patch(
    "/v1/tenant",
    {
      config: { permission: "tenant.manage" },
      schema: {
        tags: ["tenant"],
        summary: "Change the tenant's name, time zone, default currency or locale",
        body: Obj(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            default_currency: Type.Optional(
              Type.String({ maxLength: 16, pattern: "^[A-Z][A-Z0-9_]{1,15}$" }),
            ),
            locale: Type.Optional(StringEnum(LOCALES)),
          },
          { minProperties: 1 },
        ),
        response: { 200: Tenant, ...errorResponses(422) },
      },
    },
    async (request) => {
      const actor = request.actor;
      if (actor.orgUnitId)
        throw new DomainError("forbidden", "Only tenant-wide staff change tenant settings");
      const body = request.body;
      const { timezone } = await validateTenantSettings(db, {
        timezone: body.timezone,
        defaultCurrency: body.default_currency,
        locale: body.locale,
      });
      const row = await db.tenantTx(actor.tenantId, async (trx) => {
        const before = await trx
          .selectFrom("tenants")
          .select(TENANT_COLUMNS)
          .where("id", "=", actor.tenantId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const after = await trx
          .updateTable("tenants")
          .set({ ...body, ...(timezone === undefined ? {} : { timezone }), updated_at: clock.now() })
          .where("id", "=", actor.tenantId)
          .returning(TENANT_COLUMNS)
          .executeTakeFirstOrThrow();
        await recordAudit(
          trx,
          { actor, requestId: request.id },
          {
            action: "tenant.updated",
            targetType: "tenant",
            targetId: actor.tenantId,
            summary: changeSummary(before, after, Object.keys(body) as (keyof typeof body)[]),
          },
          clock.now(),
        );
        return after;
      });
      return serializeTenant(row);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/api-keys",
    config: { permission: "api_keys.manage", idempotent: true },
    schema: {
      tags: ["access"],
      summary: "Create an API key (the secret is shown once)",
      body: Obj({
        name: Type.String({ minLength: 1, maxLength: 100 }),
        role: RoleSchema,
        org_unit_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
        expires_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
      }),
      response: { 201: ApiKeyWithSecret, ...errorResponses(409, 422) },
    },
    status: 201,
    batched: false,
    // Nobody hands out more power than they hold, or reach outside their own subtree.
    guard: ({ actor, body }) => {
      if (actor.role !== "owner" && body.role === "owner") {
        throw new DomainError("forbidden", "Only an owner can create owner keys");
      }
    },
    input: ({ body }) => body,
    op: async ({ trx }, ctx, body, now) => {
      const { actor } = ctx;
      const orgUnitId = body.org_unit_id ?? actor.orgUnitId;
      if (orgUnitId) {
        const unit = await trx
          .selectFrom("org_units")
          .select("path")
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", orgUnitId)
          .executeTakeFirst();
        assertInScope(actor, unit?.path, "org_unit");
      }
      const created = await createApiKey(
        trx,
        actor.tenantId,
        {
          name: body.name,
          role: body.role,
          orgUnitId,
          expiresAt: body.expires_at ? new Date(body.expires_at) : null,
        },
        now,
        realNow(clock),
      );
      await recordAudit(
        trx,
        ctx,
        {
          action: "api_key.created",
          targetType: "api_key",
          targetId: created.record.id,
          summary: { after: { name: body.name, role: body.role, org_unit_id: orgUnitId } },
        },
        now,
      );
      return created;
    },
    respond: (created) => ({ ...serializeKey(created.record), secret: created.secret }),
  });

  app.get(
    "/v1/api-keys",
    {
      config: { permission: "api_keys.manage" },
      schema: {
        tags: ["access"],
        summary: "List API keys",
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(ApiKey), ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const limit = pageLimit(request.query.limit);
      let query = db.kysely
        .selectFrom("api_keys")
        .leftJoin("org_units", (j) =>
          j
            .onRef("org_units.tenant_id", "=", "api_keys.tenant_id")
            .onRef("org_units.id", "=", "api_keys.org_unit_id"),
        )
        .selectAll("api_keys")
        .where("api_keys.tenant_id", "=", actor.tenantId)
        .orderBy("api_keys.id")
        .limit(limit + 1);
      if (request.query.starting_after) query = query.where("api_keys.id", ">", request.query.starting_after);
      if (actor.orgUnitPath) {
        query = query.where("org_units.path", "like", subtreePattern(actor.orgUnitPath));
      }
      const rows = await db.tenantQuery(actor.tenantId, query);
      return toPage(rows as ApiKeyRecord[], limit, serializeKey);
    },
  );

  async function loadKeyInScope(trxTenant: string, id: string, actor: Actor) {
    const [row] = await db.tenantQuery(
      trxTenant,
      db.kysely
        .selectFrom("api_keys")
        .leftJoin("org_units", (j) =>
          j
            .onRef("org_units.tenant_id", "=", "api_keys.tenant_id")
            .onRef("org_units.id", "=", "api_keys.org_unit_id"),
        )
        .selectAll("api_keys")
        .select("org_units.path")
        .where("api_keys.tenant_id", "=", trxTenant)
        .where("api_keys.id", "=", id),
    );
    if (!row) throw new DomainError("api_key_not_found", "API key not found");
    assertInScope(actor, row.org_unit_id ? row.path : null, "api_key");
    return row as ApiKeyRecord;
  }

  app.get(
    "/v1/api-keys/:id",
    {
      config: { permission: "api_keys.manage" },
      schema: {
        tags: ["access"],
        summary: "Get an API key",
        params: Obj({ id: IdParam }),
        response: { 200: ApiKey, ...errorResponses() },
      },
    },
    async (request) =>
      serializeKey(await loadKeyInScope(request.actor.tenantId, request.params.id, request.actor)),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/api-keys/:id/revoke",
    config: { permission: "api_keys.manage", idempotent: true },
    schema: {
      tags: ["access"],
      summary: "Revoke an API key (takes effect within seconds everywhere)",
      params: Obj({ id: IdParam }),
      response: { 200: ApiKey, ...errorResponses() },
    },
    status: 200,
    batched: false,
    guard: async ({ actor, params }) => {
      const key = await loadKeyInScope(actor.tenantId, params.id, actor);
      // As with users, owners are touched only by owners: an admin could otherwise cut the
      // owner's integrations off.
      if (key.role === "owner" && actor.role !== "owner") {
        throw new DomainError("forbidden", "Only an owner can revoke an owner key");
      }
    },
    input: ({ params }) => params.id,
    op: async ({ trx }, ctx, keyId, now) => {
      const revoked = await revokeApiKey(trx, ctx.actor.tenantId, keyId, now);
      await recordAudit(
        trx,
        ctx,
        { action: "api_key.revoked", targetType: "api_key", targetId: revoked.id, summary: {} },
        now,
      );
      return revoked;
    },
    respond: serializeKey,
    // A request that authenticated while the revocation was still uncommitted cached the key as
    // valid: only now can no later read find it so.
    after: async () => forgetCachedKeys(),
  });

  app.post(
    "/v1/member-tokens",
    {
      config: { permission: "member_tokens.create", errors: ["member_not_found", "member_closed"] },
      schema: {
        tags: ["access"],
        summary: "Exchange an API key for a short-lived token for one member",
        description:
          "The tenant's backend calls this, then hands the token to the member's app. The token reaches only that member's own resources. A closed member gets none (422 `member_closed`).",
        body: Obj({
          member_id: IdParam,
          ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
        }),
        response: { 201: MemberToken, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      const guard = memberTokenGuard();
      if (guard) {
        await db.tenantTx(actor.tenantId, (trx) => guard(trx, actor, request.body.member_id, "issue"));
      }
      const ttl = request.body.ttl_seconds ?? deps.config.memberTokenTtlSeconds;
      // Real time even in a sandbox: the token is checked before the sandbox's clock applies, and
      // a sandbox clock standing years ahead would otherwise issue a token good for years.
      const issuedAt = realNow(clock);
      const expMs = issuedAt.getTime() + ttl * 1000;
      const token = signMemberToken(deps.config.signingSecret, {
        tenant_id: actor.tenantId,
        member_id: request.body.member_id,
        exp: Math.floor(expMs / 1000),
        iat_ms: issuedAt.getTime(),
      });
      reply.status(201);
      return {
        object: "member_token" as const,
        token,
        member_id: request.body.member_id,
        expires_at: new Date(Math.floor(expMs / 1000) * 1000).toISOString(),
      };
    },
  );
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/member-tokens/revoke",
    config: { permission: "member_tokens.create", idempotent: true },
    schema: {
      tags: ["access"],
      summary: "Revoke every member token issued so far for one member",
      description:
        "Tokens issued before this call stop working at once, and member-center links made before it answer 410 `member_center_code_expired` (closing a member does the same). New tokens and links can be issued afterwards.",
      body: Obj({ member_id: IdParam }, { examples: [{ member_id: "mbr_3n1Kq0" }] }),
      response: { 200: MemberTokenRevocation, ...errorResponses() },
    },
    status: 200,
    input: (request) => ({ memberId: request.body.member_id }),
    op: async (uow, ctx, input, now) => {
      const guard = memberTokenGuard();
      if (guard) await guard(uow.trx, ctx.actor, input.memberId, "revoke");
      // Tokens carry their real issue time (see above); a revocation is measured on the same clock.
      const revokedBefore = realNow(clock);
      await revokeMemberTokens(uow.trx, ctx.actor.tenantId, input.memberId, revokedBefore);
      await recordAudit(
        uow.trx,
        ctx,
        { action: "member_tokens.revoked", targetType: "member", targetId: input.memberId, summary: {} },
        now,
      );
      return { memberId: input.memberId, revokedBefore };
    },
    respond: (result) => ({
      object: "member_token_revocation" as const,
      member_id: result.memberId,
      revoked_before: result.revokedBefore.toISOString(),
    }),
  });
}

/** Tenants, API keys and member tokens. */
export const foundationManifest: ModuleManifest = {
  name: "platform.foundation",
  routes: foundationRoutes,
  permissions: {
    "tenant.read": ALL_STAFF,
    "tenant.manage": MANAGERS,
    "api_keys.manage": MANAGERS,
    "member_tokens.create": ["owner", "admin", "operator"],
  },
};
