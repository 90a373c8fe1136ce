import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleServer,
  ensureConsoleBuilt,
  expectNoConsoleProblems,
  launchChromium,
  openPage,
  poll,
  STEP_TIMEOUT,
  screenshot,
  startConsoleServer,
} from "../helpers/console-browser.js";
import { MEMBER_SHOTS, memberLink, PHONE, uploadImage, valueCall } from "../helpers/member-browser.js";

/**
 * The merchant's pictures on the member's phone: a package's cover on the packages page, a
 * top-up plan's cover on its card, a gift card plan's design on the purchase page, each read
 * with the member's token; a plan without one shows no broken image (a gift card is drawn from
 * its template instead).
 */
let server: ConsoleServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
let ada = "";

const shot = (name: string) => screenshot(page, `member-${name}`, MEMBER_SHOTS);

/** A cover the eye can check: a two-colour gradient with a word on it. */
const cover = (from: string, to: string, word: string, height = 300) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="${height}" viewBox="0 0 600 ${height}">` +
      `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>` +
      `<rect width="600" height="${height}" fill="url(#g)"/>` +
      `<text x="40" y="${height / 2 + 30}" font-size="72" font-family="sans-serif" fill="#fff">${word}</text></svg>`,
  );

const naturalWidth = (testId: string, within: ReturnType<Page["getByTestId"]>) =>
  within.getByTestId(testId).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);

const open = async (to: "packages" | "topup" | "gift-cards") => {
  await page.goto(await memberLink(server, ada, to));
};

beforeAll(async () => {
  [server, browser] = await Promise.all([ensureConsoleBuilt().then(startConsoleServer), launchChromium()]);
  context = await browser.newContext({ ...PHONE, locale: "zh-CN" });
  context.setDefaultTimeout(STEP_TIMEOUT);
  ({ page, problems } = await openPage(context));

  ada = (await server.api<{ id: string }>("POST", "/v1/members", { name: "林小满" })).id;
  const packageCover = await uploadImage(server, "package_cover", cover("#0f766e", "#5eead4", "VIP"));
  const topupCover = await uploadImage(server, "topup_cover", cover("#9a3412", "#fdba74", "+10%"));
  const design = await uploadImage(server, "card_design", cover("#1e3a8a", "#93c5fd", "GIFT", 378));
  const rule = { key: "monthly", duration_days: 30, original_price: 3_000, first_purchase_price: 2_000 };
  for (const [name, image, key] of [
    ["月度畅享卡", packageCover, "covered"],
    ["基础月卡", null, "plain"],
  ] as const) {
    const pkg = await valueCall(
      server,
      "POST",
      "/v1/packages",
      { name, channels: ["ONLINE"], sales_rules: [rule], perks: [], cover_image_id: image },
      `package-${key}`,
    );
    await valueCall(server, "POST", `/v1/packages/${pkg.id}/activate`, {}, `package-${key}-activate`);
  }
  await valueCall(
    server,
    "POST",
    "/v1/topup-plans",
    {
      kind: "package",
      name: "充100送10",
      cover_image_id: topupCover,
      rule: { type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 50 },
    },
    "plan-covered",
  );
  await valueCall(
    server,
    "POST",
    "/v1/topup-plans",
    {
      kind: "package",
      name: "夏季储值",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 500 },
    },
    "plan-plain",
  );
  for (const [name, planDesign] of [
    ["蓝色礼品卡", { kind: "image", image_id: design }],
    ["中秋团圆礼品卡", { kind: "template", template: "festival" }],
  ] as const) {
    const plan = await server.api<{ id: string }>("POST", "/v1/gift-card-plans", {
      name,
      card_type: "electronic",
      currency: "CNY",
      design: planDesign,
      denominations: [{ amount: 20_000, discount: 2_000 }],
      validity: { kind: "after_purchase", years: 1 },
      channels: ["ONLINE"],
    });
    await server.api("POST", `/v1/gift-card-plans/${plan.id}/activate`, {});
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the merchant's images in the member center", () => {
  it("shows a package's cover above its offer; a package without one shows no image", async () => {
    await open("packages");
    const offers = page.getByTestId("package-offer");
    await poll(() => offers.count()).toBe(2);
    const covered = offers.filter({ hasText: "月度畅享卡" });
    // Read with the member's token and drawn at the SVG's size.
    await poll(() => naturalWidth("package-cover", covered)).toBe(600);
    expect(await offers.filter({ hasText: "基础月卡" }).locator("img").count()).toBe(0);
    await shot("package-covers");
    expectNoConsoleProblems(problems);
  });

  it("shows a top-up plan's cover on its card; a plan without one shows no image", async () => {
    await open("topup");
    const plans = page.getByTestId("topup-plan");
    await poll(() => plans.count()).toBe(2);
    await poll(() => naturalWidth("topup-cover", plans.filter({ hasText: "充100送10" }))).toBe(600);
    expect(await plans.filter({ hasText: "夏季储值" }).locator("img").count()).toBe(0);
    await shot("topup-covers");
    expectNoConsoleProblems(problems);
  });

  it("shows a gift card's design, and draws a template's card for a plan without an image", async () => {
    await open("gift-cards");
    await page.getByText("购买礼品卡", { exact: true }).click();
    const plans = page.getByTestId("gift-plan");
    await poll(() => plans.count()).toBe(2);
    await poll(() => naturalWidth("gift-design", plans.filter({ hasText: "蓝色礼品卡" }))).toBe(600);
    const festival = plans.filter({ hasText: "中秋团圆礼品卡" });
    expect(await festival.locator("img").count()).toBe(0);
    expect(await festival.getByTestId("gift-design-template").count()).toBe(1);
    await shot("gift-card-designs");
    expectNoConsoleProblems(problems);
  });
});
