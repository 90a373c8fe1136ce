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
import { waitFor } from "../../../test/helpers/wait.js";
import { runDue, upsertSchedule } from "../jobs/schedules.js";

let t: TestApp;
let live: TestTenant;
let sandbox: { id: string; auth: { authorization: string }; key: string };

const call = (
  auth: { authorization: string },
  method: "GET" | "POST",
  url: string,
  payload?: object,
  key?: string,
) =>
  t.app.inject({
    method,
    url,
    headers: { ...auth, ...(key ? { "idempotency-key": key } : {}) },
    ...(payload ? { payload } : {}),
  });

beforeAll(async () => {
  t = await createTestApp();
  live = await createTestTenant(t, "Acme");
  const res = await call(live.auth, "POST", "/v1/sandboxes", {
    name: "Acme (sandbox)",
    clock_starts_at: "2030-01-01T00:00:00Z",
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = json<{ id: string; api_key: string }>(res);
  sandbox = { id: body.id, key: body.api_key, auth: { authorization: `Bearer ${body.api_key}` } };
});
afterAll(async () => t?.close());

describe("sandbox tenants", () => {
  it("are created by a live tenant's owner, linked to it, with vs_test_ keys (live keys stay vs_key_)", async () => {
    expect(sandbox.key).toMatch(/^vs_test_/);
    expect(live.key).toMatch(/^vs_key_/);
    const row = await t.deps.db.systemTx((trx) =>
      trx
        .selectFrom("tenants")
        .select(["sandbox", "live_tenant_id", "timezone"])
        .where("id", "=", sandbox.id)
        .executeTakeFirstOrThrow(),
    );
    expect(row).toEqual({ sandbox: true, live_tenant_id: live.tenantId, timezone: "Asia/Shanghai" });
    // Keys the sandbox makes later are test keys too.
    const more = await createTestKey(t, sandbox.id, "operator");
    expect(more.key).toMatch(/^vs_test_/);
  });

  it("refuses an admin (owners only), a scoped key, and a sandbox creating a sandbox", async () => {
    const admin = await createTestKey(t, live.tenantId, "admin");
    expect((await call(admin.auth, "POST", "/v1/sandboxes", { name: "x" })).statusCode).toBe(403);
    expectProblem(await call(sandbox.auth, "POST", "/v1/sandboxes", { name: "x" }), 403, "sandbox_tenant");
  });

  it("keeps data apart: the sandbox's members are not the live tenant's", async () => {
    const created = await call(sandbox.auth, "POST", "/v1/members", { name: "Sandy" }, "m-1");
    expect(created.statusCode, created.body).toBe(201);
    const member = json<{ id: string; created_at: string }>(created);
    // Written at the sandbox's time, not the live one's.
    expect(member.created_at).toBe("2030-01-01T00:00:00.000Z");
    expect((await call(live.auth, "GET", `/v1/members/${member.id}`)).statusCode).toBe(404);
  });

  it("starts its clock no earlier than 2000-01-01 and no later than 100 years from now, writing nothing past them", async () => {
    const sandboxes = async () =>
      (
        await t.database.owner
          .selectFrom("tenants")
          .select("id")
          .where("live_tenant_id", "=", live.tenantId)
          .execute()
      ).length;
    const before = await sandboxes();
    // The test's real clock stands at 2026-11-23T08:00:00Z.
    for (const startsAt of [
      "0000-01-01T00:00:00Z",
      "1999-12-31T23:59:59Z",
      "2126-11-23T08:00:01Z",
      "9999-12-31T23:59:59Z",
    ]) {
      const res = await call(live.auth, "POST", "/v1/sandboxes", { name: "x", clock_starts_at: startsAt });
      const body = expectProblem(res, 400, "validation_failed") as { errors?: { field: string }[] };
      expect(body.errors?.map((e) => e.field)).toEqual(["/body/clock_starts_at"]);
    }
    expect(await sandboxes()).toBe(before);
    for (const startsAt of ["2000-01-01T00:00:00Z", "2126-11-23T08:00:00Z"]) {
      const res = await call(live.auth, "POST", "/v1/sandboxes", { name: "x", clock_starts_at: startsAt });
      expect(res.statusCode, res.body).toBe(201);
      expect(json<{ clock: { now: string } }>(res).clock.now).toBe(new Date(startsAt).toISOString());
    }
  });
});

describe("the test clock", () => {
  it("reads frozen at its start; a live tenant has none", async () => {
    const res = await call(sandbox.auth, "GET", "/v1/test-clock");
    expect(json(res)).toEqual({
      object: "test_clock",
      now: "2030-01-01T00:00:00.000Z",
      status: "frozen",
      offset_ms: 0,
    });
    expectProblem(await call(live.auth, "GET", "/v1/test-clock"), 403, "live_tenant");
  });

  it("refuses a live tenant's advance, a step back and more than two years", async () => {
    expectProblem(
      await call(live.auth, "POST", "/v1/test-clock/advance", { to: "2031-01-01T00:00:00Z" }, "a-live"),
      403,
      "live_tenant",
    );
    expectProblem(
      await call(sandbox.auth, "POST", "/v1/test-clock/advance", { to: "2029-12-31T23:59:59Z" }, "a-back"),
      422,
      "clock_backwards",
    );
    expectProblem(
      await call(sandbox.auth, "POST", "/v1/test-clock/advance", { to: "2032-01-03T00:00:00Z" }, "a-far"),
      422,
      "advance_too_far",
    );
    expect(json(await call(sandbox.auth, "GET", "/v1/test-clock")).now).toBe("2030-01-01T00:00:00.000Z");
  });

  it("advances forward, once per Idempotency-Key, and every request then sees the new time", async () => {
    const first = await call(
      sandbox.auth,
      "POST",
      "/v1/test-clock/advance",
      { to: "2030-01-02T08:00:00+08:00" },
      "a-1",
    );
    expect(first.statusCode, first.body).toBe(200);
    expect(json(first)).toMatchObject({ now: "2030-01-02T00:00:00.000Z", advance: { complete: true } });
    const again = await call(
      sandbox.auth,
      "POST",
      "/v1/test-clock/advance",
      { to: "2030-01-02T08:00:00+08:00" },
      "a-1",
    );
    expect(again.body).toBe(first.body);
    const member = json<{ created_at: string }>(
      await call(sandbox.auth, "POST", "/v1/members", { name: "Later" }, "m-2"),
    );
    expect(member.created_at).toBe("2030-01-02T00:00:00.000Z");
    // The live tenant is on the (test's) real clock all along.
    const liveMember = json<{ created_at: string }>(
      await call(live.auth, "POST", "/v1/members", { name: "Live" }, "m-3"),
    );
    expect(liveMember.created_at).toBe(t.clock.now().toISOString());
  });

  it("keeps a sandbox's business schedules out of the real-time scheduler", async () => {
    const schedule = { key: "probe", jobName: "deposits.recheck", spec: { every_minutes: 20 } } as const;
    await t.deps.db.tenantTx(sandbox.id, (trx) =>
      upsertSchedule(trx, sandbox.id, schedule, new Date("2020-01-01T00:00:00Z")),
    );
    await t.deps.db.tenantTx(live.tenantId, (trx) =>
      upsertSchedule(trx, live.tenantId, schedule, new Date("2020-01-01T00:00:00Z")),
    );
    const enqueued: string[] = [];
    await runDue(
      t.deps.db,
      async (_trx, _name, data) => void enqueued.push(String(data.tenantId)),
      t.clock.now(),
    );
    expect(enqueued).toEqual([live.tenantId]);
  });
});

describe("two advances of one test clock at once", () => {
  it("never moves the clock back: the later-locked advance to an instant already passed is clock_backwards", async () => {
    const res = await call(live.auth, "POST", "/v1/sandboxes", {
      name: "Acme (race)",
      clock_starts_at: "2030-01-01T00:00:00Z",
    });
    const other = json<{ id: string; api_key: string }>(res);
    const auth = { authorization: `Bearer ${other.api_key}` };
    // Another advance holds the clock row and moves it to March; this one asks for February.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const first = t.deps.db.tenantTx(other.id, async (trx) => {
      await trx
        .updateTable("tenant_clocks")
        .set({ frozen_at: new Date("2030-03-01T00:00:00Z") })
        .where("tenant_id", "=", other.id)
        .execute();
      locked();
      await gate;
    });
    await isLocked;
    const second = call(auth, "POST", "/v1/test-clock/advance", { to: "2030-02-01T00:00:00Z" }, "race-2");
    await waitFor(() => someoneWaitsForALock(t), "the second advance to wait for the clock");
    release();
    await first;
    expectProblem(await second, 422, "clock_backwards");
    expect(json(await call(auth, "GET", "/v1/test-clock")).now).toBe("2030-03-01T00:00:00.000Z");
  });
});
