import { sql } from "kysely";
import { DateTime } from "luxon";
import type nodemailer from "nodemailer";
import type { Database, Tx } from "../../db/database.js";
import { type Clock, realNow, systemClock } from "../../shared/clock.js";
import { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { loadOnce } from "../../shared/load-once.js";
import type { Locale } from "../tenants.js";
import { postInbox } from "./inbox.js";
import { type NoticeTemplate, noticeDefinition, render } from "./notices.js";
import type { Channel, DeliveryErrorCode } from "./notify.schema.js";

/**
 * SMS goes through an adapter (an HTTP gateway in production); the default writes to the log.
 * A failed send is retried unless the error it throws says `permanent: true` (the gateway
 * refused the number or the template: no later try can succeed).
 */
export interface SmsAdapter {
  send(to: string, text: string): Promise<void>;
}

/**
 * Waits before each retry of an email or SMS that failed for a passing reason: 1 min, 5 min,
 * 30 min, 2 h and 6 h, so at most 6 attempts over about 8.6 hours. Real time, in sandboxes too:
 * the mail server and the phone are real.
 */
export const NOTIFY_RETRY_DELAYS_SECONDS = [60, 300, 1800, 7200, 21600] as const;
export const MAX_NOTIFY_ATTEMPTS = NOTIFY_RETRY_DELAYS_SECONDS.length + 1;
/**
 * A failed email or SMS keeps its rendered text this long (real time), so that it can be resent
 * by hand with the words it failed with; then the text is cleared, as it may name balances and
 * people. A week covers a mail server down over a weekend and noticed on Monday.
 */
export const NOTIFY_FAILED_BODY_DAYS = 7;
/** Failed deliveries whose kept text one run clears. */
const FORGET_BATCH = 1000;
/** Retries one run sends, all at once (each on its own connection). */
export const NOTIFY_RETRY_BATCH = 20;
/**
 * A claimed retry is left alone this long: longer than a send can take (the SMTP timeouts
 * below, the SMS adapter's own), so that a second worker never sends it while the first still
 * may. A worker that dies holding it leaves it to be sent once the claim lapses.
 */
const CLAIM_SECONDS = 600;
/** Bounds on one SMTP conversation, unless SMTP_URL sets its own (nodemailer's query options). */
const SMTP_TIMEOUTS_MS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

/** Errors of the network itself (nodemailer's and Node's codes): the next try may get through. */
const TRANSIENT_NETWORK_CODES = new Set([
  "ECONNECTION",
  "ETIMEDOUT",
  "ESOCKET",
  "EDNS",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * Whether a failed send may succeed later. Email: an SMTP reply in 4xx (421 busy, 450/451/452
 * try later; nodemailer puts it on `responseCode`) or a network failure; 5xx replies and
 * anything else (a bad address, no SMTP configured) are final. SMS: any error, unless the
 * adapter marked it permanent.
 */
export function isTransientFailure(channel: Channel, error: unknown): boolean {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    permanent?: unknown;
    responseCode?: unknown;
    code?: unknown;
  };
  if (e.permanent === true) return false;
  if (channel !== "email") return true;
  if (typeof e.responseCode === "number") return e.responseCode >= 400 && e.responseCode < 500;
  return typeof e.code === "string" && TRANSIENT_NETWORK_CODES.has(e.code);
}

/** SMTP_URL with this service's timeouts added where it sets none. */
function withTimeouts(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  for (const [key, ms] of Object.entries(SMTP_TIMEOUTS_MS)) {
    if (!url.searchParams.has(key)) url.searchParams.set(key, String(ms));
  }
  return url.toString();
}

class EmailNotConfigured extends Error {
  readonly permanent = true;
  constructor() {
    super("email is not configured (SMTP_URL)");
  }
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
  /** `retrying`: nothing sent yet, nothing lost yet; `partial`: some sent, some not (yet). */
  status: "sent" | "capped" | "failed" | "retrying" | "partial";
  deliveries: {
    channel: Channel;
    recipient: string;
    status: "sent" | "failed" | "capped" | "retrying";
    error: string | null;
    errorCode?: DeliveryErrorCode;
    /** When the retry of a `retrying` delivery is due (real time). */
    nextAttemptAt?: Date;
  }[];
}

/** How one retry ended: sent, due again at `nextAttemptAt`, or failed for good. */
export interface RetryOutcome {
  tenantId: string;
  deliveryId: string;
  status: "sent" | "failed" | "retrying";
  attempts: number;
  error: string | null;
}

export interface NotifierOptions {
  db: Database;
  /** `smtp://host:port` (nodemailer URL); without it email deliveries fail with a clear error. */
  smtpUrl?: string | undefined;
  from?: string;
  sms?: SmsAdapter;
  /**
   * Whose underlying (real) time dates the retries, whatever tenant clock is in force when a
   * sandbox's notice is sent; the system clock by default.
   */
  clock?: Clock;
}

/**
 * Sends notices by email, SMS and the in-app inbox. The cap of a notice type is taken
 * first, atomically in the database (one conditional upsert per recipient and window),
 * so restarts and any number of workers never exceed it. Every channel's outcome is kept
 * as a delivery record; an email or SMS that failed for a passing reason waits in `retrying`
 * and `sendDueRetries` tries it again on the retry schedule.
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
  private readonly clock: Clock;

  constructor(options: NotifierOptions) {
    this.db = options.db;
    this.smtpUrl = options.smtpUrl;
    this.from = options.from ?? "Vouchsafe <no-reply@vouchsafe.invalid>";
    this.sms = options.sms ?? new LogSmsAdapter();
    this.clock = options.clock ?? systemClock;
  }

  close(): void {
    this.mailer?.close();
  }

  private errorCode(channel: Channel): DeliveryErrorCode {
    if (channel === "email") return this.smtpUrl ? "email_failed" : "email_not_configured";
    return "sms_failed";
  }

  private async transport(): Promise<nodemailer.Transporter> {
    if (!this.smtpUrl) throw new EmailNotConfigured();
    const { default: mail } = await loadNodemailer();
    this.mailer ??= mail.createTransport(withTimeouts(this.smtpUrl));
    return this.mailer;
  }

  /** One try at one email or SMS: null when it went out, else why not. */
  private async send(
    channel: Channel,
    recipient: string,
    subject: string,
    body: string,
  ): Promise<{ error: string; transient: boolean } | null> {
    try {
      if (channel === "email") {
        const mailer = await this.transport();
        await mailer.sendMail({ from: this.from, to: recipient, subject, text: body });
      } else {
        await this.sms.send(recipient, body);
      }
      return null;
    } catch (e) {
      return {
        error: e instanceof Error ? e.message : String(e),
        transient: isTransientFailure(channel, e),
      };
    }
  }

  /**
   * What becomes of a delivery whose `attempt`-th try ended with `failure`, on a schedule that
   * began after `retryFrom` attempts (a manual resend restarts it).
   */
  private settle(
    channel: Channel,
    failure: { error: string; transient: boolean } | null,
    attempt: number,
    now: Date,
    retryFrom = 0,
  ): {
    status: "sent" | "failed" | "retrying";
    error: string | null;
    errorCode: DeliveryErrorCode | null;
    nextAttemptAt: Date | null;
    bodyKeptUntil: Date | null;
  } {
    if (!failure)
      return { status: "sent", error: null, errorCode: null, nextAttemptAt: null, bodyKeptUntil: null };
    const delay = NOTIFY_RETRY_DELAYS_SECONDS[attempt - retryFrom - 1];
    const retry = failure.transient && delay !== undefined;
    return {
      status: retry ? "retrying" : "failed",
      error: failure.error,
      errorCode: this.errorCode(channel),
      nextAttemptAt: retry ? new Date(now.getTime() + delay * 1000) : null,
      bodyKeptUntil: retry ? null : new Date(now.getTime() + NOTIFY_FAILED_BODY_DAYS * 86_400_000),
    };
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
            await recordDelivery(
              trx,
              { ...base, locale, channel, recipient, status: "capped", attempts: 0 },
              now,
            );
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
            { ...base, locale, channel, recipient, subject: message.subject, status: "sent", attempts: 1 },
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
    // The retry schedule runs on real time even when a sandbox's clock dates the notice.
    const attemptedAt = realNow(this.clock);
    const outcomes: {
      message: (typeof prepared.messages)[number];
      outcome: ReturnType<Notifier["settle"]>;
    }[] = [];
    for (const message of prepared.messages) {
      const failure = await this.send(message.channel, message.recipient, message.subject, message.body);
      const outcome = this.settle(message.channel, failure, 1, attemptedAt);
      outcomes.push({ message, outcome });
      deliveries.push({
        channel: message.channel,
        recipient: message.recipient,
        status: outcome.status,
        error: outcome.error,
        ...(outcome.errorCode && { errorCode: outcome.errorCode }),
        ...(outcome.nextAttemptAt && { nextAttemptAt: outcome.nextAttemptAt }),
      });
    }
    if (outcomes.length > 0) {
      await this.db.tenantTx(tenantId, async (trx) => {
        for (const { message, outcome } of outcomes) {
          await recordDelivery(
            trx,
            {
              ...base,
              locale: prepared.locale,
              channel: message.channel,
              recipient: message.recipient,
              subject: message.subject,
              status: outcome.status,
              error: outcome.error,
              errorCode: outcome.errorCode,
              attempts: 1,
              nextAttemptAt: outcome.nextAttemptAt,
              // Kept while a retry is to come (it must send what this try sent) and, once
              // failed, for a manual resend.
              body: outcome.status === "sent" ? null : message.body,
              bodyKeptUntil: outcome.bodyKeptUntil,
            },
            now,
          );
        }
      });
    }
    const count = (status: string) => deliveries.filter((d) => d.status === status).length;
    const failed = count("failed");
    const retrying = count("retrying");
    return {
      status:
        failed + retrying === 0
          ? "sent"
          : failed === deliveries.length
            ? "failed"
            : retrying === deliveries.length
              ? "retrying"
              : "partial",
      deliveries,
    };
  }

  /**
   * Tries again every email and SMS whose retry is due at `now` (real time, in sandboxes too),
   * at most `limit`. Like webhook deliveries: claimed in a short transaction across tenants
   * (SKIP LOCKED and a claim deadline, so two workers never send one delivery together), sent
   * outside any transaction with the subject and body the first try rendered, and each outcome
   * recorded in its tenant's transaction. A retry never takes the notice's cap again: the
   * notice was counted when it was first sent.
   */
  async sendDueRetries(now: Date, limit = NOTIFY_RETRY_BATCH): Promise<RetryOutcome[]> {
    const claimed = await this.db.systemTx(async (trx) => {
      const rows = await sql<{
        tenant_id: string;
        id: string;
        channel: Channel;
        recipient: string;
        subject: string | null;
        body: string;
        attempts: number;
        retry_from: number;
      }>`
        update notification_deliveries d
           set claimed_until = ${new Date(now.getTime() + CLAIM_SECONDS * 1000)}
         where (d.tenant_id, d.id) in (
           select tenant_id, id from notification_deliveries
            where status = 'retrying' and next_attempt_at <= ${now}
              and (claimed_until is null or claimed_until < ${now})
            order by next_attempt_at
            limit ${Math.max(0, Math.min(limit, NOTIFY_RETRY_BATCH))}
            for update skip locked)
        returning d.tenant_id, d.id, d.channel, d.recipient, d.subject, d.body, d.attempts, d.retry_from`.execute(
        trx,
      );
      return rows.rows;
    });

    const outcomes: RetryOutcome[] = [];
    // Every retry of the batch is recorded before a failure of one is reported: one left
    // unrecorded is sent again once its claim lapses.
    const settled = await Promise.allSettled(
      claimed.map(async (d) => {
        const failure = await this.send(d.channel, d.recipient, d.subject ?? "", d.body);
        const attempt = d.attempts + 1;
        const outcome = this.settle(d.channel, failure, attempt, now, d.retry_from);
        const recorded = await this.db.tenantTx(d.tenant_id, (trx) =>
          trx
            .updateTable("notification_deliveries")
            .set({
              status: outcome.status,
              attempts: attempt,
              next_attempt_at: outcome.nextAttemptAt,
              claimed_until: null,
              error: outcome.error,
              error_code: outcome.errorCode,
              ...(outcome.status === "sent" && { body: null }),
              body_kept_until: outcome.bodyKeptUntil,
            })
            .where("tenant_id", "=", d.tenant_id)
            .where("id", "=", d.id)
            // Recorded by the claim that sent it; a lapsed claim taken over is not counted twice.
            .where("status", "=", "retrying")
            .where("attempts", "=", d.attempts)
            .executeTakeFirst(),
        );
        if (Number(recorded.numUpdatedRows) === 0) return;
        outcomes.push({
          tenantId: d.tenant_id,
          deliveryId: d.id,
          status: outcome.status,
          attempts: attempt,
          error: outcome.error,
        });
      }),
    );
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (rejected) throw rejected.reason;
    return outcomes;
  }

  /**
   * Clears the kept text of failed deliveries whose time is up at `now` (real time), at most a
   * batch per run (the retry sweep runs every few seconds); such a delivery can no longer be resent.
   */
  async forgetFailedBodies(now: Date): Promise<number> {
    return this.db.systemTx(async (trx) => {
      const result = await sql`
        update notification_deliveries d set body = null, body_kept_until = null
         where (d.tenant_id, d.id) in (
           select tenant_id, id from notification_deliveries
            where body_kept_until is not null and body_kept_until <= ${now}
            limit ${FORGET_BATCH}
            for update skip locked)`.execute(trx);
      return Number(result.numAffectedRows ?? 0);
    });
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
  status: "sent" | "failed" | "capped" | "retrying";
  error?: string | null;
  errorCode?: DeliveryErrorCode | null;
  attempts: number;
  nextAttemptAt?: Date | null;
  body?: string | null;
  bodyKeptUntil?: Date | null;
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
      attempts: d.attempts,
      next_attempt_at: d.nextAttemptAt ?? null,
      body: d.body ?? null,
      body_kept_until: d.bodyKeptUntil ?? null,
      created_at: now,
    })
    .execute();
}
