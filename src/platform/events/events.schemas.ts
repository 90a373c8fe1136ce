import { Type } from "typebox";
import { IdParam, ListQuery, Obj, StringEnum, Timestamp } from "../http/schemas.js";

export const EventObject = Type.Object(
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

export const EventTypeName = Type.String({
  pattern: "^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+)$",
  maxLength: 100,
});

export const Endpoint = Type.Object(
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

export const EndpointWithSecret = Type.Object({
  ...Endpoint.properties,
  secret: Type.String({
    description: "`whsec_…`: shown only in this response; keep it to verify signatures",
  }),
});

export const Delivery = Type.Object(
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

export const Attempt = Type.Object({
  attempt: Type.Integer(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  latency_ms: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  response_body: Type.Union([Type.String(), Type.Null()], { description: "The first 1 KiB of the answer" }),
  created_at: Timestamp,
});

export const DeliveryWithAttempts = Type.Object({ ...Delivery.properties, attempt_log: Type.Array(Attempt) });

export type EndpointRow = {
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

export function serializeEndpoint(row: EndpointRow) {
  return {
    ...row,
    object: "webhook_endpoint" as const,
    failing_since: row.failing_since?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export type DeliveryRow = {
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

export function serializeDelivery(row: DeliveryRow) {
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

export const DELIVERY_COLUMNS = [
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

export const IdParams = Obj({ id: IdParam });
const DeliveryStatus = StringEnum(["pending", "succeeded", "failed"] as const);

export const EventQuery = Obj({
  ...ListQuery,
  type: Type.Optional(EventTypeName),
  created_gte: Type.Optional(Timestamp),
  created_lt: Type.Optional(Timestamp),
});

export const EventTypes = Type.Object({
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
});

export const EndpointBody = Obj({
  url: Type.String({
    minLength: 8,
    maxLength: 2000,
    examples: ["https://example.com/vouchsafe/hooks"],
  }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  event_types: Type.Array(EventTypeName, { minItems: 1, maxItems: 100 }),
  enabled: Type.Optional(Type.Boolean()),
});

export const EndpointPatch = Obj(
  {
    url: Type.Optional(Type.String({ minLength: 8, maxLength: 2000 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    event_types: Type.Optional(Type.Array(EventTypeName, { minItems: 1, maxItems: 100 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { minProperties: 1 },
);

export const DeliveryQuery = Obj({ ...ListQuery, status: Type.Optional(DeliveryStatus) });
