import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp({ config: { rateLimitPerMinute: 3 } });
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

describe("the rate limit counts per API key", () => {
  it("one key cannot earn fresh allowances by spelling its Authorization header differently", async () => {
    const spellings = [
      `Bearer ${tenant.key}`,
      `bearer ${tenant.key}`,
      `Bearer  ${tenant.key}`,
      `BEARER ${tenant.key} `,
    ];
    const answers = [];
    for (const authorization of spellings) {
      answers.push(await t.app.inject({ url: "/v1/tenant", headers: { authorization } }));
    }
    expect(answers.slice(0, 3).map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expectProblem(answers[3]!, 429, "rate_limited");
    // Another credential keeps its own allowance.
    const other = await createTestKey(t, tenant.tenantId, "viewer");
    expect((await t.app.inject({ url: "/v1/tenant", headers: other.auth })).statusCode).toBe(200);
  });
});
