/**
 * A top-up plan's details (seed 001 §2.3.3 "Details") in a real Chromium against a real server:
 * from the plans list the owner opens a plan's top-ups (till and online), reads their amounts,
 * bonuses and first-top-up flags, what a provider's part refund took back, filters them by
 * status, exports the filtered list, and records
 * the refund of an online payment that was collected but could not be credited (refund_due).
 * Screenshots land in test-output/console/.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTestWebhook, testProviderSecret } from "../../src/modules/wallets/index.js";
import {
  acceptConfirmation,
  type ConsoleServer,
  type ConsoleSession,
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

interface Topup {
  id: string;
  status: string;
  amount: number;
  checkout: { pay_url: string } | null;
  details: Record<string, unknown>;
}

/**
 * The test provider confirms an online top-up's payment, or a refund of part of it, as its
 * signed notification would.
 */
async function providerCollects(topup: Topup, refund?: { amount: number; id: string }): Promise<string> {
  const { t } = server;
  const signed = signTestWebhook(
    testProviderSecret(t.config.signingSecret),
    {
      id: `evt-${topup.id}${refund ? `-${refund.id}` : ""}`,
      provider_ref: String(topup.checkout?.pay_url).replace("test://pay/", ""),
      status: "succeeded",
      amount: topup.amount,
      currency: "CNY",
      ...(refund ? { kind: "refund", refund_amount: refund.amount, refund_id: refund.id } : {}),
    },
    t.clock.now(),
  );
  const paid = await t.app.inject({
    method: "POST",
    url: `/v1/topup-payment-webhooks/test/${server.demo.tenant_id}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
  expect(paid.statusCode, paid.body).toBe(200);
  return (JSON.parse(paid.body) as { result: string }).result;
}

describe("a top-up plan's details in the console", () => {
  it("lists the plan's top-ups, filters and exports them, and records a refund_due one's refund", async () => {
    const units = await server.api<{ data: { id: string; name: string }[] }>(
      "GET",
      "/v1/org-units?limit=100",
    );
    const store = units.data.find((u) => u.name === "Shanghai Nanjing Road")!;
    // 100–500 at 10% bonus and 5% points; a first top-up gets 5% more bonus.
    const plan = await server.api<{ id: string }>("POST", "/v1/topup-plans", {
      kind: "package",
      name: "夏季充值",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 500 },
      first_topup_bonus: { extra_bonus_bps: 500 },
    });
    const wang = await server.api<{ id: string }>("POST", "/v1/members", {
      name: "王芳",
      card_number: "8800001",
    });
    const li = await server.api<{ id: string }>("POST", "/v1/members", {
      name: "李雷",
      card_number: "8800002",
    });
    const topUp = (body: object) => server.api<Topup>("POST", `/v1/topup-plans/${plan.id}/top-ups`, body);
    // At the till: 王芳's first top-up at a store, then a second one.
    const first = await topUp({
      member_id: wang.id,
      amount: 25_000,
      channel: "pos",
      store_id: store.id,
      payment_method: "offline",
    });
    expect(first.status).toBe("credited");
    await topUp({ member_id: wang.id, amount: 10_000, channel: "pos", payment_method: "offline" });
    // Online: 李雷 starts paying, is frozen meanwhile, and the provider collects anyway.
    const online = await topUp({
      member_id: li.id,
      amount: 30_000,
      channel: "online",
      payment_method: "online",
    });
    expect(online.status).toBe("pending_payment");
    await server.api("PATCH", `/v1/members/${li.id}`, { status: "frozen" });
    expect(await providerCollects(online)).toBe("refund_due");
    // 王芳 pays one online; the provider later refunds part of it: still credited, the part shown.
    const partRefunded = await topUp({
      member_id: wang.id,
      amount: 20_000,
      channel: "online",
      payment_method: "online",
    });
    expect(await providerCollects(partRefunded)).toBe("credited");
    expect(await providerCollects(partRefunded, { amount: 5_000, id: "rf_part_1" })).toBe("refund_recorded");

    await signIn(page, server, "owner@demo.vouchsafe.test", server.demo.users[0]!.password);
    await page.getByRole("navigation").getByText("充值方案").click();
    const planRow = page.getByRole("row", { name: /夏季充值/ });
    await poll(() => planRow.textContent()).toContain("已启用");
    await screenshot(page, "topup-plan-details-00-plans");
    await planRow.getByRole("button", { name: "明细" }).click();
    await poll(() => page.url()).toContain(`/console/topup/plans/${plan.id}`);
    await poll(() => page.getByRole("heading", { level: 3 }).textContent()).toContain("夏季充值");

    const rows = page.locator(".ant-table-tbody tr.ant-table-row");
    await poll(() => rows.count()).toBe(4);
    // The first top-up: 250.00, bonus 25.00 + 12.50 first-top-up extra, 12 points (12.5 down).
    const firstRow = rows.filter({ hasText: "¥250.00" });
    // The store's name comes with the org units, which may answer after the top-ups.
    await poll(() => firstRow.textContent()).toMatch(
      /王芳.*8800001.*¥250\.00.*¥37\.50.*12.*是.*门店 · Shanghai Nanjing Road.*已到账/,
    );
    const partRow = rows.filter({ hasText: "¥200.00" });
    // A quarter of it back: a quarter of its 10 points (2.5, down to 2) taken back too.
    expect(await partRow.textContent()).toMatch(
      /8800001.*¥200\.00.*线上.*已到账.*渠道已退 ¥50\.00.*已收回积分 2/,
    );
    const secondRow = rows.filter({ hasText: "¥100.00" });
    expect(await secondRow.textContent()).toMatch(/8800001.*¥100\.00.*¥10\.00.*5.*否.*门店.*已到账/);
    const dueRow = rows.filter({ hasText: "8800002" });
    expect(await dueRow.textContent()).toMatch(
      /¥300\.00.*¥45\.00.*15.*是.*线上.*已支付未到账，待退款.*会员已冻结.*登记退款/,
    );
    // Only a refund_due row offers to record a refund.
    expect(await rows.getByRole("button", { name: "登记退款" }).count()).toBe(1);
    await screenshot(page, "topup-plan-details-01-all");

    await page.getByLabel("状态").click();
    await pickOption(page, "已支付未到账，待退款");
    await page.getByRole("button", { name: "查询" }).click();
    await poll(() => page.url()).toContain("status=refund_due");
    await poll(() => rows.count()).toBe(1);
    await poll(() => rows.first().textContent()).toContain("8800002");
    await screenshot(page, "topup-plan-details-02-refund-due");

    // The export follows the filters: only the refund_due top-up.
    await page.getByLabel("文件格式").click();
    await pickOption(page, "CSV");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "导出" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`topups-${plan.id}.csv`);
    const csv = await readFile((await download.path())!, "utf8");
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("status,refunded_amount,recharge_code_id");
    expect(lines[1]).toContain(online.id);
    expect(lines[1]).toContain("refund_due");

    await rows.first().getByRole("button", { name: "登记退款" }).click();
    const dialog = openDialog(page);
    await dialog.getByLabel("渠道退款单号").fill("re_plan_1");
    await dialog.getByLabel("备注").fill("在支付渠道后台退款");
    await screenshot(page, "topup-plan-details-03-record-refund");
    await dialog.getByRole("button", { name: "下一步" }).click();
    await acceptConfirmation(page);
    // Settled, it leaves the refund_due list and is listed refunded, with nothing left to record.
    await poll(() => rows.count()).toBe(0);
    await page.getByLabel("状态").click();
    await pickOption(page, "已退款");
    await page.getByRole("button", { name: "查询" }).click();
    await poll(() => page.url()).toContain("status=refunded");
    await poll(() => rows.count()).toBe(1);
    await poll(() => rows.first().textContent()).toContain("已退款");
    expect(await rows.first().textContent()).toMatch(/8800002.*已退款.*退款单号 re_plan_1/);
    expect(await rows.getByRole("button", { name: "登记退款" }).count()).toBe(0);
    const recorded = await server.api<Topup>("GET", `/v1/topups/${online.id}`);
    expect(recorded).toMatchObject({
      status: "refunded",
      details: { refund_record: { reference: "re_plan_1", note: "在支付渠道后台退款" } },
    });
    await screenshot(page, "topup-plan-details-04-refunded");

    // On 王芳's page, a top-up in the change log names its top-up: the link opens the plan's details.
    await page.goto(`${server.baseUrl}/console/members/${wang.id}`);
    const log = page.locator(".ant-card", { hasText: "余额变动明细" });
    await poll(() => log.locator(".ant-table-row").count()).toBeGreaterThan(0);
    const collapsed = log.locator(".ant-table-row-expand-icon-collapsed");
    while ((await collapsed.count()) > 0) await collapsed.first().click();
    const source = log.getByRole("link", { name: first.id });
    await poll(() => source.getAttribute("href")).toBe(`/console/topup/plans/${plan.id}`);
    await source.click();
    await poll(() => page.getByRole("heading", { level: 3 }).textContent()).toContain("夏季充值");
    expectNoConsoleProblems(problems);
  }, 240_000);
});
