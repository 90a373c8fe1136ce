/**
 * Every page of the member center on a phone, in Chinese and then in English: each shows its
 * title, logs no error or warning, shows no message key, "undefined", "NaN" or "[object Object]",
 * is no wider than the screen, cuts off no label, shows no empty card, says nothing in the
 * other language, and has nothing axe-core finds against WCAG 2 AA (contrast, names, roles). One screenshot per page (Chinese) lands in test-output/member/member-sweep-*.png.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { en, type MessageKey, zhCN } from "../../web/member/src/messages.js";
import {
  accessibilityFindings,
  type ConsoleServer,
  ensureConsoleBuilt,
  launchChromium,
  openPage,
  poll,
  STEP_TIMEOUT,
  screenshot,
  settled,
  startConsoleServer,
  textLeakFinder,
  unexpected,
} from "../helpers/console-browser.js";
import { MEMBER_SHOTS, memberLink, PHONE, valueCall } from "../helpers/member-browser.js";

let server: ConsoleServer;
let browser: Browser;
let page: Page;
let problems: string[];
/** The member center's own path: its pages are under it. */
let base = "";

type Lang = "zh-CN" | "en";
const CATALOGS: Record<Lang, Record<MessageKey, string>> = { "zh-CN": zhCN, en };

/** The member center's pages: path → the message key of the title in the bar (the home shows the merchant's name). */
const PAGES: Record<string, MessageKey | null> = {
  "/": null,
  "/balance": "nav.balance",
  "/points": "nav.points",
  "/vouchers": "nav.vouchers",
  "/gift-cards": "nav.giftCards",
  "/gift-cards/buy": "nav.buyGiftCard",
  "/packages": "nav.packages",
  "/topup": "nav.topup",
  "/cashier": "nav.cashier",
  "/student": "nav.student",
  "/benefits": "nav.benefits",
};

const leaks = textLeakFinder(en);

beforeAll(async () => {
  [server, browser] = await Promise.all([ensureConsoleBuilt().then(startConsoleServer), launchChromium()]);
  const context = await browser.newContext({ ...PHONE, locale: "zh-CN" });
  context.setDefaultTimeout(STEP_TIMEOUT);
  ({ page, problems } = await openPage(context));
  // Something on every page: balance, points, a voucher, a gift card on sale and one held.
  await server.api("PATCH", "/v1/wallet-settings", { online_topup_enabled: true });
  const member = (await server.api<{ id: string }>("POST", "/v1/members", { name: "林小满" })).id;
  await server.api("POST", `/v1/members/${member}/top-ups`, {
    amount: 10_000,
    bonus_amount: 1_000,
    reason: "门店收款",
  });
  await server.api("POST", `/v1/members/${member}/points`, {
    operation: "earn",
    points: 500,
    reason: "消费积分",
  });
  await server.api("POST", `/v1/members/${member}/vouchers`, {
    face_value: { amount: 1_000, asset: "CNY" },
    expires_at: "2027-06-30T16:00:00Z",
    min_bill_amount: 5_000,
  });
  const plan = await server.api<{ id: string }>("POST", "/v1/gift-card-plans", {
    name: "中秋团圆礼品卡",
    card_type: "electronic",
    currency: "CNY",
    design: { kind: "template", template: "festival" },
    denominations: [{ amount: 20_000, discount: 0 }],
    validity: { kind: "after_purchase", years: 1 },
    channels: ["POS", "ONLINE"],
  });
  await server.api("POST", `/v1/gift-card-plans/${plan.id}/activate`, {});
  await valueCall(
    server,
    "POST",
    "/v1/gift-cards",
    {
      plan_id: plan.id,
      amount: 20_000,
      payment: { method: "offline", ref: "receipt-1" },
      holder_member_id: member,
    },
    "sweep-gift-card",
  );
  await server.api("POST", "/v1/benefits", {
    kind: "member_day",
    name: "周五会员日",
    brief: "每周五会员多重礼遇",
    audience: {},
    config: { schedule: { frequency: "weekly", days: [5], time: { kind: "all_day" } }, discount_percent: 10 },
  });
  await page.goto(await memberLink(server, member));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Goes to a page as the app's own links do (a reload would end the visit), and waits until it has loaded. */
async function visit(path: string, lang: Lang): Promise<string> {
  await page.locator("html").evaluate(
    (root, url) => {
      const window = root.ownerDocument.defaultView;
      window.history.pushState({}, "", url);
      window.dispatchEvent(new window.PopStateEvent("popstate"));
    },
    `${base}${path === "/" ? "/" : path}`,
  );
  const key = PAGES[path];
  const title = page.getByTestId("page-title");
  if (key) await poll(() => title.textContent()).toBe(CATALOGS[lang][key]);
  else await poll(() => title.textContent()).toBe("Demo Retail");
  await settled(page, [".adm-spin-loading, .adm-skeleton"]);
  return page.locator("body").innerText();
}

/**
 * The page wider than the phone, a label cut off, a card with nothing in it, an English sentence
 * on a Chinese page (text marked with another `lang` is the data itself), Chinese in the English
 * page's own words.
 */
function inspect(): Promise<string[]> {
  // Runs in the page; this project is typed without the DOM, so its globals come from the root element.
  return page.locator("html").evaluate((root) => {
    const document = root.ownerDocument;
    const window = document.defaultView;
    const found: string[] = [];
    const lang: string = root.lang;
    if (document.documentElement.scrollWidth > window.innerWidth)
      found.push(`wider than the screen: ${document.documentElement.scrollWidth}px`);
    const visible = (el: { getClientRects(): { length: number } }) => el.getClientRects().length > 0;
    const chrome =
      "[data-testid=page-title], .adm-tab-bar-item-title, .adm-button, .adm-list-header, .adm-form-item-label, .adm-tabs-tab, .adm-capsule-tabs-tab, .adm-empty-description, .adm-error-block-description, .adm-result-title";
    for (const el of document.querySelectorAll(chrome)) {
      if (visible(el) && el.scrollWidth > el.clientWidth + 1) found.push(`clipped: ${el.innerText}`);
    }
    for (const card of document.querySelectorAll(".adm-card")) {
      if (visible(card) && !card.innerText.trim() && !card.querySelector("img, svg, input, canvas"))
        found.push(`empty card: ${card.dataset.testid ?? card.className}`);
    }
    const walker = document.createTreeWalker(document.body, window.NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement!;
      const text = node.textContent ?? "";
      if (!visible(parent) || parent.closest("[lang]")?.getAttribute("lang") !== lang) continue;
      if (lang === "zh-CN") {
        const sentence = /[A-Za-z]+(?:['’][a-z]+)?(?:\s+[a-z]+(?:['’][a-z]+)?){4,}/.exec(text);
        if (sentence) found.push(`English: ${sentence[0]}`);
      } else if (/[\u4e00-\u9fff]/.test(text) && parent.closest(chrome) && !/^中文$/.test(text.trim()))
        found.push(`Chinese: ${text}`);
    }
    for (const input of document.querySelectorAll("input[placeholder]")) {
      if (lang !== "zh-CN" && visible(input) && /[\u4e00-\u9fff]/.test(input.placeholder))
        found.push(`Chinese: ${input.placeholder}`);
    }
    return found;
  });
}

const shotName = (path: string) => (path === "/" ? "home" : path.slice(1).replaceAll("/", "-"));

describe("every page of the member center on a phone", () => {
  for (const lang of ["zh-CN", "en"] as const) {
    it(`shows each page's title in ${lang}: no key, empty value, warning, overflow, clipped label, empty card or other language`, async () => {
      if (!base) {
        await poll(() => page.getByTestId("balance-total").count()).toBe(1);
        base = new URL(page.url()).pathname.replace(/\/$/, "");
      }
      if (lang === "en") {
        await page.getByRole("button", { name: "EN" }).click();
        await poll(() => page.locator("html").getAttribute("lang")).toBe("en");
      }
      const found: Record<string, string[]> = {};
      for (const path of Object.keys(PAGES)) {
        problems.length = 0;
        const text = await visit(path, lang);
        if (lang === "zh-CN") await screenshot(page, `member-sweep-${shotName(path)}`, MEMBER_SHOTS);
        const bad = [
          ...leaks(text),
          ...(await inspect()),
          ...unexpected(problems),
          // Colours and names do not change with the language: checked once, in Chinese.
          ...(lang === "zh-CN" ? await accessibilityFindings(page) : []),
        ];
        if (bad.length > 0) found[path] = [...new Set(bad)];
      }
      // Every page's findings at once, so that one run shows them all.
      expect(found).toEqual({});
    });
  }
});
