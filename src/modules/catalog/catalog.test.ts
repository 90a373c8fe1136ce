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
import { memberAuth } from "../../../test/helpers/vouchers.js";
import {
  closedReason,
  grantEntitlements,
  revokeEntitlements,
  storeInScope,
  validateStoreScope,
} from "./index.js";

/** The catalog's shared pieces over HTTP and as the functions other modules call. */
let t: TestApp;
let tenant: TestTenant;

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

const call = (method: "GET" | "POST" | "PATCH", url: string, payload?: object, headers = tenant.auth) =>
  t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

describe("images", () => {
  it("keeps an image with its purpose and serves it sandboxed; content must match the type", async () => {
    const up = await t.app.inject({
      method: "POST",
      url: "/v1/images?purpose=package_cover",
      headers: { ...tenant.auth, "content-type": "image/png" },
      payload: PNG,
    });
    expect(up.statusCode, up.body).toBe(201);
    const image = json<{ id: string; purpose: string; size: number; url: string }>(up);
    expect(image).toMatchObject({ purpose: "package_cover", size: PNG.length });
    const got = await t.app.inject({ url: image.url, headers: tenant.auth });
    expect(got.statusCode).toBe(200);
    expect(got.headers["content-security-policy"]).toContain("sandbox");
    expect(got.rawPayload.equals(PNG)).toBe(true);

    const lie = await t.app.inject({
      method: "POST",
      url: "/v1/images?purpose=detail",
      headers: { ...tenant.auth, "content-type": "image/jpeg" },
      payload: PNG,
    });
    expect(json<{ code: string }>(lie).code).toBe("invalid_image");
    const icon = await t.app.inject({
      method: "POST",
      url: "/v1/images?purpose=benefit_icon",
      headers: { ...tenant.auth, "content-type": "image/png" },
      payload: Buffer.concat([PNG, Buffer.alloc(1024 * 1024)]),
    });
    expect(json<{ code: string }>(icon).code).toBe("invalid_image");
  });

  it("staff bound to an org unit cannot change the catalog", async () => {
    const store = await createTestOrgUnit(
      t,
      tenant.tenantId,
      { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` },
      "store",
      "Scoped store",
    );
    const scoped = await createTestKey(t, tenant.tenantId, "admin", store.id);
    const r = await call(
      "POST",
      "/v1/agreements",
      { type: "faq", title: "FAQ", body: "Q?", locale: "en" },
      scoped.auth,
    );
    expect(r.statusCode).toBe(403);
    expect(json<{ code: string }>(r).code).toBe("catalog_scoped_actor");
  });
});

describe("agreements", () => {
  it("versions new text, keeps old versions readable, and refuses a sale shown an old version", async () => {
    const created = json<{ id: string; version: number }>(
      await call("POST", "/v1/agreements", {
        type: "purchase_agreement",
        title: "Purchase agreement",
        body: "# v1",
        locale: "zh-CN",
      }),
    );
    expect(created.version).toBe(1);
    const edited = json<{ version: number; body: string }>(
      await call("PATCH", `/v1/agreements/${created.id}`, { body: "# v2" }),
    );
    expect(edited).toMatchObject({ version: 2, body: "# v2" });
    const archived = json<{ version: number; status: string }>(
      await call("PATCH", `/v1/agreements/${created.id}`, { status: "archived" }),
    );
    expect(archived).toMatchObject({ version: 2, status: "archived" });
    const v1 = json<{ body: string }>(await call("GET", `/v1/agreements/${created.id}/versions/1`));
    expect(v1.body).toBe("# v1");
    const big = await call("POST", "/v1/agreements", {
      type: "faq",
      title: "Big",
      body: "中".repeat(22_000),
      locale: "zh-CN",
    });
    expect(json<{ code: string }>(big).code).toBe("validation_failed");
  });
});

describe("store scope", () => {
  it("admits stores by id, org unit subtree or group; exclusions win; empty admits all", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const region = await createTestOrgUnit(t, tenant.tenantId, root, "organization", "East");
    const east1 = await createTestOrgUnit(t, tenant.tenantId, region, "store", "East 1");
    const east2 = await createTestOrgUnit(t, tenant.tenantId, region, "store", "East 2");
    const west = await createTestOrgUnit(t, tenant.tenantId, root, "store", "West");
    const group = json<{ id: string }>(
      await call("POST", "/v1/store-groups", { name: "Malls", store_ids: [west.id] }),
    );
    const cases: [object, string | null, boolean][] = [
      [{}, null, true],
      [{}, west.id, true],
      [{ org_units: [region.id] }, east1.id, true],
      [{ org_units: [region.id] }, west.id, false],
      [{ org_units: [region.id], exclude_stores: [east2.id] }, east2.id, false],
      [{ store_groups: [group.id] }, west.id, true],
      [{ stores: [east1.id] }, east1.id, true],
      [{ stores: [east1.id] }, null, false],
      [{ exclude_stores: [west.id] }, null, true],
      [{ exclude_stores: [west.id] }, west.id, false],
    ];
    await t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
      for (const [scope, store, expected] of cases) {
        expect(await storeInScope(trx, tenant.tenantId, scope, store), JSON.stringify([scope, store])).toBe(
          expected,
        );
      }
      await expect(validateStoreScope(trx, tenant.tenantId, { stores: [region.id] })).rejects.toMatchObject({
        code: "invalid_store_scope",
      });
    });
  });
});

describe("availability", () => {
  const zone = "Asia/Shanghai";
  it.each([
    // 2025-10-03 is a Friday; 12:00 local = 04:00Z.
    [{ from_date: "2025-10-01", until_date: "2025-10-07" }, "2025-10-03T04:00:00Z", null],
    [{ from_date: "2025-10-01", until_date: "2025-10-07" }, "2025-10-07T15:59:00Z", null],
    [{ from_date: "2025-10-01", until_date: "2025-10-07" }, "2025-10-07T16:00:00Z", "ended"],
    [{ from_date: "2025-10-01" }, "2025-09-30T15:59:00Z", "not_started"],
    [
      {
        schedule: { frequency: "daily", time: { kind: "unified", window: { start: "10:00", end: "22:00" } } },
      },
      "2025-10-03T01:59:00Z",
      "outside_hours",
    ],
    [
      {
        schedule: { frequency: "daily", time: { kind: "unified", window: { start: "10:00", end: "22:00" } } },
      },
      "2025-10-03T02:00:00Z",
      null,
    ],
    [
      { schedule: { frequency: "weekly", days: [5], time: { kind: "all_day" } } },
      "2025-10-03T04:00:00Z",
      null,
    ],
    [
      { schedule: { frequency: "weekly", days: [5], time: { kind: "all_day" } } },
      "2025-10-04T04:00:00Z",
      "wrong_day",
    ],
    [
      { schedule: { frequency: "monthly", days: [1, 15, "last"], time: { kind: "all_day" } } },
      "2025-10-31T04:00:00Z",
      null,
    ],
  ] as const)("%j at %s → %s", (availability, at, expected) => {
    expect(closedReason(availability as never, new Date(at), zone)).toBe(expected);
  });
});

describe("entitlements", () => {
  it("count as an audience match in quotes inside their window, with the source; revoked ones do not", async () => {
    await call("POST", "/v1/card-plans", {
      code: "std",
      name: "Standard",
      validity: { kind: "permanent" },
      tiers: [
        { code: "silver", name: "Silver", rank: 1 },
        { code: "gold", name: "Gold", rank: 2 },
      ],
    });
    const member = json<{ id: string }>(
      await call("POST", "/v1/members", { name: "Ann", tier: "silver" }),
    ).id;
    const gold = json<{ id: string }>(
      await call("POST", "/v1/benefits", {
        kind: "member_discount",
        name: "Gold 20% off",
        audience: { tiers: ["gold"] },
        config: { discount_percent: 20 },
      }),
    ).id;
    const now = t.clock.now();
    const until = new Date(now.getTime() + 3 * 86_400_000);
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      grantEntitlements(
        trx,
        tenant.tenantId,
        {
          memberId: member,
          benefitIds: [gold],
          source: { type: "package_period", id: "pkgp_test", name: "Premium" },
          validFrom: now,
          validUntil: until,
        },
        now,
      ),
    );
    const quote = async (at: Date) =>
      json<{
        total: number;
        benefits_applied: { benefit_id: string; source: Record<string, unknown> }[];
        benefits_not_applied: { benefit_id: string; reason: string }[];
      }>(
        await call("POST", "/v1/checkout/quotes", {
          member_id: member,
          channel: "POS",
          at: at.toISOString(),
          lines: [{ sku: "tea", category: "drinks", quantity: 1, unit_price: 1000 }],
        }),
      );
    const inside = await quote(new Date(now.getTime() + 86_400_000));
    expect(inside.total).toBe(800);
    expect(inside.benefits_applied).toEqual([
      expect.objectContaining({
        benefit_id: gold,
        source: {
          kind: "entitlement",
          source_type: "package_period",
          source_id: "pkgp_test",
          source_name: "Premium",
          valid_until: until.toISOString(),
        },
      }),
    ]);
    const after = await quote(until);
    expect(after.total).toBe(1000);
    expect(after.benefits_not_applied).toContainEqual(
      expect.objectContaining({ benefit_id: gold, reason: "audience" }),
    );

    const own = await memberAuth(t, tenant, member);
    const listed = json<{ data: { benefit_id: string; status: string }[] }>(
      await call("GET", `/v1/members/${member}/entitlements`, undefined, own),
    );
    expect(listed.data).toEqual([expect.objectContaining({ benefit_id: gold, status: "active" })]);

    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      revokeEntitlements(trx, tenant.tenantId, { type: "package_period", id: "pkgp_test" }, t.clock.now()),
    );
    expect((await quote(new Date(now.getTime() + 86_400_000))).total).toBe(1000);
  });
});
