/**
 * The console's online top-up orders page (seed 004) in a real Chromium against a real server:
 * the owner sees every member's online top-ups with member, amount, provider and status, and
 * filters them by status. Also pictures the member list's balance column and the campaign
 * registry. Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleServer,
  type ConsoleSession,
  expectNoConsoleProblems,
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

describe("online top-up orders in the console", () => {
  it("lists every member's online top-ups and filters them by status", async () => {
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

    await signIn(page, server, "owner@demo.vouchsafe.test", server.demo.users[0]!.password);
    await page.getByRole("navigation").getByText("在线充值").click();
    const wang = page.getByRole("row", { name: /王芳/ });
    await poll(() => wang.textContent()).toContain("待支付");
    expect(await wang.textContent()).toMatch(/100\.00.*test/);
    await poll(() => page.getByRole("row", { name: /李雷/ }).textContent()).toContain("200.00");
    await screenshot(page, "topup-orders-01-list");

    await page.getByLabel("状态").click();
    await pickOption(page, "已支付");
    await page.getByRole("button", { name: "查询" }).click();
    await poll(() => page.getByRole("row", { name: /王芳/ }).count()).toBe(0);
    await screenshot(page, "topup-orders-02-paid-only");

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
});
