import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import { realNow } from "../../shared/clock.js";
import { forbidden } from "../../shared/errors.js";
import type { Actor } from "../auth/actor.js";
import { MANAGERS } from "../auth/permissions.js";
import { tenantPage } from "../http/pagination.js";
import { errorResponses, ListQuery, listOf, Obj } from "../http/schemas.js";
import { contextOf } from "../http/value-route.js";
import {
  changeEndpoint,
  registerEndpoint,
  removeEndpoint,
  resendWebhookDelivery,
  rotateEndpointSecret,
} from "./endpoint-changes.js";
import { EVENTS_ORDER, endpointsQuery, eventsQuery, listDeliveries, showDelivery } from "./event-views.js";
import {
  Delivery,
  DeliveryQuery,
  DeliveryWithAttempts,
  Endpoint,
  EndpointBody,
  EndpointPatch,
  EndpointWithSecret,
  EventObject,
  EventQuery,
  EventTypes,
  IdParams,
  serializeDelivery,
  serializeEndpoint,
} from "./events.schemas.js";
import { envelope, eventTypeCatalog } from "./outbox.js";
import { getEndpoint, WEBHOOK_ERRORS } from "./webhooks.js";

/** Events, endpoints and deliveries are tenant-wide: an actor bound to an org unit may not use them. */
export function requireTenantWide(actor: Actor): void {
  if (actor.orgUnitId !== null) throw forbidden("Only tenant-wide credentials may use this");
}

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
  const manage = { permission: "webhooks.manage", tenantWide: true };
  /** Runs `fn` in the tenant's transaction for a tenant-wide caller. */
  const tenantWide = <T>(actor: Actor, fn: Parameters<typeof db.tenantTx<T>>[1]) => {
    requireTenantWide(actor);
    return db.tenantTx(actor.tenantId, fn);
  };

  app.get(
    "/v1/events",
    {
      config: { permission: "events.read", tenantWide: true },
      schema: {
        tags: ["events"],
        summary: "List events, newest first",
        description: "Poll instead of (or as well as) receiving webhooks: the same envelopes, newest first.",
        querystring: EventQuery,
        response: { 200: listOf(EventObject), ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      requireTenantWide(actor);
      return tenantPage(
        db,
        actor.tenantId,
        eventsQuery(db.kysely, actor, query),
        query,
        envelope,
        EVENTS_ORDER,
      );
    },
  );

  app.get(
    "/v1/event-types",
    {
      config: { permission: "events.read" },
      schema: {
        tags: ["events"],
        summary: "The event types and their payload schemas",
        response: { 200: EventTypes, ...errorResponses() },
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
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "Register a webhook endpoint",
        description:
          "The secret is in this response only. http(s) URLs; internal addresses are refused. Deliveries are retried " +
          "for about 27 hours; an endpoint failing for over a day is disabled and the tenant's inbox is told.",
        body: EndpointBody,
        response: { 201: EndpointWithSecret, ...errorResponses(422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input = {
        url: b.url,
        description: b.description ?? null,
        eventTypes: b.event_types,
        enabled: b.enabled ?? true,
        allowPrivate: config.webhooksAllowPrivate,
      };
      const created = await tenantWide(request.actor, (trx) =>
        registerEndpoint(trx, contextOf(request), input, clock.now()),
      );
      reply.code(201);
      return { ...serializeEndpoint(created.endpoint), secret: created.secret };
    },
  );

  app.get(
    "/v1/webhook-endpoints",
    {
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "List webhook endpoints",
        querystring: Obj(ListQuery),
        response: { 200: listOf(Endpoint), ...errorResponses() },
      },
    },
    async ({ actor, query }) => {
      requireTenantWide(actor);
      return tenantPage(db, actor.tenantId, endpointsQuery(db.kysely, actor), query, serializeEndpoint);
    },
  );

  app.get(
    "/v1/webhook-endpoints/:id",
    {
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "Get a webhook endpoint",
        params: IdParams,
        response: { 200: Endpoint, ...errorResponses() },
      },
    },
    async ({ actor, params }) =>
      serializeEndpoint(await tenantWide(actor, (trx) => getEndpoint(trx, actor.tenantId, params.id))),
  );

  app.patch(
    "/v1/webhook-endpoints/:id",
    {
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "Change a webhook endpoint",
        description:
          "Enabling a disabled endpoint clears its failure state; re-send its failed deliveries after.",
        params: IdParams,
        body: EndpointPatch,
        response: { 200: Endpoint, ...errorResponses(422) },
      },
    },
    async (request) => {
      const b = request.body;
      const input = {
        id: request.params.id,
        change: {
          ...(b.url !== undefined ? { url: b.url } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.event_types !== undefined ? { eventTypes: b.event_types } : {}),
          ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
        },
        asked: b,
        allowPrivate: config.webhooksAllowPrivate,
      };
      return serializeEndpoint(
        await tenantWide(request.actor, (trx) => changeEndpoint(trx, contextOf(request), input, clock.now())),
      );
    },
  );

  app.post(
    "/v1/webhook-endpoints/:id/rotate-secret",
    {
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "Replace the signing secret (shown once)",
        params: IdParams,
        response: { 200: Type.Object({ id: Type.String(), secret: Type.String() }), ...errorResponses() },
      },
    },
    async (request) => {
      const id = request.params.id;
      const secret = await tenantWide(request.actor, (trx) =>
        rotateEndpointSecret(trx, contextOf(request), id, clock.now(), realNow(clock)),
      );
      return { id, secret };
    },
  );

  app.delete(
    "/v1/webhook-endpoints/:id",
    {
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "Delete a webhook endpoint and its delivery log",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses() },
      },
    },
    async (request, reply) => {
      await tenantWide(request.actor, (trx) =>
        removeEndpoint(trx, contextOf(request), request.params.id, clock.now()),
      );
      reply.code(204);
      return null;
    },
  );

  app.get(
    "/v1/webhook-endpoints/:id/deliveries",
    {
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "The endpoint's delivery log, newest first",
        params: IdParams,
        querystring: DeliveryQuery,
        response: { 200: listOf(Delivery), ...errorResponses() },
      },
    },
    async ({ actor, params, query }) =>
      tenantWide(actor, (trx) => listDeliveries(trx, actor, params.id, query)),
  );

  app.get(
    "/v1/webhook-deliveries/:id",
    {
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "A delivery with every attempt (status code, latency, error)",
        params: IdParams,
        response: { 200: DeliveryWithAttempts, ...errorResponses() },
      },
    },
    async ({ actor, params }) => tenantWide(actor, (trx) => showDelivery(trx, actor, params.id)),
  );

  app.post(
    "/v1/webhook-deliveries/:id/resend",
    {
      config: manage,
      schema: {
        tags: ["webhooks"],
        summary: "Send a delivery again (restarts its retry schedule)",
        description:
          "A delivery that is being sent at this moment is refused with 409 `webhook_delivery_in_flight`; re-send it once that attempt is recorded.",
        params: IdParams,
        response: { 200: Delivery, ...errorResponses(409) },
      },
    },
    async (request) => {
      const { actor } = request;
      const row = await tenantWide(actor, (trx) =>
        resendWebhookDelivery(trx, contextOf(request), request.params.id, clock.now(), realNow(clock)),
      );
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
