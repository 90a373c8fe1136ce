import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_NOTIFY_ATTEMPTS,
  NOTIFY_FAILED_BODY_DAYS,
  NOTIFY_RETRY_DELAYS_SECONDS,
  Notifier,
  type NotifyRequest,
} from "../src/platform/notify/notifier.js";
import { ManualClock, runInClockScope } from "../src/shared/clock.js";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "./helpers/app.js";
import { expectProblem } from "./helpers/problem.js";
import { startSmtpServer } from "./helpers/smtp.js";
import { tenantTrail } from "./helpers/trail.js";

/**
 * Emails and SMS that failed for a passing reason are retried on the schedule, by real SMTP
 * peers. Every test drives the schedule with the `now` it passes and leaves no delivery
 * retrying, so that the next test's sweep (which crosses tenants) finds only its own.
 */
let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Retries");
});
afterAll(async () => t?.close());

const at = (start: Date, seconds: number) => new Date(start.getTime() + seconds * 1000);

const lowBalance = (email: string, recipientKey = "dep_account_1"): NotifyRequest => ({
  type: "deposit.balance_low",
  recipientKey,
  locale: "en",
  to: { email },
  vars: { account_name: "Fund A", balance: "12.00", threshold: "100.00" },
});

const delivery = (recipient: string) =>
  t.deps.db.tenantTx(tenant.tenantId, (trx) =>
    trx
      .selectFrom("notification_deliveries")
      .select([
        "id",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "body",
        "body_kept_until",
        "error",
        "error_code",
        "created_at",
      ])
      .where("tenant_id", "=", tenant.tenantId)
      .where("recipient", "=", recipient)
      .executeTakeFirstOrThrow(),
  );

/** The message as sent, with quoted-printable soft line breaks joined again. */
const text = (data: string) => data.replace(/=\r?\n/g, "");

describe("retrying emails", () => {
  it("retries a 421 after a minute, sends the first try's text once, and counts the cap once", async () => {
    const smtp = await startSmtpServer({ replies: [421] });
    const clock = new ManualClock("2026-06-01T01:00:00Z");
    const notifier = new Notifier({ db: t.deps.db, smtpUrl: smtp.url, clock });
    const start = clock.now();
    const result = await notifier.notify(tenant.tenantId, lowBalance("ops@example.test"), start);
    expect(result.status).toBe("retrying");
    expect(result.deliveries).toEqual([
      expect.objectContaining({
        status: "retrying",
        errorCode: "email_failed",
        nextAttemptAt: at(start, NOTIFY_RETRY_DELAYS_SECONDS[0]),
      }),
    ]);
    expect(result.deliveries[0]!.error).toMatch(/421/);
    expect(await delivery("ops@example.test")).toMatchObject({
      status: "retrying",
      attempts: 1,
      next_attempt_at: at(start, 60),
      error_code: "email_failed",
    });
    expect(smtp.mails).toHaveLength(0);

    // The tenant rewrites its template meanwhile: the retry still sends what the first try rendered.
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .insertInto("notification_templates")
        .values({
          tenant_id: tenant.tenantId,
          notice_type: "deposit.balance_low",
          locale: "en",
          channel: "email",
          subject: "Rewritten {{account_name}}",
          body: "Rewritten body",
          updated_at: start,
        })
        .execute(),
    );
    expect(await notifier.sendDueRetries(at(start, 59))).toEqual([]);
    const outcomes = await notifier.sendDueRetries(at(start, 60));
    expect(outcomes).toEqual([expect.objectContaining({ status: "sent", attempts: 2, error: null })]);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.to).toEqual(["ops@example.test"]);
    expect(smtp.mails[0]!.data).toContain("Subject: Balance low: Fund A");
    expect(text(smtp.mails[0]!.data)).toContain(
      "The balance of Fund A is 12.00, below the warning threshold of 100.00.",
    );
    expect(await delivery("ops@example.test")).toMatchObject({
      status: "sent",
      attempts: 2,
      next_attempt_at: null,
      claimed_until: null,
      body: null,
      error: null,
      error_code: null,
    });

    // Nothing is left to send, and the notice counted once against its daily cap of 4.
    expect(await notifier.sendDueRetries(at(start, 86_400))).toEqual([]);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.recipients).toBe(2);
    const counter = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .selectFrom("notification_counters")
        .select("count")
        .where("tenant_id", "=", tenant.tenantId)
        .where("recipient", "=", "dep_account_1")
        .executeTakeFirstOrThrow(),
    );
    expect(counter.count).toBe(1);
    notifier.close();
    await smtp.close();
  });

  it("fails a 550 at once and never tries it again", async () => {
    const smtp = await startSmtpServer({ replies: [550] });
    const clock = new ManualClock("2026-06-02T01:00:00Z");
    const notifier = new Notifier({ db: t.deps.db, smtpUrl: smtp.url, clock });
    const start = clock.now();
    const result = await notifier.notify(
      tenant.tenantId,
      lowBalance("nobody@example.test", "dep_account_2"),
      start,
    );
    expect(result.status).toBe("failed");
    expect(await delivery("nobody@example.test")).toMatchObject({
      status: "failed",
      attempts: 1,
      next_attempt_at: null,
      // Kept for a manual resend, for a week.
      body: expect.any(String),
      body_kept_until: at(start, NOTIFY_FAILED_BODY_DAYS * 86_400),
      error_code: "email_failed",
    });
    expect((await delivery("nobody@example.test")).error).toMatch(/550/);
    expect(await notifier.sendDueRetries(at(start, 86_400))).toEqual([]);
    expect(smtp.recipients).toBe(1);
    expect(smtp.mails).toHaveLength(0);
    notifier.close();
    await smtp.close();
  });

  it("gives up after the last attempt of the schedule: 1 min, 5 min, 30 min, 2 h, 6 h", async () => {
    expect(NOTIFY_RETRY_DELAYS_SECONDS).toEqual([60, 300, 1800, 7200, 21600]);
    const smtp = await startSmtpServer({ replies: Array(MAX_NOTIFY_ATTEMPTS).fill(451) });
    const clock = new ManualClock("2026-06-03T01:00:00Z");
    const notifier = new Notifier({ db: t.deps.db, smtpUrl: smtp.url, clock });
    const start = clock.now();
    await notifier.notify(tenant.tenantId, lowBalance("busy@example.test", "dep_account_3"), start);
    const seen: { status: string; attempts: number; next: Date | null }[] = [];
    let now = start;
    for (;;) {
      const row = await delivery("busy@example.test");
      seen.push({ status: row.status, attempts: row.attempts, next: row.next_attempt_at });
      if (row.status !== "retrying") break;
      now = row.next_attempt_at!;
      expect(await notifier.sendDueRetries(at(now, -1))).toEqual([]);
      expect(await notifier.sendDueRetries(now)).toHaveLength(1);
    }
    let expected = start;
    const schedule = NOTIFY_RETRY_DELAYS_SECONDS.map((delay) => {
      expected = at(expected, delay);
      return expected;
    });
    expect(seen).toEqual([
      ...schedule.map((next, i) => ({ status: "retrying", attempts: i + 1, next })),
      { status: "failed", attempts: 6, next: null },
    ]);
    expect(await delivery("busy@example.test")).toMatchObject({
      body: expect.any(String),
      body_kept_until: at(now, NOTIFY_FAILED_BODY_DAYS * 86_400),
      error_code: "email_failed",
    });
    expect(smtp.recipients).toBe(6);
    expect(smtp.mails).toHaveLength(0);
    notifier.close();
    await smtp.close();
  });

  it("sends each due retry once when two workers run the retry job together", async () => {
    const recipients = ["w1@example.test", "w2@example.test", "w3@example.test", "w4@example.test"];
    const smtp = await startSmtpServer({ replies: recipients.map(() => 421) });
    const clock = new ManualClock("2026-06-04T01:00:00Z");
    const start = clock.now();
    const first = new Notifier({ db: t.deps.db, smtpUrl: smtp.url, clock });
    for (const [i, email] of recipients.entries()) {
      await first.notify(tenant.tenantId, lowBalance(email, `dep_account_w${i}`), start);
    }
    const second = new Notifier({ db: t.deps.db, smtpUrl: smtp.url, clock });
    const [a, b] = await Promise.all([
      first.sendDueRetries(at(start, 60)),
      second.sendDueRetries(at(start, 60)),
    ]);
    expect([...a, ...b].map((o) => o.status)).toEqual(recipients.map(() => "sent"));
    expect(smtp.mails.flatMap((m) => m.to).sort()).toEqual(recipients);
    for (const email of recipients) expect((await delivery(email)).attempts).toBe(2);
    // A lapsed claim is no second send either: nothing is due any more.
    expect(await first.sendDueRetries(at(start, 3600))).toEqual([]);
    expect(smtp.mails).toHaveLength(recipients.length);
    first.close();
    second.close();
    await smtp.close();
  });
});

describe("retrying SMS", () => {
  it("retries an adapter's error on real time, in a sandbox's frozen time too, unless it is permanent", async () => {
    const clock = new ManualClock("2026-06-05T01:00:00Z");
    const sent: string[] = [];
    let failures = 1;
    const notifier = new Notifier({
      db: t.deps.db,
      clock,
      sms: {
        send: async (to, text) => {
          if (to === "+8613800000009")
            throw Object.assign(new Error("isv.MOBILE_NUMBER_ILLEGAL"), { permanent: true });
          if (failures-- > 0) throw new Error("gateway timed out");
          sent.push(`${to}: ${text}`);
        },
      },
    });
    const request = (phone: string): NotifyRequest => ({
      type: "webhook_endpoint.disabled",
      recipientKey: phone,
      locale: "en",
      to: { phone },
      vars: { url: "https://hooks.example.test/in" },
    });
    // Sent while a sandbox's clock stands in 2030: recorded at its time, retried on real time.
    const sandboxNow = new Date("2030-01-01T00:00:00Z");
    const result = await runInClockScope({ frozenAt: sandboxNow }, () =>
      notifier.notify(tenant.tenantId, request("+8613800000001"), clock.now()),
    );
    expect(result.deliveries[0]).toMatchObject({
      status: "retrying",
      errorCode: "sms_failed",
      nextAttemptAt: at(new Date("2026-06-05T01:00:00Z"), 60),
    });
    expect(await delivery("+8613800000001")).toMatchObject({
      status: "retrying",
      attempts: 1,
      created_at: sandboxNow,
      next_attempt_at: new Date("2026-06-05T01:01:00Z"),
    });

    const refused = await notifier.notify(tenant.tenantId, request("+8613800000009"), clock.now());
    expect(refused.status).toBe("failed");
    expect(await delivery("+8613800000009")).toMatchObject({
      status: "failed",
      attempts: 1,
      error: "isv.MOBILE_NUMBER_ILLEGAL",
      error_code: "sms_failed",
    });

    clock.advanceMinutes(1);
    expect(await notifier.sendDueRetries(clock.now())).toEqual([
      expect.objectContaining({ status: "sent", attempts: 2 }),
    ]);
    expect(sent).toEqual([
      "+8613800000001: Deliveries to https://hooks.example.test/in kept failing, so the endpoint was disabled. Fix the receiver, enable the endpoint and re-send the failed deliveries.",
    ]);
  });
});

describe("the deliveries list", () => {
  it("shows a retrying delivery's attempts and next attempt time, and filters by retrying", async () => {
    const clock = new ManualClock("2026-06-06T01:00:00Z");
    let fail = true;
    const notifier = new Notifier({
      db: t.deps.db,
      clock,
      sms: {
        send: async () => {
          if (fail) throw new Error("gateway unreachable");
        },
      },
    });
    await notifier.notify(
      tenant.tenantId,
      {
        type: "webhook_endpoint.disabled",
        recipientKey: "api",
        to: { phone: "+8613800000002", inbox: "tenant" },
      },
      clock.now(),
    );
    const list = async (query: string) =>
      (
        await t.app.inject({
          method: "GET",
          url: `/v1/notification-deliveries${query}`,
          headers: tenant.auth,
        })
      ).json() as { data: Record<string, unknown>[] };
    const retrying = await list("?status=retrying");
    expect(retrying.data).toEqual([
      expect.objectContaining({
        recipient: "+8613800000002",
        status: "retrying",
        attempts: 1,
        next_attempt_at: "2026-06-06T01:01:00.000Z",
        error: "gateway unreachable",
        error_code: "sms_failed",
      }),
    ]);
    const all = await list("?notice_type=webhook_endpoint.disabled&limit=100");
    expect(all.data.find((d) => d.channel === "inbox" && d.recipient === "tenant")).toMatchObject({
      status: "sent",
      attempts: 1,
      next_attempt_at: null,
    });

    fail = false;
    expect(await notifier.sendDueRetries(new Date("2026-06-06T01:01:00Z"))).toHaveLength(1);
    expect((await list("?status=retrying")).data).toEqual([]);
    expect((await list("?status=sent&limit=100")).data).toContainEqual(
      expect.objectContaining({ recipient: "+8613800000002", attempts: 2, next_attempt_at: null }),
    );
  });
});

describe("resending a failed delivery by hand", () => {
  // An app with a mail server configured, so that its resend route may queue emails.
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let r: TestApp;
  let shop: TestTenant;
  beforeAll(async () => {
    smtp = await startSmtpServer({ replies: [550] });
    r = await createTestApp({ config: { smtpUrl: smtp.url } });
    shop = await createTestTenant(r, "Resends");
  });
  afterAll(async () => {
    await r?.close();
    await smtp?.close();
  });

  const resend = (
    app: TestApp,
    who: TestTenant | { auth: Record<string, string> },
    id: string,
    key: string,
  ) =>
    app.app.inject({
      method: "POST",
      url: `/v1/notification-deliveries/${id}/resend`,
      headers: { ...who.auth, "idempotency-key": key },
    });
  const deliveryOf = (app: TestApp, tenantId: string, recipient: string) =>
    app.deps.db.tenantTx(tenantId, (trx) =>
      trx
        .selectFrom("notification_deliveries")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("recipient", "=", recipient)
        .executeTakeFirstOrThrow(),
    );

  it("sends a failed email once with its first text, however often it is resent while queued, without taking the cap", async () => {
    const notifier = new Notifier({ db: r.deps.db, smtpUrl: smtp.url, clock: r.clock });
    const result = await notifier.notify(shop.tenantId, lowBalance("owner@example.test"), r.clock.now());
    expect(result.status).toBe("failed");
    const failed = await deliveryOf(r, shop.tenantId, "owner@example.test");
    // The tenant rewrites its template meanwhile: the resend sends what the failed try rendered.
    await r.deps.db.tenantTx(shop.tenantId, (trx) =>
      trx
        .insertInto("notification_templates")
        .values({
          tenant_id: shop.tenantId,
          notice_type: "deposit.balance_low",
          locale: "en",
          channel: "email",
          subject: "Rewritten",
          body: "Rewritten body",
          updated_at: r.clock.now(),
        })
        .execute(),
    );

    const first = await resend(r, shop, failed.id, "resend-1");
    expect(first.statusCode, first.body).toBe(200);
    expect(json(first)).toMatchObject({
      id: failed.id,
      status: "retrying",
      attempts: 1,
      next_attempt_at: r.clock.now().toISOString(),
    });
    // Queued: another key is refused; the same key replays the first answer.
    expectProblem(await resend(r, shop, failed.id, "resend-2"), 409, "notification_delivery_queued");
    const replay = await resend(r, shop, failed.id, "resend-1");
    expect(replay.headers["idempotent-replayed"]).toBe("true");

    expect(await notifier.sendDueRetries(r.clock.now())).toEqual([
      expect.objectContaining({ deliveryId: failed.id, status: "sent", attempts: 2 }),
    ]);
    expect(await notifier.sendDueRetries(at(r.clock.now(), 86_400))).toEqual([]);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.data).toContain("Subject: Balance low: Fund A");
    expect(text(smtp.mails[0]!.data)).toContain("The balance of Fund A is 12.00");
    expect(await deliveryOf(r, shop.tenantId, "owner@example.test")).toMatchObject({
      status: "sent",
      attempts: 2,
      body: null,
      body_kept_until: null,
    });
    expectProblem(await resend(r, shop, failed.id, "resend-3"), 409, "notification_already_sent");

    const counted = await r.deps.db.tenantTx(shop.tenantId, (trx) =>
      trx
        .selectFrom("notification_counters")
        .select("count")
        .where("tenant_id", "=", shop.tenantId)
        .execute(),
    );
    expect(counted).toEqual([{ count: 1 }]);
    const audited = await r.deps.db.tenantTx(shop.tenantId, (trx) =>
      trx
        .selectFrom("audit_events")
        .select(["action", "target_id"])
        .where("tenant_id", "=", shop.tenantId)
        .where("action", "=", "notification_delivery.resent")
        .execute(),
    );
    expect(audited).toEqual([{ action: "notification_delivery.resent", target_id: failed.id }]);
    notifier.close();
  });

  it("restarts the schedule of a resent SMS and refuses one on the wire", async () => {
    let release = () => {};
    let started = () => {};
    let mode: "fail" | "hang" = "fail";
    const onTheWire = new Promise<void>((resolve) => {
      started = resolve;
    });
    const notifier = new Notifier({
      db: r.deps.db,
      clock: r.clock,
      sms: {
        send: () => {
          if (mode === "fail")
            return Promise.reject(Object.assign(new Error("no such number"), { permanent: true }));
          started();
          return new Promise<void>((_resolve, reject) => {
            release = () => reject(new Error("gateway unreachable"));
          });
        },
      },
    });
    const start = r.clock.now();
    await notifier.notify(
      shop.tenantId,
      { type: "webhook_endpoint.disabled", recipientKey: "api", to: { phone: "+8613800000009" } },
      start,
    );
    const { id } = await deliveryOf(r, shop.tenantId, "+8613800000009");
    expect((await resend(r, shop, id, "sms-1")).statusCode).toBe(200);
    mode = "hang";
    const sending = notifier.sendDueRetries(start);
    await onTheWire;
    expectProblem(await resend(r, shop, id, "sms-2"), 409, "notification_delivery_in_flight");
    release();
    // A passing failure after a resend waits the schedule's first delay again, not its second.
    expect(await sending).toEqual([expect.objectContaining({ status: "retrying", attempts: 2 })]);
    expect(await deliveryOf(r, shop.tenantId, "+8613800000009")).toMatchObject({
      status: "retrying",
      retry_from: 1,
      next_attempt_at: at(start, NOTIFY_RETRY_DELAYS_SECONDS[0]),
    });
    // The refusal was about that moment: its key did not keep it, and the same request now
    // brings the waiting delivery forward.
    expect((await resend(r, shop, id, "sms-2")).statusCode).toBe(200);
    // Leaves nothing retrying for the other tests' sweeps.
    mode = "fail";
    expect(await notifier.sendDueRetries(at(start, 60))).toEqual([
      expect.objectContaining({ status: "failed", attempts: 3 }),
    ]);
  });

  it("brings a delivery waiting for a later retry forward to now, keeping its schedule", async () => {
    let gatewayUp = false;
    const notifier = new Notifier({
      db: r.deps.db,
      clock: r.clock,
      sms: { send: () => (gatewayUp ? Promise.resolve() : Promise.reject(new Error("gateway unreachable"))) },
    });
    const start = r.clock.now();
    await notifier.notify(
      shop.tenantId,
      { type: "webhook_endpoint.disabled", recipientKey: "api", to: { phone: "+8613800000011" } },
      start,
    );
    const waiting = await deliveryOf(r, shop.tenantId, "+8613800000011");
    expect(waiting).toMatchObject({ status: "retrying", attempts: 1, retry_from: 0 });
    expect(waiting.next_attempt_at).toEqual(at(start, NOTIFY_RETRY_DELAYS_SECONDS[0]));
    // Nothing is due yet: the sweep sends nothing before the operator steps in.
    expect(await notifier.sendDueRetries(start)).toEqual([]);

    const now = await resend(r, shop, waiting.id, "now-1");
    expect(now.statusCode, now.body).toBe(200);
    expect(json(now)).toMatchObject({
      status: "retrying",
      attempts: 1,
      next_attempt_at: start.toISOString(),
    });
    // Due now: a second press would only queue what is queued.
    expectProblem(await resend(r, shop, waiting.id, "now-2"), 409, "notification_delivery_queued");
    expect(await deliveryOf(r, shop.tenantId, "+8613800000011")).toMatchObject({ retry_from: 0 });

    gatewayUp = true;
    expect(await notifier.sendDueRetries(start)).toEqual([
      expect.objectContaining({ deliveryId: waiting.id, status: "sent", attempts: 2 }),
    ]);
    expect(await deliveryOf(r, shop.tenantId, "+8613800000011")).toMatchObject({
      status: "sent",
      attempts: 2,
      next_attempt_at: null,
    });
    expectProblem(await resend(r, shop, waiting.id, "now-3"), 409, "notification_already_sent");
    expect(await tenantTrail(r, shop.tenantId).audit(waiting.id)).toEqual(["notification_delivery.resent"]);
  });

  it("refuses what cannot or must not be sent again, and shows one delivery to its tenant only", async () => {
    const notifier = new Notifier({
      db: r.deps.db,
      clock: r.clock,
      sms: { send: () => Promise.reject(Object.assign(new Error("refused"), { permanent: true })) },
    });
    const now = r.clock.now();
    // A cap of 4 a day: the fifth inbox notice is capped.
    for (let i = 0; i < 5; i++) {
      await notifier.notify(
        shop.tenantId,
        { ...lowBalance("unused"), recipientKey: "dep_capped", to: { inbox: "tenant" } },
        now,
      );
    }
    const rows = await r.deps.db.tenantTx(shop.tenantId, (trx) =>
      trx
        .selectFrom("notification_deliveries")
        .select(["id", "status"])
        .where("tenant_id", "=", shop.tenantId)
        .where("recipient", "=", "tenant")
        .execute(),
    );
    const inbox = rows.find((d) => d.status === "sent")!;
    const capped = rows.find((d) => d.status === "capped")!;
    expectProblem(await resend(r, shop, inbox.id, "inbox"), 409, "notification_delivery_inbox");
    expectProblem(await resend(r, shop, capped.id, "capped"), 409, "notification_delivery_capped");

    // A failed SMS's text is kept a week, then it can no longer be resent.
    await notifier.notify(
      shop.tenantId,
      { type: "webhook_endpoint.disabled", recipientKey: "api", to: { phone: "+8613800000010" } },
      now,
    );
    const sms = await deliveryOf(r, shop.tenantId, "+8613800000010");
    const week = NOTIFY_FAILED_BODY_DAYS * 86_400;
    expect(await notifier.forgetFailedBodies(at(now, week - 1))).toBe(0);
    expect(await notifier.forgetFailedBodies(at(now, week))).toBeGreaterThanOrEqual(1);
    expectProblem(await resend(r, shop, sms.id, "forgotten"), 409, "notification_body_unavailable");

    // Managers only; another tenant's delivery is not found.
    const viewer = await createTestKey(r, shop.tenantId, "viewer");
    expect((await resend(r, viewer, sms.id, "viewer")).statusCode).toBe(403);
    const other = await createTestTenant(r, "Someone else");
    expectProblem(await resend(r, other, sms.id, "other"), 404, "notification_delivery_not_found");
    const get = (who: TestTenant, id: string) =>
      r.app.inject({ url: `/v1/notification-deliveries/${id}`, headers: who.auth });
    const shown = await get(shop, sms.id);
    expect(shown.statusCode, shown.body).toBe(200);
    expect(json(shown)).toMatchObject({
      id: sms.id,
      object: "notification_delivery",
      channel: "sms",
      status: "failed",
      attempts: 1,
      next_attempt_at: null,
      error: "refused",
      error_code: "sms_failed",
    });
    expect(json(shown)).not.toHaveProperty("body");
    expectProblem(await get(other, sms.id), 404, "notification_delivery_not_found");
    expectProblem(await get(shop, "ntf_missing"), 404, "notification_delivery_not_found");
  });

  it("refuses to queue an email where no mail server is configured", async () => {
    const { id } = await delivery("nobody@example.test");
    expectProblem(await resend(t, tenant, id, "no-smtp"), 409, "email_not_configured");
  });
});
