import type { Tx } from "../../db/database.js";
import { DomainError, defineErrors } from "../../shared/errors.js";
import { recordAudit } from "../audit/audit.js";
import type { RequestContext } from "../auth/actor.js";

export const NOTIFY_ERRORS = defineErrors({
  notification_already_sent: 409,
  notification_delivery_capped: 409,
  notification_delivery_inbox: 409,
  notification_delivery_in_flight: 409,
  notification_delivery_queued: 409,
  notification_body_unavailable: 409,
  email_not_configured: 409,
});

export const DELIVERY_COLUMNS = [
  "id",
  "notice_type",
  "channel",
  "recipient",
  "locale",
  "subject",
  "status",
  "error",
  "error_code",
  "attempts",
  "next_attempt_at",
  "created_at",
] as const;

/**
 * Queues a failed email or SMS to be sent again now, by the retry sweep, with the subject and
 * text it failed with, on a retry schedule started afresh (as a webhook resend does). A delivery
 * still waiting for a later retry is brought forward to now instead, its schedule kept: an
 * operator who has fixed the mail server should not wait hours for the next try. It never
 * takes the notice's cap again: the notice was counted when it was first sent. Refused when a
 * send would duplicate a message (sent, or due or being sent already), when there is nothing
 * to send (a capped notice, an inbox message, a text no longer kept), or when no mail server is
 * configured for an email.
 */
export async function resendNotification(
  trx: Tx,
  ctx: RequestContext,
  id: string,
  now: Date,
  options: {
    emailConfigured: boolean;
    /** Real time, in sandboxes too: the retry sweep and its claims run on it. */
    sendAt: Date;
  },
) {
  const tenantId = ctx.actor.tenantId;
  const row = await trx
    .selectFrom("notification_deliveries")
    .select(["channel", "status", "body", "claimed_until", "attempts", "next_attempt_at"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new DomainError("notification_delivery_not_found", "Notification delivery not found");
  if (row.status === "capped")
    throw new DomainError(
      "notification_delivery_capped",
      "The notice was held back by its cap and never sent; there is nothing to resend",
    );
  if (row.channel === "inbox")
    throw new DomainError(
      "notification_delivery_inbox",
      "An inbox message is not sent: it is in the recipient's inbox already",
    );
  if (row.status === "sent")
    throw new DomainError(
      "notification_already_sent",
      "The notice was sent; sending it again would deliver it twice",
    );
  const waitingForLaterRetry =
    row.status === "retrying" && row.next_attempt_at !== null && row.next_attempt_at > options.sendAt;
  if (row.status === "retrying") {
    if (row.claimed_until !== null && row.claimed_until >= options.sendAt)
      throw new DomainError(
        "notification_delivery_in_flight",
        "The delivery is being sent right now; wait for this attempt's outcome",
        { retryLater: true },
      );
    if (!waitingForLaterRetry)
      throw new DomainError("notification_delivery_queued", "The delivery is due to be sent again already");
  }
  if (row.body === null)
    throw new DomainError(
      "notification_body_unavailable",
      "The text of this delivery is no longer kept (failed deliveries keep it 7 days); it cannot be resent",
    );
  if (row.channel === "email" && !options.emailConfigured)
    throw new DomainError(
      "email_not_configured",
      "Email is not configured on this deployment (SMTP_URL); an email cannot be resent",
    );
  const updated = await trx
    .updateTable("notification_deliveries")
    .set(
      waitingForLaterRetry
        ? { next_attempt_at: options.sendAt }
        : {
            status: "retrying",
            next_attempt_at: options.sendAt,
            claimed_until: null,
            retry_from: row.attempts,
            body_kept_until: null,
          },
    )
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returning(DELIVERY_COLUMNS)
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    { action: "notification_delivery.resent", targetType: "notification_delivery", targetId: id },
    now,
  );
  return updated;
}
