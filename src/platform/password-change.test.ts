import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../test/helpers/app.js";
import { expectProblem } from "../../test/helpers/problem.js";

// The order inside (the current password checked before the new one is hashed) is not
// observable without timing or a module mock, which the suite's shared workers (isolate: false)
// cannot hold per file; this checks what an operator sees.

let t: TestApp;
let tenant: TestTenant;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  t = await createTestApp({ config: { loginRateLimitPerMinute: 0 } });
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

const signIn = (password = PASSWORD) =>
  t.app.inject({
    method: "POST",
    url: "/v1/sessions",
    payload: { tenant_id: tenant.tenantId, email: "me@example.com", password },
  });

describe("changing my password", () => {
  it("refuses a wrong current password and changes nothing; the right one changes it", async () => {
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/users",
      headers: tenant.auth,
      payload: { email: "me@example.com", name: "Me", password: PASSWORD, role: "operator" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const session = await signIn();
    expect(session.statusCode, session.body).toBe(201);
    const cookie = session.cookies.find((c) => c.name === "vs_session")!;
    const headers = {
      cookie: `vs_session=${cookie.value}`,
      "x-csrf-token": json<{ csrf_token: string }>(session).csrf_token,
    };
    const change = (current: string) =>
      t.app.inject({
        method: "POST",
        url: "/v1/users/me/password",
        headers,
        payload: { current_password: current, new_password: "a brand new password" },
      });
    expectProblem(await change("not it at all"), 422, "current_password_incorrect");
    expect((await signIn()).statusCode).toBe(201);
    expectProblem(await signIn("a brand new password"), 401, "invalid_credentials");

    expect((await change(PASSWORD)).statusCode).toBe(204);
    expect((await signIn("a brand new password")).statusCode).toBe(201);
  });
});
