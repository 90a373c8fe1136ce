/**
 * The console's platform pages and role homes in a real Chromium against a real server: each
 * role's home with its figures, moving org units (a refused move shows its reason), store
 * groups, notification templates, the inbox, the member center's look and a benefit's usage.
 * Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postInbox } from "../../src/platform/notify/inbox.js";
import { Notifier } from "../../src/platform/notify/notifier.js";
import {
  acceptConfirmation,
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
const units = new Map<string, string>();

const OWNER = "owner@demo.vouchsafe.test";
const FINANCE = "finance@demo.vouchsafe.test";
const STORE = "store@demo.vouchsafe.test";

/** The API as the demo owner key, with an Idempotency-Key on every write. */
function call<T = { id: string }>(method: string, url: string, body?: unknown): Promise<T> {
  return server.api<T>(method, url, body);
}

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
  const list = await call<{ data: { id: string; name: string; parent_id: string | null }[] }>(
    "GET",
    "/v1/org-units?limit=100",
  );
  for (const u of list.data) units.set(u.name, u.id);
  const root = list.data.find((u) => u.parent_id === null)!;
  const merchant = await call("POST", "/v1/org-units", {
    parent_id: root.id,
    kind: "merchant",
    name: "Harbour Café",
  });
  // Figures for the homes: a member topped up 100.00 today and a merchant's deposit account.
  const member = await call("POST", "/v1/members", { name: "王五" });
  await call("POST", `/v1/members/${member.id}/top-ups`, { amount: 10_000, reason: "cash" });
  await call("PUT", `/v1/merchants/${merchant.id}/deposit-bank-binding`, {
    company_name: "Harbour Café Ltd",
    bank_name: "ICBC",
    branch: "Chaoyang",
    account_number: "6222 0000 1111",
  });
  await call("POST", "/v1/deposit-accounts", { merchant_id: merchant.id });
  // A benefit used by one completed order: 10% of 70.00.
  const benefit = await call("POST", "/v1/benefits", {
    kind: "member_discount",
    name: "会员九折",
    config: { discount_percent: 10 },
  });
  const order = await call<{ total: number }>("POST", "/v1/checkout/orders", {
    member_id: member.id,
    channel: "POS",
    lines: [
      { sku: "tea", category: "drinks", quantity: 2, unit_price: 1500 },
      { sku: "cake", category: "bakery", quantity: 1, unit_price: 4000 },
    ],
    client_order_id: "till-usage",
  });
  expect(benefit.id).toBeTruthy();
  expect(order.total).toBe(6_300);
}, 240_000);

afterAll(async () => {
  await session?.close();
});

const menu = () => page.getByRole("navigation");
/** The open dialog (closed ones may stay in the DOM, hidden). */
const dialogOf = openDialog;
const password = (email: string) => server.demo.users.find((u) => u.email === email)!.password;

async function signInAs(email: string): Promise<void> {
  await session.context.clearCookies();
  await signIn(page, server, email, password(email));
  await poll(() => page.getByTestId("home-role").count()).toBe(1);
}

describe("the role homes", () => {
  it("the owner sees the totals, the balance trend, top-ups per day, deposits against their threshold and shortcuts", async () => {
    await signInAs(OWNER);
    await poll(() => page.getByTestId("stat-total").textContent()).toContain("¥100.00");
    await poll(() => page.getByTestId("home-topups-total").textContent()).toContain("¥100.00");
    expect(await page.getByRole("img", { name: "会员余额走势（近 30 天）" }).count()).toBe(1);
    expect(await page.getByRole("img", { name: "每日充值（近 30 天）" }).count()).toBe(1);
    const deposits = page.locator(".ant-card", { hasText: "商户保证金：可用余额与阈值" });
    await poll(() => deposits.locator(".ant-table-tbody").textContent()).toContain("Harbour Café");
    expect(await page.getByTestId("home-shortcuts").count()).toBe(1);
    await screenshot(page, "platform-01-home-owner");
    expectNoConsoleProblems(problems);
  });

  it("finance sees the money and the deposits but no counter shortcuts; the store operator only the counter", async () => {
    await signInAs(FINANCE);
    await poll(() => page.getByTestId("home-role").textContent()).toContain("资金进出");
    await poll(() => page.getByTestId("stat-todayIncrease").textContent()).toContain("¥100.00");
    await poll(() => page.locator(".ant-table-tbody").textContent()).toContain("Harbour Café");
    expect(await page.getByTestId("home-shortcuts").count()).toBe(0);
    await screenshot(page, "platform-02-home-finance");

    await signInAs(STORE);
    await poll(() => page.getByTestId("home-shortcuts").textContent()).toContain("收银模拟");
    // Tenant-wide totals and deposits are not offered to a store-scoped user at all.
    expect(await page.getByTestId("stat-total").count()).toBe(0);
    expect(await page.getByText("商户保证金：可用余额与阈值").count()).toBe(0);
    expect(await menu().textContent()).not.toContain("通知管理");
    await screenshot(page, "platform-03-home-store");
    expectNoConsoleProblems(problems);
  });
});

describe("the platform pages", () => {
  it("moves an org unit after a confirmation; a move under its own subtree shows the API's reason", async () => {
    await signInAs(OWNER);
    await menu().getByText("组织架构").click();
    const moveButton = (name: string) => page.getByRole("button", { name: `移动 ${name}` });
    const moveTo = async (unit: string, parent: string) => {
      await moveButton(unit).click();
      const dialog = dialogOf(page);
      await dialog.getByLabel("新的上级单位").click();
      // The list renders only the units in its window: search so that the parent is among them.
      await page.keyboard.type(parent);
      await pickOption(page, parent, ".ant-select-tree-node-content-wrapper");
      await page.locator(".ant-select-dropdown:visible").waitFor({ state: "detached" });
      await dialog.getByRole("button", { name: "移动" }).click();
      await acceptConfirmation(page);
    };

    await moveTo("East Distribution", "Harbour Resellers");
    await poll(() => dialogOf(page).getByRole("alert").textContent()).toContain(
      "不能移动到自身或其下级单位之下",
    );
    await screenshot(page, "platform-04-org-move-refused");
    await dialogOf(page).getByRole("button", { name: "取消" }).click();
    const east = await call<{ parent_id: string }>("GET", `/v1/org-units/${units.get("East Distribution")}`);
    expect(east.parent_id).not.toBe(units.get("Harbour Resellers"));

    await moveTo("Harbour Resellers", "Beijing Wangfujing");
    await poll(() => page.getByText("已移动").count()).toBeGreaterThan(0);
    const harbour = await call<{ parent_id: string }>(
      "GET",
      `/v1/org-units/${units.get("Harbour Resellers")}`,
    );
    expect(harbour.parent_id).toBe(units.get("Beijing Wangfujing"));
    // The tree draws it under its new parent.
    const title = (name: string) => page.locator(`[data-unit="${name}"]`).boundingBox();
    await poll(async () => {
      const [bj, hb] = [await title("Beijing Wangfujing"), await title("Harbour Resellers")];
      return Boolean(bj && hb && hb.y > bj.y && hb.x > bj.x);
    }).toBe(true);

    await page.getByRole("button", { name: "新建门店分组" }).click();
    const group = dialogOf(page);
    await group.getByLabel("分组名称").fill("华东门店");
    await chooseOption(page, group, "门店", "Shanghai Nanjing Road");
    await group.getByLabel("分组名称").click();
    await group.getByRole("button", { name: "保存" }).click();
    const row = page.locator(".ant-table-row", { hasText: "华东门店" });
    await poll(() => row.textContent()).toContain("Shanghai Nanjing Road");
    await screenshot(page, "platform-05-org");
    await row.getByRole("button", { name: "删除" }).click();
    await acceptConfirmation(page);
    await poll(() => row.count()).toBe(0);
    const groups = await call<{ data: unknown[] }>("GET", "/v1/store-groups");
    expect(groups.data).toEqual([]);
    expectNoConsoleProblems(problems);
  });

  it("edits a notification template, filtered by the URL, and lists the delivery records", async () => {
    await menu().getByText("通知管理").click();
    await page.getByLabel("渠道").click();
    await page.getByTitle("站内信").click();
    await page.getByRole("button", { name: "查询" }).click();
    await poll(() => page.url()).toContain("channel=inbox");
    const rows = page.locator(".ant-table-row");
    await poll(async () => {
      const texts = await rows.allTextContents();
      return texts.length > 0 && texts.every((text) => text.includes("站内信"));
    }).toBe(true);

    const edit = page.getByRole("button", { name: "编辑 deposit.balance_low/zh-CN/inbox", exact: true });
    const row = page.locator(".ant-table-row").filter({ has: edit });
    await edit.click();
    const dialog = dialogOf(page);
    await dialog.getByLabel("标题").fill("保证金不足：{{merchant}}");
    await dialog.getByRole("button", { name: "保存" }).click();
    await poll(() => row.textContent()).toContain("已自定义");
    expect(await row.textContent()).toContain("保证金不足：{{merchant}}");
    const saved = await call<{
      data: { notice_type: string; locale: string; channel: string; subject: string }[];
    }>("GET", "/v1/notification-templates");
    expect(
      saved.data.find(
        (t) => t.notice_type === "deposit.balance_low" && t.locale === "zh-CN" && t.channel === "inbox",
      )?.subject,
    ).toBe("保证金不足：{{merchant}}");
    await screenshot(page, "platform-06-notification-templates");

    // A real notice: the SMS gateway times out, so the text message waits for its retry; email
    // fails for good, for this server has no SMTP peer.
    const notifier = new Notifier({
      db: server.t.deps.db,
      sms: {
        send: async () => {
          throw new Error("gateway timed out");
        },
      },
    });
    await notifier.notify(
      server.demo.tenant_id,
      {
        type: "deposit.balance_low",
        recipientKey: "platform-browser",
        to: { phone: "+8613800000000", email: "finance@demo.vouchsafe.test" },
        vars: { merchant: "Demo Retail", available: "12.00", threshold: "100.00" },
      },
      server.t.clock.now(),
    );
    await page.getByRole("tab", { name: "发送记录" }).click();
    await poll(() => page.url()).toContain("tab=deliveries");
    const deliveries = page.locator(".ant-table-row", { hasText: "预存账户余额低于预警值" });
    await poll(() => deliveries.count()).toBe(2);
    expect(await deliveries.first().textContent()).toContain("deposit.balance_low");
    // The failure is named in the reader's language; the server's own words stay beneath.
    const failed = deliveries.filter({ hasText: "finance@demo.vouchsafe.test" });
    expect(await failed.textContent()).toContain("服务器未配置邮件发送");
    // The retry to come shows as such, with the attempt made and when the next one is due.
    const retrying = deliveries.filter({ hasText: "+8613800000000" });
    expect(await retrying.textContent()).toMatch(/重试中第 1 次发送失败，下次重试 \d{4}/);
    // Only the failed email offers a resend; confirmed, the server's refusal shows in words.
    expect(await retrying.getByRole("button", { name: /^重发/ }).count()).toBe(0);
    // The retrying SMS may be sent now instead of at its next retry.
    await retrying.getByRole("button", { name: "立即发送 +8613800000000" }).click();
    await acceptConfirmation(page);
    await page.getByText("已提前，稍后即发送").waitFor();
    const sms = await call<{ data: { recipient: string; status: string; next_attempt_at: string | null }[] }>(
      "GET",
      "/v1/notification-deliveries?notice_type=deposit.balance_low&limit=100",
    );
    const broughtForward = sms.data.find((d) => d.recipient === "+8613800000000")!;
    // Due now (or already tried by the worker's sweep), no longer a minute away.
    expect(
      broughtForward.status !== "retrying" ||
        Date.parse(broughtForward.next_attempt_at!) <= server.t.clock.now().getTime(),
    ).toBe(true);
    await failed.getByRole("button", { name: "重发 finance@demo.vouchsafe.test" }).click();
    await acceptConfirmation(page);
    await page.getByText("服务器未配置邮件发送，无法重发邮件").waitFor();
    // The notice is picked by what it is, in the reader's language.
    await page.getByLabel("通知", { exact: true }).fill("预存账户余额");
    await pickOption(page, "预存账户余额低于预警值 (deposit.balance_low)");
    await page.getByRole("button", { name: "查询" }).click();
    await poll(() => page.url()).toContain("notice_type=deposit.balance_low");
    await poll(() => deliveries.count()).toBe(2);
    await screenshot(page, "platform-07-notification-deliveries");
    expectNoConsoleProblems(problems);
  });

  it("lists the inbox with its read filter in the URL and marks a message read", async () => {
    await server.t.deps.db.tenantTx(server.demo.tenant_id, (trx) =>
      postInbox(
        trx,
        {
          tenantId: server.demo.tenant_id,
          recipient: "tenant",
          noticeType: "file_job.finished",
          title: "导出完成",
          body: "会员列表已导出",
        },
        server.t.clock.now(),
      ),
    );
    await page.reload();
    await menu().getByText("站内消息").click();
    await page.getByLabel("阅读状态").click();
    await page.getByTitle("未读").click();
    await page.getByRole("button", { name: "查询" }).click();
    await poll(() => page.url()).toContain("unread=true");
    const row = page.locator(".ant-table-row", { hasText: "导出完成" });
    await poll(() => row.textContent()).toContain("未读");
    await screenshot(page, "platform-08-inbox");
    await row.getByRole("button", { name: "标为已读" }).click();
    await poll(() => row.count()).toBe(0);
    const unread = await fetch(`${server.baseUrl}/v1/inbox/unread-count`, {
      headers: { authorization: `Bearer ${server.demo.api_key}` },
    });
    expect(await unread.json()).toEqual({ unread: 0 });
    expectNoConsoleProblems(problems);
  });

  it("sets the member center's colour with a live preview and a link to the real page", async () => {
    await menu().getByText("会员中心外观").click();
    const color = page.getByLabel("主题色");
    // With no colour set, the preview shows the member center's own default.
    const bar = page.getByTestId("look-preview").locator("div").first();
    await poll(() => bar.getAttribute("style")).toContain("rgb(194, 65, 12)");
    await color.fill("0f766e");
    await page.getByRole("button", { name: "保存" }).click();
    await poll(() => page.getByRole("alert").count()).toBe(0);
    await poll(() => page.getByText("颜色请写作 # 加六位十六进制数字").count()).toBe(1);
    await color.fill("#0f766e");
    await poll(() => bar.getAttribute("style")).toContain("rgb(15, 118, 110)");
    await page.getByRole("button", { name: "保存" }).click();
    await poll(
      async () => (await call<{ brand_color: string }>("GET", "/v1/member-center-settings")).brand_color,
    ).toBe("#0f766e");
    const link = page.getByRole("link", { name: "打开会员中心" });
    expect(await link.getAttribute("href")).toBe(`/m/${server.demo.tenant_id}/`);
    const branding = await fetch(
      `${server.baseUrl}/v1/member-center/tenants/${server.demo.tenant_id}/branding`,
    );
    expect(((await branding.json()) as { brand_color: string }).brand_color).toBe("#0f766e");
    await screenshot(page, "platform-09-member-center-look");
    expectNoConsoleProblems(problems);
  });

  it("shows a benefit's usage: orders, members and the discount given", async () => {
    await menu().getByText("权益管理").click();
    await page
      .locator(".ant-table-row", { hasText: "会员九折" })
      .getByRole("button", { name: "使用统计" })
      .click();
    const usage = page.getByTestId("benefit-usage");
    await poll(() => usage.textContent()).toContain("¥7.00");
    expect((await usage.textContent())?.replace(/\s/g, "")).toBe("订单数1会员数1累计优惠¥7.00");
    await screenshot(page, "platform-10-benefit-usage");
    expectNoConsoleProblems(problems);
  });
});
