/**
 * Seed 001 §2.3.3 in the console: find a top-up plan with the search bar, Edit it (rule and the
 * restrictions the seed lists; the ones the form does not show are kept), see a refusal, and
 * Archive an obsolete plan after deactivating it. Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptConfirmation,
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
let spring = "";
let old = "";

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

const dialog = () => page.getByRole("dialog").filter({ visible: true }).last();
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
    expect(await d.getByRole("alert").textContent()).toBe("充值方案配置不正确，请按下列字段修改");
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
});
