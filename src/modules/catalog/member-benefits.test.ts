import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestKey } from "../../../test/helpers/app.js";
import { type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";

/**
 * Seed 001 §2.1: a member sees the benefits their card plan, tier, groups and tags give them,
 * and the ones a purchase gave them; a deactivated one is gone. The test clock stands at
 * Monday 2026-11-23 16:00 in Shanghai.
 */
interface Held {
  id: string;
  kind: string;
  name: string;
  brief: string | null;
  description: string | null;
  icon_url: string | null;
  held_through: { type: string; source_type?: string; source_name?: string; valid_until?: string };
  in_effect: boolean;
  terms: Record<string, unknown>;
}
interface Page {
  data: Held[];
  has_more: boolean;
}

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(32, 1),
]);

let w: PackageWorld;
const ids: Record<string, string> = {};
let iconUrl: string;
let gold: string;

const benefit = async (body: Record<string, unknown>) =>
  (await w.ok<{ id: string }>(w.call("POST", "/v1/benefits", body), 201)).id;
const list = (memberId: string, query = "", auth = w.tenant.auth) =>
  w.t.app.inject({ url: `/v1/members/${memberId}/benefits${query}`, headers: auth });
const names = async (memberId: string) => {
  const res = await list(memberId);
  expect(res.statusCode, res.body).toBe(200);
  return (JSON.parse(res.body) as Page).data.map((b) => b.name);
};

beforeAll(async () => {
  w = await packageWorld();
  const upload = await w.t.app.inject({
    method: "POST",
    url: "/v1/benefit-icons",
    headers: { ...w.tenant.auth, "content-type": "image/png", "idempotency-key": "icon-1" },
    payload: PNG,
  });
  expect(upload.statusCode, upload.body).toBe(201);
  const icon = JSON.parse(upload.body) as { id: string; url: string };
  iconUrl = icon.url;
  ids.discount = await benefit({
    kind: "member_discount",
    name: "Gold 20% off",
    brief: "20% off for Gold and above",
    description: "20% off regular-priced items; excludes sale products",
    icon: icon.id,
    audience: { min_tier: "gold" },
    config: { discount_percent: 20, channels: ["POS"] },
  });
  ids.monday = await benefit({
    kind: "member_day",
    name: "Monday Member Day",
    audience: {},
    config: {
      schedule: { frequency: "weekly", days: [1], time: { kind: "all_day" } },
      discount_percent: 10,
      perks: [
        { audience: { tiers: ["platinum"] }, extra_discount_percent: 20 },
        { audience: { tiers: ["gold"] }, extra_discount_percent: 5 },
      ],
    },
  });
  ids.wednesday = await benefit({
    kind: "member_day",
    name: "Wednesday Member Day",
    audience: {},
    config: { schedule: { frequency: "weekly", days: [3], time: { kind: "all_day" } }, discount_percent: 5 },
  });
  ids.birthday = await benefit({
    kind: "birthday",
    name: "Birthday month",
    audience: {},
    config: { period: "month", discount_percent: 15 },
  });
  ids.concierge = await benefit({
    kind: "exclusive_services",
    name: "Platinum concierge",
    audience: { tiers: ["platinum"] },
    config: {},
  });
  await w.ok(w.call("POST", "/v1/member-tags", { code: "vip", name: "VIP" }), 201);
  ids.vip = await benefit({ kind: "custom", name: "VIP only", audience: { tags: ["vip"] }, config: {} });
  gold = (
    await w.ok<{ id: string }>(
      w.call("POST", "/v1/members", { name: "Gold member", tier: "gold", birthday: "11-05" }),
      201,
    )
  ).id;
});
afterAll(async () => {
  await w?.t.close();
});

describe("GET /v1/members/{id}/benefits", () => {
  it("lists what the member's tier, birthday and the calendar give, and nothing for other tiers or tags", async () => {
    const res = await list(gold);
    expect(res.statusCode, res.body).toBe(200);
    const page = JSON.parse(res.body) as Page;
    const byName = new Map(page.data.map((b) => [b.name, b]));
    expect([...byName.keys()].sort()).toEqual(
      ["Birthday month", "Gold 20% off", "Monday Member Day", "Wednesday Member Day"].sort(),
    );
    expect(byName.get("Gold 20% off")).toEqual({
      id: ids.discount,
      object: "member_benefit",
      kind: "member_discount",
      name: "Gold 20% off",
      brief: "20% off for Gold and above",
      description: "20% off regular-priced items; excludes sale products",
      icon_url: iconUrl,
      held_through: { type: "membership" },
      in_effect: true,
      terms: { discount_percent: 20, channels: ["POS"] },
    });
    // Monday in Shanghai: the Monday member day is on, with the Gold perk only; Wednesday's is not.
    expect(byName.get("Monday Member Day")).toMatchObject({
      in_effect: true,
      terms: { discount_percent: 10, perks: [{ extra_discount_percent: 5 }] },
    });
    expect(byName.get("Wednesday Member Day")).toMatchObject({ in_effect: false });
    expect(byName.get("Birthday month")).toMatchObject({
      in_effect: true,
      terms: { birthday_period: "month", discount_percent: 15 },
    });
    // Ordered by id, so a cursor pages through it.
    expect(page.data.map((b) => b.id)).toEqual(page.data.map((b) => b.id).sort());
    const first = JSON.parse((await list(gold, "?limit=2")).body) as Page;
    expect(first.has_more).toBe(true);
    const rest = JSON.parse((await list(gold, `?limit=2&starting_after=${first.data[1]!.id}`)).body) as Page;
    expect([...first.data, ...rest.data].map((b) => b.id)).toEqual(page.data.map((b) => b.id));
    expect(rest.has_more).toBe(false);
  });

  it("a birthday outside its period is listed but not in effect; a silver member does not get Gold's", async () => {
    const silver = (
      await w.ok<{ id: string }>(
        w.call("POST", "/v1/members", { name: "Silver", tier: "silver", birthday: "03-14" }),
        201,
      )
    ).id;
    const body = JSON.parse((await list(silver)).body) as Page;
    expect(body.data.map((b) => b.name).sort()).toEqual(
      ["Birthday month", "Monday Member Day", "Wednesday Member Day"].sort(),
    );
    expect(body.data.find((b) => b.name === "Birthday month")!.in_effect).toBe(false);
    expect(body.data.find((b) => b.name === "Monday Member Day")!.terms.perks).toBeUndefined();
  });

  it("adds a benefit held through a package period, with the package and its end", async () => {
    await w.ok(w.call("POST", `/v1/members/${gold}/top-ups`, { amount: 50_000, reason: "cash" }), 201);
    const pkg = await w.createPackage();
    const order = await w.ok<{ period: { ends_at: string } }>(
      w.call("POST", "/v1/package-orders", {
        member_id: gold,
        package_id: pkg,
        rule_key: "quarterly",
        channel: "POS",
        payment_method: "balance",
      }),
      201,
    );
    const page = JSON.parse((await list(gold)).body) as Page;
    const bought = page.data.find((b) => b.id === w.discount);
    expect(bought).toMatchObject({
      name: "Package 10% off",
      held_through: {
        type: "purchase",
        source_type: "package_period",
        source_name: "Premium Member Benefit Package",
        valid_until: order.period.ends_at,
      },
      terms: { discount_percent: 10 },
    });
    // The card extension is a perk of Platinum's, not of this package: still not the member's.
    expect(page.data.some((b) => b.id === w.extension)).toBe(false);
  });

  it("answers the member's own token, not another member's id", async () => {
    const auth = await memberAuth(w.t, w.tenant, gold);
    const own = await list(gold, "", auth);
    expect(own.statusCode, own.body).toBe(200);
    expect((JSON.parse(own.body) as Page).data.some((b) => b.id === ids.discount)).toBe(true);
    const other = (await w.ok<{ id: string }>(w.call("POST", "/v1/members", { name: "Other" }), 201)).id;
    expectProblem(await list(other, "", auth), 404, "member_not_found");
    expectProblem(await list("mbr_missing"), 404, "member_not_found");
    expectProblem(await list(gold, "?limit=101"), 400, "validation_failed");
    // The member reads the icon its benefit shows.
    const icon = await w.t.app.inject({ url: iconUrl, headers: auth });
    expect(icon.statusCode).toBe(200);
    expect(icon.rawPayload.equals(PNG)).toBe(true);
  });

  it("a deactivated benefit is gone at once, and its icon is staff-only again", async () => {
    const auth = await memberAuth(w.t, w.tenant, gold);
    await w.ok(w.call("POST", `/v1/benefits/${ids.discount}/deactivate`), 200);
    expect(await names(gold)).not.toContain("Gold 20% off");
    expectProblem(await w.t.app.inject({ url: iconUrl, headers: auth }), 404, "benefit_icon_not_found");
    expect((await w.t.app.inject({ url: iconUrl, headers: w.tenant.auth })).statusCode).toBe(200);
    await w.ok(w.call("POST", `/v1/benefits/${ids.discount}/activate`), 200);
    expect(await names(gold)).toContain("Gold 20% off");
  });

  it("a closed member holds none; staff outside the member's org unit get 404", async () => {
    const closing = (
      await w.ok<{ id: string }>(w.call("POST", "/v1/members", { name: "Leaving", tier: "gold" }), 201)
    ).id;
    expect(await names(closing)).toContain("Gold 20% off");
    await w.ok(w.call("PATCH", `/v1/members/${closing}`, { status: "closed" }), 200);
    expect(await names(closing)).toEqual([]);

    const unit = await w.ok<{ id: string }>(
      w.call("POST", "/v1/org-units", {
        parent_id: w.tenant.rootOrgUnitId,
        kind: "store",
        name: "Elsewhere",
      }),
      201,
    );
    const scoped = await createTestKey(w.t, w.tenant.tenantId, "operator", unit.id);
    const placed = (
      await w.ok<{ id: string }>(
        w.call("POST", "/v1/members", {
          name: "Root member",
          tier: "gold",
          org_unit_id: w.tenant.rootOrgUnitId,
        }),
        201,
      )
    ).id;
    expectProblem(await list(placed, "", scoped.auth), 404, "member_not_found");
  });
});
