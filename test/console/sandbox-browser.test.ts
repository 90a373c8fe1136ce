/**
 * A sandbox tenant in the console: the banner shows its test clock, and an owner advances it
 * with a confirmation; the live tenant's owner creates, archives and restores sandboxes. One
 * server and one browser for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptConfirmation,
  type ConsoleSession,
  poll,
  screenshot,
  settledDialog,
  signIn,
  startConsoleSession,
  unexpected,
} from "../helpers/console-browser.js";

let session: ConsoleSession;
const EMAIL = "owner@sandbox.vouchsafe.test";
const PASSWORD = "sandbox-password-2026";

beforeAll(async () => {
  session = await startConsoleSession();
}, 240_000);
afterAll(async () => session?.close(), 240_000);

describe("a sandbox tenant in the console", () => {
  it("shows the sandbox banner with its clock, and advances the clock 20 minutes after a confirmation", async () => {
    const { server, page } = session;
    const sandbox = await server.api<{ id: string; api_key: string }>("POST", "/v1/sandboxes", {
      name: "Demo sandbox",
      clock_starts_at: "2030-06-01T02:00:00Z",
    });
    const created = await fetch(`${server.baseUrl}/v1/users`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${sandbox.api_key}`,
        "content-type": "application/json",
        "idempotency-key": "sandbox-owner",
      },
      body: JSON.stringify({ email: EMAIL, name: "Sandbox owner", password: PASSWORD, role: "owner" }),
    });
    expect(created.status, await created.text()).toBe(201);

    await signIn(page, { ...server, demo: { ...server.demo, tenant_id: sandbox.id } }, EMAIL, PASSWORD);
    const banner = page.getByTestId("sandbox-banner");
    // 02:00 UTC is 10:00 in the sandbox's zone (Asia/Shanghai, the demo tenant's).
    await poll(() => banner.textContent()).toMatch(/(沙箱租户|Sandbox tenant).*2030.*10:00/);
    await screenshot(page, "sandbox-01-banner");

    await banner.getByRole("button", { name: /^(\+20 分钟|\+20 minutes)$/ }).click();
    await acceptConfirmation(page);
    await poll(() => banner.textContent()).toMatch(/10:20/);
    await screenshot(page, "sandbox-02-advanced");
    const clock = await fetch(`${server.baseUrl}/v1/test-clock`, {
      headers: { authorization: `Bearer ${sandbox.api_key}` },
    });
    expect(((await clock.json()) as { now: string }).now).toBe("2030-06-01T02:20:00.000Z");
    expect(unexpected(session.problems)).toEqual([]);
  });

  it("shows no banner on a live tenant", async () => {
    const { server, page } = session;
    await page.context().clearCookies();
    await signIn(page, server, server.demo.users[0]!.email, server.demo.users[0]!.password);
    await poll(() => page.getByRole("navigation").textContent()).toMatch(/会员|Members/);
    expect(await page.getByTestId("sandbox-banner").count()).toBe(0);
  });

  it("lets the live tenant's owner create a sandbox, see its key once, archive it and restore it", async () => {
    const { server, page } = session;
    await page
      .getByRole("navigation")
      .getByText(/^(沙箱|Sandboxes)$/)
      .click();
    await page.getByRole("button", { name: /创建沙箱|Create sandbox/ }).click();
    const dialog = await settledDialog(page);
    await dialog.getByLabel(/^(名称|Name)$/).fill("Console rehearsal");
    await dialog.getByLabel(/时区|Time zone/).fill("Europe/Paris");
    await dialog.getByRole("button", { name: /^(保\s*存|Save)$/ }).click();
    const key = page.getByTestId("sandbox-api-key");
    await poll(() => key.textContent()).toMatch(/^vs_test_/);
    const secret = (await key.textContent())!;
    await screenshot(page, "sandbox-03-key-once");
    await page.getByRole("button", { name: /我已复制|I have copied it/ }).click();

    const row = page.getByRole("row").filter({ hasText: "Console rehearsal" });
    await poll(() => row.textContent()).toMatch(/Europe\/Paris.*(可用|Active)/);
    await screenshot(page, "sandbox-04-listed");
    await row.getByRole("button", { name: /^(归\s*档|Archive)$/ }).click();
    await acceptConfirmation(page);
    await poll(() => row.textContent()).toMatch(/已归档|Archived/);
    expect(await row.getByRole("button", { name: /^(归\s*档|Archive)$/ }).count()).toBe(0);
    await screenshot(page, "sandbox-05-archived");
    // The key shown once no longer works.
    const refused = await fetch(`${server.baseUrl}/v1/test-clock`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe("sandbox_archived");

    // Restored after a confirmation: the same key works again.
    const restoreButton = row.getByRole("button", { name: /^(恢\s*复|Restore)$/ });
    await poll(() => restoreButton.count()).toBe(1);
    await page.screenshot({ path: "/tmp/h1-sandboxes.png", fullPage: true });
    await restoreButton.click();
    await acceptConfirmation(page);
    await poll(() => row.textContent()).toMatch(/可用|Active/);
    expect(await row.getByRole("button", { name: /^(恢\s*复|Restore)$/ }).count()).toBe(0);
    expect(await row.getByRole("button", { name: /^(归\s*档|Archive)$/ }).count()).toBe(1);
    await screenshot(page, "sandbox-06-restored");
    const accepted = await fetch(`${server.baseUrl}/v1/test-clock`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(accepted.status, await accepted.text()).toBe(200);
    expect(unexpected(session.problems)).toEqual([]);
  });
});
