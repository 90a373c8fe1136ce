import type { ColumnType, Generated } from "kysely";
import type { Json, Timestamp } from "../../db/schema.js";

export interface EventsTable {
  tenant_id: string;
  id: string;
  type: string;
  version: Generated<number>;
  data: Json<Record<string, unknown>>;
  created_at: Timestamp;
  /** Set once the dispatcher has fanned the event out to webhook endpoints. */
  dispatched_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface WebhookEndpointsTable {
  tenant_id: string;
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  secret: string;
  /** Signs too until previous_secret_expires_at, after a rotation. */
  previous_secret: ColumnType<string | null, string | null | undefined, string | null>;
  previous_secret_expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  tenant_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: "pending" | "succeeded" | "failed";
  attempts: Generated<number>;
  /** Position in the retry schedule; a manual re-send starts it again. */
  step: Generated<number>;
  next_attempt_at: Date | null;
  claimed_until: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookAttemptsTable {
  tenant_id: string;
  id: string;
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    events: EventsTable;
    webhook_endpoints: WebhookEndpointsTable;
    webhook_deliveries: WebhookDeliveriesTable;
    webhook_attempts: WebhookAttemptsTable;
  }
}
