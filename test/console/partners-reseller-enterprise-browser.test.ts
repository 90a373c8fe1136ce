/**
 * The partner portals in a real Chromium against a real server: a distributor allocates a
 * voucher quota; a reseller (in English) creates a template, issues within the quota, is
 * refused past it, withdraws, and cannot open another reseller's voucher or the
 * distributor's pages; an enterprise master (in Chinese) turns sharing on, batch-enables
 * 100 accounts (101 refused), allocates a coupon and revokes what was not used.
 * Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  acceptConfirmation,
  type ConsoleServer,
  type ConsoleSession,
  chooseOption,
  expectNoConsoleProblems,
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
let units: Map<string, string>;
let lakesideVoucher: string;

const PASSWORD = "vouchsafe-demo";
const key = () => ({ "idempotency-key": crypto.randomUUID() });

/** The API with the owner key and an Idempotency-Key (value-moving set-up the test is not about). */
async function ownerPost<T = Record<string, unknown>>(url: string, body: unknown): Promise<T> {
  const response = await fetch(`${server.baseUrl}${url}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.demo.api_key}`, "content-type": "application/json", ...key() },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function switchTo(email: string) {
  await session.context.clearCookies();
  await signIn(page, server, email, PASSWORD);
}

const dialog = () => openDialog(page);
beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
  const list = await server.api<{ data: { id: string; code: string | null }[] }>(
    "GET",
    "/v1/org-units?limit=100",
  );
  units = new Map(list.data.map((u) => [u.code ?? u.id, u.id]));
  // Another reseller's voucher: the Harbour reseller must not reach it.
  await ownerPost("/v1/voucher-quotas/adjustments", {
    reseller_id: units.get("RES-LAKESIDE"),
    asset: "CNY",
    delta: 10_000,
    reason: "Opening quota",
  });
  const template = await ownerPost<{ id: string }>("/v1/voucher-templates", {
    owner_id: units.get("RES-LAKESIDE"),
    name: "Lakeside welcome",
    face_value: { amount: 2_000, asset: "CNY" },
    validity: { kind: "relative", valid_days: 30 },
    scope: { kind: "all" },
  });
  const issued = await ownerPost<{ data: { id: string }[] }>(`/v1/voucher-templates/${template.id}/issue`, {
    recipients: [{ customer_id: units.get("CUS-WL-TEA") }],
  });
  lakesideVoucher = issued.data[0]!.id;
}, 240_000);

afterAll(async () => {
  await session?.close();
});

describe("reseller console", () => {
  it("a distributor allocates a voucher quota to its reseller and sees the history", async () => {
    await switchTo("distributor@demo.vouchsafe.test");
    const nav = page.getByRole("navigation");
    await nav.getByText("分配代金券额度").click();
    // Only the portal: none of the merchant's own pages.
    await poll(() => nav.getByText("会员").count()).toBe(0);
    const harbour = page.getByRole("row", { name: /Harbour Resellers/ });
    await harbour.getByRole("button", { name: "分配" }).click();
    await dialog().getByLabel("金额").fill("100");
    await dialog().getByLabel("原因").fill("Q1 campaign");
    await dialog().getByRole("button", { name: "确定" }).click();
    await poll(() => page.getByTestId("quota-RES-HARBOUR").textContent()).toContain("100.00");
    await poll(() => page.getByRole("row", { name: /Lakeside Resellers/ }).count()).toBe(1);
    await screenshot(page, "partners-01-distributor-quotas");
    await harbour.getByRole("button", { name: "历史记录" }).click();
    await poll(() => page.locator(".ant-drawer").getByText("Q1 campaign").count()).toBe(1);
    await screenshot(page, "partners-02-distributor-quota-history");
    await page.keyboard.press("Escape");
  });

  it("a reseller creates a template, issues within its quota, is refused past it, withdraws (English)", async () => {
    await switchTo("reseller@demo.vouchsafe.test");
    await page.getByLabel("语言").click();
    await pickOption(page, "English");
    await page.getByRole("navigation").getByText("Customer Voucher Issuance").click();
    const quota = page.getByTestId("quota-available");
    await poll(() => quota.textContent()).toContain("100.00");

    await page.getByRole("button", { name: "Create Template" }).click();
    await dialog().getByLabel("Template name").fill("Spring discount");
    await dialog().getByLabel("Amount", { exact: true }).fill("30");
    await dialog().getByText("Specified product voucher").click();
    await dialog().getByLabel("Product codes").fill("cvm");
    await dialog().getByLabel("Product codes").press("Enter");
    await screenshot(page, "partners-03-reseller-create-template");
    await dialog().getByRole("button", { name: "Confirm" }).click();
    const row = page.getByRole("row", { name: /Spring discount/ });
    await poll(() => row.count()).toBe(1);
    await poll(() => row.textContent()).toContain("Specified product voucher");

    await row.getByRole("button", { name: "Issue" }).click();
    await chooseOption(page, dialog(), "Customer", "Bund Cafe");
    await dialog().getByLabel("Issuance amount").fill("60");
    await dialog().getByRole("button", { name: "Confirm" }).click();
    await poll(() => quota.textContent()).toContain("40.00");
    await screenshot(page, "partners-04-reseller-issued");

    await row.getByRole("button", { name: "Issue" }).click();
    await chooseOption(page, dialog(), "Customer", "Lujiazui Books");
    await dialog().getByLabel("Issuance amount").fill("50");
    await dialog().getByRole("button", { name: "Confirm" }).click();
    await poll(() => dialog().getByRole("alert").textContent()).toContain("exceeds your voucher quota");
    await screenshot(page, "partners-05-reseller-refused-past-quota");
    await dialog().getByRole("button", { name: "Cancel" }).click();
    await poll(() => quota.textContent()).toContain("40.00");

    await page.getByRole("navigation").getByText("Customer Voucher List").click();
    const voucher = page.getByRole("row", { name: /Bund Cafe/ });
    await poll(() => voucher.textContent()).toContain("Unused");
    await poll(() => page.getByRole("row", { name: /West Lake Tea/ }).count()).toBe(0);
    await screenshot(page, "partners-06-reseller-voucher-list");
    await voucher.getByRole("button", { name: "Withdraw" }).click();
    await acceptConfirmation(page);
    await poll(() => voucher.textContent()).toContain("Withdrawn");
    await voucher.getByRole("link", { name: "Usage Details" }).click();
    await poll(() => page.getByText("No deductions yet").first().isVisible()).toBe(true);
    await poll(() => page.getByRole("link", { name: "Download details" }).getAttribute("href")).toMatch(
      /usages\/export/,
    );
    await screenshot(page, "partners-07-reseller-usage-details");

    await page.getByRole("navigation").getByText("Voucher Quota").click();
    await poll(() => page.getByText("Q1 campaign").count()).toBe(1);
    await poll(() =>
      page.locator(".ant-statistic").filter({ hasText: "Quota available" }).textContent(),
    ).toContain("100.00");
    await screenshot(page, "partners-08-reseller-quota");
    expectNoConsoleProblems(problems);
  });

  it("a reseller cannot open another reseller's voucher nor the distributor's pages", async () => {
    await page.goto(`${server.baseUrl}/console/reseller/vouchers/${lakesideVoucher}`);
    await poll(() => page.getByRole("alert").textContent()).toContain("Voucher not found");
    await screenshot(page, "partners-09-reseller-other-voucher");
    // Another portal's page and the merchant's own are out of reach, and said to be.
    for (const path of ["/console/distributor/quotas", "/console/members"]) {
      await page.goto(`${server.baseUrl}${path}`);
      await poll(() => page.locator(".ant-result-title").textContent()).toMatch(/No access|无权访问/);
    }
    await page.locator(".ant-result").getByRole("button").click();
    await poll(() => new URL(page.url()).pathname).toBe("/console/reseller/issuance");
  });
});

describe("Enterprise Center", () => {
  const ACCOUNTS = 101;
  let enterprise: string;

  beforeAll(async () => {
    enterprise = units.get("ENT-PUDONG")!;
    const associate = (id: string) => ownerPost(`/v1/enterprises/${enterprise}/members`, { member_id: id });
    for (const code of ["ENT-PUDONG-1", "ENT-PUDONG-2"]) await associate(units.get(code)!);
    for (let n = 1; n <= ACCOUNTS; n++) {
      const unit = await server.api<{ id: string }>("POST", "/v1/org-units", {
        parent_id: enterprise,
        kind: "member_account",
        name: `Branch ${String(n).padStart(3, "0")}`,
      });
      await associate(unit.id);
    }
    await server.api("POST", "/v1/ledger/assets", { code: "GB", scale: 0, name: "Gigabyte" });
    const days = (n: number) => new Date(server.t.clock.now().getTime() + n * 86_400_000).toISOString();
    await ownerPost("/v1/resource-packages", {
      owner_id: enterprise,
      product_code: "cos",
      unit: "GB",
      quantity: 500,
      expires_at: days(90),
    });
    await ownerPost(`/v1/enterprises/${enterprise}/coupons`, {
      amount: { amount: 50_000, asset: "CNY" },
      allocation_mode: "multiple",
      scope: { kind: "all" },
      expires_at: days(60),
    });
  }, 240_000);

  it("the master turns sharing on, associates an account, batch-enables 100 accounts and is refused 101", async () => {
    await switchTo("enterprise@demo.vouchsafe.test");
    await page.getByRole("navigation").getByText("权益管理").click();
    const sharing = page.getByRole("switch", { name: "开启权益共享" });
    await poll(() => sharing.getAttribute("aria-checked")).toBe("false");
    await sharing.click();
    await poll(() => sharing.getAttribute("aria-checked")).toBe("true");
    await poll(() => page.getByRole("row", { name: /cos/ }).textContent()).toContain("500 GB");

    const support = page.getByRole("row", { name: /Pudong Support/ });
    await support.getByRole("button", { name: "关联" }).click();
    // Associated after the switch went on: it shares at once.
    await poll(() => support.textContent()).toContain("已开启");
    await screenshot(page, "partners-10-enterprise-packages");

    await page.locator(".ant-pagination-options .ant-select").click();
    await pickOption(page, "100");
    const selectAll = page.locator(".ant-table-thead .ant-checkbox-input").first();
    await selectAll.check();
    await poll(() => page.getByTestId("selected-count").textContent()).toContain("已选 100 个");
    await page.getByRole("button", { name: "批量开启" }).click();
    await poll(() => page.locator(".ant-message").textContent()).toContain("已为 100 个账号变更权益共享");
    await poll(() => page.getByTestId("selected-count").textContent()).toContain("已选 0 个");

    await selectAll.check();
    await page.locator(".ant-pagination-item-2").click();
    await page.locator(".ant-table-tbody .ant-checkbox-input").first().check();
    await poll(() => page.getByTestId("selected-count").textContent()).toContain("已选 101 个");
    await page.getByRole("button", { name: "批量关闭" }).click();
    await poll(() => page.getByRole("alert").filter({ hasText: "每次最多 100 个" }).count()).toBe(2);
    await screenshot(page, "partners-11-enterprise-batch-refused");

    // One account at a time from the Operation column.
    await page.locator(".ant-pagination-item-1").click();
    const first = page.locator(".ant-table-tbody tr.ant-table-row").first();
    await first.getByRole("button", { name: "关闭" }).click();
    await poll(() => first.textContent()).toContain("已关闭");
  });

  it("the master allocates a coupon and revokes the part the member did not use", async () => {
    await page.getByRole("tab", { name: "代金券分配" }).click();
    await screenshot(page, "partners-12-enterprise-coupons");
    const coupon = page.getByRole("tabpanel").locator(".ant-table-tbody tr.ant-table-row").first();
    await poll(() => coupon.textContent()).toContain("500.00");
    await coupon.getByRole("button", { name: "分配" }).click();
    await chooseOption(page, dialog(), "选择成员账号", "Pudong Research");
    await dialog().getByLabel("Pudong Research 的分配金额").fill("200");
    await dialog().getByRole("button", { name: "已分配代金券" }).click();
    await poll(() => dialog().getByText("该账号暂无分配的代金券").isVisible()).toBe(true);
    await screenshot(page, "partners-13-enterprise-allocate");
    await dialog().getByRole("button", { name: "确定" }).click();
    await poll(() => coupon.textContent()).toContain("300.00");

    // The member spends 50 of its 200 on a bill.
    await server.api("POST", `/v1/enterprises/${enterprise}/bills`, {
      bill_id: "bill-pudong-1",
      member_id: units.get("ENT-PUDONG-1"),
      asset: "CNY",
      lines: [{ product_code: "cvm", amount: 5_000 }],
    });
    await coupon.getByRole("button", { name: "回收" }).click();
    await chooseOption(page, dialog(), "选择成员账号", "Pudong Research");
    await poll(() => dialog().getByTestId("recoverable-amount").textContent()).toContain("150.00");
    await screenshot(page, "partners-14-enterprise-revoke");
    await dialog().getByRole("button", { name: "确定" }).click();
    await poll(() => coupon.textContent()).toContain("450.00");

    await page.getByRole("button", { name: "历史记录" }).first().click();
    const drawer = page.locator(".ant-drawer");
    await poll(() => drawer.locator(".ant-table-row").count()).toBe(2);
    await poll(() => drawer.textContent()).toContain("分配");
    await poll(() => drawer.textContent()).toContain("回收");
    await screenshot(page, "partners-15-enterprise-history");
    expectNoConsoleProblems(problems);
  });
});
