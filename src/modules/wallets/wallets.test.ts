import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { MAX_POINTS_PER_OPERATION } from "./change-points.js";
import { exchangeAmount } from "./exchange-points.js";
import { lotExpiry } from "./points-lots.js";

let t: TestApp;
let tenant: TestTenant;
let call: ReturnType<typeof walletClient>["call"];
let ok: ReturnType<typeof walletClient>["ok"];
let balance: ReturnType<typeof walletClient>["balance"];
let newMember: ReturnType<typeof walletClient>["newMember"];
type Body = Record<string, unknown>;
interface Bal {
  principal: number;
  bonus: number;
  total: number;
  available: number;
  held: number;
  points: number;
  referral_points: number;
}

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  ({ call, ok, balance, newMember } = walletClient(t, tenant));
});
afterAll(async () => t?.close());

describe("settings", () => {
  it("defaults to the tenant currency with a 1,000,000.00 cap, and takes a house currency before any balance exists", async () => {
    const s = await ok("GET", "/v1/wallet-settings");
    expect(s).toMatchObject({
      asset: { code: "CNY", scale: 2 },
      max_single_amount: 100_000_000,
      spend_order: "bonus_first",
    });
    const other = await createTestTenant(t, "House currency");
    const r = await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      headers: other.auth,
      payload: { asset: { code: "GOLD", scale: 0, symbol: "★", name: "Gold stars" } },
    });
    expect(json(r)).toMatchObject({
      asset: { code: "GOLD", scale: 0, symbol: "★" },
      max_single_amount: 1_000_000,
    });
  });

  it("refuses to change the asset once members hold balances", async () => {
    const m = await newMember();
    await ok("POST", `/v1/members/${m}/top-ups`, { amount: 100 });
    expectProblem(
      await call("PATCH", "/v1/wallet-settings", { asset: { code: "USD", scale: 2, name: "US dollar" } }),
      409,
      "balance_asset_locked",
    );
  });
});

describe("a balance asset change racing a member's first operation", () => {
  it("never leaves a member's accounts in the old asset: the operation is refused and can be retried", async () => {
    const other = await createTestTenant(t, "Asset race");
    const c = walletClient(t, other);
    await c.ok("PATCH", "/v1/wallet-settings", { spend_order: "bonus_first" });
    const m = await c.newMember();
    // Another change of the member holds its row: the top-up reads the settings (CNY), then waits.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding!: () => void;
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const review = t.deps.db.tenantTx(other.tenantId, async (trx) => {
      await trx.selectFrom("members").select("id").where("id", "=", m).forUpdate().execute();
      holding();
      await released;
    });
    await held;
    const topUp = c.call("POST", `/v1/members/${m}/top-ups`, { amount: 100 });
    await waitFor(async () => {
      const waiting = await sql<{ n: string }>`
        select count(*) as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock'`.execute(t.database.owner);
      return Number(waiting.rows[0]?.n) > 0;
    }, "the top-up to wait for the member");
    // No member holds a balance yet, so the asset may change.
    await c.ok("PATCH", "/v1/wallet-settings", {
      asset: { code: "HKD", scale: 2, name: "Hong Kong dollar" },
    });
    release();
    await review;
    expectProblem(await topUp, 409, "balance_asset_changed");
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 100 });
    expect(await c.balance(m)).toMatchObject({ principal: 100, total: 100 });
    const accounts = await t.database.owner
      .selectFrom("ledger_accounts")
      .select("asset")
      .where("tenant_id", "=", other.tenantId)
      .where("owner_id", "=", m)
      .execute();
    expect(accounts.map((a) => a.asset)).toEqual(["HKD", "HKD"]);
    await tenantTrail(t, other.tenantId).ledgerClean();
  });
});

describe("offline top-up and withdrawal", () => {
  it("credits principal and bonus, and withdraws principal first, never above the balance", async () => {
    const m = await newMember();
    const r = await ok<{ balance: Bal }>("POST", `/v1/members/${m}/top-ups`, {
      amount: 10_000,
      bonus_amount: 500,
      reason: "cash",
    });
    expect(r.balance).toMatchObject({ principal: 10_000, bonus: 500, total: 10_500, available: 10_500 });
    expectProblem(
      await call("POST", `/v1/members/${m}/withdrawals`, { amount: 10_501 }),
      422,
      "insufficient_balance",
    );
    const w = await ok<{ balance: Bal }>("POST", `/v1/members/${m}/withdrawals`, { amount: 10_200 });
    expect(w.balance).toMatchObject({ principal: 0, bonus: 300, total: 300 });
  });

  it("refuses zero, negative, fractional and capped amounts, unknown and closed members, writing nothing", async () => {
    const m = await newMember();
    for (const amount of [0, -5, 1.5, "10"]) {
      expectProblem(await call("POST", `/v1/members/${m}/top-ups`, { amount }), 400, "validation_failed");
    }
    const capped = expectProblem(
      await call("POST", `/v1/members/${m}/top-ups`, { amount: 100_000_001 }),
      422,
      "amount_above_cap",
    );
    expect(capped).toMatchObject({ cap: 100_000_000 });
    expectProblem(
      await call("POST", "/v1/members/mbr_nobody/top-ups", { amount: 1 }),
      404,
      "member_not_found",
    );
    const closed = await newMember();
    await ok("PATCH", `/v1/members/${closed}`, { status: "closed" });
    expectProblem(await call("POST", `/v1/members/${closed}/top-ups`, { amount: 1 }), 422, "member_closed");
    expect(await balance(m)).toMatchObject({ total: 0 });
    const changes = await ok<{ data: unknown[] }>("GET", `/v1/members/${m}/balance-changes`);
    expect(changes.data).toHaveLength(0);
  });

  it("replays a retried top-up instead of crediting twice", async () => {
    const m = await newMember();
    const headers = { ...tenant.auth, "idempotency-key": "topup-once" };
    const a = await t.app.inject({
      method: "POST",
      url: `/v1/members/${m}/top-ups`,
      headers,
      payload: { amount: 700 },
    });
    const b = await t.app.inject({
      method: "POST",
      url: `/v1/members/${m}/top-ups`,
      headers,
      payload: { amount: 700 },
    });
    expect(b.headers["idempotent-replayed"]).toBe("true");
    expect(json(b)).toEqual(json(a));
    expect(await balance(m)).toMatchObject({ total: 700 });
  });
});

describe("rewards", () => {
  it("grants balance to bonus and points, with per-source totals", async () => {
    const m = await newMember();
    await ok("POST", `/v1/members/${m}/rewards`, {
      account: "balance",
      amount: 300,
      source: "form",
      source_ref: "sub_1",
    });
    await ok("POST", `/v1/members/${m}/rewards`, {
      account: "balance",
      amount: 200,
      source: "form",
      source_ref: "sub_2",
    });
    await ok("POST", `/v1/members/${m}/rewards`, { account: "balance", amount: 50, source: "referral" });
    await ok("POST", `/v1/members/${m}/rewards`, { account: "points", amount: 40, source: "promotion" });
    await ok("POST", `/v1/members/${m}/rewards`, {
      account: "referral_points",
      amount: 900,
      source: "referral",
    });
    expect(await balance(m)).toMatchObject({ principal: 0, bonus: 550, points: 40, referral_points: 900 });
    const totals = await ok<{ data: Body[] }>("GET", `/v1/members/${m}/reward-totals`);
    expect(totals.data).toEqual([
      { account: "balance", source: "form", asset: "CNY", total: 500, count: 2 },
      { account: "balance", source: "referral", asset: "CNY", total: 50, count: 1 },
      { account: "points", source: "promotion", asset: "POINTS", total: 40, count: 1 },
      { account: "referral_points", source: "referral", asset: "POINTS", total: 900, count: 1 },
    ]);
    expectProblem(
      await call("POST", `/v1/members/${m}/rewards`, { account: "balance", amount: 1, source: "lottery" }),
      400,
      "validation_failed",
    );
  });
});

describe("points rewards", () => {
  it("move at most as many points as any points operation, and a refusal writes nothing", async () => {
    const m = await newMember();
    for (const account of ["points", "referral_points"]) {
      const r = expectProblem(
        await call("POST", `/v1/members/${m}/rewards`, {
          account,
          amount: MAX_POINTS_PER_OPERATION + 1,
          source: "promotion",
        }),
        400,
        "validation_failed",
      );
      expect(JSON.stringify((r as { errors?: unknown }).errors)).toContain("/body/amount");
      await ok("POST", `/v1/members/${m}/rewards`, {
        account,
        amount: MAX_POINTS_PER_OPERATION,
        source: "promotion",
      });
    }
    expect(await balance(m)).toMatchObject({
      points: MAX_POINTS_PER_OPERATION,
      referral_points: MAX_POINTS_PER_OPERATION,
    });
    const totals = await ok<{ data: Body[] }>("GET", `/v1/members/${m}/reward-totals`);
    expect(totals.data.map((x) => x.count)).toEqual([1, 1]);
  });
});

describe("points", () => {
  it("earns, spends, adjusts and never goes below zero", async () => {
    const m = await newMember();
    await ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 100, reference: "order-1" });
    await ok("POST", `/v1/members/${m}/points`, { operation: "spend", points: 30 });
    await ok("POST", `/v1/members/${m}/points`, { operation: "adjust", points: -20, reason: "correction" });
    expect(await balance(m)).toMatchObject({ points: 50 });
    const short = expectProblem(
      await call("POST", `/v1/members/${m}/points`, { operation: "spend", points: 51 }),
      422,
      "insufficient_points",
    );
    expect(short).toMatchObject({ shortfall: 1 });
    expectProblem(
      await call("POST", `/v1/members/${m}/points`, { operation: "adjust", points: 5 }),
      400,
      "validation_failed",
    );
    expectProblem(
      await call("POST", `/v1/members/${m}/points`, { operation: "earn", points: -5 }),
      400,
      "validation_failed",
    );
  });

  it("expires lots by earning date, spending the earliest first", async () => {
    const other = await createTestTenant(t, "Points tenant");
    await t.app.inject({
      method: "PATCH",
      url: "/v1/tenant",
      headers: other.auth,
      payload: { timezone: "Asia/Shanghai" },
    });
    await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      headers: other.auth,
      payload: { points_validity_days: 30 },
    });
    const otherClient = walletClient(t, other);
    const post = (url: string, payload: object) => otherClient.call("POST", url, payload);
    const m = json<{ id: string }>(await post("/v1/members", { name: "P" })).id;
    await post(`/v1/members/${m}/points`, { operation: "earn", points: 100 }); // day 0
    t.clock.advance(10 * 86_400_000);
    await post(`/v1/members/${m}/points`, { operation: "earn", points: 50 }); // day 10
    await post(`/v1/members/${m}/points`, { operation: "spend", points: 30 }); // from the day-0 lot
    const read = async () =>
      json<Bal>(await t.app.inject({ method: "GET", url: `/v1/members/${m}/balance`, headers: other.auth }))
        .points;
    expect(await read()).toBe(120);
    t.clock.advance(21 * 86_400_000); // day 31: the day-0 lot (70 left) is past its last day
    const { expirePoints } = await import("./expire-points.js");
    expect(await read()).toBe(50);
    expect(await expirePoints(t.deps.ledger, other.tenantId, t.clock.now())).toBe(1);
    expect(await expirePoints(t.deps.ledger, other.tenantId, t.clock.now())).toBe(0);
    const log = json<{ data: Body[] }>(
      await t.app.inject({
        method: "GET",
        url: `/v1/members/${m}/balance-changes?account=points`,
        headers: other.auth,
      }),
    );
    expect(log.data[0]).toMatchObject({ kind: "points_expire", amount: -70, balance_after: 50 });
  });

  it("computes lot expiry at the end of the last day in the tenant's time zone", () => {
    // 2026-11-23 20:00 UTC is 2026-11-24 04:00 in Shanghai: earned on the 24th.
    const e = lotExpiry(30, "Asia/Shanghai", new Date("2026-11-23T20:00:00Z"));
    expect(e.key).toBe("20261224");
    expect(e.expiresAt?.toISOString()).toBe("2026-12-24T16:00:00.000Z");
    expect(lotExpiry(null, "UTC", new Date()).expiresAt).toBeNull();
  });
});

describe("exchange", () => {
  it.each([
    [150, "100", 2, 150],
    [1, "3", 2, 33],
    [2, "3", 2, 66],
    [99, "100", 0, 0],
    [1000, "0.5", 2, 200_000],
    [7, "2.5", 2, 280],
  ])(
    "%i points at %s per unit (scale %i) → %i minor units, rounded down",
    (points, ratio, scale, expected) => {
      expect(exchangeAmount(points, ratio, scale)).toBe(expected);
    },
  );

  it("exchanges points and referral points into bonus at the tenant default or a given ratio", async () => {
    const m = await newMember();
    await ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 1000 });
    await ok("POST", `/v1/members/${m}/rewards`, {
      account: "referral_points",
      amount: 10,
      source: "referral",
    });
    const a = await ok<{ credited: number; balance: Bal }>("POST", `/v1/members/${m}/exchanges`, {
      from: "points",
      points: 250,
    });
    expect(a.credited).toBe(250);
    const b = await ok<{ credited: number; balance: Bal }>("POST", `/v1/members/${m}/exchanges`, {
      from: "referral_points",
      points: 10,
      points_per_unit: "3",
    });
    expect(b.credited).toBe(333);
    expect(b.balance).toMatchObject({ bonus: 583, principal: 0, points: 750, referral_points: 0 });
    expectProblem(
      await call("POST", `/v1/members/${m}/exchanges`, { from: "points", points: 751 }),
      422,
      "insufficient_points",
    );
    expectProblem(
      await call("POST", `/v1/members/${m}/exchanges`, {
        from: "points",
        points: 1,
        points_per_unit: "1000",
      }),
      422,
      "exchange_too_small",
    );
  });

  it("a member exchanges its own points at the tenant's ratio; never another member's, another ratio, or a hidden balance", async () => {
    const m = await newMember();
    const other = await newMember();
    await ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 500 });
    await ok("POST", `/v1/members/${other}/points`, { operation: "earn", points: 500 });
    const auth = await memberAuth(t, tenant, m);
    const own = await call("POST", `/v1/members/${m}/exchanges`, { from: "points", points: 200 }, auth);
    expect(own.statusCode, own.body).toBe(201);
    expect(json<{ credited: number; balance: Bal }>(own)).toMatchObject({
      credited: 200,
      balance: { bonus: 200, points: 300 },
    });
    expectProblem(
      await call("POST", `/v1/members/${other}/exchanges`, { from: "points", points: 100 }, auth),
      404,
      "member_not_found",
    );
    expectProblem(
      await call(
        "POST",
        `/v1/members/${m}/exchanges`,
        { from: "points", points: 100, points_per_unit: "1" },
        auth,
      ),
      403,
      "forbidden",
    );
    await ok("PATCH", "/v1/wallet-settings", { hide_balance_in_member_center: true });
    try {
      expectProblem(
        await call("POST", `/v1/members/${m}/exchanges`, { from: "points", points: 100 }, auth),
        403,
        "balance_hidden",
      );
    } finally {
      await ok("PATCH", "/v1/wallet-settings", { hide_balance_in_member_center: false });
    }
    // Nothing moved for the refused calls.
    expect(await balance(other)).toMatchObject({ bonus: 0, points: 500 });
    expect(await balance(m)).toMatchObject({ bonus: 200, points: 300 });
  });
});
