import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromYuan, toYuan } from "../src/modules/wallets/providers/money-text.js";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "./helpers/app.js";
import { type ProviderCase, realProviders, type Signed, shortestYuan } from "./helpers/provider-cases.js";
import { type TopupBody, topupClient } from "./helpers/topup.js";
import { tenantTrail } from "./helpers/trail.js";

/**
 * Refunds made at each real provider, sent to the plan top-up and cashier notify routes, signed
 * and shaped as the provider sends them (wallet top-up intents, package orders and gift cards:
 * test/real-provider-sales.test.ts).
 */

let t: TestApp;
const providers = realProviders({
  now: () => t.clock.now(),
  stripeSecret: "whsec_refunds_0123456789",
  alipayAppId: "2021000000000009",
  yuan: shortestYuan,
});
const PROVIDERS = providers.cases;

beforeAll(async () => {
  t = await createTestApp({ extend: () => ({ paymentTransports: providers.transports }) as never });
});
afterAll(async () => t?.close());

/** Three refunds of a payment of 12,340: 0.10, then 12.20 more (12.30 in all), then the rest. */
const STEPS = [10, 1_230, 12_340];

async function setUp(p: ProviderCase) {
  const tenant = await createTestTenant(t, `${p.name} refunds`);
  const c = topupClient(t, tenant);
  await c.ok("PUT", `/v1/payment-providers/${p.name}`, p.config);
  await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: p.name });
  return { tenant, c };
}

const post = (route: string, p: ProviderCase, tenant: TestTenant, signed: Signed) =>
  t.app.inject({
    method: "POST",
    url: `/v1/${route}/${p.name}/${tenant.tenantId}`,
    headers: signed.headers,
    payload: signed.body,
  });

/** The provider is answered as it expects (Alipay: the text `success`, which tells no result). */
function answered(p: ProviderCase, r: LightMyRequestResponse, result: string) {
  expect(r.statusCode, r.body).toBe(200);
  if (p.name === "alipay") expect(r.body).toBe("success");
  else expect(json<{ result: string }>(r).result).toBe(result);
}

/** Each step's refund as the provider announces it: the running total, or this refund alone. */
const announced = (p: ProviderCase, i: number) =>
  p.cumulative ? STEPS[i]! : STEPS[i]! - (STEPS[i - 1] ?? 0);

const auditCount = (tenant: TestTenant) =>
  t.database.owner
    .selectFrom("audit_events")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("tenant_id", "=", tenant.tenantId)
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));

describe.each(PROVIDERS)("refunds made at $name", (p) => {
  it("of a credited plan top-up: each part taken back once, all of it in the end; an unknown payment's is acknowledged", async () => {
    const { tenant, c } = await setUp(p);
    const { ledgerClean } = tenantTrail(t, tenant.tenantId);
    const plan = await c.plan({
      kind: "package",
      name: "Range",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 0 },
    });
    const m = await c.newMember();
    const started = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 12_340, channel: "online", payment_method: "online" }),
    );
    const { provider_ref: ref } = await t.database.owner
      .selectFrom("topups")
      .select("provider_ref")
      .where("id", "=", started.id)
      .executeTakeFirstOrThrow();
    const send = (s: Signed) => post("topup-payment-webhooks", p, tenant, s);
    answered(p, await send(p.paid(ref!, 12_340, `${p.name}-pay-1`)), "credited");
    expect(await c.balance(m)).toMatchObject({ principal: 12_340, bonus: 1_234 });

    const refundOf = async () =>
      (await c.ok<TopupBody>("GET", `/v1/topups/${started.id}`)).details.refund as
        | { refunded_total: number; refunds: Record<string, number> }
        | undefined;
    for (const [i, total] of STEPS.entries()) {
      const signed = p.refunded(ref!, 12_340, announced(p, i), `rf-${i}`, `${p.name}-rf-${i}`);
      answered(p, await send(signed), "refund_recorded");
      // Heard again (the provider's retry): nothing more is taken.
      answered(p, await send(signed), "already_settled");
      expect(await refundOf()).toMatchObject({ refunded_total: total });
      expect((await c.balance(m)).principal).toBe(12_340 - total);
      // Credited while part of it is back, as a card charge stays paid; refunded once all is.
      expect(await c.ok<TopupBody>("GET", `/v1/topups/${started.id}`)).toMatchObject({
        status: total < 12_340 ? "credited" : "refunded",
        refunded_amount: total,
        refund_count: i + 1,
        refund_shortfall: 0,
      });
    }
    expect(Object.values((await refundOf())!.refunds)).toEqual([10, 1_220, 11_110]);
    expect(await c.balance(m)).toMatchObject({ principal: 0, bonus: 0 });
    expect((await c.ok<TopupBody>("GET", `/v1/topups/${started.id}`)).status).toBe("refunded");

    // A refund of a payment the route does not know (another system's, or another kind of
    // thing's, at the same account) is acknowledged, so the provider stops retrying; nothing is written.
    const before = await auditCount(tenant);
    const stranger = p.refunded("unknown_payment_ref", 5_000, 5_000, "rf-x", `${p.name}-rf-x`);
    answered(p, await send(stranger), "refund_ignored");
    expect(await auditCount(tenant)).toBe(before);
    await ledgerClean();
  });

  it("of a cashier attempt kept refund_due: parts recorded with their amounts, once; all of it records it refunded", async () => {
    const { tenant, c } = await setUp(p);
    const m = await c.newMember();
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 3_000, reason: "till" });
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/cashier-orders",
      headers: { ...tenant.auth, "idempotency-key": `order-${p.name}`, host: "shop.example" },
      payload: {
        member_id: m,
        items: [{ name: "Hamper", quantity: 1, unit_amount: 15_340 }],
        total: 15_340,
        merchant_order_ref: `SO-${p.name}`,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const order = json<{ id: string; link: { url: string } }>(created);
    const session = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/sessions",
      payload: { tenant_id: tenant.tenantId, code: new URL(order.link.url).searchParams.get("code") },
    });
    const token = json<{ token: string }>(session).token;
    const paying = await t.app.inject({
      method: "POST",
      url: `/v1/member-center/cashier-orders/${order.id}/pay`,
      headers: { authorization: `Bearer ${token}`, "idempotency-key": `pay-${p.name}` },
      payload: { balance_amount: 3_000 },
    });
    expect(paying.statusCode, paying.body).toBe(200);
    const attemptId = json<{ payments: { id: string }[] }>(paying).payments[0]!.id;
    const { provider_ref: ref, online_amount } = await t.database.owner
      .selectFrom("cashier_payments")
      .select(["provider_ref", "online_amount"])
      .where("id", "=", attemptId)
      .executeTakeFirstOrThrow();
    expect(online_amount).toBe(12_340);
    const send = (s: Signed) => post("cashier-payment-webhooks", p, tenant, s);
    // Collected after the attempt's time: it pays nothing and is owed back.
    t.clock.advance(16 * 60_000);
    answered(p, await send(p.paid(ref!, 12_340, `${p.name}-late`)), "refund_due");
    const attempt = async () =>
      (await c.ok<{ payments: Record<string, unknown>[] }>("GET", `/v1/cashier-orders/${order.id}`))
        .payments[0]!;
    expect(await attempt()).toMatchObject({
      status: "refund_due",
      refunded_amount: 0,
      refund_outstanding: 12_340,
    });

    for (const [i, total] of STEPS.entries()) {
      const signed = p.refunded(ref!, 12_340, announced(p, i), `rf-${i}`, `${p.name}-rf-${i}`);
      const whole = total === 12_340;
      answered(p, await send(signed), "refund_recorded");
      answered(p, await send(signed), "refund_ignored");
      expect(await attempt()).toMatchObject({
        status: whole ? "refunded" : "refund_due",
        refunded_amount: total,
        refund_count: i + 1,
        refund_outstanding: whole ? 0 : 12_340 - total,
      });
    }
    const lastRefund = p.name === "stripe" ? `${p.name}-rf-2` : "rf-2";
    expect(await attempt()).toMatchObject({
      refund_record: {
        reference: lastRefund,
        recorded_by: { type: "system", id: `payment_provider:${p.name}` },
        provider_event: { provider: p.name, refund_id: lastRefund, amount: 12_340, currency: "CNY" },
      },
    });
    expect((await c.balance(m)).total).toBe(3_000);

    const before = await auditCount(tenant);
    const stranger = p.refunded("unknown_payment_ref", 5_000, 5_000, "rf-x", `${p.name}-rf-x`);
    answered(p, await send(stranger), "refund_ignored");
    expect(await auditCount(tenant)).toBe(before);
  });
});

describe("Alipay's decimal yuan", () => {
  it.each([
    ["0.10", 10],
    ["0.1", 10],
    ["0.01", 1],
    ["0.00", 0],
    ["12.3", 1_230],
    ["12.30", 1_230],
    ["100", 10_000],
    ["100.00", 10_000],
    ["007.05", 705],
    ["0.29", 29],
    ["1.15", 115],
    ["9999999999999.99", 999_999_999_999_999],
  ])("%s is %i fen, exactly", (text, fen) => {
    expect(fromYuan(text)).toBe(fen);
  });

  it.each([["1.234"], ["-1"], [""], [" 1"], ["1."], [".5"], ["1,000"], ["1e2"], ["12.3 "], ["１２"]])(
    "%j is refused",
    (text) => {
      expect(() => fromYuan(text)).toThrow(/Not an amount/);
    },
  );
  it("a number (not text) is refused", () => {
    expect(() => fromYuan(12.3)).toThrow(/Not an amount/);
  });

  it.each([
    [1, "0.01"],
    [10, "0.10"],
    [705, "7.05"],
    [10_000, "100.00"],
    [999_999_999_999_999, "9999999999999.99"],
  ])("%i fen is written %s, and read back as the same", (fen, text) => {
    expect(toYuan(fen)).toBe(text);
    expect(fromYuan(toYuan(fen))).toBe(fen);
  });

  it.each([[0], [-150], [1.5], [Number.NaN], [2 ** 53]])("%d fen is never written as a price", (fen) => {
    expect(() => toYuan(fen)).toThrow(/Not an amount to charge/);
  });
});
