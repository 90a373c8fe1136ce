/**
 * Seed 001 §2.2.2 in the console: Global Package Settings — the owner picks how every package's
 * validity period is counted after purchase, and a package sold afterwards follows it.
 * Seed 001 §2.2.1: a package made in the form with a purchase period, its stores, its audience
 * (a card plan and a tier, in the pickers benefits and top-up plans use), a cover and two perks,
 * read back through the API exactly so, and edited.
 * Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addClubCardPlan,
  type ConsoleServer,
  type ConsoleSession,
  chooseOption,
  expectNoConsoleProblems,
  fillWeeklyAvailability,
  ONE_PIXEL_PNG,
  openDialog,
  pickOption,
  poll,
  screenshot,
  settledDialog,
  signIn,
  startConsoleSession,
  storeId,
} from "../helpers/console-browser.js";

let session: ConsoleSession;
let server: ConsoleServer;
let page: Page;
let problems: string[];

interface PackageBody {
  id: string;
  name: string;
  cover_image_id: string | null;
  availability: unknown;
  store_scope: unknown;
  audience: unknown;
  perks: Record<string, unknown>[];
  sales_rules: Record<string, unknown>[];
}

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
    const dialog = await settledDialog(page);
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
      openDialog(page)
        .getByRole("radio", { name: /从购买次日/ })
        .isChecked(),
    ).toBe(true);
    // A click that lands while the dialog still zooms in is lost, so cancel only once it has settled.
    const reopened = await settledDialog(page);
    await reopened.getByRole("button", { name: "取消" }).click();
    await reopened.waitFor({ state: "hidden" });
    expectNoConsoleProblems(problems);
  });
});

describe("the package form", () => {
  it("creates a package on Fridays 10:00-22:00 in one store, for a card plan and a tier, with a cover and two perks made in the form", async () => {
    await addClubCardPlan(server);
    const benefit = await server.api<{ id: string; status: string }>("POST", "/v1/benefits", {
      kind: "member_discount",
      name: "全场九折",
      config: { discount_percent: 10 },
    });
    if (benefit.status !== "active") await server.api("POST", `/v1/benefits/${benefit.id}/activate`, {});
    const beijing = await storeId(server, "Beijing Wangfujing");

    await page.getByRole("button", { name: "新建" }).click();
    const d = await settledDialog(page);
    await d.getByLabel("权益包名称").fill("周五尊享包");
    await d.getByLabel("原价 1").fill("199");
    await d
      .getByLabel("上传封面")
      .setInputFiles({ name: "cover.png", mimeType: "image/png", buffer: ONE_PIXEL_PNG });
    await poll(() =>
      d
        .getByTestId("package-cover-preview")
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(1);
    await fillWeeklyAvailability(page, d, {
      from: ["购买开始日期", "2026-12-01"],
      until: ["购买结束日期", "2027-03-31"],
      weekday: "周五",
      window: ["10:00", "22:00"],
    });
    await d.getByTestId("store-scope-stores").click();
    await pickOption(page, "Beijing Wangfujing");
    await page.keyboard.press("Escape");
    await d.getByTestId("store-scope-stores").scrollIntoViewIfNeeded();
    await screenshot(page, "packages-create-period-stores");
    await chooseOption(page, d, "适用卡方案", "(club)");
    await page.keyboard.press("Escape");
    await chooseOption(page, d, "适用等级", "(club_gold)");
    await page.keyboard.press("Escape");
    await d.getByTestId("audience-tiers").scrollIntoViewIfNeeded();
    await screenshot(page, "packages-create-audience");

    await d.getByRole("button", { name: "添加权益" }).click();
    await d.getByLabel("权益名称 1").fill("首购积分礼");
    await d.getByLabel("赠送积分 1").fill("500");
    await d.getByLabel("适用规则 1").click();
    await pickOption(page, "quarterly");
    await d.getByRole("button", { name: "添加权益" }).click();
    await d.getByLabel("权益类型 2").click();
    await pickOption(page, "会员折扣");
    await chooseOption(page, d, "会员权益 2", "全场九折");
    await screenshot(page, "packages-create-perks");
    await d.getByRole("button", { name: "保存" }).click();
    await d.waitFor({ state: "hidden" });

    const list = await server.api<{ data: PackageBody[] }>("GET", "/v1/packages?limit=100");
    const made = list.data.find((p) => p.name === "周五尊享包")!;
    expect(made.availability).toEqual({
      from_date: "2026-12-01",
      until_date: "2027-03-31",
      schedule: {
        frequency: "weekly",
        days: [5],
        time: { kind: "unified", window: { start: "10:00", end: "22:00" } },
      },
    });
    expect(made.store_scope).toEqual({ stores: [beijing] });
    expect(made.audience).toEqual({ card_plans: ["club"], tiers: ["club_gold"] });
    expect(made.cover_image_id).toMatch(/^img_/);
    expect(made.perks).toEqual([
      {
        type: "first_purchase_gift",
        key: "perk1",
        name: "首购积分礼",
        applicable_rules: ["quarterly"],
        bonus_points: 500,
        gift: { kind: "none" },
      },
      { type: "member_discount", key: "perk2", applicable_rules: "all", benefit_id: benefit.id },
    ]);

    // Edited on its page: the first perk gives 600 points; everything else stays as it was.
    await page
      .locator(".ant-table-row", { hasText: "周五尊享包" })
      .getByRole("link", { name: "周五尊享包" })
      .click();
    await page.getByRole("button", { name: "编辑" }).click();
    const e = await settledDialog(page);
    await poll(() => e.getByLabel("赠送积分 1").inputValue()).toBe("500");
    await e.getByLabel("赠送积分 1").fill("600");
    await screenshot(page, "packages-edit-perks");
    await e.getByRole("button", { name: "保存" }).click();
    await e.waitFor({ state: "hidden" });
    const edited = await server.api<PackageBody>("GET", `/v1/packages/${made.id}`);
    expect(edited.perks[0]).toMatchObject({ bonus_points: 600, applicable_rules: ["quarterly"] });
    expect(edited.perks[1]).toEqual(made.perks[1]);
    expect(edited).toMatchObject({
      availability: made.availability,
      store_scope: made.store_scope,
      audience: made.audience,
      cover_image_id: made.cover_image_id,
      sales_rules: made.sales_rules,
    });
    expectNoConsoleProblems(problems);
  });

  it("shows on its page everyone a package reaches and excludes, by name", async () => {
    await server.api("POST", "/v1/member-groups", { code: "vip", name: "VIP guests" });
    await server.api("POST", "/v1/member-tags", { code: "coffee", name: "Coffee lovers" });
    await server.api("POST", "/v1/member-tags", { code: "blocked", name: "Blocked" });
    const pkg = await server.api<{ id: string }>("POST", "/v1/packages", {
      name: "银卡以上学生包",
      channels: ["POS"],
      sales_rules: [{ key: "month", duration_days: 30, original_price: 9_900 }],
      audience: {
        min_tier: "club_silver",
        groups: ["vip"],
        tags: ["coffee"],
        student: true,
        exclude: { tiers: ["club_gold"], tags: ["blocked"] },
      },
    });
    await page.goto(`${server.baseUrl}/console/packages/${pkg.id}`);
    const summary = page.getByTestId("pkg-audience");
    await poll(() => summary.textContent()).toContain("VIP guests");
    expect(await summary.locator("div").allTextContents()).toEqual([
      "等级及以上：Club · Silver (club_silver)",
      "会员分组：VIP guests (vip)",
      "会员标签：Coffee lovers (coffee)",
      "学生身份：仅学生",
      "排除等级：Club · Gold (club_gold)",
      "排除会员标签：Blocked (blocked)",
    ]);
    await screenshot(page, "packages-detail-audience");
    expectNoConsoleProblems(problems);
  });
});
