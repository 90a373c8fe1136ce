import { createVerify } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTestWebhook, testProviderSecret } from "../src/modules/wallets/index.js";
import { StripeProvider } from "../src/modules/wallets/providers/stripe.js";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "./helpers/app.js";
import { giftCardClient } from "./helpers/giftcards.js";
import { type OrderBody, packageWorld } from "./helpers/packages.js";
import { expectProblem } from "./helpers/problem.js";
import {
  type ProviderCase,
  type RealProviderName,
  realProviders,
  type Signed,
} from "./helpers/provider-cases.js";
import { topupClient } from "./helpers/topup.js";
import { tenantTrail } from "./helpers/trail.js";

/**
 * Wallet top-up intents, package orders and gift cards sold online through a tenant's own
 * Stripe, Alipay or WeChat Pay: the payment is created at the tenant's provider with this
 * flow's own notify route, and that route verifies the provider's notifications with the
 * tenant's keys — a success completes the sale once (heard again it is acknowledged and
 * nothing is done twice), a tampered signature is refused writing nothing, and a refund of a
 * sale kept refund_due is recorded. Notifications are signed as each provider signs them
 * (test/helpers/provider-fixtures.ts); the providers' servers are local stand-ins.
 */

let t: TestApp;
const STRIPE_SECRET = "whsec_sales_0123456789";
const START = "2026-11-23T08:00:00Z";
/** Behind a gateway: providers reach the service at this address, each flow at its own route. */
const ALIPAY_GATEWAY = "https://pay-gw.example.com/vouchsafe";
const providers = realProviders({
  now: () => t.clock.now(),
  stripeSecret: STRIPE_SECRET,
  alipayAppId: "2021000000000077",
  alipaySettings: { notify_url: `${ALIPAY_GATEWAY}/v1/topup-payment-webhooks/alipay/any` },
});
const { wxServer, stripe, yuan } = providers;

beforeAll(async () => {
  t = await createTestApp({
    // The loopback address stands for the service's reverse proxy: the member's address is the
    // one it forwards (X-Forwarded-For), which WeChat Pay H5 is told as the payer's.
    config: { trustedProxies: ["127.0.0.1"] },
    extend: () => ({ paymentTransports: providers.transports }) as never,
  });
});
afterAll(async () => t?.close());

/** A provider as a tenant configures it, its notifications, and what it answers a new payment. */
interface SaleProvider extends ProviderCase {
  /** What it answered when the payment was created, as our record keeps it. */
  created(
    flow: Flow,
    tenant: TestTenant,
    recordId: string,
    amount: number,
    checkout: Record<string, unknown>,
  ): void;
}

const CREATED: Record<RealProviderName, SaleProvider["created"]> = {
  // A PaymentIntent for the amount, our record's id its idempotency key; its client secret kept.
  stripe: (_flow, _tenant, recordId, amount, checkout) => {
    expect(stripe.created.at(-1)).toMatchObject({ amount, currency: "cny", idempotencyKey: recordId });
    expect(String(checkout.client_secret)).toMatch(/^pi_\w+_secret_/);
  },
  // A signed page-pay URL for our record, notified at this flow's route behind the gateway.
  alipay: (flow, tenant, recordId, amount, checkout) => {
    const url = new URL(String(checkout.pay_url));
    expect(url.searchParams.get("method")).toBe("alipay.trade.page.pay");
    expect(url.searchParams.get("sign")).toBeTruthy();
    expect(url.searchParams.get("notify_url")).toBe(
      `${ALIPAY_GATEWAY}/v1/${flow.route}/alipay/${tenant.tenantId}`,
    );
    expect(JSON.parse(url.searchParams.get("biz_content") ?? "{}")).toMatchObject({
      out_trade_no: recordId,
      total_amount: yuan(amount),
      subject: expect.any(String),
      time_expire: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    });
  },
  // A Native order signed with the merchant key, notified at this flow's route (no gateway
  // configured: the address the request came in by); its code_url kept for the QR code.
  wechatpay: (flow, tenant, recordId, amount, checkout) => {
    const order = wxServer.seen.at(-1)!;
    expect(order).toMatchObject({
      url: "/v3/pay/transactions/native",
      verified: true,
      body: { out_trade_no: recordId, amount: { total: amount, currency: "CNY" }, mchid: "1900000109" },
    });
    expect(new URL(String(order.body.notify_url)).pathname).toBe(
      `/v1/${flow.route}/wechatpay/${tenant.tenantId}`,
    );
    expect(String(order.body.time_expire)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(String(checkout.code_url)).toMatch(/^weixin:\/\/wxpay\//);
  },
};

const PROVIDERS: SaleProvider[] = providers.cases.map((c) => ({ ...c, created: CREATED[c.name] }));

/** A sale started online: our record (the row the provider's notifications name) and what it costs. */
interface Started {
  recordId: string;
  /** What to read back for its state (the intent, the order, the card). */
  viewUrl: string;
  amount: number;
  checkout: Record<string, unknown>;
}

/** One flow that sells online, set up for one tenant. */
/** How a sale is asked for beyond its own fields: the payment scene, the client's headers. */
interface Asked {
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

interface Sales {
  member(): Promise<string>;
  start(member: string, asked?: Asked): Promise<Started>;
  /** Asserts the sale was completed, once (the member got what was paid for exactly once). */
  completedOnce(s: Started, member: string): Promise<void>;
  /** What a refund_due sale's view says of its provider refunds. */
  refundState(s: Started): Promise<{ status: string; refunded_amount: number }>;
}

interface Flow {
  name: string;
  route: string;
  table: "wallet_topup_intents" | "package_orders" | "gift_card_payments";
  completed: string;
  setUp(tenant: TestTenant): Promise<Sales>;
}

const FLOWS: Flow[] = [
  {
    name: "wallet top-up intent",
    route: "payment-webhooks",
    table: "wallet_topup_intents",
    completed: "credited",
    setUp: async (tenant) => {
      const c = topupClient(t, tenant);
      return {
        member: () => c.newMember(),
        start: async (m, asked = {}) => {
          const r = await c.call(
            "POST",
            `/v1/members/${m}/topup-intents`,
            { amount: 12_340, ...asked.body },
            { ...tenant.auth, ...asked.headers },
          );
          expect(r.statusCode, r.body).toBe(201);
          const intent = json<{ id: string; checkout: Record<string, unknown> }>(r);
          return {
            recordId: intent.id,
            viewUrl: `/v1/topup-intents/${intent.id}`,
            amount: 12_340,
            checkout: intent.checkout,
          };
        },
        completedOnce: async (s, m) => {
          expect(await c.ok("GET", s.viewUrl)).toMatchObject({ status: "succeeded" });
          expect(await c.balance(m)).toMatchObject({ principal: 12_340, total: 12_340 });
        },
        refundState: (s) => c.ok("GET", s.viewUrl),
      };
    },
  },
  {
    name: "package order",
    route: "package-payment-webhooks",
    table: "package_orders",
    completed: "paid",
    setUp: async (tenant) => {
      const w = await packageWorld({ t, tenant });
      const pkg = await w.createPackage();
      return {
        member: () => w.member(),
        start: async (m, asked = {}) => {
          const order = await w.ok<OrderBody>(
            w.call(
              "POST",
              "/v1/package-orders",
              {
                package_id: pkg,
                member_id: m,
                channel: "ONLINE",
                payment_method: "online",
                rule_key: "quarterly",
                ...asked.body,
              },
              { ...tenant.auth, ...asked.headers },
            ),
            201,
          );
          expect(order.status).toBe("pending_payment");
          return {
            recordId: order.id,
            viewUrl: `/v1/package-orders/${order.id}`,
            amount: order.price.amount,
            checkout: order.payment.checkout as Record<string, unknown>,
          };
        },
        completedOnce: async (s, m) => {
          const order = await w.ok<OrderBody>(w.call("GET", s.viewUrl));
          expect(order).toMatchObject({ status: "paid", period: { status: "active" }, points_awarded: 500 });
          expect((await w.balance(m)).points).toBe(500);
          const periods = await t.database.owner
            .selectFrom("package_periods")
            .select("id")
            .where("tenant_id", "=", tenant.tenantId)
            .where("member_id", "=", m)
            .execute();
          expect(periods).toHaveLength(1);
        },
        refundState: (s) => w.ok(w.call("GET", s.viewUrl)),
      };
    },
  },
  {
    name: "gift card",
    route: "gift-card-payment-webhooks",
    table: "gift_card_payments",
    completed: "activated",
    setUp: async (tenant) => {
      const gc = giftCardClient(t, tenant);
      const plan = await gc.activePlan();
      const cards = new Map<string, string>();
      return {
        member: async () => (await gc.ok<{ id: string }>("POST", "/v1/members", { name: "Ann" })).id,
        start: async (m, asked = {}) => {
          const r = await gc.call(
            "POST",
            `/v1/members/${m}/gift-card-purchases`,
            { plan_id: plan, amount: 20_000, payment_method: "online", ...asked.body },
            { ...tenant.auth, ...asked.headers },
          );
          expect(r.statusCode, r.body).toBe(201);
          const bought = json<{
            card: { id: string; status: string };
            payment: { id: string; amount: number; checkout: Record<string, unknown> };
          }>(r);
          expect(bought.card.status).toBe("pending");
          cards.set(bought.payment.id, bought.card.id);
          return {
            recordId: bought.payment.id,
            viewUrl: `/v1/gift-cards/${bought.card.id}`,
            amount: bought.payment.amount,
            checkout: bought.payment.checkout,
          };
        },
        completedOnce: async (s) => {
          const cardId = cards.get(s.recordId)!;
          expect(await gc.card(cardId)).toMatchObject({ status: "active", balance: 20_000 });
          const activities = await gc.ok<{ data: { type: string }[] }>(
            "GET",
            `/v1/gift-cards/${cardId}/activities`,
          );
          expect(activities.data.map((a) => a.type)).toEqual(["ACTIVATE"]);
        },
        refundState: (s) => gc.ok("GET", s.viewUrl),
      };
    },
  },
];

const post = (flow: Flow, p: ProviderCase, tenant: TestTenant, signed: Signed) =>
  t.app.inject({
    method: "POST",
    url: `/v1/${flow.route}/${p.name}/${tenant.tenantId}`,
    headers: signed.headers,
    payload: signed.body,
  });

/** Answered as the provider expects: Alipay the text `success`, the others the receipt. */
function answered(p: ProviderCase, r: LightMyRequestResponse, result: string) {
  expect(r.statusCode, r.body).toBe(200);
  if (p.name === "alipay") expect(r.body).toBe("success");
  else expect(json<{ result: string }>(r).result).toBe(result);
}

/** Everything a notification could write for the tenant: the record, audit, events, ledger. */
async function written(flow: Flow, tenant: TestTenant, recordId: string) {
  const db = t.database.owner;
  const count = (table: "audit_events" | "events" | "ledger_transfers") =>
    db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("tenant_id", "=", tenant.tenantId)
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  const row = await db
    .selectFrom(flow.table)
    .selectAll()
    .where("tenant_id", "=", tenant.tenantId)
    .where("id", "=", recordId)
    .executeTakeFirstOrThrow();
  return {
    row: JSON.stringify(row),
    audit: await count("audit_events"),
    events: await count("events"),
    transfers: await count("ledger_transfers"),
  };
}

async function providerRef(flow: Flow, tenant: TestTenant, recordId: string) {
  const row = await t.database.owner
    .selectFrom(flow.table)
    .select(["provider", "provider_ref", "checkout"])
    .where("tenant_id", "=", tenant.tenantId)
    .where("id", "=", recordId)
    .executeTakeFirstOrThrow();
  return row;
}

const CASES = FLOWS.flatMap((flow) =>
  PROVIDERS.map((p) => ({ flow, p, label: `${flow.name} via ${p.name}` })),
);

describe.each(CASES)("$label", ({ flow, p }) => {
  it("created at the tenant's provider; a signed success completes it once, a tampered one writes nothing; refunds of one owed back, and of the completed one, are recorded", async () => {
    t.clock.set(START);
    const tenant = await createTestTenant(t, `${p.name} ${flow.name}`);
    const c = topupClient(t, tenant);
    await c.ok("PUT", `/v1/payment-providers/${p.name}`, p.config);
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: p.name });
    const sales = await flow.setUp(tenant);
    const trail = tenantTrail(t, tenant.tenantId);

    // Created: the adapter's answer is what our record keeps, for the member's client.
    const m = await sales.member();
    const sale = await sales.start(m);
    const stored = await providerRef(flow, tenant, sale.recordId);
    expect(stored.provider).toBe(p.name);
    expect(stored.checkout).toEqual(sale.checkout);
    expect(sale.checkout.payment_scene).toBe("desktop");
    p.created(flow, tenant, sale.recordId, sale.amount, sale.checkout);
    const ref = stored.provider_ref!;

    // A tampered notification (the body changed after signing): 401, nothing written.
    const good = p.paid(ref, sale.amount, `${p.name}-pay-1`);
    const before = await written(flow, tenant, sale.recordId);
    const tampered = { ...good, body: good.body.replace(`${p.name}-pay-1`, `${p.name}-pay-9`) };
    expectProblem(await post(flow, p, tenant, tampered), 401, "webhook_signature_invalid");
    expect(await written(flow, tenant, sale.recordId)).toEqual(before);

    // Signed: completed once; the provider's resend is acknowledged and nothing is done again.
    answered(p, await post(flow, p, tenant, good), flow.completed);
    await sales.completedOnce(sale, m);
    const after = await written(flow, tenant, sale.recordId);
    answered(p, await post(flow, p, tenant, good), "already_settled");
    expect(await written(flow, tenant, sale.recordId)).toEqual(after);
    await sales.completedOnce(sale, m);

    // Paid after its window by a member closed meanwhile: owed back; the provider's refunds
    // (a part, then the rest) are recorded on it, each once.
    const closing = await sales.member();
    const owed = await sales.start(closing);
    const owedRef = (await providerRef(flow, tenant, owed.recordId)).provider_ref!;
    await c.ok("PATCH", `/v1/members/${closing}`, { status: "closed" });
    t.clock.advance(31 * 60_000);
    answered(p, await post(flow, p, tenant, p.paid(owedRef, owed.amount, `${p.name}-late`)), "refund_due");
    expect(await sales.refundState(owed)).toMatchObject({ status: "refund_due", refunded_amount: 0 });
    const part = 1_000;
    const first = p.refunded(owedRef, owed.amount, part, "rf-1", `${p.name}-rf-1`);
    answered(p, await post(flow, p, tenant, first), "refund_recorded");
    answered(p, await post(flow, p, tenant, first), "refund_ignored");
    expect(await sales.refundState(owed)).toMatchObject({ status: "refund_due", refunded_amount: part });
    const rest = p.refunded(
      owedRef,
      owed.amount,
      p.cumulative ? owed.amount : owed.amount - part,
      "rf-2",
      `${p.name}-rf-2`,
    );
    answered(p, await post(flow, p, tenant, rest), "refund_recorded");
    expect(await sales.refundState(owed)).toMatchObject({
      status: "refunded",
      refunded_amount: owed.amount,
      refund_record: { recorded_by: { type: "system", id: `payment_provider:${p.name}` } },
    });

    // The completed sale refunded at the provider, all of it: what it gave is taken back, once.
    const back = p.refunded(ref, sale.amount, sale.amount, "rf-done", `${p.name}-rf-done`);
    answered(p, await post(flow, p, tenant, back), "refund_recorded");
    answered(p, await post(flow, p, tenant, back), "refund_ignored");
    expect(await sales.refundState(sale)).toMatchObject({
      status: "refunded",
      refunded_amount: sale.amount,
      refund_record: { reference: expect.any(String) },
    });
    await trail.ledgerClean();
  });
});

/**
 * An Alipay pay URL as Alipay reads it: RSA2 by the app's key over every parameter but `sign`,
 * sorted by name, joined as k=v with &.
 */
function alipaySigned(url: URL): boolean {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== "sign");
  const content = params
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return createVerify("RSA-SHA256")
    .update(content, "utf8")
    .verify(providers.alipayAppPublicKey, url.searchParams.get("sign") ?? "", "base64");
}

/** The member's phone, as the proxy in front of the service forwards its address. */
const PHONE = { headers: { "x-forwarded-for": "203.0.113.7" } };

/**
 * On a phone (payment_scene mobile) Alipay makes a mobile-website payment and WeChat Pay an
 * H5 payment, told the member's address; the same notifications complete the sale.
 */
describe.each(
  FLOWS.flatMap((flow) =>
    PROVIDERS.filter((p) => p.name !== "stripe").map((p) => ({
      flow,
      p,
      label: `${flow.name} via ${p.name}`,
    })),
  ),
)("$label on a phone", ({ flow, p }) => {
  it("is created as the provider's phone payment, echoed mobile; a signed success completes it once", async () => {
    t.clock.set(START);
    const tenant = await createTestTenant(t, `${p.name} ${flow.name} mobile`);
    const c = topupClient(t, tenant);
    await c.ok("PUT", `/v1/payment-providers/${p.name}`, p.config);
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: p.name });
    const sales = await flow.setUp(tenant);
    const m = await sales.member();
    const sent = wxServer.seen.length;
    const sale = await sales.start(m, {
      body: { payment_scene: "mobile", return_url: RETURN_URL },
      ...PHONE,
    });
    const stored = await providerRef(flow, tenant, sale.recordId);
    expect(stored.checkout).toEqual(sale.checkout);
    expect(sale.checkout.payment_scene).toBe("mobile");

    if (p.name === "alipay") {
      expect(wxServer.seen.length).toBe(sent);
      const url = new URL(String(sale.checkout.pay_url));
      expect(url.searchParams.get("method")).toBe("alipay.trade.wap.pay");
      expect(alipaySigned(url)).toBe(true);
      // Alipay's cashier sends the member back to the page that paid; the URL signs it too.
      expect(url.searchParams.get("return_url")).toBe(RETURN_URL);
      expect(url.searchParams.get("notify_url")).toBe(
        `${ALIPAY_GATEWAY}/v1/${flow.route}/alipay/${tenant.tenantId}`,
      );
      expect(JSON.parse(url.searchParams.get("biz_content") ?? "{}")).toMatchObject({
        out_trade_no: sale.recordId,
        total_amount: yuan(sale.amount),
        product_code: "QUICK_WAP_WAY",
      });
      // Tampered after signing (another product): Alipay would refuse it.
      url.searchParams.set("biz_content", url.searchParams.get("biz_content")!.replace("QUICK_WAP_WAY", "X"));
      expect(alipaySigned(url)).toBe(false);
    } else {
      expect(wxServer.seen.length).toBe(sent + 1);
      const order = wxServer.seen.at(-1)!;
      expect(order).toMatchObject({
        url: "/v3/pay/transactions/h5",
        verified: true,
        body: {
          out_trade_no: sale.recordId,
          amount: { total: sale.amount, currency: "CNY" },
          scene_info: { payer_client_ip: "203.0.113.7", h5_info: { type: "Wap" } },
        },
      });
      expect(new URL(String(order.body.notify_url)).pathname).toBe(
        `/v1/${flow.route}/wechatpay/${tenant.tenantId}`,
      );
      expect(String(sale.checkout.h5_url)).toMatch(/^https:\/\/wx\.tenpay\.com\/.*prepay_id=/);
      // WeChat returns the member to the page that paid: redirect_url, encoded, on the h5_url.
      expect(new URL(String(sale.checkout.h5_url)).searchParams.get("redirect_url")).toBe(RETURN_URL);
      expect(String(sale.checkout.h5_url)).toContain(`&redirect_url=${encodeURIComponent(RETURN_URL)}`);
      expect(sale.checkout.code_url).toBeUndefined();
    }

    const paid = p.paid(stored.provider_ref!, sale.amount, `${p.name}-mobile-1`);
    answered(p, await post(flow, p, tenant, paid), flow.completed);
    answered(p, await post(flow, p, tenant, paid), "already_settled");
    await sales.completedOnce(sale, m);
  });
});

/** What a sale closed unpaid reads as. */
const UNPAID: Record<Flow["table"], string> = {
  wallet_topup_intents: "failed",
  package_orders: "cancelled",
  gift_card_payments: "cancelled",
};

/** The member center's page a hosted payment page (Stripe Checkout, Alipay, WeChat H5) returns the member to. */
const RETURN_URL = "https://members.example.com/m/ten_x/topup?plan=p1";

/**
 * With a return_url (as the member center sends it) Stripe makes a Checkout Session, its hosted
 * page opened from checkout.pay_url, instead of a PaymentIntent: found by our record's id,
 * which the session, its PaymentIntent and the charge carry in their metadata.
 */
describe.each(FLOWS.map((flow) => ({ flow, label: flow.name })))("$label via Stripe Checkout", ({ flow }) => {
  const p = PROVIDERS.find((c) => c.name === "stripe")!;
  const event = (type: string, object: Record<string, unknown>, id: string) =>
    providers.stripeNotice({ id, type, data: { object } });
  const meta = (recordId: string, tenant: TestTenant) => ({
    intent_id: recordId,
    tenant_id: tenant.tenantId,
    paid_by: "checkout_session",
  });
  const session = (recordId: string, tenant: TestTenant, amount: number, extra: Record<string, unknown>) => ({
    id: `cs_test_${recordId}`,
    object: "checkout.session",
    mode: "payment",
    client_reference_id: recordId,
    metadata: meta(recordId, tenant),
    amount_total: amount,
    currency: "cny",
    payment_intent: `pi_of_${recordId}`,
    ...extra,
  });
  const intentOf = (recordId: string, tenant: TestTenant, amount: number) => ({
    id: `pi_of_${recordId}`,
    object: "payment_intent",
    amount,
    amount_received: amount,
    currency: "cny",
    metadata: meta(recordId, tenant),
  });

  it("creates a Checkout Session (what is sent checked); the signed completion completes it once, the PaymentIntent's success after it is acknowledged, a tampered one writes nothing, a declined card and a delayed payment decide nothing; a refund is recorded; an expired session closes its sale", async () => {
    t.clock.set(START);
    const tenant = await createTestTenant(t, `stripe checkout ${flow.name}`);
    const c = topupClient(t, tenant);
    await c.ok("PUT", "/v1/payment-providers/stripe", p.config);
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: "stripe" });
    const sales = await flow.setUp(tenant);
    const trail = tenantTrail(t, tenant.tenantId);
    const m = await sales.member();
    const intents = stripe.created.length;
    const realNow = Math.floor(Date.now() / 1000);
    const sale = await sales.start(m, { body: { return_url: RETURN_URL } });

    // Sent to Stripe: one session in payment mode for the sale's amount, back to the page.
    expect(stripe.created.length).toBe(intents);
    const sent = stripe.sessions.at(-1)!;
    expect(sent.idempotencyKey).toBe(sale.recordId);
    expect(sent.form).toMatchObject({
      mode: "payment",
      "line_items[0][quantity]": "1",
      "line_items[0][price_data][currency]": "cny",
      "line_items[0][price_data][unit_amount]": String(sale.amount),
      "line_items[0][price_data][product_data][name]": expect.any(String),
      client_reference_id: sale.recordId,
      success_url: RETURN_URL,
      cancel_url: RETURN_URL,
      "metadata[intent_id]": sale.recordId,
      "metadata[paid_by]": "checkout_session",
      "payment_intent_data[metadata][intent_id]": sale.recordId,
      "payment_intent_data[metadata][tenant_id]": tenant.tenantId,
      "payment_intent_data[metadata][paid_by]": "checkout_session",
    });
    // The test clock's window has long passed on Stripe's (real) clock: the least Stripe takes.
    const expiresAt = Number(sent.form.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(realNow + 30 * 60);
    expect(expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 24 * 3600);
    const stored = await providerRef(flow, tenant, sale.recordId);
    expect(stored.provider_ref).toBe(sale.recordId);
    expect(sale.checkout).toEqual({
      pay_url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
      checkout_session_id: sent.id,
      payment_scene: "desktop",
    });
    expect(stored.checkout).toEqual(sale.checkout);

    const before = await written(flow, tenant, sale.recordId);
    // A declined card (the member may try another on the page), a completion by a delayed
    // method not yet paid, another kind of event: acknowledged, nothing written.
    const declined = event(
      "payment_intent.payment_failed",
      { ...intentOf(sale.recordId, tenant, sale.amount), amount_received: 0 },
      "evt_declined",
    );
    answered(p, await post(flow, p, tenant, declined), "payment_ignored");
    const unpaid = event(
      "checkout.session.completed",
      session(sale.recordId, tenant, sale.amount, { status: "complete", payment_status: "unpaid" }),
      "evt_unpaid",
    );
    answered(p, await post(flow, p, tenant, unpaid), "payment_ignored");
    answered(
      p,
      await post(flow, p, tenant, event("customer.created", { id: "cus_1", object: "customer" }, "evt_cus")),
      "payment_ignored",
    );
    expect(await written(flow, tenant, sale.recordId)).toEqual(before);

    // Tampered after signing: 401, nothing written.
    const completed = event(
      "checkout.session.completed",
      session(sale.recordId, tenant, sale.amount, { status: "complete", payment_status: "paid" }),
      "evt_completed",
    );
    const tampered = { ...completed, body: completed.body.replace("evt_completed", "evt_completeX") };
    expectProblem(await post(flow, p, tenant, tampered), 401, "webhook_signature_invalid");
    expect(await written(flow, tenant, sale.recordId)).toEqual(before);

    // Paid: completed once; its PaymentIntent's success and Stripe's resend change nothing.
    answered(p, await post(flow, p, tenant, completed), flow.completed);
    await sales.completedOnce(sale, m);
    const after = await written(flow, tenant, sale.recordId);
    const succeeded = event(
      "payment_intent.succeeded",
      intentOf(sale.recordId, tenant, sale.amount),
      "evt_pi",
    );
    answered(p, await post(flow, p, tenant, succeeded), "already_settled");
    answered(p, await post(flow, p, tenant, completed), "already_settled");
    expect(await written(flow, tenant, sale.recordId)).toEqual(after);
    await sales.completedOnce(sale, m);

    // Refunded at Stripe: the charge names the PaymentIntent, and carries its metadata.
    const refunded = event(
      "charge.refunded",
      {
        id: `ch_${sale.recordId}`,
        object: "charge",
        payment_intent: `pi_of_${sale.recordId}`,
        metadata: meta(sale.recordId, tenant),
        amount: sale.amount,
        amount_refunded: sale.amount,
        currency: "cny",
      },
      "evt_refund",
    );
    answered(p, await post(flow, p, tenant, refunded), "refund_recorded");
    answered(p, await post(flow, p, tenant, refunded), "refund_ignored");
    expect(await sales.refundState(sale)).toMatchObject({ status: "refunded", refunded_amount: sale.amount });

    // Another member's sale: its PaymentIntent's success heard first completes it; the
    // session's completion after it is acknowledged.
    const m2 = await sales.member();
    const second = await sales.start(m2, { body: { return_url: RETURN_URL, payment_scene: "mobile" } });
    expect(second.checkout).toMatchObject({ payment_scene: "mobile", pay_url: expect.any(String) });
    const first = event(
      "payment_intent.succeeded",
      intentOf(second.recordId, tenant, second.amount),
      "evt_pi2",
    );
    answered(p, await post(flow, p, tenant, first), flow.completed);
    const late = event(
      "checkout.session.completed",
      session(second.recordId, tenant, second.amount, { status: "complete", payment_status: "paid" }),
      "evt_completed2",
    );
    answered(p, await post(flow, p, tenant, late), "already_settled");
    await sales.completedOnce(second, m2);

    // A session left unpaid until Stripe expired it: its sale is closed, unpaid.
    const m3 = await sales.member();
    const third = await sales.start(m3, { body: { return_url: RETURN_URL } });
    const expired = event(
      "checkout.session.expired",
      session(third.recordId, tenant, third.amount, {
        status: "expired",
        payment_status: "unpaid",
        payment_intent: null,
      }),
      "evt_expired",
    );
    answered(p, await post(flow, p, tenant, expired), "failed");
    expect(await sales.refundState(third)).toMatchObject({ status: UNPAID[flow.table] });
    answered(p, await post(flow, p, tenant, expired), "already_settled");
    await trail.ledgerClean();
  });
});

describe("payment_scene", () => {
  async function tenantOn(name: RealProviderName) {
    t.clock.set(START);
    const tenant = await createTestTenant(t, `${name} scene`);
    const c = topupClient(t, tenant);
    await c.ok("PUT", `/v1/payment-providers/${name}`, PROVIDERS.find((p) => p.name === name)!.config);
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: name });
    return { tenant, c, m: await c.newMember() };
  }
  const intents = (tenant: TestTenant) =>
    t.database.owner
      .selectFrom("wallet_topup_intents")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();

  it("a value other than desktop or mobile is refused 400 validation_failed: nothing asked of the provider, nothing written", async () => {
    const { tenant, c, m } = await tenantOn("wechatpay");
    const sent = wxServer.seen.length;
    for (const scene of ["tablet", "MOBILE", "", 1, null]) {
      const r = await c.call("POST", `/v1/members/${m}/topup-intents`, {
        amount: 1_000,
        payment_scene: scene,
      });
      expectProblem(r, 400, "validation_failed");
      expect(r.body).toContain("payment_scene");
    }
    const gc = giftCardClient(t, tenant);
    const plan = await gc.activePlan();
    expectProblem(
      await gc.call("POST", `/v1/members/${m}/gift-card-purchases`, {
        plan_id: plan,
        amount: 20_000,
        payment_method: "online",
        payment_scene: "phone",
      }),
      400,
      "validation_failed",
    );
    expect(wxServer.seen.length).toBe(sent);
    expect(await intents(tenant)).toEqual([]);
  });

  it("WeChat Pay H5 is told the address the request came from, not one an untrusted client forwards (an IPv4-mapped one as IPv4)", async () => {
    const { tenant, m } = await tenantOn("wechatpay");
    const from = [
      { socket: "198.51.100.20", payer: "198.51.100.20" },
      { socket: "::ffff:198.51.100.21", payer: "198.51.100.21" },
      { socket: "2001:db8::7", payer: "2001:db8::7" },
    ];
    for (const [i, { socket, payer }] of from.entries()) {
      const r = await t.app.inject({
        method: "POST",
        url: `/v1/members/${m}/topup-intents`,
        remoteAddress: socket,
        headers: {
          ...tenant.auth,
          "idempotency-key": `h5-untrusted-${i}`,
          "x-forwarded-for": "203.0.113.99",
        },
        payload: { amount: 1_000, payment_scene: "mobile" },
      });
      expect(r.statusCode, r.body).toBe(201);
      expect(wxServer.seen.at(-1)!.body).toMatchObject({ scene_info: { payer_client_ip: payer } });
      expect(json<{ checkout: Record<string, unknown> }>(r).checkout).toMatchObject({
        h5_url: expect.any(String),
        payment_scene: "mobile",
      });
    }
  });

  it("without it a payment is made for a desktop, as before (Native QR code, page pay)", async () => {
    const { c, m } = await tenantOn("wechatpay");
    const intent = await c.ok<{ checkout: Record<string, unknown> }>(
      "POST",
      `/v1/members/${m}/topup-intents`,
      {
        amount: 1_000,
      },
    );
    expect(wxServer.seen.at(-1)!.url).toBe("/v3/pay/transactions/native");
    expect(wxServer.seen.at(-1)!.body.scene_info).toBeUndefined();
    expect(intent.checkout).toEqual({ code_url: expect.any(String), payment_scene: "desktop" });
  });

  it("Stripe makes the same PaymentIntent for a phone: its client secret, echoed mobile", async () => {
    const { c, m } = await tenantOn("stripe");
    const intent = await c.ok<{ id: string; checkout: Record<string, unknown> }>(
      "POST",
      `/v1/members/${m}/topup-intents`,
      { amount: 1_000, payment_scene: "mobile" },
    );
    expect(stripe.created.at(-1)).toMatchObject({ amount: 1_000, idempotencyKey: intent.id });
    expect(intent.checkout).toEqual({
      client_secret: expect.stringMatching(/_secret_/),
      payment_scene: "mobile",
    });
  });
});

describe("return_url", () => {
  it("anything but an absolute http(s) URL is refused 400 validation_failed: nothing asked of Stripe, nothing written", async () => {
    t.clock.set(START);
    const tenant = await createTestTenant(t, "stripe return_url");
    const c = topupClient(t, tenant);
    await c.ok("PUT", "/v1/payment-providers/stripe", PROVIDERS[0]!.config);
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: "stripe" });
    const m = await c.newMember();
    const sent = stripe.sessions.length + stripe.created.length;
    for (const url of [
      "javascript:alert(1)",
      "ftp://shop.example.com/",
      "/m/ten_x/topup",
      "",
      1,
      null,
      `https://a.example/${"x".repeat(2048)}`,
    ]) {
      const r = await c.call("POST", `/v1/members/${m}/topup-intents`, { amount: 1_000, return_url: url });
      expectProblem(r, 400, "validation_failed");
      expect(r.body).toContain("return_url");
    }
    const gc = giftCardClient(t, tenant);
    expectProblem(
      await gc.call("POST", `/v1/members/${m}/gift-card-purchases`, {
        plan_id: await gc.activePlan(),
        amount: 20_000,
        payment_method: "online",
        return_url: "mailto:a@example.com",
      }),
      400,
      "validation_failed",
    );
    expect(stripe.sessions.length + stripe.created.length).toBe(sent);
    const intents = await t.database.owner
      .selectFrom("wallet_topup_intents")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(intents).toEqual([]);
  });

  it("Stripe's session closes with the sale's window when Stripe allows it, else at the nearest bound; JPY is sent in yen as a PaymentIntent would be", async () => {
    const adapter = new StripeProvider({
      secretKey: "sk_test_123",
      webhookSecret: STRIPE_SECRET,
      fetch: stripe.fetch,
    });
    const now = Date.now();
    const sale = (intentId: string, currency: string, amount: number, windowSeconds: number) =>
      adapter.createPayment({
        tenantId: "ten_x",
        intentId,
        amount,
        currency,
        description: "Top-up",
        expiresAt: new Date(now + windowSeconds * 1000),
        returnUrl: RETURN_URL,
      });
    const made = await sale("wtopi_yen", "JPY", 5_000, 2 * 3600);
    expect(made.providerRef).toBe("wtopi_yen");
    expect(stripe.sessions.at(-1)!.form).toMatchObject({
      "line_items[0][price_data][currency]": "jpy",
      "line_items[0][price_data][unit_amount]": "5000",
      expires_at: String(Math.floor(now / 1000) + 2 * 3600),
    });
    await sale("wtopi_short", "CNY", 100, 15 * 60);
    const short = Number(stripe.sessions.at(-1)!.form.expires_at);
    expect(short - Math.floor(now / 1000)).toBeGreaterThanOrEqual(30 * 60);
    expect(short - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(32 * 60);
    await sale("wtopi_long", "CNY", 100, 3 * 86_400);
    const long = Number(stripe.sessions.at(-1)!.form.expires_at);
    expect(long - Math.floor(now / 1000)).toBeLessThanOrEqual(24 * 3600);
    expect(long - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(23 * 3600);
  });

  it("without it Stripe makes a PaymentIntent as before", async () => {
    const adapter = new StripeProvider({
      secretKey: "sk_test_123",
      webhookSecret: STRIPE_SECRET,
      fetch: stripe.fetch,
    });
    const sessions = stripe.sessions.length;
    const made = await adapter.createPayment({
      tenantId: "ten_x",
      intentId: "wtopi_plain",
      amount: 100,
      currency: "CNY",
      description: "Top-up",
      expiresAt: new Date(),
    });
    expect(made.providerRef).toMatch(/^pi_/);
    expect(made.checkout).toEqual({ client_secret: expect.stringMatching(/_secret_/) });
    expect(stripe.sessions.length).toBe(sessions);
  });
});

describe("a currency the tenant's provider does not take", () => {
  it("is refused before anything is created at the provider (wallet top-up intent in USD through Alipay)", async () => {
    const tenant = await createTestTenant(t, "USD tenant");
    const c = topupClient(t, tenant);
    await c.ok("PATCH", "/v1/wallet-settings", { asset: { code: "USD", scale: 2, name: "US dollar" } });
    await c.ok("PUT", "/v1/payment-providers/alipay", PROVIDERS[1]!.config);
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: "alipay" });
    const m = await c.newMember();
    expectProblem(
      await c.call("POST", `/v1/members/${m}/topup-intents`, { amount: 1_000 }),
      422,
      "currency_not_supported_by_provider",
    );
    const intents = await t.database.owner
      .selectFrom("wallet_topup_intents")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(intents).toEqual([]);
  });
});

describe("plan top-ups and cashier orders name their own notify routes too", () => {
  it("WeChat Pay is told /v1/topup-payment-webhooks and /v1/cashier-payment-webhooks for them (the order paid from a phone: H5)", async () => {
    t.clock.set(START);
    const tenant = await createTestTenant(t, "wechatpay routes");
    const c = topupClient(t, tenant);
    await c.ok("PUT", "/v1/payment-providers/wechatpay", PROVIDERS[2]!.config);
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: "wechatpay" });
    const notifiedAt = () => new URL(String(wxServer.seen.at(-1)!.body.notify_url)).pathname;

    const plan = await c.plan({
      kind: "package",
      name: "Range",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 0, points_bps: 0 },
    });
    const m = await c.newMember();
    const topup = await c.topUp(plan, {
      member_id: m,
      amount: 10_000,
      channel: "online",
      payment_method: "online",
    });
    expect(topup.statusCode, topup.body).toBe(201);
    expect(notifiedAt()).toBe(`/v1/topup-payment-webhooks/wechatpay/${tenant.tenantId}`);

    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 1_000, reason: "till" });
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/cashier-orders",
      headers: { ...tenant.auth, "idempotency-key": "order-routes" },
      payload: {
        member_id: m,
        items: [{ name: "Hamper", quantity: 1, unit_amount: 5_000 }],
        total: 5_000,
        merchant_order_ref: "SO-routes",
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const order = json<{ id: string; link: { url: string } }>(created);
    const session = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/sessions",
      payload: { tenant_id: tenant.tenantId, code: new URL(order.link.url).searchParams.get("code") },
    });
    const paying = await t.app.inject({
      method: "POST",
      url: `/v1/member-center/cashier-orders/${order.id}/pay`,
      headers: {
        authorization: `Bearer ${json<{ token: string }>(session).token}`,
        "idempotency-key": "pay-routes",
      },
      // Paid from the member's phone: the rest is an H5 payment.
      payload: { balance_amount: 1_000, payment_scene: "mobile" },
    });
    expect(paying.statusCode, paying.body).toBe(200);
    expect(notifiedAt()).toBe(`/v1/cashier-payment-webhooks/wechatpay/${tenant.tenantId}`);
    expect(wxServer.seen.at(-1)).toMatchObject({
      url: "/v3/pay/transactions/h5",
      verified: true,
      body: { amount: { total: 4_000 }, scene_info: { payer_client_ip: "127.0.0.1" } },
    });
    const online = json<{ payments: { checkout: Record<string, unknown> | null }[] }>(paying).payments.find(
      (p) => p.checkout,
    );
    expect(online?.checkout).toEqual({ h5_url: expect.any(String), payment_scene: "mobile" });
  });
});

/**
 * One provider account announces every payment to every notify route (Stripe sends each event
 * to each endpoint of its dashboard): a route acknowledges, writing nothing, a success for a
 * payment it does not hold — or an event no sale acts on — so the provider stops resending,
 * and the route that holds the payment completes it. The test provider resends nothing: its
 * mistaken reference is still refused, for the integrator to see.
 */
describe("a notification for a payment another route sells", () => {
  const ROUTES = [
    { route: "topup-payment-webhooks", id: "topup_id", missing: "topup_not_found" },
    { route: "payment-webhooks", id: "intent_id", missing: "topup_intent_not_found" },
    { route: "package-payment-webhooks", id: "order_id", missing: "package_payment_not_found" },
    { route: "gift-card-payment-webhooks", id: "card_id", missing: "gift_card_payment_not_found" },
    { route: "cashier-payment-webhooks", id: "payment_id", missing: "cashier_payment_not_found" },
  ] as const;
  const send = (route: string, provider: string, tenant: TestTenant, signed: Signed) =>
    t.app.inject({
      method: "POST",
      url: `/v1/${route}/${provider}/${tenant.tenantId}`,
      headers: signed.headers,
      payload: signed.body,
    });
  async function tally(tenant: TestTenant) {
    const db = t.database.owner;
    const count = (table: "audit_events" | "events" | "ledger_transfers") =>
      db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("tenant_id", "=", tenant.tenantId)
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n));
    return {
      audit: await count("audit_events"),
      events: await count("events"),
      transfers: await count("ledger_transfers"),
    };
  }
  async function configured(p: ProviderCase) {
    t.clock.set(START);
    const tenant = await createTestTenant(t, `${p.name} shared account`);
    const c = topupClient(t, tenant);
    await c.ok("PUT", `/v1/payment-providers/${p.name}`, p.config);
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: p.name });
    return tenant;
  }

  it("Stripe: a package order's success is acknowledged by every other route, nothing written, and the package route completes it", async () => {
    const p = PROVIDERS[0]!;
    const flow = FLOWS[1]!;
    const tenant = await configured(p);
    const sales = await flow.setUp(tenant);
    const m = await sales.member();
    const sale = await sales.start(m);
    const ref = (await providerRef(flow, tenant, sale.recordId)).provider_ref!;
    const paid = p.paid(ref, sale.amount, "evt_shared_1");
    const other = providers.stripeNotice({
      id: "evt_customer_1",
      type: "customer.created",
      data: { object: { id: "cus_1", object: "customer" } },
    });

    const before = await written(flow, tenant, sale.recordId);
    for (const r of ROUTES) {
      // The signature first: a tampered notice is refused wherever it lands.
      const tampered = { ...paid, body: paid.body.replace("evt_shared_1", "evt_shared_9") };
      expectProblem(await send(r.route, "stripe", tenant, tampered), 401, "webhook_signature_invalid");
      const heard = await send(r.route, "stripe", tenant, other);
      expect(heard.statusCode, `${r.route}: ${heard.body}`).toBe(200);
      expect(json(heard)).toEqual({ object: "webhook_receipt", [r.id]: null, result: "payment_ignored" });
      if (r.route === flow.route) continue;
      const ignored = await send(r.route, "stripe", tenant, paid);
      expect(ignored.statusCode, `${r.route}: ${ignored.body}`).toBe(200);
      expect(json(ignored)).toEqual({ object: "webhook_receipt", [r.id]: null, result: "payment_ignored" });
    }
    expect(await written(flow, tenant, sale.recordId)).toEqual(before);

    answered(p, await send(flow.route, "stripe", tenant, paid), "paid");
    await sales.completedOnce(sale, m);
  });

  it("Alipay: a signed notice of an unknown out_trade_no, or of a status that decides nothing (WAIT_BUYER_PAY), is answered success on every route, nothing written; a tampered one 401", async () => {
    const p = PROVIDERS[1]!;
    const tenant = await configured(p);
    const signed = p.paid("no-such-trade-0001", 5_000, "alipay-unknown-1");
    const tampered = { ...signed, body: signed.body.replace("no-such-trade-0001", "no-such-trade-0002") };
    const waiting = providers.alipay("no-such-trade-0003", 5_000, "alipay-waiting-1", {
      trade_status: "WAIT_BUYER_PAY",
    });
    const before = await tally(tenant);
    for (const r of ROUTES) {
      expectProblem(await send(r.route, "alipay", tenant, tampered), 401, "webhook_signature_invalid");
      for (const notice of [signed, waiting]) {
        const heard = await send(r.route, "alipay", tenant, notice);
        expect(heard.statusCode, `${r.route}: ${heard.body}`).toBe(200);
        expect(heard.body).toBe("success");
      }
    }
    expect(await tally(tenant)).toEqual(before);
  });

  it("the test provider: an unknown payment is still refused 404 on every route", async () => {
    t.clock.set(START);
    const tenant = await createTestTenant(t, "test provider unknown payment");
    const signed = signTestWebhook(
      testProviderSecret(t.config.signingSecret),
      {
        id: "evt-unknown",
        provider_ref: "testpay_nothing",
        status: "succeeded",
        amount: 1_000,
        currency: "CNY",
      },
      t.clock.now(),
    );
    const before = await tally(tenant);
    for (const r of ROUTES) {
      expectProblem(await send(r.route, "test", tenant, signed), 404, r.missing);
    }
    expect(await tally(tenant)).toEqual(before);
  });
});
