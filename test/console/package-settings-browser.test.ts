/**
 * Seed 001 §2.2.2 in the console: Global Package Settings — the owner picks how every package's
 * validity period is counted after purchase, and a package sold afterwards follows it.
 * Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleServer,
  type ConsoleSession,
  expectNoConsoleProblems,
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
  await signIn(page, server, "owner@demo.vouchsafe.test", "vouchsafe-demo");
  await page.getByRole("navigation").getByText("付费权益包").click();
}, 240_000);

afterAll(async () => session?.close());

describe("global package settings", () => {
  it("shows the current rule, saves another, and a package sold afterwards is placed by it", async () => {
    await page.getByRole("button", { name: "全局套餐设置" }).click();
    const dialog = page.getByRole("dialog").filter({ visible: true }).last();
    const immediate = dialog.getByRole("radio", { name: /购买后立即生效/ });
    await poll(() => immediate.isChecked()).toBe(true);
    expect(await dialog.textContent()).toContain(
      "12 月 8 日 23:00 购买 3 天套餐，有效期至 12 月 11 日 23:59",
    );
    await dialog.getByRole("radio", { name: /从购买次日 00:00 开始/ }).check();
    await screenshot(page, "packages-settings");
    await dialog.getByRole("button", { name: "保存" }).click();
    await dialog.waitFor({ state: "hidden" });
    await poll(
      async () => (await server.api<{ validity_mode: string }>("GET", "/v1/package-settings")).validity_mode,
    ).toBe("next_day");

    // A 3-day package bought now (Monday 2026-11-23 16:00 in Shanghai) runs from 00:00 tomorrow
    // to the end of the 26th: 2026-11-23T16:00Z to 2026-11-26T16:00Z.
    const pkg = await server.api<{ id: string }>("POST", "/v1/packages", {
      name: "三日体验包",
      channels: ["POS"],
      sales_rules: [{ key: "trial", duration_days: 3, original_price: 100 }],
    });
    await server.api("POST", `/v1/packages/${pkg.id}/activate`, {});
    const member = await server.api<{ id: string }>("POST", "/v1/members", { name: "赵六" });
    const order = await server.api<{ period: { starts_at: string; ends_at: string } }>(
      "POST",
      "/v1/package-orders",
      {
        member_id: member.id,
        package_id: pkg.id,
        rule_key: "trial",
        channel: "POS",
        payment_method: "offline",
      },
    );
    expect(order.period).toMatchObject({
      starts_at: "2026-11-23T16:00:00.000Z",
      ends_at: "2026-11-26T16:00:00.000Z",
    });

    // Opened again, the dialog shows the saved rule.
    await page.getByRole("button", { name: "全局套餐设置" }).click();
    await poll(() =>
      page
        .getByRole("dialog")
        .filter({ visible: true })
        .last()
        .getByRole("radio", { name: /从购买次日/ })
        .isChecked(),
    ).toBe(true);
    expectNoConsoleProblems(problems);
  });
});
