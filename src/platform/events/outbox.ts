import type { TSchema } from "typebox";
import { appendRow, type Database, type RowTarget } from "../../db/database.js";
import { assert } from "../../shared/assert.js";
import { newId } from "../../shared/ids.js";
import "./events.schema.js";

/**
 * The transactional outbox: a module emits an event in the same transaction (or ledger
 * unit of work) as the change it describes, so a rolled-back change emits nothing. The
 * dispatcher later fans committed events out to webhook endpoints; integrators may also
 * poll `GET /v1/events`. Delivery is at least once: receivers de-duplicate by event id.
 */
export interface EventInput {
  tenantId: string;
  /** `<noun>.<past verb>`, e.g. `wallet.topped_up`; declare it in the module's `defineEvents`. */
  type: string;
  data: Record<string, unknown>;
  /** Payload version of this type; bump it when the data shape changes incompatibly. */
  version?: number;
}

export interface EventType {
  type: string;
  version: number;
  description: string;
  /** TypeBox schema of `data`, documented in the OpenAPI as a webhook. */
  schema: TSchema;
}

const eventTypes = new Map<string, EventType>();

/** The app installs every manifest's event types (documentation and validation). */
export function defineEventType(definition: EventType): void {
  const existing = eventTypes.get(definition.type);
  assert(
    !existing || existing.version === definition.version,
    `event ${definition.type} defined with two versions`,
  );
  eventTypes.set(definition.type, definition);
}

/** How a module describes one of its event types; version 1 unless given. */
export interface EventSpec {
  description: string;
  schema: TSchema;
  version?: number;
}

/** A module's event types (for its manifest) and the one way to emit them. */
export interface EventSet<T extends string> {
  readonly types: readonly EventType[];
  /** Writes the event in the caller's transaction or unit of work; returns its id. */
  emit(
    target: RowTarget,
    tenantId: string,
    type: T,
    data: Record<string, unknown>,
    now: Date,
  ): Promise<string>;
}

export function defineEvents<const E extends Record<string, EventSpec>>(
  events: E,
): EventSet<keyof E & string> {
  const types = Object.entries(events).map(([type, spec]) => ({
    type,
    version: spec.version ?? 1,
    description: spec.description,
    schema: spec.schema,
  }));
  return {
    types,
    emit: (target, tenantId, type, data, now) =>
      emitEvent(target, { tenantId, type, data, version: events[type]?.version ?? 1 }, now),
  };
}

export function eventTypeCatalog(): EventType[] {
  return [...eventTypes.values()].sort((a, b) => a.type.localeCompare(b.type));
}

export const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
export const MAX_EVENT_DATA_BYTES = 64 * 1024;

/** Writes one event row in the caller's transaction; returns its id (`evt_…`). */
export async function emitEvent(target: RowTarget, input: EventInput, now: Date): Promise<string> {
  assert(EVENT_TYPE.test(input.type), `event type ${input.type} must look like noun.verb`);
  const data = JSON.stringify(input.data);
  assert(data.length <= MAX_EVENT_DATA_BYTES, `event ${input.type} data exceeds 64 KiB`);
  const id = newId("evt");
  await appendRow(target, "events", {
    tenant_id: input.tenantId,
    id,
    type: input.type,
    version: input.version ?? eventTypes.get(input.type)?.version ?? 1,
    data,
    created_at: now,
  });
  return id;
}

/** The envelope receivers get (webhook body and `GET /v1/events` item). */
export interface EventEnvelope {
  id: string;
  object: "event";
  type: string;
  version: number;
  created_at: string;
  data: Record<string, unknown>;
}

export function envelope(row: {
  id: string;
  type: string;
  version: number;
  created_at: Date;
  data: Record<string, unknown>;
}): EventEnvelope {
  return {
    id: row.id,
    object: "event",
    type: row.type,
    version: row.version,
    created_at: row.created_at.toISOString(),
    data: row.data,
  };
}

export const DISPATCH_BATCH = 500;

/**
 * Fans committed, not yet dispatched events out as webhook deliveries, one per enabled
 * endpoint subscribed to the type (`*` subscribes to all). Events are claimed with SKIP
 * LOCKED, so concurrent dispatchers split the work; a delivery exists at most once per
 * endpoint and event. Returns how many events were dispatched.
 */
export async function dispatchEvents(db: Database, now: Date, limit = DISPATCH_BATCH): Promise<number> {
  return db.systemTx(async (trx) => {
    const events = await trx
      .selectFrom("events")
      .select(["tenant_id", "id", "type"])
      .where("dispatched_at", "is", null)
      .orderBy("created_at")
      .limit(Math.min(limit, DISPATCH_BATCH))
      .forUpdate()
      .skipLocked()
      .execute();
    if (events.length === 0) return 0;
    const tenants = [...new Set(events.map((e) => e.tenant_id))];
    const endpoints = await trx
      .selectFrom("webhook_endpoints")
      .select(["tenant_id", "id", "event_types"])
      .where("tenant_id", "in", tenants)
      .where("enabled", "=", true)
      .execute();
    const deliveries = events.flatMap((event) =>
      endpoints
        .filter(
          (e) =>
            e.tenant_id === event.tenant_id &&
            (e.event_types.includes("*") || e.event_types.includes(event.type)),
        )
        .map((endpoint) => ({
          tenant_id: event.tenant_id,
          id: newId("whd"),
          endpoint_id: endpoint.id,
          event_id: event.id,
          event_type: event.type,
          status: "pending" as const,
          next_attempt_at: now,
          claimed_until: null,
          last_status_code: null,
          last_error: null,
          created_at: now,
          updated_at: now,
        })),
    );
    for (let i = 0; i < deliveries.length; i += 1000) {
      await trx
        .insertInto("webhook_deliveries")
        .values(deliveries.slice(i, i + 1000))
        .onConflict((oc) => oc.columns(["tenant_id", "endpoint_id", "event_id"]).doNothing())
        .execute();
    }
    for (const tenant of tenants) {
      await trx
        .updateTable("events")
        .set({ dispatched_at: now })
        .where("tenant_id", "=", tenant)
        .where(
          "id",
          "in",
          events.filter((e) => e.tenant_id === tenant).map((e) => e.id),
        )
        .execute();
    }
    return events.length;
  });
}
