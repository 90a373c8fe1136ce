/**
 * The merchant deposit center and the platform finance desk (seed 003) in a real Chromium
 * against a real server on PostgreSQL: the demo merchant opens its deposit account, sets its
 * warnings (a 4th email refused) and its own suspension amount (below 1,000.00 refused),
 * applies for a top-up and sees where to wire it; the finance clerk matches the bank transfer
 * by hand (the account becomes active), approves and pays a withdrawal (the merchant sees the
 * masked bank account it is paid to) and verifies the invoice qualification; the merchant's
 * ledger shows expenses in red and income in green and downloads as a file, like its
 * transactions. The merchant works in Chinese, the clerk in English. Screenshots land in
 * test-output/console/.
 */
import { readFile } from "node:fs/promises";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptConfirmation,
  type ConsoleServer,
  type ConsoleSession,
  DESKTOP,
  expectNoConsoleProblems,
  openDialog,
  openPage,
  pickOption,
  screenshot,
  signIn,
  startConsoleSession,
} from "../helpers/console-browser.js";

let session: ConsoleSession;
let server: ConsoleServer;
/** The merchant's page (Chinese, the demo tenant's locale). */
let page: Page;
let problems: string[];
/** The finance clerk's page, in its own browser context (English). */
let finance: { page: Page; problems: string[]; context: BrowserContext };
let accountId: string;

const MERCHANT = "merchant@demo.vouchsafe.test";
const FINANCE = "finance@demo.vouchsafe.test";

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
  const password = (email: string) => server.demo.users.find((u) => u.email === email)!.password;
  await signIn(page, server, MERCHANT, password(MERCHANT));
  const context = await session.browser.newContext(DESKTOP);
  context.setDefaultTimeout(15_000);
  finance = { ...(await openPage(context)), context };
  await signIn(finance.page, server, FINANCE, password(FINANCE));
}, 240_000);

afterAll(async () => {
  await session?.close();
});

const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000, interval: 100 });
const menuOf = (p: Page) => p.getByRole("navigation");
const dialogOf = openDialog;
const account = () =>
  server.api<{ status: string; available: number; suspension_threshold: number }>(
    "GET",
    `/v1/deposit-accounts/${accountId}`,
  );

describe("the merchant deposit center", () => {
  it("shows a merchant only its deposit center and prompts it to open the account", async () => {
    const menu = menuOf(page);
    await poll(() => menu.textContent()).toContain("账户首页");
    const items = await menu.textContent();
    for (const page of ["预警设置", "交易流水", "账户流水", "开票"]) expect(items).toContain(page);
    for (const hidden of ["会员", "礼品卡", "提现审批"]) expect(items).not.toContain(hidden);
    const prompt = dialogOf(page);
    await poll(() => prompt.textContent()).toContain("开通预存账户");
    await screenshot(page, "dep-01-open-prompt");
    await prompt.getByRole("button", { name: "立即开户" }).click();
    await poll(() => page.getByTestId("deposit-account").textContent()).toContain("待配置预警");
    const list = await server.api<{ data: { id: string; status: string }[] }>("GET", "/v1/deposit-accounts");
    expect(list.data).toHaveLength(1);
    accountId = list.data[0]!.id;
    await screenshot(page, "dep-02-home-opened");
    // The finance desk is not a merchant's page: its address says so, and leads back to the
    // deposit center.
    await page.goto(`${server.baseUrl}/console/finance/withdrawals`);
    await poll(() => page.locator(".ant-result-title").textContent()).toBe("无权访问");
    await page.locator(".ant-result").getByRole("button", { name: "返回首页" }).click();
    await poll(() => new URL(page.url()).pathname).toBe("/console/deposits");
    expectNoConsoleProblems(problems);
  });

  it("sets the warnings: a 4th email is refused with the API's message, three are saved", async () => {
    await menuOf(page).getByText("预警设置").click();
    await page.getByLabel("余额预警值 (CNY)").fill("5000");
    const emails = page.getByLabel("预警邮箱");
    for (const n of [1, 2, 3, 4]) {
      await emails.fill(`ops${n}@harbour.example`);
      await emails.press("Enter");
    }
    await page.getByLabel("预警手机号").fill("13800138000");
    await page.getByLabel("预警手机号").press("Enter");
    await page.getByRole("button", { name: "保存" }).click();
    await poll(() => page.getByRole("alert").textContent()).toContain("最多可配置 3 个邮箱和 3 个手机号");
    await screenshot(page, "dep-03-warnings-refused");
    expect((await account()).status).toBe("pending_configuration");

    await page
      .locator(".ant-select-selection-item", { hasText: "ops4@harbour.example" })
      .locator(".ant-select-selection-item-remove")
      .click();
    await page.getByRole("button", { name: "保存" }).click();
    await poll(async () => (await account()).status).toBe("pending_activation");
    await screenshot(page, "dep-04-warnings-saved");

    // Its own suspension amount: never below the platform's 1,000.00; 1,500.00 is saved.
    const threshold = page.getByLabel("熔断金额 (CNY)");
    await poll(() => page.locator(".ant-form-item-extra").allTextContents()).toContainEqual(
      expect.stringContaining("不低于 ¥1,000.00"),
    );
    await threshold.fill("999.99");
    await page.getByRole("button", { name: "保存" }).click();
    await poll(() => page.getByRole("alert").textContent()).toContain("熔断金额不能低于所示的最低金额");
    await screenshot(page, "dep-04b-threshold-refused");
    await threshold.fill("1500");
    await page.getByRole("button", { name: "保存" }).click();
    await poll(async () => (await account()).suspension_threshold).toBe(150_000);
    await poll(() => page.getByRole("alert").count()).toBe(0);
    await screenshot(page, "dep-04c-threshold-saved");
    expectNoConsoleProblems(problems);
  });

  it("applies for a top-up and shows the receiving bank account to wire it to", async () => {
    await menuOf(page).getByText("充值").click();
    await page.getByLabel("金额 (CNY)", { exact: true }).fill("3000");
    await page.getByRole("button", { name: "提交申请" }).click();
    await poll(() => page.locator(".ant-modal-confirm").textContent()).toContain("¥3,000.00");
    await acceptConfirmation(page);
    const applied = page.getByRole("region", { name: "充值申请已提交" });
    await poll(() => applied.textContent()).toContain("Vouchsafe Marketplace Ltd");
    const text = await applied.textContent();
    expect(text).toContain("1219 0880 0010 001");
    expect(text).toContain("China Merchants Bank");
    expect(text).toMatch(/DT[A-Z0-9]+/);
    await screenshot(page, "dep-05-topup-applied");
    expectNoConsoleProblems(problems);
  });
});

describe("the platform finance desk", () => {
  it("matches an unmatched bank transfer to the application by hand; the account becomes active", async () => {
    const f = finance.page;
    await poll(() => menuOf(f).textContent()).toContain("提现审批");
    await f.getByLabel("语言").click();
    await pickOption(f, "English");
    await poll(() => menuOf(f).textContent()).toContain("Withdrawal approval");
    // The transfer names the company differently, so it waits for a clerk.
    await server.api("POST", "/v1/deposit-bank-records", {
      records: [
        {
          bank_transaction_id: "CMB-20261202-0001",
          payer_name: "Harbour Trading Company Limited",
          amount: 300_000,
          asset: "CNY",
          received_at: server.t.clock.now().toISOString(),
        },
      ],
    });
    await menuOf(f).getByText("Bank records").click();
    const row = f.locator(".ant-table-row", { hasText: "CMB-20261202-0001" });
    await poll(() => row.textContent()).toContain("Payer name matches no bound company");
    await screenshot(f, "desk-01-bank-records-en");
    await row.getByRole("button", { name: "Match" }).click();
    const dialog = dialogOf(f);
    await dialog.getByLabel("Top-up application").click();
    await f.locator(".ant-select-item-option-active", { hasText: "Harbour Trading Co" }).waitFor();
    // The keyboard picks the active (only) choice even while the dropdown is still moving.
    await f.keyboard.press("Enter");
    await poll(() => dialog.getByRole("button", { name: "Next" }).isEnabled()).toBe(true);
    await screenshot(f, "desk-02-match-dialog-en");
    await dialog.getByRole("button", { name: "Next" }).click();
    await poll(() => f.locator(".ant-modal-confirm").textContent()).toContain("CN¥3,000.00");
    await acceptConfirmation(f);
    await poll(() => row.count()).toBe(0);
    await poll(async () => (await account()).status).toBe("active");
    expect((await account()).available).toBe(300_000);
    expectNoConsoleProblems(finance.problems);
  });

  it("approves and pays the merchant's withdrawal and verifies its invoice qualification", async () => {
    // The merchant asks for 500.00 back and completes its invoice information.
    await menuOf(page).getByText("账户首页").click();
    await poll(() => page.getByTestId("deposit-account").textContent()).toContain("正常");
    await screenshot(page, "dep-06-home-active");
    await menuOf(page).getByText("提现").click();
    await page.getByLabel("金额 (CNY)", { exact: true }).fill("500");
    await page.getByRole("button", { name: "提交提现" }).click();
    await acceptConfirmation(page);
    await poll(() => page.locator(".ant-table-row").first().textContent()).toContain("待审批");
    // Paid to the bound bank account, its number masked.
    expect(await page.locator(".ant-table-row").first().textContent()).toContain(
      "Harbour Trading Co · ICBC · **** **** **** 8888",
    );
    await screenshot(page, "dep-07-withdrawal-requested");
    await menuOf(page).getByText("开票").click();
    await page.getByLabel("公司地址").fill("88 Century Avenue, Shanghai");
    await page.getByLabel("公司电话").fill("021-5555 0000");
    await page.getByLabel("开户银行").fill("ICBC");
    await page.getByLabel("银行账号").fill("6222 0210 0000 8888");
    await page.getByLabel("纳税人识别号").fill("91310000MA1K000001");
    await page.getByRole("button", { name: "保存" }).click();
    await page.getByText("发票信息已保存").waitFor();
    await page.getByRole("button", { name: "去认证" }).click();
    await poll(() => page.locator(".ant-descriptions").first().textContent()).toContain("认证中");
    await screenshot(page, "dep-08-qualification-submitted");

    const f = finance.page;
    await menuOf(f).getByText("Withdrawal approval").click();
    const request = f.locator(".ant-table-row", { hasText: "Harbour Trading Co" });
    await poll(() => request.textContent()).toContain("CN¥500.00");
    await screenshot(f, "desk-03-withdrawals-en");
    await request.getByRole("button", { name: "Approve" }).click();
    await acceptConfirmation(f);
    await poll(() => request.count()).toBe(0);
    await f.locator(".ant-segmented-item", { hasText: "Approved" }).click();
    await request.getByRole("button", { name: "Paid" }).click();
    await acceptConfirmation(f);
    await poll(() => request.count()).toBe(0);
    const paid = await server.api<{ data: { status: string }[] }>(
      "GET",
      `/v1/deposit-accounts/${accountId}/withdrawals`,
    );
    expect(paid.data.map((w) => w.status)).toEqual(["paid"]);

    await menuOf(f).getByText("Qualification review").click();
    const profile = f.locator(".ant-table-row", { hasText: "Harbour Trading Co" });
    await poll(() => profile.textContent()).toContain("91310000MA1K000001");
    await screenshot(f, "desk-04-qualifications-en");
    await profile.getByRole("button", { name: "Verify" }).click();
    await acceptConfirmation(f);
    await poll(() => profile.count()).toBe(0);
    const verified = await server.api<{ status: string }>(
      "GET",
      `/v1/deposit-accounts/${accountId}/invoice-profile`,
    );
    expect(verified.status).toBe("verified");
    expectNoConsoleProblems(finance.problems);
  });
});

describe("the merchant's records", () => {
  it("shows the ledger with expenses in red and income in green, and downloads it as a file", async () => {
    await menuOf(page).getByText("账户流水").click();
    const income = page.locator("[data-direction=income]");
    const expense = page.locator("[data-direction=expense]");
    await poll(() => expense.count()).toBe(1);
    expect(await income.textContent()).toBe("+¥3,000.00");
    expect(await expense.textContent()).toBe("-¥500.00");
    // The test compiles without the DOM's types; the page's window has getComputedStyle.
    const color = (l: typeof income) =>
      l.evaluate(
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el)
            .color,
      );
    expect(await color(income)).toBe("rgb(21, 128, 61)");
    expect(await color(expense)).toBe("rgb(220, 38, 38)");
    await screenshot(page, "dep-09-ledger");

    await page.getByRole("button", { name: "导出" }).click();
    const link = page.getByRole("link", { name: /^下载 / });
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const lines = (await readFile((await download.path())!, "utf8")).trim().split(/\r?\n/);
    expect(lines[0]).toContain("direction");
    expect(lines.filter((l) => l.includes(",income,300000,"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes(",expense,50000,"))).toHaveLength(1);
    await dialogOf(page).locator(".ant-modal-footer").getByRole("button", { name: "关闭" }).click();

    await menuOf(page).getByText("交易流水").click();
    await poll(() => page.locator(".ant-table-tbody").first().textContent()).toContain("已入账");
    await screenshot(page, "dep-10-transactions");
    await page.getByRole("tab", { name: "账户交易" }).click();
    await screenshot(page, "dep-11-account-transactions");
    // The transactions download too, from the merchant's own (scoped) export.
    await page.getByRole("tabpanel").getByRole("button", { name: "导出" }).click();
    const file = page.getByRole("link", { name: /^下载 / });
    await file.waitFor();
    const [transactions] = await Promise.all([page.waitForEvent("download"), file.click()]);
    expect((await readFile((await transactions.path())!, "utf8")).split(/\r?\n/)[0]).toContain(
      "type,amount,order_id",
    );
    await dialogOf(page).locator(".ant-modal-footer").getByRole("button", { name: "关闭" }).click();
    expectNoConsoleProblems(problems);
  });
});
