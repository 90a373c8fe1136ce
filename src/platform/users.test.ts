import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../test/helpers/app.js";
import { expectProblem } from "../../test/helpers/problem.js";

let t: TestApp;
let tenant: TestTenant;
let root: { id: string; path: string };
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  t = await createTestApp({ config: { loginRateLimitPerMinute: 0 } });
  tenant = await createTestTenant(t);
  root = await t.database.owner
    .selectFrom("org_units")
    .select(["id", "path"])
    .where("tenant_id", "=", tenant.tenantId)
    .executeTakeFirstOrThrow();
});
afterAll(async () => t?.close());

let emailCounter = 0;
async function createUser(
  role: string,
  orgUnitId: string | null = null,
  headers: Record<string, string> = tenant.auth,
) {
  emailCounter += 1;
  const email = `user${emailCounter}@example.com`;
  const response = await t.app.inject({
    method: "POST",
    url: "/v1/users",
    headers,
    payload: { email, name: `User ${emailCounter}`, password: PASSWORD, role, org_unit_id: orgUnitId },
  });
  expect(response.statusCode, response.body).toBe(201);
  return { ...json<{ id: string }>(response), email };
}

const signIn = (email: string, password = PASSWORD, tenantId = tenant.tenantId) =>
  t.app.inject({ method: "POST", url: "/v1/sessions", payload: { tenant_id: tenantId, email, password } });

async function session(email: string, password = PASSWORD) {
  const response = await signIn(email, password);
  expect(response.statusCode, response.body).toBe(201);
  const cookie = response.cookies.find((c) => c.name === "vs_session")!;
  const body = json<{ csrf_token: string }>(response);
  return {
    cookie: { cookie: `vs_session=${cookie.value}` },
    write: { cookie: `vs_session=${cookie.value}`, "x-csrf-token": body.csrf_token },
    body,
  };
}

describe("sign-in sessions", () => {
  it("signs in, sets an httpOnly SameSite=Lax cookie, says who I am, and signs out", async () => {
    const user = await createUser("admin");
    const response = await signIn(user.email.toUpperCase());
    expect(response.statusCode).toBe(201);
    const cookie = response.cookies.find((c) => c.name === "vs_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(cookie.secure).toBeFalsy();
    const body = json<{ csrf_token: string; user: { id: string; role: string } }>(response);
    expect(body.user).toMatchObject({ id: user.id, role: "admin" });
    // The cookie is stored only as a hash.
    const stored = await t.database.owner
      .selectFrom("sessions")
      .select("token_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(stored.map((s) => s.token_hash)).not.toContain(cookie.value);

    const headers = { cookie: `vs_session=${cookie.value}` };
    const me = await t.app.inject({ url: "/v1/sessions/current", headers });
    expect(me.statusCode).toBe(200);
    expect(json(me)).toMatchObject({
      tenant_id: tenant.tenantId,
      csrf_token: body.csrf_token,
      user: { id: user.id },
    });

    const out = await t.app.inject({
      method: "DELETE",
      url: "/v1/sessions/current",
      headers: { ...headers, "x-csrf-token": body.csrf_token },
    });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === "vs_session")?.value).toBe("");
    expectProblem(await t.app.inject({ url: "/v1/sessions/current", headers }), 401, "unauthenticated");
    const actions = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("actor_id", "=", user.id)
      .orderBy("id")
      .execute();
    expect(actions.map((a) => a.action)).toEqual(["session.created", "session.ended"]);
  });

  it("refuses cookie-authenticated writes without the CSRF header and accepts them with it", async () => {
    const admin = await createUser("admin");
    const s = await session(admin.email);
    const payload = { email: "csrf@example.com", name: "C", password: PASSWORD, role: "viewer" };
    expectProblem(
      await t.app.inject({ method: "POST", url: "/v1/users", headers: s.cookie, payload }),
      403,
      "csrf_failed",
    );
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/users",
        headers: { ...s.cookie, "x-csrf-token": "wrong" },
        payload,
      }),
      403,
      "csrf_failed",
    );
    const none = await t.database.owner
      .selectFrom("users")
      .select("id")
      .where("email", "=", "csrf@example.com")
      .execute();
    expect(none).toHaveLength(0);
    const ok = await t.app.inject({ method: "POST", url: "/v1/users", headers: s.write, payload });
    expect(ok.statusCode, ok.body).toBe(201);
    // Reads need no CSRF token.
    expect((await t.app.inject({ url: "/v1/users", headers: s.cookie })).statusCode).toBe(200);
  });

  it("answers unknown emails, wrong passwords, disabled users and wrong tenants alike", async () => {
    const user = await createUser("viewer");
    const wrong = expectProblem(await signIn(user.email, "not the password"), 401, "invalid_credentials");
    const unknown = expectProblem(await signIn("nobody@example.com"), 401, "invalid_credentials");
    const otherTenant = expectProblem(
      await signIn(user.email, PASSWORD, "ten_01jd3m2x4y5z6a7b8c9d0e1f2g"),
      401,
      "invalid_credentials",
    );
    expect(unknown.detail).toBe(wrong.detail);
    expect(otherTenant.detail).toBe(wrong.detail);
    await t.app.inject({ method: "DELETE", url: `/v1/users/${user.id}`, headers: tenant.auth });
    expect(expectProblem(await signIn(user.email), 401, "invalid_credentials").detail).toBe(wrong.detail);
  });

  it("locks an account after 5 consecutive failures for 15 minutes", async () => {
    const user = await createUser("viewer");
    // A success in between resets the count.
    for (let i = 0; i < 4; i++)
      expectProblem(await signIn(user.email, "wrong password"), 401, "invalid_credentials");
    expect((await signIn(user.email)).statusCode).toBe(201);
    for (let i = 0; i < 5; i++)
      expectProblem(await signIn(user.email, "wrong password"), 401, "invalid_credentials");
    expectProblem(await signIn(user.email), 423, "account_locked");
    t.clock.advanceMinutes(14);
    expectProblem(await signIn(user.email), 423, "account_locked");
    t.clock.advanceMinutes(2);
    expect((await signIn(user.email)).statusCode).toBe(201);
    const locked = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("target_id", "=", user.id)
      .where("action", "=", "user.locked")
      .execute();
    expect(locked).toHaveLength(1);
  });

  it("an unknown or disabled email locks like a user's, so the lock-out does not tell who has an account", async () => {
    const disabled = await createUser("viewer");
    await t.app.inject({ method: "DELETE", url: `/v1/users/${disabled.id}`, headers: tenant.auth });
    for (const email of ["ghost@example.com", disabled.email]) {
      for (let i = 0; i < 5; i++) {
        expectProblem(await signIn(email, "wrong password"), 401, "invalid_credentials");
      }
      expectProblem(await signIn(email, "wrong password"), 423, "account_locked");
    }
    // The same email in other letter cases is the same account.
    expectProblem(await signIn("Ghost@Example.COM"), 423, "account_locked");
    t.clock.advanceMinutes(16);
    expectProblem(await signIn("ghost@example.com"), 401, "invalid_credentials");
    // What was typed as an email is kept only as a hash.
    const kept = await t.database.owner.selectFrom("sign_in_failures").selectAll().execute();
    expect(JSON.stringify(kept)).not.toContain("ghost");
  });

  it("an administrator lifts a lock-out by re-enabling the user", async () => {
    const user = await createUser("viewer");
    for (let i = 0; i < 5; i++) await signIn(user.email, "wrong password");
    expectProblem(await signIn(user.email), 423, "account_locked");
    const patched = await t.app.inject({
      method: "PATCH",
      url: `/v1/users/${user.id}`,
      headers: tenant.auth,
      payload: { disabled: false },
    });
    expect(json(patched)).toMatchObject({ locked_until: null, disabled_at: null });
    expect((await signIn(user.email)).statusCode).toBe(201);
  });

  it("ends a session after the idle timeout and after 12 hours in any case", async () => {
    const user = await createUser("viewer");
    const idle = await session(user.email);
    t.clock.advanceMinutes(119);
    expect((await t.app.inject({ url: "/v1/sessions/current", headers: idle.cookie })).statusCode).toBe(200);
    t.clock.advanceMinutes(119);
    expect((await t.app.inject({ url: "/v1/sessions/current", headers: idle.cookie })).statusCode).toBe(200);
    t.clock.advanceMinutes(121);
    expectProblem(
      await t.app.inject({ url: "/v1/sessions/current", headers: idle.cookie }),
      401,
      "unauthenticated",
    );

    const busy = await session(user.email);
    for (let hour = 0; hour < 11; hour++) {
      t.clock.advanceMinutes(60);
      expect((await t.app.inject({ url: "/v1/sessions/current", headers: busy.cookie })).statusCode).toBe(
        200,
      );
    }
    t.clock.advanceMinutes(61);
    expectProblem(
      await t.app.inject({ url: "/v1/sessions/current", headers: busy.cookie }),
      401,
      "unauthenticated",
    );
  });

  it("throttles sign-in attempts per client address", async () => {
    const limited = await createTestApp({ config: { loginRateLimitPerMinute: 3 } });
    try {
      const attempt = () =>
        limited.app.inject({
          method: "POST",
          url: "/v1/sessions",
          payload: { tenant_id: "ten_x", email: "a@example.com", password: "whatever" },
        });
      for (let i = 0; i < 3; i++) expectProblem(await attempt(), 401, "invalid_credentials");
      const refused = await attempt();
      expectProblem(refused, 429, "rate_limited");
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      limited.clock.advance(61_000);
      expectProblem(await attempt(), 401, "invalid_credentials");
    } finally {
      await limited.close();
    }
  });

  it("counts an IPv6 client by its /64, and an IPv4-mapped address as the IPv4 address", async () => {
    const limited = await createTestApp({ config: { loginRateLimitPerMinute: 3 } });
    try {
      const attempt = (remoteAddress: string) =>
        limited.app.inject({
          method: "POST",
          url: "/v1/sessions",
          payload: { tenant_id: "ten_x", email: "a@example.com", password: "whatever" },
          remoteAddress,
        });
      // One subscriber's network: a fresh address per guess is no fresh allowance.
      for (const address of ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:a:b:c:d"]) {
        expectProblem(await attempt(address), 401, "invalid_credentials");
      }
      const refused = await attempt("2001:db8:1:2:ffff::9");
      expectProblem(refused, 429, "rate_limited");
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      // The neighbouring /64 is someone else.
      expectProblem(await attempt("2001:db8:1:3::1"), 401, "invalid_credentials");

      for (let i = 0; i < 3; i++) {
        expectProblem(await attempt("203.0.113.5"), 401, "invalid_credentials");
      }
      expectProblem(await attempt("::ffff:203.0.113.5"), 429, "rate_limited");
    } finally {
      await limited.close();
    }
  });

  it("marks the cookie Secure when configured", async () => {
    const secure = await createTestApp({ config: { secureCookies: true } });
    try {
      const other = await createTestTenant(secure);
      await secure.app.inject({
        method: "POST",
        url: "/v1/users",
        headers: other.auth,
        payload: { email: "s@example.com", name: "S", password: PASSWORD, role: "viewer" },
      });
      const response = await secure.app.inject({
        method: "POST",
        url: "/v1/sessions",
        payload: { tenant_id: other.tenantId, email: "s@example.com", password: PASSWORD },
      });
      expect(response.cookies.find((c) => c.name === "vs_session")?.secure).toBe(true);
    } finally {
      await secure.close();
    }
  });

  it("API keys have no session", async () => {
    expectProblem(
      await t.app.inject({ url: "/v1/sessions/current", headers: tenant.auth }),
      404,
      "session_not_found",
    );
  });
});

describe("password change", () => {
  it("needs the current password, checks the new one, and ends my other sessions", async () => {
    const user = await createUser("operator");
    const mine = await session(user.email);
    const other = await session(user.email);
    const change = (body: object, headers: Record<string, string> = mine.write) =>
      t.app.inject({ method: "POST", url: "/v1/users/me/password", headers, payload: body });
    expectProblem(
      await change({ current_password: "not it at all", new_password: "a brand new password" }),
      422,
      "current_password_incorrect",
    );
    expectProblem(
      await change({ current_password: PASSWORD, new_password: "short" }),
      400,
      "validation_failed",
    );
    expectProblem(
      await change({ current_password: PASSWORD, new_password: PASSWORD }),
      422,
      "password_unchanged",
    );
    expectProblem(
      await change({ current_password: PASSWORD, new_password: "a brand new password" }, tenant.auth),
      404,
      "session_not_found",
    );
    expect(
      (await change({ current_password: PASSWORD, new_password: "a brand new password" })).statusCode,
    ).toBe(204);
    expect((await t.app.inject({ url: "/v1/sessions/current", headers: mine.cookie })).statusCode).toBe(200);
    expectProblem(
      await t.app.inject({ url: "/v1/sessions/current", headers: other.cookie }),
      401,
      "unauthenticated",
    );
    expectProblem(await signIn(user.email), 401, "invalid_credentials");
    expect((await signIn(user.email, "a brand new password")).statusCode).toBe(201);
    const events = await t.database.owner
      .selectFrom("audit_events")
      .select(["action", "summary"])
      .where("target_id", "=", user.id)
      .where("action", "=", "user.password_changed")
      .execute();
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0])).not.toContain("brand new");
  });

  it("counts wrong current passwords like failed sign-ins: the fifth locks the user and ends its sessions", async () => {
    const user = await createUser("operator");
    const mine = await session(user.email);
    const change = (current: string) =>
      t.app.inject({
        method: "POST",
        url: "/v1/users/me/password",
        headers: mine.write,
        payload: { current_password: current, new_password: "a brand new password" },
      });
    for (let i = 0; i < 4; i++)
      expectProblem(await change(`guess number ${i}`), 422, "current_password_incorrect");
    expectProblem(await change("the fifth guess"), 423, "account_locked");
    expectProblem(
      await t.app.inject({ url: "/v1/sessions/current", headers: mine.cookie }),
      401,
      "unauthenticated",
    );
    expectProblem(await signIn(user.email), 423, "account_locked");
    const row = await t.database.owner
      .selectFrom("users")
      .select(["password_hash", "locked_until"])
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(row.locked_until).not.toBeNull();
    t.clock.advanceMinutes(16);
    expect((await signIn(user.email)).statusCode).toBe(201);
  });
});

describe("console users", () => {
  it("creates, lists, gets, updates and disables users, with audit entries", async () => {
    const created = await createUser("viewer");
    const got = await t.app.inject({ url: `/v1/users/${created.id}`, headers: tenant.auth });
    expect(json(got)).toMatchObject({ id: created.id, object: "user", role: "viewer", disabled_at: null });
    expect(got.body).not.toContain("password");

    const list = json<{ data: { id: string }[] }>(
      await t.app.inject({ url: "/v1/users?role=viewer&limit=100", headers: tenant.auth }),
    );
    expect(list.data.map((u) => u.id)).toContain(created.id);

    const s = await session(created.email);
    const patched = await t.app.inject({
      method: "PATCH",
      url: `/v1/users/${created.id}`,
      headers: tenant.auth,
      payload: { name: "Renamed", role: "operator" },
    });
    expect(json(patched)).toMatchObject({ name: "Renamed", role: "operator" });
    // A new role takes effect through a new sign-in.
    expectProblem(
      await t.app.inject({ url: "/v1/sessions/current", headers: s.cookie }),
      401,
      "unauthenticated",
    );

    const deleted = await t.app.inject({
      method: "DELETE",
      url: `/v1/users/${created.id}`,
      headers: tenant.auth,
    });
    expect(json<{ disabled_at: string | null }>(deleted).disabled_at).toBeTruthy();
    const disabledList = json<{ data: { id: string }[] }>(
      await t.app.inject({ url: "/v1/users?disabled=true&limit=100", headers: tenant.auth }),
    );
    expect(disabledList.data.map((u) => u.id)).toContain(created.id);

    const events = await t.database.owner
      .selectFrom("audit_events")
      .select(["action", "summary", "actor_id"])
      .where("target_id", "=", created.id)
      .orderBy("id")
      .execute();
    expect(events.map((e) => e.action)).toEqual(["user.created", "user.updated", "user.disabled"]);
    expect(events[1]!.summary).toMatchObject({ before: { role: "viewer" }, after: { role: "operator" } });
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  it("refuses duplicate emails, replays by Idempotency-Key, and validates input", async () => {
    const body = { email: "dup@example.com", name: "D", password: PASSWORD, role: "viewer" };
    const post = (headers: Record<string, string>, payload: object = body) =>
      t.app.inject({ method: "POST", url: "/v1/users", headers: { ...tenant.auth, ...headers }, payload });
    const first = await post({ "idempotency-key": "user-1" });
    expect(first.statusCode).toBe(201);
    const replay = await post({ "idempotency-key": "user-1" });
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(json(replay)).toEqual(json(first));
    expectProblem(await post({}, { ...body, email: "DUP@example.com" }), 409, "email_taken");
    expectProblem(await post({}, { ...body, email: "not-an-email" }), 400, "validation_failed");
    expectProblem(
      await post({}, { ...body, email: "short@example.com", password: "short" }),
      400,
      "validation_failed",
    );
    expectProblem(
      await post({}, { ...body, email: "x@example.com", role: "root" }),
      400,
      "validation_failed",
    );
  });

  it("admins can't make owners; scoped admins stay inside their subtree", async () => {
    const admin = await createTestKey(t, tenant.tenantId, "admin");
    const post = (headers: Record<string, string>, payload: object) =>
      t.app.inject({ method: "POST", url: "/v1/users", headers, payload });
    expectProblem(
      await post(admin.auth, { email: "o@example.com", name: "O", password: PASSWORD, role: "owner" }),
      403,
      "forbidden",
    );
    const owner = await createUser("owner");
    expectProblem(
      await t.app.inject({ method: "DELETE", url: `/v1/users/${owner.id}`, headers: admin.auth }),
      403,
      "forbidden",
    );
    const viewer = await createUser("viewer");
    expectProblem(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/users/${viewer.id}`,
        headers: admin.auth,
        payload: { role: "owner" },
      }),
      403,
      "forbidden",
    );

    const east = await createTestOrgUnit(t, tenant.tenantId, root, "reseller", "East");
    const west = await createTestOrgUnit(t, tenant.tenantId, root, "reseller", "West");
    const eastAdmin = await createTestKey(t, tenant.tenantId, "admin", east.id);
    const westUser = await createUser("viewer", west.id);
    const eastUser = await createUser("viewer", null, eastAdmin.auth);
    expect((await t.app.inject({ url: `/v1/users/${eastUser.id}`, headers: tenant.auth })).body).toContain(
      east.id,
    );
    expectProblem(
      await post(eastAdmin.auth, {
        email: "w@example.com",
        name: "W",
        password: PASSWORD,
        role: "viewer",
        org_unit_id: west.id,
      }),
      404,
      "org_unit_not_found",
    );
    const seen = json<{ data: { id: string }[] }>(
      await t.app.inject({ url: "/v1/users?limit=100", headers: eastAdmin.auth }),
    ).data.map((u) => u.id);
    expect(seen).toEqual([eastUser.id]);
    for (const request of [
      { method: "GET" as const, url: `/v1/users/${westUser.id}` },
      { method: "PATCH" as const, url: `/v1/users/${westUser.id}`, payload: { name: "hijacked" } },
      { method: "DELETE" as const, url: `/v1/users/${westUser.id}` },
      { method: "GET" as const, url: `/v1/users/${viewer.id}` },
    ]) {
      expectProblem(await t.app.inject({ ...request, headers: eastAdmin.auth }), 404, "user_not_found");
    }
    expectProblem(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/users/${eastUser.id}`,
        headers: eastAdmin.auth,
        payload: { org_unit_id: null },
      }),
      403,
      "forbidden",
    );
    const untouched = await t.database.owner
      .selectFrom("users")
      .select(["name", "disabled_at"])
      .where("id", "=", westUser.id)
      .executeTakeFirstOrThrow();
    expect(untouched).toEqual({ name: expect.not.stringMatching("hijacked"), disabled_at: null });
  });

  it("a user can't disable or re-role themselves", async () => {
    const admin = await createUser("admin");
    const s = await session(admin.email);
    expectProblem(
      await t.app.inject({ method: "DELETE", url: `/v1/users/${admin.id}`, headers: s.write }),
      403,
      "forbidden",
    );
  });

  it("a user can't reset their own password through user management, bypassing the current one", async () => {
    const admin = await createUser("admin");
    const s = await session(admin.email);
    expectProblem(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/users/${admin.id}`,
        headers: s.write,
        payload: { password: "taken over by a stolen cookie" },
      }),
      403,
      "forbidden",
    );
    // Nothing changed: the old password still signs in, the new one does not, the session lives.
    expect((await t.app.inject({ url: "/v1/sessions/current", headers: s.cookie })).statusCode).toBe(200);
    expectProblem(await signIn(admin.email, "taken over by a stolen cookie"), 401, "invalid_credentials");
    expect((await signIn(admin.email)).statusCode).toBe(201);
    // Renaming oneself stays allowed.
    const renamed = await t.app.inject({
      method: "PATCH",
      url: `/v1/users/${admin.id}`,
      headers: s.write,
      payload: { name: "Still me" },
    });
    expect(json(renamed)).toMatchObject({ name: "Still me" });
  });

  it("another tenant's users answer 404", async () => {
    const other = await createTestTenant(t, "Other");
    const user = await createUser("viewer");
    for (const method of ["GET", "PATCH", "DELETE"] as const) {
      expectProblem(
        await t.app.inject({
          method,
          url: `/v1/users/${user.id}`,
          headers: other.auth,
          ...(method === "PATCH" ? { payload: { name: "x" } } : {}),
        }),
        404,
        "user_not_found",
      );
    }
  });
});
