import { sql } from "kysely";
import { DateTime } from "luxon";
import type nodemailer from "nodemailer";
import type { Database, Tx } from "../../db/database.js";
import { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { loadOnce } from "../../shared/load-once.js";
import type { Locale } from "../tenants.js";
import { postInbox } from "./inbox.js";
import { type NoticeTemplate, noticeDefinition, render } from "./notices.js";
import type { Channel, DeliveryErrorCode } from "./notify.schema.js";

/** SMS goes through an adapter (an HTTP gateway in production); the default writes to the log. */
export interface SmsAdapter {
  send(to: string, text: string): Promise<void>;
}

export class LogSmsAdapter implements SmsAdapter {
  constructor(private readonly log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}
  async send(to: string, text: string): Promise<void> {
    this.log(`sms to ${to}: ${text}`);
  }
}

export interface NotifyRequest {
  /** A notice declared with `defineNotice`. */
  type: string;
  /** What caps count against: an account, member or user id. */
  recipientKey: string;
  to: { email?: string; phone?: string; inbox?: string };
  /** Defaults to the tenant's locale. */
  locale?: Locale;
  vars?: Record<string, string | number>;
}

export interface NotifyResult {
  status: "sent" | "capped" | "failed" | "partial";
  deliveries: {
    channel: Channel;
    recipient: string;
    status: "sent" | "failed" | "capped";
    error: string | null;
    errorCode?: DeliveryErrorCode;
  }[];
}

export interface NotifierOptions {
  db: Database;
  /** `smtp://host:port` (nodemailer URL); without it email deliveries fail with a clear error. */
  smtpUrl?: string | undefined;
  from?: string;
  sms?: SmsAdapter;
}

/**
 * Sends notices by email, SMS and the in-app inbox. The cap of a notice type is taken
 * first, atomically in the database (one conditional upsert per recipient and window),
 * so restarts and any number of workers never exceed it. Every channel's outcome is kept
 * as a delivery record.
 */
/** nodemailer, loaded when the first email is sent (see `loadOnce`). */
const loadNodemailer = loadOnce(() => import("nodemailer"));

export class Notifier {
  private readonly db: Database;
  /** Made when the first email is sent (nodemailer loads only in a process that sends one). */
  private mailer: nodemailer.Transporter | undefined;
  private readonly smtpUrl: string | undefined;
  private readonly from: string;
  private readonly sms: SmsAdapter;

  constructor(options: NotifierOptions) {
    this.db = options.db;
    this.smtpUrl = options.smtpUrl;
    this.from = options.from ?? "Vouchsafe <no-reply@vouchsafe.invalid>";
    this.sms = options.sms ?? new LogSmsAdapter();
  }

  close(): void {
    this.mailer?.close();
  }

  private errorCode(channel: Channel): DeliveryErrorCode {
    if (channel === "email") return this.smtpUrl ? "email_failed" : "email_not_configured";
    return "sms_failed";
  }

  private async transport(): Promise<nodemailer.Transporter> {
    if (!this.smtpUrl) throw new Error("email is not configured (SMTP_URL)");
    const { default: mail } = await loadNodemailer();
    this.mailer ??= mail.createTransport(this.smtpUrl);
    return this.mailer;
  }

  async notify(tenantId: string, request: NotifyRequest, now: Date): Promise<NotifyResult> {
    const notice = noticeDefinition(request.type);
    if (!notice) throw new DomainError("validation_failed", `Unknown notice type ${request.type}`);
    const channels: [Channel, string][] = [];
    if (request.to.email) channels.push(["email", request.to.email]);
    if (request.to.phone) channels.push(["sms", request.to.phone]);
    if (request.to.inbox) channels.push(["inbox", request.to.inbox]);
    if (channels.length === 0)
      throw new DomainError("validation_failed", "A notice needs at least one recipient");
    const vars = request.vars ?? {};
    const base = { tenantId, noticeType: request.type };

    const prepared = await this.db.tenantTx(tenantId, async (trx) => {
      const tenant = await trx
        .selectFrom("tenants")
        .select(["timezone", "locale"])
        .where("id", "=", tenantId)
        .executeTakeFirstOrThrow();
      const locale = request.locale ?? tenant.locale;
      if (notice.cap) {
        const window = DateTime.fromJSDate(now, { zone: tenant.timezone })
          .startOf(notice.cap.window)
          .toJSDate();
        const taken = await takeCap(
          trx,
          tenantId,
          request.recipientKey,
          request.type,
          window,
          notice.cap.max,
        );
        if (!taken) {
          for (const [channel, recipient] of channels) {
            await recordDelivery(trx, { ...base, locale, channel, recipient, status: "capped" }, now);
          }
          return { capped: true as const, locale, messages: [] };
        }
      }
      const messages: { channel: Channel; recipient: string; subject: string; body: string }[] = [];
      for (const [channel, recipient] of channels) {
        const template = await templateFor(trx, tenantId, request.type, locale, channel);
        const message = {
          channel,
          recipient,
          subject: render(template.subject, vars),
          body: render(template.body, vars),
        };
        if (channel === "inbox") {
          await postInbox(
            trx,
            {
              tenantId,
              recipient,
              noticeType: request.type,
              title: message.subject,
              body: message.body,
              data: vars,
            },
            now,
          );
          await recordDelivery(
            trx,
            { ...base, locale, channel, recipient, subject: message.subject, status: "sent" },
            now,
          );
        } else messages.push(message);
      }
      return { capped: false as const, locale, messages };
    });

    if (prepared.capped) {
      return {
        status: "capped",
        deliveries: channels.map(([channel, recipient]) => ({
          channel,
          recipient,
          status: "capped",
          error: null,
        })),
      };
    }
    const deliveries: NotifyResult["deliveries"] = [];
    if (request.to.inbox)
      deliveries.push({ channel: "inbox", recipient: request.to.inbox, status: "sent", error: null });
    for (const message of prepared.messages) {
      let error: string | null = null;
      try {
        if (message.channel === "email") {
          const mailer = await this.transport();
          await mailer.sendMail({
            from: this.from,
            to: message.recipient,
            subject: message.subject,
            text: message.body,
          });
        } else {
          await this.sms.send(message.recipient, message.body);
        }
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      deliveries.push({
        channel: message.channel,
        recipient: message.recipient,
        status: error ? "failed" : "sent",
        error,
        ...(error && { errorCode: this.errorCode(message.channel) }),
      });
    }
    if (prepared.messages.length > 0) {
      await this.db.tenantTx(tenantId, async (trx) => {
        for (const d of deliveries.filter((x) => x.channel !== "inbox")) {
          const subject = prepared.messages.find((m) => m.channel === d.channel)?.subject ?? null;
          await recordDelivery(
            trx,
            {
              ...base,
              locale: prepared.locale,
              channel: d.channel,
              recipient: d.recipient,
              subject,
              status: d.status,
              error: d.error,
              errorCode: d.errorCode ?? null,
            },
            now,
          );
        }
      });
    }
    const failed = deliveries.filter((d) => d.status === "failed").length;
    return {
      status: failed === 0 ? "sent" : failed === deliveries.length ? "failed" : "partial",
      deliveries,
    };
  }
}

/**
 * Counts one notice against the cap; false when the window is already full. A single
 * statement: the upsert locks the counter row and re-checks `count < max` on its latest
 * version, so concurrent senders in any number of processes never pass the cap.
 */
export async function takeCap(
  trx: Tx,
  tenantId: string,
  recipient: string,
  noticeType: string,
  windowStart: Date,
  max: number,
): Promise<boolean> {
  const result = await sql<{ count: number }>`
    insert into notification_counters (tenant_id, recipient, notice_type, window_start, count)
    values (${tenantId}, ${recipient}, ${noticeType}, ${windowStart}, 1)
    on conflict (tenant_id, recipient, notice_type, window_start)
      do update set count = notification_counters.count + 1
      where notification_counters.count < ${max}
    returning count`.execute(trx);
  return result.rows.length === 1;
}

/** The tenant's own template for this notice, locale and channel, else the shipped default. */
export async function templateFor(
  trx: Tx,
  tenantId: string,
  noticeType: string,
  locale: Locale,
  channel: Channel,
): Promise<NoticeTemplate> {
  const own = await trx
    .selectFrom("notification_templates")
    .select(["subject", "body"])
    .where("tenant_id", "=", tenantId)
    .where("notice_type", "=", noticeType)
    .where("locale", "=", locale)
    .where("channel", "=", channel)
    .executeTakeFirst();
  if (own) return own;
  const notice = noticeDefinition(noticeType);
  if (!notice) throw new DomainError("validation_failed", `Unknown notice type ${noticeType}`);
  return notice.templates[locale];
}

interface DeliveryRecord {
  tenantId: string;
  noticeType: string;
  locale: string;
  channel: Channel;
  recipient: string;
  subject?: string | null;
  status: "sent" | "failed" | "capped";
  error?: string | null;
  errorCode?: DeliveryErrorCode | null;
}

async function recordDelivery(trx: Tx, d: DeliveryRecord, now: Date): Promise<void> {
  await trx
    .insertInto("notification_deliveries")
    .values({
      tenant_id: d.tenantId,
      id: newId("ntf"),
      notice_type: d.noticeType,
      channel: d.channel,
      recipient: d.recipient,
      locale: d.locale,
      subject: d.subject ?? null,
      status: d.status,
      error: d.error ?? null,
      error_code: d.errorCode ?? null,
      created_at: now,
    })
    .execute();
}
