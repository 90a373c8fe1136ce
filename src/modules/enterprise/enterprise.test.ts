import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { roundTripsOf } from "../../../test/helpers/metrics.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { createAsset } from "../../ledger/index.js";

let t: TestApp;
let tenant: TestTenant;
type Unit = { id: string; path: string };
let enterprise: Unit;
let m1: Unit;
let m2: Unit;
let m3: Unit;
let keys: { owner: Record<string, string>; master: Record<string, string>; m1: Record<string, string> };

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  await t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
    await createAsset(trx, tenant.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, t.clock.now());
    await createAsset(trx, tenant.tenantId, { code: "GB", scale: 0, name: "Gigabyte" }, t.clock.now());
  });
  const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
  enterprise = await createTestOrgUnit(t, tenant.tenantId, root, "enterprise", "Master");
  m1 = await createTestOrgUnit(t, tenant.tenantId, enterprise, "member_account", "M1");
  m2 = await createTestOrgUnit(t, tenant.tenantId, enterprise, "member_account", "M2");
  m3 = await createTestOrgUnit(t, tenant.tenantId, enterprise, "member_account", "M3");
  keys = {
    owner: tenant.auth,
    master: (await createTestKey(t, tenant.tenantId, "operator", enterprise.id)).auth,
    m1: (await createTestKey(t, tenant.tenantId, "operator", m1.id)).auth,
  };
});
afterAll(async () => t?.close());

type Headers = Record<string, string>;
const post = (url: string, headers: Headers, payload: unknown) =>
  t.app.inject({ method: "POST", url, headers, payload: payload as object });
const get = (url: string, headers: Headers) => t.app.inject({ url, headers });
const associate = (member: Unit) =>
  post(`/v1/enterprises/${enterprise.id}/members`, keys.master, { member_id: member.id });
const sharingOf = async (member: Unit) =>
  json<{ sharing_enabled: boolean }>(await get(`/v1/enterprise-members/${member.id}`, keys.master))
    .sharing_enabled;
const days = (n: number) => new Date(t.clock.now().getTime() + n * 86_400_000).toISOString();

describe("benefits sharing switches", () => {
  it("the global switch decides only for members associated afterwards", async () => {
    expect((await associate(m1)).statusCode).toBe(201);
    expect(await sharingOf(m1)).toBe(false);
    await post(`/v1/enterprises/${enterprise.id}/sharing`, keys.master, { enabled: true });
    expect((await associate(m2)).statusCode).toBe(201);
    expect(await sharingOf(m2)).toBe(true);
    expect(await sharingOf(m1)).toBe(false);
    await post(`/v1/enterprises/${enterprise.id}/sharing`, keys.master, { enabled: false });
    expect(await sharingOf(m2)).toBe(true);
    expect((await associate(m3)).statusCode).toBe(201);
    expect(await sharingOf(m3)).toBe(false);
    expectProblem(await associate(m3), 409, "member_already_associated");
  });

  it("per member and in batches of at most 100, every change listed per member", async () => {
    const one = await post(`/v1/enterprise-members/${m1.id}/sharing`, keys.master, { enabled: true });
    expect(json(one)).toMatchObject({ sharing_enabled: true });
    const tooMany = await post(`/v1/enterprises/${enterprise.id}/members/sharing`, keys.master, {
      member_ids: Array.from({ length: 101 }, (_, i) => `org_${i}`),
      enabled: false,
    });
    const problem = expectProblem(tooMany, 400, "limit_exceeded");
    expect(problem.detail).toMatch(/100/);
    expect(problem.detail).toMatch(/repeat/);
    const batch = await post(`/v1/enterprises/${enterprise.id}/members/sharing`, keys.master, {
      member_ids: [m2.id, m3.id],
      enabled: false,
    });
    expect(batch.statusCode, batch.body).toBe(200);
    expect(await sharingOf(m2)).toBe(false);
    await post(`/v1/enterprises/${enterprise.id}/members/sharing`, keys.master, {
      member_ids: [m2.id],
      enabled: true,
    });
    const changes = json<{ data: { via: string; enabled: boolean }[] }>(
      await get(`/v1/enterprise-members/${m2.id}/sharing-changes`, keys.master),
    ).data;
    expect(changes.map((c) => [c.via, c.enabled])).toEqual([
      ["association", true],
      ["batch", false],
      ["batch", true],
    ]);
    // A member account switches nothing and sees only itself.
    expectProblem(
      await post(`/v1/enterprise-members/${m1.id}/sharing`, keys.m1, { enabled: false }),
      404,
      "enterprise_not_found",
    );
    expect((await get(`/v1/enterprise-members/${m1.id}`, keys.m1)).statusCode).toBe(200);
    expectProblem(await get(`/v1/enterprise-members/${m2.id}`, keys.m1), 404, "member_account_not_found");
  });
});

describe("resource packages", () => {
  it("usage draws own packages first, then the master's if sharing is on; the rest is billable", async () => {
    const grant = (owner: Unit, quantity: number, expiresIn: number) =>
      post("/v1/resource-packages", keys.owner, {
        owner_id: owner.id,
        product_code: "cos",
        unit: "GB",
        quantity,
        expires_at: days(expiresIn),
      });
    const master = json<{ id: string }>(await grant(enterprise, 1_000, 60));
    const ownLate = json<{ id: string }>(await grant(m1, 50, 30));
    const ownEarly = json<{ id: string }>(await grant(m1, 50, 10));
    const usage = (id: string, account: Unit, quantity: number) =>
      post("/v1/resource-usages", keys.owner, {
        usage_id: id,
        account_id: account.id,
        product_code: "cos",
        unit: "GB",
        quantity,
      });
    const first = json<{
      draws: { package_id: string; quantity: number; shared: boolean }[];
      billable_quantity: number;
    }>(await usage("u1", m1, 130));
    expect(first.draws).toEqual([
      { package_id: ownEarly.id, quantity: 50, shared: false },
      { package_id: ownLate.id, quantity: 50, shared: false },
      { package_id: master.id, quantity: 30, shared: true },
    ]);
    expect(first.billable_quantity).toBe(0);
    expect(json(await usage("u1", m1, 130))).toEqual(first);
    expectProblem(await usage("u1", m1, 131), 409, "usage_id_reused");
    // m3's sharing is off: nothing of the master's, all billable.
    expect(json(await usage("u2", m3, 40))).toMatchObject({ covered_quantity: 0, billable_quantity: 40 });
    // The master's package covers what is left and no more.
    expect(json(await usage("u3", m2, 2_000))).toMatchObject({
      covered_quantity: 970,
      billable_quantity: 1_030,
    });
  });
});

describe("cash coupons", () => {
  const coupon = async (amount: number, mode: "once" | "multiple", scope: object = { kind: "all" }) => {
    const r = await post(`/v1/enterprises/${enterprise.id}/coupons`, keys.owner, {
      amount: { amount, asset: "CNY" },
      allocation_mode: mode,
      scope,
      expires_at: days(90),
    });
    expect(r.statusCode, r.body).toBe(201);
    return json<{ id: string; balance: number }>(r);
  };
  const allocate = (couponId: string, allocations: { member_id: string; amount: number }[]) =>
    post(`/v1/enterprise-coupons/${couponId}/allocations`, keys.master, { allocations });
  const balanceOf = async (couponId: string) =>
    json<{ data: { id: string; balance: number }[] }>(
      await get(`/v1/enterprises/${enterprise.id}/coupons`, keys.master),
    ).data.find((c) => c.id === couponId)!.balance;

  it("answers a new coupon with its full balance, as the list shows it after commit", async () => {
    const r = await post(`/v1/enterprises/${enterprise.id}/coupons`, keys.owner, {
      amount: { amount: 2_500, asset: "CNY" },
      allocation_mode: "multiple",
      scope: { kind: "all" },
      expires_at: days(90),
    });
    expect(r.statusCode, r.body).toBe(201);
    const created = json<{ id: string; balance: number; status: string }>(r);
    expect(created.balance).toBe(2_500);
    expect(created.status).toBe("unused");
    expect(await balanceOf(created.id)).toBe(2_500);
  });

  it("the list shows each coupon as it was answered, its balance as it stands, in a few reads for the page", async () => {
    const untouched = await coupon(3_000, "multiple");
    const drawn = await coupon(4_000, "multiple");
    expect((await allocate(drawn.id, [{ member_id: m3.id, amount: 1_500 }])).statusCode).toBe(201);
    // Read once first, so an API key's cached lookup (3 s) that ran out meanwhile is not counted.
    await get(`/v1/enterprises/${enterprise.id}/coupons?limit=100`, keys.master);
    const before = await roundTripsOf(t.app, "GET", "/v1/enterprises/:id/coupons");
    const list = json<{ data: { id: string; balance: number }[] }>(
      await get(`/v1/enterprises/${enterprise.id}/coupons?limit=100`, keys.master),
    );
    const after = await roundTripsOf(t.app, "GET", "/v1/enterprises/:id/coupons");
    expect(list.data.find((c) => c.id === untouched.id)).toEqual(untouched);
    expect(list.data.find((c) => c.id === drawn.id)).toEqual({
      ...drawn,
      balance: 2_500,
      allocation_count: 1,
      status: expect.any(String),
    });
    expect(list.data.length).toBeGreaterThanOrEqual(3);
    // The page's vouchers and balances are read once, not three reads per coupon.
    expect(after.count - before.count).toBe(1);
    expect(after.sum - before.sum).toBeLessThanOrEqual(4);
  });

  it("concurrent allocations never exceed the coupon's balance", async () => {
    const c = await coupon(10_000, "multiple");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => allocate(c.id, [{ member_id: m3.id, amount: 1_000 }])),
    );
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(10);
    expect(
      responses.filter((r) => r.statusCode === 422).every((r) => json(r).code === "coupon_balance_exceeded"),
    ).toBe(true);
    expect(await balanceOf(c.id)).toBe(0);
  });

  it("a once-only coupon is allocated one time", async () => {
    const c = await coupon(1_000, "once");
    expect((await allocate(c.id, [{ member_id: m3.id, amount: 100 }])).statusCode).toBe(201);
    expectProblem(await allocate(c.id, [{ member_id: m3.id, amount: 100 }]), 409, "coupon_already_allocated");
    expect(await balanceOf(c.id)).toBe(900);
  });

  it("bills use own coupons, then the master's shared pool; revoke after partial use returns the rest", async () => {
    // Drain earlier coupons' shared pools so this test's numbers stand alone.
    const pool = await coupon(4_000, "multiple");
    const drain = await post(`/v1/enterprises/${enterprise.id}/bills`, keys.owner, {
      bill_id: "drain",
      member_id: m1.id,
      asset: "CNY",
      lines: [{ product_code: "x", amount: 900 }],
    });
    expect(drain.statusCode, drain.body).toBe(200);
    const poolLeft = await balanceOf(pool.id);
    const allocated = json<{ data: { voucher_id: string }[] }>(
      await allocate(pool.id, [{ member_id: m2.id, amount: 2_000 }]),
    ).data[0]!.voucher_id;
    const pay = (billId: string, amount: number) =>
      post(`/v1/enterprises/${enterprise.id}/bills`, keys.owner, {
        bill_id: billId,
        member_id: m2.id,
        asset: "CNY",
        lines: [{ product_code: "cvm", amount }],
      });
    const first = json<{
      deducted_amount: number;
      lines: { deductions: { voucher_id: string; amount: number }[] }[];
    }>(await pay("b1", 500));
    expect(first.lines[0]!.deductions).toEqual([{ voucher_id: allocated, amount: 500 }]);
    const preview = json<{ recoverable_amount: number; vouchers: { status: string }[] }>(
      await get(`/v1/enterprise-coupons/${pool.id}/revocable?member_id=${m2.id}`, keys.master),
    );
    expect(preview).toMatchObject({ recoverable_amount: 1_500, vouchers: [{ status: "partly_used" }] });
    const revoked = await post(`/v1/enterprise-coupons/${pool.id}/revocations`, keys.master, {
      member_id: m2.id,
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(json(revoked)).toMatchObject({ revoked_amount: 1_500 });
    expect(await balanceOf(pool.id)).toBe(poolLeft - 2_000 + 1_500);
    // Nothing of its own left: the member's next bill uses the master's shared pool.
    const shared = json<{ deducted_amount: number; lines: { deductions: { voucher_id: string }[] }[] }>(
      await pay("b2", 300),
    );
    expect(shared.deducted_amount).toBe(300);
    expect(shared.lines[0]!.deductions.map((d) => d.voucher_id)).not.toContain(allocated);
    // Own coupons come before the shared pool.
    const again = json<{ data: { voucher_id: string }[] }>(
      await allocate(pool.id, [{ member_id: m2.id, amount: 100 }]),
    ).data[0]!.voucher_id;
    const mixed = json<{ lines: { deductions: { voucher_id: string; amount: number }[] }[] }>(
      await pay("b3", 250),
    );
    expect(mixed.lines[0]!.deductions[0]).toEqual({ voucher_id: again, amount: 100 });
    expect(mixed.lines[0]!.deductions.slice(1).reduce((s, d) => s + d.amount, 0)).toBe(150);
    // History: allocations and the revocation, for this coupon.
    const records = json<{ data: { kind: string; member_id: string; amount: number }[] }>(
      await get(`/v1/enterprises/${enterprise.id}/coupon-records?coupon_id=${pool.id}`, keys.master),
    ).data;
    expect(records.map((r) => [r.kind, r.amount])).toEqual([
      ["allocation", 2_000],
      ["revocation", 1_500],
      ["allocation", 100],
    ]);
    // A member sees only its own coupons; the master sees every member's.
    const own = json<{ data: { voucher_id: string; status: string }[] }>(
      await get(`/v1/enterprise-members/${m2.id}/coupons`, keys.master),
    ).data;
    expect(own.find((v) => v.voucher_id === allocated)).toMatchObject({ status: "withdrawn" });
    expect((await get(`/v1/enterprise-members/${m1.id}/coupons`, keys.m1)).statusCode).toBe(200);
    expect((await get(`/v1/enterprise-members/${m2.id}/coupons`, keys.m1)).statusCode).toBe(404);
    expect((await get(`/v1/enterprises/${enterprise.id}/coupons`, keys.m1)).statusCode).toBe(404);
  });

  it("emits sharing, allocation, revocation and bill events", async () => {
    const events = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("events").select("type").where("type", "like", "enterprise.%").execute(),
    );
    expect([...new Set(events.map((e) => e.type))].sort()).toEqual([
      "enterprise.bill_paid",
      "enterprise.coupon_allocated",
      "enterprise.coupon_revoked",
      "enterprise.sharing_changed",
      "enterprise.usage_recorded",
    ]);
  });
});

describe("what the Enterprise Center reads", () => {
  it("the global sharing switch reads as last set, only in the master's scope", async () => {
    const read = async () =>
      json<{ enabled: boolean }>(await get(`/v1/enterprises/${enterprise.id}/sharing`, keys.master)).enabled;
    await post(`/v1/enterprises/${enterprise.id}/sharing`, keys.master, { enabled: true });
    expect(await read()).toBe(true);
    await post(`/v1/enterprises/${enterprise.id}/sharing`, keys.master, { enabled: false });
    expect(await read()).toBe(false);
    expectProblem(
      await get(`/v1/enterprises/${enterprise.id}/sharing`, keys.m1),
      404,
      "enterprise_not_found",
    );
  });

  it("lists the master's own packages with what each has left after usage", async () => {
    const grant = async (owner: Unit, quantity: number, startsIn: number) =>
      json<{ id: string }>(
        await post("/v1/resource-packages", keys.owner, {
          owner_id: owner.id,
          product_code: "cdn",
          unit: "GB",
          quantity,
          starts_at: days(startsIn),
          expires_at: days(30),
        }),
      );
    const current = await grant(enterprise, 100, 0);
    const later = await grant(enterprise, 40, 5);
    const own = await grant(m1, 10, 0); // a member's package is not the master's
    const usage = await post("/v1/resource-usages", keys.owner, {
      usage_id: "u-reads-1",
      account_id: enterprise.id,
      product_code: "cdn",
      unit: "GB",
      quantity: 25,
    });
    expect(usage.statusCode, usage.body).toBe(200);
    type Holding = { id: string; total_quantity: number; remaining_quantity: number; active: boolean };
    const list = async (query = "") =>
      json<{ data: Holding[] }>(
        await get(`/v1/enterprises/${enterprise.id}/resource-packages${query}`, keys.master),
      ).data;
    const byId = new Map((await list()).map((p) => [p.id, p]));
    expect(byId.get(current.id)).toMatchObject({ total_quantity: 100, remaining_quantity: 75, active: true });
    expect(byId.get(later.id)).toMatchObject({ total_quantity: 40, remaining_quantity: 40, active: false });
    expect(byId.has(own.id)).toBe(false);
    const inactive = (await list("?active=false")).map((p) => p.id);
    expect(inactive).toContain(later.id);
    expect(inactive).not.toContain(current.id);
    expect((await list("?active=true")).map((p) => p.id)).toContain(current.id);
    expectProblem(
      await get(`/v1/enterprises/${enterprise.id}/resource-packages`, keys.m1),
      404,
      "enterprise_not_found",
    );
  });
});

describe("lists with names and cursors", () => {
  it("member lists and coupon history name the member accounts", async () => {
    type Named = { member_id: string; name: string };
    const members = json<{ data: Named[] }>(
      await get(`/v1/enterprises/${enterprise.id}/members`, keys.master),
    ).data;
    expect(members.map((m) => [m.member_id, m.name]).sort()).toEqual(
      [
        [m1.id, "M1"],
        [m2.id, "M2"],
        [m3.id, "M3"],
      ].sort(),
    );
    expect(json(await get(`/v1/enterprise-members/${m2.id}`, keys.master))).toMatchObject({ name: "M2" });
    const switched = await post(`/v1/enterprises/${enterprise.id}/members/sharing`, keys.master, {
      member_ids: [m3.id],
      enabled: false,
    });
    expect(json<{ data: Named[] }>(switched).data).toEqual([expect.objectContaining({ name: "M3" })]);
    const records = json<{ data: { member_id: string; member_name: string }[] }>(
      await get(`/v1/enterprises/${enterprise.id}/coupon-records?member_id=${m2.id}`, keys.master),
    ).data;
    expect(records.length).toBeGreaterThan(0);
    expect(new Set(records.map((r) => r.member_name))).toEqual(new Set(["M2"]));
  });

  it("the master's coupons and a member's allocated coupons page with a cursor", async () => {
    type Page = { data: { id?: string; voucher_id?: string }[]; has_more: boolean };
    const walk = async (url: string, key: "id" | "voucher_id") => {
      const seen: string[] = [];
      let after = "";
      for (let i = 0; i < 50; i++) {
        const page = json<Page>(
          await get(`${url}?limit=2${after ? `&starting_after=${after}` : ""}`, keys.master),
        );
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((d) => d[key]!));
        if (!page.has_more) return seen;
        after = seen.at(-1)!;
      }
      throw new Error("no last page");
    };
    const all = json<Page>(await get(`/v1/enterprises/${enterprise.id}/coupons?limit=100`, keys.master));
    expect(all.data.length).toBeGreaterThan(2);
    expect(await walk(`/v1/enterprises/${enterprise.id}/coupons`, "id")).toEqual(all.data.map((c) => c.id));
    const held = json<Page>(await get(`/v1/enterprise-members/${m3.id}/coupons?limit=100`, keys.master));
    expect(held.data.length).toBeGreaterThan(2);
    expect(await walk(`/v1/enterprise-members/${m3.id}/coupons`, "voucher_id")).toEqual(
      held.data.map((c) => c.voucher_id),
    );
  });

  it("a member account's packages: its own and its master's, with what each has left and whether it may draw them", async () => {
    type Holding = { id: string; holder: string; usable: boolean; remaining_quantity: number };
    const list = async (member: Unit, key: Record<string, string>) =>
      json<{ data: Holding[] }>(
        await get(`/v1/enterprise-members/${member.id}/resource-packages?limit=100`, key),
      ).data;
    const grant = async (owner: Unit, quantity: number) =>
      json<{ id: string }>(
        await post("/v1/resource-packages", keys.owner, {
          owner_id: owner.id,
          product_code: "ecs",
          unit: "GB",
          quantity,
          expires_at: days(30),
        }),
      ).id;
    const master = await grant(enterprise, 100);
    const own = await grant(m1, 10);
    await post(`/v1/enterprise-members/${m1.id}/sharing`, keys.master, { enabled: true });
    const used = await post("/v1/resource-usages", keys.owner, {
      usage_id: "u-member-list",
      account_id: m1.id,
      product_code: "ecs",
      unit: "GB",
      quantity: 15,
    });
    expect(json(used)).toMatchObject({ covered_quantity: 15, billable_quantity: 0 });
    const byId = new Map((await list(m1, keys.m1)).map((p) => [p.id, p]));
    expect(byId.get(own)).toMatchObject({ holder: "own", usable: true, remaining_quantity: 0 });
    expect(byId.get(master)).toMatchObject({ holder: "master", usable: true, remaining_quantity: 95 });
    await post(`/v1/enterprise-members/${m1.id}/sharing`, keys.master, { enabled: false });
    expect((await list(m1, keys.master)).find((p) => p.id === master)).toMatchObject({ usable: false });
    // Another member's packages are not listed for M1, and M1 cannot read M2's.
    expect((await list(m1, keys.master)).every((p) => p.holder === "master" || byId.has(p.id))).toBe(true);
    expect((await get(`/v1/enterprise-members/${m2.id}/resource-packages`, keys.m1)).statusCode).toBe(404);
    // What each has left is read for the whole page at once, not per package.
    await grant(m1, 5);
    // Read once first, so an API key's cached lookup (3 s) that ran out meanwhile is not counted.
    await list(m1, keys.master);
    const before = await roundTripsOf(t.app, "GET", "/v1/enterprise-members/:id/resource-packages");
    expect((await list(m1, keys.master)).length).toBeGreaterThanOrEqual(3);
    const after = await roundTripsOf(t.app, "GET", "/v1/enterprise-members/:id/resource-packages");
    expect(after.count - before.count).toBe(1);
    expect(after.sum - before.sum).toBeLessThanOrEqual(4);
  });
});
