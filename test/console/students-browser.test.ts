/**
 * The console's Student ID page in a real Chromium against a real server: a member submits a
 * student ID with its own token, the owner approves it in the review queue, and the member
 * is a student. Screenshots land in test-output/console/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  acceptPopconfirm,
  type ConsoleServer,
  type ConsoleSession,
  expectNoConsoleProblems,
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
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

beforeAll(async () => {
  session = await startConsoleSession();
  ({ server, page, problems } = session);
}, 240_000);

afterAll(async () => {
  await session?.close();
});

/** A member of the demo tenant who submits a student ID with its own token. */
async function memberSubmits(name: string): Promise<string> {
  const member = await server.api<{ id: string }>("POST", "/v1/members", { name });
  const { token } = await server.api<{ token: string }>("POST", "/v1/member-tokens", {
    member_id: member.id,
  });
  const auth = { authorization: `Bearer ${token}` };
  const upload = await fetch(`${server.baseUrl}/v1/members/${member.id}/student-id-images`, {
    method: "POST",
    headers: { ...auth, "content-type": "image/png" },
    body: PNG,
  });
  expect(upload.status).toBe(201);
  const image = (await upload.json()) as { id: string };
  const submit = await fetch(`${server.baseUrl}/v1/student-verifications`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({
      member_id: member.id,
      school: "复旦大学",
      student_number: "22300180042",
      graduation_date: "2028-06-30",
      image_id: image.id,
    }),
  });
  expect(submit.status).toBe(201);
  return member.id;
}

describe("Student ID in the console", () => {
  it("the owner approves a submission in the review queue; the member becomes a student", async () => {
    await server.api("POST", "/v1/member-tags", { code: "student", name: "学生" });
    await server.api("PUT", "/v1/student-settings", {
      validity: { count: 6, unit: "month" },
      reminder_days_before: 7,
      page: { title: "学生认证", body: "认证学生身份，享学生专属权益", image_ids: [], package_ids: [] },
      student_tag: "student",
      student_group: null,
      gift: { kind: "none" },
      gift_rule: "first_verification",
    });
    const memberId = await memberSubmits("李雷");

    await signIn(page, server, "owner@demo.vouchsafe.test", server.demo.users[0]!.password);
    await page.getByRole("navigation").getByText("学生证").click();
    await poll(() => page.getByTestId("student-current").textContent()).toContain("0");
    await screenshot(page, "students-01-dashboard");

    await page.getByRole("tab", { name: "审核队列" }).click();
    const row = page.getByRole("row").filter({ hasText: "复旦大学" });
    await poll(() => row.textContent()).toContain("待审核");
    await screenshot(page, "students-02-queue");
    await row.getByRole("button", { name: "通过" }).click();
    await acceptPopconfirm(page);
    await poll(() => page.getByText("已通过：该会员已成为学生会员").count()).toBe(1);
    await poll(() => page.getByRole("row").filter({ hasText: "复旦大学" }).count()).toBe(0);

    const member = await server.api<{ student: boolean; tags: string[] }>("GET", `/v1/members/${memberId}`);
    expect([member.student, member.tags]).toEqual([true, ["student"]]);

    await page.getByRole("combobox", { name: "状态" }).click();
    await pickOption(page, "已通过");
    await poll(() => page.getByRole("row").filter({ hasText: "复旦大学" }).textContent()).toContain(
      "学生身份至",
    );
    await screenshot(page, "students-03-approved");

    await page.getByRole("tab", { name: "数据看板" }).click();
    await poll(() => page.getByTestId("student-current").textContent()).toContain("1");
    await page.getByRole("tab", { name: "学生证设置" }).click();
    await poll(() => page.getByLabel("标题").inputValue()).toBe("学生认证");
    await screenshot(page, "students-04-settings");
    expectNoConsoleProblems(problems);
  });
});
