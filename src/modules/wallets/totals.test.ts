import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { signTestWebhook, testProviderSecret } from "./payment-providers.js";

let t: TestApp;
let tenant: TestTenant;
let key = 0;
async function post(url: string, payload: object) {
  const r = await t.app.inject({
    method: "POST",
    url,
    headers: { ...tenant.auth, "idempotency-key": `k-${++key}` },
    payload,
  });
  expect(r.statusCode, r.body).toBeLessThan(300);
  return json<{ id: string }>(r);
}
const totals = async () =>
  json<Record<string, number> & { today: { from: string; to: string } }>(
    await t.app.inject({ method: "GET", url: "/v1/wallet-totals", headers: tenant.auth }),
  );

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  await t.app.inject({
    method: "PATCH",
    url: "/v1/tenant",
    headers: tenant.auth,
    payload: { timezone: "Asia/Shanghai" },
  });
});
afterAll(async () => t?.close());

describe("totals", () => {
  it("follow the seed's definitions, with today as the tenant's calendar day across midnight", async () => {
    // 15:30 UTC = 23:30 in Shanghai on 2026-11-23.
    t.clock.set(new Date("2026-11-23T15:30:00Z"));
    const m = (await post("/v1/members", { name: "T" })).id;
    await post(`/v1/members/${m}/top-ups`, { amount: 10_000, bonus_amount: 1_000 }); // today: +10,000 (bonus excluded)
    await post(`/v1/members/${m}/rewards`, { account: "balance", amount: 500, source: "promotion" }); // excluded
    await post("/v1/wallet-payments", {
      member_id: m,
      order_id: "O1",
      currency: "CNY",
      lines: [],
      amount_due: 2_000,
      external_method: "none",
    });
    await post(`/v1/members/${m}/withdrawals`, { amount: 300 }); // not consumption
    let now = await totals();
    expect(now.today).toEqual({ from: "2026-11-22T16:00:00.000Z", to: "2026-11-23T16:00:00.000Z" });
    expect(now).toMatchObject({
      today_increase: 10_000,
      today_consumption: 2_000,
      total_consumption: 2_000,
      total_balance: 9_200,
    });

    // 16:10 UTC = 00:10 on 2026-11-24 in Shanghai: a new day, though still the 23rd in UTC.
    t.clock.set(new Date("2026-11-23T16:10:00Z"));
    now = await totals();
    expect(now).toMatchObject({
      today_increase: 0,
      today_consumption: 0,
      total_consumption: 2_000,
      total_balance: 9_200,
    });

    const intent = await post(`/v1/members/${m}/topup-intents`, { amount: 700 });
    const ref = (
      await t.database.owner
        .selectFrom("wallet_topup_intents")
        .select("provider_ref")
        .where("id", "=", intent.id)
        .executeTakeFirstOrThrow()
    ).provider_ref;
    const signed = signTestWebhook(
      testProviderSecret(t.config.signingSecret),
      { id: "evt_1", provider_ref: ref, status: "succeeded", amount: 700, currency: "CNY" },
      t.clock.now(),
    );
    await t.app.inject({
      method: "POST",
      url: `/v1/payment-webhooks/test/${tenant.tenantId}`,
      headers: { "content-type": "application/json", ...signed.headers },
      payload: signed.body,
    });
    const paid = await post("/v1/wallet-payments", {
      member_id: m,
      order_id: "O2",
      currency: "CNY",
      lines: [],
      amount_due: 1_000,
      external_method: "none",
    });
    await post(`/v1/wallet-payments/${paid.id}/refunds`, { amount: 400 });
    now = await totals();
    // today: the online top-up only; payments of today 1,000 (refunds not subtracted); all time net of refunds
    expect(now).toMatchObject({
      today_increase: 700,
      today_consumption: 1_000,
      total_consumption: 2_600,
      total_balance: 9_300,
    });
  });

  it("per day: top-ups and consumption by the same rules, and the balance each tenant day closed with", async () => {
    // Still 00:10 on 2026-11-24 in Shanghai: the first test's days, read back as a series.
    const daily = async (q: string) =>
      t.app.inject({ method: "GET", url: `/v1/wallet-daily-totals${q}`, headers: tenant.auth });
    const answer = await daily("?days=3");
    expect(answer.statusCode, answer.body).toBe(200);
    const series = json<{ timezone: string; data: Record<string, unknown>[] }>(answer);
    expect(series.timezone).toBe("Asia/Shanghai");
    expect(series.data).toEqual([
      { date: "2026-11-22", topups: 0, consumption: 0, closing_balance: 0 },
      // top-up 10,000 + bonus 1,000 + reward 500 − payment 2,000 − withdrawal 300
      { date: "2026-11-23", topups: 10_000, consumption: 2_000, closing_balance: 9_200 },
      { date: "2026-11-24", topups: 700, consumption: 1_000, closing_balance: 9_300 },
    ]);
    expect(json<{ data: unknown[] }>(await daily("")).data).toHaveLength(30);
    expectProblem(await daily("?days=0"), 400, "validation_failed");
    expectProblem(await daily("?days=91"), 400, "validation_failed");
  });
});

describe("change log", () => {
  it("lists every change with running balance, filters it and exports it", async () => {
    const m = (await post("/v1/members", { name: "Log" })).id;
    await post(`/v1/members/${m}/top-ups`, { amount: 1_000, reason: "=cmd|' /C calc'!A0" });
    await post(`/v1/members/${m}/rewards`, {
      account: "balance",
      amount: 100,
      source: "form",
      source_ref: "sub_9",
    });
    await post("/v1/wallet-payments", {
      member_id: m,
      order_id: "L1",
      currency: "CNY",
      lines: [],
      amount_due: 300,
      external_method: "none",
    });
    await post(`/v1/members/${m}/points`, { operation: "earn", points: 10 });
    const list = async (q = "") =>
      json<{ data: Record<string, unknown>[]; has_more: boolean }>(
        await t.app.inject({
          method: "GET",
          url: `/v1/members/${m}/balance-changes${q}`,
          headers: tenant.auth,
        }),
      );
    const all = await list();
    expect(all.data.map((c) => [c.kind, c.amount, c.balance_after])).toEqual([
      ["points_earn", 10, 10],
      ["payment", -300, 800],
      ["reward", 100, 1_100],
      ["topup_offline", 1_000, 1_000],
    ]);
    expect(all.data[1]).toMatchObject({ order_id: "L1", actor_type: "api_key" });
    expect((await list("?account=balance")).data).toHaveLength(3);
    expect((await list("?kind=reward&kind=payment")).data).toHaveLength(2);
    expect((await list("?source=form")).data[0]).toMatchObject({ source_ref: "sub_9" });
    const page = await list("?limit=2");
    expect(page.has_more).toBe(true);
    const rest = await list(`?limit=2&starting_after=${page.data[1]!.id}`);
    expect(rest.data.map((c) => c.kind)).toEqual(["reward", "topup_offline"]);
    expectProblem(
      await t.app.inject({
        method: "GET",
        url: `/v1/members/${m}/balance-changes?kind=gift`,
        headers: tenant.auth,
      }),
      400,
      "validation_failed",
    );

    const csv = await t.app.inject({
      method: "GET",
      url: `/v1/members/${m}/balance-changes/export?format=csv&account=balance`,
      headers: tenant.auth,
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    const lines = csv.body.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(csv.body).toContain("'=cmd");
    const xlsx = await t.app.inject({
      method: "GET",
      url: `/v1/members/${m}/balance-changes/export?format=xlsx`,
      headers: tenant.auth,
    });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets[0]!.rowCount).toBe(5);
  });
});
