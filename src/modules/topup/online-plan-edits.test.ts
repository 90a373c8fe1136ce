import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp } from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { stripeEvent, stripeServer } from "../../../test/helpers/provider-fixtures.js";
import { notifyTopupPayment, type TopupBody, topupClient } from "../../../test/helpers/topup.js";
import { signTestWebhook, testProviderSecret } from "../wallets/index.js";

/** A plan edited while one of its online top-ups is in flight: the member gets what they paid for. */
let t: TestApp;
const stripe = stripeServer();
/** Runs while the provider is creating a payment (the request is between its two transactions). */
let whileCreating: (() => Promise<void>) | null = null;
const hookedFetch = (async (url: string, init: never) => {
  if (whileCreating) {
    const run = whileCreating;
    whileCreating = null;
    await run();
  }
  return (stripe.fetch as unknown as (u: string, i: never) => Promise<Response>)(url, init);
}) as unknown as typeof fetch;

beforeAll(async () => {
  t = await createTestApp({
    extend: () => ({ paymentTransports: { stripeFetch: hookedFetch } }) as never,
  });
});
afterAll(async () => t?.close());

const fixed = (amount: number, bonus: number) => ({
  type: "fixed",
  amount,
  bonus_amount: bonus,
  bonus_points: 0,
});

describe("a plan edited while an online top-up is in flight", () => {
  it("a top-up is not recorded at another amount than the provider was asked to collect", async () => {
    const tenant = await createTestTenant(t, "Stripe edit tenant");
    const c = topupClient(t, tenant);
    const secret = "whsec_test_edit";
    await c.ok("PUT", "/v1/payment-providers/stripe", {
      settings: {},
      secrets: { secret_key: "sk_test_123", webhook_secret: secret },
    });
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: "stripe" });
    const plan = await c.plan({ kind: "package", name: "Hundred", rule: fixed(10_000, 1_000) });
    const m = await c.newMember();
    whileCreating = async () => {
      await c.ok("PATCH", `/v1/topup-plans/${plan}`, { rule: fixed(20_000, 2_000) });
    };
    const r = await c.topUp(plan, { member_id: m, channel: "online", payment_method: "online" });
    expect(stripe.created.at(-1)?.amount).toBe(10_000);
    // Recorded at 200.00 while the member pays 100.00, no notification could ever credit it.
    expectProblem(r, 422, "amount_out_of_range");
    const rows = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("topups").select(["amount", "provider_ref"]).where("member_id", "=", m).execute(),
    );
    expect(rows).toEqual([]);
    // Started again, it is priced by the plan as it is now, and its payment credits it.
    const again = json<TopupBody>(
      await c.topUp(plan, { member_id: m, channel: "online", payment_method: "online" }),
    );
    expect(again).toMatchObject({ amount: 20_000, bonus_amount: 2_000 });
    expect(stripe.created.at(-1)?.amount).toBe(20_000);
    const ref = await t.deps.db.tenantTx(
      tenant.tenantId,
      async (trx) =>
        (
          await trx
            .selectFrom("topups")
            .select("provider_ref")
            .where("id", "=", again.id)
            .executeTakeFirstOrThrow()
        ).provider_ref,
    );
    const paid = stripeEvent(secret, t.clock.now(), {
      id: "evt_edit_1",
      type: "payment_intent.succeeded",
      data: {
        object: {
          id: ref,
          object: "payment_intent",
          amount: 20_000,
          amount_received: 20_000,
          currency: "cny",
        },
      },
    });
    const notified = await t.app.inject({
      method: "POST",
      url: `/v1/topup-payment-webhooks/stripe/${tenant.tenantId}`,
      headers: paid.headers,
      payload: paid.body,
    });
    expect(json<{ result: string }>(notified).result).toBe("credited");
    expect(await c.balance(m)).toMatchObject({ principal: 20_000, bonus: 2_000 });
  });
});

describe("a plan edited between an online top-up's start and its payment", () => {
  it("the payment credits the top-up on the terms it was sold with, and its details keep the plan version", async () => {
    const tenant = await createTestTenant(t, "Test provider edit tenant");
    const c = topupClient(t, tenant);
    const plan = await c.plan({
      kind: "package",
      name: "Anything goes",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 0 },
    });
    const m = await c.newMember();
    const started = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 10_000, channel: "online", payment_method: "online" }),
    );
    expect(started.details).toMatchObject({ plan_version: 1 });
    // Later top-ups may be spent on coffee only; this one was bought without that restriction.
    await c.ok("PATCH", `/v1/topup-plans/${plan}`, { restrictions: { eligible_skus: ["coffee"] } });
    const notified = await notifyTopupPayment(t, tenant.tenantId, started, {
      id: "evt-edit-2",
      status: "succeeded",
    });
    expect(json<{ result: string }>(notified).result).toBe("credited");
    const credited = await c.ok<TopupBody>("GET", `/v1/topups/${started.id}`);
    expect(credited.status).toBe("credited");
    expect(credited.details).toMatchObject({ plan_version: 1, first_bonus: 0, first_points: 0 });
    expect(credited.details.principal_lot_id).toEqual(expect.any(String));
    // Spendable on anything, as when it was bought: a payment without lines takes it.
    const pay = await c.call("POST", "/v1/wallet-payments", {
      member_id: m,
      order_id: "edit-2-order",
      currency: "CNY",
      lines: [],
      amount_due: 11_000,
      external_method: "none",
    });
    expect(pay.statusCode, pay.body).toBe(201);
    expect((await c.balance(m)).total).toBe(0);
  });
});

describe("a smart plan edited between an online smart top-up's start and its payment", () => {
  it("the payment gives the tier's gift the top-up was started with", async () => {
    const tenant = await createTestTenant(t, "Smart edit tenant");
    const c = topupClient(t, tenant);
    const coffee = (
      await c.ok<{ id: string }>("POST", "/v1/gift-voucher-templates", {
        name: "Coffee voucher",
        face_amount: 1500,
        validity: { kind: "relative", valid_days: 30 },
        scope: { kind: "all" },
        min_spend: 0,
      })
    ).id;
    const tier = { type: "discount", multiplier_bps: 12_000, bonus_bps: 800 };
    const plan = await c.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Smart with a coffee",
      rounding: "1",
      channels: ["online", "pos"],
      tiers: [{ ...tier, gift: { kind: "voucher", template_id: coffee } }],
    });
    const m = await c.newMember();
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 1_000, reason: "till" });
    const order = await t.app.inject({
      method: "POST",
      url: "/v1/cashier-orders",
      headers: { ...tenant.auth, "idempotency-key": "smart-edit-order", host: "shop.example" },
      payload: {
        member_id: m,
        items: [{ name: "Latte", quantity: 1, unit_amount: 8_200 }],
        total: 8_200,
        merchant_order_ref: "SO-SMART-EDIT",
      },
    });
    expect(order.statusCode, order.body).toBe(201);
    const o = json<{ id: string; link: { url: string } }>(order);
    const session = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/sessions",
      payload: { tenant_id: tenant.tenantId, code: new URL(o.link.url).searchParams.get("code") },
    });
    const token = json<{ token: string }>(session).token;
    const started = await t.app.inject({
      method: "POST",
      url: `/v1/member-center/cashier-orders/${o.id}/smart-topup`,
      headers: { authorization: `Bearer ${token}`, "idempotency-key": "smart-edit-start" },
      payload: { plan_id: plan.id, tier_index: 0 },
    });
    expect(started.statusCode, started.body).toBe(200);
    const paymentId = json<{ payments: { id: string }[] }>(started).payments[0]!.id;
    // The merchant drops the gift from later offers.
    await c.ok("PATCH", `/v1/smart-topup-plans/${plan.id}`, { tiers: [tier] });
    const ref = await t.database.owner
      .selectFrom("cashier_payments")
      .select(["provider_ref", "online_amount"])
      .where("id", "=", paymentId)
      .executeTakeFirstOrThrow();
    const signed = signTestWebhook(
      testProviderSecret(t.config.signingSecret),
      {
        id: "evt-smart-edit",
        provider_ref: ref.provider_ref,
        status: "succeeded",
        amount: ref.online_amount,
        currency: "CNY",
      },
      t.clock.now(),
    );
    const notified = await t.app.inject({
      method: "POST",
      url: `/v1/cashier-payment-webhooks/test/${tenant.tenantId}`,
      headers: { "content-type": "application/json", ...signed.headers },
      payload: signed.body,
    });
    expect(json<{ result: string }>(notified).result).toBe("paid");
    const topups = await t.database.owner
      .selectFrom("topups")
      .select(["status", "gift"])
      .where("member_id", "=", m)
      .where("source", "=", "smart")
      .execute();
    expect(topups).toEqual([
      {
        status: "credited",
        gift: [
          expect.objectContaining({
            perk: "tier_gift",
            status: "granted",
            voucher_ids: [expect.any(String)],
          }),
        ],
      },
    ]);
  });
});
