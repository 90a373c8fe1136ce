/**
 * The console's online top-up orders page (seed 004) in a real Chromium against a real server:
 * the owner sees every member's online top-ups with member, amount, provider and status — those
 * bought through a top-up plan (seed 001) too, with the plan and its bonus — and filters them by
 * status and by what bought them. Also pictures the member list's balance column and the campaign
 * registry. Screenshots land in test-output/console/.
 */
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
import { notifyTopupPayment, type TopupBody } from "../helpers/topup.js";

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

describe("online top-up orders in the console", () => {
  it("lists every member's online top-ups, plan top-ups included, and filters them", async () => {
    await server.api("PATCH", "/v1/wallet-settings", { online_topup_enabled: true });
    await server.api("POST", "/v1/benefit-campaigns", {
      name: "会员专享返利",
      kind: "promotional",
      member_exclusive: true,
    });
    for (const [name, amount] of [
      ["王芳", 10000],
      ["李雷", 20000],
    ] as const) {
      const member = await server.api<{ id: string }>("POST", "/v1/members", { name });
      await server.api("POST", `/v1/members/${member.id}/topup-intents`, { amount });
    }
    // A top-up bought through a plan and paid online: a top-up of the plan, not a balance intent.
    const plan = await server.api<{ id: string }>("POST", "/v1/topup-plans", {
      kind: "package",
      name: "夏日充值礼",
      rule: { type: "fixed", amount: 30000, bonus_amount: 3000, bonus_points: 50 },
    });
    const zhang = await server.api<{ id: string }>("POST", "/v1/members", { name: "张伟" });
    const bought = await server.api<TopupBody>("POST", `/v1/topup-plans/${plan.id}/top-ups`, {
      member_id: zhang.id,
      channel: "online",
      payment_method: "online",
    });
    const paid = await notifyTopupPayment(server.t, server.demo.tenant_id, bought, {
      id: `evt-${bought.id}`,
      status: "succeeded",
    });
    expect(paid.statusCode, paid.body).toBe(200);

    await signIn(page, server, "owner@demo.vouchsafe.test", server.demo.users[0]!.password);
    await page.getByRole("navigation").getByText("在线充值").click();
    const wang = page.getByRole("row", { name: /王芳/ });
    await poll(() => wang.textContent()).toContain("待支付");
    expect(await wang.textContent()).toMatch(/100\.00.*test/);
    await poll(() => page.getByRole("row", { name: /李雷/ }).textContent()).toContain("200.00");
    const zhangRow = page.getByRole("row", { name: /张伟/ });
    await poll(() => zhangRow.textContent()).toContain("夏日充值礼");
    expect(await zhangRow.textContent()).toMatch(
      /充值方案夏日充值礼.*300\.00.*30\.00.*50 积分.*test.*已支付/,
    );
    expect(await wang.textContent()).toContain("余额充值");
    await screenshot(page, "topup-orders-01-list");

    await page.getByLabel("状态").click();
    await pickOption(page, "已支付");
    await page.getByRole("button", { name: "查询" }).click();
    // The table empties while the filtered page loads: wait for the row that stays, too.
    await poll(() => page.getByRole("row", { name: /王芳/ }).count()).toBe(0);
    await poll(() => page.getByRole("row", { name: /张伟/ }).count()).toBe(1);
    await screenshot(page, "topup-orders-02-paid-only");

    // Only what was bought through a plan: the balance top-ups leave the list.
    await page.goto(`${server.baseUrl}/console/topup-orders`);
    await poll(() => page.getByRole("row", { name: /李雷/ }).count()).toBe(1);
    await page.getByLabel("充值方式").click();
    await pickOption(page, "充值方案");
    await page.getByRole("button", { name: "查询" }).click();
    await poll(() => page.getByRole("row", { name: /李雷/ }).count()).toBe(0);
    await poll(() => page.getByRole("row", { name: /张伟/ }).count()).toBe(1);

    // A one-day range kept in the address reads back as that one day, not the day after too.
    await page.goto(
      `${server.baseUrl}/console/topup-orders?created_from=2026-11-23T00:00:00.000Z&created_to=2026-11-24T00:00:00.000Z`,
    );
    const days = page.locator(".ant-picker-range input");
    await poll(() => days.first().inputValue()).not.toBe("");
    expect(await days.nth(1).inputValue()).toBe(await days.first().inputValue());

    // The member list's balance column and the campaign registry, to look at.
    await page.getByRole("navigation").getByText("会员管理").click();
    await poll(() => page.getByRole("row", { name: /王芳/ }).textContent()).toContain("0.00");
    await screenshot(page, "topup-orders-03-member-balances");
    await page.getByRole("navigation").getByText("权益管理").click();
    await page.getByRole("button", { name: "活动" }).click();
    await poll(() => page.getByRole("row", { name: /会员专享返利/ }).textContent()).toContain("促销活动");
    await screenshot(page, "topup-orders-04-campaigns");
    expectNoConsoleProblems(problems);
  }, 240_000);

  it("records the refund of a payment that came in after the member was frozen", async () => {
    await server.api("PATCH", "/v1/wallet-settings", { online_topup_enabled: true });
    const member = await server.api<{ id: string }>("POST", "/v1/members", { name: "韩梅梅" });
    const intent = await server.api<{ id: string; amount: number }>(
      "POST",
      `/v1/members/${member.id}/topup-intents`,
      { amount: 30000 },
    );
    await server.api("PATCH", `/v1/members/${member.id}`, { status: "frozen" });
    // The provider collects the payment anyway: the intent is kept for a refund.
    const { t } = server;
    const { provider_ref } = await t.database.owner
      .selectFrom("wallet_topup_intents")
      .select("provider_ref")
      .where("id", "=", intent.id)
      .executeTakeFirstOrThrow();
    const signed = signTestWebhook(
      testProviderSecret(t.config.signingSecret),
      { id: `evt-${intent.id}`, provider_ref, status: "succeeded", amount: intent.amount, currency: "CNY" },
      t.clock.now(),
    );
    const paid = await t.app.inject({
      method: "POST",
      url: `/v1/payment-webhooks/test/${server.demo.tenant_id}`,
      headers: { "content-type": "application/json", ...signed.headers },
      payload: signed.body,
    });
    expect(paid.statusCode, paid.body).toBe(200);
    // Part of it is refunded at the provider first: the row shows how much is back.
    const part = signTestWebhook(
      testProviderSecret(t.config.signingSecret),
      {
        id: `evt-part-${intent.id}`,
        provider_ref,
        status: "succeeded",
        amount: intent.amount,
        currency: "CNY",
        kind: "refund",
        refund_id: "re_console_part",
        refund_amount: 5000,
      },
      t.clock.now(),
    );
    const refunded = await t.app.inject({
      method: "POST",
      url: `/v1/payment-webhooks/test/${server.demo.tenant_id}`,
      headers: { "content-type": "application/json", ...part.headers },
      payload: part.body,
    });
    expect(refunded.statusCode, refunded.body).toBe(200);

    await page.goto(`${server.baseUrl}/console/topup-orders`);
    const row = page.getByRole("row", { name: /韩梅梅/ });
    await poll(() => row.textContent()).toContain("逾期支付，待退款");
    expect(await row.getByTestId("provider-refunded").textContent()).toMatch(/渠道已退 .*50\.00/);
    await row.getByRole("button", { name: "登记退款" }).click();
    await page.getByLabel("渠道退款单号").fill("re_console_1");
    await screenshot(page, "topup-orders-05-record-refund");
    await openDialog(page).getByRole("button", { name: "下一步" }).click();
    await acceptConfirmation(page);
    await poll(() => row.textContent()).toContain("已退款");
    expect(await row.getByRole("button", { name: "登记退款" }).count()).toBe(0);
    // Finance recorded the rest by hand: the provider's part still shows.
    expect(await row.getByTestId("provider-refunded").textContent()).toMatch(/50\.00/);
    const recorded = await server.api<{ status: string; refund_record: { reference: string } }>(
      "GET",
      `/v1/topup-intents/${intent.id}`,
    );
    expect(recorded).toMatchObject({ status: "refunded", refund_record: { reference: "re_console_1" } });
    await screenshot(page, "topup-orders-06-refund-recorded");
    expectNoConsoleProblems(problems);
  }, 240_000);
});
