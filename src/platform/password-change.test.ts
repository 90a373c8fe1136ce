import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../test/helpers/app.js";
import { expectProblem } from "../../test/helpers/problem.js";
import { hashPassword } from "./auth/passwords.js";

// The real hashing, counted: a new password is hashed only once the current one is known.
vi.mock("./auth/passwords.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("./auth/passwords.js")>();
  return { ...original, hashPassword: vi.fn(original.hashPassword) };
});

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
  it("checks the current password before spending a hash on the new one; a wrong guess changes nothing", async () => {
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
    const hashes = vi.mocked(hashPassword);

    hashes.mockClear();
    expectProblem(await change("not it at all"), 422, "current_password_incorrect");
    expect(hashes).not.toHaveBeenCalled();
    expect((await signIn()).statusCode).toBe(201);
    expectProblem(await signIn("a brand new password"), 401, "invalid_credentials");

    hashes.mockClear();
    expect((await change(PASSWORD)).statusCode).toBe(204);
    expect(hashes).toHaveBeenCalledTimes(1);
    expect((await signIn("a brand new password")).statusCode).toBe(201);
  });
});
