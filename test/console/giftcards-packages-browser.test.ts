/**
 * Gift cards and paid packages in the operator console, in a real Chromium against a real
 * server on PostgreSQL: an operator creates a plan, sells a card, loads it and spends part of
 * it; creates a package; a role sees only the actions it may take. Screenshots of every page
 * land in test-output/console/.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptConfirmation,
  type ConsoleServer,
  type ConsoleSession,
  chooseOption,
  DESKTOP,
  expectNoConsoleProblems,
  openDialog,
  openPage,
  pickOption,
  poll,
  STEP_TIMEOUT,
  screenshot,
  settledDialog,
  signIn,
  startConsoleSession,
} from "../helpers/console-browser.js";

let session: ConsoleSession;
let server: ConsoleServer;
let browser: Browser;
let page: Page;
let problems: string[];
let cardId: string;

const OWNER = "owner@demo.vouchsafe.test";
const FINANCE = "finance@demo.vouchsafe.test";

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, browser, page, problems } = session);
  await signIn(page, server, OWNER, server.demo.users[0]!.password);
}, 240_000);

afterAll(async () => {
  await session?.close();
});

const menu = () => page.getByRole("navigation");
const dialogOf = openDialog;

describe("gift cards in the console", () => {
  it("creates a plan with a 200 denomination 20 off and puts it on sale", async () => {
    await poll(() => menu().textContent()).toContain("礼品卡");
    await menu().getByText("礼品卡").click();
    // Before any plan is on sale in store, selling says why the plan list is empty.
    await page.getByRole("tab", { name: "已售礼品卡" }).click();
    await page.getByRole("button", { name: "售卡" }).click();
    const sale = dialogOf(page);
    await sale.getByLabel("方案").click();
    await poll(() => page.getByText("没有在门店（POS）销售的已启用卡种").count()).toBe(1);
    await screenshot(page, "gc-00-sell-no-plan");
    await sale.getByRole("button", { name: "取消" }).click();
    await poll(() => page.locator(".ant-modal-wrap:visible").count()).toBe(0);
    await page.getByRole("tab", { name: "礼品卡方案" }).click();
    await page.getByRole("button", { name: "新建" }).click();
    const dialog = dialogOf(page);
    await dialog.getByLabel("方案名称").fill("中秋团圆卡");
    await dialog.getByLabel("面额 1").fill("200");
    await dialog.getByLabel("优惠 1").fill("20");
    await screenshot(page, "gc-01-plan-create");
    await dialog.getByRole("button", { name: "保存" }).click();
    const row = page.locator(".ant-table-row", { hasText: "中秋团圆卡" });
    await poll(() => row.textContent()).toContain("未启用");
    expect(await row.textContent()).toContain("¥200.00");
    await row.getByRole("button", { name: "启用" }).click();
    await poll(() => row.textContent()).toContain("销售中");
    await screenshot(page, "gc-02-plans");
    expectNoConsoleProblems(problems);
  });

  it("sells a card, shows its PIN once, loads it, redeems part and shows the balance and the activity record", async () => {
    await page.getByRole("tab", { name: "已售礼品卡" }).click();
    await page.getByRole("button", { name: "售卡" }).click();
    const dialog = dialogOf(page);
    await chooseOption(page, dialog, "方案", "中秋团圆卡");
    await dialog.locator(".ant-tag", { hasText: "¥200.00" }).click();
    await dialog.getByLabel("购买人手机号").fill("13800138000");
    await dialog.getByLabel("收款单号").fill("receipt-0042");
    await dialog.getByRole("button", { name: "下一步" }).click();
    await poll(() => page.locator(".ant-modal-confirm").textContent()).toContain("¥200.00");
    await acceptConfirmation(page);
    const number = page.getByTestId("sold-number");
    await poll(() => number.textContent()).toMatch(/^\d{16}$/);
    expect(await dialogOf(page).textContent()).toMatch(/\d{8}/);
    await screenshot(page, "gc-03-sold");
    await dialogOf(page).getByRole("link", { name: "查看此卡" }).click();
    cardId = new URL(page.url()).pathname.split("/").pop()!;

    const balance = page.getByTestId("card-balance");
    await poll(() => balance.textContent()).toContain("¥200.00");
    for (const [action, amount, after] of [
      ["充值", "100", "¥300.00"],
      ["核销", "50.5", "¥249.50"],
    ] as const) {
      await page.getByRole("button", { name: action, exact: true }).click();
      // Filled once the dialog has zoomed in: a field filled while it mounts can be reset.
      const acting = await settledDialog(page);
      await acting.getByLabel(/^金额/).fill(amount);
      await acting.getByRole("button", { name: "下一步" }).click();
      await acceptConfirmation(page);
      await poll(() => balance.textContent()).toContain(after);
    }
    const rows = page.locator(".ant-table-row");
    await poll(() => rows.count()).toBe(3);
    const record = (await rows.allTextContents()).join("\n");
    expect(record).toContain("激活");
    expect(record).toContain("充值");
    expect(record).toContain("核销");
    expect(record).toContain("¥249.50");
    // Who acted, by the email they signed in with; the id stays in the hover title only.
    const operators = await page.getByTestId("actor-name").allTextContents();
    expect(operators).toEqual(Array(3).fill(`用户 ${OWNER}`));
    expect(record).not.toMatch(/usr_/);
    // The API agrees with what the page shows.
    const card = await server.api<{ balance: number; status: string }>("GET", `/v1/gift-cards/${cardId}`);
    expect(card).toMatchObject({ balance: 24950, status: "active" });
    await screenshot(page, "gc-04-card-detail");
    expectNoConsoleProblems(problems);
  });

  it("freezes the card, which stops redemption being offered, and restores it", async () => {
    await page.getByRole("button", { name: "冻结", exact: true }).click();
    const freezing = await settledDialog(page);
    await freezing.getByLabel("原因").fill("顾客挂失");
    await freezing.getByRole("button", { name: "下一步" }).click();
    await acceptConfirmation(page);
    await page.getByRole("button", { name: "解冻", exact: true }).waitFor();
    expect(await page.getByRole("button", { name: "核销", exact: true }).count()).toBe(0);
    expect(await page.locator(".ant-card").first().textContent()).toContain("顾客挂失");
    await screenshot(page, "gc-05-card-frozen");
    await page.getByRole("button", { name: "解冻", exact: true }).click();
    const restoring = await settledDialog(page);
    await restoring.getByLabel("原因").fill("已找回");
    await restoring.getByRole("button", { name: "下一步" }).click();
    await acceptConfirmation(page);
    await page.getByRole("button", { name: "核销", exact: true }).waitFor();
    expectNoConsoleProblems(problems);
  });

  it("lists the sold cards with their balance and the transaction details", async () => {
    await page.getByRole("link", { name: "已售礼品卡" }).click();
    const row = page.locator(".ant-table-row").first();
    await poll(() => row.textContent()).toContain("¥249.50");
    expect(await row.textContent()).toContain("正常");
    await screenshot(page, "gc-06-sold-cards");
    await page.getByRole("tab", { name: "交易明细" }).click();
    await poll(() => page.locator(".ant-table-row").count()).toBe(5);
    await screenshot(page, "gc-07-activities");
    expectNoConsoleProblems(problems);
  });
});

describe("paid packages in the console", () => {
  it("creates a package with a pricing rule, sees it listed, activates it and opens its sales", async () => {
    await menu().getByText("付费权益包").click();
    await page.getByRole("button", { name: "新建" }).click();
    const dialog = dialogOf(page);
    await dialog.getByLabel("权益包名称").fill("尊享会员权益包");
    await dialog.getByLabel("原价 1").fill("199");
    await dialog.getByLabel("首购价 1").fill("159");
    await screenshot(page, "pkg-01-create");
    await dialog.getByRole("button", { name: "保存" }).click();
    const row = page.locator(".ant-table-row", { hasText: "尊享会员权益包" });
    await poll(() => row.textContent()).toContain("未启用");
    expect(await row.textContent()).toContain("90 天 · ¥199.00");
    await row.getByRole("button", { name: "启用" }).click();
    await acceptConfirmation(page);
    await poll(() => row.textContent()).toContain("销售中");
    await screenshot(page, "pkg-02-list");

    await row.getByRole("link", { name: "尊享会员权益包" }).click();
    await poll(() => page.getByTestId("pkg-volume").textContent()).toContain("0");
    await screenshot(page, "pkg-03-detail");
    expectNoConsoleProblems(problems);
  });

  it("shows a member's package period and gift card on the member detail", async () => {
    const member = await server.api<{ id: string }>("POST", "/v1/members", { name: "李雷" });
    const pkgs = await server.api<{ data: { id: string }[] }>("GET", "/v1/packages?limit=10");
    await server.api("POST", `/v1/members/${member.id}/top-ups`, { amount: 50000 });
    const headers = { "idempotency-key": `pkg-${member.id}` };
    const bought = await fetch(`${server.baseUrl}/v1/package-orders`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${server.demo.api_key}`,
        "content-type": "application/json",
        ...headers,
      },
      body: JSON.stringify({
        package_id: pkgs.data[0]!.id,
        member_id: member.id,
        rule_key: "quarterly",
        channel: "POS",
        payment_method: "balance",
      }),
    });
    expect(bought.status).toBe(201);

    // Sold to the member in the console, paid from the member's balance: the member holds it.
    await page.goto(`${server.baseUrl}/console/gift-cards/cards`);
    await page.getByRole("button", { name: "售卡" }).click();
    const sale = dialogOf(page);
    await chooseOption(page, sale, "方案", "中秋团圆卡");
    await sale.locator(".ant-tag", { hasText: "¥200.00" }).click();
    await sale.getByLabel("支付方式").click();
    await pickOption(page, "会员余额");
    await sale.getByLabel(/^会员 ID/).fill(member.id);
    await sale.getByRole("button", { name: "下一步" }).click();
    await acceptConfirmation(page);
    await page.getByTestId("sold-number").waitFor();
    await dialogOf(page).locator(".ant-modal-footer").getByRole("button", { name: "关闭" }).click();

    await page.goto(`${server.baseUrl}/console/members/${member.id}`);
    const cards = page.locator(".ant-card", { hasText: "礼品卡" }).last();
    await poll(() => cards.textContent()).toContain("¥200.00");
    // 500 topped up − 159 for the package − 180 for the 200 card (20 off).
    await poll(() => page.getByTestId("balance-total").textContent()).toContain("¥161.00");
    const periods = page.locator(".ant-card", { hasText: "付费权益包" });
    await poll(() => periods.textContent()).toContain("尊享会员权益包");
    expect(await periods.textContent()).toContain("生效中");
    await screenshot(page, "pkg-04-member-periods");

    // The change log names the package order and the card sale the balance paid: each is a
    // link to the page that shows it (the package's, the card's).
    const log = page.locator(".ant-card", { hasText: "余额变动明细" });
    const spent = log.locator(".ant-table-row", { hasText: "消费" });
    await poll(() => spent.count()).toBe(2);
    for (const r of await spent.all()) await r.locator(".ant-table-row-expand-icon").click();
    const packageLink = log.getByRole("link", { name: /^pko_/ });
    const cardLink = log.getByRole("link", { name: /^gcs_/ });
    await poll(() => cardLink.getAttribute("href")).toMatch(/\/console\/gift-cards\/cards\/gc_\w+$/);
    expect(await packageLink.getAttribute("href")).toBe(`/console/packages/${pkgs.data[0]!.id}`);
    // A wallet payment has no page of its own: its id stays text.
    expect(await log.getByTestId("change-payment-link").count()).toBe(0);
    expect(await log.textContent()).toMatch(/wpay_/);
    await screenshot(page, "pkg-05-member-change-links");

    const cardHref = (await cardLink.getAttribute("href"))!;
    await packageLink.click();
    await poll(() => page.getByTestId("pkg-volume").textContent()).toMatch(/\d/);
    expect(new URL(page.url()).pathname).toBe(`/console/packages/${pkgs.data[0]!.id}`);
    // The package's orders name their buyers.
    const order = page.locator(".ant-table-row", { hasText: "李雷" });
    await poll(() => order.count()).toBe(1);
    expect(await order.getByRole("link", { name: "李雷" }).getAttribute("href")).toBe(
      `/console/members/${member.id}`,
    );
    await page.goto(`${server.baseUrl}${cardHref}`);
    await poll(() => page.getByTestId("card-balance").textContent()).toContain("200.00");
    expectNoConsoleProblems(problems);
  });
});

describe("who may do what with a card", () => {
  it("finance may adjust but is not offered selling, loading or redeeming; in English", async () => {
    const context = await browser.newContext(DESKTOP);
    context.setDefaultTimeout(STEP_TIMEOUT);
    const finance = await openPage(context);
    await signIn(finance.page, server, FINANCE, server.demo.users[1]!.password);
    const nav = finance.page.getByRole("navigation");
    await poll(() => nav.textContent()).toContain("礼品卡");
    await finance.page.getByLabel("语言").click();
    await pickOption(finance.page, "English");
    await poll(() => nav.textContent()).toContain("Gift Cards");

    await finance.page.goto(`${server.baseUrl}/console/gift-cards/cards/${cardId}`);
    await poll(() => finance.page.getByTestId("card-balance").textContent()).toContain("249.50");
    await finance.page.getByRole("button", { name: "Adjust up" }).waitFor();
    for (const refused of ["Load", "Redeem", "Freeze", "Refund card"])
      expect(await finance.page.getByRole("button", { name: refused, exact: true }).count()).toBe(0);
    await screenshot(finance.page, "gc-08-card-detail-finance-en");

    await finance.page.getByRole("button", { name: "Adjust up" }).click();
    const dialog = dialogOf(finance.page);
    await dialog.getByLabel(/^Amount/).fill("0.50");
    await dialog.getByLabel("Reason").fill("till error corrected");
    await dialog.getByRole("button", { name: "Next" }).click();
    await acceptConfirmation(finance.page);
    await poll(() => finance.page.getByTestId("card-balance").textContent()).toContain("250.00");

    await finance.page.goto(`${server.baseUrl}/console/gift-cards/cards`);
    await finance.page.locator(".ant-table-row").first().waitFor();
    expect(await finance.page.getByRole("button", { name: "Sell a card" }).count()).toBe(0);
    await finance.page.goto(`${server.baseUrl}/console/gift-cards`);
    await finance.page.locator(".ant-table-row").first().waitFor();
    expect(await finance.page.getByRole("button", { name: "Create" }).count()).toBe(0);
    expect(await finance.page.getByRole("button", { name: "Deactivate" }).count()).toBe(0);
    await screenshot(finance.page, "gc-09-plans-finance-en");
    expectNoConsoleProblems(finance.problems);
    await context.close();
  });
});
