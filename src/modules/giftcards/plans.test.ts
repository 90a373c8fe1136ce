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
import { createAsset } from "../../ledger/index.js";
import { expiryOf, priceOf } from "./plan-rules.js";

/** Gift card plans with the seed's numbers (seed 001 §2.5.2–2.5.3). */
let t: TestApp;
let tenant: TestTenant;

const base = {
  name: "2025 Mid-Autumn Reunion E-Cash Card",
  card_type: "electronic",
  currency: "CNY",
  design: { kind: "template", template: "festival" },
  validity: { kind: "after_purchase", years: 1 },
  channels: ["POS", "ONLINE"],
};

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
    createAsset(trx, tenant.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, t.clock.now()),
  );
});
afterAll(async () => t?.close());

const post = (url: string, payload: object, headers = tenant.auth) =>
  t.app.inject({ method: "POST", url, headers, payload });
const denominations = (n: number) => Array.from({ length: n }, (_, i) => ({ amount: (i + 1) * 10000 }));

describe("gift card plans", () => {
  it("takes 6 denominations and refuses a 7th", async () => {
    const six = await post("/v1/gift-card-plans", { ...base, denominations: denominations(6) });
    expect(six.statusCode, six.body).toBe(201);
    expect(json(six)).toMatchObject({ status: "inactive", denominations: expect.any(Array) });
    const seven = await post("/v1/gift-card-plans", { ...base, denominations: denominations(7) });
    const problem = expectProblem(seven, 400, "validation_failed") as { errors?: { field: string }[] };
    expect(problem.errors?.[0]?.field).toContain("denominations");
  });

  it("needs a denomination or a custom amount, a discount below its amount, a sane range", async () => {
    expectProblem(await post("/v1/gift-card-plans", base), 400, "plan_has_no_amount");
    expectProblem(
      await post("/v1/gift-card-plans", { ...base, denominations: [{ amount: 20000, discount: 20000 }] }),
      400,
      "invalid_denominations",
    );
    expectProblem(
      await post("/v1/gift-card-plans", {
        ...base,
        denominations: [{ amount: 20000 }, { amount: 20000 }],
      }),
      400,
      "invalid_denominations",
    );
    expectProblem(
      await post("/v1/gift-card-plans", { ...base, custom_amount: { min: 500000, max: 5000 } }),
      400,
      "invalid_custom_amount",
    );
    expectProblem(
      await post("/v1/gift-card-plans", { ...base, currency: "USD", denominations: [{ amount: 100 }] }),
      404,
      "asset_not_found",
    );
    expectProblem(
      await post("/v1/gift-card-plans", {
        ...base,
        denominations: [{ amount: 100 }],
        buyer_info: { card_number: "required" },
      }),
      400,
      "validation_failed",
    );
  });

  it("prices a 200 card with 20 off at 180, a custom 50–5,000 amount, and refuses 49.99", async () => {
    const res = await post("/v1/gift-card-plans", {
      ...base,
      denominations: [{ amount: 20000, discount: 2000 }],
      custom_amount: { min: 5000, max: 500000, discount_bps: 250 },
    });
    expect(res.statusCode, res.body).toBe(201);
    const plan = json<{ denominations: { amount: number; discount: number }[]; custom_amount: never }>(res);
    expect(priceOf(plan, 20000)).toEqual({ face: 20000, discount: 2000, paid: 18000 });
    expect(priceOf(plan, 5000)).toEqual({ face: 5000, discount: 125, paid: 4875 });
    // 2.5% of 50.01 is 1.25025: the discount rounds down to 1.25.
    expect(priceOf(plan, 5001)).toEqual({ face: 5001, discount: 125, paid: 4876 });
    expect(priceOf(plan, 500000).paid).toBe(487500);
    expect(() => priceOf(plan, 4999)).toThrow(
      expect.objectContaining({ code: "gift_card_amount_not_allowed" }),
    );
    expect(() => priceOf(plan, 500001)).toThrow(
      expect.objectContaining({ code: "gift_card_amount_not_allowed" }),
    );
  });

  it("bounds the validity after purchase to 10 years in all, years, months and days together", async () => {
    const plan = (validity: object) =>
      post("/v1/gift-card-plans", { ...base, validity, denominations: [{ amount: 10000 }] });
    for (const validity of [
      { kind: "after_purchase", years: 10, days: 3660 },
      { kind: "after_purchase", years: 10, days: 1 },
      { kind: "after_purchase", months: 119, days: 31 },
      { kind: "after_purchase", years: 9, months: 12, days: 1 },
    ]) {
      expectProblem(await plan(validity), 400, "invalid_gift_card_validity");
    }
    for (const validity of [
      { kind: "after_purchase", years: 10 },
      { kind: "after_purchase", days: 3660 },
      { kind: "after_purchase", years: 9, days: 366 },
      { kind: "after_purchase", years: 9, months: 11, days: 30 },
    ]) {
      const ok = await plan(validity);
      expect(ok.statusCode, `${JSON.stringify(validity)}: ${ok.body}`).toBe(201);
    }
  });

  it("copies everything with a new name, validity and design; edits; activates and deactivates", async () => {
    const created = json<{ id: string }>(
      await post("/v1/gift-card-plans", {
        ...base,
        name: "Spring Festival Gift Card",
        denominations: [{ amount: 10000 }, { amount: 20000, discount: 2000 }],
        buyer_info: { phone: "required", email: "optional" },
        pos_recharge: true,
      }),
    );
    const copy = await post(`/v1/gift-card-plans/${created.id}/copy`, {
      name: "2026 Spring Festival Gift Card",
      validity: { kind: "fixed", until: "2026-12-31" },
      design: { kind: "template", template: "celebration" },
    });
    expect(copy.statusCode, copy.body).toBe(201);
    expect(json(copy)).toMatchObject({
      name: "2026 Spring Festival Gift Card",
      copied_from: created.id,
      status: "inactive",
      denominations: [
        { amount: 10000, discount: 0 },
        { amount: 20000, discount: 2000 },
      ],
      buyer_info: { name: "optional", phone: "required", email: "optional", card_number: "off" },
      validity: { kind: "fixed", until: "2026-12-31" },
      design: { kind: "template", template: "celebration" },
      pos_recharge: true,
    });
    const edited = await t.app.inject({
      method: "PATCH",
      url: `/v1/gift-card-plans/${created.id}`,
      headers: tenant.auth,
      payload: { channels: ["POS"], denominations: [{ amount: 30000, discount: 3000 }] },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(json(edited)).toMatchObject({
      channels: ["POS"],
      denominations: [{ amount: 30000, discount: 3000 }],
    });
    const on = await post(`/v1/gift-card-plans/${created.id}/activate`, {});
    expect(json(on)).toMatchObject({ status: "active" });
    const off = await post(`/v1/gift-card-plans/${created.id}/deactivate`, {});
    expect(json(off)).toMatchObject({ status: "inactive" });
    const list = json<{ data: { id: string }[] }>(
      await t.app.inject({
        method: "GET",
        url: "/v1/gift-card-plans?status=inactive&limit=100",
        headers: tenant.auth,
      }),
    );
    expect(list.data.map((p) => p.id)).toContain(created.id);
  });

  it("is changed only by tenant-wide staff with the manage permission", async () => {
    const root = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .selectFrom("org_units")
        .select(["id", "path"])
        .where("parent_id", "is", null)
        .executeTakeFirstOrThrow(),
    );
    const store = await createTestOrgUnit(t, tenant.tenantId, root, "store", "Store");
    const scoped = await createTestKey(t, tenant.tenantId, "admin", store.id);
    const viewer = await createTestKey(t, tenant.tenantId, "viewer");
    const body = { ...base, denominations: [{ amount: 100 }] };
    expect((await post("/v1/gift-card-plans", body, scoped.auth)).statusCode).toBe(403);
    expect((await post("/v1/gift-card-plans", body, viewer.auth)).statusCode).toBe(403);
  });
});

describe("plans seen from a store", () => {
  it("lists and shows a store-bound key only the plans usable at its store", async () => {
    const root = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .selectFrom("org_units")
        .select(["id", "path"])
        .where("parent_id", "is", null)
        .executeTakeFirstOrThrow(),
    );
    const region = await createTestOrgUnit(t, tenant.tenantId, root, "region", "North");
    const north = await createTestOrgUnit(t, tenant.tenantId, region, "store", "North store");
    const south = await createTestOrgUnit(t, tenant.tenantId, root, "store", "South store");
    const plan = async (store_scope: object) =>
      json<{ id: string }>(
        await post("/v1/gift-card-plans", { ...base, denominations: [{ amount: 100 }], store_scope }),
      ).id;
    const everywhere = await plan({});
    const byStore = await plan({ stores: [north.id] });
    const byRegion = await plan({ org_units: [region.id] });
    const southOnly = await plan({ stores: [south.id] });
    const notNorth = await plan({ exclude_stores: [north.id] });
    const group = json<{ id: string }>(
      await post("/v1/store-groups", { name: "Northern group", store_ids: [north.id] }),
    ).id;
    const byGroup = await plan({ store_groups: [group] });
    const till = await createTestKey(t, tenant.tenantId, "operator", north.id);
    const seen = json<{ data: { id: string }[] }>(
      await t.app.inject({ method: "GET", url: "/v1/gift-card-plans?limit=100", headers: till.auth }),
    ).data.map((p) => p.id);
    for (const id of [everywhere, byStore, byRegion, byGroup]) expect(seen).toContain(id);
    for (const id of [southOnly, notNorth]) expect(seen).not.toContain(id);
    const get = (id: string) =>
      t.app.inject({ method: "GET", url: `/v1/gift-card-plans/${id}`, headers: till.auth });
    expect((await get(byRegion)).statusCode).toBe(200);
    expectProblem(await get(southOnly), 404, "gift_card_plan_not_found");
  });
});

describe("card validity in the tenant's zone", () => {
  it("counts the purchase day as day 1 and ends a fixed date at its midnight", () => {
    const sold = new Date("2026-11-23T08:00:00Z"); // 16:00 in Shanghai
    expect(expiryOf({ kind: "after_purchase", years: 1 }, sold, "Asia/Shanghai")?.toISOString()).toBe(
      "2027-11-22T16:00:00.000Z",
    );
    // 23:30 in Shanghai on 23 Nov is still 23 Nov there.
    const late = new Date("2026-11-23T15:30:00Z");
    expect(expiryOf({ kind: "after_purchase", days: 30 }, late, "Asia/Shanghai")?.toISOString()).toBe(
      "2026-12-22T16:00:00.000Z",
    );
    expect(expiryOf({ kind: "fixed", until: "2026-12-31" }, sold, "Asia/Shanghai")?.toISOString()).toBe(
      "2026-12-31T16:00:00.000Z",
    );
    expect(expiryOf({ kind: "none" }, sold, "Asia/Shanghai")).toBeNull();
  });
});
