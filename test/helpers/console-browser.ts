import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";
import { type DemoCredentials, seedDemo } from "../../src/platform/demo.js";
import { createTestApp, type TestApp } from "./app.js";

export const CHROMIUM = "/usr/bin/chromium";
const ROOT = path.resolve(import.meta.dirname, "../..");
export const SCREENSHOTS = path.join(ROOT, "test-output/console");
/**
 * How long one browser step may wait. Generous because the machines running the suite are
 * shared: a starved renderer can take many seconds to paint a page that is correct.
 */
export const STEP_TIMEOUT = 30_000;

/** Polls a reading of the page until it matches, within one step's time. */
export const poll = <T>(read: () => Promise<T> | T) =>
  expect.poll(read, { timeout: STEP_TIMEOUT, interval: 100 });

/** The browser tests need Debian's chromium (.ci/run installs it); say so instead of skipping. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The console's browser tests need Chromium at ${CHROMIUM}. Install it with ` +
        "`apt-get install -y chromium` (.ci/run does this when it is missing).",
    );
  }
}

/**
 * Builds the console if its sources changed. Test files run in parallel, so one builds
 * while the others wait on a lock directory.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const { buildConsole } = await import("../../scripts/build-console.mjs");
  const lock = path.join(ROOT, "web/console/.build-lock");
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // A run killed while building leaves its lock behind; no build takes 10 minutes.
      const held = await stat(lock).catch(() => null);
      if (held && Date.now() - held.mtimeMs > 600_000) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`console build lock ${lock} held for 3 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await buildConsole({ log: () => {} });
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Waits until a page shows what it loaded: no request in flight, none of the `busy` elements
 * (spinners, skeletons) left, each in turn, and no animation running (loaded tables fade in).
 */
export async function settled(page: Page, busy: readonly string[]): Promise<void> {
  await page.waitForLoadState("networkidle");
  for (const selector of busy) await page.locator(selector).first().waitFor({ state: "detached" });
  await page.waitForFunction('document.getAnimations().every((a) => a.playState !== "running")');
}

export interface ConsoleServer {
  t: TestApp;
  baseUrl: string;
  demo: DemoCredentials;
  /** Calls the API with the demo owner key, a fresh Idempotency-Key on each write (setting up data a test is not about). */
  api<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** The whole app on its own database, listening on a loopback port, with the demo tenant. */
export function startConsoleServer(): Promise<ConsoleServer> {
  return startServerWith({});
}

/** startConsoleServer, with dependencies added as createTestApp's `extend` adds them (e.g. payment providers' network stand-ins). */
export async function startServerWith(options: {
  extend?: NonNullable<Parameters<typeof createTestApp>[0]>["extend"];
}): Promise<ConsoleServer> {
  const t = await createTestApp({
    config: { loginRateLimitPerMinute: 0 },
    ...(options.extend ? { extend: options.extend } : {}),
  });
  const demo = await seedDemo(t.deps.db, t.clock.now());
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const address = t.app.server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    t,
    baseUrl,
    demo,
    api: async (method, url, body) => {
      const response = await fetch(`${baseUrl}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${demo.api_key}`,
          // Every write may be a value route, which asks for one.
          ...(method === "GET" ? {} : { "idempotency-key": randomUUID() }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
      return (text ? JSON.parse(text) : {}) as never;
    },
    close: () => t.close(),
  };
}

export async function launchChromium(): Promise<Browser> {
  requireChromium();
  // Playwright gives each launch a fresh temporary --user-data-dir and adds --headless and
  // --no-sandbox (root in CI) itself.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page that records every console error and warning, so a test can require none. */
export async function openPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning")
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  return { page, problems };
}

/** axe-core's browser build, read once for every page that needs it. */
let axeSource: Promise<string> | undefined;

/**
 * What axe-core (the checker behind Lighthouse's and Chrome's accessibility audits) finds on the
 * page against WCAG 2 A and AA: text below its contrast ratio, a control without a name, a role
 * misused. One line a finding, naming the element, and for contrast its colours and ratio.
 */
export async function accessibilityFindings(page: Page): Promise<string[]> {
  if ((await page.evaluate("typeof window.axe")) === "undefined") {
    axeSource ??= readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
    await page.addScriptTag({ content: await axeSource });
  }
  const violations = await page.evaluate<
    { id: string; nodes: { target: unknown[]; html: string; any: { data?: Record<string, unknown> }[] }[] }[]
  >('window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa"] }).then((r) => r.violations)');
  return violations.flatMap((v) =>
    v.nodes.map((node) => {
      const data = node.any[0]?.data;
      const colours = data?.contrastRatio
        ? ` (${data.fgColor} on ${data.bgColor}, ${data.contrastRatio}:1)`
        : "";
      return `${v.id}: ${String(node.target[0])}${colours} ${node.html.slice(0, 120)}`;
    }),
  );
}

/** A full-page screenshot once requests, spinners and closing confirmations have settled. */
export async function screenshot(page: Page, name: string, dir = SCREENSHOTS): Promise<void> {
  await mkdir(dir, { recursive: true });
  await page.waitForLoadState("networkidle");
  await page.locator(".ant-modal-confirm").waitFor({ state: "detached" });
  await page.locator(".ant-spin-spinning").first().waitFor({ state: "detached" });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/**
 * Accepts the open confirmation and waits until it has gone. A confirmation still opening,
 * or one still closing when the next opens, would otherwise lose the click, and its action
 * would silently never run.
 */
export async function acceptConfirmation(page: Page): Promise<void> {
  const confirmation = page.locator(".ant-modal-confirm");
  // While it zooms in, the button moves under the pointer: a click aimed at it can land on
  // the mask, which a confirmation ignores. Click once it has settled (no motion class left).
  await page.locator(".ant-modal-confirm:not(.ant-zoom)").waitFor();
  await confirmation.getByRole("button", { name: /^(确定|Confirm|OK)$/ }).click();
  await confirmation.waitFor({ state: "detached" });
}

/**
 * The dialog just opened, once it has zoomed in: its form's fields are registered by then. A
 * field filled while the dialog was still mounting could lose its value to the registration,
 * and the dialog's next step would then stop at a required field with no confirmation.
 */
export async function settledDialog(page: Page): Promise<Locator> {
  const dialog = openDialog(page);
  await dialog.waitFor();
  return dialog;
}

/**
 * The topmost open dialog, matched only while no zoom class is on it. Every action through
 * this locator waits for the dialog to finish zooming in: a click that lands mid-animation
 * is lost (the button moves under the pointer), and a field filled then can lose its value
 * to the form's registration. Once the dialog starts to zoom out it no longer matches, so
 * waiting for it to be hidden ends as soon as it is closing.
 */
export function openDialog(page: Page): Locator {
  return page.locator('.ant-modal[role="dialog"]:not([class*="ant-zoom"])').filter({ visible: true }).last();
}

/** Confirms an open Popconfirm once it has zoomed in (the same race as `acceptConfirmation`). */
export async function acceptPopconfirm(page: Page): Promise<void> {
  const popconfirm = page.locator(".ant-popconfirm:not(.ant-popover-hidden)");
  await page.locator('.ant-popconfirm:not(.ant-popover-hidden):not([class*="ant-zoom"])').waitFor();
  await popconfirm.getByRole("button", { name: /^(确\s*定|Confirm|OK)$/ }).click();
  await popconfirm.waitFor({ state: "hidden" });
}

/** A 1×1 PNG: a cover or card design to upload. */
export const ONE_PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  "base64",
);

/** A card plan "Club" (code club) with two tiers, Silver (club_silver) and Gold (club_gold), for the audience pickers. */
export async function addClubCardPlan(server: ConsoleServer): Promise<void> {
  await server.api("POST", "/v1/card-plans", {
    code: "club",
    name: "Club",
    validity: { kind: "relative", days: 365 },
    tiers: [
      { code: "club_silver", name: "Silver", rank: 1 },
      { code: "club_gold", name: "Gold", rank: 2 },
    ],
  });
}

/** The id of the demo tenant's store (org unit) of that name. */
export async function storeId(server: ConsoleServer, name: string): Promise<string> {
  const units = await server.api<{ data: { id: string; name: string }[] }>("GET", "/v1/org-units?limit=100");
  const unit = units.data.find((u) => u.name === name);
  if (!unit) throw new Error(`no store named ${name}`);
  return unit.id;
}

/**
 * Fills a plan's availability in the shared schedule editor: the from and until dates (by their
 * labels, which each form names its own way), then one weekday in one time window.
 */
export async function fillWeeklyAvailability(
  page: Page,
  d: Locator,
  a: {
    from: [label: string, date: string];
    until: [label: string, date: string];
    weekday: string;
    window: [string, string];
  },
): Promise<void> {
  for (const [label, date] of [a.from, a.until]) {
    await d.getByLabel(label).fill(date);
    await d.getByLabel(label).press("Enter");
  }
  await d.getByLabel("生效频率").click();
  await pickOption(page, "每周");
  await d.getByLabel("生效日", { exact: true }).click();
  await pickOption(page, a.weekday);
  await page.keyboard.press("Escape");
  await d.getByLabel("生效时段", { exact: true }).click();
  await pickOption(page, "统一时段");
  for (const [label, time] of [
    ["时段 · 开始", a.window[0]],
    ["时段 · 结束", a.window[1]],
  ] as const) {
    await d.getByLabel(label).fill(time);
    await d.getByLabel(label).press("Enter");
  }
}

/**
 * Picks an option of the open select (or a tree select's node) once its list has finished sliding in; a click during
 * the slide can miss the moving option, leaving the field unchanged.
 */
export async function pickOption(
  page: Page,
  text: string,
  option = ".ant-select-item-option",
): Promise<void> {
  const list = page
    .locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden):not(.ant-slide-up)")
    .last();
  await list.waitFor();
  await list.locator(option, { hasText: text }).first().click();
}

/**
 * Chooses `text` in the select labelled `label` within `scope` (a form item's label, or the
 * select's own aria-label), and sees it chosen. A select opened while its options still load
 * grows and moves its list under the click, which then misses; so it is opened only once its
 * loading icon has gone. A list that moves for another reason (a section of the form still
 * expanding above it) can lose the click too, so a pick not shown within a few seconds is made
 * again, up to three times; a choice the select never shows still fails.
 */
export async function chooseOption(page: Page, scope: Locator, label: string, text: string): Promise<void> {
  const select = scope
    .locator(".ant-select")
    .filter({ has: page.getByLabel(label, { exact: true }) })
    .last();
  const openList = page
    .locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")
    .filter({ visible: true });
  for (let attempt = 1; ; attempt++) {
    await poll(() => select.locator(".anticon-loading").count()).toBe(0);
    // Opened on the first try; on a later one only if the lost click also closed the list.
    if (attempt === 1 || (await openList.count()) === 0)
      await scope.getByLabel(label, { exact: true }).click();
    await pickOption(page, text);
    try {
      await expect
        .poll(() => select.textContent(), { timeout: PICK_SHOWN_TIMEOUT, interval: 100 })
        .toContain(text);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** How long a pick may take to show in its select before it is taken as lost. */
const PICK_SHOWN_TIMEOUT = 5_000;

export async function signIn(
  page: Page,
  server: ConsoleServer,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${server.baseUrl}/console/?tenant=${server.demo.tenant_id}`);
  await page.getByLabel(/Email|邮箱/).fill(email);
  await page.getByLabel(/^(Password|密码)$/).fill(password);
  await page.getByRole("button", { name: /Sign in|登\s*录/ }).click();
}

/**
 * What in a page's visible text is not words for people: a message key of `catalog`, or of one
 * of its families with a value that has no message ("gc.status." → "gc.status.paused"), and
 * values never filled in ("undefined", "NaN", "[object Object]", a message's `{placeholder}`).
 * Where the page shows notice templates, their `{{variable}}` is the template itself.
 */
export function textLeakFinder(catalog: Record<string, string>, options: { templatesShown?: boolean } = {}) {
  const keys = new Set(Object.keys(catalog));
  const families = new Set(
    [...keys].filter((key) => key.split(".").length > 2).map((key) => key.slice(0, key.lastIndexOf(".") + 1)),
  );
  const unfilled = options.templatesShown
    ? /\bundefined\b|\bNaN\b|\[object Object\]|(?<!\{)\{\w+\}(?!\})/g
    : /\bundefined\b|\bNaN\b|\[object Object\]|\{\w+\}/g;
  return (text: string): string[] => {
    const found = new Set<string>();
    for (const match of text.matchAll(/(?<![\w@./-])[a-z][a-zA-Z]*(?:\.[\w-]+)+/g)) {
      const token = match[0];
      if (keys.has(token) || families.has(token.slice(0, token.lastIndexOf(".") + 1))) found.add(token);
    }
    for (const bad of text.match(unfilled) ?? []) found.add(bad);
    return [...found];
  };
}

/** Problems the console printed that are not the expected answer of a refused request. */
export function unexpected(problems: string[]): string[] {
  return problems.filter(
    (p) => !/Failed to load resource: the server responded with a status of (401|4\d\d)/.test(p),
  );
}

export function expectNoConsoleProblems(problems: string[]): void {
  expect(unexpected(problems)).toEqual([]);
}

export interface ConsoleSession {
  server: ConsoleServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and warnings the page logged (see `expectNoConsoleProblems`). */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A desktop operator who asked their system for less motion: the console then opens dialogs and
 * lists without animating them, so a step waits for no zoom or slide to end (a browser file ran
 * in 34 s instead of 56). The animated console, what most operators see, is what
 * console-browser.test.ts drives, and it checks that both kinds of operator get what they asked
 * for.
 */
export const DESKTOP = { viewport: { width: 1366, height: 860 }, reducedMotion: "reduce" } as const;

/** A built console on a demo server and one desktop-sized Chromium page on it, not signed in. */
export async function startConsoleSession(): Promise<ConsoleSession> {
  const [server, browser] = await Promise.all([
    ensureConsoleBuilt().then(startConsoleServer),
    launchChromium(),
  ]);
  const context = await browser.newContext(DESKTOP);
  context.setDefaultTimeout(STEP_TIMEOUT);
  const { page, problems } = await openPage(context);
  return {
    server,
    browser,
    context,
    page,
    problems,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
