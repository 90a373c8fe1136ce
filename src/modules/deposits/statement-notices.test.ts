import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp } from "../../../test/helpers/app.js";
import {
  accountOf,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  type Merchant,
  ok,
  openConfigured,
  topUp,
} from "../../../test/helpers/deposits.js";
import { startSmtpServer } from "../../../test/helpers/smtp.js";
import { waitFor } from "../../../test/helpers/wait.js";
import type { AppDeps } from "../../app-types.js";
import {
  createFileJob,
  type FileDeps,
  getFileJob,
  runFileJob,
  saveUpload,
} from "../../platform/files/file-jobs.js";
import { Notifier } from "../../platform/notify/notifier.js";
import { recheckTenant } from "./recheck.js";

let t: TestApp;
let w: DepositWorld;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let dataDir: string;
const sms: { to: string; text: string }[] = [];

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestApp({
    extend: (base) =>
      ({
        notifier: new Notifier({
          db: base.db,
          smtpUrl: smtp.url,
          sms: { send: async (to, text) => void sms.push({ to, text }) },
        }),
      }) as Partial<AppDeps>,
  });
  w = await depositWorld(t, await createTestTenant(t));
  dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-statement-notices-"));
});
afterAll(async () => {
  t?.deps.notifier?.close();
  await t?.close();
  await smtp?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const mailsTo = (email: string) => smtp.mails.filter((m) => m.to.includes(email));
const textsTo = (phone: string) => sms.filter((s) => s.to === phone);

/**
 * An active account whose breaker is tripped (available 500.00 below the 1,000.00 threshold)
 * and an open top-up application of 3,000.00: matching it resumes the campaigns.
 */
async function trippedWithApplication(n: number) {
  const m = await createMerchant(w);
  const email = `ops-${n}@merchant.example`;
  const phone = `1390000000${n}`;
  const id = await openConfigured(w, m, { warning_value: 0, emails: [email], phones: [phone] });
  await topUp(w, m, id, 300_000);
  ok(
    await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/freezes`, {
      order_id: `N${n}`,
      amount: 250_000,
    }),
    201,
  );
  expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 50_000, campaigns_suspended: true });
  // The suspension caused through the API was sent at once.
  expect(mailsTo(email)).toHaveLength(1);
  expect(textsTo(phone)).toHaveLength(1);
  ok(await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }), 201);
  return { m, id, email, phone };
}

const statement = (m: Merchant, bankTxn: string) =>
  [
    "bank_transaction_id,payer_name,amount,received_at",
    `${bankTxn},${m.company},3000.00,${t.clock.now().toISOString()}`,
  ].join("\n");

async function resumedDeliveries() {
  return t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
    trx
      .selectFrom("notification_deliveries")
      .select(["channel", "recipient", "status"])
      .where("notice_type", "=", "deposit.campaigns_resumed")
      .orderBy("id")
      .execute(),
  );
}

describe("notices caused by a bank statement import", () => {
  it("are sent by email, SMS and inbox once the import committed, like those caused through the API", async () => {
    const { m, id, email, phone } = await trippedWithApplication(1);
    const upload = await t.app.inject({
      method: "POST",
      url: "/v1/imports?type=deposit_bank_statement",
      headers: { ...w.finance, "content-type": "text/csv" },
      payload: statement(m, "SN-1"),
    });
    expect(upload.statusCode, upload.body).toBe(202);
    const jobId = json<{ id: string }>(upload).id;
    const job = await waitFor(async () => {
      const j = json<{ status: string }>(await call(w, w.finance, "GET", `/v1/imports/${jobId}`));
      return j.status === "succeeded" || j.status === "failed" ? j : undefined;
    }, "the import to finish");
    expect(job.status).toBe("succeeded");
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 350_000, campaigns_suspended: false });

    // The import's notices are sent once its transaction (which records its end) committed.
    await waitFor(
      () => mailsTo(email).length >= 2 && textsTo(phone).length >= 2,
      "the import's notices to be sent",
      10_000,
    );
    expect(mailsTo(email)).toHaveLength(2);
    expect(textsTo(phone)).toHaveLength(2);
    // Each outcome is recorded after its message left, so the records may trail the mail.
    await waitFor(
      async () => (await resumedDeliveries()).length >= 3 || undefined,
      "the deliveries' outcomes to be recorded",
      10_000,
    );
    expect(await resumedDeliveries()).toEqual(
      expect.arrayContaining([
        { channel: "email", recipient: email, status: "sent" },
        { channel: "sms", recipient: phone, status: "sent" },
        expect.objectContaining({ channel: "inbox", status: "sent" }),
      ]),
    );
  });

  it("survive a job that stopped after its commit: the retry sends nothing twice, the re-check sends what was left once", async () => {
    const { m, id, email, phone } = await trippedWithApplication(2);
    const tenantId = w.tenant.tenantId;
    const job = await t.deps.db.tenantTx(tenantId, (trx) =>
      createFileJob(
        trx,
        tenantId,
        { kind: "import", type: "deposit_bank_statement", format: "csv", createdBy: "k" },
        t.clock.now(),
      ),
    );
    const saved = await saveUpload(dataDir, tenantId, job.id, "csv", Readable.from([statement(m, "SN-2")]));
    await t.deps.db.tenantTx(tenantId, (trx) =>
      trx
        .updateTable("file_jobs")
        .set({ file_path: saved.relative, file_size: saved.size })
        .where("id", "=", job.id)
        .execute(),
    );
    // A process without a way to send (it stopped right after the import committed).
    const stopped: FileDeps = { db: t.deps.db, dataDir };
    await runFileJob(stopped, tenantId, job.id, () => t.clock.now());
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 350_000, campaigns_suspended: false });
    expect(mailsTo(email)).toHaveLength(1);

    // The queue runs the job again, as it does for one that never reported its end.
    await t.deps.db.tenantTx(tenantId, (trx) =>
      trx.updateTable("file_jobs").set({ status: "running" }).where("id", "=", job.id).execute(),
    );
    const live = { db: t.deps.db, dataDir, notifier: t.deps.notifier } as FileDeps;
    await runFileJob(live, tenantId, job.id, () => t.clock.now());
    expect((await t.deps.db.tenantTx(tenantId, (trx) => getFileJob(trx, tenantId, job.id))).status).toBe(
      "succeeded",
    );
    expect((await accountOf(w, m.auth, id)).available).toBe(350_000);

    await recheckTenant(t.deps, tenantId, t.clock.now());
    expect(mailsTo(email)).toHaveLength(2);
    expect(textsTo(phone)).toHaveLength(2);
    expect(mailsTo(email)[1]!.data).toMatch(/^Subject: /m);
    await recheckTenant(t.deps, tenantId, t.clock.now());
    await runFileJob(live, tenantId, job.id, () => t.clock.now());
    expect(mailsTo(email)).toHaveLength(2);
    expect(textsTo(phone)).toHaveLength(2);
  });
});
