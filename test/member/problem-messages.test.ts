import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMON_ERROR_STATUSES } from "../../src/shared/errors.js";
import { en, zhCN } from "../../web/member/src/messages.js";
import { createTestApp, type TestApp } from "../helpers/app.js";
import { loadOpenApi, type Route } from "../helpers/openapi-doc.js";

/**
 * The member center shows a refusal as a message in the member's language (`problem.<code>`),
 * not as the API's English detail. Every code a member's token can be refused with needs one.
 */
let t: TestApp;
let routes: Route[];

beforeAll(async () => {
  t = await createTestApp();
  ({ routes } = await loadOpenApi(t.app));
});
afterAll(async () => {
  await t?.close();
});

/** The routes a member's token may call, and the member center's own public routes (its entry). */
function memberRoutes(): Route[] {
  return routes.filter((route) => {
    const access = (route.operation as { "x-access"?: string })["x-access"];
    return (
      access === "member" ||
      access === "staff_or_member" ||
      (access === "public" && route.path.startsWith("/v1/member-center/"))
    );
  });
}

/** The codes a route's OpenAPI responses name (each refusal status lists its `code`s). */
function declaredCodes(route: Route): string[] {
  const codes: string[] = [];
  for (const response of Object.values(route.operation.responses ?? {})) {
    const description = (response as { description?: string }).description ?? "";
    const listed = /`code` is one of: (.+)$/.exec(description);
    if (listed) codes.push(...listed[1]!.split(",").map((code) => code.trim()));
  }
  return codes;
}

describe("the member center's messages for the API's refusals", () => {
  it("say every code a member's route declares, and the common ones, in both languages", () => {
    const member = memberRoutes();
    // The scan finds what it should: a sample of the member's routes and their codes.
    expect(member.length).toBeGreaterThanOrEqual(30);
    const codes = new Set<string>(Object.keys(COMMON_ERROR_STATUSES));
    for (const route of member) for (const code of declaredCodes(route)) codes.add(code);
    for (const code of ["member_not_found", "agreement_not_found", "member_center_code_expired"]) {
      expect(codes).toContain(code);
    }
    for (const [lang, catalog] of Object.entries({ en, "zh-CN": zhCN }) as [
      string,
      Record<string, string>,
    ][]) {
      const missing = [...codes].filter((code) => !catalog[`problem.${code}`]?.trim()).sort();
      expect(missing, `${lang} lacks problem.<code> for these codes`).toEqual([]);
    }
  });

  it("are in the member's language: Chinese in the Chinese, none in the English, no code", () => {
    for (const key of Object.keys(en).filter((k) => k.startsWith("problem."))) {
      const english = (en as Record<string, string>)[key]!;
      const chinese = (zhCN as Record<string, string>)[key]!;
      expect(english, key).not.toMatch(/[\u4e00-\u9fff]/);
      expect(chinese, key).toMatch(/[\u4e00-\u9fff]/);
      const code = key.slice("problem.".length);
      if (code.includes("_")) expect(english, key).not.toContain(code);
    }
  });
});
