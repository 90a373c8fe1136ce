import { Type } from "typebox";
import type { AppDeps, ModuleManifest, RouteApp } from "../../app-types.js";
import { realNow } from "../../shared/clock.js";
import { DomainError } from "../../shared/errors.js";
import { recordAudit } from "../audit/audit.js";
import type { Actor } from "../auth/actor.js";
import { ALL_STAFF, MANAGERS } from "../auth/permissions.js";
import { requireTenantWide } from "../events/events.routes.js";
import { pageLimit, toPage } from "../http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum, Timestamp } from "../http/schemas.js";
import { valueRoute } from "../http/value-route.js";
import { LOCALES } from "../tenants.js";
import { inboxRecipients, markRead, unreadCountQuery } from "./inbox.js";
import { MAX_TEMPLATE_CHARS, noticeCatalog, noticeDefinition } from "./notices.js";

import { MAX_NOTIFY_ATTEMPTS, NOTIFY_FAILED_BODY_DAYS, NOTIFY_RETRY_DELAYS_SECONDS } from "./notifier.js";
import { DELIVERY_ERROR_CODES, DELIVERY_STATUSES } from "./notify.schema.js";
import { DELIVERY_COLUMNS, NOTIFY_ERRORS, resendNotification } from "./resend.js";

const CHANNELS = ["email", "sms", "inbox"] as const;

const InboxMessage = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("inbox_message"),
    notice_type: Type.String(),
    title: Type.String(),
    body: Type.String(),
    data: Type.Record(Type.String(), Type.Unknown()),
    read: Type.Boolean(),
    read_at: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
  },
  { $id: "InboxMessage" },
);

const Template = Type.Object(
  {
    object: Type.Literal("notification_template"),
    notice_type: Type.String(),
    description: Type.String(),
    locale: StringEnum(LOCALES),
    channel: StringEnum(CHANNELS),
    subject: Type.String(),
    body: Type.String(),
    customized: Type.Boolean({ description: "false: the shipped default" }),
    cap: Type.Union([Type.Object({ max: Type.Integer(), window: Type.String() }), Type.Null()]),
  },
  { $id: "NotificationTemplate" },
);

const Delivery = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("notification_delivery"),
    notice_type: Type.String(),
    channel: StringEnum(CHANNELS),
    recipient: Type.String(),
    locale: Type.String(),
    subject: Type.Union([Type.String(), Type.Null()]),
    status: StringEnum(DELIVERY_STATUSES, {
      description:
        "retrying: an email or SMS that failed for a passing reason (the server busy or out of reach) " +
        `is tried again after ${NOTIFY_RETRY_DELAYS_SECONDS.map(delayWords).join(", ")}, ` +
        `at most ${MAX_NOTIFY_ATTEMPTS} attempts per send (a manual resend starts the schedule again), then failed`,
    }),
    attempts: Type.Integer({ minimum: 0, description: "Sends tried so far (0 when capped)" }),
    next_attempt_at: Type.Union([Timestamp, Type.Null()], {
      description: "When a retrying delivery is tried next (real time, in sandboxes too)",
    }),
    error: Type.Union([Type.String(), Type.Null()], {
      description:
        "Why it failed (the last try, while retrying), in the words of the mail server or SMS provider",
    }),
    error_code: Type.Union([StringEnum(DELIVERY_ERROR_CODES), Type.Null()], {
      description:
        "Why it failed, as a code: email_not_configured (this deployment has no SMTP server), " +
        "email_failed (the mail server refused or could not be reached), sms_failed (the SMS provider refused or could not be reached)",
    }),
    created_at: Timestamp,
  },
  { $id: "NotificationDelivery" },
);

type DeliveryRow = {
  next_attempt_at: Date | null;
  created_at: Date;
} & Record<(typeof DELIVERY_COLUMNS)[number], unknown>;

function serializeDelivery<R extends DeliveryRow>(r: R) {
  return {
    ...r,
    object: "notification_delivery" as const,
    next_attempt_at: r.next_attempt_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
  };
}

const DeliveryParams = Obj({ id: IdParam });

function delayWords(seconds: number): string {
  return seconds < 3600 ? `${seconds / 60} min` : `${seconds / 3600} h`;
}

/** Scoped actors read only their own messages; tenant-wide ones also the tenant's inbox. */
function recipientsOf(actor: Actor): string[] {
  return actor.orgUnitId === null ? inboxRecipients(actor.id) : [actor.id];
}

export async function notifyRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const manage = { permission: "notifications.manage", tenantWide: true } as const;

  app.get(
    "/v1/inbox",
    {
      config: { permission: "inbox.read" },
      schema: {
        tags: ["notifications"],
        summary: "The caller's in-app messages, newest first",
        querystring: Obj({ ...ListQuery, unread: Type.Optional(Type.Boolean()) }),
        response: { 200: listOf(InboxMessage), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const q = request.query;
      const limit = pageLimit(q.limit);
      let query = db.kysely
        .selectFrom("inbox_messages")
        .select(["id", "notice_type", "title", "body", "data", "read_at", "created_at"])
        .where("tenant_id", "=", actor.tenantId)
        .where("recipient", "in", recipientsOf(actor))
        .orderBy("id", "desc")
        .limit(limit + 1);
      if (q.unread === true) query = query.where("read_at", "is", null);
      if (q.unread === false) query = query.where("read_at", "is not", null);
      if (q.starting_after) query = query.where("id", "<", q.starting_after);
      const rows = await db.tenantQuery(actor.tenantId, query);
      return toPage(rows, limit, (r) => ({
        ...r,
        object: "inbox_message" as const,
        read: r.read_at !== null,
        read_at: r.read_at?.toISOString() ?? null,
        created_at: r.created_at.toISOString(),
      }));
    },
  );

  app.get(
    "/v1/inbox/unread-count",
    {
      config: { permission: "inbox.read" },
      schema: {
        tags: ["notifications"],
        summary: "How many of the caller's messages are unread",
        response: { 200: Type.Object({ unread: Type.Integer() }), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const [row] = await db.tenantQuery(
        actor.tenantId,
        unreadCountQuery(db.kysely, actor.tenantId, recipientsOf(actor)),
      );
      return { unread: Number(row?.n ?? 0) };
    },
  );

  app.post(
    "/v1/inbox/read",
    {
      config: { permission: "inbox.read" },
      schema: {
        tags: ["notifications"],
        summary: "Mark messages read (the given ids, or all)",
        body: Obj({
          ids: Type.Optional(Type.Array(IdParam, { minItems: 1, maxItems: 100 })),
          all: Type.Optional(Type.Literal(true)),
        }),
        response: { 200: Type.Object({ marked: Type.Integer() }), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const b = request.body;
      if (!b.all && !b.ids) throw new DomainError("validation_failed", "Give ids or all: true");
      const marked = await db.tenantTx(actor.tenantId, (trx) =>
        markRead(trx, actor.tenantId, recipientsOf(actor), b.all ? "all" : (b.ids ?? []), clock.now()),
      );
      return { marked };
    },
  );

  app.get(
    "/v1/notification-templates",
    {
      config: { permission: "notifications.manage", tenantWide: true },
      schema: {
        tags: ["notifications"],
        summary: "Every notice's template per locale and channel: the tenant's own or the default",
        response: {
          200: Type.Object({
            object: Type.Literal("list"),
            data: Type.Array(Template),
            has_more: Type.Boolean(),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const own = await db.tenantQuery(
        actor.tenantId,
        db.kysely.selectFrom("notification_templates").selectAll().where("tenant_id", "=", actor.tenantId),
      );
      const data = noticeCatalog().flatMap((notice) =>
        LOCALES.flatMap((locale) =>
          CHANNELS.map((channel) => {
            const custom = own.find(
              (o) => o.notice_type === notice.type && o.locale === locale && o.channel === channel,
            );
            return {
              object: "notification_template" as const,
              notice_type: notice.type,
              description: notice.description,
              locale,
              channel,
              subject: custom?.subject ?? notice.templates[locale].subject,
              body: custom?.body ?? notice.templates[locale].body,
              customized: custom !== undefined,
              cap: notice.cap ?? null,
            };
          }),
        ),
      );
      return { object: "list" as const, data, has_more: false };
    },
  );

  app.put(
    "/v1/notification-templates/:notice_type/:locale/:channel",
    {
      config: { permission: "notifications.manage", tenantWide: true },
      schema: {
        tags: ["notifications"],
        summary: "Set the tenant's own template (variables as {{name}})",
        params: Obj({
          notice_type: Type.String({ maxLength: 100 }),
          locale: StringEnum(LOCALES),
          channel: StringEnum(CHANNELS),
        }),
        body: Obj({
          subject: Type.String({ minLength: 1, maxLength: 200 }),
          body: Type.String({ minLength: 1, maxLength: MAX_TEMPLATE_CHARS }),
        }),
        response: { 200: Template, ...errorResponses(422) },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const p = request.params;
      const notice = noticeDefinition(p.notice_type);
      if (!notice) throw new DomainError("notice_type_not_found", `No notice type ${p.notice_type}`);
      const now = clock.now();
      await db.tenantTx(actor.tenantId, async (trx) => {
        await trx
          .insertInto("notification_templates")
          .values({
            tenant_id: actor.tenantId,
            notice_type: p.notice_type,
            locale: p.locale,
            channel: p.channel,
            subject: request.body.subject,
            body: request.body.body,
            updated_at: now,
          })
          .onConflict((oc) =>
            oc
              .columns(["tenant_id", "notice_type", "locale", "channel"])
              .doUpdateSet({ subject: request.body.subject, body: request.body.body, updated_at: now }),
          )
          .execute();
        await recordAudit(
          trx,
          { actor, requestId: request.id },
          {
            action: "notification_template.updated",
            targetType: "notification_template",
            targetId: `${p.notice_type}/${p.locale}/${p.channel}`,
          },
          now,
        );
      });
      return {
        object: "notification_template" as const,
        notice_type: notice.type,
        description: notice.description,
        locale: p.locale,
        channel: p.channel,
        subject: request.body.subject,
        body: request.body.body,
        customized: true,
        cap: notice.cap ?? null,
      };
    },
  );

  app.get(
    "/v1/notification-deliveries",
    {
      config: { permission: "notifications.manage", tenantWide: true },
      schema: {
        tags: ["notifications"],
        summary: "Delivery records, newest first",
        querystring: Obj({
          ...ListQuery,
          notice_type: Type.Optional(Type.String({ maxLength: 100 })),
          status: Type.Optional(StringEnum(DELIVERY_STATUSES)),
        }),
        response: { 200: listOf(Delivery), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const q = request.query;
      const limit = pageLimit(q.limit);
      let query = db.kysely
        .selectFrom("notification_deliveries")
        .select(DELIVERY_COLUMNS)
        .where("tenant_id", "=", actor.tenantId)
        .orderBy("id", "desc")
        .limit(limit + 1);
      if (q.notice_type) query = query.where("notice_type", "=", q.notice_type);
      if (q.status) query = query.where("status", "=", q.status);
      if (q.starting_after) query = query.where("id", "<", q.starting_after);
      const rows = await db.tenantQuery(actor.tenantId, query);
      return toPage(rows, limit, serializeDelivery);
    },
  );

  app.get(
    "/v1/notification-deliveries/:id",
    {
      config: manage,
      schema: {
        tags: ["notifications"],
        summary: "One delivery record",
        params: DeliveryParams,
        response: { 200: Delivery, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      requireTenantWide(actor);
      const [row] = await db.tenantQuery(
        actor.tenantId,
        db.kysely
          .selectFrom("notification_deliveries")
          .select(DELIVERY_COLUMNS)
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", request.params.id),
      );
      if (!row) throw new DomainError("notification_delivery_not_found", "Notification delivery not found");
      return serializeDelivery(row);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/notification-deliveries/:id/resend",
    config: { ...manage, idempotent: true },
    schema: {
      tags: ["notifications"],
      summary: "Send a failed email or SMS again (restarts its retry schedule), or a retrying one now",
      description:
        "Queues the delivery to be sent now, with the subject and text it failed with, by the retry sweep; " +
        "a delivery waiting for a later retry is brought forward to now, its retry schedule kept. " +
        "It does not count against the notice's cap again. A failed delivery keeps its text " +
        `${NOTIFY_FAILED_BODY_DAYS} days. Refused with 409: \`notification_already_sent\` (sending again would deliver it twice), ` +
        "`notification_delivery_capped` (never sent), `notification_delivery_inbox` (in the inbox already), " +
        "`notification_delivery_queued` (due to be sent already), `notification_delivery_in_flight` (being sent right now), " +
        "`notification_body_unavailable` (its text is no longer kept), `email_not_configured` (no SMTP_URL).",
      params: DeliveryParams,
      response: { 200: Delivery, ...errorResponses(409) },
    },
    status: 200,
    batched: false,
    guard: ({ actor }) => requireTenantWide(actor),
    input: ({ params }) => ({ id: params.id }),
    op: ({ trx }, ctx, input, now) =>
      resendNotification(trx, ctx, input.id, now, {
        emailConfigured: Boolean(deps.config.smtpUrl),
        sendAt: realNow(clock),
      }),
    respond: (row) => serializeDelivery(row),
    after: async () => {
      await deps.jobs?.send("notify.retry", {}, { singletonKey: "sweep" }).catch(() => null);
    },
  });
}

/** The inbox and notification templates. */
export const notifyManifest: ModuleManifest = {
  name: "platform.notify",
  routes: notifyRoutes,
  permissions: { "inbox.read": ALL_STAFF, "notifications.manage": MANAGERS },
  errors: NOTIFY_ERRORS,
};
