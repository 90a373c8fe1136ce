import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import { DomainError, forbidden } from "../../shared/errors.js";
import { recordAudit } from "../audit/audit.js";
import type { Actor } from "../auth/actor.js";
import { MANAGERS } from "../auth/permissions.js";
import { pageLimit, toPage } from "../http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum, Timestamp } from "../http/schemas.js";
import { envelope, eventTypeCatalog } from "./outbox.js";
import {
  createEndpoint,
  deleteEndpoint,
  ENDPOINT_COLUMNS,
  getEndpoint,
  resendDelivery,
  rotateSecret,
  updateEndpoint,
  WEBHOOK_ERRORS,
} from "./webhooks.js";

/** Events, endpoints and deliveries are tenant-wide: an actor bound to an org unit may not use them. */
export function requireTenantWide(actor: Actor): void {
  if (actor.orgUnitId !== null) throw forbidden("Only tenant-wide credentials may use this");
}

const EventObject = Type.Object(
  {
    id: Type.String({ examples: ["evt_01jd3m2x4y5z6a7b8c9d0e1f2g"] }),
    object: Type.Literal("event"),
    type: Type.String({ examples: ["wallet.topped_up"] }),
    version: Type.Integer({ minimum: 1 }),
    created_at: Timestamp,
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: "Event", description: "A domain event; the body of every webhook delivery" },
);

const EventTypeName = Type.String({
  pattern: "^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+)$",
  maxLength: 100,
});

const Endpoint = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("webhook_endpoint"),
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    event_types: Type.Array(Type.String(), { description: "Subscribed types; `*` for all" }),
    enabled: Type.Boolean(),
    disabled_reason: Type.Union([Type.String(), Type.Null()]),
    failing_since: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "WebhookEndpoint" },
);

const EndpointWithSecret = Type.Object({
  ...Endpoint.properties,
  secret: Type.String({
    description: "`whsec_…`: shown only in this response; keep it to verify signatures",
  }),
});

const Delivery = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("webhook_delivery"),
    endpoint_id: Type.String(),
    event_id: Type.String(),
    event_type: Type.String(),
    status: StringEnum(["pending", "succeeded", "failed"] as const),
    attempts: Type.Integer(),
    next_attempt_at: Type.Union([Timestamp, Type.Null()]),
    last_status_code: Type.Union([Type.Integer(), Type.Null()]),
    last_error: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "WebhookDelivery" },
);

const Attempt = Type.Object({
  attempt: Type.Integer(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  latency_ms: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  response_body: Type.Union([Type.String(), Type.Null()], { description: "The first 1 KiB of the answer" }),
  created_at: Timestamp,
});

const DeliveryWithAttempts = Type.Object({ ...Delivery.properties, attempt_log: Type.Array(Attempt) });

type EndpointRow = {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
};

function serializeEndpoint(row: EndpointRow) {
  return {
    ...row,
    object: "webhook_endpoint" as const,
    failing_since: row.failing_since?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

type DeliveryRow = {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
};

function serializeDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    object: "webhook_delivery" as const,
    endpoint_id: row.endpoint_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.next_attempt_at?.toISOString() ?? null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const DELIVERY_COLUMNS = [
  "id",
  "endpoint_id",
  "event_id",
  "event_type",
  "status",
  "attempts",
  "next_attempt_at",
  "last_status_code",
  "last_error",
  "created_at",
  "updated_at",
] as const;

/**
 * The OpenAPI 3.1 `webhooks` section: one entry per declared event type. app.ts may add it
 * to the document (`openapi.webhooks`); `GET /v1/event-types` serves the same catalogue.
 */
export function openApiWebhooks(): Record<string, unknown> {
  return Object.fromEntries(
    eventTypeCatalog().map((t) => [
      t.type,
      {
        post: {
          summary: t.description,
          description:
            "Signed per Standard Webhooks: headers webhook-id (the event id), webhook-timestamp, webhook-signature.",
          requestBody: {
            content: {
              "application/json": {
                schema: {
                  ...EventObject,
                  $id: undefined,
                  properties: {
                    ...EventObject.properties,
                    type: { const: t.type },
                    version: { const: t.version },
                    data: t.schema,
                  },
                },
              },
            },
          },
          responses: { "2XX": { description: "Any 2xx acknowledges the delivery" } },
        },
      },
    ]),
  );
}

export async function eventsRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock, config } = deps;

  app.get(
    "/v1/events",
    {
      config: { permission: "events.read", tenantWide: true },
      schema: {
        tags: ["events"],
        summary: "List events, newest first",
        description: "Poll instead of (or as well as) receiving webhooks: the same envelopes, newest first.",
        querystring: Obj({
          ...ListQuery,
          type: Type.Optional(EventTypeName),
          created_gte: Type.Optional(Timestamp),
          created_lt: Type.Optional(Timestamp),
        }),
        response: { 200: listOf(EventObject), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const q = request.query;
      const limit = pageLimit(q.limit);
      const rows = await db.tenantTx(actor.tenantId, (trx) => {
        let query = trx
          .selectFrom("events")
          .select(["id", "type", "version", "data", "created_at"])
          .where("tenant_id", "=", actor.tenantId)
          .orderBy("id", "desc")
          .limit(limit + 1);
        if (q.type) query = query.where("type", "=", q.type);
        if (q.created_gte) query = query.where("created_at", ">=", new Date(q.created_gte));
        if (q.created_lt) query = query.where("created_at", "<", new Date(q.created_lt));
        if (q.starting_after) query = query.where("id", "<", q.starting_after);
        return query.execute();
      });
      return toPage(rows, limit, envelope);
    },
  );

  app.get(
    "/v1/event-types",
    {
      config: { permission: "events.read" },
      schema: {
        tags: ["events"],
        summary: "The event types and their payload schemas",
        response: {
          200: Type.Object({
            object: Type.Literal("list"),
            data: Type.Array(
              Type.Object({
                type: Type.String(),
                version: Type.Integer(),
                description: Type.String(),
                schema: Type.Unknown(),
              }),
            ),
            has_more: Type.Boolean(),
          }),
          ...errorResponses(),
        },
      },
    },
    async () => ({
      object: "list" as const,
      data: eventTypeCatalog().map((t) => ({
        type: t.type,
        version: t.version,
        description: t.description,
        schema: t.schema,
      })),
      has_more: false,
    }),
  );

  app.post(
    "/v1/webhook-endpoints",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "Register a webhook endpoint",
        description:
          "The secret is in this response only. http(s) URLs; internal addresses are refused. Deliveries are retried " +
          "for about 27 hours; an endpoint failing for over a day is disabled and the tenant's inbox is told.",
        body: Obj({
          url: Type.String({
            minLength: 8,
            maxLength: 2000,
            examples: ["https://example.com/vouchsafe/hooks"],
          }),
          description: Type.Optional(Type.String({ maxLength: 500 })),
          event_types: Type.Array(EventTypeName, { minItems: 1, maxItems: 100 }),
          enabled: Type.Optional(Type.Boolean()),
        }),
        response: { 201: EndpointWithSecret, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      requireTenantWide(actor);
      const b = request.body;
      const now = clock.now();
      const created = await db.tenantTx(actor.tenantId, async (trx) => {
        const result = await createEndpoint(
          trx,
          actor.tenantId,
          {
            url: b.url,
            description: b.description ?? null,
            eventTypes: b.event_types,
            enabled: b.enabled ?? true,
          },
          config.webhooksAllowPrivate,
          now,
        );
        await recordAudit(
          trx,
          { actor, requestId: request.id },
          {
            action: "webhook_endpoint.created",
            targetType: "webhook_endpoint",
            targetId: result.endpoint.id,
            summary: { url: b.url, event_types: b.event_types },
          },
          now,
        );
        return result;
      });
      reply.code(201);
      return { ...serializeEndpoint(created.endpoint), secret: created.secret };
    },
  );

  app.get(
    "/v1/webhook-endpoints",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "List webhook endpoints",
        querystring: Obj(ListQuery),
        response: { 200: listOf(Endpoint), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantTx(actor.tenantId, (trx) => {
        let query = trx
          .selectFrom("webhook_endpoints")
          .select(ENDPOINT_COLUMNS)
          .where("tenant_id", "=", actor.tenantId)
          .orderBy("id")
          .limit(limit + 1);
        if (request.query.starting_after) query = query.where("id", ">", request.query.starting_after);
        return query.execute();
      });
      return toPage(rows, limit, serializeEndpoint);
    },
  );

  app.get(
    "/v1/webhook-endpoints/:id",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "Get a webhook endpoint",
        params: Obj({ id: IdParam }),
        response: { 200: Endpoint, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      return serializeEndpoint(
        await db.tenantTx(actor.tenantId, (trx) => getEndpoint(trx, actor.tenantId, request.params.id)),
      );
    },
  );

  app.patch(
    "/v1/webhook-endpoints/:id",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "Change a webhook endpoint",
        description:
          "Enabling a disabled endpoint clears its failure state; re-send its failed deliveries after.",
        params: Obj({ id: IdParam }),
        body: Obj(
          {
            url: Type.Optional(Type.String({ minLength: 8, maxLength: 2000 })),
            description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
            event_types: Type.Optional(Type.Array(EventTypeName, { minItems: 1, maxItems: 100 })),
            enabled: Type.Optional(Type.Boolean()),
          },
          { minProperties: 1 },
        ),
        response: { 200: Endpoint, ...errorResponses(422) },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const b = request.body;
      const now = clock.now();
      const row = await db.tenantTx(actor.tenantId, async (trx) => {
        const updated = await updateEndpoint(
          trx,
          actor.tenantId,
          request.params.id,
          {
            ...(b.url !== undefined ? { url: b.url } : {}),
            ...(b.description !== undefined ? { description: b.description } : {}),
            ...(b.event_types !== undefined ? { eventTypes: b.event_types } : {}),
            ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
          },
          config.webhooksAllowPrivate,
          now,
        );
        await recordAudit(
          trx,
          { actor, requestId: request.id },
          {
            action: "webhook_endpoint.updated",
            targetType: "webhook_endpoint",
            targetId: updated.id,
            summary: { changed: b },
          },
          now,
        );
        return updated;
      });
      return serializeEndpoint(row);
    },
  );

  app.post(
    "/v1/webhook-endpoints/:id/rotate-secret",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "Replace the signing secret (shown once)",
        params: Obj({ id: IdParam }),
        response: { 200: Type.Object({ id: Type.String(), secret: Type.String() }), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const now = clock.now();
      const secret = await db.tenantTx(actor.tenantId, async (trx) => {
        const s = await rotateSecret(trx, actor.tenantId, request.params.id, now);
        await recordAudit(
          trx,
          { actor, requestId: request.id },
          {
            action: "webhook_endpoint.secret_rotated",
            targetType: "webhook_endpoint",
            targetId: request.params.id,
          },
          now,
        );
        return s;
      });
      return { id: request.params.id, secret };
    },
  );

  app.delete(
    "/v1/webhook-endpoints/:id",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "Delete a webhook endpoint and its delivery log",
        params: Obj({ id: IdParam }),
        response: { 204: Type.Null(), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      requireTenantWide(actor);
      const now = clock.now();
      await db.tenantTx(actor.tenantId, async (trx) => {
        await deleteEndpoint(trx, actor.tenantId, request.params.id);
        await recordAudit(
          trx,
          { actor, requestId: request.id },
          { action: "webhook_endpoint.deleted", targetType: "webhook_endpoint", targetId: request.params.id },
          now,
        );
      });
      reply.code(204);
      return null;
    },
  );

  app.get(
    "/v1/webhook-endpoints/:id/deliveries",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "The endpoint's delivery log, newest first",
        params: Obj({ id: IdParam }),
        querystring: Obj({
          ...ListQuery,
          status: Type.Optional(StringEnum(["pending", "succeeded", "failed"] as const)),
        }),
        response: { 200: listOf(Delivery), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const q = request.query;
      const limit = pageLimit(q.limit);
      const rows = await db.tenantTx(actor.tenantId, async (trx) => {
        await getEndpoint(trx, actor.tenantId, request.params.id);
        let query = trx
          .selectFrom("webhook_deliveries")
          .select(DELIVERY_COLUMNS)
          .where("tenant_id", "=", actor.tenantId)
          .where("endpoint_id", "=", request.params.id)
          .orderBy("id", "desc")
          .limit(limit + 1);
        if (q.status) query = query.where("status", "=", q.status);
        if (q.starting_after) query = query.where("id", "<", q.starting_after);
        return query.execute();
      });
      return toPage(rows, limit, serializeDelivery);
    },
  );

  app.get(
    "/v1/webhook-deliveries/:id",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "A delivery with every attempt (status code, latency, error)",
        params: Obj({ id: IdParam }),
        response: { 200: DeliveryWithAttempts, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      return db.tenantTx(actor.tenantId, async (trx) => {
        const row = await trx
          .selectFrom("webhook_deliveries")
          .select(DELIVERY_COLUMNS)
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", request.params.id)
          .executeTakeFirst();
        if (!row) throw new DomainError("webhook_delivery_not_found", "Webhook delivery not found");
        const attempts = await trx
          .selectFrom("webhook_attempts")
          .select(["attempt", "status_code", "latency_ms", "error", "response_body", "created_at"])
          .where("tenant_id", "=", actor.tenantId)
          .where("delivery_id", "=", row.id)
          .orderBy("attempt")
          .limit(100)
          .execute();
        return {
          ...serializeDelivery(row),
          attempt_log: attempts.map((a) => ({ ...a, created_at: a.created_at.toISOString() })),
        };
      });
    },
  );

  app.post(
    "/v1/webhook-deliveries/:id/resend",
    {
      config: { permission: "webhooks.manage", tenantWide: true },
      schema: {
        tags: ["webhooks"],
        summary: "Send a delivery again (restarts its retry schedule)",
        params: Obj({ id: IdParam }),
        response: { 200: Delivery, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const now = clock.now();
      const row = await db.tenantTx(actor.tenantId, async (trx) => {
        const r = await resendDelivery(trx, actor.tenantId, request.params.id, now);
        await recordAudit(
          trx,
          { actor, requestId: request.id },
          { action: "webhook_delivery.resent", targetType: "webhook_delivery", targetId: r.id },
          now,
        );
        return r;
      });
      await deps.jobs
        ?.send("webhooks.deliver", { tenantId: actor.tenantId }, { singletonKey: "sweep" })
        .catch(() => null);
      return serializeDelivery(row);
    },
  );
}

/** Events and webhook endpoints. */
export const eventsManifest: ModuleManifest = {
  name: "platform.events",
  routes: eventsRoutes,
  permissions: {
    "events.read": ["owner", "admin", "operator", "finance"],
    "webhooks.manage": MANAGERS,
  },
  errors: WEBHOOK_ERRORS,
};
