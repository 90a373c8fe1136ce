import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { someoneWaitsForALock } from "../../../test/helpers/last-place.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { createSandbox } from "../../../test/helpers/sandbox.js";
import { signal, waitFor } from "../../../test/helpers/wait.js";
import type { ModuleManifest } from "../../app-types.js";
import { manifestJobs } from "../manifests.js";
import { advanceTestClock } from "./advance-clock.js";
import { claimSandboxPlace, MAX_ACTIVE_SANDBOXES } from "./sandboxes.js";

let t: TestApp;
let live: TestTenant;
let seq = 0;

const call = (auth: { authorization: string }, method: "GET" | "POST", url: string, payload?: object) =>
  t.app.inject({
    method,
    url,
    headers: { ...auth, ...(method === "POST" ? { "idempotency-key": `k-${++seq}` } : {}) },
    ...(payload ? { payload } : {}),
  });

interface SandboxView {
  id: string;
  name: string;
  timezone: string;
  created_at: string;
  status: "active" | "archived";
  archived_at: string | null;
  clock: { now: string };
}

const list = async (auth: { authorization: string }, query = "") => {
  const res = await call(auth, "GET", `/v1/sandboxes${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return json<{ data: SandboxView[]; has_more: boolean }>(res);
};

const create = (tenant: TestTenant, name: string, extra: object = {}) =>
  call(tenant.auth, "POST", "/v1/sandboxes", { name, ...extra });

const activeCount = async (liveTenantId: string) =>
  Number(
    (
      await t.database.owner
        .selectFrom("tenants")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("live_tenant_id", "=", liveTenantId)
        .where("archived_at", "is", null)
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  t = await createTestApp();
  live = await createTestTenant(t, "Acme");
});
afterAll(async () => t?.close());

/**
 * A sandbox of `live` with the three credentials an archive must refuse and a restore give
 * back: its owner key (`sandbox.auth`), a member token, and an admin's signed-in session.
 */
async function sandboxWithCredentials(live: TestTenant, who: string) {
  const sandbox = await createSandbox(t, live, "2030-01-01T00:00:00Z");
  const member = json<{ id: string }>(await call(sandbox.auth, "POST", "/v1/members", { name: who }));
  const memberToken = json<{ token: string }>(
    await call(sandbox.auth, "POST", "/v1/member-tokens", { member_id: member.id }),
  ).token;
  const user = { email: `${who}@sandbox.test`, password: "sandbox-password-2026" };
  const created = await call(sandbox.auth, "POST", "/v1/users", { ...user, name: who, role: "admin" });
  expect(created.statusCode, created.body).toBe(201);
  const signedIn = await t.app.inject({
    method: "POST",
    url: "/v1/sessions",
    payload: { tenant_id: sandbox.tenantId, ...user },
  });
  expect(signedIn.statusCode, signedIn.body).toBe(201);
  const sessionCookie = `vs_session=${signedIn.cookies.find((c) => c.name === "vs_session")!.value}`;
  return { sandbox, memberToken, sessionCookie };
}

describe("listing a live tenant's sandboxes", () => {
  it("answers them newest first with their status and clock, a page at a time", async () => {
    const older = json<{ id: string }>(
      await create(live, "Older", { clock_starts_at: "2030-01-01T00:00:00Z" }),
    );
    t.clock.advance(1000);
    const newer = json<{ id: string }>(await create(live, "Newer", { timezone: "Europe/Paris" }));
    const all = await list(live.auth);
    expect(all.data.map((s) => s.id)).toEqual([newer.id, older.id]);
    expect(all.data[1]).toEqual({
      object: "sandbox",
      id: older.id,
      name: "Older",
      live_tenant_id: live.tenantId,
      timezone: "Asia/Shanghai",
      created_at: new Date(t.clock.now().getTime() - 1000).toISOString(),
      status: "active",
      archived_at: null,
      clock: { object: "test_clock", now: "2030-01-01T00:00:00.000Z", status: "frozen", offset_ms: 0 },
    });
    expect(all.data[0]!.timezone).toBe("Europe/Paris");
    const first = await list(live.auth, "?limit=1");
    expect(first).toMatchObject({ has_more: true, data: [{ id: newer.id }] });
    const second = await list(live.auth, `?limit=1&starting_after=${newer.id}`);
    expect(second).toMatchObject({ has_more: false, data: [{ id: older.id }] });
    // Admins may read the list; operators may not.
    expect((await list((await createTestKey(t, live.tenantId, "admin")).auth)).data).toHaveLength(2);
    const operator = await createTestKey(t, live.tenantId, "operator");
    expectProblem(await call(operator.auth, "GET", "/v1/sandboxes"), 403, "forbidden");
  });

  it("shows no other live tenant's sandboxes", async () => {
    const other = await createTestTenant(t, "Other");
    await createSandbox(t, other, "2030-01-01T00:00:00Z");
    const ids = (await list(live.auth)).data.map((s) => s.id);
    expect(ids).toHaveLength(2);
    expect((await list(other.auth)).data).toHaveLength(1);
  });
});

describe("archiving a sandbox", () => {
  let sandbox: TestTenant;
  let memberToken: string;
  let sessionCookie: string;

  beforeAll(async () => {
    ({ sandbox, memberToken, sessionCookie } = await sandboxWithCredentials(live, "ops"));
    expect((await call(sandbox.auth, "GET", "/v1/test-clock")).statusCode).toBe(200);
    const bySession = await t.app.inject({ url: "/v1/test-clock", headers: { cookie: sessionCookie } });
    expect(bySession.statusCode, bySession.body).toBe(200);
  });

  it("is for the live tenant's owner only, never from inside a sandbox", async () => {
    const admin = await createTestKey(t, live.tenantId, "admin");
    expectProblem(
      await call(admin.auth, "POST", `/v1/sandboxes/${sandbox.tenantId}/archive`),
      403,
      "forbidden",
    );
    expectProblem(
      await call(sandbox.auth, "POST", `/v1/sandboxes/${sandbox.tenantId}/archive`),
      403,
      "sandbox_tenant",
    );
    expectProblem(await call(sandbox.auth, "GET", "/v1/sandboxes"), 403, "sandbox_tenant");
  });

  it("is 404 for a sandbox of another live tenant, the live tenant itself and an unknown id", async () => {
    const other = await createTestTenant(t, "Stranger");
    const theirs = await createSandbox(t, other, "2030-01-01T00:00:00Z");
    for (const id of [theirs.tenantId, live.tenantId, "ten_nope"]) {
      expectProblem(await call(live.auth, "POST", `/v1/sandboxes/${id}/archive`), 404, "sandbox_not_found");
    }
    // Theirs still works.
    expect((await call(theirs.auth, "GET", "/v1/test-clock")).statusCode).toBe(200);
  });

  it("refuses its keys, sessions and member tokens, answers the same when repeated, and is audited once", async () => {
    const res = await call(live.auth, "POST", `/v1/sandboxes/${sandbox.tenantId}/archive`);
    expect(res.statusCode, res.body).toBe(200);
    const archived = json<SandboxView>(res);
    expect(archived).toMatchObject({
      id: sandbox.tenantId,
      status: "archived",
      archived_at: t.clock.now().toISOString(),
    });
    expectProblem(await call(sandbox.auth, "GET", "/v1/test-clock"), 403, "sandbox_archived");
    expectProblem(await call(sandbox.auth, "POST", "/v1/members", { name: "Late" }), 403, "sandbox_archived");
    expectProblem(
      await t.app.inject({
        url: "/v1/member-center/me",
        headers: { authorization: `Bearer ${memberToken}` },
      }),
      403,
      "sandbox_archived",
    );
    expectProblem(
      await t.app.inject({ url: "/v1/test-clock", headers: { cookie: sessionCookie } }),
      403,
      "sandbox_archived",
    );
    t.clock.advance(5000);
    const again = await call(live.auth, "POST", `/v1/sandboxes/${sandbox.tenantId}/archive`);
    expect(again.statusCode).toBe(200);
    expect(json(again)).toEqual(archived);
    const audit = await t.deps.db.tenantTx(live.tenantId, (trx) =>
      trx
        .selectFrom("audit_events")
        .select(["action", "target_id"])
        .where("tenant_id", "=", live.tenantId)
        .where("action", "=", "sandbox.archived")
        .execute(),
    );
    expect(audit).toEqual([{ action: "sandbox.archived", target_id: sandbox.tenantId }]);
    const listed = (await list(live.auth)).data.find((s) => s.id === sandbox.tenantId);
    expect(listed).toEqual(archived);
    // The data stays.
    const members = await t.database.owner
      .selectFrom("members")
      .select("id")
      .where("tenant_id", "=", sandbox.tenantId)
      .execute();
    expect(members).toHaveLength(1);
  });

  it("runs none of its jobs: a job naming it is skipped", async () => {
    let ran = 0;
    const probe = {
      name: "probe",
      jobs: () => [
        {
          name: "probe.job",
          perTenant: true,
          handler: async () => {
            ran++;
          },
        },
      ],
    } as unknown as ModuleManifest;
    const [job] = manifestJobs([probe], t.deps);
    const info = { id: "probe", name: "probe.job", retryCount: 0 };
    expect(await job!.handler({ tenantId: sandbox.tenantId }, info)).toEqual({ skipped: "sandbox_archived" });
    expect(ran).toBe(0);
    await job!.handler({ tenantId: live.tenantId }, info);
    expect(ran).toBe(1);
  });

  it("moves its clock no more, even for a caller past the credentials check", async () => {
    await expect(
      advanceTestClock(t.deps, sandbox.tenantId, new Date("2030-02-01T00:00:00Z")),
    ).rejects.toMatchObject({ code: "sandbox_archived" });
  });
});

describe("the cap of active sandboxes", () => {
  it(`refuses the ${MAX_ACTIVE_SANDBOXES + 1}th active one, and archiving one frees a place`, async () => {
    const capped = await createTestTenant(t, "Capped");
    for (let i = 0; i < MAX_ACTIVE_SANDBOXES - 1; i++) {
      expect((await create(capped, `s${i}`)).statusCode).toBe(201);
    }
    // Two at once for the last place: exactly one gets it.
    const both = await Promise.all([create(capped, "a"), create(capped, "b")]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const refused = expectProblem(await create(capped, "over"), 409, "sandbox_limit_reached");
    expect(refused.detail).toContain(`at most ${MAX_ACTIVE_SANDBOXES} active sandboxes`);
    expect(refused.detail).toContain("archive one to free a place");
    expect(await activeCount(capped.tenantId)).toBe(MAX_ACTIVE_SANDBOXES);

    const victim = (await list(capped.auth)).data[3]!;
    expect((await call(capped.auth, "POST", `/v1/sandboxes/${victim.id}/archive`)).statusCode).toBe(200);
    expect((await create(capped, "freed")).statusCode).toBe(201);
    expectProblem(await create(capped, "over again"), 409, "sandbox_limit_reached");
    expect((await list(capped.auth, "?limit=100")).data).toHaveLength(MAX_ACTIVE_SANDBOXES + 1);
  });

  it("counts a create still in flight: a second create waits for it and is refused", async () => {
    const raced = await createTestTenant(t, "Raced");
    for (let i = 0; i < MAX_ACTIVE_SANDBOXES - 1; i++) {
      expect((await create(raced, `s${i}`)).statusCode).toBe(201);
    }
    const gate = signal();
    const claimed = signal();
    // The first create's transaction: it has taken the last place and not yet committed.
    const first = t.deps.db.systemTx(async (trx) => {
      await claimSandboxPlace(trx, raced.tenantId);
      await trx
        .insertInto("tenants")
        .values({
          id: `ten_race${Date.now()}`,
          name: "first",
          sandbox: true,
          live_tenant_id: raced.tenantId,
          created_at: t.clock.now(),
          updated_at: t.clock.now(),
        })
        .execute();
      claimed.fire();
      await gate.fired;
    });
    await claimed.fired;
    let secondDone = false;
    const second = create(raced, "second").finally(() => {
      secondDone = true;
    });
    await waitFor(async () => secondDone || (await someoneWaitsForALock(t)), "the second create to wait");
    gate.fire();
    await first;
    expectProblem(await second, 409, "sandbox_limit_reached");
    expect(await activeCount(raced.tenantId)).toBe(MAX_ACTIVE_SANDBOXES);
  });
});

describe("restoring an archived sandbox", () => {
  let owner: TestTenant;
  let sandbox: TestTenant;
  let memberToken: string;
  let sessionCookie: string;

  const restore = (auth: { authorization: string }, id: string) =>
    call(auth, "POST", `/v1/sandboxes/${id}/restore`);
  const restoredAudit = (liveTenantId: string, sandboxId: string) =>
    t.deps.db.tenantTx(liveTenantId, (trx) =>
      trx
        .selectFrom("audit_events")
        .select(["action", "target_id"])
        .where("tenant_id", "=", liveTenantId)
        .where("action", "=", "sandbox.restored")
        .where("target_id", "=", sandboxId)
        .execute(),
    );
  const statusOf = async (liveTenantId: string, sandboxId: string) =>
    (
      await t.database.owner
        .selectFrom("tenants")
        .select(["archived_at", "updated_at"])
        .where("id", "=", sandboxId)
        .where("live_tenant_id", "=", liveTenantId)
        .executeTakeFirstOrThrow()
    ).archived_at;
  /** A live tenant with `active` active sandboxes and `archived` archived ones (ids, oldest first). */
  const withSandboxes = async (name: string, active: number, archived: number) => {
    const tenant = await createTestTenant(t, name);
    const archivedIds: string[] = [];
    for (let i = 0; i < archived; i++) {
      const res = await create(tenant, `old${i}`);
      expect(res.statusCode, res.body).toBe(201);
      const id = json<{ id: string }>(res).id;
      expect((await call(tenant.auth, "POST", `/v1/sandboxes/${id}/archive`)).statusCode).toBe(200);
      archivedIds.push(id);
    }
    for (let i = 0; i < active; i++) expect((await create(tenant, `s${i}`)).statusCode).toBe(201);
    expect(await activeCount(tenant.tenantId)).toBe(active);
    return { tenant, archivedIds };
  };

  beforeAll(async () => {
    owner = await createTestTenant(t, "Restorer");
    ({ sandbox, memberToken, sessionCookie } = await sandboxWithCredentials(owner, "back"));
  });

  it("answers an active sandbox unchanged and writes nothing", async () => {
    const before = (await list(owner.auth)).data.find((s) => s.id === sandbox.tenantId)!;
    expect(before.status).toBe("active");
    const updatedAt = async () =>
      (
        await t.database.owner
          .selectFrom("tenants")
          .select("updated_at")
          .where("id", "=", sandbox.tenantId)
          .executeTakeFirstOrThrow()
      ).updated_at;
    const stamped = await updatedAt();
    t.clock.advance(1000);
    const res = await restore(owner.auth, sandbox.tenantId);
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toEqual(before);
    expect(await updatedAt()).toEqual(stamped);
    expect(await restoredAudit(owner.tenantId, sandbox.tenantId)).toEqual([]);
  });

  it("is for the live tenant's owner only, never from inside a sandbox", async () => {
    expect((await call(owner.auth, "POST", `/v1/sandboxes/${sandbox.tenantId}/archive`)).statusCode).toBe(
      200,
    );
    for (const role of ["admin", "operator"] as const) {
      const key = await createTestKey(t, owner.tenantId, role);
      expectProblem(await restore(key.auth, sandbox.tenantId), 403, "forbidden");
    }
    const other = await createSandbox(t, owner, "2030-01-01T00:00:00Z");
    expectProblem(await restore(other.auth, sandbox.tenantId), 403, "sandbox_tenant");
    expect(await statusOf(owner.tenantId, sandbox.tenantId)).not.toBeNull();
  });

  it("is 404 for another live tenant's sandbox, the live tenant itself and an unknown id", async () => {
    const stranger = await createTestTenant(t, "Restore stranger");
    const theirs = await createSandbox(t, stranger, "2030-01-01T00:00:00Z");
    expect((await call(stranger.auth, "POST", `/v1/sandboxes/${theirs.tenantId}/archive`)).statusCode).toBe(
      200,
    );
    for (const id of [theirs.tenantId, owner.tenantId, "ten_nope"]) {
      expectProblem(await restore(owner.auth, id), 404, "sandbox_not_found");
    }
    // Theirs stays archived.
    expect(await statusOf(stranger.tenantId, theirs.tenantId)).not.toBeNull();
    expectProblem(await call(theirs.auth, "GET", "/v1/test-clock"), 403, "sandbox_archived");
  });

  it("accepts its keys, sessions and member tokens again, lists it active, and is audited once", async () => {
    expectProblem(await call(sandbox.auth, "GET", "/v1/test-clock"), 403, "sandbox_archived");
    t.clock.advance(1000);
    const res = await restore(owner.auth, sandbox.tenantId);
    expect(res.statusCode, res.body).toBe(200);
    const restored = json<SandboxView>(res);
    expect(restored).toMatchObject({ id: sandbox.tenantId, status: "active", archived_at: null });
    // Its frozen clock stands where it stood.
    expect(restored.clock.now).toBe("2030-01-01T00:00:00.000Z");
    expect((await list(owner.auth)).data.find((s) => s.id === sandbox.tenantId)).toEqual(restored);

    const clockRes = await call(sandbox.auth, "GET", "/v1/test-clock");
    expect(clockRes.statusCode, clockRes.body).toBe(200);
    const member = await call(sandbox.auth, "POST", "/v1/members", { name: "After" });
    expect(member.statusCode, member.body).toBe(201);
    const me = await t.app.inject({
      url: "/v1/member-center/me",
      headers: { authorization: `Bearer ${memberToken}` },
    });
    expect(me.statusCode, me.body).toBe(200);
    const bySession = await t.app.inject({ url: "/v1/test-clock", headers: { cookie: sessionCookie } });
    expect(bySession.statusCode, bySession.body).toBe(200);
    // Its clock moves again.
    const advanced = await call(sandbox.auth, "POST", "/v1/test-clock/advance", {
      to: "2030-01-01T01:00:00Z",
    });
    expect(advanced.statusCode, advanced.body).toBe(200);

    const again = await restore(owner.auth, sandbox.tenantId);
    expect(again.statusCode).toBe(200);
    expect(json<SandboxView>(again).status).toBe("active");
    expect(await restoredAudit(owner.tenantId, sandbox.tenantId)).toEqual([
      { action: "sandbox.restored", target_id: sandbox.tenantId },
    ]);
  });

  it(`is refused when ${MAX_ACTIVE_SANDBOXES} are active, and changes nothing`, async () => {
    const { tenant, archivedIds } = await withSandboxes("Full", MAX_ACTIVE_SANDBOXES, 1);
    const id = archivedIds[0]!;
    const archivedAt = await statusOf(tenant.tenantId, id);
    const refused = expectProblem(await restore(tenant.auth, id), 409, "sandbox_limit_reached");
    expect(refused.detail).toContain(`at most ${MAX_ACTIVE_SANDBOXES} active sandboxes`);
    expect(refused.detail).toContain("archive one to free a place");
    expect(await activeCount(tenant.tenantId)).toBe(MAX_ACTIVE_SANDBOXES);
    expect(await statusOf(tenant.tenantId, id)).toEqual(archivedAt);
    expect(await restoredAudit(tenant.tenantId, id)).toEqual([]);
    expect((await list(tenant.auth, "?limit=100")).data.find((s) => s.id === id)!.status).toBe("archived");
  });

  it("lets exactly one of two restores at once take the last place", async () => {
    const { tenant, archivedIds } = await withSandboxes("Restore race", MAX_ACTIVE_SANDBOXES - 1, 2);
    const both = await Promise.all(archivedIds.map((id) => restore(tenant.auth, id)));
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await activeCount(tenant.tenantId)).toBe(MAX_ACTIVE_SANDBOXES);
    const loser = archivedIds[both.findIndex((r) => r.statusCode === 409)]!;
    expect(await statusOf(tenant.tenantId, loser)).not.toBeNull();
  });

  it("counts a restore still in flight: a second restore waits for it and is refused", async () => {
    const { tenant, archivedIds } = await withSandboxes("Restore gate", MAX_ACTIVE_SANDBOXES - 1, 2);
    const [firstId, secondId] = archivedIds as [string, string];
    const gate = signal();
    const claimed = signal();
    // The first restore's transaction: it has taken the last place and not yet committed.
    const first = t.deps.db.systemTx(async (trx) => {
      await claimSandboxPlace(trx, tenant.tenantId);
      await trx.updateTable("tenants").set({ archived_at: null }).where("id", "=", firstId).execute();
      claimed.fire();
      await gate.fired;
    });
    await claimed.fired;
    let secondDone = false;
    const second = restore(tenant.auth, secondId).finally(() => {
      secondDone = true;
    });
    await waitFor(async () => secondDone || (await someoneWaitsForALock(t)), "the second restore to wait");
    gate.fire();
    await first;
    expectProblem(await second, 409, "sandbox_limit_reached");
    expect(await activeCount(tenant.tenantId)).toBe(MAX_ACTIVE_SANDBOXES);
    expect(await statusOf(tenant.tenantId, secondId)).not.toBeNull();
  });
});
