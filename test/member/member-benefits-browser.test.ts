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
import { MEMBER_SHOTS, memberLink, PHONE, uploadImage } from "../helpers/member-browser.js";

/**
 * Seed 001 §2.1 on the member's phone: "My benefits" lists what the member's tier and birthday
 * give, each with its icon, brief, description and figures, which are on today (the test clock
 * stands at Monday 2026-11-23 16:00 in Shanghai), an exclusive service's uploaded detail image,
 * and a deactivated benefit is gone.
 */
let server: ConsoleServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
let gold = "";
let discountId = "";

/** A 1×1 PNG: the icon, served back to the member's token. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  "base64",
);

/** An exclusive service's detail image, 600 wide: drawn only if the member's token read it. */
const DETAIL = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="240" viewBox="0 0 600 240">` +
    `<rect width="600" height="240" fill="#1f4e79"/>` +
    `<text x="40" y="150" font-size="64" font-family="sans-serif" fill="#f5d27a">VIP Lounge</text></svg>`,
);

const shot = (name: string) => screenshot(page, `member-${name}`, MEMBER_SHOTS);
const cards = () => page.getByTestId("benefit");
const card = (name: string) => cards().filter({ hasText: name });

beforeAll(async () => {
  [server, browser] = await Promise.all([ensureConsoleBuilt().then(startConsoleServer), launchChromium()]);
  context = await browser.newContext({ ...PHONE, locale: "zh-CN" });
  context.setDefaultTimeout(STEP_TIMEOUT);
  ({ page, problems } = await openPage(context));

  await server.api("POST", "/v1/card-plans", {
    code: "club",
    name: "会员俱乐部",
    validity: { kind: "relative", days: 365 },
    tiers: [
      { code: "club_silver", name: "银卡", rank: 1 },
      { code: "club_gold", name: "金卡", rank: 2 },
    ],
  });
  gold = (
    await server.api<{ id: string }>("POST", "/v1/members", {
      name: "周金卡",
      tier: "club_gold",
      birthday: "11-05",
    })
  ).id;
  const iconId = await uploadImage(server, "benefit_icon", PNG, "image/png");
  discountId = (
    await server.api<{ id: string }>("POST", "/v1/benefits", {
      kind: "member_discount",
      name: "金卡专享折扣",
      brief: "金卡及以上会员专享",
      description: "正价商品 8.8 折，特价商品除外",
      icon: iconId,
      audience: { min_tier: "club_gold" },
      config: { discount_percent: 12, channels: ["POS"] },
    })
  ).id;
  await server.api("POST", "/v1/benefits", {
    kind: "member_day",
    name: "周一会员日",
    brief: "每周一会员多重礼遇",
    audience: { card_plans: ["club"] },
    config: {
      schedule: {
        frequency: "weekly",
        days: [1],
        time: { kind: "unified", window: { start: "10:00", end: "22:00" } },
      },
      discount_percent: 10,
      perks: [{ audience: { tiers: ["club_gold"] }, extra_discount_percent: 5 }],
    },
  });
  await server.api("POST", "/v1/benefits", {
    kind: "birthday",
    name: "生日月礼遇",
    audience: { card_plans: ["club"] },
    config: { period: "month", discount_percent: 15 },
  });
  const detailId = await uploadImage(server, "detail", DETAIL);
  await server.api("POST", "/v1/benefits", {
    kind: "exclusive_services",
    name: "贵宾休息室",
    brief: "金卡会员可使用机场贵宾休息室",
    audience: { min_tier: "club_gold" },
    config: { detail_images: [detailId] },
  });
  await server.api("POST", "/v1/benefits", {
    kind: "custom",
    name: "银卡专属",
    audience: { tiers: ["club_silver"] },
    config: {},
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("my benefits in the member center", () => {
  it("opens from home and shows each benefit the member's tier and birthday give, in Chinese", async () => {
    await page.goto(await memberLink(server, gold));
    await page.getByText("我的权益", { exact: true }).click();
    await poll(() => cards().count()).toBe(4);
    expect(await card("银卡专属").count()).toBe(0);

    const discount = card("金卡专享折扣");
    expect(await discount.textContent()).toContain("会员折扣");
    expect(await discount.textContent()).toContain("金卡及以上会员专享");
    expect(await discount.getByTestId("benefit-term").allTextContents()).toEqual(["8.8折", "仅限门店"]);
    expect(await discount.textContent()).toContain("正价商品 8.8 折，特价商品除外");
    // The icon was read with the member's token and drawn.
    const icon = discount.getByTestId("benefit-icon");
    await poll(() => icon.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(
      1,
    );

    const monday = card("周一会员日");
    expect(await monday.getByTestId("benefit-now").textContent()).toBe("当前可享");
    expect(await monday.getByTestId("benefit-term").allTextContents()).toEqual([
      "每周一 · 10:00–22:00",
      "9折",
      "您的等级：折上再享9.5折",
    ]);
    const birthday = card("生日月礼遇");
    expect(await birthday.getByTestId("benefit-now").textContent()).toBe("当前可享");
    expect(await birthday.getByTestId("benefit-term").allTextContents()).toEqual(["生日当月", "8.5折"]);
    // The uploaded detail image was read with the member's token and drawn at its own size.
    const detail = card("贵宾休息室").getByTestId("benefit-detail-image");
    await poll(() =>
      detail.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(600);
    await shot("benefits");
    expectNoConsoleProblems(problems);
  });

  it("reads in English", async () => {
    await page.getByRole("button", { name: "EN" }).click();
    await poll(() => page.locator("html").getAttribute("lang")).toBe("en");
    expect(await card("金卡专享折扣").getByTestId("benefit-term").allTextContents()).toEqual([
      "12% off",
      "Only in store",
    ]);
    expect(await card("周一会员日").getByTestId("benefit-term").allTextContents()).toEqual([
      "Every Monday · 10:00–22:00",
      "10% off",
      "Your tier: an extra 5% off",
    ]);
    expect(await card("周一会员日").getByTestId("benefit-now").textContent()).toBe("Available now");
    expect(await card("生日月礼遇").getByTestId("benefit-term").allTextContents()).toEqual([
      "Your birthday month",
      "15% off",
    ]);
    await shot("benefits-en");
    await page.getByRole("button", { name: "中文" }).click();
    expectNoConsoleProblems(problems);
  });

  it("a link straight to the page, after the merchant deactivated a benefit, no longer shows it", async () => {
    await server.api("POST", `/v1/benefits/${discountId}/deactivate`, {});
    const link = await memberLink(server, gold, "benefits");
    expect(link).toContain("/benefits?code=");
    await page.goto(link);
    await poll(() => cards().count()).toBe(3);
    expect(await card("金卡专享折扣").count()).toBe(0);
    expectNoConsoleProblems(problems);
  });
});
