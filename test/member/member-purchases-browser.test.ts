import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTestWebhook, testProviderSecret } from "../../src/modules/wallets/index.js";
import {
  type ConsoleServer,
  ensureConsoleBuilt,
  expectNoConsoleProblems,
  launchChromium,
  openPage,
  poll,
  STEP_TIMEOUT,
  screenshot,
  startServerWith,
} from "../helpers/console-browser.js";
import { MEMBER_SHOTS, memberLink, PHONE, valueCall } from "../helpers/member-browser.js";
import { wechatPayConfig } from "../helpers/provider-cases.js";
import { rsaPair, stripeEvent, stripeServer, wechatpayServer } from "../helpers/provider-fixtures.js";

const SHOTS = MEMBER_SHOTS;
/** The start of a PNG (signature and header): the student ID photo, checked by its content. */
const PNG_HEX = "89504e470d0a1a0a0000000d4948445200000001000000010806000000";
const PNG = Buffer.from(PNG_HEX, "hex");

let server: ConsoleServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
let ada = "";
let bo = "";

const shot = (name: string) => screenshot(page, `member-${name}`, SHOTS);
const home = () => page.getByText("首页", { exact: true }).click();
const balanceOf = async (id: string) =>
  (await server.api<{ total: number; points: number }>("GET", `/v1/members/${id}/balance`)).total;

// The tenant's own Alipay and WeChat Pay (the last test switches to them): Alipay's pay URL is
// made locally; WeChat Pay's server is a local stand-in answering Native orders with a code_url
// and H5 orders with an h5_url.
const alipayKeys = { app: rsaPair(), platform: rsaPair() };
const wxMerchant = rsaPair();
const wxPlatform = rsaPair();
const wxServer = wechatpayServer({
  merchantPublicKey: wxMerchant.publicKey,
  platformPrivateKey: wxPlatform.privateKey,
  platformSerial: "PUB_KEY_ID_0001",
});

// The tenant's own Stripe: its API a local stand-in answering Checkout Sessions.
const stripe = stripeServer();
const STRIPE_WEBHOOK_SECRET = "whsec_member_center_0123456789";

const send = <T = { id: string }>(method: "POST" | "PUT", url: string, body: object, key: string) =>
  valueCall<T>(server, method, url, body, key);

beforeAll(async () => {
  [server, browser] = await Promise.all([
    ensureConsoleBuilt().then(() =>
      startServerWith({
        extend: () =>
          ({ paymentTransports: { wechatpayAdapter: wxServer.adapter, stripeFetch: stripe.fetch } }) as never,
      }),
    ),
    launchChromium(),
  ]);
  context = await browser.newContext({ ...PHONE, locale: "zh-CN" });
  context.setDefaultTimeout(STEP_TIMEOUT);
  ({ page, problems } = await openPage(context));

  const member = async (name: string) =>
    (await server.api<{ id: string }>("POST", "/v1/members", { name })).id;
  ada = await member("林小满");
  bo = await member("Bo");
  await server.api("PATCH", "/v1/wallet-settings", { online_topup_enabled: true });
  await server.api("POST", `/v1/members/${ada}/top-ups`, { amount: 10_000, reason: "门店收款" });
  await server.api("POST", `/v1/members/${ada}/points`, {
    operation: "earn",
    points: 500,
    reason: "消费积分",
  });
  // Seed 001 §2.3: a fixed package (100 → 10 bonus and 50 points) and a range (100–500 at 10% / 5%).
  await send(
    "POST",
    "/v1/topup-plans",
    {
      kind: "package",
      name: "充100送10",
      rule: { type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 50 },
      restrictions: { channels: ["online"] },
    },
    "plan-fixed",
  );
  await send(
    "POST",
    "/v1/topup-plans",
    {
      kind: "package",
      name: "夏季储值",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 500 },
    },
    "plan-range",
  );
  await send(
    "POST",
    "/v1/smart-topup-plans",
    {
      name: "节日智能充值",
      rounding: "1",
      channels: ["online", "pos"],
      tiers: [
        { type: "discount", multiplier_bps: 12_000, bonus_bps: 800 },
        { type: "fixed", amount: 50_000, bonus_amount: 5_000, bonus_points: 500 },
      ],
    },
    "smart-plan",
  );
  const giftPlan = await server.api<{ id: string }>("POST", "/v1/gift-card-plans", {
    name: "中秋团圆礼品卡",
    card_type: "electronic",
    currency: "CNY",
    design: { kind: "template", template: "festival" },
    denominations: [
      { amount: 20_000, discount: 2_000 },
      { amount: 50_000, discount: 0 },
    ],
    custom_amount: { min: 5_000, max: 100_000 },
    validity: { kind: "after_purchase", years: 1 },
    channels: ["ONLINE"],
  });
  await server.api("POST", `/v1/gift-card-plans/${giftPlan.id}/activate`, {});
  await send(
    "PUT",
    "/v1/student-settings",
    {
      validity: { count: 6, unit: "month" },
      reminder_days_before: 7,
      page: { title: "学生认证", body: "在校学生每单享 8 折。", image_ids: [], package_ids: [] },
      student_tag: null,
      student_group: null,
      gift: { kind: "none" },
      gift_rule: "first_verification",
    },
    "student-settings",
  );
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("buying in the member center on a phone", () => {
  it("tops up by plan through the test provider: live bonus and points, credited once though confirmed twice", async () => {
    await page.goto(await memberLink(server, ada));
    await poll(() => page.getByTestId("balance-total").textContent()).toBe("¥100.00");
    await page.getByRole("button", { name: "充值" }).click();
    const plans = page.getByTestId("topup-plan");
    await poll(() => plans.count()).toBe(2);
    // A plan not yet chosen is a button the keyboard reaches; Enter chooses it, and the chosen
    // card's own controls follow it.
    const fixedPlan = page.getByRole("button", { name: "充100送10" });
    await fixedPlan.focus();
    // Back and forth by keyboard, so the browser shows the focus as a keyboard's.
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    expect(await page.locator(":focus").getAttribute("aria-label")).toBe("充100送10");
    await shot("topup-plan-keyboard");
    await page.keyboard.press("Enter");
    await poll(() => page.getByTestId("topup-figures").textContent()).toBe(
      "赠送 ¥10.00 · 50 积分 · 到账可用 ¥110.00",
    );
    expect(await fixedPlan.count()).toBe(0);
    expect(await page.locator(":focus").textContent()).toBe("支付 ¥100.00");
    // The range plan computes bonus and points as the amount is typed (250.00 → 25.00, 12.5 → 12 points).
    await plans.filter({ hasText: "夏季储值" }).click();
    await page.getByPlaceholder("¥100.00 – ¥500.00").fill("250");
    await poll(() => page.getByTestId("topup-figures").textContent()).toBe(
      "赠送 ¥25.00 · 12 积分 · 到账可用 ¥275.00",
    );
    await page.getByPlaceholder("¥100.00 – ¥500.00").fill("600");
    await poll(() => plans.filter({ hasText: "夏季储值" }).textContent()).toContain(
      "请输入 ¥100.00 至 ¥500.00 之间的金额",
    );
    await plans.filter({ hasText: "充100送10" }).click();
    await poll(() => page.getByTestId("topup-figures").textContent()).toBe(
      "赠送 ¥10.00 · 50 积分 · 到账可用 ¥110.00",
    );
    await shot("topup-plans");
    await page.getByRole("button", { name: "支付 ¥100.00" }).click();
    await poll(() => page.getByTestId("topup-result").textContent()).toContain("¥100.00 · 待支付");

    const topup = await server.t.database.owner
      .selectFrom("topups")
      .select(["provider_ref", "amount", "status"])
      .where("member_id", "=", ada)
      .executeTakeFirstOrThrow();
    expect(topup).toMatchObject({ amount: 10_000, status: "pending_payment" });
    const signed = signTestWebhook(
      testProviderSecret(server.t.config.signingSecret),
      {
        id: "evt_plan_topup_1",
        provider_ref: topup.provider_ref,
        status: "succeeded",
        amount: 10_000,
        currency: "CNY",
      },
      server.t.clock.now(),
    );
    const confirm = async () => {
      const response = await fetch(
        `${server.baseUrl}/v1/topup-payment-webhooks/test/${server.demo.tenant_id}`,
        {
          method: "POST",
          headers: { "content-type": "application/json", ...signed.headers },
          body: signed.body,
        },
      );
      return ((await response.json()) as { result: string }).result;
    };
    expect(await confirm()).toBe("credited");
    expect(await confirm()).toBe("already_settled");

    // The result page follows the top-up until it is credited, and shows the balance after it.
    await poll(() => page.getByTestId("topup-result").textContent()).toContain(
      "已到账 ¥100.00，赠送 ¥10.00，积分 50",
    );
    await poll(() => page.getByTestId("topup-balance").textContent()).toBe("当前余额 ¥210.00");
    expect(await balanceOf(ada)).toBe(21_000);
    await shot("topup-credited");
    expectNoConsoleProblems(problems);
  });

  it("the cashier: an amount the balance cannot pay shows the seed's refusal and the smart top-up tiers", async () => {
    // The merchant hands the amount due over in the link (?amount=); the page is not reloaded,
    // since the visit is checked against the server's (test) clock.
    await page.evaluate((url) => {
      // Runs in the page: React Router follows pushState once it hears popstate.
      const w = globalThis as unknown as {
        history: { pushState(state: null, unused: string, url: string): void };
        dispatchEvent(event: unknown): void;
        PopStateEvent: new (type: string) => unknown;
      };
      w.history.pushState(null, "", url);
      w.dispatchEvent(new w.PopStateEvent("popstate"));
    }, `/m/${server.demo.tenant_id}/cashier?amount=300`);
    await poll(() => page.getByTestId("cashier-balance").textContent()).toBe("可用余额：¥210.00");
    expect(await page.getByTestId("cashier-short").textContent()).toContain("会员余额不足，无法完成支付");
    await page.getByRole("button", { name: "充值并支付：节日智能充值" }).click();
    const tiers = page.getByTestId("smart-tier");
    await poll(() => tiers.count()).toBe(2);
    // 300 × 1.2 = 360 (rounded up to whole units), bonus 8% of the order = 24: 210 + 360 + 24 after it.
    expect(await tiers.first().textContent()).toContain("充值 ¥360.00");
    expect(await tiers.first().textContent()).toContain("充值后余额 ¥594.00");
    expect(await tiers.nth(1).textContent()).toContain("充值 ¥500.00");
    await shot("cashier-smart");
    await page.getByRole("button", { name: "关闭" }).click();
    await page.getByTestId("smart-popup").waitFor({ state: "hidden" });
    // An amount the balance covers needs no offer.
    await page.getByTestId("cashier").locator("input").fill("100");
    await poll(() => page.getByTestId("cashier-covered").textContent()).toBe("余额足以支付该金额。");
    expectNoConsoleProblems(problems);
  });

  it("buys a gift card by balance at its denomination's price and lists it with the member's cards", async () => {
    await home();
    await page.getByText("购买礼品卡", { exact: true }).click();
    const plan = page.getByTestId("gift-plan");
    await poll(() => plan.first().textContent()).toContain("¥200.00（立减 ¥20.00）");
    await plan.first().click();
    await page.getByRole("button", { name: "支付 ¥180.00" }).waitFor();
    await shot("gift-card-buy");
    // The chosen denomination sits on a tint of the tenant's colour, not on antd-mobile's fixed
    // light blue; the card's content (its pay button, full width) keeps 16 px from its edges.
    const look = (await page.evaluate(`(() => {
      const card = document.querySelector('[data-testid="gift-plan"]');
      const chosen = card.querySelector(".adm-selector-item-active");
      const pay = card.querySelector(".adm-button-primary");
      const [c, p] = [card.getBoundingClientRect(), pay.getBoundingClientRect()];
      return {
        tint: chosen ? getComputedStyle(chosen).backgroundColor : "",
        brand: getComputedStyle(pay).backgroundColor,
        insets: [Math.round(p.left - c.left), Math.round(c.right - p.right)],
      };
    })()`)) as { tint: string; brand: string; insets: number[] };
    // Chromium gives a mixed colour as `color(srgb r g b)` with channels from 0 to 1.
    const rgb = (text: string) =>
      text
        .match(/[\d.]+/g)!
        .slice(0, 3)
        .map((n) => (text.startsWith("color(") ? Number(n) * 255 : Number(n)));
    const [tr, tg, tb] = rgb(look.tint);
    const [br, , bb] = rgb(look.brand);
    expect(look.tint).not.toBe("rgb(231, 241, 255)");
    // A light tint leans the way the brand leans (this tenant's orange: more red than blue).
    expect(Math.sign(tr! - tb!)).toBe(Math.sign(br! - bb!));
    expect(Math.min(tr!, tg!, tb!)).toBeGreaterThan(200);
    expect(look.insets).toEqual([16, 16]);
    await page.getByRole("button", { name: "支付 ¥180.00" }).click();
    await poll(() => page.getByTestId("gift-bought").textContent()).toContain("已购得 ¥200.00 礼品卡");
    expect(await page.getByTestId("gift-pin").textContent()).toMatch(/[0-9]{8}/);
    await shot("gift-card-bought");
    await page.getByRole("button", { name: "我的礼品卡" }).click();
    const card = page.getByTestId("gift-card");
    await poll(() => card.count()).toBe(1);
    expect(await card.first().textContent()).toContain("¥200.00");
    expect(await card.first().textContent()).toContain("可用");
    expect(await balanceOf(ada)).toBe(3_000);
    expectNoConsoleProblems(problems);
  });

  it("exchanges points for balance: a refusal says why in the member's language, then the exchange credits the balance", async () => {
    await home();
    await page.getByTestId("points").click();
    // 500 earned + 50 from the plan top-up.
    await poll(() => page.getByTestId("points-total").textContent()).toBe("550");
    const exchange = page.getByTestId("points-exchange");
    expect(await exchange.textContent()).toContain("100 积分 = ¥1.00");
    await exchange.locator("input").fill("9999");
    await exchange.getByRole("button", { name: "兑换" }).click();
    // The member's own words for the refusal (insufficient_points), not the API's English detail.
    await poll(() => page.getByTestId("refusal").textContent()).toBe("积分不足");
    await shot("points-refused");
    await exchange.locator("input").fill("200");
    await exchange.getByRole("button", { name: "兑换" }).click();
    await poll(() => page.getByTestId("points-credited").textContent()).toBe("已兑换 ¥2.00 到余额");
    await poll(() => page.getByTestId("points-total").textContent()).toBe("350");
    expect(await page.getByTestId("refusal").count()).toBe(0);
    expect(await balanceOf(ada)).toBe(3_200);
    await shot("points-exchange");
    expectNoConsoleProblems(problems);
  });

  it("submits the student ID with its photo; the status turns to under review", async () => {
    await home();
    await page.getByText("学生认证", { exact: true }).click();
    await poll(() => page.getByTestId("student-page").textContent()).toContain("在校学生每单享 8 折。");
    expect(await page.getByTestId("student-status").textContent()).toContain("未认证");
    const form = page.getByTestId("student-form");
    await form.getByPlaceholder("学校").fill("复旦大学");
    await form.getByPlaceholder("学号").fill("22300180042");
    await page.getByTestId("student-graduation").fill("2028-06-30");
    await page
      .getByTestId("student-photo")
      .setInputFiles({ name: "id.png", mimeType: "image/png", buffer: PNG });
    await shot("student-form");
    await form.getByRole("button", { name: "提交审核" }).click();
    await poll(() => page.getByTestId("student-status").textContent()).toContain("审核中");
    expect(await page.getByTestId("student-form").count()).toBe(0);
    const pending = await server.t.database.owner
      .selectFrom("student_verifications")
      .select(["school", "status"])
      .where("member_id", "=", ada)
      .execute();
    expect(pending).toEqual([{ school: "复旦大学", status: "pending" }]);
    await shot("student");
    expectNoConsoleProblems(problems);
  });

  it("shows the top-up plans in English", async () => {
    await home();
    await page.getByRole("button", { name: "EN" }).click();
    await page.getByRole("button", { name: "Top up" }).click();
    await poll(() => page.getByTestId("topup-plan").first().textContent()).toContain("Bonus");
    await page.getByTestId("topup-plan").filter({ hasText: "夏季储值" }).click();
    await page.getByPlaceholder("¥100.00 – ¥500.00").fill("300");
    await poll(() => page.getByTestId("topup-figures").textContent()).toBe(
      "Bonus ¥30.00 · 15 points · ¥330.00 to spend",
    );
    await shot("topup-en");
    await page.getByRole("button", { name: "中文" }).click();
    expectNoConsoleProblems(problems);
  });

  it("the member's token acts only for itself: another member's id is refused on every new action", async () => {
    const statuses = await page.evaluate(
      async ([other, png]) => {
        const store = (
          globalThis as unknown as {
            sessionStorage: { getItem(k: string): string | null } & Record<string, string>;
          }
        ).sessionStorage;
        const key = Object.keys(store).find((k) => k.startsWith("vouchsafe.member."))!;
        const { token } = JSON.parse(store.getItem(key)!) as { token: string };
        const post = async (url: string, body: unknown, type = "application/json") =>
          (
            await fetch(url, {
              method: "POST",
              headers: {
                authorization: `Bearer ${token}`,
                "content-type": type,
                "idempotency-key": crypto.randomUUID(),
              },
              body: body instanceof Uint8Array ? body : JSON.stringify(body),
            })
          ).status;
        const bytes = new Uint8Array(png.match(/../g)!.map((h) => Number.parseInt(h, 16)));
        return [
          await post(`/v1/members/${other}/exchanges`, { from: "points", points: 100 }),
          await post(`/v1/members/${other}/gift-card-purchases`, {
            plan_id: "gcp_x",
            amount: 20_000,
            payment_method: "balance",
          }),
          await post(`/v1/members/${other}/student-id-images`, bytes, "image/png"),
          (
            await fetch(`/v1/members/${other}/student-status`, {
              headers: { authorization: `Bearer ${token}` },
            })
          ).status,
        ];
      },
      [bo, PNG_HEX] as const,
    );
    expect(statuses).toEqual([404, 404, 404, 404]);
    expect(await server.api<{ points: number }>("GET", `/v1/members/${bo}/balance`)).toMatchObject({
      points: 0,
    });
  });

  it("on the phone, the tenant's Alipay is a mobile-website payment and WeChat Pay an H5 payment opened in WeChat; on a computer, WeChat Pay shows the QR code to scan", async () => {
    await server.api("PUT", "/v1/payment-providers/alipay", {
      settings: { app_id: "2021000000000077", alipay_public_key: alipayKeys.platform.publicKey },
      secrets: { app_private_key: alipayKeys.app.privateKey },
    });
    await server.api("PATCH", "/v1/wallet-settings", { payment_provider: "alipay" });
    // Alipay's and WeChat Pay's pages are not reached from the test: their addresses answer with stand-ins.
    await context.route("https://openapi.alipay.com/**", (route) =>
      route.fulfill({ contentType: "text/html", body: "<title>Alipay</title>" }),
    );
    await context.route("https://wx.tenpay.com/**", (route) =>
      route.fulfill({ contentType: "text/html", body: "<title>WeChat Pay</title>" }),
    );
    await home();
    await page.getByRole("button", { name: "充值" }).click();
    await page.getByTestId("topup-free").click();
    await page.getByPlaceholder("例如 100").fill("88");
    await page.getByRole("button", { name: "支付 ¥88.00" }).click();
    await poll(() => page.getByTestId("topup-intent").textContent()).toContain("¥88.00 · 待支付");
    expect(await page.getByTestId("topup-intent").textContent()).toContain("请在支付宝完成付款");
    const intent = await server.t.database.owner
      .selectFrom("wallet_topup_intents")
      .select(["id", "provider", "checkout"])
      .where("member_id", "=", ada)
      .executeTakeFirstOrThrow();
    expect(intent.provider).toBe("alipay");
    expect(intent.checkout).toMatchObject({ payment_scene: "mobile" });
    const payUrl = String((intent.checkout as { pay_url: string }).pay_url);
    await shot("topup-alipay");
    // The button opens the signed mobile-website pay page of this intent.
    const [popup] = await Promise.all([
      context.waitForEvent("page"),
      page.getByRole("button", { name: "去支付 ¥88.00" }).click(),
    ]);
    await popup.waitForLoadState();
    expect(popup.url()).toBe(payUrl);
    const opened = new URL(popup.url());
    expect(opened.searchParams.get("method")).toBe("alipay.trade.wap.pay");
    expect(JSON.parse(opened.searchParams.get("biz_content") ?? "{}")).toMatchObject({
      out_trade_no: intent.id,
      total_amount: "88.00",
      product_code: "QUICK_WAP_WAY",
    });
    await popup.close();

    await server.api(
      "PUT",
      "/v1/payment-providers/wechatpay",
      wechatPayConfig({
        platformPublicKey: wxPlatform.publicKey,
        merchantPrivateKey: wxMerchant.privateKey,
        apiV3Key: "0123456789abcdef0123456789abcdef",
      }),
    );
    await server.api("PATCH", "/v1/wallet-settings", { payment_provider: "wechatpay" });
    // A top-up through WeChat Pay on the phone: no QR code (the member could not scan their own
    // screen) but the button that opens WeChat Pay's H5 page.
    await home();
    await page.getByRole("button", { name: "充值" }).click();
    await page.getByTestId("topup-free").click();
    await page.getByPlaceholder("例如 100").fill("66");
    await page.getByRole("button", { name: "支付 ¥66.00" }).click();
    await poll(() => page.getByTestId("topup-intent").textContent()).toContain("¥66.00 · 待支付");
    const h5 = page.getByTestId("pay-wechat-h5");
    await h5.waitFor();
    expect(await h5.textContent()).toBe("微信支付 ¥66.00");
    expect(await page.getByTestId("pay-checkout").textContent()).toContain("将打开微信完成付款");
    expect(await page.getByTestId("pay-qr").count()).toBe(0);
    const box = await h5.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.viewport.width);
    // The H5 order went to WeChat Pay signed by the tenant's merchant key, with the phone's address.
    const order = wxServer.seen.at(-1)!;
    expect(order).toMatchObject({
      url: "/v3/pay/transactions/h5",
      verified: true,
      body: { amount: { total: 6_600, currency: "CNY" }, scene_info: { h5_info: { type: "Wap" } } },
    });
    expect(String((order.body.scene_info as { payer_client_ip: string }).payer_client_ip)).toMatch(
      /^(127\.0\.0\.1|::1)$/,
    );
    const wxIntent = await server.t.database.owner
      .selectFrom("wallet_topup_intents")
      .select(["checkout"])
      .where("member_id", "=", ada)
      .where("provider", "=", "wechatpay")
      .executeTakeFirstOrThrow();
    const h5Url = String((wxIntent.checkout as { h5_url: string }).h5_url);
    await shot("topup-wechatpay-h5");
    const [wxPage] = await Promise.all([context.waitForEvent("page"), h5.click()]);
    await wxPage.waitForLoadState();
    expect(wxPage.url()).toBe(h5Url);
    await wxPage.close();

    // On a computer (a mouse, a wide screen) the same member buys a gift card: the Native
    // order's QR code, to scan with the phone.
    const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
    desk.setDefaultTimeout(STEP_TIMEOUT);
    const opened2 = await openPage(desk);
    const deskPage = opened2.page;
    await deskPage.goto(await memberLink(server, ada));
    await deskPage.getByText("购买礼品卡", { exact: true }).click();
    await deskPage.getByTestId("gift-plan").first().click();
    await deskPage.getByText("在线支付", { exact: true }).click();
    await deskPage.getByRole("button", { name: "支付 ¥180.00" }).click();
    await poll(() => deskPage.getByTestId("gift-bought").textContent()).toContain("待支付");
    const qr = deskPage.getByTestId("pay-qr").locator("canvas");
    await qr.waitFor();
    expect(await deskPage.getByTestId("pay-checkout").textContent()).toContain("请使用微信扫码支付");
    expect(await deskPage.getByTestId("pay-checkout").textContent()).toContain("¥180.00");
    expect((await qr.boundingBox())?.width).toBeGreaterThan(150);
    expect(await deskPage.getByTestId("pay-wechat-h5").count()).toBe(0);
    expect(wxServer.seen.at(-1)).toMatchObject({
      url: "/v3/pay/transactions/native",
      verified: true,
      body: { amount: { total: 18_000, currency: "CNY" } },
    });
    expect(wxServer.seen.at(-1)!.body.scene_info).toBeUndefined();
    await screenshot(deskPage, "member-gift-card-wechatpay-desktop", SHOTS);
    await desk.close();
    expectNoConsoleProblems(problems);
    expectNoConsoleProblems(opened2.problems);
  });
  it("the tenant's Stripe: a card payment on Stripe's hosted page, opened in a tab of its own that comes back to the page it left with the visit; on a computer, in English, the gift card's PIN stays on the page", async () => {
    await server.api("PUT", "/v1/payment-providers/stripe", {
      settings: {},
      secrets: { secret_key: "sk_test_123", webhook_secret: STRIPE_WEBHOOK_SECRET },
    });
    await server.api("PATCH", "/v1/wallet-settings", { payment_provider: "stripe" });
    // Stripe's page is not reached from the test: its address answers with a stand-in.
    await context.route("https://checkout.stripe.com/**", (route) =>
      route.fulfill({ contentType: "text/html", body: "<title>Stripe Checkout</title>" }),
    );
    // The visit kept in the tab is checked against the browser's clock on the way back: the
    // service's runs on it too from here, and the member opens a fresh link.
    server.t.clock.set(new Date().toISOString());
    await page.goto(await memberLink(server, ada));
    await page.getByRole("button", { name: "充值" }).click();
    await page.getByTestId("topup-free").click();
    const topUpPage = page.url();
    await page.getByPlaceholder("例如 100").fill("77");
    await page.getByRole("button", { name: "支付 ¥77.00" }).click();
    await poll(() => page.getByTestId("topup-intent").textContent()).toContain("¥77.00 · 待支付");
    const card = page.getByTestId("pay-stripe");
    expect(await card.textContent()).toBe("银行卡支付 ¥77.00");
    expect(await page.getByTestId("pay-checkout").textContent()).toContain("将打开 Stripe 安全支付页面");
    expect(await page.getByTestId("pay-checkout").textContent()).not.toContain("商家 App");
    const box = await card.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.viewport.width);
    await shot("topup-stripe");

    // Sent to Stripe: a Checkout Session for this intent, back to the page the member was on.
    const intent = await server.t.database.owner
      .selectFrom("wallet_topup_intents")
      .select(["id", "checkout", "provider_ref"])
      .where("member_id", "=", ada)
      .where("provider", "=", "stripe")
      .executeTakeFirstOrThrow();
    const sent = stripe.sessions.at(-1)!;
    expect(sent.idempotencyKey).toBe(intent.id);
    expect(sent.form).toMatchObject({
      mode: "payment",
      "line_items[0][price_data][unit_amount]": "7700",
      "line_items[0][price_data][currency]": "cny",
      success_url: topUpPage,
      cancel_url: topUpPage,
      "payment_intent_data[metadata][intent_id]": intent.id,
    });
    expect(new URL(topUpPage).pathname).toBe(`/m/${server.demo.tenant_id}/topup`);
    expect(intent.checkout).toMatchObject({ checkout_session_id: sent.id, payment_scene: "mobile" });
    const payUrl = String((intent.checkout as { pay_url: string }).pay_url);

    // The button opens Stripe's page in a tab of its own; this one stays as it is.
    const [stripeTab] = await Promise.all([context.waitForEvent("page"), card.click()]);
    await stripeTab.waitForLoadState();
    expect(stripeTab.url()).toBe(payUrl);
    expect(await stripeTab.title()).toBe("Stripe Checkout");
    expect(await page.getByTestId("pay-stripe").count()).toBe(1);

    // Stripe announces the payment; the member comes back (in Stripe's tab) to the top-up
    // page, still signed in: the tab was given a copy of the visit.
    const before = await balanceOf(ada);
    const paid = stripeEvent(STRIPE_WEBHOOK_SECRET, server.t.clock.now(), {
      id: "evt_member_center_paid",
      type: "checkout.session.completed",
      data: {
        object: {
          id: sent.id,
          object: "checkout.session",
          mode: "payment",
          status: "complete",
          payment_status: "paid",
          amount_total: 7_700,
          currency: "cny",
          metadata: { intent_id: intent.id, tenant_id: server.demo.tenant_id, paid_by: "checkout_session" },
        },
      },
    });
    const heard = await fetch(`${server.baseUrl}/v1/payment-webhooks/stripe/${server.demo.tenant_id}`, {
      method: "POST",
      headers: paid.headers,
      body: paid.body,
    });
    expect(await heard.json()).toMatchObject({ result: "credited" });
    expect(await balanceOf(ada)).toBe(before + 7_700);
    await stripeTab.goto(sent.form.success_url!);
    await stripeTab.getByTestId("topup-free").waitFor();
    await stripeTab.getByText("首页", { exact: true }).click();
    await poll(() => stripeTab.locator("body").textContent()).toContain("林小满");
    // The name comes with the page, the balance with its own read ("—" until then).
    await poll(() => stripeTab.locator("body").textContent()).toContain(
      `¥${((before + 7_700) / 100).toFixed(2)}`,
    );
    await screenshot(stripeTab, "member-stripe-returned", SHOTS);
    await stripeTab.close();

    // On a computer, in English: a gift card paid by card on the same kind of page.
    const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
    desk.setDefaultTimeout(STEP_TIMEOUT);
    const opened = await openPage(desk);
    const deskPage = opened.page;
    await deskPage.goto(await memberLink(server, ada));
    await deskPage.getByRole("button", { name: "EN" }).click();
    await deskPage.getByText("Buy a gift card", { exact: true }).click();
    await deskPage.getByTestId("gift-plan").first().click();
    await deskPage.getByText("Pay online", { exact: true }).click();
    await deskPage.getByRole("button", { name: "Pay ¥180.00" }).click();
    const deskCard = deskPage.getByTestId("pay-stripe");
    await deskCard.waitFor();
    expect(await deskCard.textContent()).toBe("Pay with card ¥180.00");
    expect(await deskPage.getByTestId("pay-checkout").textContent()).toContain(
      "Stripe's secure payment page",
    );
    expect(stripe.sessions.at(-1)!.form).toMatchObject({
      "line_items[0][price_data][unit_amount]": "18000",
      success_url: expect.stringMatching(new RegExp(`/m/${server.demo.tenant_id}/`)),
    });
    await screenshot(deskPage, "member-gift-card-stripe-desktop", SHOTS);
    await desk.route("https://checkout.stripe.com/**", (route) =>
      route.fulfill({ contentType: "text/html", body: "<title>Stripe Checkout</title>" }),
    );
    const [deskStripe] = await Promise.all([desk.waitForEvent("page"), deskCard.click()]);
    await deskStripe.waitForLoadState();
    expect(deskStripe.url()).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    expect(await deskPage.getByTestId("gift-pin").count()).toBe(1);
    await deskStripe.close();
    await deskPage.getByRole("button", { name: "中文" }).click();
    await desk.close();
    expectNoConsoleProblems(problems);
    expectNoConsoleProblems(opened.problems);
  });
});
