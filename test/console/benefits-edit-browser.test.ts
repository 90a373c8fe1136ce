/**
 * Seed 001 §2.1.2 / §2.1.3 in the console: create a benefit with its audience picked from the
 * tenant's card plans and tiers and several member-price SKUs; a member day (its schedule and a
 * tier perk) and a birthday benefit made in their controls; find a benefit, Edit it (name,
 * brief, description, who it reaches and its configuration in the same controls, keeping what
 * the form does not show and sending only what changed), see a refusal with the API's reason,
 * and Deactivate / Activate it. Screenshots land in test-output/console/.
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
let benefitId = "";
let memberDayId = "";

/** A 1×1 PNG: the icon members will see. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  "base64",
);

interface BenefitBody {
  name: string;
  brief: string | null;
  description: string | null;
  icon: string | null;
  audience: Record<string, unknown>;
  config: Record<string, unknown>;
  status: string;
  version: number;
}

const menu = () => page.getByRole("navigation");
const dialog = () => openDialog(page);
const row = (name: string) => page.locator(".ant-table-row", { hasText: name });
const read = (id = benefitId) => server.api<BenefitBody>("GET", `/v1/benefits/${id}`);
/** The benefit of that name, as the API reads it back. */
async function readNamed(name: string) {
  const list = await server.api<{ data: { id: string }[] }>("GET", `/v1/benefits?name=${name}`);
  return { id: list.data[0]!.id, ...(await read(list.data[0]!.id)) };
}
/** Opens the create form on a benefit of `kind` (its label) named `name`. */
async function startCreating(kind: string, name: string) {
  await page.getByRole("button", { name: "新建权益" }).click();
  const d = dialog();
  await d.getByLabel("权益类型").click();
  await pickOption(page, kind);
  await d.getByLabel("权益名称").fill(name);
  return d;
}
/** Saves the open edit form of benefit `id`: the fields its PATCH sent, once the dialog closed. */
async function saveEdit(id: string) {
  const patch = page.waitForRequest((r) => r.method() === "PATCH" && r.url().includes(`/v1/benefits/${id}`));
  await dialog().getByRole("button", { name: "保存" }).click();
  const sent = Object.keys((await patch).postDataJSON() as object);
  await dialog().waitFor({ state: "hidden" });
  return sent;
}
/** Screenshots the open dialog with its form scrolled to the top, then to the bottom (`-2`). */
async function shootDialog(name: string) {
  const body = dialog().locator(".ant-modal-body");
  await body.evaluate((el) => el.scrollTo(0, 0));
  await screenshot(page, name);
  await body.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await screenshot(page, `${name}-2`);
}
/** Opens a multiple select by its label, picks the option showing `text`, and closes it again. */
async function pick(label: string, text: string) {
  const d = dialog();
  await chooseOption(page, d, label, text);
  await d.getByLabel("权益名称").click();
  await page
    .locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")
    .first()
    .waitFor({ state: "hidden" });
}

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
  await addClubCardPlan(server);
  // Made through the API with what the create form does not offer: a restriction rule and an
  // excluded category. Editing it in the console must keep them.
  benefitId = (
    await server.api<{ id: string }>("POST", "/v1/benefits", {
      kind: "member_discount",
      name: "银卡九折",
      brief: "银卡会员专享",
      audience: { min_tier: "club_silver" },
      config: {
        discount_percent: 10,
        channels: ["POS"],
        restrictions: [{ kind: "balance_below_amount", amount: 5_000 }],
        items: { kind: "exclude_categories", categories: ["sale"] },
      },
    })
  ).id;
  await server.api("POST", "/v1/member-tags", { code: "coffee", name: "Coffee lovers" });
  memberDayId = (
    await server.api<{ id: string }>("POST", "/v1/benefits", {
      kind: "member_day",
      name: "周三会员日",
      audience: {},
      config: {
        schedule: { frequency: "weekly", days: [3], time: { kind: "all_day" } },
        discount_percent: 10,
        channels: ["POS"],
      },
    })
  ).id;
  await signIn(page, server, "owner@demo.vouchsafe.test", "vouchsafe-demo");
  await menu().waitFor();
}, 240_000);

afterAll(async () => session?.close());

describe("benefit management", () => {
  it("creates a member-pricing benefit for a card plan and a tier with two SKUs, exactly as picked", async () => {
    await menu().getByText("权益管理").click();
    const d = await startCreating("会员价", "俱乐部会员价");
    await pick("适用卡方案", "(club)");
    await pick("适用等级", "(club_gold)");
    await d.getByLabel("SKU 1").fill("latte");
    await d.getByLabel("会员价 1").fill("18.5");
    await d.getByRole("button", { name: "添加 SKU" }).click();
    await d.getByLabel("SKU 2").fill("mocha");
    await d.getByLabel("会员价 2").fill("20");
    await d.getByText("储值余额低于待付金额时失效").click();
    await d.getByText("排除分类").click();
    await d.getByLabel("排除的分类编码").fill("sale");
    await d.getByLabel("排除的分类编码").press("Enter");
    await shootDialog("benefits-create-audience");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("俱乐部会员价").count()).toBe(1);

    const list = await server.api<{ data: { id: string; name: string }[] }>(
      "GET",
      "/v1/benefits?name=俱乐部会员价",
    );
    const created = await read(list.data[0]!.id);
    expect(created.audience).toEqual({ card_plans: ["club"], tiers: ["club_gold"] });
    expect(created.config).toEqual({
      prices: [
        { sku: "latte", price: 1_850 },
        { sku: "mocha", price: 2_000 },
      ],
      restrictions: [{ kind: "balance_below_outstanding" }],
      items: { kind: "exclude_categories", categories: ["sale"] },
    });
    expectNoConsoleProblems(problems);
  });

  it("edits only the audience in the pickers, and sends only the audience", async () => {
    const list = await server.api<{ data: { id: string }[] }>("GET", "/v1/benefits?name=俱乐部会员价");
    const id = list.data[0]!.id;
    await row("俱乐部会员价").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    // The benefit's own values, each in its control.
    await poll(() => d.getByTestId("audience-tiers").textContent()).toContain("Gold");
    expect(await d.getByTestId("audience-card-plans").textContent()).toContain("Club");
    expect(await d.getByLabel("SKU 2").inputValue()).toBe("mocha");
    expect(await d.getByLabel("会员价 1").inputValue()).toBe("18.50");
    await pick("会员标签", "(coffee)");
    await d.getByText("排除条件").click();
    await d.getByLabel("排除会员分组").scrollIntoViewIfNeeded();
    await screenshot(page, "benefits-edit-audience-pickers");
    await shootDialog("benefits-edit-audience");
    expect(await saveEdit(id)).toEqual(["audience"]);
    const saved = await read(id);
    expect(saved.audience).toEqual({ card_plans: ["club"], tiers: ["club_gold"], tags: ["coffee"] });
    expect(saved.config).toEqual({
      prices: [
        { sku: "latte", price: 1_850 },
        { sku: "mocha", price: 2_000 },
      ],
      restrictions: [{ kind: "balance_below_outstanding" }],
      items: { kind: "exclude_categories", categories: ["sale"] },
    });
    expect(saved.version).toBe(2);
    expectNoConsoleProblems(problems);
  });

  it("edits a benefit's words, tier and discount and keeps the rules the form does not change", async () => {
    await row("银卡九折").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    expect(await d.getByTestId("benefit-edit-kind").textContent()).toBe("会员折扣");
    expect(await d.getByLabel("权益名称").inputValue()).toBe("银卡九折");
    expect(await d.getByLabel("折扣（减免 %）").inputValue()).toBe("10");
    expect(await d.getByLabel("储值余额下限").inputValue()).toBe("50.00");
    expect(await d.getByLabel("储值余额低于以下金额时失效").isChecked()).toBe(true);
    expect(await d.getByTestId("field-errors").count()).toBe(0);

    await d.getByLabel("权益名称").fill("金卡八五折");
    await d.getByLabel("简介").fill("金卡及以上会员专享");
    await d.getByLabel("权益说明").fill("正价商品 8.5 折；特价商品除外");
    await chooseOption(page, d, "等级及以上", "(club_gold)");
    // An icon: a file that is not the image it claims is refused where it was chosen; a PNG is
    // uploaded at once and shown.
    const upload = d.getByLabel("上传图标");
    await upload.setInputFiles({ name: "fake.png", mimeType: "image/png", buffer: Buffer.from("not a png") });
    await poll(() => d.locator(".ant-typography-danger").count()).toBe(1);
    expect(await d.getByTestId("benefit-icon-preview").count()).toBe(0);
    await upload.setInputFiles({ name: "icon.png", mimeType: "image/png", buffer: PNG });
    const preview = d.getByTestId("benefit-icon-preview");
    await poll(() =>
      preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(1);
    expect(await d.locator(".ant-typography-danger").count()).toBe(0);
    await d.getByLabel("折扣（减免 %）").fill("15");
    await screenshot(page, "benefits-edit");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("金卡八五折").count()).toBe(1);
    expect(await row("银卡九折").count()).toBe(0);

    const saved = await read();
    expect(saved.icon).toMatch(/^\w+_/);
    expect(saved).toMatchObject({
      name: "金卡八五折",
      brief: "金卡及以上会员专享",
      description: "正价商品 8.5 折；特价商品除外",
      audience: { min_tier: "club_gold" },
      config: {
        discount_percent: 15,
        channels: ["POS"],
        restrictions: [{ kind: "balance_below_amount", amount: 5_000 }],
        items: { kind: "exclude_categories", categories: ["sale"] },
      },
      version: 2,
    });
    const audit = await server.api<{ data: { action: string; target_id: string }[] }>(
      "GET",
      `/v1/audit-events?target_id=${benefitId}`,
    );
    expect(audit.data.map((e) => e.action)).toContain("benefit.updated");
    expectNoConsoleProblems(problems);
  });

  it("fills a member day's controls from the benefit, and shows the API's reason when it would give nothing; nothing changes", async () => {
    await row("周三会员日").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    // No JSON: the schedule, discount and channels each in their control.
    expect(await d.getByLabel("配置（JSON）").count()).toBe(0);
    const schedule = await d.getByTestId("benefit-schedule").textContent();
    for (const shown of ["每周", "周三", "全天"]) expect(schedule).toContain(shown);
    expect(await d.getByLabel("折扣（减免 %）", { exact: true }).inputValue()).toBe("10");

    // Without its discount the member day gives nothing: the API refuses and names the field.
    await d.getByLabel("折扣（减免 %）", { exact: true }).fill("");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => d.getByRole("alert").count()).toBe(1);
    // The operator's words, and the API's own beneath them.
    expect(await d.getByRole("alert").locator(".ant-alert-title").textContent()).toBe(
      "权益配置不正确，请按下列字段修改",
    );
    expect(await d.getByRole("alert").getByTestId("problem-detail").textContent()).toMatch(/\w/);
    expect(await d.getByTestId("field-errors").textContent()).toContain("config");
    await d.getByRole("alert").scrollIntoViewIfNeeded();
    await screenshot(page, "benefits-edit-refused");
    await d.getByRole("button", { name: "取消" }).click();
    await d.waitFor({ state: "hidden" });
    const after = await read(memberDayId);
    expect(after.version).toBe(1);
    expect(after.config).toMatchObject({ discount_percent: 10, channels: ["POS"] });
    expectNoConsoleProblems(problems);
  });

  it("creates a member day in the form: Wednesdays all day, 10% off, an extra 20% off for Gold", async () => {
    const d = await startCreating("会员日", "表单会员日");
    await d.getByLabel("生效频率", { exact: true }).click();
    await pickOption(page, "每周");
    await pick("生效日", "周三");
    await d.getByLabel("折扣（减免 %）", { exact: true }).fill("10");
    await d.getByRole("button", { name: "添加等级专享" }).click();
    const perk = d.getByTestId("perk-1");
    await perk.getByTestId("perk-1-audience-tiers").click();
    await pickOption(page, "(club_gold)");
    await d.getByLabel("权益名称").click();
    await perk.getByLabel("额外折扣（减免 %）", { exact: true }).fill("20");
    await perk.scrollIntoViewIfNeeded();
    await screenshot(page, "benefits-create-member-day-perk");
    await shootDialog("benefits-create-member-day");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("表单会员日").count()).toBe(1);

    const made = await readNamed("表单会员日");
    expect(made.audience).toEqual({});
    expect(made.config).toEqual({
      schedule: { frequency: "weekly", days: [3], time: { kind: "all_day" } },
      discount_percent: 10,
      perks: [{ audience: { tiers: ["club_gold"] }, extra_discount_percent: 20 }],
    });
    expectNoConsoleProblems(problems);
  });

  it("creates a birthday benefit for the birthday week at 15% off", async () => {
    const d = await startCreating("生日权益", "生日周八五折");
    await d.getByText("生日当周（周一至周日）").click();
    await d.getByLabel("折扣（减免 %）", { exact: true }).fill("15");
    await screenshot(page, "benefits-create-birthday");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("生日周八五折").count()).toBe(1);

    const made = await readNamed("生日周八五折");
    expect(made.config).toEqual({ period: "week", discount_percent: 15 });
    expectNoConsoleProblems(problems);
  });

  it("creates a points multiplier for Friday evenings between two dates: the days' bounds in the tenant's zone", async () => {
    const d = await startCreating("倍率积分", "周五双倍积分");
    await d.getByLabel("积分倍数", { exact: true }).fill("2");
    await fillWeeklyAvailability(page, d, {
      from: ["有效期开始", "2026-12-01"],
      until: ["有效期结束", "2027-03-31"],
      weekday: "周五",
      window: ["18:00", "22:00"],
    });
    await shootDialog("benefits-create-multiplier");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("周五双倍积分").count()).toBe(1);

    // Asia/Shanghai (UTC+8): from the start of 1 December up to the start of 1 April.
    const made = await readNamed("周五双倍积分");
    expect(made.config).toEqual({
      multiplier: "2",
      valid_from: "2026-11-30T16:00:00.000Z",
      valid_until: "2027-03-31T16:00:00.000Z",
      schedule: {
        frequency: "weekly",
        days: [5],
        time: { kind: "unified", window: { start: "18:00", end: "22:00" } },
      },
    });

    // Read back into the same controls; moving only the last day sends only the config.
    await row("周五双倍积分").getByRole("button", { name: "编辑" }).click();
    const e = dialog();
    expect(await e.getByLabel("有效期开始").inputValue()).toBe("2026-12-01");
    expect(await e.getByLabel("有效期结束").inputValue()).toBe("2027-03-31");
    expect(await e.getByTestId("benefit-schedule").textContent()).toContain("周五");
    await e.getByLabel("有效期结束").fill("2027-04-30");
    await e.getByLabel("有效期结束").press("Enter");
    await e.getByLabel("积分倍数", { exact: true }).click();
    await e.getByTestId("benefit-schedule").scrollIntoViewIfNeeded();
    await screenshot(page, "benefits-edit-multiplier");
    expect(await saveEdit(made.id)).toEqual(["config"]);
    expect((await read(made.id)).config).toEqual({ ...made.config, valid_until: "2027-04-30T16:00:00.000Z" });
    expectNoConsoleProblems(problems);
  });

  it("keeps a multiplier's instants that are not local midnights when its dates are left alone", async () => {
    const config = {
      multiplier: "1.5",
      valid_from: "2026-12-01T00:00:00Z",
      valid_until: "2026-12-31T12:00:00Z",
    };
    const id = (
      await server.api<{ id: string }>("POST", "/v1/benefits", {
        kind: "multiplier_points",
        name: "十二月积分",
        audience: {},
        config,
      })
    ).id;
    await page.reload();
    await row("十二月积分").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    expect(await d.getByLabel("有效期开始").inputValue()).toBe("2026-12-01");
    expect(await d.getByLabel("有效期结束").inputValue()).toBe("2026-12-31");
    await d.getByLabel("积分倍数", { exact: true }).fill("3");
    expect(await saveEdit(id)).toEqual(["config"]);
    expect((await read(id)).config).toEqual({ ...config, multiplier: "3" });
    expectNoConsoleProblems(problems);
  });

  it("edits a tier perk's discount in its control and sends only the config", async () => {
    const { id } = await readNamed("表单会员日");
    await row("表单会员日").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    const perk = d.getByTestId("perk-1");
    await poll(() => perk.getByTestId("perk-1-audience-tiers").textContent()).toContain("Gold");
    expect(await perk.getByLabel("额外折扣（减免 %）", { exact: true }).inputValue()).toBe("20");
    await perk.getByLabel("专享折扣（减免 %）", { exact: true }).fill("30");
    await perk.scrollIntoViewIfNeeded();
    await screenshot(page, "benefits-edit-member-day-perk");
    expect(await saveEdit(id)).toEqual(["config"]);
    const saved = await read(id);
    expect(saved.config).toEqual({
      schedule: { frequency: "weekly", days: [3], time: { kind: "all_day" } },
      discount_percent: 10,
      perks: [{ audience: { tiers: ["club_gold"] }, discount_percent: 30, extra_discount_percent: 20 }],
    });
    expect(saved.version).toBe(2);
    expectNoConsoleProblems(problems);
  });

  it("deactivates and activates again", async () => {
    await row("金卡八五折").getByRole("button", { name: "停用" }).click();
    await acceptConfirmation(page);
    await poll(() => row("金卡八五折").textContent()).toContain("已停用");
    expect((await read()).status).toBe("inactive");
    await row("金卡八五折").getByRole("button", { name: "启用" }).click();
    await poll(() => row("金卡八五折").textContent()).toContain("生效中");
    expect((await read()).status).toBe("active");
    // Who each benefit reaches, in the audience pickers' words; no audience is every member.
    const reaches = (name: string) => row(name).getByTestId("benefit-audience");
    await poll(() => reaches("金卡八五折").textContent()).toMatch(/^等级及以上：.*Gold/);
    expect(await reaches("周三会员日").textContent()).toBe("全部会员");
    // A long one is cut to one line; its tooltip holds every term.
    const long = reaches("俱乐部会员价");
    expect(await long.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await long.hover();
    const tip = page.locator(".ant-tooltip:not(.ant-tooltip-hidden)");
    await poll(() => tip.textContent()).toContain("会员标签：");
    expect(await tip.textContent()).toContain("适用卡方案：");
    await screenshot(page, "benefits-list-audience-tooltip");
    await page.mouse.move(0, 0);
    await screenshot(page, "benefits-list");
    expectNoConsoleProblems(problems);
  });

  it("uploads an exclusive service's detail images in the form, keeping a link it had", async () => {
    const LINK = "https://cdn.example.com/lounge.png";
    const id = (
      await server.api<{ id: string }>("POST", "/v1/benefits", {
        kind: "exclusive_services",
        name: "贵宾休息室",
        audience: { min_tier: "club_gold" },
        config: { detail_images: [LINK] },
      })
    ).id;
    await page.reload();
    await row("贵宾休息室").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    await poll(() => d.getByTestId("detail-image-link").textContent()).toBe(LINK);
    const previews = d.getByTestId("detail-image-preview");
    expect(await previews.count()).toBe(0);
    // Each chosen file is uploaded at once and joins the list; one is removed again.
    for (const n of [1, 2]) {
      await d
        .getByLabel("上传详情图")
        .setInputFiles({ name: `detail-${n}.png`, mimeType: "image/png", buffer: PNG });
      await poll(() => previews.count()).toBe(n);
    }
    await poll(() =>
      previews.last().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(1);
    const ids = await previews.evaluateAll((imgs) =>
      imgs.map((img) =>
        String((img as unknown as { src: string }).src)
          .split("/")
          .pop(),
      ),
    );
    await d.getByTestId("detail-images").getByRole("button", { name: "移除" }).first().click();
    await poll(() => previews.count()).toBe(1);
    await shootDialog("benefits-edit-detail-images");
    const patch = page.waitForRequest(
      (r) => r.method() === "PATCH" && r.url().includes(`/v1/benefits/${id}`),
    );
    await d.getByRole("button", { name: "保存" }).click();
    expect(Object.keys((await patch).postDataJSON() as object)).toEqual(["config"]);
    await d.waitFor({ state: "hidden" });
    const saved = await read(id);
    expect(saved.config).toEqual({ detail_images: [LINK, ids[1]] });
    expect(saved.version).toBe(2);
    expectNoConsoleProblems(problems);
  });
});
