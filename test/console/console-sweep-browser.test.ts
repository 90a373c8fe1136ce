/**
 * Every page of the console's menu, as the demo owner sees it, in Chinese and then in English:
 * each shows its title, logs no error or warning, and shows no message key, "undefined", "NaN"
 * or "[object Object]" where words or figures belong, no label cut off, nothing in the other
 * language, and nothing axe-core finds against WCAG 2 AA (contrast, names, roles). One screenshot per page (Chinese) lands in test-output/console/sweep-*.png.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOGS, type Lang, type MessageKey } from "../../web/console/src/i18n/format.js";
import {
  accessibilityFindings,
  type ConsoleServer,
  type ConsoleSession,
  pickOption,
  poll,
  screenshot,
  settled,
  signIn,
  startConsoleSession,
  textLeakFinder,
  unexpected,
} from "../helpers/console-browser.js";

let session: ConsoleSession;
let server: ConsoleServer;
let page: Page;
let problems: string[];
/** The detail pages and tabs the menu does not reach, by path (filled once their objects exist). */
const DETAILS: string[] = [];

const OWNER = "owner@demo.vouchsafe.test";

/**
 * The menu's pages: path → the message key of the title the page shows, and what else it must show
 * (in either language) of the data set up below.
 */
const PAGES: Record<string, MessageKey | [MessageKey, ...string[]]> = {
  "/": "home.title",
  "/members": "members.title",
  "/segments": "nav.segments",
  "/benefits": "benefits.title",
  "/topup": "nav.topup",
  "/topup-orders": "topupIntents.title",
  "/packages": "pkg.title",
  "/gift-cards": "gc.title",
  "/students": "nav.students",
  "/cashier-orders": "nav.cashierOrders",
  "/checkout": "checkout.title",
  "/finance/withdrawals": "desk.wd.title",
  "/finance/bank-records": "desk.bank.title",
  "/finance/qualifications": "desk.q.title",
  "/finance/manual": "desk.manual.title",
  "/finance/invoices": "desk.inv.title",
  "/platform/org": "nav.org",
  "/platform/settings": "nav.settings",
  "/platform/member-center": "nav.memberCenter",
  // The templates' languages by name (the page reads in Chinese; "English" is the same in both).
  "/platform/notifications": ["nav.notifications", "English"],
  "/platform/inbox": "inbox.title",
  // A user scoped to a unit is shown with the unit's name, not its id.
  "/platform/users": ["nav.users", "Shanghai Nanjing Road"],
  "/platform/api-keys": "nav.apiKeys",
  "/platform/sandboxes": "nav.sandboxes",
  "/platform/webhooks": "nav.webhooks",
  "/platform/audit": "nav.audit",
  "/platform/jobs": "nav.jobs",
  "/platform/exports": "nav.exports",
};

// The audit log's actions, such as "member.created", are codes an operator filters by, not keys.
const leaks = textLeakFinder(CATALOGS["en-US"], { templatesShown: true });

/** The API as the demo owner key, with an Idempotency-Key on every write. */
function call<T = { id: string }>(method: string, url: string, body?: unknown): Promise<T> {
  return server.api<T>(method, url, body);
}

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
  // Something on the lists and the home: a member topped up and served at the till, a benefit, a merchant's deposit account.
  const units = await call<{ data: { id: string; parent_id: string | null }[] }>(
    "GET",
    "/v1/org-units?limit=100",
  );
  const root = units.data.find((u) => u.parent_id === null)!;
  const merchant = await call("POST", "/v1/org-units", {
    parent_id: root.id,
    kind: "merchant",
    name: "Harbour Café",
  });
  await call("PUT", `/v1/merchants/${merchant.id}/deposit-bank-binding`, {
    company_name: "Harbour Café Ltd",
    bank_name: "ICBC",
    branch: "Chaoyang",
    account_number: "6222 0000 1111",
  });
  await call("POST", "/v1/deposit-accounts", { merchant_id: merchant.id });
  const member = await call("POST", "/v1/members", { name: "王五", phone: "13800138000" });
  await call("POST", `/v1/members/${member.id}/top-ups`, { amount: 10_000, reason: "cash" });
  await call("POST", "/v1/benefits", {
    kind: "member_discount",
    name: "会员九折",
    config: { discount_percent: 10 },
  });
  await call("POST", "/v1/checkout/orders", {
    member_id: member.id,
    channel: "POS",
    lines: [{ sku: "tea", category: "drinks", quantity: 2, unit_price: 1500 }],
    client_order_id: "till-sweep",
  });
  // One of each object with a page of its own: a sold gift card, a paid package, a top-up plan.
  const giftPlan = await call("POST", "/v1/gift-card-plans", {
    name: "中秋团圆礼品卡",
    card_type: "electronic",
    currency: "CNY",
    design: { kind: "template", template: "festival" },
    denominations: [{ amount: 20_000, discount: 0 }],
    validity: { kind: "after_purchase", years: 1 },
    channels: ["POS", "ONLINE"],
  });
  await call("POST", `/v1/gift-card-plans/${giftPlan.id}/activate`, {});
  const sale = await call<{ card: { id: string } }>("POST", "/v1/gift-cards", {
    plan_id: giftPlan.id,
    amount: 20_000,
    payment: { method: "offline", ref: "receipt-sweep" },
    holder_member_id: member.id,
  });
  const agreement = await call("POST", "/v1/agreements", {
    type: "purchase_agreement",
    title: "套餐购买协议",
    body: "# 条款",
    locale: "zh-CN",
  });
  const pkg = await call("POST", "/v1/packages", {
    name: "月度畅享卡",
    tags: ["月卡"],
    channels: ["ONLINE"],
    refund_restriction: false,
    purchase_agreement_id: agreement.id,
    sales_rules: [{ key: "monthly", duration_days: 30, original_price: 3_000, first_purchase_price: 2_000 }],
    perks: [],
  });
  const plan = await call("POST", "/v1/topup-plans", {
    kind: "package",
    name: "夏季充值",
    rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 500 },
  });
  DETAILS.push(
    `/members/${member.id}`,
    `/gift-cards/cards/${sale.card.id}`,
    "/gift-cards/cards",
    "/gift-cards/activities",
    `/packages/${pkg.id}`,
    `/topup/plans/${plan.id}`,
    "/platform/notifications?tab=deliveries",
    `/platform/audit?target_id=${member.id}`,
  );
  await signIn(page, server, OWNER, server.demo.users.find((u) => u.email === OWNER)!.password);
}, 240_000);

afterAll(async () => {
  await session?.close();
});

const menu = () => page.getByRole("navigation");

/** The paths the menu offers, in its order. */
async function menuPaths(): Promise<string[]> {
  const ids = await menu()
    .locator("li.ant-menu-item")
    .evaluateAll((items) => items.map((li) => li.getAttribute("data-menu-id") ?? ""));
  return ids.map((id) => id.slice(id.indexOf("/")));
}

/** A title as a pattern: its placeholders (the home's user name) stand for any words. */
const titlePattern = (lang: Lang, key: MessageKey) =>
  new RegExp(
    `^${CATALOGS[lang][key]
      .split(/\{\w+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".+")}$`,
  );

/** Opens a page from the menu and waits until it has loaded what it shows; answers its visible text. */
async function visit(path: string, lang: Lang): Promise<string> {
  await menu().locator(`li.ant-menu-item[data-menu-id$="-${path}"]`).click();
  await poll(() => new URL(page.url()).pathname.replace(/\/$/, "")).toBe(
    `/console${path}`.replace(/\/$/, ""),
  );
  const [title] = [PAGES[path]!].flat() as [MessageKey];
  await poll(() => page.locator("main h3").first().textContent()).toMatch(titlePattern(lang, title));
  await settled(page, CONSOLE_BUSY);
  return page.locator("body").innerText();
}

/** Opens a page by its address (a detail page or a tab) and waits as `visit` does; answers its visible text. */
async function open(path: string): Promise<string> {
  await page.goto(`${server.baseUrl}/console${path}`);
  await poll(() => page.locator("main h3").count()).toBeGreaterThan(0);
  await settled(page, CONSOLE_BUSY);
  return page.locator("body").innerText();
}

/**
 * What the page shows cut off or in the other language: a menu item, button, tab, column
 * heading, field label or placeholder wider than its box; in Chinese, an English sentence (text
 * marked with another `lang`, such as an English notice template, is the data itself); in
 * English, Chinese in the page's own words (the menu, headings, labels, buttons, placeholders).
 */
function inspect(): Promise<string[]> {
  // Runs in the page; this project is typed without the DOM, so its globals come from the root element.
  return page.locator("html").evaluate((root) => {
    const document = root.ownerDocument;
    const window = document.defaultView;
    const found: string[] = [];
    const lang: string = root.lang;
    const visible = (el: { offsetParent: unknown; tagName: string }) =>
      el.offsetParent !== null || el.tagName === "BODY";
    const canvas = document.createElement("canvas").getContext("2d")!;
    for (const el of document.querySelectorAll(
      ".ant-menu-title-content, .ant-btn > span, .ant-tabs-tab-btn, .ant-table-thead th, .ant-form-item-label > label, .ant-card-head-title, h3",
    )) {
      if (visible(el) && el.scrollWidth > el.clientWidth + 1) found.push(`clipped: ${el.innerText}`);
    }
    for (const input of document.querySelectorAll("input[placeholder]")) {
      if (!visible(input) || input.value) continue;
      const style = window.getComputedStyle(input);
      canvas.font = `${style.fontSize} ${style.fontFamily}`;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      if (canvas.measureText(input.placeholder).width > room + 1) found.push(`clipped: ${input.placeholder}`);
    }
    const chrome =
      ".ant-menu-title-content, h3, h4, h5, .ant-table-thead th, .ant-form-item-label, .ant-btn, .ant-tabs-tab-btn, .ant-card-head-title, .ant-empty-description, .ant-statistic-title";
    const walker = document.createTreeWalker(document.body, window.NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement!;
      const text = node.textContent ?? "";
      if (!visible(parent) || parent.closest("[lang]")?.getAttribute("lang") !== lang) continue;
      if (lang === "zh-CN") {
        const sentence = /[A-Za-z]+(?:['’][a-z]+)?(?:\s+[a-z]+(?:['’][a-z]+)?){4,}/.exec(text);
        if (sentence) found.push(`English: ${sentence[0]}`);
      } else if (/[\u4e00-\u9fff]/.test(text) && parent.closest(chrome)) found.push(`Chinese: ${text}`);
    }
    for (const input of document.querySelectorAll("input[placeholder]")) {
      if (lang !== "zh-CN" && visible(input) && /[\u4e00-\u9fff]/.test(input.placeholder))
        found.push(`Chinese: ${input.placeholder}`);
    }
    return found;
  });
}

/** What the console shows while it loads. */
const CONSOLE_BUSY = [".ant-spin-spinning", ".ant-skeleton-active"];

const shotName = (path: string) => (path === "/" ? "home" : path.slice(1).replaceAll("/", "-"));

describe("every page of the console's menu", () => {
  it("offers the owner every page of the sweep", async () => {
    await poll(() => page.getByTestId("home-role").count()).toBe(1);
    expect(await menuPaths()).toEqual(Object.keys(PAGES));
  });

  for (const lang of ["zh-CN", "en-US"] as const) {
    it(`shows each page's title in ${lang}: no key, empty value, warning, clipped label or other language`, async () => {
      if (lang === "en-US") {
        await page.getByLabel(/^(语言|Language)$/).click();
        await pickOption(page, "English");
        await poll(() => page.locator("html").getAttribute("lang")).toBe("en-US");
      }
      const found: Record<string, string[]> = {};
      // A finding is told once: the menu, on every page, is reported on the first.
      const seen = new Set<string>();
      for (const path of Object.keys(PAGES)) {
        problems.length = 0;
        const text = await visit(path, lang);
        if (lang === "zh-CN") await screenshot(page, `sweep-${shotName(path)}`);
        const [, ...shows] = [PAGES[path]!].flat();
        // The console's errors and warnings, less the expected answers of refused requests.
        const bad = [
          ...leaks(text),
          ...(await inspect()),
          ...shows.filter((words) => !text.includes(words)).map((words) => `missing: ${words}`),
          ...unexpected(problems),
          // Colours and names do not change with the language: checked once, in Chinese.
          ...(lang === "zh-CN" ? await accessibilityFindings(page) : []),
        ];
        const fresh = [...new Set(bad)].filter((b) => !seen.has(b));
        for (const b of fresh) seen.add(b);
        if (fresh.length > 0) found[path] = fresh;
      }
      // Every page's findings at once, so that one run shows them all.
      expect(found).toEqual({});
    });
  }
});

/** The names given to the objects above, which their pages show as they were written. */
const OBJECT_NAMES = ["王五", "月度畅享卡", "夏季充值"];

describe("the console's detail pages and tabs", () => {
  for (const lang of ["zh-CN", "en-US"] as const) {
    it(`show each in ${lang}: no key, empty value, warning, clipped label or other language`, async () => {
      await page.goto(`${server.baseUrl}/console/`);
      if ((await page.locator("html").getAttribute("lang")) !== lang) {
        await page.getByLabel(/^(语言|Language)$/).click();
        await pickOption(page, lang === "en-US" ? "English" : "中文");
        await poll(() => page.locator("html").getAttribute("lang")).toBe(lang);
      }
      const found: Record<string, string[]> = {};
      const seen = new Set<string>();
      for (const path of DETAILS) {
        problems.length = 0;
        const text = await open(path);
        expect(new URL(page.url()).pathname, path).toBe(`/console${path.split("?")[0]}`);
        if (lang === "zh-CN")
          await screenshot(
            page,
            `sweep-detail-${shotName(path.split("?")[0]!.replace(/\/[a-z]+_\w+$/, "/one"))}`,
          );
        // A detail page's heading is its object's name: data, in whatever language it was written.
        const bad = [
          ...leaks(text),
          ...(await inspect()),
          ...unexpected(problems),
          ...(lang === "zh-CN" ? await accessibilityFindings(page) : []),
        ].filter((finding) => !OBJECT_NAMES.some((name) => finding === `Chinese: ${name}`));
        const fresh = [...new Set(bad)].filter((b) => !seen.has(b));
        for (const b of fresh) seen.add(b);
        if (fresh.length > 0) found[path] = fresh;
      }
      expect(found).toEqual({});
    });
  }
});
