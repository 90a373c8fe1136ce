import type { Tx } from "../../db/database.js";
import { recordAudit } from "../audit/audit.js";
import type { RequestContext } from "../auth/actor.js";
import { createEndpoint, deleteEndpoint, resendDelivery, rotateSecret, updateEndpoint } from "./webhooks.js";

/* The audited changes of webhook endpoints and deliveries: (transaction, who asks, what, when). */

export interface EndpointChange {
  url?: string;
  description?: string | null;
  eventTypes?: string[];
  enabled?: boolean;
}

export async function registerEndpoint(
  trx: Tx,
  ctx: RequestContext,
  input: {
    url: string;
    description: string | null;
    eventTypes: string[];
    enabled: boolean;
    allowPrivate: boolean;
  },
  now: Date,
) {
  const { allowPrivate, ...endpoint } = input;
  const result = await createEndpoint(trx, ctx.actor.tenantId, endpoint, allowPrivate, now);
  await recordAudit(
    trx,
    ctx,
    {
      action: "webhook_endpoint.created",
      targetType: "webhook_endpoint",
      targetId: result.endpoint.id,
      summary: { url: input.url, event_types: input.eventTypes },
    },
    now,
  );
  return result;
}

export async function changeEndpoint(
  trx: Tx,
  ctx: RequestContext,
  input: { id: string; change: EndpointChange; asked: unknown; allowPrivate: boolean },
  now: Date,
) {
  const updated = await updateEndpoint(
    trx,
    ctx.actor.tenantId,
    input.id,
    input.change,
    input.allowPrivate,
    now,
  );
  await recordAudit(
    trx,
    ctx,
    {
      action: "webhook_endpoint.updated",
      targetType: "webhook_endpoint",
      targetId: updated.id,
      summary: { changed: input.asked },
    },
    now,
  );
  return updated;
}

/**
 * `overlapFrom` is real time, in a sandbox too: deliveries sign on real time, so an overlap
 * counted from a sandbox's time would keep the old secret signing for years (clock ahead) or
 * end it at once (clock more than a day behind). The audit entry keeps the tenant's time.
 */
export async function rotateEndpointSecret(
  trx: Tx,
  ctx: RequestContext,
  endpointId: string,
  now: Date,
  overlapFrom: Date,
) {
  const secret = await rotateSecret(trx, ctx.actor.tenantId, endpointId, overlapFrom);
  await recordAudit(
    trx,
    ctx,
    { action: "webhook_endpoint.secret_rotated", targetType: "webhook_endpoint", targetId: endpointId },
    now,
  );
  return secret;
}

export async function removeEndpoint(trx: Tx, ctx: RequestContext, endpointId: string, now: Date) {
  await deleteEndpoint(trx, ctx.actor.tenantId, endpointId);
  await recordAudit(
    trx,
    ctx,
    { action: "webhook_endpoint.deleted", targetType: "webhook_endpoint", targetId: endpointId },
    now,
  );
}

/**
 * `sendAt` is real time, in a sandbox too: deliveries are claimed, sent and retried on it, so a
 * re-send queued at a sandbox's time (years ahead) would wait for years, and a claim would look
 * lapsed while its attempt is still on the wire. The audit entry keeps the tenant's time.
 */
export async function resendWebhookDelivery(
  trx: Tx,
  ctx: RequestContext,
  deliveryId: string,
  now: Date,
  sendAt: Date,
) {
  const row = await resendDelivery(trx, ctx.actor.tenantId, deliveryId, sendAt);
  await recordAudit(
    trx,
    ctx,
    { action: "webhook_delivery.resent", targetType: "webhook_delivery", targetId: row.id },
    now,
  );
  return row;
}
