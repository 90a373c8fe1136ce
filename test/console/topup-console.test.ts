/**
 * The console's top-up plans page in a real Chromium against a real server on PostgreSQL:
 * the owner creates a range plan, sees it listed active with its terms, deactivates and
 * activates it again, adds
 * a smart top-up plan and a recharge code. Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleServer,
  type ConsoleSession,
  chooseOption,
  expectNoConsoleProblems,
  openDialog,
  pickOption,
  poll,
  screenshot,
  signIn,
  startConsoleSession,
} from "../helpers/console-browser.js";

let session: ConsoleSession;
let server: ConsoleServer;
let page: Page;
let problems: string[];

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
}, 240_000);

afterAll(async () => {
  await session?.close();
});

const dialogOf = openDialog;

describe("the console's top-up plans", () => {
  it("creates a range plan, lists it active with its terms, deactivates and activates it", async () => {
    await signIn(page, server, "owner@demo.vouchsafe.test", server.demo.users[0]!.password);
    await page.getByRole("navigation").getByText("充值方案").click();
    await page.getByRole("button", { name: "新建充值方案" }).click();
    const dialog = dialogOf(page);
    await dialog.getByLabel("名称").fill("夏季充值");
    await dialog.getByLabel("充值方式").click();
    await pickOption(page, "金额区间（套餐）");
    await dialog.getByLabel("最低金额").fill("100");
    await dialog.getByLabel("最高金额").fill("500");
    await dialog.getByLabel("赠送比例 %").fill("10");
    await dialog.getByLabel("积分比例 %").fill("5");
    await screenshot(page, "topup-01-create-plan");
    await dialog.getByRole("button", { name: "保存" }).click();

    const row = page.getByRole("row", { name: /夏季充值/ });
    await poll(() => row.textContent()).toContain("已启用");
    // The range the API stored, shown back in major units with the percentages.
    expect(await row.textContent()).toMatch(/100\.00.*500\.00.*赠送 10%.*积分 5%/);
    await row.getByRole("button", { name: "停用" }).click();
    await poll(() => row.textContent()).toContain("未启用");
    await row.getByRole("button", { name: "启用" }).click();
    await poll(() => row.textContent()).toContain("已启用");
    await screenshot(page, "topup-02-plans");
    expectNoConsoleProblems(problems);
  });

  it("adds a smart top-up plan with two tiers and a recharge code for the plan", async () => {
    await page.getByRole("tab", { name: "智能充值" }).click();
    await page.getByRole("button", { name: "新建智能充值方案" }).click();
    const smart = dialogOf(page);
    await smart.getByLabel("名称").fill("收银台智能充值");
    await smart.getByRole("button", { name: "添加档位" }).click();
    await smart.getByLabel("档位 2").click();
    await pickOption(page, "固定金额");
    await smart.getByLabel("充值金额").fill("300");
    await smart.getByLabel("赠送金额").fill("30");
    await screenshot(page, "topup-03-smart-create");
    await smart.getByRole("button", { name: "保存" }).click();
    const smartRow = page.getByRole("row", { name: /收银台智能充值/ });
    await poll(() => smartRow.textContent()).toContain("充值优惠 / 固定金额");

    await page.getByRole("tab", { name: "充值码" }).click();
    await chooseOption(page, page.locator("body"), "方案", "夏季充值");
    await page.getByRole("button", { name: "新建充值码" }).click();
    const code = dialogOf(page);
    await code.getByLabel("场景").fill("收银台海报");
    await code.getByRole("button", { name: "保存" }).click();
    const codeRow = page.getByRole("row", { name: /收银台海报/ });
    await poll(() => codeRow.textContent()).toContain("有效");
    await codeRow.getByRole("button", { name: "停用" }).click();
    await poll(() => codeRow.textContent()).toContain("已停用");
    await screenshot(page, "topup-04-codes");
    expectNoConsoleProblems(problems);
  });
});
