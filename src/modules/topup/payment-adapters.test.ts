import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { wechatPayConfig } from "../../../test/helpers/provider-cases.js";
import {
  alipayNotification,
  rsaPair,
  stripeEvent,
  stripeServer,
  wechatpayNotification,
  wechatpayServer,
} from "../../../test/helpers/provider-fixtures.js";
import { type TopupBody, topupClient } from "../../../test/helpers/topup.js";
import { signTestWebhook, testProviderSecret } from "../wallets/index.js";

let t: TestApp;
const alipayApp = rsaPair();
const alipayPlatform = rsaPair();
const wxMerchant = rsaPair();
const wxPlatform = rsaPair();
const apiV3Key = randomBytes(16).toString("hex");
const wechatConfig = wechatPayConfig({
  platformPublicKey: wxPlatform.publicKey,
  merchantPrivateKey: wxMerchant.privateKey,
  apiV3Key,
});
const wxServer = wechatpayServer({
  merchantPublicKey: wxMerchant.publicKey,
  platformPrivateKey: wxPlatform.privateKey,
  platformSerial: "PUB_KEY_ID_0001",
});
const stripe = stripeServer();
const range = { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 0 };

beforeAll(async () => {
  t = await createTestApp({
    extend: () =>
      ({ paymentTransports: { wechatpayAdapter: wxServer.adapter, stripeFetch: stripe.fetch } }) as never,
  });
});
afterAll(async () => t?.close());

async function tenantWith(provider: string, config: object) {
  const tenant = await createTestTenant(t, `${provider} tenant`);
  const c = topupClient(t, tenant);
  await c.ok("PUT", `/v1/payment-providers/${provider}`, config);
  await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: provider });
  const plan = await c.plan({ kind: "package", name: `${provider} plan`, rule: range });
  return { tenant, c, plan };
}
const notify = (tenant: TestTenant, provider: string, body: string, headers: Record<string, string>) =>
  t.app.inject({
    method: "POST",
    url: `/v1/topup-payment-webhooks/${provider}/${tenant.tenantId}`,
    headers,
    payload: body,
  });

describe("Alipay (alipay-sdk) against locally generated keys", () => {
  it("pays online: signed pay URL; a tampered signature or amount credits nothing; duplicates and out-of-order refunds", async () => {
    const { tenant, c, plan } = await tenantWith("alipay", {
      settings: { app_id: "2021000000000001", alipay_public_key: alipayPlatform.publicKey },
      secrets: { app_private_key: alipayApp.privateKey },
    });
    const listed = await c.call("GET", "/v1/payment-providers");
    expect(listed.body).not.toContain("PRIVATE KEY");
    expect(json<{ data: { provider: string; secrets_set: boolean }[] }>(listed).data).toEqual([
      expect.objectContaining({ provider: "alipay", secrets_set: true }),
    ]);
    const m = await c.newMember();
    const started = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 25_000, channel: "online", payment_method: "online" }),
    );
    expect(started.status).toBe("pending_payment");
    const payUrl = new URL(String(started.checkout?.pay_url));
    expect(payUrl.searchParams.get("method")).toBe("alipay.trade.page.pay");
    expect(payUrl.searchParams.get("sign")).toBeTruthy();
    expect(JSON.parse(payUrl.searchParams.get("biz_content") ?? "{}")).toMatchObject({
      out_trade_no: started.id,
      total_amount: "250.00",
    });

    const params = {
      notify_time: "2026-11-23 16:01:00",
      notify_type: "trade_status_sync",
      notify_id: "ntf-1",
      app_id: "2021000000000001",
      charset: "utf-8",
      version: "1.0",
      trade_no: "2026112322001",
      out_trade_no: started.id,
      trade_status: "TRADE_SUCCESS",
      total_amount: "250.00",
    };
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const good = alipayNotification(alipayPlatform.privateKey, params);
    // A signature by another key, and an amount changed after signing: refused, nothing credited.
    expectProblem(
      await notify(tenant, "alipay", alipayNotification(wxPlatform.privateKey, params), form),
      401,
      "webhook_signature_invalid",
    );
    expectProblem(
      await notify(tenant, "alipay", good.replace("total_amount=250.00", "total_amount=2500.00"), form),
      401,
      "webhook_signature_invalid",
    );
    // Signed properly but for another amount than the top-up: refused.
    expectProblem(
      await notify(
        tenant,
        "alipay",
        alipayNotification(alipayPlatform.privateKey, { ...params, total_amount: "100.00" }),
        form,
      ),
      422,
      "amount_mismatch",
    );
    expect((await c.balance(m)).total).toBe(0);
    const ok = await notify(tenant, "alipay", good, form);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.body).toBe("success");
    expect((await notify(tenant, "alipay", good, form)).body).toBe("success");
    expect(await c.balance(m)).toMatchObject({ principal: 25_000, bonus: 2_500 });
    const credited = await c.ok<TopupBody>("GET", `/v1/topups/${started.id}`);
    expect(credited.status).toBe("credited");

    // Out of order: a refund before its payment is refused (the provider retries), then applied once.
    const second = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 10_000, channel: "online", payment_method: "online" }),
    );
    const refund = alipayNotification(alipayPlatform.privateKey, {
      ...params,
      notify_id: "ntf-r1",
      out_trade_no: second.id,
      total_amount: "100.00",
      refund_fee: "100.00",
      gmt_refund: "2026-11-23 16:10:00",
      out_biz_no: "rf-1",
      trade_status: "TRADE_CLOSED",
    });
    expectProblem(await notify(tenant, "alipay", refund, form), 409, "topup_payment_not_settled");
    await notify(
      tenant,
      "alipay",
      alipayNotification(alipayPlatform.privateKey, {
        ...params,
        notify_id: "ntf-2",
        out_trade_no: second.id,
        total_amount: "100.00",
      }),
      form,
    );
    expect((await c.balance(m)).total).toBe(27_500 + 11_000);
    expect((await notify(tenant, "alipay", refund, form)).statusCode).toBe(200);
    expect((await notify(tenant, "alipay", refund, form)).statusCode).toBe(200);
    expect((await c.balance(m)).total).toBe(27_500);
    expect((await c.ok<TopupBody>("GET", `/v1/topups/${second.id}`)).status).toBe("refunded");
  });

  it("credits a plan whose name holds a % (Alipay sends it back as the subject), and takes only RSA2 signatures", async () => {
    const { tenant, c } = await tenantWith("alipay", {
      settings: { app_id: "2021000000000004", alipay_public_key: alipayPlatform.publicKey },
      secrets: { app_private_key: alipayApp.privateKey },
    });
    const plan = await c.plan({ kind: "package", name: "Save 10% %41 off", rule: range });
    const m = await c.newMember();
    const started = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 25_000, channel: "online", payment_method: "online" }),
    );
    const subject = JSON.parse(
      new URL(String(started.checkout?.pay_url)).searchParams.get("biz_content") ?? "{}",
    ).subject as string;
    expect(subject).toContain("Save 10% %41 off");
    const params = {
      notify_id: "ntf-percent",
      app_id: "2021000000000004",
      trade_no: "2026112322004",
      out_trade_no: started.id,
      trade_status: "TRADE_SUCCESS",
      total_amount: "250.00",
      subject,
    };
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const signed = alipayNotification(alipayPlatform.privateKey, params);
    // The same signature declared as RSA (SHA-1) is not checked with that weaker algorithm.
    expectProblem(
      await notify(tenant, "alipay", signed.replace("sign_type=RSA2", "sign_type=RSA"), form),
      401,
      "webhook_signature_invalid",
    );
    const ok = await notify(tenant, "alipay", signed, form);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.body).toBe("success");
    expect(await c.balance(m)).toMatchObject({ principal: 25_000 });
  });

  it("a house currency cannot be bought online; a currency the provider does not take is refused", async () => {
    const gold = await createTestTenant(t, "Gold tenant");
    const g = topupClient(t, gold);
    await g.ok("PATCH", "/v1/wallet-settings", {
      asset: { code: "GOLD", scale: 0, name: "Gold coins", symbol: "★" },
    });
    await g.ok("PUT", "/v1/payment-providers/alipay", {
      settings: { app_id: "2021000000000002", alipay_public_key: alipayPlatform.publicKey },
      secrets: { app_private_key: alipayApp.privateKey },
    });
    await g.ok("PATCH", "/v1/wallet-settings", { payment_provider: "alipay" });
    const plan = await g.plan({
      kind: "package",
      name: "Coins",
      rule: { type: "fixed", amount: 100, bonus_amount: 0, bonus_points: 0 },
    });
    const m = await g.newMember();
    expectProblem(
      await g.topUp(plan, { member_id: m, channel: "online", payment_method: "online" }),
      422,
      "house_currency_not_purchasable",
    );
    // Offline at the till the same plan works.
    expect(
      (await g.topUp(plan, { member_id: m, channel: "pos", payment_method: "offline" })).statusCode,
    ).toBe(201);
    // The wallets' raw online top-up follows the same rule.
    await g.ok("PATCH", "/v1/wallet-settings", { payment_provider: "test" });
    expectProblem(
      await g.call("POST", `/v1/members/${m}/topup-intents`, { amount: 100 }),
      422,
      "house_currency_not_purchasable",
    );
    const usd = await createTestTenant(t, "USD tenant");
    const u = topupClient(t, usd);
    await u.ok("PATCH", "/v1/wallet-settings", { asset: { code: "USD", scale: 2, name: "US dollar" } });
    await u.ok("PUT", "/v1/payment-providers/alipay", {
      settings: { app_id: "2021000000000003", alipay_public_key: alipayPlatform.publicKey },
      secrets: { app_private_key: alipayApp.privateKey },
    });
    await u.ok("PATCH", "/v1/wallet-settings", { payment_provider: "alipay" });
    const usdPlan = await u.plan({ kind: "package", name: "Dollars", rule: range });
    expectProblem(
      await u.topUp(usdPlan, {
        member_id: await u.newMember(),
        amount: 10_000,
        channel: "online",
        payment_method: "online",
      }),
      422,
      "currency_not_supported_by_provider",
    );
  });
});

describe("a plan top-up paid on a phone (payment_scene mobile)", () => {
  it("Alipay: a mobile-website pay URL (alipay.trade.wap.pay, QUICK_WAP_WAY); WeChat Pay: an H5 order told the member's address", async () => {
    const ali = await tenantWith("alipay", {
      settings: { app_id: "2021000000000009", alipay_public_key: alipayPlatform.publicKey },
      secrets: { app_private_key: alipayApp.privateKey },
    });
    const onPhone = { channel: "online", payment_method: "online", payment_scene: "mobile" };
    const viaAlipay = json<TopupBody>(
      await ali.c.topUp(ali.plan, { member_id: await ali.c.newMember(), amount: 10_000, ...onPhone }),
    );
    expect(viaAlipay.status).toBe("pending_payment");
    expect(viaAlipay.checkout?.payment_scene).toBe("mobile");
    const payUrl = new URL(String(viaAlipay.checkout?.pay_url));
    expect(payUrl.searchParams.get("method")).toBe("alipay.trade.wap.pay");
    expect(JSON.parse(payUrl.searchParams.get("biz_content") ?? "{}")).toMatchObject({
      out_trade_no: viaAlipay.id,
      total_amount: "100.00",
      product_code: "QUICK_WAP_WAY",
    });

    const wx = await tenantWith("wechatpay", wechatConfig);
    const viaWechat = json<TopupBody>(
      await wx.c.topUp(wx.plan, { member_id: await wx.c.newMember(), amount: 10_000, ...onPhone }),
    );
    expect(viaWechat.checkout).toEqual({ h5_url: expect.stringMatching(/^https:/), payment_scene: "mobile" });
    expect(wxServer.seen.at(-1)).toMatchObject({
      url: "/v3/pay/transactions/h5",
      verified: true,
      body: {
        out_trade_no: viaWechat.id,
        amount: { total: 10_000, currency: "CNY" },
        // No proxy is trusted here: the address the request came from.
        scene_info: { payer_client_ip: "127.0.0.1", h5_info: { type: "Wap" } },
      },
    });
  });
});

describe("WeChat Pay v3 (wechatpay-axios-plugin) against locally generated keys", () => {
  it("orders by Native pay with a signed request, credits once on a verified, decrypted notification", async () => {
    const { tenant, c, plan } = await tenantWith("wechatpay", wechatConfig);
    const m = await c.newMember();
    const started = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 12_345, channel: "online", payment_method: "online" }),
    );
    expect(String(started.checkout?.code_url)).toMatch(/^weixin:\/\/wxpay\//);
    expect(wxServer.seen.at(-1)).toMatchObject({
      url: "/v3/pay/transactions/native",
      verified: true,
      body: { out_trade_no: started.id, amount: { total: 12_345, currency: "CNY" }, mchid: "1900000109" },
    });
    const fixture = (resource: Record<string, unknown>, id = "EV-1", key = wxPlatform.privateKey) =>
      wechatpayNotification(
        { platformPrivateKey: key, platformSerial: "PUB_KEY_ID_0001", apiV3Key, now: t.clock.now() },
        { id, event_type: "TRANSACTION.SUCCESS", resource },
      );
    const resource = {
      mchid: "1900000109",
      appid: "wx8888888888888888",
      out_trade_no: started.id,
      transaction_id: "4200000001",
      trade_state: "SUCCESS",
      amount: { total: 12_345, payer_total: 12_345, currency: "CNY", payer_currency: "CNY" },
    };
    const good = fixture(resource);
    expectProblem(
      await notify(tenant, "wechatpay", good.body, {
        ...good.headers,
        "wechatpay-signature": fixture(resource, "EV-1", alipayApp.privateKey).headers["wechatpay-signature"],
      }),
      401,
      "webhook_signature_invalid",
    );
    expectProblem(
      await notify(
        tenant,
        "wechatpay",
        good.body.replace(/"ciphertext":"[^"]+"/, '"ciphertext":"AAAA"'),
        good.headers,
      ),
      401,
      "webhook_signature_invalid",
    );
    expectProblem(
      await notify(tenant, "wechatpay", good.body, { ...good.headers, "wechatpay-serial": "OTHER" }),
      401,
      "webhook_signature_invalid",
    );
    const wrongAmount = fixture({ ...resource, amount: { ...resource.amount, total: 1 } }, "EV-2");
    expectProblem(
      await notify(tenant, "wechatpay", wrongAmount.body, wrongAmount.headers),
      422,
      "amount_mismatch",
    );
    const stale = wechatpayNotification(
      {
        platformPrivateKey: wxPlatform.privateKey,
        platformSerial: "PUB_KEY_ID_0001",
        apiV3Key,
        now: new Date(t.clock.now().getTime() - 600_000),
      },
      { id: "EV-3", event_type: "TRANSACTION.SUCCESS", resource },
    );
    expectProblem(
      await notify(tenant, "wechatpay", stale.body, stale.headers),
      401,
      "webhook_signature_invalid",
    );
    // Signed, but with a time that is no number of seconds: no time is inside the tolerance.
    for (const timestamp of ["soon", "", "1e10", `${Math.floor(t.clock.now().getTime() / 1000)}.5`]) {
      const timeless = wechatpayNotification(
        {
          platformPrivateKey: wxPlatform.privateKey,
          platformSerial: "PUB_KEY_ID_0001",
          apiV3Key,
          now: t.clock.now(),
          timestamp,
        },
        { id: "EV-4", event_type: "TRANSACTION.SUCCESS", resource },
      );
      expectProblem(
        await notify(tenant, "wechatpay", timeless.body, timeless.headers),
        401,
        "webhook_signature_invalid",
      );
    }
    expect((await c.balance(m)).total).toBe(0);
    const ok = await notify(tenant, "wechatpay", good.body, good.headers);
    expect(json<{ result: string }>(ok).result).toBe("credited");
    const dup = await notify(tenant, "wechatpay", good.body, good.headers);
    expect(json<{ result: string }>(dup).result).toBe("already_settled");
    expect(await c.balance(m)).toMatchObject({ principal: 12_345, bonus: 1_234 });
    // A refund of part of it (this refund's amount): taken back from the top-up's lots.
    const refund = wechatpayNotification(
      {
        platformPrivateKey: wxPlatform.privateKey,
        platformSerial: "PUB_KEY_ID_0001",
        apiV3Key,
        now: t.clock.now(),
      },
      {
        id: "EV-R1",
        event_type: "REFUND.SUCCESS",
        resource: {
          ...resource,
          refund_id: "50000001",
          amount: { total: 12_345, refund: 2_345, currency: "CNY" },
        },
      },
    );
    expect(
      json<{ result: string }>(await notify(tenant, "wechatpay", refund.body, refund.headers)).result,
    ).toBe("refund_recorded");
    expect(
      json<{ result: string }>(await notify(tenant, "wechatpay", refund.body, refund.headers)).result,
    ).toBe("already_settled");
    // 2,345 of principal; bonus 1,234 × 2,345 / 12,345 = 234.4 → 234.
    expect(await c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000 });
  });
});

describe("Stripe (stripe) against a local webhook secret", () => {
  it("creates a PaymentIntent and credits once on a verified event; tampering credits nothing", async () => {
    const secret = "whsec_test_0123456789";
    const { tenant, c, plan } = await tenantWith("stripe", {
      settings: {},
      secrets: { secret_key: "sk_test_123", webhook_secret: secret },
    });
    const m = await c.newMember();
    const started = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 20_000, channel: "online", payment_method: "online" }),
    );
    expect(String(started.checkout?.client_secret)).toContain("_secret_");
    expect(stripe.created.at(-1)).toMatchObject({
      amount: 20_000,
      currency: "cny",
      idempotencyKey: started.id,
    });
    const topup = await c.ok<TopupBody & { provider: string }>("GET", `/v1/topups/${started.id}`);
    const providerRef = await t.deps.db.tenantTx(
      tenant.tenantId,
      async (trx) =>
        (
          await trx
            .selectFrom("topups")
            .select("provider_ref")
            .where("id", "=", topup.id)
            .executeTakeFirstOrThrow()
        ).provider_ref,
    );
    const event = (amount: number) => ({
      id: "evt_1",
      type: "payment_intent.succeeded",
      data: {
        object: {
          id: providerRef,
          object: "payment_intent",
          amount,
          amount_received: amount,
          currency: "cny",
        },
      },
    });
    const good = stripeEvent(secret, t.clock.now(), event(20_000));
    expectProblem(
      await notify(tenant, "stripe", good.body.replace("20000", "2000000"), good.headers),
      401,
      "webhook_signature_invalid",
    );
    expectProblem(
      await notify(tenant, "stripe", good.body, {
        ...good.headers,
        "stripe-signature": stripeEvent("whsec_other", t.clock.now(), event(20_000)).headers[
          "stripe-signature"
        ],
      }),
      401,
      "webhook_signature_invalid",
    );
    const wrong = stripeEvent(secret, t.clock.now(), event(100));
    expectProblem(await notify(tenant, "stripe", wrong.body, wrong.headers), 422, "amount_mismatch");
    expect((await c.balance(m)).total).toBe(0);
    expect(json<{ result: string }>(await notify(tenant, "stripe", good.body, good.headers)).result).toBe(
      "credited",
    );
    expect(json<{ result: string }>(await notify(tenant, "stripe", good.body, good.headers)).result).toBe(
      "already_settled",
    );
    expect(await c.balance(m)).toMatchObject({ principal: 20_000, bonus: 2_000 });
  });
});

describe("Stripe Checkout for a plan top-up", () => {
  it("with a return_url the top-up is a Checkout Session found by our id; the paid session credits once, an amount that differs is refused", async () => {
    const secret = "whsec_checkout_0123456789";
    const { tenant, c, plan } = await tenantWith("stripe", {
      settings: {},
      secrets: { secret_key: "sk_test_123", webhook_secret: secret },
    });
    const m = await c.newMember();
    const back = "https://members.example.com/m/ten_x/topup";
    const intents = stripe.created.length;
    const started = json<TopupBody>(
      await c.topUp(plan, {
        member_id: m,
        amount: 20_000,
        channel: "online",
        payment_method: "online",
        return_url: back,
      }),
    );
    expect(stripe.created.length).toBe(intents);
    const sent = stripe.sessions.at(-1)!;
    expect(sent.idempotencyKey).toBe(started.id);
    expect(sent.form).toMatchObject({
      mode: "payment",
      "line_items[0][price_data][unit_amount]": "20000",
      success_url: back,
      cancel_url: back,
      "payment_intent_data[metadata][intent_id]": started.id,
      "payment_intent_data[metadata][paid_by]": "checkout_session",
    });
    expect(started.checkout).toMatchObject({ pay_url: expect.any(String), checkout_session_id: sent.id });
    const completed = (amount: number) =>
      stripeEvent(secret, t.clock.now(), {
        id: `evt_cs_${amount}`,
        type: "checkout.session.completed",
        data: {
          object: {
            id: sent.id,
            object: "checkout.session",
            status: "complete",
            payment_status: "paid",
            amount_total: amount,
            currency: "cny",
            metadata: { intent_id: started.id, tenant_id: tenant.tenantId, paid_by: "checkout_session" },
          },
        },
      });
    const wrong = completed(100);
    expectProblem(await notify(tenant, "stripe", wrong.body, wrong.headers), 422, "amount_mismatch");
    const good = completed(20_000);
    expect(json<{ result: string }>(await notify(tenant, "stripe", good.body, good.headers)).result).toBe(
      "credited",
    );
    expect(json<{ result: string }>(await notify(tenant, "stripe", good.body, good.headers)).result).toBe(
      "already_settled",
    );
    expect(await c.balance(m)).toMatchObject({ principal: 20_000, bonus: 2_000 });
  });
});

describe("online top-ups hold stock while payable", () => {
  it("an unpaid online top-up frees its stock when it expires; a late payment that finds it sold is owed back", async () => {
    const tenant = await createTestTenant(t, "Stock tenant");
    const c = topupClient(t, tenant);
    const plan = await c.plan({
      kind: "package",
      name: "One left",
      rule: range,
      restrictions: { stock_limit: 1 },
    });
    const m = await c.newMember();
    const online = { member_id: m, amount: 10_000, channel: "online", payment_method: "online" };
    const first = json<TopupBody & { provider: string }>(await c.topUp(plan, online));
    expect(first).toMatchObject({ status: "pending_payment", provider: "test" });
    expectProblem(await c.topUp(plan, online), 409, "plan_out_of_stock");
    t.clock.advanceMinutes(16);
    const second = json<TopupBody>(await c.topUp(plan, online));
    expect(second.status).toBe("pending_payment");
    expect((await c.ok<TopupBody>("GET", `/v1/topups/${first.id}`)).status).toBe("expired");
    const ref = String(first.checkout?.pay_url).replace("test://pay/", "");
    const late = signTestWebhook(
      testProviderSecret(t.config.signingSecret),
      { id: "evt-late", provider_ref: ref, status: "succeeded", amount: 10_000, currency: "CNY" },
      t.clock.now(),
    );
    const r = await notify(tenant, "test", late.body, {
      ...late.headers,
      "content-type": "application/json",
    });
    expect(json<{ result: string }>(r).result).toBe("refund_due");
    expect((await c.ok<TopupBody>("GET", `/v1/topups/${first.id}`)).status).toBe("refund_due");
    expect((await c.balance(m)).total).toBe(0);
    t.clock.set("2026-11-23T08:00:00Z");
  });
});
