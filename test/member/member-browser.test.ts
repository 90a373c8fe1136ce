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
  startConsoleServer,
} from "../helpers/console-browser.js";
import { MEMBER_SHOTS, memberLink, PHONE, valueCall } from "../helpers/member-browser.js";

const SHOTS = MEMBER_SHOTS;

let server: ConsoleServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
let ada = "";
let bo = "";

const shot = (name: string) => screenshot(page, `member-${name}`, SHOTS);

const linkFor = (memberId: string, page?: string) => memberLink(server, memberId, page);

const post = <T = { id: string }>(url: string, body: object, key: string) =>
  valueCall<T>(server, "POST", url, body, key);

beforeAll(async () => {
  [server, browser] = await Promise.all([ensureConsoleBuilt().then(startConsoleServer), launchChromium()]);
  // The member center as most members see it, animated (the other files ask for less motion).
  context = await browser.newContext({ ...PHONE, reducedMotion: "no-preference", locale: "zh-CN" });
  context.setDefaultTimeout(STEP_TIMEOUT);
  ({ page, problems } = await openPage(context));

  const member = async (name: string) =>
    (await server.api<{ id: string }>("POST", "/v1/members", { name })).id;
  ada = await member("林小满");
  bo = await member("Bo");
  await server.api("POST", `/v1/members/${ada}/top-ups`, {
    amount: 10_000,
    bonus_amount: 1_000,
    reason: "门店收款",
  });
  await server.api("POST", `/v1/members/${ada}/points`, {
    operation: "earn",
    points: 500,
    reason: "消费积分",
  });
  await server.api("POST", `/v1/members/${ada}/vouchers`, {
    face_value: { amount: 1_000, asset: "CNY" },
    expires_at: "2027-06-30T16:00:00Z",
    min_bill_amount: 5_000,
  });
  // A second voucher, taken back by the store: the member still sees it, under its own tab.
  const takenBack = await server.api<{ id: string }>("POST", `/v1/members/${ada}/vouchers`, {
    face_value: { amount: 2_500, asset: "CNY" },
    expires_at: "2027-06-30T16:00:00Z",
  });
  await server.api("POST", `/v1/member-vouchers/${takenBack.id}/withdraw`, { reason: "误发" });
  const plan = await server.api<{ id: string }>("POST", "/v1/gift-card-plans", {
    name: "中秋团圆礼品卡",
    card_type: "electronic",
    currency: "CNY",
    design: { kind: "template", template: "festival" },
    denominations: [{ amount: 20_000, discount: 0 }],
    validity: { kind: "after_purchase", years: 1 },
    channels: ["POS", "ONLINE"],
  });
  await server.api("POST", `/v1/gift-card-plans/${plan.id}/activate`, {});
  await post(
    "/v1/gift-cards",
    {
      plan_id: plan.id,
      amount: 20_000,
      payment: { method: "offline", ref: "receipt-1" },
      holder_member_id: ada,
    },
    "gift-card",
  );
  const agreement = await post(
    "/v1/agreements",
    { type: "purchase_agreement", title: "套餐购买协议", body: "# 条款", locale: "zh-CN" },
    "agreement",
  );
  const pkg = await post(
    "/v1/packages",
    {
      name: "月度畅享卡",
      tags: ["月卡"],
      channels: ["ONLINE"],
      refund_restriction: false,
      purchase_agreement_id: agreement.id,
      sales_rules: [
        { key: "monthly", duration_days: 30, original_price: 3_000, first_purchase_price: 2_000 },
      ],
      perks: [],
    },
    "package",
  );
  await post(`/v1/packages/${pkg.id}/activate`, {}, "package-activate");
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the member center on a phone", () => {
  it("opens from a one-time link: the card with tier, balance (principal + bonus), points and a top-up button", async () => {
    await server.api("PATCH", "/v1/wallet-settings", { online_topup_enabled: true });
    const link = await linkFor(ada);
    await page.goto(link);
    await poll(() => page.getByTestId("balance-total").textContent()).toBe("¥110.00");
    expect(await page.getByTestId("balance").textContent()).toContain("本金 ¥100.00");
    expect(await page.getByTestId("balance").textContent()).toContain("赠送金 ¥10.00");
    expect(await page.getByTestId("points").textContent()).toBe("500");
    expect(await page.getByTestId("member-card").textContent()).toContain("林小满");
    expect(await page.getByRole("button", { name: "充值" }).isVisible()).toBe(true);
    // The code does not stay in the address bar (nor in history).
    expect(new URL(page.url()).search).toBe("");
    expect(await page.locator("html").getAttribute("lang")).toBe("zh-CN");
    await shot("home");
    expectNoConsoleProblems(problems);
  });

  it("reaches every place the home page leads to by keyboard: its tiles and menu rows are links", async () => {
    const home = page.url();
    // The two tiles (their labels and values), then the menu's eight rows.
    const names = [
      "积分 500",
      "优惠券 1",
      "我的权益",
      "余额明细",
      "积分",
      "礼品卡",
      "权益套餐",
      "购买礼品卡",
      "学生认证",
      "收银台",
    ];
    await poll(() => page.getByTestId("voucher-count").textContent()).toBe("1");
    const links = page.locator("main a[href]");
    expect((await links.allTextContents()).map((text) => text.replace(/(\D)(\d)/, "$1 $2"))).toEqual(names);
    // From the last tile, Tab moves to the menu's first row, and Enter follows it.
    await links.nth(1).focus();
    await page.keyboard.press("Tab");
    expect(await page.locator(":focus").textContent()).toBe("我的权益");
    await shot("home-keyboard");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await poll(() => new URL(page.url()).pathname).toMatch(/\/balance$/);
    await page.goBack();
    await poll(() => page.url()).toBe(home);
    await page.getByTestId("points").waitFor();
  });

  it("lists the balance changes, filtered by type", async () => {
    await page.getByText("余额明细").click();
    const changes = page.getByTestId("change");
    await poll(() => changes.first().textContent()).toContain("线下充值");
    expect(await changes.first().textContent()).toContain("+¥110.00");
    expect(await changes.first().textContent()).toContain("门店收款");
    await page.getByText("消费", { exact: true }).click();
    await poll(() => page.getByTestId("balance-changes").textContent()).toContain("暂无记录");
    await page.getByText("充值", { exact: true }).first().click();
    await poll(() => changes.count()).toBe(1);
    await shot("balance");
    expectNoConsoleProblems(problems);
  });

  it("lists the member's voucher with its rules", async () => {
    await page.getByText("优惠券", { exact: true }).last().click();
    const voucher = page.getByTestId("voucher");
    await poll(() => voucher.first().textContent()).toContain("¥10.00");
    expect(await voucher.first().textContent()).toContain("满 ¥50.00 可用");
    expect(await voucher.first().textContent()).toContain("未使用");
    expect(await voucher.count()).toBe(1);
    await shot("vouchers");
    await page.getByRole("tab", { name: "已撤回" }).click();
    await poll(() => voucher.first().textContent()).toContain("¥25.00");
    // The fifth tab overflows the phone's width: it is scrolled fully into view, and the
    // underline has moved under it.
    await poll(async () => {
      const tab = await page.locator(".adm-tabs-tab-active").boundingBox();
      const line = await page.locator(".adm-tabs-tab-line").boundingBox();
      const width = page.viewportSize()!.width;
      return (
        tab !== null &&
        line !== null &&
        tab.x >= 0 &&
        tab.x + tab.width <= width &&
        Math.abs(tab.x + tab.width / 2 - (line.x + line.width / 2)) < 2
      );
    }).toBe(true);
    expect(await voucher.count()).toBe(1);
    expect(await voucher.first().textContent()).toContain("已撤回");
    await shot("vouchers-withdrawn");
    expectNoConsoleProblems(problems);
  });

  it("moves the tabs' underline without motion once the member asks their phone for less", async () => {
    const line = page.locator(".adm-tabs-tab-line");
    /** The underline's distinct positions from before a tab is chosen until the line is under it. */
    const positionsChoosing = async (tab: string) => {
      await page.evaluate(`{
        const line = document.querySelector(".adm-tabs-tab-line");
        window.linePositions = [line.style.cssText];
        new MutationObserver(() => window.linePositions.push(line.style.cssText)).observe(line, {
          attributes: true,
          attributeFilter: ["style"],
        });
      }`);
      await page.getByRole("tab", { name: tab }).click();
      await poll(async () => {
        const [chosen, under] = await Promise.all([
          page.locator(".adm-tabs-tab-active").boundingBox(),
          line.boundingBox(),
        ]);
        return chosen !== null && under !== null && Math.abs(chosen.x - under.x) < 2;
      }).toBe(true);
      return page.evaluate<string[]>("[...new Set(window.linePositions)]");
    };
    // Animated, the line passes through positions between the two tabs; asked for less
    // motion (switched while the page is open), it goes from one to the other in one step.
    expect((await positionsChoosing("未使用")).length).toBeGreaterThan(2);
    await page.emulateMedia({ reducedMotion: "reduce" });
    expect(await positionsChoosing("已撤回")).toHaveLength(2);
    await page.emulateMedia({ reducedMotion: "no-preference" });
    expect((await positionsChoosing("未使用")).length).toBeGreaterThan(2);
    expectNoConsoleProblems(problems);
  });

  it("lists the member's gift card with its balance and activity", async () => {
    await page.getByText("礼品卡", { exact: true }).last().click();
    const card = page.getByTestId("gift-card");
    await poll(() => card.first().textContent()).toContain("¥200.00");
    expect(await card.first().textContent()).toContain("可用");
    await card.first().getByRole("button", { name: "交易明细" }).click();
    await poll(() => card.first().textContent()).toContain("激活");
    await shot("gift-cards");
    expectNoConsoleProblems(problems);
  });

  it("shows points with their history, and packages", async () => {
    await page.getByText("首页", { exact: true }).click();
    await page.getByTestId("points").click();
    await poll(() => page.getByTestId("points-total").textContent()).toBe("500");
    await poll(() => page.getByTestId("change").first().textContent()).toContain("消费积分");
    await shot("points");
    expectNoConsoleProblems(problems);
  });

  it("buys a package with the balance at the first-purchase price, after accepting its agreement", async () => {
    await page.getByText("权益套餐", { exact: true }).last().click();
    const offer = page.getByTestId("package-offer");
    await poll(() => offer.first().textContent()).toContain("¥20.00");
    expect(await offer.first().textContent()).toContain("首购价");
    expect(await offer.first().textContent()).toContain("¥30.00");
    await shot("packages");
    await offer.first().getByRole("button", { name: "余额购买" }).click();
    const dialog = page.locator(".adm-dialog");
    await poll(() => dialog.textContent()).toContain("使用余额支付 ¥20.00");
    await dialog.getByText("我已阅读并同意套餐协议").click();
    await dialog.getByRole("button", { name: "确定" }).click();
    await poll(() => page.getByTestId("package-periods").textContent()).toContain("月度畅享卡");
    expect(await page.getByTestId("package-periods").textContent()).toContain("生效中");
    await page.locator(".adm-toast-mask").waitFor({ state: "detached" });
    await shot("packages-bought");
    await page.getByText("首页", { exact: true }).click();
    await poll(() => page.getByTestId("balance-total").textContent()).toBe("¥90.00");
    expectNoConsoleProblems(problems);
  });

  it("switches to English", async () => {
    await page.getByText("首页", { exact: true }).click();
    await page.getByRole("button", { name: "EN" }).click();
    await poll(() => page.getByTestId("balance").textContent()).toContain("Principal ¥90.00");
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await shot("home-en");
    await page.getByRole("button", { name: "中文" }).click();
  });

  it("tops up online through the test provider: credited once although the confirmation arrives twice", async () => {
    await page.getByText("首页", { exact: true }).click();
    await page.getByRole("button", { name: "充值" }).click();
    // No top-up plan here: any amount, through the wallets' online top-up.
    await page.getByTestId("topup-free").click();
    await page.getByPlaceholder("例如 100").fill("50");
    await page.getByRole("button", { name: "支付 ¥50.00" }).click();
    await poll(() => page.locator(".adm-result").textContent()).toContain("¥50.00 · 待支付");
    await shot("topup");

    const { provider_ref } = await server.t.database.owner
      .selectFrom("wallet_topup_intents")
      .select("provider_ref")
      .where("member_id", "=", ada)
      .executeTakeFirstOrThrow();
    const signed = signTestWebhook(
      testProviderSecret(server.t.config.signingSecret),
      { id: "evt_member_center_1", provider_ref, status: "succeeded", amount: 5_000, currency: "CNY" },
      server.t.clock.now(),
    );
    const confirm = () =>
      fetch(`${server.baseUrl}/v1/payment-webhooks/test/${server.demo.tenant_id}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signed.headers },
        body: signed.body,
      });
    expect((await confirm()).status).toBe(200);
    expect((await confirm()).status).toBe(409);

    await page.getByText("首页", { exact: true }).click();
    await poll(() => page.getByTestId("balance-total").textContent()).toBe("¥140.00");
    expectNoConsoleProblems(problems);
  });

  it("another member's id answers not found to this member's session", async () => {
    const status = await page.evaluate(async (other) => {
      // Runs in the page: its sessionStorage holds the visit's member token.
      const sessionStorage = (
        globalThis as unknown as {
          sessionStorage: { getItem(k: string): string | null } & Record<string, string>;
        }
      ).sessionStorage;
      const key = Object.keys(sessionStorage).find((k) => k.startsWith("vouchsafe.member."))!;
      const { token } = JSON.parse(sessionStorage.getItem(key)!) as { token: string };
      const statuses = [];
      for (const url of [
        `/v1/members/${other}`,
        `/v1/members/${other}/balance`,
        `/v1/members/${other}/vouchers`,
      ]) {
        statuses.push((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status);
      }
      return statuses;
    }, bo);
    expect(status).toEqual([404, 404, 404]);
  });

  it("refuses the one-time code on second use", async () => {
    const link = await linkFor(ada, "vouchers");
    const first = await context.newPage();
    await first.goto(link);
    await poll(() => first.getByTestId("voucher").count()).toBe(1);
    await first.close();

    const second = await browser.newContext(PHONE);
    const again = await second.newPage();
    await again.goto(link);
    await poll(() => again.getByTestId("entry-refused").textContent()).toContain("该链接已使用过");
    expect(await again.getByTestId("voucher").count()).toBe(0);
    await screenshot(again, "member-link-used", SHOTS);
    await second.close();
  });

  it("hides the balance and the top-up button when the merchant hides the balance; points stay", async () => {
    await server.api("PATCH", "/v1/wallet-settings", { hide_balance_in_member_center: true });
    const hidden = await browser.newContext(PHONE);
    const { page: p, problems: hiddenProblems } = await openPage(hidden);
    await p.goto(await linkFor(ada));
    await poll(() => p.getByTestId("points").textContent()).toBe("500");
    expect(await p.getByTestId("balance").count()).toBe(0);
    expect(await p.getByRole("button", { name: "充值" }).count()).toBe(0);
    expect(await p.getByText("余额明细").count()).toBe(0);
    await screenshot(p, "member-home-hidden", SHOTS);
    expectNoConsoleProblems(hiddenProblems);
    await hidden.close();
    await server.api("PATCH", "/v1/wallet-settings", { hide_balance_in_member_center: false });
  });
});
