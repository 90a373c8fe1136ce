import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyLedger } from "../../src/ledger/index.js";
import { runWalletExpiry, signTestWebhook, testProviderSecret } from "../../src/modules/wallets/index.js";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "../helpers/app.js";
import { expectProblem } from "../helpers/problem.js";
import { memberAuth } from "../helpers/vouchers.js";
import { walletClient } from "../helpers/wallets.js";

/**
 * Seed 004 as a story, in a shop in Shanghai: a Gold member gets a cash top-up with a bonus,
 * a form reward and referral points; tops up online from the member center (the provider
 * confirms twice); pays one order wholly by balance and one partly (online rest, which
 * times out, then again, which succeeds); gets a partial refund; an operator records an
 * offline withdrawal. The change log, the totals of the day and the ledger agree throughout.
 */
let t: TestApp;
let tenant: TestTenant;
let api: ReturnType<typeof walletClient>;
let MEMBER = "";

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Tea house");
  api = walletClient(t, tenant);
  t.clock.set(new Date("2026-11-27T02:00:00Z")); // 10:00 in Shanghai
  await api.ok("PATCH", "/v1/tenant", { timezone: "Asia/Shanghai" });
  await api.ok("POST", "/v1/card-plans", {
    code: "standard",
    name: "Standard",
    validity: { kind: "relative", days: 365 },
    tiers: [
      { code: "silver", name: "Silver", rank: 1 },
      { code: "gold", name: "Gold", rank: 2 },
    ],
  });
  MEMBER = (
    await api.ok<{ id: string }>("POST", "/v1/members", { name: "Lin", phone: "13800000000", tier: "gold" })
  ).id;
});
afterAll(async () => t?.close());

describe("a member's balance through one day", () => {
  it("credits from every source land in the right account", async () => {
    await api.ok("POST", `/v1/members/${MEMBER}/top-ups`, {
      amount: 20_000,
      bonus_amount: 2_000,
      reason: "cash at the till",
    });
    await api.ok("POST", `/v1/members/${MEMBER}/rewards`, {
      account: "balance",
      amount: 500,
      source: "form",
      source_ref: "survey-7",
    });
    await api.ok("POST", `/v1/members/${MEMBER}/rewards`, {
      account: "referral_points",
      amount: 1_000,
      source: "referral",
    });
    const ex = await api.ok<{ credited: number }>("POST", `/v1/members/${MEMBER}/exchanges`, {
      from: "referral_points",
      points: 1_000,
      points_per_unit: "100",
    });
    expect(ex.credited).toBe(1_000);
    expect(await api.balance(MEMBER)).toMatchObject({
      principal: 20_000,
      bonus: 3_500,
      total: 23_500,
      referral_points: 0,
    });
  });

  it("an online top-up from the member center is credited once", async () => {
    const auth = await memberAuth(t, tenant, MEMBER);
    const r = await t.app.inject({
      method: "POST",
      url: `/v1/members/${MEMBER}/topup-intents`,
      headers: { ...auth, "idempotency-key": "member-topup-1" },
      payload: { amount: 5_000 },
    });
    const intent = json<{ id: string }>(r);
    const { provider_ref } = await t.database.owner
      .selectFrom("wallet_topup_intents")
      .select("provider_ref")
      .where("id", "=", intent.id)
      .executeTakeFirstOrThrow();
    const signed = signTestWebhook(
      testProviderSecret(t.config.signingSecret),
      { id: "evt_pay_1", provider_ref, status: "succeeded", amount: 5_000, currency: "CNY" },
      t.clock.now(),
    );
    const send = () =>
      t.app.inject({
        method: "POST",
        url: `/v1/payment-webhooks/test/${tenant.tenantId}`,
        headers: { "content-type": "application/json", ...signed.headers },
        payload: signed.body,
      });
    expect((await send()).statusCode).toBe(200);
    expectProblem(await send(), 409, "topup_intent_closed");
    expect(await api.balance(MEMBER)).toMatchObject({ principal: 25_000, total: 28_500 });
  });

  it("orders paid by balance: bonus first, partial online rest held, timed out, then paid", async () => {
    const order = (id: string, extra: object) =>
      api.call("POST", "/v1/wallet-payments", {
        member_id: MEMBER,
        order_id: id,
        currency: "CNY",
        lines: [],
        ...extra,
      });
    const full = json<{ id: string; bonus_amount: number }>(
      await order("T-1", { amount_due: 4_000, external_method: "none" }),
    );
    expect(full.bonus_amount).toBe(3_500);
    expectProblem(
      await order("T-2", { amount_due: 40_000, external_method: "none" }),
      422,
      "insufficient_balance",
    );
    const held = json<{ id: string }>(
      await order("T-3", {
        amount_due: 30_000,
        balance_amount: 20_000,
        external_method: "online",
        timeout_seconds: 900,
      }),
    );
    expect(await api.balance(MEMBER)).toMatchObject({ total: 24_500, held: 20_000, available: 4_500 });
    t.clock.advance(901_000);
    expect(await runWalletExpiry(t.deps)).toMatchObject({ payments: 1 });
    expectProblem(await api.call("POST", `/v1/wallet-payments/${held.id}/confirm`), 409, "payment_not_held");
    const again = json<{ id: string }>(
      await order("T-4", { amount_due: 30_000, balance_amount: 20_000, external_method: "online" }),
    );
    await api.ok("POST", `/v1/wallet-payments/${again.id}/confirm`);
    expect(await api.balance(MEMBER)).toMatchObject({ principal: 4_500, bonus: 0, total: 4_500, held: 0 });
    const refund = await api.ok<{ principal_amount: number; bonus_amount: number }>(
      "POST",
      `/v1/wallet-payments/${full.id}/refunds`,
      { amount: 2_000, reason: "one cup returned" },
    );
    // T-1 took 3,500 bonus + 500 principal: bonus gets floor(2,000 × 3,500 / 4,000) = 1,750.
    expect(refund).toMatchObject({ bonus_amount: 1_750, principal_amount: 250 });
    await api.ok("POST", `/v1/members/${MEMBER}/withdrawals`, {
      amount: 1_000,
      reason: "bought at the counter",
    });
    expect(await api.balance(MEMBER)).toMatchObject({ principal: 3_750, bonus: 1_750, total: 5_500 });
  });

  it("the change log, the day's totals and the ledger agree", async () => {
    const log = await api.ok<{ data: { kind: string; amount: number; balance_after: number }[] }>(
      "GET",
      `/v1/members/${MEMBER}/balance-changes?account=balance&limit=100`,
    );
    expect(log.data.map((c) => c.kind).reverse()).toEqual([
      "topup_offline",
      "reward",
      "exchange_in",
      "topup_online",
      "payment",
      "payment",
      "refund",
      "withdrawal",
    ]);
    // Each running balance is the one before plus the change.
    const chronological = [...log.data].reverse();
    chronological.reduce((before, c) => {
      expect(c.balance_after).toBe(before + c.amount);
      return c.balance_after;
    }, 0);
    expect(chronological.at(-1)!.balance_after).toBe(5_500);
    const totals = await api.ok<Record<string, number>>("GET", "/v1/wallet-totals");
    expect(totals).toMatchObject({
      total_balance: 5_500,
      total_consumption: 22_000, // 4,000 + 20,000 − 2,000 refunded
      today_increase: 25_000, // 20,000 cash + 5,000 online; bonus, reward and exchange excluded
      today_consumption: 24_000, // withdrawal excluded
    });
    const events = await t.database.owner
      .selectFrom("events")
      .select("type")
      .where("tenant_id", "=", tenant.tenantId)
      .where("type", "like", "wallet.%")
      .orderBy("id")
      .execute();
    expect(events.map((e) => e.type)).toEqual([
      "wallet.topped_up",
      "wallet.rewarded",
      "wallet.rewarded",
      "wallet.points_exchanged",
      "wallet.topped_up",
      "wallet.payment_succeeded",
      "wallet.payment_held",
      "wallet.payment_voided",
      "wallet.payment_held",
      "wallet.payment_succeeded",
      "wallet.refunded",
      "wallet.withdrawn",
    ]);
    const verified = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(verified).toMatchObject({ ok: true });
  });
});
