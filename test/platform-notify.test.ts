import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markRead, TENANT_INBOX, unreadCount } from "../src/platform/notify/inbox.js";
import { Notifier } from "../src/platform/notify/notifier.js";
import { createTenant } from "../src/platform/tenants.js";
import { ManualClock } from "../src/shared/clock.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { startSmtpServer } from "./helpers/smtp.js";

const run = promisify(execFile);

let t: TestDatabase;
let tenantId: string;
const clock = new ManualClock("2026-06-01T01:00:00Z");

beforeAll(async () => {
  t = await createTestDatabase();
  tenantId = (
    await createTenant(t.db, { name: "Notify", locale: "zh-CN", timezone: "Asia/Shanghai" }, clock.now())
  ).tenantId;
});
afterAll(async () => {
  await t.drop();
});

describe("email", () => {
  it("delivers a rendered notice to a real SMTP server, in the tenant's locale or its own template", async () => {
    const smtp = await startSmtpServer();
    const notifier = new Notifier({ db: t.db, smtpUrl: smtp.url, from: "Vouchsafe <no-reply@example.test>" });
    const result = await notifier.notify(
      tenantId,
      {
        type: "webhook_endpoint.disabled",
        recipientKey: "usr_ops",
        to: { email: "ops@example.test" },
        vars: { url: "https://hooks.example.test/in" },
      },
      clock.now(),
    );
    expect(result).toEqual({
      status: "sent",
      deliveries: [{ channel: "email", recipient: "ops@example.test", status: "sent", error: null }],
    });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.to).toEqual(["ops@example.test"]);
    expect(smtp.mails[0]!.from).toBe("no-reply@example.test");
    // Non-ASCII subjects are MIME-encoded; decode the body's quoted-printable/base64 the simple way.
    expect(smtp.mails[0]!.data).toMatch(/^Subject: =\?UTF-8\?/m);

    // The tenant overrides the English template.
    await t.db.tenantTx(tenantId, (trx) =>
      trx
        .insertInto("notification_templates")
        .values({
          tenant_id: tenantId,
          notice_type: "webhook_endpoint.disabled",
          locale: "en",
          channel: "email",
          subject: "Hook down: {{url}}",
          body: "Please look at {{url}} today.",
          updated_at: clock.now(),
        })
        .execute(),
    );
    await notifier.notify(
      tenantId,
      {
        type: "webhook_endpoint.disabled",
        recipientKey: "usr_ops",
        locale: "en",
        to: { email: "ops@example.test" },
        vars: { url: "https://hooks.example.test/in" },
      },
      clock.now(),
    );
    expect(smtp.mails[1]!.data).toContain("Subject: Hook down: https://hooks.example.test/in");
    expect(smtp.mails[1]!.data).toContain("Please look at https://hooks.example.test/in today.");

    const records = await t.db.tenantTx(tenantId, (trx) =>
      trx
        .selectFrom("notification_deliveries")
        .selectAll()
        .where("channel", "=", "email")
        .orderBy("id")
        .execute(),
    );
    expect(records.map((r) => [r.status, r.locale, r.subject])).toEqual([
      ["sent", "zh-CN", "Webhook 端点已停用"],
      ["sent", "en", "Hook down: https://hooks.example.test/in"],
    ]);
    notifier.close();
    await smtp.close();
  });

  it("records a delivery to retry when the mail server cannot be reached, and one failed for good", async () => {
    const notifier = new Notifier({ db: t.db, smtpUrl: "smtp://127.0.0.1:1", clock });
    const result = await notifier.notify(
      tenantId,
      { type: "webhook_endpoint.disabled", recipientKey: "x", to: { email: "a@example.test" }, vars: {} },
      clock.now(),
    );
    // A refused connection may pass: the delivery waits for its retry (test/platform-notify-retries.test.ts).
    expect(result.status).toBe("retrying");
    expect(result.deliveries[0]!.error).toMatch(/ECONNREFUSED|connect/);
    notifier.close();

    // Each failure also says why as a code the console names in the reader's language.
    const unconfigured = new Notifier({
      db: t.db,
      sms: {
        send: async () => {
          throw Object.assign(new Error("isv.MOBILE_NUMBER_ILLEGAL"), { permanent: true });
        },
      },
    });
    await unconfigured.notify(
      tenantId,
      {
        type: "webhook_endpoint.disabled",
        recipientKey: "y",
        to: { email: "b@example.test", phone: "+8613800000000" },
        vars: {},
      },
      clock.now(),
    );
    const rows = await t.db.tenantTx(tenantId, (trx) =>
      trx
        .selectFrom("notification_deliveries")
        .select(["recipient", "status", "error", "error_code"])
        .where("tenant_id", "=", tenantId)
        .where("recipient", "in", ["a@example.test", "b@example.test", "+8613800000000"])
        .orderBy("recipient")
        .execute(),
    );
    expect(rows.map((r) => [r.recipient, r.status, r.error_code])).toEqual([
      ["+8613800000000", "failed", "sms_failed"],
      ["a@example.test", "retrying", "email_failed"],
      ["b@example.test", "failed", "email_not_configured"],
    ]);
    expect(rows[0]!.error).toBe("isv.MOBILE_NUMBER_ILLEGAL");
  });
});

describe("in-app inbox", () => {
  it("lists, counts unread and marks read only the actor's own and tenant-wide messages", async () => {
    const notifier = new Notifier({ db: t.db });
    for (const to of ["usr_a", "usr_b", TENANT_INBOX]) {
      await notifier.notify(
        tenantId,
        { type: "file_job.finished", recipientKey: to, to: { inbox: to }, vars: { kind: "export", rows: 3 } },
        clock.now(),
      );
    }
    const counts = await t.db.tenantTx(tenantId, async (trx) => {
      const before = await unreadCount(trx, tenantId, ["usr_a", TENANT_INBOX]);
      const changed = await markRead(trx, tenantId, ["usr_a", TENANT_INBOX], "all", clock.now());
      return {
        before,
        changed,
        after: await unreadCount(trx, tenantId, ["usr_a", TENANT_INBOX]),
        b: await unreadCount(trx, tenantId, ["usr_b"]),
      };
    });
    expect(counts).toEqual({ before: 2, changed: 2, after: 0, b: 1 });
  });
});

describe("caps", () => {
  it("lets at most 4 balance warnings a day through across two worker processes, and resets the next day", async () => {
    const worker = (at: string) =>
      run(
        process.execPath,
        ["--import", "tsx", "test/fixtures/notify-worker.ts", t.url, tenantId, "10", at],
        {
          cwd: process.cwd(),
        },
      );
    const at = "2026-06-01T03:00:00Z";
    const [a, b] = await Promise.all([worker(at), worker(at)]);
    const statuses = [...JSON.parse(a.stdout), ...JSON.parse(b.stdout)] as string[];
    expect(statuses.filter((s) => s === "sent")).toHaveLength(4);
    expect(statuses.filter((s) => s === "capped")).toHaveLength(16);

    const stored = await t.db.tenantTx(tenantId, async (trx) => ({
      inbox: await trx
        .selectFrom("inbox_messages")
        .select("id")
        .where("notice_type", "=", "deposit.balance_low")
        .execute(),
      capped: await trx
        .selectFrom("notification_deliveries")
        .select("id")
        .where("notice_type", "=", "deposit.balance_low")
        .where("status", "=", "capped")
        .execute(),
    }));
    expect(stored.inbox).toHaveLength(4);
    expect(stored.capped).toHaveLength(32); // 16 notices × 2 channels

    // Still the same day in Shanghai (23:59 local) → capped; after local midnight → a new window.
    const notifier = new Notifier({ db: t.db, sms: { send: async () => {} } });
    const send = (iso: string) =>
      notifier.notify(
        tenantId,
        { type: "deposit.balance_low", recipientKey: "dep_account_1", to: { inbox: TENANT_INBOX }, vars: {} },
        new Date(iso),
      );
    expect((await send("2026-06-01T15:59:00Z")).status).toBe("capped");
    expect((await send("2026-06-01T16:00:00Z")).status).toBe("sent");
  });
});
