import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp } from "../../../test/helpers/app.js";
import {
  accountOf,
  activeAccount,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  ok,
  openConfigured,
  topUp,
} from "../../../test/helpers/deposits.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import type { AppDeps } from "../../app-types.js";
import { runDue } from "../../platform/jobs/schedules.js";
import { Notifier } from "../../platform/notify/notifier.js";
import { RECHECK_JOB } from "./credit-topup.js";
import { depositJobs, recheckTenant } from "./recheck.js";

let t: TestApp;
let w: DepositWorld;
const sms: { to: string; text: string }[] = [];

beforeAll(async () => {
  t = await createTestApp({
    extend: (base) =>
      ({
        notifier: new Notifier({
          db: base.db,
          sms: { send: async (to, text) => void sms.push({ to, text }) },
        }),
      }) as Partial<AppDeps>,
  });
  w = await depositWorld(t, await createTestTenant(t)); // Asia/Shanghai, UTC+8
});
afterAll(async () => t?.close());

const freeze = (accountId: string, orderId: string, amount: number) =>
  call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${accountId}/freezes`, { order_id: orderId, amount });
const release = (accountId: string, orderId: string, amount?: number) =>
  call(
    w,
    w.tenant.auth,
    "POST",
    `/v1/deposit-accounts/${accountId}/orders/${orderId}/release`,
    amount ? { amount } : {},
  );

async function campaign(
  merchant: { id: string; auth: { authorization: string } },
  startDays: number,
  endDays: number,
) {
  const now = t.clock.now().getTime();
  return ok<{ id: string; status: string }>(
    await call(w, merchant.auth, "POST", "/v1/deposit-campaigns", {
      merchant_id: merchant.id,
      name: `c ${startDays}..${endDays}`,
      starts_at: new Date(now + startDays * 86_400_000).toISOString(),
      ends_at: new Date(now + endDays * 86_400_000).toISOString(),
    }),
    201,
  );
}

async function campaignStatuses(merchantId: string) {
  const list = ok<{ data: { id: string; status: string; suspended_by_breaker: boolean }[] }>(
    await call(w, w.tenant.auth, "GET", `/v1/deposit-campaigns?merchant_id=${merchantId}`),
  );
  return Object.fromEntries(list.data.map((c) => [c.id, c.status]));
}

/** The account's campaign-start notices, or (`started` false) the breaker's and the warning's. */
async function noticeRows(accountId: string, started = false) {
  return t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
    trx
      .selectFrom("deposit_notices")
      .select(["kind", "created_at", "campaign_id", "available"])
      .where("account_id", "=", accountId)
      .where("kind", started ? "=" : "!=", "started")
      .orderBy("id")
      .execute(),
  );
}
const notices = (accountId: string) => noticeRows(accountId);

/** Runs what the scheduler finds due at the clock's time, as the job runner would. */
async function runSchedules() {
  const enqueued: { name: string; tenantId: string }[] = [];
  await runDue(
    t.deps.db,
    async (_trx, name, data) => void enqueued.push({ name, tenantId: String(data.tenantId) }),
    t.clock.now(),
  );
  for (const job of enqueued) {
    expect(job.name).toBe(RECHECK_JOB);
    await recheckTenant(t.deps, job.tenantId, t.clock.now());
  }
  return enqueued.length;
}

describe("circuit breaker", () => {
  it("suspends below 1,000.00 (not at it) and resumes exactly the campaigns it suspended above it", async () => {
    t.clock.set("2026-11-23T08:00:00Z");
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const running = await campaign(m, 0, 20);
    const later = await campaign(m, 1, 40);
    const past = await campaign(m, -10, -1);
    expect([running.status, later.status, past.status]).toEqual(["running", "not_started", "ended"]);

    ok(await freeze(id, "O1", 200_000), 201);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 100_000, campaigns_suspended: false });
    ok(await freeze(id, "O2", 1), 201);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 99_999, campaigns_suspended: true });
    expect(await campaignStatuses(m.id)).toEqual({
      [running.id]: "suspended",
      [later.id]: "suspended",
      [past.id]: "ended",
    });
    // Back to exactly the threshold: still suspended (it resumes only above it).
    ok(await release(id, "O2"));
    expect((await accountOf(w, m.auth, id)).campaigns_suspended).toBe(true);

    // 25 days later a top-up resumes at once: the campaign whose end passed is ended, the other runs.
    t.clock.advanceDays(25);
    await topUp(w, m, id, 300_000);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 400_000, campaigns_suspended: false });
    expect(await campaignStatuses(m.id)).toEqual({
      [running.id]: "ended",
      [later.id]: "running",
      [past.id]: "ended",
    });
    expect((await notices(id)).map((n) => n.kind)).toEqual(["suspended", "resumed"]);
    expect(sms.filter((s) => s.text.includes("100000") || s.text.includes("999.99")).length).toBeGreaterThan(
      0,
    );
    const events = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("events").select("type").where("type", "like", "deposit.campaigns_%").execute(),
    );
    expect(events.map((e) => e.type).sort()).toEqual([
      "deposit.campaigns_resumed",
      "deposit.campaigns_suspended",
    ]);
  });

  it("re-checks every 20 minutes: a changed threshold takes effect at the next run", async () => {
    t.clock.set("2026-12-01T02:05:00Z");
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    await campaign(m, 0, 10);
    ok(await freeze(id, "R1", 220_000), 201);
    expect((await accountOf(w, m.auth, id)).campaigns_suspended).toBe(true); // 80,000 < 100,000
    // The platform lowers the default; nothing changes until the schedule's next run.
    ok(await call(w, w.tenant.auth, "PATCH", "/v1/deposit-settings", { suspension_threshold: 50_000 }));
    t.clock.set("2026-12-01T02:19:59Z");
    expect(await runSchedules()).toBe(0);
    expect((await accountOf(w, m.auth, id)).campaigns_suspended).toBe(true);
    t.clock.set("2026-12-01T02:20:00Z");
    expect(await runSchedules()).toBe(1);
    expect((await accountOf(w, m.auth, id)).campaigns_suspended).toBe(false);
    t.clock.set("2026-12-01T02:39:59Z");
    expect(await runSchedules()).toBe(0);
    t.clock.set("2026-12-01T02:40:00Z");
    expect(await runSchedules()).toBe(1);
    ok(await call(w, w.tenant.auth, "PATCH", "/v1/deposit-settings", { suspension_threshold: 100_000 }));
  });

  it("a withdrawal request from 3,000.00 down to 500.00 suspends at once, not at the next re-check", async () => {
    t.clock.set("2026-12-01T05:05:00Z");
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const running = await campaign(m, 0, 10);
    const withdrawal = ok<{ id: string; status: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/withdrawals`, { amount: 250_000 }),
      201,
    );
    expect(withdrawal.status).toBe("requested");
    // Same clock instant: no schedule ran in between.
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 50_000, campaigns_suspended: true });
    expect(await campaignStatuses(m.id)).toEqual({ [running.id]: "suspended" });
    expect((await notices(id)).map((n) => n.kind)).toEqual(["suspended"]);
    // Finance rejects it: the hold is released and the campaign resumes at once.
    ok(await call(w, w.tenant.auth, "POST", `/v1/deposit-withdrawals/${withdrawal.id}/reject`, {}));
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 300_000, campaigns_suspended: false });
    expect(await campaignStatuses(m.id)).toEqual({ [running.id]: "running" });
  });
});

describe("a closed account", () => {
  /** An active account emptied by a paid withdrawal, with a threshold of 0 so nothing suspended yet. */
  async function emptiedWithCampaigns() {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { suspension_threshold: 0 }));
    const running = await campaign(m, 0, 20);
    const later = await campaign(m, 1, 40);
    const wd = ok<{ id: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/withdrawals`, { amount: 300_000 }),
      201,
    );
    ok(await call(w, w.finance, "POST", `/v1/deposit-withdrawals/${wd.id}/approve`, {}));
    ok(await call(w, w.finance, "POST", `/v1/deposit-withdrawals/${wd.id}/pay`, {}));
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      balance: 0,
      available: 0,
      campaigns_suspended: false,
    });
    expect(await campaignStatuses(m.id)).toEqual({ [running.id]: "running", [later.id]: "not_started" });
    return { m, id, running, later };
  }

  it("suspends its not-started and running campaigns when it closes: it can fund none of them", async () => {
    t.clock.set("2026-11-23T08:00:00Z");
    const { m, id, running, later } = await emptiedWithCampaigns();
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { status: "closed" }));
    expect(await campaignStatuses(m.id)).toEqual({ [running.id]: "suspended", [later.id]: "suspended" });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "closed", campaigns_suspended: true });
    expect((await notices(id)).map((n) => n.kind)).toEqual(["suspended"]);
    // The re-check never resumes them while it is closed.
    t.clock.advanceDays(2);
    await recheckTenant(t.deps, w.tenant.tenantId, t.clock.now());
    expect(await campaignStatuses(m.id)).toEqual({ [running.id]: "suspended", [later.id]: "suspended" });
    expect((await notices(id)).map((n) => n.kind)).toEqual(["suspended"]);
  });

  it("has the re-check suspend campaigns a closed account still left running", async () => {
    t.clock.set("2026-11-23T08:00:00Z");
    const { m, id, running, later } = await emptiedWithCampaigns();
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { status: "closed" }));
    // As an account closed before closing suspended anything left them.
    await t.deps.db.tenantTx(w.tenant.tenantId, async (trx) => {
      await trx
        .updateTable("deposit_campaigns")
        .set({ status: "running", suspended_by_breaker: false })
        .where("id", "=", running.id)
        .execute();
      await trx
        .updateTable("deposit_campaigns")
        .set({ status: "not_started", suspended_by_breaker: false })
        .where("id", "=", later.id)
        .execute();
      await trx
        .updateTable("deposit_accounts")
        .set({ breaker_tripped: false })
        .where("id", "=", id)
        .execute();
    });
    await recheckTenant(t.deps, w.tenant.tenantId, t.clock.now());
    expect(await campaignStatuses(m.id)).toEqual({ [running.id]: "suspended", [later.id]: "suspended" });
    expect((await accountOf(w, m.auth, id)).campaigns_suspended).toBe(true);
  });
});

describe("the merchant's own suspension and warning amounts", () => {
  const configure = (
    m: { auth: { authorization: string } },
    id: string,
    body: { warning_value: number; suspension_threshold?: number | null },
  ) =>
    call(w, m.auth, "PUT", `/v1/deposit-accounts/${id}/warning-settings`, {
      emails: ["ops@merchant.example"],
      phones: ["13800138000"],
      ...body,
    });
  const limits = async (m: { auth: { authorization: string } }, id: string) =>
    ok<{
      suspension_threshold: number;
      suspension_threshold_minimum: number;
      merchant_threshold: number | null;
      warning_value: number;
      campaigns_suspended: boolean;
    }>(await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}`));

  it("never below the platform's 1,000.00; a raised amount suspends at once, clearing it resumes", async () => {
    t.clock.set("2026-12-02T01:00:00Z");
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const running = await campaign(m, 0, 10);
    const refused = await configure(m, id, { warning_value: 400_000, suspension_threshold: 99_999 });
    expectCode(refused, 422, "suspension_threshold_below_minimum");
    expect(json<{ minimum: number }>(refused).minimum).toBe(100_000);
    // Nothing written on the refusal.
    expect(await limits(m, id)).toMatchObject({ warning_value: 0, merchant_threshold: null });

    // Exactly the minimum is allowed; 3,000.00 available stays above it.
    ok(await configure(m, id, { warning_value: 400_000, suspension_threshold: 100_000 }));
    expect(await limits(m, id)).toMatchObject({
      suspension_threshold: 100_000,
      suspension_threshold_minimum: 100_000,
      merchant_threshold: 100_000,
      warning_value: 400_000,
      campaigns_suspended: false,
    });
    // 3,500.00 > 3,000.00 available: suspended by the save itself, no re-check needed.
    ok(await configure(m, id, { warning_value: 400_000, suspension_threshold: 350_000 }));
    expect(await limits(m, id)).toMatchObject({ suspension_threshold: 350_000, campaigns_suspended: true });
    expect(await campaignStatuses(m.id)).toEqual({ [running.id]: "suspended" });
    // Leaving the amount out keeps it.
    ok(await configure(m, id, { warning_value: 450_000 }));
    expect(await limits(m, id)).toMatchObject({ merchant_threshold: 350_000, warning_value: 450_000 });
    // Back to the platform's amount: 3,000.00 > 1,000.00 resumes at once.
    ok(await configure(m, id, { warning_value: 450_000, suspension_threshold: null }));
    expect(await limits(m, id)).toMatchObject({
      suspension_threshold: 100_000,
      merchant_threshold: null,
      campaigns_suspended: false,
    });
    expect(await campaignStatuses(m.id)).toEqual({ [running.id]: "running" });
    expect((await notices(id)).map((n) => n.kind)).toEqual(["suspended", "resumed"]);
  });

  it("goes below 1,000.00 only where finance allows it; finance's higher amount wins", async () => {
    t.clock.set("2026-12-02T02:00:00Z");
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    await campaign(m, 0, 10);
    // Finance allows this merchant down to 500.00.
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { suspension_threshold: 50_000 }));
    expectCode(
      await configure(m, id, { warning_value: 100_000, suspension_threshold: 49_999 }),
      422,
      "suspension_threshold_below_minimum",
    );
    ok(await configure(m, id, { warning_value: 100_000, suspension_threshold: 60_000 }));
    expect(await limits(m, id)).toMatchObject({
      suspension_threshold: 60_000,
      suspension_threshold_minimum: 50_000,
    });
    // 3,000.00 − 2,450.00 frozen = 550.00: below the merchant's 600.00 though above the platform's floor.
    ok(await freeze(id, "ML1", 245_000), 201);
    expect(await limits(m, id)).toMatchObject({ campaigns_suspended: true });
    ok(await release(id, "ML1"));
    expect(await limits(m, id)).toMatchObject({ campaigns_suspended: false });
    // Finance later demands 4,000.00: above the merchant's own amount, so it applies, at once.
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { suspension_threshold: 400_000 }));
    expect(await limits(m, id)).toMatchObject({
      suspension_threshold: 400_000,
      merchant_threshold: 60_000,
      campaigns_suspended: true,
    });
  });
});

describe("campaign start notices", () => {
  const deliveries = () =>
    t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx
        .selectFrom("notification_deliveries")
        .select(["channel", "recipient", "subject"])
        .where("notice_type", "=", "deposit.campaign_started")
        .orderBy("id")
        .execute(),
    );
  const started = async (accountId: string) =>
    (await noticeRows(accountId, true)).map((n) => ({ campaign_id: n.campaign_id, available: n.available }));

  it("announces each campaign's start once: at creation, at the re-check, after a resume", async () => {
    t.clock.set("2026-12-03T00:05:00Z");
    const m = await createMerchant(w);
    const id = await openConfigured(w, m, { warning_value: 0, phones: ["13900000077"], emails: [] });
    await topUp(w, m, id, 300_000);
    const before = (await deliveries()).length;
    // Running from its creation: announced at once, by SMS and to the opener's inbox.
    const now = await campaign(m, 0, 10);
    expect(await started(id)).toEqual([{ campaign_id: now.id, available: 300_000 }]);
    const sent = (await deliveries()).slice(before);
    expect(sent.map((d) => d.channel).sort()).toEqual(["inbox", "sms"]);
    expect(sms.some((x) => x.to === "13900000077" && x.text.includes("c 0..10"))).toBe(true);

    // Starts tomorrow: announced by the first re-check after its start, once.
    const tomorrow = await campaign(m, 1, 10);
    const suspendedFirst = await campaign(m, 2, 10);
    t.clock.set("2026-12-04T00:20:00Z");
    await recheckTenant(t.deps, w.tenant.tenantId, t.clock.now());
    t.clock.set("2026-12-04T00:40:00Z");
    await recheckTenant(t.deps, w.tenant.tenantId, t.clock.now());
    expect((await started(id)).map((n) => n.campaign_id)).toEqual([now.id, tomorrow.id]);

    // The third is suspended before it starts (3,000.00 → 500.00 by a freeze of 2,500.00)...
    ok(await freeze(id, "S-1", 250_000), 201);
    t.clock.set("2026-12-05T01:00:00Z");
    await recheckTenant(t.deps, w.tenant.tenantId, t.clock.now());
    expect((await started(id)).map((n) => n.campaign_id)).toEqual([now.id, tomorrow.id]);
    // ...and starts when the release resumes it; the two that ran before are not announced again.
    ok(await release(id, "S-1"));
    expect(await started(id)).toEqual([
      { campaign_id: now.id, available: 300_000 },
      { campaign_id: tomorrow.id, available: 300_000 },
      { campaign_id: suspendedFirst.id, available: 300_000 },
    ]);
    expect(await campaignStatuses(m.id)).toMatchObject({
      [now.id]: "running",
      [tomorrow.id]: "running",
      [suspendedFirst.id]: "running",
    });
    expect((await deliveries()).slice(before)).toHaveLength(6);
  });
});

describe("balance warnings", () => {
  it("sends at most 4 a day per account, the day counted in the tenant's time zone across midnight", async () => {
    t.clock.set("2026-11-25T13:50:00Z");
    const m = await createMerchant(w);
    const id = await openConfigured(w, m, { warning_value: 500_000, phones: ["13900000001"] });
    await topUp(w, m, id, 300_000);
    const before = sms.length;
    // 22:00 to 02:00 Shanghai time, every 20 minutes: 6 runs before local midnight, 7 after.
    for (
      let at = Date.parse("2026-11-25T14:00:00Z");
      at <= Date.parse("2026-11-25T18:00:00Z");
      at += 20 * 60_000
    ) {
      t.clock.set(new Date(at));
      await runSchedules();
    }
    const warnings = (await notices(id)).filter((n) => n.kind === "warning");
    const byLocalDay = new Map<string, number>();
    for (const n of warnings) {
      const day = new Date(n.created_at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
      byLocalDay.set(day, (byLocalDay.get(day) ?? 0) + 1);
    }
    expect(Object.fromEntries(byLocalDay)).toEqual({ "2026-11-25": 4, "2026-11-26": 4 });
    // In UTC all 13 runs fall on one day: the split proves the zone is the tenant's.
    expect(warnings.every((n) => n.created_at.toISOString().startsWith("2026-11-25"))).toBe(true);
    expect(sms.slice(before).filter((s) => s.to === "13900000001")).toHaveLength(8);
    // No warning while available is at or above the warning value.
    await topUp(w, m, id, 300_000);
    t.clock.set("2026-11-26T18:20:00Z");
    await runSchedules();
    expect((await notices(id)).filter((n) => n.kind === "warning")).toHaveLength(8);
  });
});

describe("an account whose check fails", () => {
  it("holds back none of the tenant's other accounts; their notices go out and the run fails naming it", async () => {
    t.clock.set("2026-12-10T02:00:00Z");
    // A tenant of its own: the broken account must not fail the other tests' re-checks.
    const own = await depositWorld(t, await createTestTenant(t, "One broken account"));
    const broken = await activeAccount(own, await createMerchant(own), 300_000);
    const m = await createMerchant(own);
    const healthy = await openConfigured(own, m, {
      warning_value: 500_000,
      phones: ["13900000099"],
      emails: [],
    });
    await topUp(own, m, healthy, 300_000);
    const c = ok<{ id: string }>(
      await call(own, m.auth, "POST", "/v1/deposit-campaigns", {
        merchant_id: m.id,
        name: "broken-neighbour",
        starts_at: "2026-12-11T00:00:00Z",
        ends_at: "2026-12-20T00:00:00Z",
      }),
      201,
    );
    // The broken account is listed first; its deposit ledger account cannot be read.
    expect(broken < healthy).toBe(true);
    const ledgerAccount = (
      await t.database.owner
        .selectFrom("deposit_accounts")
        .select("ledger_account_id")
        .where("id", "=", broken)
        .executeTakeFirstOrThrow()
    ).ledger_account_id;
    const corrupt = (id: string) =>
      t.database.owner
        .updateTable("deposit_accounts")
        .set({ ledger_account_id: id })
        .where("tenant_id", "=", own.tenant.tenantId)
        .where("id", "=", broken)
        .execute();
    await corrupt("missing-ledger-account");

    t.clock.set("2026-12-11T00:20:00Z");
    const before = sms.length;
    const [job] = depositJobs(t.deps);
    await expect(
      job!.handler({ tenantId: own.tenant.tenantId }, { id: "run-1", name: RECHECK_JOB, retryCount: 0 }),
    ).rejects.toThrow(
      `1 deposit account check(s) failed: ${broken}: ledger accounts of ${broken} are missing`,
    );
    // The other account was re-checked in the same run: its campaign started, its warning was
    // due (3,000.00 below 5,000.00), and both notices were sent.
    const status = await own.t.deps.db.tenantTx(own.tenant.tenantId, (trx) =>
      trx.selectFrom("deposit_campaigns").select("status").where("id", "=", c.id).executeTakeFirstOrThrow(),
    );
    expect(status.status).toBe("running");
    const kinds = await t.deps.db.tenantTx(own.tenant.tenantId, (trx) =>
      trx.selectFrom("deposit_notices").select("kind").where("account_id", "=", healthy).execute(),
    );
    expect(kinds.map((k) => k.kind).sort()).toEqual(["started", "warning"]);
    const sent = sms.slice(before).filter((s) => s.to === "13900000099");
    expect(sent).toHaveLength(2);
    // Run by hand, the re-check answers which account failed instead of a 500.
    const manual = await call(own, own.tenant.auth, "POST", "/v1/deposit-checks", {});
    expect(manual.statusCode, manual.body).toBe(200);
    expect(JSON.parse(manual.body)).toMatchObject({
      checked: 1,
      failed: [{ account_id: broken, reason: `ledger accounts of ${broken} are missing` }],
    });

    // Once repaired, the next run checks it too.
    await corrupt(ledgerAccount);
    t.clock.set("2026-12-11T00:40:00Z");
    const again = await recheckTenant(t.deps, own.tenant.tenantId, t.clock.now());
    expect(again.checked).toBe(2);
    await tenantTrail(t, own.tenant.tenantId).ledgerClean();
  });
});
