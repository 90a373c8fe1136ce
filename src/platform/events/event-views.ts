import type { QueryCreator } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { DomainError } from "../../shared/errors.js";
import type { Actor } from "../auth/actor.js";
import { type PageParams, pageQuery } from "../http/pagination.js";
import { DELIVERY_COLUMNS, serializeDelivery } from "./events.schemas.js";
import { ENDPOINT_COLUMNS, getEndpoint } from "./webhooks.js";

/** Read views of events, endpoints and deliveries (tenant-wide callers only; see the routes). */

/** The tenant's events (newest first with `EVENTS_ORDER`; see `pageRowsQuery`). */
export function eventsQuery(
  qc: QueryCreator<DB>,
  actor: Actor,
  q: { type?: string; created_gte?: string; created_lt?: string },
) {
  let query = qc
    .selectFrom("events")
    .select(["id", "type", "version", "data", "created_at"])
    .where("tenant_id", "=", actor.tenantId);
  if (q.type) query = query.where("type", "=", q.type);
  if (q.created_gte) query = query.where("created_at", ">=", new Date(q.created_gte));
  if (q.created_lt) query = query.where("created_at", "<", new Date(q.created_lt));
  return query;
}

export const EVENTS_ORDER = { desc: true };

/** The tenant's webhook endpoints (see `pageRowsQuery`). */
export function endpointsQuery(qc: QueryCreator<DB>, actor: Actor) {
  return qc.selectFrom("webhook_endpoints").select(ENDPOINT_COLUMNS).where("tenant_id", "=", actor.tenantId);
}

/** An endpoint's delivery log, newest first. */
export async function listDeliveries(
  trx: Tx,
  actor: Actor,
  endpointId: string,
  q: PageParams & { status?: "pending" | "succeeded" | "failed" },
) {
  await getEndpoint(trx, actor.tenantId, endpointId);
  let query = trx
    .selectFrom("webhook_deliveries")
    .select(DELIVERY_COLUMNS)
    .where("tenant_id", "=", actor.tenantId)
    .where("endpoint_id", "=", endpointId);
  if (q.status) query = query.where("status", "=", q.status);
  return pageQuery(query, q, serializeDelivery, { desc: true });
}

/** A delivery with its attempts (at most 100). */
export async function showDelivery(trx: Tx, actor: Actor, deliveryId: string) {
  const row = await trx
    .selectFrom("webhook_deliveries")
    .select(DELIVERY_COLUMNS)
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", deliveryId)
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
}
