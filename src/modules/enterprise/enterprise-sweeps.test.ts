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
import { advanceTo, createSandbox } from "../../../test/helpers/sandbox.js";
import { balancesOf, ensureAsset, findAccount } from "../../ledger/index.js";
import { runCouponSweep, runPackageExpiry } from "./index.js";

/**
 * The two clock-driven sweeps of seed 000, run by advancing a sandbox's test clock (so both
 * read the tenant's clock, not the machine's), and their cross-tenant forms at real time.
 */
let t: TestApp;
let live: TestTenant;
let box: TestTenant;
type Unit = { id: string; path: string };
let enterprise: Unit;
let m1: Unit;
let master: Record<string, string>;
const START = Date.parse("2030-01-01T00:00:00.000Z");
const day = (n: number) => new Date(START + n * 86_400_000).toISOString();

beforeAll(async () => {
  t = await createTestApp();
  live = await createTestTenant(t);
  box = await createSandbox(t, live, day(0));
  await t.deps.db.tenantTx(box.tenantId, async (trx) => {
    await ensureAsset(trx, box.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, new Date(START));
    await ensureAsset(trx, box.tenantId, { code: "GB", scale: 0, name: "Gigabyte" }, new Date(START));
  });
  const root = { id: box.rootOrgUnitId, path: `/${box.rootOrgUnitId}/` };
  enterprise = await createTestOrgUnit(t, box.tenantId, root, "enterprise", "Master");
  m1 = await createTestOrgUnit(t, box.tenantId, enterprise, "member_account", "M1");
  master = (await createTestKey(t, box.tenantId, "operator", enterprise.id)).auth;
  const associated = await post(`/v1/enterprises/${enterprise.id}/members`, master, { member_id: m1.id });
  expect(associated.statusCode, associated.body).toBe(201);
}, 240_000);
afterAll(async () => t?.close());

let seq = 0;
const post = (url: string, headers: Record<string, string>, payload: unknown) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...headers, "idempotency-key": `sweeps-${++seq}` },
    payload: payload as object,
  });
const get = (url: string, headers: Record<string, string>) => t.app.inject({ url, headers });
const posted = (tenantId: string, accountId: string) =>
  t.deps.db.tenantTx(tenantId, async (trx) => {
    const account = await findAccount(trx, tenantId, accountId);
    return account ? balancesOf(account).posted : 0;
  });
const eventsOf = (tenantId: string, type: string) =>
  t.deps.db.tenantTx(tenantId, (trx) =>
    trx.selectFrom("events").select("data as payload").where("type", "=", type).orderBy("id").execute(),
  );
const auditsOf = (tenantId: string, action: string) =>
  t.deps.db.tenantTx(tenantId, (trx) =>
    trx.selectFrom("audit_events").select("target_id").where("action", "=", action).execute(),
  );

describe("value that returns to an expired master coupon", () => {
  it("goes on to the coupon's source (the enterprise's funding), at the coupon's end and on a later refund", async () => {
    // 1,000.00 for the master; 300.00 of it allocated to M1, who spends 100.00 of that.
    const created = await post(`/v1/enterprises/${enterprise.id}/coupons`, box.auth, {
      amount: { amount: 100_000, asset: "CNY" },
      allocation_mode: "multiple",
      scope: { kind: "all" },
      expires_at: day(30),
    });
    expect(created.statusCode, created.body).toBe(201);
    const coupon = json<{ id: string }>(created).id;
    const allocated = await post(`/v1/enterprise-coupons/${coupon}/allocations`, master, {
      allocations: [{ member_id: m1.id, amount: 30_000 }],
    });
    expect(allocated.statusCode, allocated.body).toBe(201);
    const paid = await post(`/v1/enterprises/${enterprise.id}/bills`, box.auth, {
      bill_id: "b-sweep",
      member_id: m1.id,
      asset: "CNY",
      lines: [{ product_code: "cvm", amount: 10_000 }],
    });
    expect(paid.statusCode, paid.body).toBe(200);
    const couponAccount = `vacct_${coupon}`;
    const funding = `vfund_${enterprise.id}_CNY`;
    expect(await posted(box.tenantId, couponAccount)).toBe(70_000);
    expect(await posted(box.tenantId, funding)).toBe(-100_000);

    // The end of both: the master's 700.00 returns at once; M1's coupon expires after it (same
    // instant, later id) and returns its 200.00 to the now dead master coupon — the sweep moves it on.
    const runs = await advanceTo(t, box, day(31));
    expect(runs["vouchers.expire"]).toBeGreaterThan(0);
    expect(runs["enterprise.sweep_dead_coupons"]).toBeGreaterThan(0);
    expect(await posted(box.tenantId, couponAccount)).toBe(0);
    expect(await posted(box.tenantId, funding)).toBe(-10_000);
    const swept = await eventsOf(box.tenantId, "enterprise.coupon_swept");
    expect(swept.map((e) => e.payload)).toEqual([
      { enterprise_id: enterprise.id, coupon_id: coupon, asset: "CNY", amount: 20_000 },
    ]);
    expect((await auditsOf(box.tenantId, "enterprise_coupon.swept")).map((a) => a.target_id)).toEqual([
      coupon,
    ]);
    // Revocation cannot meet the dead coupon: M1's allocation ended with it, nothing is recoverable.
    const revocable = await get(`/v1/enterprise-coupons/${coupon}/revocable?member_id=${m1.id}`, master);
    expect(json(revocable)).toMatchObject({ recoverable_amount: 0, vouchers: [] });

    // A refund of M1's bill after both ended: M1's share goes to the master coupon, its
    // source, and straight on from there in the same unit of work.
    const refund = await post(`/v1/enterprises/${enterprise.id}/bills/b-sweep/refunds`, box.auth, {
      refund_id: "r-sweep",
    });
    expect(refund.statusCode, refund.body).toBe(200);
    expect(json(refund)).toMatchObject({ returned_amount: 10_000 });
    expect(await posted(box.tenantId, couponAccount)).toBe(0);
    expect(await posted(box.tenantId, funding)).toBe(0);
    expect((await eventsOf(box.tenantId, "enterprise.coupon_swept")).map((e) => e.payload.amount)).toEqual([
      20_000, 10_000,
    ]);

    // Idempotent: nothing left, so another run (live or sandbox) moves nothing.
    const before = (await eventsOf(box.tenantId, "enterprise.coupon_swept")).length;
    await advanceTo(t, box, day(32));
    expect((await eventsOf(box.tenantId, "enterprise.coupon_swept")).length).toBe(before);
  });
});

describe("expired resource packages", () => {
  it("return what they still hold to the grant source once, at the package's end on the tenant clock", async () => {
    const grant = async (owner: Unit, quantity: number, expiresOn: number) => {
      const r = await post("/v1/resource-packages", box.auth, {
        owner_id: owner.id,
        product_code: "cos",
        unit: "GB",
        quantity,
        expires_at: day(expiresOn),
      });
      expect(r.statusCode, r.body).toBe(201);
      return json<{ id: string }>(r).id;
    };
    const shared = await grant(enterprise, 1_000, 40);
    const own = await grant(m1, 50, 40);
    const later = await grant(m1, 10, 60);
    const usage = await post("/v1/resource-usages", box.auth, {
      usage_id: "u-sweep",
      account_id: m1.id,
      product_code: "cos",
      unit: "GB",
      quantity: 30,
    });
    expect(usage.statusCode, usage.body).toBe(200);
    const runs = await advanceTo(t, box, day(41));
    expect(runs["enterprise.expire_packages"]).toBe(1);
    type Holding = {
      id: string;
      holder: string;
      remaining_quantity: number;
      expired_quantity: number | null;
      expired_at: string | null;
    };
    const list = json<{ data: Holding[] }>(
      await get(`/v1/enterprise-members/${m1.id}/resource-packages`, master),
    ).data;
    const byId = new Map(list.map((p) => [p.id, p]));
    expect(byId.get(own)).toMatchObject({ remaining_quantity: 0, expired_quantity: 20, expired_at: day(40) });
    expect(byId.get(shared)).toMatchObject({
      holder: "master",
      remaining_quantity: 0,
      expired_quantity: 1_000,
    });
    expect(byId.get(later)).toMatchObject({
      remaining_quantity: 10,
      expired_quantity: null,
      expired_at: null,
    });
    // The grant sources' debit balances are now what was granted and not expired.
    expect(await posted(box.tenantId, `rpkg_src_${m1.id}_GB`)).toBe(-(50 + 10) + 20);
    expect(await posted(box.tenantId, `rpkg_src_${enterprise.id}_GB`)).toBe(0);
    const expired = await eventsOf(box.tenantId, "enterprise.package_expired");
    expect(expired.map((e) => [e.payload.package_id, e.payload.expired_quantity]).sort()).toEqual(
      [
        [own, 20],
        [shared, 1_000],
      ].sort(),
    );
    expect(await auditsOf(box.tenantId, "resource_package.expired")).toHaveLength(2);
    // Once only: a later advance expires only the later package.
    await advanceTo(t, box, day(61));
    expect(
      (await eventsOf(box.tenantId, "enterprise.package_expired")).map((e) => e.payload.package_id),
    ).toEqual(expect.arrayContaining([own, shared, later]));
    expect(await eventsOf(box.tenantId, "enterprise.package_expired")).toHaveLength(3);
  });

  it("the real-time jobs take live tenants at the real clock and leave sandboxes to their own clock", async () => {
    await t.deps.db.tenantTx(live.tenantId, async (trx) => {
      await ensureAsset(trx, live.tenantId, { code: "GB", scale: 0, name: "Gigabyte" }, t.clock.now());
    });
    const root = { id: live.rootOrgUnitId, path: `/${live.rootOrgUnitId}/` };
    const liveMaster = await createTestOrgUnit(t, live.tenantId, root, "enterprise", "Live master");
    const r = await t.app.inject({
      method: "POST",
      url: "/v1/resource-packages",
      headers: { ...live.auth, "idempotency-key": "live-pkg" },
      payload: {
        owner_id: liveMaster.id,
        product_code: "cos",
        unit: "GB",
        quantity: 100,
        expires_at: new Date(t.clock.now().getTime() + 86_400_000).toISOString(),
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = json<{ id: string }>(r).id;
    // A sandbox package: the real-time job never takes it, however late the real clock.
    const boxPackage = await post("/v1/resource-packages", box.auth, {
      owner_id: enterprise.id,
      product_code: "cos",
      unit: "GB",
      quantity: 5,
      expires_at: day(70),
    });
    expect(boxPackage.statusCode).toBe(201);
    expect(await runPackageExpiry(t.deps)).toBe(0);
    t.clock.advance(2 * 86_400_000);
    expect(await runPackageExpiry(t.deps)).toBe(1);
    expect(await runPackageExpiry(t.deps)).toBe(0);
    const row = await t.deps.db.tenantTx(live.tenantId, (trx) =>
      trx
        .selectFrom("resource_packages")
        .select(["expired_quantity"])
        .where("tenant_id", "=", live.tenantId)
        .where("id", "=", id)
        .executeTakeFirstOrThrow(),
    );
    expect(row.expired_quantity).toBe(100);
    t.clock.advance(5 * 365 * 86_400_000);
    expect(await runPackageExpiry(t.deps)).toBe(0);
    const boxRow = await t.deps.db.tenantTx(box.tenantId, (trx) =>
      trx
        .selectFrom("resource_packages")
        .select("expired_at")
        .where("tenant_id", "=", box.tenantId)
        .where("id", "=", json<{ id: string }>(boxPackage).id)
        .executeTakeFirstOrThrow(),
    );
    expect(boxRow.expired_at).toBeNull();
    // Nothing dead holds value in a live tenant here: the coupon sweep has nothing to do.
    expect(await runCouponSweep(t.deps)).toBe(0);
  });
});

describe("a refund through the vouchers' own route", () => {
  it("ends as the enterprise's refund does: value reaching a dead master coupon goes on at once", async () => {
    const funding = `vfund_${enterprise.id}_CNY`;
    const fundingBefore = await posted(box.tenantId, funding);
    const created = await post(`/v1/enterprises/${enterprise.id}/coupons`, box.auth, {
      amount: { amount: 100_000, asset: "CNY" },
      allocation_mode: "multiple",
      scope: { kind: "all" },
      expires_at: day(85),
    });
    expect(created.statusCode, created.body).toBe(201);
    const coupon = json<{ id: string }>(created).id;
    const couponAccount = `vacct_${coupon}`;
    const allocated = await post(`/v1/enterprise-coupons/${coupon}/allocations`, master, {
      allocations: [{ member_id: m1.id, amount: 30_000 }],
    });
    expect(allocated.statusCode, allocated.body).toBe(201);
    for (const billId of ["b-via-enterprise", "b-via-vouchers"]) {
      const paid = await post(`/v1/enterprises/${enterprise.id}/bills`, box.auth, {
        bill_id: billId,
        member_id: m1.id,
        asset: "CNY",
        lines: [{ product_code: "cvm", amount: 10_000 }],
      });
      expect(paid.statusCode, paid.body).toBe(200);
    }
    await advanceTo(t, box, day(86));
    expect(await posted(box.tenantId, couponAccount)).toBe(0);
    expect(await posted(box.tenantId, funding)).toBe(fundingBefore - 20_000);
    const sweptBefore = (await eventsOf(box.tenantId, "enterprise.coupon_swept")).length;

    const viaEnterprise = await post(
      `/v1/enterprises/${enterprise.id}/bills/b-via-enterprise/refunds`,
      box.auth,
      { refund_id: "r-via-enterprise" },
    );
    expect(viaEnterprise.statusCode, viaEnterprise.body).toBe(200);
    expect(await posted(box.tenantId, couponAccount)).toBe(0);
    expect(await posted(box.tenantId, funding)).toBe(fundingBefore - 10_000);

    const viaVouchers = await post("/v1/voucher-bills/b-via-vouchers/refunds", box.auth, {
      refund_id: "r-via-vouchers",
    });
    expect(viaVouchers.statusCode, viaVouchers.body).toBe(200);
    expect(json(viaVouchers)).toMatchObject({ returned_amount: 10_000 });
    expect(await posted(box.tenantId, couponAccount)).toBe(0);
    expect(await posted(box.tenantId, funding)).toBe(fundingBefore);
    const swept = (await eventsOf(box.tenantId, "enterprise.coupon_swept")).slice(sweptBefore);
    expect(swept.map((e) => e.payload)).toEqual([
      { enterprise_id: enterprise.id, coupon_id: coupon, asset: "CNY", amount: 10_000 },
      { enterprise_id: enterprise.id, coupon_id: coupon, asset: "CNY", amount: 10_000 },
    ]);
    // A replay moves nothing more.
    const again = await post("/v1/voucher-bills/b-via-vouchers/refunds", box.auth, {
      refund_id: "r-via-vouchers",
    });
    expect(json(again)).toEqual(json(viaVouchers));
    expect(await eventsOf(box.tenantId, "enterprise.coupon_swept")).toHaveLength(sweptBefore + 2);
  });
});
