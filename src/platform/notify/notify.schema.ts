import type { Generated } from "kysely";
import type { JsonDefault, Timestamp } from "../../db/schema.js";

export type Channel = "email" | "sms" | "inbox";

export interface NotificationTemplatesTable {
  tenant_id: string;
  notice_type: string;
  locale: "zh-CN" | "en";
  channel: Channel;
  subject: string;
  body: string;
  updated_at: Timestamp;
}

export interface NotificationCountersTable {
  tenant_id: string;
  recipient: string;
  notice_type: string;
  window_start: Date;
  count: number;
}

/** Why a delivery failed, for people to read in their language (the provider's words are in `error`). */
export const DELIVERY_ERROR_CODES = ["email_not_configured", "email_failed", "sms_failed"] as const;
export type DeliveryErrorCode = (typeof DELIVERY_ERROR_CODES)[number];

export const DELIVERY_STATUSES = ["sent", "failed", "capped", "retrying"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface NotificationDeliveriesTable {
  tenant_id: string;
  id: string;
  notice_type: string;
  channel: Channel;
  recipient: string;
  locale: string;
  subject: string | null;
  status: DeliveryStatus;
  error: string | null;
  error_code: DeliveryErrorCode | null;
  created_at: Timestamp;
  /** Sends tried so far (0 for a capped notice). */
  attempts: Generated<number>;
  /** Real time (in sandboxes too) of the next try; set while `retrying` only. */
  next_attempt_at: Date | null;
  /** A worker sending the retry leaves it alone until then. */
  claimed_until: Date | null;
  /**
   * The rendered text, kept while a retry is to come so that it sends what the first try sent,
   * and after a failure until `body_kept_until` so that a manual resend can send it again.
   */
  body: string | null;
  /** When a failed delivery's body is cleared (real time); null once cleared or while not failed. */
  body_kept_until: Date | null;
  /** Attempts made before the current retry schedule began: a manual resend restarts it. */
  retry_from: Generated<number>;
}

export interface InboxMessagesTable {
  tenant_id: string;
  id: string;
  /** A user id, a member id, or `tenant` for messages every staff member of the tenant sees. */
  recipient: string;
  notice_type: string;
  title: string;
  body: string;
  data: JsonDefault<Record<string, unknown>>;
  read_at: Date | null;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    notification_templates: NotificationTemplatesTable;
    notification_counters: NotificationCountersTable;
    notification_deliveries: NotificationDeliveriesTable;
    inbox_messages: InboxMessagesTable;
  }
}
