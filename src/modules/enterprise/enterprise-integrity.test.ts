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
import { expectProblem } from "../../../test/helpers/problem.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { balancesOf, createAsset, findAccount } from "../../ledger/index.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { runPackageExpiry } from "./index.js";

/**
 * Enterprise value moves at their edges: bills and refunds under the right master, replays
 * that change nothing, refusals that write nothing, and the ledger clean after each.
 */
let t: TestApp;
let tenant: TestTenant;
type Unit = { id: string; path: string };
let ent: Unit;
let other: Unit;
let m1: Unit;
let m2: Unit;
let otherMember: Unit;
let master: Record<string, string>;
let trail: ReturnType<typeof tenantTrail>;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  trail = tenantTrail(t, tenant.tenantId);
  await t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
    await createAsset(trx, tenant.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, t.clock.now());
    await createAsset(trx, tenant.tenantId, { code: "GB", scale: 0, name: "Gigabyte" }, t.clock.now());
  });
  const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
  ent = await createTestOrgUnit(t, tenant.tenantId, root, "enterprise", "Master");
  other = await createTestOrgUnit(t, tenant.tenantId, root, "enterprise", "Other master");
  m1 = await createTestOrgUnit(t, tenant.tenantId, ent, "member_account", "M1");
  m2 = await createTestOrgUnit(t, tenant.tenantId, ent, "member_account", "M2");
  otherMember = await createTestOrgUnit(t, tenant.tenantId, other, "member_account", "O1");
  master = (await createTestKey(t, tenant.tenantId, "operator", ent.id)).auth;
  for (const [e, m] of [
    [ent, m1],
    [ent, m2],
    [other, otherMember],
  ] as const) {
    const r = await post(`/v1/enterprises/${e.id}/members`, tenant.auth, { member_id: m.id });
    expect(r.statusCode, r.body).toBe(201);
  }
});
afterAll(async () => t?.close());

let seq = 0;
const post = (url: string, headers: Record<string, string>, payload: unknown) =>
  t.app.inject({
    method: "POST",
    url,
    headers: { ...headers, "idempotency-key": `integrity-${++seq}` },
    payload: payload as object,
  });
const days = (n: number) => new Date(t.clock.now().getTime() + n * 86_400_000).toISOString();
const posted = (accountId: string) =>
  t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
    const account = await findAccount(trx, tenant.tenantId, accountId);
    return account ? balancesOf(account).posted : 0;
  });
const grantCoupon = async (enterprise: Unit, amount: number) => {
  const r = await post(`/v1/enterprises/${enterprise.id}/coupons`, tenant.auth, {
    amount: { amount, asset: "CNY" },
    allocation_mode: "multiple",
    scope: { kind: "all" },
    expires_at: days(90),
  });
  expect(r.statusCode, r.body).toBe(201);
  return json<{ id: string }>(r).id;
};
const pay = (enterprise: Unit, member: Unit, billId: string, amount: number) =>
  post(`/v1/enterprises/${enterprise.id}/bills`, tenant.auth, {
    bill_id: billId,
    member_id: member.id,
    asset: "CNY",
    lines: [{ product_code: "cvm", amount }],
  });

describe("bill refunds", () => {
  it("refund only the master's own members' bills, whichever master the path names", async () => {
    const coupon = await grantCoupon(other, 1_000);
    expect((await pay(other, otherMember, "other-bill", 400)).statusCode).toBe(200);
    expect(await posted(`vacct_${coupon}`)).toBe(600);
    // Staff who may act on both masters names the wrong one: not this master's bill.
    const refunds = await Promise.all([
      post(`/v1/enterprises/${ent.id}/bills/other-bill/refunds`, tenant.auth, { refund_id: "r-wrong" }),
      post(`/v1/enterprises/${ent.id}/bills/other-bill/refunds`, tenant.auth, { refund_id: "r-wrong-2" }),
    ]);
    for (const r of refunds) expectProblem(r, 404, "voucher_bill_not_found");
    expect(await posted(`vacct_${coupon}`)).toBe(600);
    // Under its own master it refunds, once.
    const own = await Promise.all([
      post(`/v1/enterprises/${other.id}/bills/other-bill/refunds`, tenant.auth, { refund_id: "r-own" }),
      post(`/v1/enterprises/${other.id}/bills/other-bill/refunds`, tenant.auth, { refund_id: "r-own" }),
    ]);
    for (const r of own) expect(json(r)).toMatchObject({ returned_amount: 400 });
    expect(await posted(`vacct_${coupon}`)).toBe(1_000);
    await trail.ledgerClean();
  });
});

describe("bill ids", () => {
  it("a bill paid under an id with dots and colons is refunded under the same id", async () => {
    const coupon = await grantCoupon(ent, 1_000);
    expect((await pay(ent, m1, "inv:2026.12.001", 250)).statusCode).toBe(200);
    const r = await post(`/v1/enterprises/${ent.id}/bills/inv:2026.12.001/refunds`, tenant.auth, {
      refund_id: "r-dotted",
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(json(r)).toMatchObject({ bill_id: "inv:2026.12.001", returned_amount: 250 });
    expect(await posted(`vacct_${coupon}`)).toBe(1_000);
  });
});

describe("bill payment replays", () => {
  it("the same bill again answers the first payment and tells subscribers once", async () => {
    await grantCoupon(ent, 1_000);
    const answers = await Promise.all([1, 2, 3].map(() => pay(ent, m1, "replayed-bill", 300)));
    for (const r of answers) expect(r.statusCode, r.body).toBe(200);
    expect(new Set(answers.map((r) => json<{ id: string }>(r).id)).size).toBe(1);
    expect(json(await pay(ent, m1, "replayed-bill", 300))).toEqual(json(answers[0]!));
    const paid = (await trail.events("enterprise.bill_paid")).filter((e) => e.bill_id === "replayed-bill");
    expect(paid).toEqual([expect.objectContaining({ member_id: m1.id, deducted_amount: 300 })]);
    await trail.ledgerClean();
  });
});

const grantPackage = async (owner: Unit, product: string, quantity: number, expiresIn = 30, startsIn = 0) => {
  const r = await post("/v1/resource-packages", tenant.auth, {
    owner_id: owner.id,
    product_code: product,
    unit: "GB",
    quantity,
    starts_at: days(startsIn),
    expires_at: days(expiresIn),
  });
  expect(r.statusCode, r.body).toBe(201);
  return json<{ id: string }>(r).id;
};
const use = (usageId: string, account: Unit, product: string, quantity: number, usedAt?: string) =>
  post("/v1/resource-usages", tenant.auth, {
    usage_id: usageId,
    account_id: account.id,
    product_code: product,
    unit: "GB",
    quantity,
    ...(usedAt ? { used_at: usedAt } : {}),
  });

describe("usage records", () => {
  it("a usage id again with another time of use is refused, not answered as the first", async () => {
    const pkg = await grantPackage(m2, "obs", 10, 20, -3);
    const at = days(-1);
    const first = await use("u-when", m2, "obs", 4, at);
    expect(json(first)).toMatchObject({ draws: [{ package_id: pkg, quantity: 4, shared: false }] });
    // Another time of use, or none (now), is another use: the id may not stand for it.
    const answers = await Promise.all([use("u-when", m2, "obs", 4, days(-2)), use("u-when", m2, "obs", 4)]);
    for (const r of answers) expectProblem(r, 409, "usage_id_reused");
    expect(json(await use("u-when", m2, "obs", 4, at))).toEqual(json(first));
    // Without a time, "now" is part of what the id stands for once it is used.
    const now = await use("u-now", m2, "obs", 1);
    expect(json(await use("u-now", m2, "obs", 1))).toEqual(json(now));
    expectProblem(await use("u-now", m2, "obs", 1, days(-2)), 409, "usage_id_reused");
    expect(await posted(`rpkg_${pkg}`)).toBe(5);
    await trail.ledgerClean();
  });

  it("a usage that draws packages is audited with its actor, once whatever the replays", async () => {
    const pkg = await grantPackage(m1, "audited", 3);
    const answers = await Promise.all([1, 2, 3].map(() => use("u-audited", m1, "audited", 5)));
    for (const r of answers) expect(json(r)).toMatchObject({ covered_quantity: 3, billable_quantity: 2 });
    expect(await trail.audit("u-audited")).toEqual(["resource_usage.recorded"]);
    const row = await t.database.owner
      .selectFrom("audit_events")
      .select(["actor_type", "summary"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("target_id", "=", "u-audited")
      .executeTakeFirstOrThrow();
    expect(row.actor_type).toBe("api_key");
    expect(row.summary).toMatchObject({ account_id: m1.id, covered_quantity: 3, billable_quantity: 2 });
    expect(JSON.stringify(row.summary)).toContain(pkg);
    await trail.ledgerClean();
  });
});

describe("package grants at the amount bound", () => {
  it("a quantity past the ledger's bound, or one that would overflow the grant source, is refused and writes nothing", async () => {
    const grant = (quantity: number) =>
      post("/v1/resource-packages", tenant.auth, {
        owner_id: otherMember.id,
        product_code: "huge",
        unit: "GB",
        quantity,
        expires_at: days(30),
      });
    expectProblem(await grant(MAX_AMOUNT + 1), 422, "amount_out_of_range");
    // Nine maximal grants fit the source's running sums; the tenth would pass 2^53.
    for (let i = 0; i < 9; i++) expect((await grant(MAX_AMOUNT)).statusCode).toBe(201);
    expectProblem(await grant(MAX_AMOUNT), 422, "amount_out_of_range");
    const packages = await t.database.owner
      .selectFrom("resource_packages")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("owner_id", "=", otherMember.id)
      .execute();
    expect(packages).toHaveLength(9);
    expect(await posted(`rpkg_src_${otherMember.id}_GB`)).toBe(-9 * MAX_AMOUNT);
    await trail.ledgerClean();
  });
});

describe("coupon grants", () => {
  it("a coupon whose validity ends before (or as) it starts is refused and funds nothing", async () => {
    const funding = await posted(`vfund_${ent.id}_CNY`);
    const grant = (startsIn: number, expiresIn: number) =>
      post(`/v1/enterprises/${ent.id}/coupons`, tenant.auth, {
        amount: { amount: 5_000, asset: "CNY" },
        allocation_mode: "multiple",
        scope: { kind: "all" },
        starts_at: days(startsIn),
        expires_at: days(expiresIn),
      });
    const coupons = async () =>
      json<{ data: unknown[] }>(
        await t.app.inject({ url: `/v1/enterprises/${ent.id}/coupons?limit=100`, headers: master }),
      ).data.length;
    const count = await coupons();
    expectProblem(await grant(10, 5), 400, "invalid_validity");
    expectProblem(await grant(5, 5), 400, "invalid_validity");
    expect(await coupons()).toBe(count);
    expect(await posted(`vfund_${ent.id}_CNY`)).toBe(funding);
    expect((await grant(1, 5)).statusCode).toBe(201);
    expect(await coupons()).toBe(count + 1);
    await trail.ledgerClean();
  });
});

describe("revocation after the master coupon was withdrawn", () => {
  it("what a revocation returns to a withdrawn master coupon goes on to the enterprise's funding at once", async () => {
    const coupon = await grantCoupon(other, 1_000);
    const allocated = await post(`/v1/enterprise-coupons/${coupon}/allocations`, tenant.auth, {
      allocations: [{ member_id: otherMember.id, amount: 300 }],
    });
    expect(allocated.statusCode, allocated.body).toBe(201);
    const funding = `vfund_${other.id}_CNY`;
    const fundingBefore = await posted(funding);
    const withdrawn = await post(`/v1/vouchers/${coupon}/withdraw`, tenant.auth, {});
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(await posted(funding)).toBe(fundingBefore + 700);
    const revoked = await Promise.all([
      post(`/v1/enterprise-coupons/${coupon}/revocations`, tenant.auth, { member_id: otherMember.id }),
      post(`/v1/enterprise-coupons/${coupon}/revocations`, tenant.auth, { member_id: otherMember.id }),
    ]);
    expect(revoked.map((r) => json<{ revoked_amount: number }>(r).revoked_amount).sort()).toEqual([0, 300]);
    // Nothing waits in the dead coupon for a later sweep: the master cannot use it any more.
    expect(await posted(`vacct_${coupon}`)).toBe(0);
    expect(await posted(funding)).toBe(fundingBefore + 1_000);
    expect(await trail.audit(coupon)).toContain("enterprise_coupon.swept");
    expect((await trail.events("enterprise.coupon_swept")).filter((e) => e.coupon_id === coupon)).toEqual([
      { enterprise_id: other.id, coupon_id: coupon, asset: "CNY", amount: 300 },
    ]);
    await trail.ledgerClean();
  });
});

describe("revocation from a member account of another master", () => {
  it("is refused and records nothing, whatever the coupon's allocations", async () => {
    const coupon = await grantCoupon(ent, 1_000);
    const revoke = () =>
      post(`/v1/enterprise-coupons/${coupon}/revocations`, master, { member_id: otherMember.id });
    const preview = await t.app.inject({
      url: `/v1/enterprise-coupons/${coupon}/revocable?member_id=${otherMember.id}`,
      headers: master,
    });
    for (const r of [...(await Promise.all([revoke(), revoke()])), preview]) {
      expectProblem(r, 422, "member_not_associated");
    }
    expect(await trail.audit(coupon)).not.toContain("enterprise_coupon.revoked");
    expect((await trail.events("enterprise.coupon_revoked")).filter((e) => e.coupon_id === coupon)).toEqual(
      [],
    );
    // The master's own member account: nothing allocated, nothing to confirm.
    const own = await t.app.inject({
      url: `/v1/enterprise-coupons/${coupon}/revocable?member_id=${m1.id}`,
      headers: master,
    });
    expect(json(own)).toMatchObject({ recoverable_amount: 0, vouchers: [] });
  });
});

describe("who grants value to an enterprise", () => {
  it("the platform (staff above the master) grants coupons and packages; the master's own staff cannot mint them", async () => {
    const member = (await createTestKey(t, tenant.tenantId, "operator", m1.id)).auth;
    const coupon = (auth: Record<string, string>) =>
      post(`/v1/enterprises/${ent.id}/coupons`, auth, {
        amount: { amount: 1_000_000, asset: "CNY" },
        allocation_mode: "multiple",
        scope: { kind: "all" },
        expires_at: days(30),
      });
    const pkg = (auth: Record<string, string>, owner: Unit) =>
      post("/v1/resource-packages", auth, {
        owner_id: owner.id,
        product_code: "minted",
        unit: "GB",
        quantity: 1_000,
        expires_at: days(30),
      });
    const sources = () =>
      Promise.all([`vfund_${ent.id}_CNY`, `rpkg_src_${ent.id}_GB`, `rpkg_src_${m1.id}_GB`].map(posted));
    const before = await sources();
    const refused = await Promise.all([coupon(master), pkg(master, ent), pkg(master, m1), pkg(member, m1)]);
    for (const r of refused) expectProblem(r, 403, "forbidden");
    expect(await sources()).toEqual(before);
    // Staff above the master (here the tenant's own) grant both.
    const platform = (await createTestKey(t, tenant.tenantId, "operator", tenant.rootOrgUnitId)).auth;
    expect((await coupon(platform)).statusCode).toBe(201);
    expect((await pkg(platform, m1)).statusCode).toBe(201);
    await trail.ledgerClean();
  });
});

describe("revoking more allocations than one call takes", () => {
  it("is refused as a whole instead of revoking the first hundred and answering as if that were all", async () => {
    const coupon = await grantCoupon(ent, 10_000);
    const allocate = (count: number) =>
      post(`/v1/enterprise-coupons/${coupon}/allocations`, master, {
        allocations: Array.from({ length: count }, () => ({ member_id: m2.id, amount: 10 })),
      });
    expect((await allocate(100)).statusCode).toBe(201);
    expect((await allocate(1)).statusCode).toBe(201);
    const preview = json<{ recoverable_amount: number; vouchers: { voucher_id: string }[] }>(
      await t.app.inject({
        url: `/v1/enterprise-coupons/${coupon}/revocable?member_id=${m2.id}`,
        headers: master,
      }),
    );
    expect(preview.recoverable_amount).toBe(1_010);
    const all = await post(`/v1/enterprise-coupons/${coupon}/revocations`, master, { member_id: m2.id });
    const problem = expectProblem(all, 400, "limit_exceeded");
    expect(problem.detail).toMatch(/100/);
    expect(await posted(`vacct_${coupon}`)).toBe(10_000 - 1_010);
    // Named in calls of at most 100, every one comes back.
    const ids = preview.vouchers.map((v) => v.voucher_id);
    const parts = await Promise.all(
      [ids.slice(0, 100), ids.slice(100)].map((voucher_ids) =>
        post(`/v1/enterprise-coupons/${coupon}/revocations`, master, { member_id: m2.id, voucher_ids }),
      ),
    );
    expect(parts.map((r) => json<{ revoked_amount: number }>(r).revoked_amount).sort()).toEqual([10, 1_000]);
    expect(await posted(`vacct_${coupon}`)).toBe(10_000);
    await trail.ledgerClean();
  });
});

describe("usage with many packages", () => {
  it("packages used up never crowd out ones that still hold quantity", async () => {
    // 200 one-unit packages that end first, and one of 5 that ends later.
    for (let i = 0; i < 200; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => grantPackage(m2, "daily", 1, 10)));
    }
    const later = await grantPackage(m2, "daily", 5, 20);
    expect(json(await use("u-daily-1", m2, "daily", 200))).toMatchObject({ covered_quantity: 200 });
    const answers = await Promise.all([use("u-daily-2", m2, "daily", 2), use("u-daily-3", m2, "daily", 2)]);
    for (const r of answers) {
      expect(json(r)).toMatchObject({
        covered_quantity: 2,
        billable_quantity: 0,
        draws: [{ package_id: later }],
      });
    }
    expect(await posted(`rpkg_${later}`)).toBe(1);
    await trail.ledgerClean();
  });
});

// Moves the clock: keep last.
describe("usage and the packages' validity", () => {
  it("usage reported late or ahead draws only packages usable now, whether or not the expiry job has run", async () => {
    const ended = await grantPackage(m1, "late", 10, 1, -3);
    const notYet = await grantPackage(m1, "late", 10, 30, 5);
    t.clock.advanceDays(2);
    // The use happened while `ended` was valid, but it has ended: its rest belongs to its source.
    const late = await use("u-late", m1, "late", 4, days(-1.5));
    expect(json(late)).toMatchObject({ covered_quantity: 0, billable_quantity: 4, draws: [] });
    // A use dated ahead does not open a package before its start.
    const ahead = await use("u-ahead", m1, "late", 4, days(4));
    expect(json(ahead)).toMatchObject({ covered_quantity: 0, billable_quantity: 4, draws: [] });
    // The expiry job racing another late use: the package expires whole, once.
    const [expired, raced] = await Promise.all([
      runPackageExpiry(t.deps),
      use("u-late-2", m1, "late", 4, days(-1.5)),
    ]);
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(json(raced)).toMatchObject({ covered_quantity: 0 });
    const row = await t.database.owner
      .selectFrom("resource_packages")
      .select(["expired_quantity"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("id", "=", ended)
      .executeTakeFirstOrThrow();
    expect(row.expired_quantity).toBe(10);
    expect(await posted(`rpkg_${ended}`)).toBe(0);
    expect(await posted(`rpkg_${notYet}`)).toBe(10);
    expect(await runPackageExpiry(t.deps)).toBe(0);
    await trail.ledgerClean();
  });
});

describe("an allocated coupon withdrawn through the vouchers' route", () => {
  it("is refused with the enterprise's revocation route to use, and moves nothing", async () => {
    const coupon = await grantCoupon(ent, 1_000);
    const allocated = await post(`/v1/enterprise-coupons/${coupon}/allocations`, tenant.auth, {
      allocations: [{ member_id: m2.id, amount: 300 }],
    });
    expect(allocated.statusCode, allocated.body).toBe(201);
    const voucher = json<{ data: { voucher_id: string }[] }>(allocated).data[0]!.voucher_id;
    for (const who of [tenant.auth, master]) {
      const r = await post(`/v1/vouchers/${voucher}/withdraw`, who, { reason: "by mistake" });
      const problem = expectProblem(r, 409, "enterprise_revocation_required");
      expect(problem).toMatchObject({
        coupon_id: coupon,
        revoke_path: `/v1/enterprise-coupons/${coupon}/revocations`,
      });
    }
    expect(await posted(`vacct_${voucher}`)).toBe(300);
    expect(await posted(`vacct_${coupon}`)).toBe(700);
    expect(await trail.audit(voucher)).not.toContain("voucher.withdrawn");
    // The enterprise's route revokes it, and its history shows the revocation.
    const revoked = await post(`/v1/enterprise-coupons/${coupon}/revocations`, master, {
      member_id: m2.id,
      voucher_ids: [voucher],
    });
    expect(json(revoked)).toMatchObject({ revoked_amount: 300 });
    const history = json<{ data: { kind: string; voucher_id: string }[] }>(
      await t.app.inject({
        url: `/v1/enterprises/${ent.id}/coupon-records?coupon_id=${coupon}`,
        headers: master,
      }),
    ).data;
    expect(history.map((h) => h.kind).sort()).toEqual(["allocation", "revocation"]);
    expect(await posted(`vacct_${coupon}`)).toBe(1_000);
    await trail.ledgerClean();
  });
});

describe("a bill id under both bill routes", () => {
  it("is one request only with the same holders: the other route's bill is refused, not replayed", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const third = await createTestOrgUnit(t, tenant.tenantId, root, "enterprise", "Third master");
    const member = await createTestOrgUnit(t, tenant.tenantId, third, "member_account", "T1");
    expect(
      (await post(`/v1/enterprises/${third.id}/members`, tenant.auth, { member_id: member.id })).statusCode,
    ).toBe(201);
    const coupon = await grantCoupon(third, 1_000);
    const plain = (billId: string) =>
      post("/v1/voucher-bills", tenant.auth, {
        bill_id: billId,
        customer_id: member.id,
        asset: "CNY",
        lines: [{ product_code: "cvm", amount: 300 }],
      });
    // First without the master's shared coupons: the enterprise's bill is another request.
    const first = await plain("both-routes-1");
    expect(json(first)).toMatchObject({ deducted_amount: 0, payable_amount: 300 });
    expectProblem(await pay(third, member, "both-routes-1", 300), 409, "bill_id_reused");
    // First with them: the plain bill is another request too.
    const shared = await pay(third, member, "both-routes-2", 300);
    expect(json(shared)).toMatchObject({ deducted_amount: 300, payable_amount: 0 });
    expectProblem(await plain("both-routes-2"), 409, "bill_id_reused");
    // Each route still replays its own.
    expect(json(await plain("both-routes-1"))).toEqual(json(first));
    expect(json(await pay(third, member, "both-routes-2", 300))).toEqual(json(shared));
    expect(await posted(`vacct_${coupon}`)).toBe(700);
    await trail.ledgerClean();
  });
});

describe("moving an associated member account", () => {
  it("keeps it under its master: a move out is refused and changes nothing; a move inside is allowed", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const masterA = await createTestOrgUnit(t, tenant.tenantId, root, "enterprise", "Mover's master");
    const masterB = await createTestOrgUnit(t, tenant.tenantId, root, "enterprise", "Another master");
    const dept = await createTestOrgUnit(t, tenant.tenantId, masterA, "organization", "Department");
    const member = await createTestOrgUnit(t, tenant.tenantId, dept, "member_account", "Mover");
    const sharer = await createTestOrgUnit(t, tenant.tenantId, masterA, "member_account", "Sharer");
    const loose = await createTestOrgUnit(t, tenant.tenantId, masterA, "member_account", "Never associated");
    for (const m of [member, sharer]) {
      expect(
        (await post(`/v1/enterprises/${masterA.id}/members`, tenant.auth, { member_id: m.id })).statusCode,
      ).toBe(201);
    }
    const coupon = await grantCoupon(masterA, 1_000);
    const allocated = await post(`/v1/enterprise-coupons/${coupon}/allocations`, tenant.auth, {
      allocations: [{ member_id: member.id, amount: 400 }],
    });
    expect(allocated.statusCode, allocated.body).toBe(201);
    const move = (id: string, parentId: string) =>
      post(`/v1/org-units/${id}/move`, tenant.auth, { parent_id: parentId });
    const pathOf = (id: string) =>
      t.deps.db.tenantTx(tenant.tenantId, (trx) =>
        trx.selectFrom("org_units").select("path").where("id", "=", id).executeTakeFirstOrThrow(),
      );
    const before = await pathOf(member.id);

    // Under another master its staff would spend the coupons this master allocated (and draw
    // its shared packages), while this master could no longer see them to revoke.
    expectProblem(await move(member.id, masterB.id), 409, "org_unit_in_use");
    expectProblem(await move(dept.id, masterB.id), 409, "org_unit_in_use");
    expectProblem(await move(member.id, root.id), 409, "org_unit_in_use");
    expect(await pathOf(member.id)).toEqual(before);
    // Associated without coupons, it still draws the master's shared packages: it stays too.
    expectProblem(await move(sharer.id, masterB.id), 409, "org_unit_in_use");

    // Inside its master's subtree it moves; one never associated moves anywhere.
    expect((await move(member.id, masterA.id)).statusCode).toBe(200);
    expect((await move(loose.id, masterB.id)).statusCode).toBe(200);
    const revocable = json<{ recoverable_amount: number }>(
      await t.app.inject({
        url: `/v1/enterprise-coupons/${coupon}/revocable?member_id=${member.id}`,
        headers: (await createTestKey(t, tenant.tenantId, "operator", masterA.id)).auth,
      }),
    );
    expect(revocable.recoverable_amount).toBe(400);
    await trail.ledgerClean();
  });
});
