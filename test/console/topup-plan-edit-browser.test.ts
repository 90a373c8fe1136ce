/**
 * Seed 001 §2.3.3 in the console: find a top-up plan with the search bar, Edit it (rule and the
 * restrictions the seed lists; the ones the form does not show are kept), see a refusal, and
 * Archive an obsolete plan after deactivating it. Then §2.3.2 and §2.4.2: a plan created with a
 * store scope, a cover, a validity period with effective days and hours and a first top-up bonus
 * reads back through the API with exactly those terms, an edit sends only what changed, and a
 * smart top-up plan is edited, archived, and found again with the status filter. Screenshots
 * land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptConfirmation,
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
let spring = "";
let old = "";
let smart = "";
let shanghai = "";
let coffee = "";
let agreement = "";
const SMART_TIERS = [
  { type: "discount", multiplier_bps: 12_000, bonus_bps: 800 },
  {
    type: "gift",
    multiplier_bps: 13_000,
    bonus_bps: 500,
    points_bps: 1_000,
    first_topup_extra_bonus_bps: 500,
    first_topup_extra_points_bps: 300,
  },
];

interface PlanBody {
  name: string;
  status: string;
  version: number;
  terms: {
    rule: Record<string, unknown>;
    description?: string | null;
    restrictions?: Record<string, unknown>;
  };
}

const dialog = () => openDialog(page);
const rows = () => page.locator(".ant-table-tbody .ant-table-row");
const row = (name: string) => page.locator(".ant-table-row", { hasText: name });
const read = (id: string) => server.api<PlanBody>("GET", `/v1/topup-plans/${id}`);
const search = async (name: string, status?: string) => {
  const bar = page.locator("form#topup-plan-filters");
  await bar.getByLabel("名称").fill(name);
  if (status) {
    await bar.getByLabel("状态").click();
    await pickOption(page, status);
  }
  await bar.getByRole("button", { name: "查询" }).click();
};

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
  spring = (
    await server.api<{ id: string }>("POST", "/v1/topup-plans", {
      kind: "package",
      name: "春季储值",
      rule: { type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 50 },
      // A spending restriction the edit form does not show: it must survive the edit.
      restrictions: { eligible_skus: ["coffee"] },
    })
  ).id;
  old = (
    await server.api<{ id: string }>("POST", "/v1/topup-plans", {
      kind: "package",
      name: "中秋储值礼包",
      rule: { type: "fixed", amount: 20_000, bonus_amount: 2_000, bonus_points: 0 },
    })
  ).id;
  smart = (
    await server.api<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "节日智能充值",
      rounding: "1",
      tiers: SMART_TIERS,
      // A term the form does not show: the edit must keep it.
      audience: { exclude: { student: true } },
    })
  ).id;
  await addClubCardPlan(server);
  coffee = (
    await server.api<{ id: string }>("POST", "/v1/gift-voucher-templates", {
      name: "Coffee voucher",
      face_amount: 1500,
      validity: { kind: "relative", valid_days: 30 },
      scope: { kind: "all" },
      min_spend: 0,
    })
  ).id;
  agreement = (
    await server.api<{ id: string }>("POST", "/v1/agreements", {
      type: "topup_agreement",
      title: "储值协议",
      body: "# 储值协议",
      locale: "zh-CN",
    })
  ).id;
  shanghai = await storeId(server, "Shanghai Nanjing Road");
  await signIn(page, server, "owner@demo.vouchsafe.test", "vouchsafe-demo");
  await page.getByRole("navigation").getByText("充值方案").click();
}, 240_000);

afterAll(async () => session?.close());

describe("top-up plan management", () => {
  it("finds a plan by name and edits its amounts and restrictions, keeping the spending restriction", async () => {
    await search("春季");
    await poll(() => rows().count()).toBe(1);
    await row("春季储值").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    expect(await d.getByLabel("充值金额").inputValue()).toBe("100.00");
    await d.getByLabel("名称").fill("春季储值（加赠）");
    await d.getByLabel("方案说明（会员可见）").fill("充 200 送 30，另赠 100 积分");
    await d.getByLabel("充值金额").fill("200");
    await d.getByLabel("赠送金额").fill("30");
    await d.getByLabel("赠送积分").fill("100");
    await d.getByLabel("展示").click();
    await pickOption(page, "对会员隐藏");
    await d.getByLabel("仅限首充").click();
    await d.getByLabel("库存（留空：不限）").fill("500");
    await d.getByLabel("每位会员限充次数（留空：不限）").fill("1");
    await screenshot(page, "topup-edit-plan");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("春季储值（加赠）").textContent()).toContain("充 ¥200.00 送 ¥30.00，100 积分");

    const saved = await read(spring);
    expect(saved).toMatchObject({
      name: "春季储值（加赠）",
      version: 2,
      terms: {
        description: "充 200 送 30，另赠 100 积分",
        rule: { type: "fixed", amount: 20_000, bonus_amount: 3_000, bonus_points: 100 },
        restrictions: {
          eligible_skus: ["coffee"],
          visibility: "hidden",
          first_topup_only: true,
          stock_limit: 500,
          purchase_limit_per_member: 1,
          channels: ["pos", "online"],
        },
      },
    });
    expectNoConsoleProblems(problems);
  });

  it("refuses a zero amount in the form and shows the API's reason for a range upside down; nothing changes", async () => {
    await row("春季储值（加赠）").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    await d.getByLabel("充值金额").fill("0");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => d.getByText("须大于 0").count()).toBe(1);
    // A range whose minimum is above its maximum: the form takes it, the API refuses it.
    await d.getByLabel("充值方式").click();
    await pickOption(page, "金额区间（套餐）");
    await d.getByLabel("最低金额").fill("500");
    await d.getByLabel("最高金额").fill("100");
    await d.getByLabel("赠送比例 %").fill("10");
    await d.getByLabel("积分比例 %").fill("5");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => d.getByRole("alert").count()).toBe(1);
    // The operator's words, and the API's own beneath them.
    expect(await d.getByRole("alert").locator(".ant-alert-title").textContent()).toBe(
      "充值方案配置不正确，请按下列字段修改",
    );
    expect(await d.getByRole("alert").getByTestId("problem-detail").textContent()).toMatch(/\w/);
    expect(await d.getByTestId("field-errors").textContent()).toContain("rule/max_amount");
    await screenshot(page, "topup-edit-refused");
    await d.getByRole("button", { name: "取消" }).click();
    await d.waitFor({ state: "hidden" });
    expect((await read(spring)).version).toBe(2);
    expect((await read(spring)).terms.rule).toMatchObject({ type: "fixed", amount: 20_000 });
    expectNoConsoleProblems(problems);
  });

  it("archives an obsolete plan after deactivating it: gone from the list, found under Archived, no longer editable", async () => {
    await search("");
    await poll(() => rows().count()).toBe(2);
    await row("中秋储值礼包").getByRole("button", { name: "停用" }).click();
    await poll(() => row("中秋储值礼包").textContent()).toContain("未启用");
    await row("中秋储值礼包").getByRole("button", { name: "归档" }).click();
    await acceptConfirmation(page);
    await poll(() => row("中秋储值礼包").count()).toBe(0);
    expect((await read(old)).status).toBe("archived");
    await search("", "已归档");
    await poll(() => row("中秋储值礼包").count()).toBe(1);
    expect(await row("中秋储值礼包").textContent()).toContain("已归档");
    expect(await row("中秋储值礼包").getByRole("button", { name: "编辑" }).count()).toBe(0);
    await screenshot(page, "topup-archived");
    expectNoConsoleProblems(problems);
  });

  it("creates a plan with a store scope, a cover, a validity period and a first top-up bonus; the API holds exactly those", async () => {
    await page.getByRole("navigation").getByText("充值方案").click();
    await page.getByRole("button", { name: "新建充值方案" }).click();
    const d = await settledDialog(page);
    await d.getByLabel("名称").fill("周五会员储值");
    await d.getByLabel("充值金额").fill("100");
    await d.getByLabel("赠送金额").fill("10");
    expect(await d.getByTestId("topup-plan-currency").textContent()).toBe("CNY");

    await d.getByRole("button", { name: "有效期与生效时间" }).click();
    await fillWeeklyAvailability(page, d, {
      from: ["有效期开始", "2026-12-01"],
      until: ["有效期结束", "2027-03-31"],
      weekday: "周五",
      window: ["10:00", "22:00"],
    });

    await d.getByRole("button", { name: "适用门店与会员" }).click();
    await chooseOption(page, d, "门店", "Shanghai Nanjing Road");
    await page.keyboard.press("Escape");
    await poll(() => d.getByTestId("store-scope-summary").textContent()).toBe(
      "所选门店、组织和分组，排除的门店除外。",
    );
    await d.getByTestId("audience-card-plans").scrollIntoViewIfNeeded();
    await screenshot(page, "topup-create-full-01-audience");

    await d.getByRole("button", { name: "赠品、首充奖励与封面" }).click();
    await d
      .getByLabel("上传封面")
      .setInputFiles({ name: "cover.png", mimeType: "image/png", buffer: ONE_PIXEL_PNG });
    await d.getByTestId("image-preview").waitFor();
    const cover = (await d.getByTestId("image-preview").getAttribute("src"))!.replace("/v1/images/", "");
    await d.getByLabel("首充奖励").click();
    await d.getByLabel("首充加赠 %").fill("5");
    await d.getByLabel("首充加送积分 %").fill("3");
    await d.getByText("有效期与生效时间").scrollIntoViewIfNeeded();
    await screenshot(page, "topup-create-full-01-schedule-scope");
    await d.getByLabel("首充加赠 %").scrollIntoViewIfNeeded();
    await screenshot(page, "topup-create-full-02-perks");
    await d.getByRole("button", { name: "保存" }).click();
    await d.waitFor({ state: "hidden" });

    const list = await server.api<{ data: (PlanBody & { id: string })[] }>(
      "GET",
      `/v1/topup-plans?q=${encodeURIComponent("周五会员储值")}`,
    );
    expect(list.data).toHaveLength(1);
    const created = list.data[0]!;
    const { rule, ...terms } = created.terms as Record<string, unknown>;
    expect(rule).toEqual({ type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 0 });
    // Exactly what was chosen, and nothing the form was not told (no defaults written out).
    expect(terms).toEqual({
      store_scope: { stores: [shanghai] },
      cover_image_id: cover,
      availability: {
        from_date: "2026-12-01",
        until_date: "2027-03-31",
        schedule: {
          frequency: "weekly",
          days: [5],
          time: { kind: "unified", window: { start: "10:00", end: "22:00" } },
        },
      },
      first_topup_bonus: { extra_bonus_bps: 500, extra_points_bps: 300 },
    });

    // Editing shows those terms back and sends only what changed.
    await poll(() => row("周五会员储值").count()).toBe(1);
    await row("周五会员储值").getByRole("button", { name: "编辑" }).click();
    const e = await settledDialog(page);
    await e.getByRole("button", { name: "赠品、首充奖励与封面" }).click();
    expect(await e.getByLabel("首充加赠 %").inputValue()).toBe("5.00");
    await e.getByLabel("首充加赠 %").fill("8");
    await e.getByRole("button", { name: "有效期与生效时间" }).click();
    expect(await e.getByLabel("有效期开始").inputValue()).toBe("2026-12-01");
    // The tiers on offer are the card plans' own, loaded from the API.
    await e.getByRole("button", { name: "适用门店与会员" }).click();
    await chooseOption(page, e, "充值后升级到等级", "Club · Gold");
    const patch = page.waitForRequest((r) => r.method() === "PATCH");
    await e.getByRole("button", { name: "保存" }).click();
    expect((await patch).postDataJSON()).toEqual({
      first_topup_bonus: { extra_bonus_bps: 800, extra_points_bps: 300 },
      tier_upgrade: { tier: "club_gold" },
    });
    await e.waitFor({ state: "hidden" });
    const edited = await read(created.id);
    expect(edited.version).toBe(2);
    expect(edited.terms).toMatchObject({
      store_scope: { stores: [shanghai] },
      cover_image_id: cover,
      first_topup_bonus: { extra_bonus_bps: 800, extra_points_bps: 300 },
      tier_upgrade: { tier: "club_gold" },
    });
    expectNoConsoleProblems(problems);
  });

  it("edits a smart top-up plan (a tier's gift, the agreement, limits), sending only what changed and keeping what it does not show, then archives it", async () => {
    await page.getByRole("tab", { name: "智能充值" }).click();
    const smartRow = () => page.locator(".ant-table-row", { hasText: "节日智能充值" });
    await smartRow().getByRole("button", { name: "编辑" }).click();
    const d = await settledDialog(page);
    await d.getByLabel("名称").fill("节日智能充值（新版）");
    await d.getByLabel("最低充值").fill("100");
    await d.getByRole("button", { name: "充值限制" }).click();
    await d.getByLabel("赠品库存上限（留空：不限）").fill("500");
    expect(await d.getByLabel("首充加赠 %（第 2 档）").inputValue()).toBe("5.00");
    // Tier 1 gives two coffee vouchers, chosen from the catalog's templates; the plan takes an agreement.
    await d.getByLabel("档位赠品（第 1 档）", { exact: true }).click();
    await pickOption(page, "优惠券");
    await chooseOption(page, d, "档位赠品（第 1 档） · 券模板", "Coffee voucher");
    await d.getByLabel("档位赠品（第 1 档） · 张数").fill("2");
    await d.getByRole("button", { name: "封面与协议", exact: true }).click();
    await chooseOption(page, d, "充值协议", "储值协议 (v1)");
    await screenshot(page, "topup-smart-edit");
    const patch = page.waitForRequest((r) => r.method() === "PATCH");
    await d.getByRole("button", { name: "保存" }).click();
    expect((await patch).postDataJSON()).toEqual({
      name: "节日智能充值（新版）",
      min_topup_amount: 10_000,
      gift_stock_limit: 500,
      agreement_id: agreement,
      tiers: [
        { ...SMART_TIERS[0], gift: { kind: "voucher", template_id: coffee, quantity: 2 } },
        SMART_TIERS[1],
      ],
    });
    await d.waitFor({ state: "hidden" });
    const saved = await server.api<{ name: string; terms: Record<string, unknown> }>(
      "GET",
      `/v1/smart-topup-plans/${smart}`,
    );
    expect(saved.name).toBe("节日智能充值（新版）");
    expect(saved.terms).toMatchObject({
      min_topup_amount: 10_000,
      gift_stock_limit: 500,
      agreement_id: agreement,
      tiers: [
        { ...SMART_TIERS[0], gift: { kind: "voucher", template_id: coffee, quantity: 2 } },
        SMART_TIERS[1],
      ],
      audience: { exclude: { student: true } },
    });

    await poll(() => smartRow().textContent()).toContain("节日智能充值（新版）");
    await smartRow().getByRole("button", { name: "停用" }).click();
    await poll(() => smartRow().textContent()).toContain("未启用");
    await smartRow().getByRole("button", { name: "归档" }).click();
    await acceptConfirmation(page);
    await poll(
      async () => (await server.api<{ status: string }>("GET", `/v1/smart-topup-plans/${smart}`)).status,
    ).toBe("archived");
    // Archived plans leave the list: nothing left to edit or activate.
    await poll(() => smartRow().count()).toBe(0);
    // The status filter finds it under Archived, still not editable.
    const bar = page.locator("form#smart-topup-plan-filters");
    await bar.getByLabel("状态").click();
    await pickOption(page, "已归档");
    await bar.getByRole("button", { name: "查询" }).click();
    await poll(() => smartRow().count()).toBe(1);
    expect(await smartRow().textContent()).toContain("已归档");
    expect(await smartRow().getByRole("button", { name: "编辑" }).count()).toBe(0);
    await screenshot(page, "topup-smart-archived");
    expectNoConsoleProblems(problems);
  });
});
