import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestKey, createTestOrgUnit, json } from "../../../test/helpers/app.js";
import { roundTripsOf } from "../../../test/helpers/metrics.js";
import { type OrderBody, type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";
import { runPackageExpiry } from "./index.js";

/** Paid benefit packages over HTTP with the seed's numbers (seed 001 §2.2). */
let w: PackageWorld;
const DAY = 86_400_000;
// 10:00 on 10 Oct 2025 in Shanghai (the tenant's zone): after the Oct 1-7 promotion.
const OCT_10 = "2025-10-10T02:00:00Z";

beforeAll(async () => {
  w = await packageWorld();
  w.t.clock.set(OCT_10);
});
afterAll(async () => w?.t.close());

const buy = (body: Record<string, unknown>, headers?: Record<string, string>, key?: string) =>
  w.call("POST", "/v1/package-orders", { channel: "POS", payment_method: "balance", ...body }, headers, key);
const bought = (body: Record<string, unknown>, headers?: Record<string, string>, key?: string) =>
  w.ok<OrderBody>(buy(body, headers, key), 201);

describe("prices: the seed's 199 / 159 / 179 / 169 / 139", () => {
  it("charges the lowest price that applies and records its kind on the order", async () => {
    const pkg = await w.createPackage({
      sales_rules: [w.seedRule, { key: "basic", duration_days: 90, original_price: 19900 }],
    });
    const [ann, bob, cat, dan] = [
      await w.member(100_000),
      await w.member(100_000),
      await w.member(100_000),
      await w.member(100_000),
    ];

    // During Oct 1-7: the limited-time price.
    w.t.clock.set("2025-10-03T04:00:00Z");
    const promo = await bought({ package_id: pkg, member_id: bob, rule_key: "quarterly" });
    expect([promo.price.amount, promo.price_kind, promo.situation]).toEqual([
      13900,
      "limited_time",
      "first_purchase",
    ]);

    w.t.clock.set(OCT_10);
    const first = await bought({ package_id: pkg, member_id: ann, rule_key: "quarterly" });
    expect([first.price.amount, first.price_kind, first.situation]).toEqual([
      15900,
      "first_purchase",
      "first_purchase",
    ]);
    expect(first.period).toMatchObject({
      starts_at: "2025-10-10T02:00:00.000Z",
      ends_at: "2026-01-08T02:00:00.000Z",
      status: "active",
    });

    // A period is active: early renewal, starting where the current one ends.
    w.t.clock.set("2025-10-11T02:00:00Z");
    const renewal = await bought({ package_id: pkg, member_id: ann, rule_key: "quarterly" });
    expect([renewal.price.amount, renewal.price_kind, renewal.situation]).toEqual([
      16900,
      "early_renewal",
      "early_renewal",
    ]);
    expect(renewal.period).toMatchObject({
      starts_at: first.period!.ends_at,
      ends_at: "2026-04-08T02:00:00.000Z",
      status: "scheduled",
    });

    // A rule with only an original price.
    const basic = await bought({ package_id: pkg, member_id: cat, rule_key: "basic" });
    expect([basic.price.amount, basic.price_kind]).toEqual([19900, "original"]);

    // Bought before, nothing held any more: the repeat price.
    await bought({ package_id: pkg, member_id: dan, rule_key: "quarterly" });
    w.t.clock.set(new Date(Date.parse("2025-10-11T02:00:00Z") + 91 * DAY));
    await runPackageExpiry(w.t.deps);
    const repeat = await bought({ package_id: pkg, member_id: dan, rule_key: "quarterly" });
    expect([repeat.price.amount, repeat.price_kind, repeat.situation]).toEqual([
      17900,
      "repeat_purchase",
      "repeat_purchase",
    ]);

    // The balance paid exactly those amounts.
    expect((await w.balance(ann)).principal).toBe(100_000 - 15900 - 16900);
    expect((await w.balance(bob)).principal).toBe(100_000 - 13900);
    expect((await w.balance(cat)).principal).toBe(100_000 - 19900);
    expect((await w.balance(dan)).principal).toBe(100_000 - 15900 - 17900);
    w.t.clock.set(OCT_10);
  });

  it("offers show the price each rule would charge this member, and why", async () => {
    const pkg = await w.createPackage({
      sales_rules: [w.seedRule, { key: "basic", duration_days: 90, original_price: 19900 }],
    });
    const eve = await w.member();
    const auth = await memberAuth(w.t, w.tenant, eve);
    const offers = await w.ok<{
      data: {
        package_id: string;
        situation: string;
        rules: {
          key: string;
          price: { amount: number };
          price_kind: string;
          prices: { kind: string; applies: boolean; reason: string | null }[];
        }[];
      }[];
    }>(w.call("GET", `/v1/members/${eve}/package-offers?channel=POS&limit=100`, undefined, auth));
    const offer = offers.data.find((o) => o.package_id === pkg)!;
    expect(offer.situation).toBe("first_purchase");
    expect(offer.rules.map((r) => [r.key, r.price.amount, r.price_kind])).toEqual([
      ["quarterly", 15900, "first_purchase"],
      ["basic", 19900, "original"],
    ]);
    expect(offer.rules[0]!.prices).toContainEqual({
      kind: "limited_time",
      amount: 13900,
      applies: false,
      reason: "outside_dates",
    });
  });
});

describe("plans", () => {
  it("takes up to 5 sales rules: the 6th is refused and nothing is written", async () => {
    const rules = (n: number) => Array.from({ length: n }, (_, i) => ({ ...w.seedRule, key: `r${i + 1}` }));
    const before = (await w.ok<{ data: unknown[] }>(w.call("GET", "/v1/packages?limit=100"))).data.length;
    const six = await w.call("POST", "/v1/packages", {
      name: "Six",
      channels: ["POS"],
      sales_rules: rules(6),
    });
    expect(six.statusCode).toBe(400);
    expect(json<{ code: string; errors: { field: string }[] }>(six)).toMatchObject({
      code: "validation_failed",
      errors: [expect.objectContaining({ field: "/body/sales_rules" })],
    });
    const five = await w.ok<{ id: string }>(
      w.call("POST", "/v1/packages", { name: "Five", channels: ["POS"], sales_rules: rules(5) }),
      201,
    );
    expect(await w.code(w.call("PATCH", `/v1/packages/${five.id}`, { sales_rules: rules(6) }), 400)).toBe(
      "validation_failed",
    );
    expect((await w.ok<{ data: unknown[] }>(w.call("GET", "/v1/packages?limit=100"))).data.length).toBe(
      before + 1,
    );
  });

  it("refuses a perk naming a rule, benefit or tier that is not there", async () => {
    const base = { name: "Bad", channels: ["POS"], sales_rules: [w.seedRule] };
    const bad = [
      { type: "member_discount", key: "x", applicable_rules: ["nope"], benefit_id: w.discount },
      { type: "member_discount", key: "x", applicable_rules: "all", benefit_id: w.extension },
      { type: "tier_upgrade", key: "x", applicable_rules: "all", tier: "diamond" },
      {
        type: "first_purchase_gift",
        key: "x",
        applicable_rules: "all",
        gift: { kind: "voucher", template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g" },
      },
    ];
    for (const perk of bad) {
      const r = await w.call("POST", "/v1/packages", { ...base, perks: [perk] });
      expect(json<{ code: string }>(r).code, JSON.stringify(perk)).toMatch(/^invalid_(package|gift)$/);
    }
  });

  it("refuses a currency the tenant's ledger does not have, on create and edit, writing nothing", async () => {
    const base = { name: "Typo", channels: ["POS"], sales_rules: [w.seedRule] };
    const before = (await w.ok<{ data: unknown[] }>(w.call("GET", "/v1/packages?limit=100&name=Typo"))).data;
    const created = await w.call("POST", "/v1/packages", { ...base, currency: "CYN" });
    expect(created.statusCode, created.body).toBe(422);
    expect(json<{ code: string; errors: { field: string }[] }>(created)).toMatchObject({
      code: "invalid_package",
      errors: [expect.objectContaining({ field: "/body/currency" })],
    });
    expect((await w.ok<{ data: unknown[] }>(w.call("GET", "/v1/packages?limit=100&name=Typo"))).data).toEqual(
      before,
    );
    const pkg = await w.ok<{ id: string; currency: string; version: number }>(
      w.call("POST", "/v1/packages", base),
      201,
    );
    expect(pkg.currency).toBe("CNY");
    expect(await w.code(w.call("PATCH", `/v1/packages/${pkg.id}`, { currency: "CYN" }), 422)).toBe(
      "invalid_package",
    );
    expect(
      await w.ok<{ currency: string; version: number }>(w.call("GET", `/v1/packages/${pkg.id}`)),
    ).toMatchObject({ currency: "CNY", version: pkg.version });
  });

  it("inactive → active ↔ inactive → archived; archived is read-only and can be copied", async () => {
    const pkg = await w.createPackage();
    expect(await w.code(w.call("POST", `/v1/packages/${pkg}/archive`), 409)).toBe(
      "invalid_status_transition",
    );
    await w.ok(w.call("POST", `/v1/packages/${pkg}/deactivate`));
    const archived = await w.ok<{ status: string }>(w.call("POST", `/v1/packages/${pkg}/archive`));
    expect(archived.status).toBe("archived");
    expect(await w.code(w.call("PATCH", `/v1/packages/${pkg}`, { name: "Renamed" }), 409)).toBe(
      "package_archived",
    );
    expect(await w.code(w.call("POST", `/v1/packages/${pkg}/activate`), 409)).toBe(
      "invalid_status_transition",
    );
    const copy = await w.ok<{ id: string; status: string; name: string; copied_from: string }>(
      w.call("POST", `/v1/packages/${pkg}/copy`, { name: "Premium 2026" }),
      201,
    );
    expect(copy).toMatchObject({ status: "inactive", name: "Premium 2026", copied_from: pkg });
    const found = await w.ok<{ data: { id: string }[] }>(
      w.call("GET", "/v1/packages?name=premium%202026&status=inactive"),
    );
    expect(found.data.map((p) => p.id)).toEqual([copy.id]);
    const tagged = await w.ok<{ data: { id: string }[] }>(
      w.call("GET", "/v1/packages?tag=High-End&limit=100"),
    );
    expect(tagged.data.map((p) => p.id)).toContain(copy.id);
  });
});

describe("perks", () => {
  it("come only with the rules they name; a package period's benefits show in quotes with their source", async () => {
    const pkg = await w.createPackage({
      sales_rules: [w.seedRule, { key: "basic", duration_days: 30, original_price: 9900 }],
      perks: [
        {
          type: "first_purchase_gift",
          key: "welcome",
          applicable_rules: ["quarterly"],
          bonus_points: 500,
          gift: { kind: "voucher", template_id: w.coffee },
        },
        { type: "member_discount", key: "ten-off", applicable_rules: ["quarterly"], benefit_id: w.discount },
      ],
    });
    const [basicBuyer, quarterlyBuyer] = [await w.member(50_000), await w.member(50_000)];
    const basic = await bought({ package_id: pkg, member_id: basicBuyer, rule_key: "basic" });
    expect(basic.gifts).toEqual([]);
    expect(basic.points_awarded).toBe(0);
    const quarterly = await bought({ package_id: pkg, member_id: quarterlyBuyer, rule_key: "quarterly" });
    expect(quarterly.gifts).toEqual([
      { perk_key: "welcome", status: "granted", voucher_ids: [expect.any(String)] },
    ]);
    expect(quarterly.points_awarded).toBe(500);
    expect((await w.balance(quarterlyBuyer)).points).toBe(500);

    const quote = (member: string) =>
      w.ok<{
        total: number;
        benefits_applied: { benefit_id: string; source: Record<string, unknown> }[];
        benefits_not_applied: { benefit_id: string; reason: string }[];
      }>(
        w.call("POST", "/v1/checkout/quotes", {
          member_id: member,
          channel: "POS",
          lines: [{ sku: "tea", category: "drinks", quantity: 1, unit_price: 2000 }],
        }),
      );
    const withPerk = await quote(quarterlyBuyer);
    expect(withPerk.total).toBe(1800);
    expect(withPerk.benefits_applied).toEqual([
      expect.objectContaining({
        benefit_id: w.discount,
        source: {
          kind: "entitlement",
          source_type: "package_period",
          source_id: quarterly.period!.id,
          source_name: "Premium Member Benefit Package",
          valid_until: quarterly.period!.ends_at,
        },
      }),
    ]);
    const without = await quote(basicBuyer);
    expect(without.total).toBe(2000);
    expect(without.benefits_not_applied).toContainEqual(
      expect.objectContaining({ benefit_id: w.discount, reason: "audience" }),
    );
  });

  it("the list shows each order as it reads alone, with its member's name, in a few reads for the page", async () => {
    const pkg = await w.createPackage({
      sales_rules: [w.seedRule, { key: "basic", duration_days: 30, original_price: 9900 }],
      perks: [
        {
          type: "first_purchase_gift",
          key: "welcome",
          applicable_rules: ["quarterly"],
          gift: { kind: "voucher", template_id: w.coffee },
        },
      ],
    });
    const buyers = [
      await w.member(50_000, "silver", "Buyer Ann"),
      await w.member(50_000, "silver", "Buyer Bo"),
      await w.member(50_000, "silver", "Buyer Cai"),
    ];
    for (const [i, m] of buyers.entries()) {
      await bought({ package_id: pkg, member_id: m, rule_key: i === 1 ? "basic" : "quarterly" });
    }
    const list = await w.ok<{ data: (OrderBody & { member_id: string; member_name?: string })[] }>(
      w.call("GET", `/v1/package-orders?package_id=${pkg}`),
    );
    expect(list.data.map((o) => o.member_id)).toEqual(buyers);
    expect(list.data.map((o) => o.gifts.length)).toEqual([1, 0, 1]);
    for (const item of list.data) {
      const { member_name, ...order } = item;
      expect(order).toEqual(await w.ok(w.call("GET", `/v1/package-orders/${item.id}`)));
      const member = await w.ok<{ name: string }>(w.call("GET", `/v1/members/${item.member_id}`));
      expect(member_name).toBe(member.name);
    }
    // The periods, gifts and names of a page are read once each, not once per order.
    // Read once first, so an API key's cached lookup (3 s) that ran out meanwhile is not counted.
    await w.ok(w.call("GET", `/v1/package-orders?package_id=${pkg}`));
    const before = await roundTripsOf(w.t.app, "GET", "/v1/package-orders");
    await w.ok(w.call("GET", `/v1/package-orders?package_id=${pkg}`));
    const after = await roundTripsOf(w.t.app, "GET", "/v1/package-orders");
    expect(after.count - before.count).toBe(1);
    expect(after.sum - before.sum).toBeLessThanOrEqual(5);
  });

  it("gives gifts once per purchase: a retried request replays, a renewal gets no first-purchase gift", async () => {
    const pkg = await w.createPackage();
    const m = await w.member(100_000);
    const a = await bought({ package_id: pkg, member_id: m, rule_key: "quarterly" }, undefined, "same-key");
    const b = await bought({ package_id: pkg, member_id: m, rule_key: "quarterly" }, undefined, "same-key");
    expect(b.id).toBe(a.id);
    const renewal = await bought({ package_id: pkg, member_id: m, rule_key: "quarterly" });
    expect(renewal.situation).toBe("early_renewal");
    expect(renewal.gifts).toEqual([]);
    const vouchers = await w.ok<{ data: unknown[] }>(w.call("GET", `/v1/members/${m}/vouchers`));
    expect(vouchers.data).toHaveLength(1);
    expect((await w.balance(m)).points).toBe(500);
    expect((await w.balance(m)).principal).toBe(100_000 - 15900 - 16900);
  });

  it("a later edit of the package changes only later sales (the period keeps its snapshot)", async () => {
    const pkg = await w.createPackage();
    const early = await w.member(50_000);
    const late = await w.member(50_000);
    const first = await bought({ package_id: pkg, member_id: early, rule_key: "quarterly" });
    await w.ok(w.call("PATCH", `/v1/packages/${pkg}`, { perks: [] }));
    await bought({ package_id: pkg, member_id: late, rule_key: "quarterly" });
    const ents = async (m: string) =>
      (await w.ok<{ data: { source_id: string }[] }>(w.call("GET", `/v1/members/${m}/entitlements`))).data;
    expect((await ents(early)).map((e) => e.source_id)).toEqual([first.period!.id]);
    expect(await ents(late)).toEqual([]);
    const periods = await w.ok<{ data: { perks: { type: string }[] }[] }>(
      w.call("GET", `/v1/members/${early}/package-periods`),
    );
    expect(periods.data[0]!.perks.map((p) => p.type)).toEqual(["first_purchase_gift", "member_discount"]);
  });

  it("tier upgrade and card extension apply when the package is bought", async () => {
    const pkg = await w.createPackage({
      perks: [
        { type: "tier_upgrade", key: "gold", applicable_rules: "all", tier: "gold" },
        { type: "card_extension", key: "ext", applicable_rules: "all", benefit_id: w.extension },
      ],
    });
    const m = await w.member(50_000, "silver");
    const before = await w.ok<{ tier: string; card_expires_at: string }>(w.call("GET", `/v1/members/${m}`));
    await bought({ package_id: pkg, member_id: m, rule_key: "quarterly" });
    const after = await w.ok<{ tier: string; card_expires_at: string }>(w.call("GET", `/v1/members/${m}`));
    expect(after.tier).toBe("gold");
    expect(Date.parse(after.card_expires_at) - Date.parse(before.card_expires_at)).toBe(30 * DAY);
  });
});

describe("validity modes (Global Package Settings)", () => {
  it("next_day: a 3-day package bought 23:00 Dec 8 runs Dec 9 00:00 to the end of Dec 11; only tenant-wide owners/admins change it", async () => {
    const store = await createTestOrgUnit(
      w.t,
      w.tenant.tenantId,
      { id: w.tenant.rootOrgUnitId, path: `/${w.tenant.rootOrgUnitId}/` },
      "store",
      "Mode store",
    );
    const scoped = await createTestKey(w.t, w.tenant.tenantId, "admin", store.id);
    expect(
      await w.code(w.call("PUT", "/v1/package-settings", { validity_mode: "next_day" }, scoped.auth), 403),
    ).toBe("forbidden");
    const operator = await createTestKey(w.t, w.tenant.tenantId, "operator");
    expect(
      await w.code(w.call("PUT", "/v1/package-settings", { validity_mode: "next_day" }, operator.auth), 403),
    ).toBe("forbidden");
    await w.ok(w.call("PUT", "/v1/package-settings", { validity_mode: "next_day" }));
    const pkg = await w.createPackage({
      sales_rules: [{ key: "three", duration_days: 3, original_price: 300 }],
      perks: [],
    });
    const m = await w.member(1000);
    w.t.clock.set("2026-12-08T15:00:00Z");
    const order = await bought({ package_id: pkg, member_id: m, rule_key: "three" });
    expect(order.period).toEqual(
      expect.objectContaining({
        starts_at: "2026-12-08T16:00:00.000Z",
        ends_at: "2026-12-11T16:00:00.000Z",
        status: "scheduled",
      }),
    );
    await w.ok(w.call("PUT", "/v1/package-settings", { validity_mode: "purchase_day" }));
    const m2 = await w.member(1000);
    const other = await bought({ package_id: pkg, member_id: m2, rule_key: "three" });
    expect(other.period).toMatchObject({
      starts_at: "2026-12-07T16:00:00.000Z",
      ends_at: "2026-12-10T16:00:00.000Z",
    });
    await w.ok(w.call("PUT", "/v1/package-settings", { validity_mode: "immediate" }));
    w.t.clock.set(OCT_10);
  });
});

describe("refusals", () => {
  it("each broken rule has its code and nothing is written", async () => {
    const m = await w.member(100);
    const rich = await w.member(100_000);
    const pkg = await w.createPackage();
    const online = await w.createPackage({ channels: ["ONLINE"] });
    const gold = await w.createPackage({ audience: { min_tier: "gold" } });
    // 10 Oct 2025 is a Friday: a Mondays-only package is closed.
    const mondays = await w.createPackage({
      availability: { schedule: { frequency: "weekly", days: [1], time: { kind: "all_day" } } },
    });
    const store = await createTestOrgUnit(
      w.t,
      w.tenant.tenantId,
      { id: w.tenant.rootOrgUnitId, path: `/${w.tenant.rootOrgUnitId}/` },
      "store",
      "Refusal store",
    );
    const other = await createTestOrgUnit(
      w.t,
      w.tenant.tenantId,
      { id: w.tenant.rootOrgUnitId, path: `/${w.tenant.rootOrgUnitId}/` },
      "store",
      "Other store",
    );
    const atStore = await w.createPackage({ store_scope: { stores: [store.id] } });
    const inactive = await w.createPackage();
    await w.ok(w.call("POST", `/v1/packages/${inactive}/deactivate`));
    const own = await memberAuth(w.t, w.tenant, rich);
    const cases: [Record<string, unknown>, number, string, Record<string, string>?][] = [
      [{ package_id: inactive, member_id: rich, rule_key: "quarterly" }, 422, "package_not_on_sale"],
      [
        { package_id: "pkg_01jd3m2x4y5z6a7b8c9d0e1f2g", member_id: rich, rule_key: "quarterly" },
        404,
        "package_not_found",
      ],
      [{ package_id: pkg, member_id: rich, rule_key: "yearly" }, 422, "sales_rule_not_found"],
      [{ package_id: online, member_id: rich, rule_key: "quarterly" }, 422, "channel_not_allowed"],
      [{ package_id: gold, member_id: rich, rule_key: "quarterly" }, 422, "audience_mismatch"],
      [
        { package_id: pkg, member_id: rich, rule_key: "quarterly", currency: "USD" },
        422,
        "currency_mismatch",
      ],
      [{ package_id: mondays, member_id: rich, rule_key: "quarterly" }, 422, "package_not_available_now"],
      [
        { package_id: atStore, member_id: rich, rule_key: "quarterly", store_id: other.id },
        422,
        "store_not_in_scope",
      ],
      [{ package_id: atStore, member_id: rich, rule_key: "quarterly" }, 422, "store_not_in_scope"],
      [{ package_id: pkg, member_id: m, rule_key: "quarterly" }, 422, "insufficient_balance"],
      [
        { package_id: pkg, member_id: rich, rule_key: "quarterly", payment_method: "offline" },
        422,
        "payment_method_not_allowed",
        own,
      ],
      [{ package_id: pkg, member_id: m, rule_key: "quarterly" }, 404, "member_not_found", own],
      [
        { package_id: pkg, member_id: rich, rule_key: "quarterly", agreement_versions: { [w.agreement]: 9 } },
        409,
        "agreement_version_changed",
      ],
    ];
    for (const [body, status, expected, headers] of cases) {
      expect(await w.code(buy(body, headers), status), expected).toBe(expected);
    }
    const orders = await w.ok<{ data: unknown[] }>(w.call("GET", `/v1/package-orders?member_id=${rich}`));
    expect(orders.data).toEqual([]);
    expect((await w.balance(rich)).principal).toBe(100_000);
    expect(
      (await bought({ package_id: atStore, member_id: rich, rule_key: "quarterly", store_id: store.id }))
        .status,
    ).toBe("paid");
  });
});
