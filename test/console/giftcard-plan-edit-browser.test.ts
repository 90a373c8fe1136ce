/**
 * Seed 001 §2.5.3 in the console: Edit a gift card plan (a denomination added, POS recharge
 * off, what the form does not show kept), see the refusal for changing the card type of a plan
 * with sold cards, and Copy a plan under a new name with a new validity and design (inactive),
 * a template or an uploaded image.
 * Seed 001 §2.5.2: a plan made in the form for chosen stores, asking the buyer's email, with its
 * terms of use and an uploaded card design, read back through the API exactly so.
 * Screenshots land in test-output/console/.
 */
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleServer,
  type ConsoleSession,
  chooseOption,
  expectNoConsoleProblems,
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
let planId = "";
let termsId = "";
let shanghaiId = "";

interface PlanBody {
  id: string;
  name: string;
  card_type: string;
  status: string;
  design: { kind: string; template?: string; image_id?: string };
  store_scope: Record<string, string[]>;
  terms_agreement_id: string | null;
  denominations: { amount: number; discount: number }[];
  buyer_info: Record<string, string>;
  validity: Record<string, unknown>;
  channels: string[];
  pos_recharge: boolean;
  copied_from: string | null;
}

const dialog = () => openDialog(page);
const row = (name: string) => page.locator(".ant-table-row", { hasText: name });
const read = (id: string) => server.api<PlanBody>("GET", `/v1/gift-card-plans/${id}`);
/** Chooses an uploaded design in the open plan dialog and uploads a PNG: its image id, once shown. */
async function uploadDesign(d: Locator) {
  await d.getByText("上传图片", { exact: true }).click();
  await d
    .getByLabel("上传卡面")
    .setInputFiles({ name: "design.png", mimeType: "image/png", buffer: ONE_PIXEL_PNG });
  const preview = d.getByTestId("card-design-preview");
  await poll(() => preview.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(
    1,
  );
  return (await preview.getAttribute("src"))!.split("/").pop();
}

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
  planId = (
    await server.api<{ id: string }>("POST", "/v1/gift-card-plans", {
      name: "2025 春节礼品卡",
      card_type: "electronic",
      currency: "CNY",
      design: { kind: "template", template: "festival" },
      denominations: [
        { amount: 10_000, discount: 0 },
        { amount: 20_000, discount: 2_000 },
      ],
      // Buyer fields the form does not show: an edit keeps them.
      buyer_info: { name: "required", phone: "optional", email: "off", card_number: "off" },
      validity: { kind: "after_purchase", years: 1 },
      channels: ["POS", "ONLINE"],
      pos_recharge: true,
    })
  ).id;
  await server.api("POST", `/v1/gift-card-plans/${planId}/activate`, {});
  // A card sold from it: its card type is fixed from now on.
  await server.api("POST", "/v1/gift-cards", {
    plan_id: planId,
    amount: 10_000,
    payment: { method: "offline", ref: "till-1" },
    buyer: { name: "王五" },
  });
  termsId = (
    await server.api<{ id: string }>("POST", "/v1/agreements", {
      type: "gift_card_terms",
      title: "礼品卡使用须知",
      body: "礼品卡售出后不退不换。",
      locale: "zh-CN",
    })
  ).id;
  shanghaiId = await storeId(server, "Shanghai Nanjing Road");
  await signIn(page, server, "owner@demo.vouchsafe.test", "vouchsafe-demo");
  await page.getByRole("navigation").getByText("礼品卡").click();
}, 240_000);

afterAll(async () => session?.close());

describe("gift card plan management", () => {
  it("edits a plan: a third denomination and POS recharge off; the buyer fields stay", async () => {
    await row("2025 春节礼品卡").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    expect(await d.getByLabel("面额 2").inputValue()).toBe("200.00");
    await d.getByRole("button", { name: "添加面额" }).click();
    await d.getByLabel("面额 3").fill("500");
    await d.getByLabel("优惠 3").fill("50");
    await d.getByLabel("门店充值").click();
    await screenshot(page, "giftcards-edit-plan");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("2025 春节礼品卡").textContent()).toContain("¥500.00（优惠 ¥50.00）");
    const saved = await read(planId);
    expect(saved.denominations).toEqual([
      { amount: 10_000, discount: 0 },
      { amount: 20_000, discount: 2_000 },
      { amount: 50_000, discount: 5_000 },
    ]);
    expect(saved.pos_recharge).toBe(false);
    expect(saved.buyer_info).toMatchObject({ name: "required", phone: "optional" });
    expect(saved.validity).toMatchObject({ kind: "after_purchase", years: 1 });
    expectNoConsoleProblems(problems);
  });

  it("refuses a new card type once cards are sold, in the operator's words; nothing changes", async () => {
    await row("2025 春节礼品卡").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    await d.getByLabel("卡类型").click();
    await pickOption(page, "实体卡");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => d.getByRole("alert").count()).toBe(1);
    // The operator's words, and the API's own beneath them.
    expect(await d.getByRole("alert").locator(".ant-alert-title").textContent()).toBe(
      "该方案已有卡片，卡类型和币种不能再修改",
    );
    expect(await d.getByRole("alert").getByTestId("problem-detail").textContent()).toMatch(/\w/);
    await d.getByRole("button", { name: "取消" }).click();
    await d.waitFor({ state: "hidden" });
    expect((await read(planId)).card_type).toBe("electronic");
    expectNoConsoleProblems(problems);
  });

  it("copies a plan under a new name with two years' validity and another design; the copy is inactive", async () => {
    await row("2025 春节礼品卡").getByRole("button", { name: "复制" }).click();
    const d = dialog();
    await d.getByLabel("新方案名称").fill("2026 春节礼品卡");
    await d.getByLabel("卡面模板").click();
    await pickOption(page, "庆典");
    await d.getByLabel("年").fill("2");
    await d.getByLabel("新方案名称").click();
    await screenshot(page, "giftcards-copy-plan");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("2026 春节礼品卡").count()).toBe(1);
    expect(await row("2026 春节礼品卡").textContent()).toContain("未启用");
    const plans = await server.api<{ data: PlanBody[] }>("GET", "/v1/gift-card-plans?limit=100");
    const copy = plans.data.find((p) => p.name === "2026 春节礼品卡")!;
    expect(copy).toMatchObject({
      status: "inactive",
      copied_from: planId,
      card_type: "electronic",
      design: { kind: "template", template: "celebration" },
      validity: { kind: "after_purchase", years: 2 },
      pos_recharge: false,
      channels: ["POS", "ONLINE"],
    });
    expect(copy.denominations).toHaveLength(3);
    expect((await read(planId)).name).toBe("2025 春节礼品卡");
    await screenshot(page, "giftcards-plans-copied");
    expectNoConsoleProblems(problems);
  });

  it("copies a plan with an uploaded image for its design; the original keeps its template", async () => {
    const before = (await read(planId)).design;
    await row("2025 春节礼品卡").getByRole("button", { name: "复制" }).click();
    const d = await settledDialog(page);
    await d.getByLabel("新方案名称").fill("2025 春节礼品卡·图片卡面");
    const image = await uploadDesign(d);
    await screenshot(page, "giftcards-copy-plan-image");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("2025 春节礼品卡·图片卡面").count()).toBe(1);
    const plans = await server.api<{ data: PlanBody[] }>("GET", "/v1/gift-card-plans?limit=100");
    const copy = plans.data.find((p) => p.name === "2025 春节礼品卡·图片卡面")!;
    expect(copy).toMatchObject({ status: "inactive", copied_from: planId });
    expect(copy.design).toEqual({ kind: "image", image_id: image });
    expect(image).toMatch(/^img_/);
    expect((await read(planId)).design).toEqual(before);
    expectNoConsoleProblems(problems);
  });

  it("creates a physical plan for one store, asking the buyer's email, with its terms and an uploaded design", async () => {
    await page.getByRole("button", { name: "新建" }).click();
    const d = await settledDialog(page);
    await d.getByLabel("方案名称").fill("南京路门店礼品卡");
    await d.getByLabel("卡类型").click();
    await pickOption(page, "实体卡");
    await d.getByTestId("store-scope-stores").click();
    await pickOption(page, "Shanghai Nanjing Road");
    await d.getByLabel("方案名称").click();
    await poll(() => d.getByTestId("store-scope-summary").textContent()).toBe(
      "所选门店、组织和分组，排除的门店除外。",
    );
    await screenshot(page, "giftcards-create-plan-stores");
    await uploadDesign(d);
    await d.getByLabel("面额 1").fill("300");
    await d.getByLabel("购买人邮箱").click();
    await pickOption(page, "必填");
    await d.getByLabel("卡号（仅门店）").click();
    await pickOption(page, "选填");
    await chooseOption(page, d, "使用须知", "礼品卡使用须知 (v1)");
    await screenshot(page, "giftcards-create-plan-scope-design");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => row("南京路门店礼品卡").count()).toBe(1);
    const plans = await server.api<{ data: PlanBody[] }>("GET", "/v1/gift-card-plans?limit=100");
    const made = plans.data.find((p) => p.name === "南京路门店礼品卡")!;
    expect(made.card_type).toBe("physical");
    expect(made.store_scope).toEqual({ stores: [shanghaiId] });
    expect(made.buyer_info).toEqual({
      name: "optional",
      phone: "optional",
      email: "required",
      card_number: "optional",
    });
    expect(made.terms_agreement_id).toBe(termsId);
    expect(made.design).toEqual({ kind: "image", image_id: expect.stringMatching(/^img_/) });
    expect(made.denominations).toEqual([{ amount: 30_000, discount: 0 }]);

    // Edited: the email becomes optional; the stores, terms and uploaded design stay.
    await row("南京路门店礼品卡").getByRole("button", { name: "编辑" }).click();
    const e = await settledDialog(page);
    await poll(() =>
      e
        .getByTestId("card-design-preview")
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(1);
    await e.getByLabel("购买人邮箱").click();
    await pickOption(page, "选填");
    await screenshot(page, "giftcards-edit-plan-scope-design");
    await e.getByRole("button", { name: "保存" }).click();
    await e.waitFor({ state: "hidden" });
    const edited = await read(made.id);
    expect(edited.buyer_info.email).toBe("optional");
    expect(edited).toMatchObject({
      store_scope: { stores: [shanghaiId] },
      terms_agreement_id: termsId,
      design: made.design,
      card_type: "physical",
    });
    expectNoConsoleProblems(problems);
  });
});
