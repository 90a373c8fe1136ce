/**
 * Seed 001 §2.1.3 in the console: find a benefit, Edit it (name, brief, description, who it
 * reaches and its configuration, keeping what the form does not show), see a refusal with the
 * API's reason, and Deactivate / Activate it. Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptConfirmation,
  type ConsoleServer,
  type ConsoleSession,
  expectNoConsoleProblems,
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
const dialog = () => page.getByRole("dialog").filter({ visible: true }).last();
const row = (name: string) => page.locator(".ant-table-row", { hasText: name });
const read = () => server.api<BenefitBody>("GET", `/v1/benefits/${benefitId}`);

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
  await server.api("POST", "/v1/card-plans", {
    code: "club",
    name: "Club",
    validity: { kind: "relative", days: 365 },
    tiers: [
      { code: "club_silver", name: "Silver", rank: 1 },
      { code: "club_gold", name: "Gold", rank: 2 },
    ],
  });
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
  await signIn(page, server, "owner@demo.vouchsafe.test", "vouchsafe-demo");
  await menu().waitFor();
}, 240_000);

afterAll(async () => session?.close());

describe("benefit management", () => {
  it("edits a benefit's words, tier and discount and keeps the rules the form does not show", async () => {
    await menu().getByText("权益管理").click();
    await row("银卡九折").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    expect(await d.getByTestId("benefit-edit-kind").textContent()).toBe("会员折扣");
    expect(await d.getByLabel("权益名称").inputValue()).toBe("银卡九折");
    const config = d.getByLabel("配置（JSON）");
    expect(JSON.parse(await config.inputValue())).toMatchObject({ discount_percent: 10 });

    await d.getByLabel("权益名称").fill("金卡八五折");
    await d.getByLabel("简介").fill("金卡及以上会员专享");
    await d.getByLabel("权益说明").fill("正价商品 8.5 折；特价商品除外");
    await d.getByLabel("适用卡方案 / 等级（JSON）").fill('{ "min_tier": "club_gold" }');
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
    const next = JSON.parse(await config.inputValue()) as Record<string, unknown>;
    await config.fill(JSON.stringify({ ...next, discount_percent: 15 }, null, 2));
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

  it("refuses what is not JSON in the form, and shows the API's reason for a discount out of range; nothing changes", async () => {
    await row("金卡八五折").getByRole("button", { name: "编辑" }).click();
    const d = dialog();
    const config = d.getByLabel("配置（JSON）");
    await config.fill("{ discount_percent: 15");
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => d.getByText("请输入 JSON 对象").count()).toBe(1);

    await config.fill(JSON.stringify({ discount_percent: 150 }));
    await d.getByRole("button", { name: "保存" }).click();
    await poll(() => d.getByRole("alert").count()).toBe(1);
    expect(await d.getByRole("alert").textContent()).toBe("权益配置不正确，请按下列字段修改");
    expect(await d.getByTestId("field-errors").textContent()).toContain("config/discount_percent");
    await d.getByRole("alert").scrollIntoViewIfNeeded();
    await screenshot(page, "benefits-edit-refused");
    await d.getByRole("button", { name: "取消" }).click();
    await d.waitFor({ state: "hidden" });
    expect((await read()).version).toBe(2);
    expect((await read()).config).toMatchObject({ discount_percent: 15 });
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
    await screenshot(page, "benefits-list");
    expectNoConsoleProblems(problems);
  });
});
