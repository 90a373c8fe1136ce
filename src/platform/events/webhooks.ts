import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import { lockForTransaction } from "../../db/transaction-lock.js";
import { DomainError, defineErrors } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { postInbox, TENANT_INBOX } from "../notify/inbox.js";
import { envelope } from "./outbox.js";
import { newWebhookSecret, webhookHeaders } from "./signing.js";
import { checkWebhookUrl, type OutboundResponse, postGuarded, SsrfError } from "./ssrf.js";
import "./events.schema.js";

export const WEBHOOK_ERRORS = defineErrors({
  webhook_url_refused: 422,
  webhook_endpoint_limit: 422,
  webhook_delivery_in_flight: 409,
});

/**
 * Delays before each retry (Standard Webhooks / Svix schedule): 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h, 10 h. Eight attempts over about 27.6 hours: at least a day of retries.
 */
export const RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 36000] as const;
/** An endpoint failing this long with a delivery exhausting its retries is disabled. */
export const DISABLE_AFTER_FAILING_SECONDS = 24 * 3600;
export const MAX_ENDPOINTS_PER_TENANT = 20;
export const DELIVERY_BATCH = 50;
/** A claimed delivery is left alone this long (longer than the request timeout). */
const CLAIM_SECONDS = 60;
const STORED_RESPONSE_CHARS = 1024;

export interface EndpointInput {
  url: string;
  description?: string | null;
  eventTypes: string[];
  enabled?: boolean;
}

export const ENDPOINT_COLUMNS = [
  "id",
  "url",
  "description",
  "event_types",
  "enabled",
  "disabled_reason",
  "failing_since",
  "created_at",
  "updated_at",
] as const;

function refuseUrl(url: string, allowPrivate: boolean): void {
  try {
    checkWebhookUrl(url, allowPrivate);
  } catch (error) {
    if (error instanceof SsrfError) {
      throw new DomainError("webhook_url_refused", `Webhook URL refused: ${error.message}`, {
        errors: [{ field: "/body/url", message: error.message }],
      });
    }
    throw error;
  }
}

/** Registers an endpoint; the secret is returned here and never again. */
export async function createEndpoint(
  trx: Tx,
  tenantId: string,
  input: EndpointInput,
  allowPrivate: boolean,
  now: Date,
) {
  refuseUrl(input.url, allowPrivate);
  await lockForTransaction(trx, "webhook_endpoints", tenantId);
  const count = await trx
    .selectFrom("webhook_endpoints")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tenantId)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_ENDPOINTS_PER_TENANT) {
    throw new DomainError(
      "webhook_endpoint_limit",
      `A tenant may have at most ${MAX_ENDPOINTS_PER_TENANT} endpoints`,
    );
  }
  const secret = newWebhookSecret();
  const row = await trx
    .insertInto("webhook_endpoints")
    .values({
      tenant_id: tenantId,
      id: newId("we"),
      url: input.url,
      description: input.description ?? null,
      event_types: [...new Set(input.eventTypes)],
      secret,
      enabled: input.enabled ?? true,
      disabled_reason: null,
      failing_since: null,
      created_at: now,
      updated_at: now,
    })
    .returning(ENDPOINT_COLUMNS)
    .executeTakeFirstOrThrow();
  return { endpoint: row, secret };
}

export async function getEndpoint(trx: Tx, tenantId: string, id: string) {
  const row = await trx
    .selectFrom("webhook_endpoints")
    .select(ENDPOINT_COLUMNS)
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new DomainError("webhook_endpoint_not_found", "Webhook endpoint not found");
  return row;
}

/** Updates the given fields; enabling an endpoint again clears its failure state. */
export async function updateEndpoint(
  trx: Tx,
  tenantId: string,
  id: string,
  input: Partial<EndpointInput>,
  allowPrivate: boolean,
  now: Date,
) {
  await getEndpoint(trx, tenantId, id);
  if (input.url !== undefined) refuseUrl(input.url, allowPrivate);
  const row = await trx
    .updateTable("webhook_endpoints")
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.eventTypes !== undefined ? { event_types: [...new Set(input.eventTypes)] } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.enabled === true ? { disabled_reason: null, failing_since: null } : {}),
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returning(ENDPOINT_COLUMNS)
    .executeTakeFirstOrThrow();
  return row;
}

/** How long the replaced secret keeps signing after a rotation. */
export const SECRET_OVERLAP_HOURS = 24;

export async function rotateSecret(trx: Tx, tenantId: string, id: string, now: Date) {
  await getEndpoint(trx, tenantId, id);
  const secret = newWebhookSecret();
  await trx
    .updateTable("webhook_endpoints")
    .set((eb) => ({
      previous_secret: eb.ref("secret"),
      previous_secret_expires_at: new Date(now.getTime() + SECRET_OVERLAP_HOURS * 3_600_000),
      secret,
      updated_at: now,
    }))
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .execute();
  return secret;
}

export async function deleteEndpoint(trx: Tx, tenantId: string, id: string): Promise<void> {
  await getEndpoint(trx, tenantId, id);
  await trx.deleteFrom("webhook_endpoints").where("tenant_id", "=", tenantId).where("id", "=", id).execute();
}

/**
 * Queues a delivery again from the start of the retry schedule (manual re-send). A delivery
 * a worker has claimed and may be sending right now is refused: queueing it would let a
 * second worker send it while the first is still on the wire.
 */
export async function resendDelivery(trx: Tx, tenantId: string, id: string, now: Date) {
  const current = await trx
    .selectFrom("webhook_deliveries")
    .select("claimed_until")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!current) throw new DomainError("webhook_delivery_not_found", "Webhook delivery not found");
  if (current.claimed_until !== null && current.claimed_until >= now) {
    throw new DomainError(
      "webhook_delivery_in_flight",
      "The delivery is being sent right now; re-send it once this attempt is recorded",
      { retryLater: true },
    );
  }
  return trx
    .updateTable("webhook_deliveries")
    .set({ status: "pending", step: 0, next_attempt_at: now, claimed_until: null, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export type Poster = (
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean },
) => Promise<OutboundResponse>;

export interface DeliveryDeps {
  db: Database;
  allowPrivate: boolean;
  post?: Poster;
}

export interface AttemptOutcome {
  deliveryId: string;
  tenantId: string;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  disabledEndpoint: boolean;
}

/**
 * Attempts every delivery due at `now` (at most `limit`). Deliveries are claimed in a
 * short transaction (SKIP LOCKED), sent outside any transaction, and each outcome is
 * recorded in its tenant's transaction: the attempt log, the next attempt time from the
 * retry schedule, and — when a delivery exhausts the schedule on an endpoint that has
 * failed for a day — the endpoint disabled with a message in the tenant's inbox. A delivery
 * whose endpoint was deleted while it was being sent is dropped and has no outcome, and so is
 * an attempt whose claim is no longer the delivery's (it lapsed and the delivery was re-sent
 * or claimed again): its outcome would overwrite the newer state.
 */
export async function deliverDue(
  deps: DeliveryDeps,
  now: Date,
  limit = DELIVERY_BATCH,
): Promise<AttemptOutcome[]> {
  const claimedUntil = new Date(now.getTime() + CLAIM_SECONDS * 1000);
  const claimed = await deps.db.systemTx(async (trx) => {
    const rows = await sql<{
      tenant_id: string;
      id: string;
      endpoint_id: string;
      event_id: string;
      attempts: number;
      step: number;
    }>`
      update webhook_deliveries d
         set claimed_until = ${claimedUntil}, updated_at = ${now}
       where (d.tenant_id, d.id) in (
         select tenant_id, id from webhook_deliveries
          where status = 'pending' and next_attempt_at <= ${now}
            and (claimed_until is null or claimed_until < ${now})
          order by next_attempt_at
          limit ${Math.min(limit, DELIVERY_BATCH)}
          for update skip locked)
      returning d.tenant_id, d.id, d.endpoint_id, d.event_id, d.attempts, d.step`.execute(trx);
    if (rows.rows.length === 0) return [];
    const endpoints = await trx
      .selectFrom("webhook_endpoints")
      .select([
        "tenant_id",
        "id",
        "url",
        "secret",
        "previous_secret",
        "previous_secret_expires_at",
        "enabled",
      ])
      .where(
        sql<boolean>`(tenant_id, id) in (${sql.join(rows.rows.map((r) => sql`(${r.tenant_id}, ${r.endpoint_id})`))})`,
      )
      .execute();
    const events = await trx
      .selectFrom("events")
      .select(["tenant_id", "id", "type", "version", "data", "created_at"])
      .where(
        sql<boolean>`(tenant_id, id) in (${sql.join(rows.rows.map((r) => sql`(${r.tenant_id}, ${r.event_id})`))})`,
      )
      .execute();
    return rows.rows.map((d) => ({
      delivery: d,
      endpoint: endpoints.find((e) => e.tenant_id === d.tenant_id && e.id === d.endpoint_id)!,
      event: events.find((e) => e.tenant_id === d.tenant_id && e.id === d.event_id)!,
    }));
  });

  const post = deps.post ?? postGuarded;
  const outcomes: AttemptOutcome[] = [];
  // Every delivery of the batch is recorded before a failure of one is reported: a delivery
  // left unrecorded is sent again once its claim lapses.
  const settled = await Promise.allSettled(
    claimed.map(async ({ delivery, endpoint, event }) => {
      let statusCode: number | null = null;
      let error: string | null = null;
      let responseBody: string | null = null;
      const started = performance.now();
      if (!endpoint.enabled) {
        error = "endpoint disabled";
      } else {
        const body = JSON.stringify(envelope(event as Parameters<typeof envelope>[0]));
        const overlapping =
          endpoint.previous_secret &&
          endpoint.previous_secret_expires_at &&
          endpoint.previous_secret_expires_at > now;
        const secrets = overlapping
          ? [endpoint.secret, endpoint.previous_secret as string]
          : [endpoint.secret];
        const headers = webhookHeaders(secrets, event.id, Math.floor(now.getTime() / 1000), body);
        try {
          const response = await post(endpoint.url, headers, body, { allowPrivate: deps.allowPrivate });
          statusCode = response.status;
          responseBody = response.body.slice(0, STORED_RESPONSE_CHARS);
          if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
        }
      }
      const latencyMs = Math.round(performance.now() - started);
      const outcome = await recordAttempt(deps.db, {
        delivery,
        claimedUntil,
        endpointEnabled: endpoint.enabled,
        statusCode,
        error,
        responseBody,
        latencyMs,
        now,
      });
      if (outcome) outcomes.push(outcome);
    }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return outcomes;
}

async function recordAttempt(
  db: Database,
  a: {
    delivery: { tenant_id: string; id: string; endpoint_id: string; attempts: number; step: number };
    /** The claim this attempt was sent under; a later claim can take over once it lapses. */
    claimedUntil: Date;
    endpointEnabled: boolean;
    statusCode: number | null;
    error: string | null;
    responseBody: string | null;
    latencyMs: number;
    now: Date;
  },
): Promise<AttemptOutcome | null> {
  const { delivery, now } = a;
  const tenantId = delivery.tenant_id;
  const ok = a.error === null;
  return db.tenantTx(tenantId, async (trx) => {
    // The endpoint, then its delivery, in the order a deletion of the endpoint takes them (its
    // deliveries and their attempts go with it): a deletion either waits for this record or
    // has already removed the delivery, which is then dropped — it has nowhere to go.
    const endpointRow = await trx
      .selectFrom("webhook_endpoints")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", delivery.endpoint_id)
      .forNoKeyUpdate()
      .executeTakeFirst();
    const deliveryRow =
      endpointRow &&
      (await trx
        .selectFrom("webhook_deliveries")
        .select(["id", "claimed_until"])
        .where("tenant_id", "=", tenantId)
        .where("id", "=", delivery.id)
        .forNoKeyUpdate()
        .executeTakeFirst());
    if (!deliveryRow) return null;
    // A claim is only taken once the previous one has lapsed, so its expiry tells one claim from
    // the next: the delivery was re-sent (claim cleared) or claimed again since this attempt began.
    if (deliveryRow.claimed_until?.getTime() !== a.claimedUntil.getTime()) return null;
    const attempt = delivery.attempts + 1;
    if (a.endpointEnabled) {
      await trx
        .insertInto("webhook_attempts")
        .values({
          tenant_id: tenantId,
          id: newId("wha"),
          delivery_id: delivery.id,
          attempt,
          status_code: a.statusCode,
          latency_ms: a.latencyMs,
          error: a.error,
          response_body: a.responseBody,
          created_at: now,
        })
        .execute();
    }
    const exhausted = !ok && (!a.endpointEnabled || delivery.step >= RETRY_DELAYS_SECONDS.length);
    const delay = RETRY_DELAYS_SECONDS[delivery.step];
    await trx
      .updateTable("webhook_deliveries")
      .set({
        status: ok ? "succeeded" : exhausted ? "failed" : "pending",
        attempts: a.endpointEnabled ? attempt : delivery.attempts,
        step: delivery.step + 1,
        next_attempt_at: ok || exhausted ? null : new Date(now.getTime() + (delay ?? 0) * 1000),
        claimed_until: null,
        last_status_code: a.statusCode,
        last_error: a.error,
        updated_at: now,
      })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", delivery.id)
      .execute();
    let disabledEndpoint = false;
    if (a.endpointEnabled) {
      const endpoint = await trx
        .updateTable("webhook_endpoints")
        .set(ok ? { failing_since: null } : { failing_since: sql`coalesce(failing_since, ${now})` })
        .where("tenant_id", "=", tenantId)
        .where("id", "=", delivery.endpoint_id)
        .returning(["id", "url", "failing_since", "enabled"])
        .executeTakeFirst();
      const failingSeconds = endpoint?.failing_since
        ? (now.getTime() - endpoint.failing_since.getTime()) / 1000
        : 0;
      if (exhausted && endpoint?.enabled && failingSeconds >= DISABLE_AFTER_FAILING_SECONDS) {
        disabledEndpoint = true;
        const reason = `Disabled after failing since ${endpoint.failing_since!.toISOString()} (last error: ${a.error})`;
        await trx
          .updateTable("webhook_endpoints")
          .set({ enabled: false, disabled_reason: reason, updated_at: now })
          .where("tenant_id", "=", tenantId)
          .where("id", "=", endpoint.id)
          .execute();
        await postInbox(
          trx,
          {
            tenantId,
            recipient: TENANT_INBOX,
            noticeType: "webhook_endpoint.disabled",
            title: "A webhook endpoint was disabled",
            body: `Deliveries to ${endpoint.url} kept failing for more than a day, so the endpoint was disabled. Fix the receiver, then enable the endpoint and re-send the failed deliveries.`,
            data: { endpoint_id: endpoint.id, url: endpoint.url, last_error: a.error },
          },
          now,
        );
      }
    }
    return {
      deliveryId: delivery.id,
      tenantId,
      ok,
      statusCode: a.statusCode,
      error: a.error,
      disabledEndpoint,
    };
  });
}
