/**
 * The operator console in a real Chromium against a real server on PostgreSQL: one server
 * and one browser for the file, each test a flow a person would click through. Screenshots
 * of every page land in test-output/console/.
 */
import { readFile } from "node:fs/promises";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptConfirmation,
  type ConsoleServer,
  chooseOption,
  ensureConsoleBuilt,
  expectNoConsoleProblems,
  launchChromium,
  openDialog,
  openPage,
  pickOption,
  poll,
  STEP_TIMEOUT,
  screenshot,
  signIn,
  startConsoleServer,
} from "../helpers/console-browser.js";

let server: ConsoleServer;
let browser: Browser;
let owner: BrowserContext;
let page: Page;
let problems: string[];

const OWNER = "owner@demo.vouchsafe.test";
const STORE = "store@demo.vouchsafe.test";
const FINANCE = "finance@demo.vouchsafe.test";

beforeAll(async () => {
  [server, browser] = await Promise.all([ensureConsoleBuilt().then(startConsoleServer), launchChromium()]);
  owner = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 860 } });
  owner.setDefaultTimeout(STEP_TIMEOUT);
  ({ page, problems } = await openPage(owner));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const menu = () => page.getByRole("navigation");
/** The open dialog (closed ones may stay in the DOM, hidden). */
const dialogOf = openDialog;

describe("the operator console", () => {
  it("redirects / to /console and signs the owner in, in Chinese for a zh-CN tenant", async () => {
    const root = await fetch(`${server.baseUrl}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/console/");

    await signIn(page, server, OWNER, "wrong-password");
    await poll(() => page.getByRole("alert").textContent()).toMatch(/not correct|不正确/);
    await screenshot(page, "01-sign-in");

    await page.getByLabel(/^(Password|密码)$/).fill(server.demo.users[0]!.password);
    await page.getByRole("button", { name: /Sign in|登\s*录/ }).click();
    await poll(() => menu().textContent()).toContain("会员管理");
    expect(await menu().textContent()).toContain("API 密钥");
    expect(await page.locator("html").getAttribute("lang")).toBe("zh-CN");
    await screenshot(page, "02-home");
    expectNoConsoleProblems(problems);
  });

  it("offline top-up: confirmed, sent once, then shown in the change log and the stat cards", async () => {
    await menu().getByText("会员管理").click();
    await page.getByRole("button", { name: "新增会员" }).click();
    const dialog = dialogOf(page);
    // Saved empty: the form names the missing field, and the page logs no error for it.
    await dialog.getByRole("button", { name: "保存" }).click();
    await poll(() => dialog.locator(".ant-form-item-explain-error").count()).toBeGreaterThan(0);
    expectNoConsoleProblems(problems);
    await dialog.getByLabel("姓名").fill("张三");
    await dialog.getByLabel("手机号").fill("13800000001");
    await dialog.getByRole("button", { name: "保存" }).click();
    await page.getByRole("link", { name: "张三" }).click();
    await poll(() => page.getByTestId("balance-total").textContent()).toContain("0.00");

    await page.getByRole("button", { name: "线下充值" }).click();
    const topup = dialogOf(page);
    // Nothing to move: refused beside the field, before any confirmation.
    await topup.getByLabel(/^金额/).fill("0");
    await topup.getByRole("button", { name: "下一步" }).click();
    await poll(() => topup.getByText("请输入大于 0 的金额").count()).toBe(1);
    expect(await page.locator(".ant-modal-confirm").count()).toBe(0);
    await topup.getByLabel(/^金额/).fill("100");
    await topup.getByLabel(/^赠送金额/).fill("10.5");
    await topup.getByLabel("原因").fill("门店收款");
    await topup.getByRole("button", { name: "下一步" }).click();
    const confirm = page.locator(".ant-modal-confirm");
    await poll(() => confirm.textContent()).toContain("¥100.00");
    expect(await confirm.textContent()).toContain("¥10.50");
    await acceptConfirmation(page);
    await poll(() => page.getByTestId("balance-total").textContent()).toContain("¥110.50");
    const log = page.locator(".ant-table-row");
    await poll(() => log.first().textContent()).toContain("线下充值");
    expect(await log.first().textContent()).toContain("门店收款");

    await page.getByRole("link", { name: "会员管理" }).click();
    await poll(() => page.getByTestId("stat-total").textContent()).toContain("¥110.50");
    // Seed 004: today's increase counts the principal received, not the bonus given.
    expect(await page.getByTestId("stat-todayIncrease").textContent()).toContain("¥100.00");
    await poll(() => page.locator(".ant-table-row").first().textContent()).toContain("¥110.50");
    await screenshot(page, "03-members");
    expectNoConsoleProblems(problems);
  });

  it("exchanges points into balance from the member detail", async () => {
    const members = await server.api<{ data: { id: string; name: string }[] }>("GET", "/v1/members?q=张三");
    const id = members.data[0]!.id;
    await server.api("POST", `/v1/members/${id}/points`, { operation: "earn", points: 500, reason: "seed" });
    await page.getByRole("link", { name: "张三" }).click();
    await page.getByRole("button", { name: "积分兑换余额" }).click();
    const dialog = dialogOf(page);
    await dialog.getByLabel("兑换积分数").fill("200");
    await dialog.getByRole("button", { name: "下一步" }).click();
    await acceptConfirmation(page);
    // 200 points at 100 points per yuan: ¥2.00 more, as bonus.
    await poll(() => page.getByTestId("balance-total").textContent()).toContain("¥112.50");
    await poll(() => page.locator(".ant-table-row").first().textContent()).toMatch(/兑换/);
    await screenshot(page, "04-member-detail");
    // A member that does not exist is said once, not by every section of the page.
    await page.goto(`${server.baseUrl}/console/members/mbr_nobody`);
    // The balance's refusal may answer first; the member's then replaces the whole page.
    await poll(async () => [
      await page.getByRole("alert").count(),
      await page.getByTestId("balance-total").count(),
    ]).toEqual([1, 0]);
    await page.getByRole("link", { name: "会员管理" }).click();
    expectNoConsoleProblems(problems);
  });

  it("freezes and unfreezes a member, and closes the account only once its balance is withdrawn", async () => {
    const { id } = await server.api<{ id: string }>("POST", "/v1/members", { name: "李四" });
    await server.api("POST", `/v1/members/${id}/top-ups`, { amount: 5_000 });
    // Straight to the member's page: the list may still show what it read before 李四 existed.
    await page.goto(`${server.baseUrl}/console/members/${id}`);
    const card = page.locator(".ant-card", { hasText: "会员卡" });
    await poll(() => card.textContent()).toContain("正常");

    await card.getByRole("button", { name: "冻结" }).click();
    await acceptConfirmation(page);
    await poll(() => card.textContent()).toContain("冻结");
    // A frozen member's balance cannot move: no top-up or withdrawal is offered.
    expect(await page.getByRole("button", { name: "线下充值" }).count()).toBe(0);
    await card.getByRole("button", { name: "解冻" }).click();
    await acceptConfirmation(page);
    await poll(() => card.textContent()).toMatch(/状态正常/);
    await page.getByRole("button", { name: "线下充值" }).waitFor();

    // ¥50.00 is still the member's: the close is refused, in words, and nothing changes.
    await card.getByRole("button", { name: "注销账户" }).click();
    await acceptConfirmation(page);
    await page.getByText("会员仍有余额（或有余额被订单占用），请先办理余额提现再注销").waitFor();
    expect((await server.api<{ status: string }>("GET", `/v1/members/${id}`)).status).toBe("active");

    await server.api("POST", `/v1/members/${id}/withdrawals`, { amount: 5_000 });
    await card.getByRole("button", { name: "注销账户" }).click();
    await acceptConfirmation(page);
    await poll(() => card.textContent()).toMatch(/状态注销/);
    await poll(() => page.getByTestId("balance-total").textContent()).toContain("¥0.00");
    // Closing is final: nothing more to change.
    expect(await card.getByRole("button").count()).toBe(0);
    await screenshot(page, "04b-member-closed");
    await page.getByRole("link", { name: "会员管理" }).click();
    expectNoConsoleProblems(problems);
  });

  it("imports members from a file with a bad row and shows the row's error", async () => {
    await page.getByRole("button", { name: "导入" }).click();
    const dialog = dialogOf(page);
    await dialog.locator('input[type="file"]').setInputFiles({
      name: "members.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("name,phone\n王五,13900000000\n,13900000001\n"),
    });
    await dialog.getByRole("button", { name: "上传" }).click();
    const errors = page.getByTestId("row-errors");
    await poll(() => errors.textContent()).toMatch(/3/);
    expect(await dialog.textContent()).toContain("失败");
    await screenshot(page, "05-member-import");
    await dialog.locator(".ant-modal-footer").getByRole("button", { name: "关闭" }).click();
    expectNoConsoleProblems(problems);
  });

  it("a benefit created in the console is applied, and one for another channel refused with its reason, in the checkout simulator; the order completes and refunds", async () => {
    await menu().getByText("权益管理").click();
    for (const [name, online] of [
      ["会员九折", false],
      ["线上八折", true],
    ] as const) {
      await page.getByRole("button", { name: "新建权益" }).click();
      const dialog = dialogOf(page);
      await dialog.getByLabel("权益名称").fill(name);
      await dialog.getByLabel("折扣（减免 %）").fill(online ? "20" : "10");
      if (online) {
        await dialog.getByLabel("适用渠道（留空：全部）").click();
        await pickOption(page, "线上");
        await dialog.getByLabel("权益名称").click();
      }
      if (!online) await screenshot(page, "06-benefit-create");
      await dialog.getByRole("button", { name: "保存" }).click();
      await poll(() => page.locator(".ant-table-tbody").textContent()).toContain(name);
    }
    await screenshot(page, "06-benefits-list");

    // A voucher of the member's own is offered to pay with (only the ones with something left).
    const members = await server.api<{ data: { id: string }[] }>("GET", "/v1/members?q=张三");
    await server.api("POST", `/v1/members/${members.data[0]!.id}/vouchers`, {
      face_value: { amount: 1_500, asset: "CNY" },
      expires_at: new Date(Date.now() + 90 * 86_400_000).toISOString(),
    });
    // The member's detail lists it.
    await menu().getByText("会员管理").click();
    await page.getByRole("link", { name: "张三" }).click();
    const vouchers = page.getByTestId("member-vouchers");
    await poll(() => vouchers.textContent()).toContain("¥15.00");
    expect(await vouchers.textContent()).toContain("未使用");
    await vouchers.scrollIntoViewIfNeeded();
    await screenshot(page, "06-member-vouchers");
    await menu().getByText("收银模拟").click();
    await chooseOption(page, page.locator("body"), "会员", "张三");
    await poll(() => page.getByRole("checkbox", { name: "优惠券 ¥15.00" }).count()).toBe(1);
    await page.getByRole("button", { name: "计算" }).click();
    const quote = page.getByTestId("quote");
    await poll(() => page.getByTestId("quote-total").textContent()).toBe("¥90.00");
    expect(await quote.textContent()).toContain("会员九折");
    const refused = page.getByTestId("refused");
    expect(await refused.textContent()).toContain("线上八折");
    expect(await refused.textContent()).toContain("该渠道不适用");

    await page.getByRole("button", { name: "完成订单" }).click();
    await acceptConfirmation(page);
    // The order's state with any problem the page shows, so a refused action names its reason.
    const orderState = async () =>
      [
        await page.getByTestId("order").textContent(),
        ...(await page.getByRole("alert").allTextContents()),
      ].join(" | ");
    await poll(orderState).toContain("已完成");
    await page.getByRole("button", { name: "退款" }).click();
    await acceptConfirmation(page);
    await poll(orderState).toContain("已退款");
    await screenshot(page, "07-checkout");

    // Deactivation asks for confirmation and shows in the list at once.
    await menu().getByText("权益管理").click();
    await page
      .locator(".ant-table-row", { hasText: "线上八折" })
      .getByRole("button", { name: "停用" })
      .click();
    await acceptConfirmation(page);
    await poll(() => page.locator(".ant-table-row", { hasText: "线上八折" }).textContent()).toContain(
      "已停用",
    );
    expectNoConsoleProblems(problems);
  });

  it("creates an API key and shows its secret once", async () => {
    await menu().getByText("API 密钥").click();
    await page.getByRole("button", { name: "创建 API 密钥" }).click();
    await dialogOf(page).getByLabel("名称").fill("POS 终端");
    const answers: string[] = [];
    const record = (response: Response) => {
      if (response.url().includes("/v1/api-keys"))
        answers.push(`${response.request().method()} ${response.status()}`);
    };
    page.on("response", record);
    await dialogOf(page).getByRole("button", { name: "保存" }).click();
    const shown = page.getByTestId("api-key-secret");
    // When the secret does not come, the failure says what the dialogs and the API answered.
    await shown.waitFor({ timeout: STEP_TIMEOUT }).catch(async (error: Error) => {
      const dialogs = await page.getByRole("dialog").allInnerTexts();
      throw new Error(
        `no secret shown (${error.message.split("\n")[0]}); API answers ${JSON.stringify(answers)}; dialogs ${JSON.stringify(dialogs)}; console ${JSON.stringify(problems)}`,
      );
    });
    page.off("response", record);
    await poll(() => shown.textContent()).toMatch(/\S{20,}/);
    const secret = ((await shown.textContent()) ?? "").trim();
    await screenshot(page, "08-api-key-secret");
    const works = await fetch(`${server.baseUrl}/v1/tenant`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(works.status).toBe(200);
    await page.getByRole("button", { name: "我已复制" }).click();
    await poll(() => page.locator(".ant-table-tbody").textContent()).toContain("POS 终端");
    await poll(async () => (await page.content()).includes(secret)).toBe(false);
    await screenshot(page, "09-api-keys");
    expectNoConsoleProblems(problems);
  });

  it("exports the audit log as a job with progress and downloads the file", async () => {
    await menu().getByText("操作日志").click();
    await poll(() => page.locator(".ant-table-tbody").textContent()).toContain("api_key.created");
    // Who and what in words, the codes beneath: the owner by email, the action as object and verb.
    const created = page.locator(".ant-table-row", { hasText: "api_key.created" }).first();
    expect(await created.textContent()).toContain("API 密钥 · 已创建");
    expect(await created.textContent()).toContain("owner@demo.vouchsafe.test");
    await screenshot(page, "10-audit-log");
    await page.getByRole("button", { name: "导出" }).click();
    const link = page.getByRole("link", { name: /^下载 / });
    await link.waitFor();
    await screenshot(page, "11-export-done");
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const text = await readFile((await download.path())!, "utf8");
    expect(text.split("\n")[0]).toContain("created_at");
    expect(text.split("\n")[0]).toContain("actor_label");
    expect(text).toContain("api_key.created");
    await dialogOf(page).locator(".ant-modal-footer").getByRole("button", { name: "关闭" }).click();

    await menu().getByText("导出记录").click();
    await poll(() => page.locator(".ant-table-tbody").textContent()).toContain("操作日志");
    await screenshot(page, "12-exports");
    for (const [label, file] of [
      ["用户", "13-users"],
      ["Webhook", "14-webhooks"],
      ["后台任务", "15-jobs"],
      ["组织架构", "16-org"],
      ["系统设置", "16-settings"],
      ["等级与标签", "16-segments"],
    ] as const) {
      await menu().getByText(label, { exact: true }).click();
      await page.locator(".ant-typography", { hasText: label }).first().waitFor();
      await page.waitForLoadState("networkidle");
      await screenshot(page, file);
    }
    await menu().getByText("首页").click();
    await page.locator("canvas").first().waitFor();
    await screenshot(page, "02-home");
    expectNoConsoleProblems(problems);
  });

  it("keeps the menu and the header in view while a long page scrolls", async () => {
    await menu().getByText("操作日志").click();
    await poll(() => page.locator(".ant-table-tbody").textContent()).toContain("api_key.created");
    await page.mouse.move(900, 500);
    await page.mouse.wheel(0, 3000);
    // A page shorter than the window would prove nothing: it must have scrolled.
    await poll(() => page.evaluate<number>("window.scrollY")).toBeGreaterThan(100);
    expect((await page.locator(".ant-layout-sider").boundingBox())?.y).toBe(0);
    expect((await page.locator(".ant-layout-header").boundingBox())?.y).toBe(0);
    // The menu scrolls on its own, so the entry to look for is the one just clicked.
    const entry = await menu().getByText("操作日志").boundingBox();
    expect(entry?.y).toBeGreaterThan(0);
    expect(entry?.y).toBeLessThan(860);
    await screenshot(page, "10-audit-log-scrolled");
    await page.evaluate("window.scrollTo(0, 0)");
  });

  it("names a member's tier and tags, not their codes, in the list and on the member", async () => {
    await server.api("POST", "/v1/card-plans", {
      code: "vip",
      name: "会员卡",
      validity: { kind: "permanent" },
      tiers: [{ code: "gold", name: "金卡", rank: 1 }],
    });
    await server.api("POST", "/v1/member-tags", { code: "coffee", name: "咖啡爱好者" });
    await server.api("POST", "/v1/members", { name: "标签会员", tier: "gold", tags: ["coffee"] });
    await menu().getByText("会员管理").click();
    await page.getByPlaceholder("姓名、手机号或卡号").fill("标签会员");
    await page.getByRole("button", { name: "查询" }).click();
    const row = page.locator(".ant-table-row", { hasText: "标签会员" });
    await poll(() => row.textContent()).toContain("金卡");
    expect(await row.textContent()).toContain("咖啡爱好者");
    expect(await row.textContent()).not.toContain("gold");
    await row.getByRole("link", { name: "标签会员" }).click();
    const card = page.locator(".ant-descriptions");
    await poll(() => card.first().textContent()).toContain("金卡");
    expect(await card.first().textContent()).toContain("咖啡爱好者");
    await screenshot(page, "17-member-tier-names");
    await menu().getByText("会员管理").click();
  });

  it("switches to English and remembers it, formatting amounts for the locale", async () => {
    await page.getByLabel("语言").click();
    await pickOption(page, "English");
    await poll(() => menu().textContent()).toContain("Members");
    await page.reload();
    await poll(() => menu().textContent()).toContain("Members");
    expect(await page.locator("html").getAttribute("lang")).toBe("en-US");
    await menu().getByText("Members").click();
    await page.getByRole("heading", { name: "Members" }).waitFor();
    await poll(() => page.getByTestId("stat-total").textContent()).toContain("112.50");
    expect(await page.getByTestId("stat-total").textContent()).toContain("Total member balance");
    await screenshot(page, "17-members-en");
    expectNoConsoleProblems(problems);
  });
});

describe("who sees what", () => {
  it("a store-scoped operator sees only its store and no platform pages", async () => {
    const units = await server.api<{ data: { id: string; name: string }[] }>(
      "GET",
      "/v1/org-units?limit=100",
    );
    const unit = (name: string) => units.data.find((u) => u.name === name)!.id;
    await server.api("POST", "/v1/members", { name: "上海会员", org_unit_id: unit("Shanghai Nanjing Road") });
    await server.api("POST", "/v1/members", { name: "北京会员", org_unit_id: unit("Beijing Wangfujing") });

    const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const store = await openPage(context);
    await signIn(store.page, server, STORE, server.demo.users[2]!.password);
    const nav = store.page.getByRole("navigation");
    await poll(() => nav.textContent()).toContain("会员管理");
    const items = (await nav.textContent()) ?? "";
    for (const hidden of ["API 密钥", "用户", "操作日志", "Webhook", "后台任务"])
      expect(items).not.toContain(hidden);

    await nav.getByText("会员管理").click();
    await poll(() => store.page.locator(".ant-table-tbody").textContent()).toContain("上海会员");
    expect(await store.page.locator(".ant-table-tbody").textContent()).not.toContain("北京会员");
    // Tenant-wide totals are refused to a store: the page does not ask for them.
    expect(await store.page.getByTestId("stat-total").count()).toBe(0);
    expect(await store.page.getByRole("alert").count()).toBe(0);
    await screenshot(store.page, "18-store-members");

    await nav.getByText("组织架构").click();
    await poll(() => store.page.getByTestId("org-unit").allTextContents()).toEqual([
      expect.stringContaining("Shanghai Nanjing Road"),
    ]);
    await screenshot(store.page, "19-store-org");

    // A platform page's address, followed anyway: said to be out of reach, not a silent jump.
    await store.page.goto(`${server.baseUrl}/console/platform/api-keys`);
    await store.page.getByText("无权访问").waitFor();
    expect(new URL(store.page.url()).pathname).toBe("/console/platform/api-keys");
    await screenshot(store.page, "19-store-forbidden");
    await store.page.goto(`${server.baseUrl}/console/no-such-page`);
    await store.page.getByText("页面不存在").waitFor();
    await store.page.getByRole("button", { name: "返回首页" }).click();
    await poll(() => new URL(store.page.url()).pathname).toMatch(/^\/console\/?$/);

    // The operator changes its own password from the user menu.
    await store.page.getByRole("button", { name: STORE }).click();
    await store.page.getByText("修改密码").click();
    const dialog = dialogOf(store.page);
    await dialog.getByLabel("当前密码").fill(server.demo.users[2]!.password);
    await dialog.getByLabel("新密码").fill("a-new-store-password");
    await dialog.getByRole("button", { name: "保存" }).click();
    await poll(() => store.page.locator(".ant-message").textContent()).toContain("密码已修改");
    expectNoConsoleProblems(store.problems);
    await context.close();
  });

  it("locks a user out after repeated wrong passwords and says so", async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT);
    const finance = await openPage(context);
    await signIn(finance.page, server, FINANCE, "wrong-1");
    const alert = finance.page.getByRole("alert");
    await poll(() => alert.textContent()).toMatch(/不正确|not correct/);
    await screenshot(finance.page, "20-sign-in-refused");
    let text = "";
    for (let attempt = 2; attempt <= 6; attempt++) {
      await finance.page.getByLabel(/^(Password|密码)$/).fill(`wrong-${attempt}`);
      const submit = finance.page.locator('button[type="submit"]:not(.ant-btn-loading)');
      const [answer] = await Promise.all([
        finance.page.waitForResponse((r) => r.url().endsWith("/v1/sessions")),
        submit.click(),
      ]);
      expect([401, 423]).toContain(answer.status());
      await alert.waitFor();
      text = (await alert.textContent()) ?? "";
      if (/锁定|locked/.test(text)) break;
    }
    expect(text).toMatch(/locked for 15 minutes|锁定 15 分钟/);
    await screenshot(finance.page, "20-locked-out");
    expectNoConsoleProblems(finance.problems);
    await context.close();
  });
});

/**
 * The CSS animations and transitions that started while `open` ran, its dialog appeared and
 * what the click set off ended, as `animation:<name>` and `transition:<property>`. Counted from
 * the browser's own start events, so a short one is seen on a fast machine as on a slow one.
 */
async function motionWhileOpening(p: Page, open: () => Promise<void>): Promise<string[]> {
  await p.evaluate(`{
    const seen = new Set();
    document.addEventListener("animationstart", (e) => seen.add("animation:" + e.animationName), true);
    document.addEventListener("transitionrun", (e) => seen.add("transition:" + e.propertyName), true);
    window.motionSeen = seen;
  }`);
  await open();
  await openDialog(p).waitFor();
  // What a click sets off a few frames later (a button's ripple) is counted too: a few frames,
  // then until nothing runs.
  await p.evaluate(
    "new Promise((done) => { let n = 5; const next = () => (n-- ? requestAnimationFrame(next) : done()); next(); })",
  );
  await p.waitForFunction('document.getAnimations().every((a) => a.playState !== "running")');
  return p.evaluate<string[]>("[...window.motionSeen]");
}

describe("motion follows the operator's system", () => {
  it.each([
    ["zooms a dialog in by default", "no-preference" as const],
    ["opens it without motion for someone who asked for less", "reduce" as const],
  ])("%s", async (_what, reducedMotion) => {
    const context = await browser.newContext({ reducedMotion, viewport: { width: 1366, height: 860 } });
    context.setDefaultTimeout(STEP_TIMEOUT);
    const operator = await openPage(context);
    await signIn(operator.page, server, OWNER, server.demo.users[0]!.password);
    await operator.page.getByRole("navigation").getByText("会员管理").click();
    const motion = await motionWhileOpening(operator.page, () =>
      operator.page.getByRole("button", { name: "新增会员" }).click(),
    );
    // A spinner still turns and a skeleton still shimmers: they say that something is loading.
    const entering = motion.filter((m) => /ant(Zoom|Fade|Slide|Move)|^transition:/.test(m));
    if (reducedMotion === "reduce") expect(entering).toEqual([]);
    else expect(entering).toEqual(expect.arrayContaining([expect.stringMatching(/antZoomIn$/)]));
    expectNoConsoleProblems(operator.problems);
    await context.close();
  });
});
