import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { BenefitCatalogCache } from "./benefit-catalog.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  const plan = await t.app.inject({
    method: "POST",
    url: "/v1/card-plans",
    headers: tenant.auth,
    payload: {
      code: "standard",
      name: "Standard",
      // Card extension applies only to relative validity (benefits-links.test.ts).
      validity: { kind: "relative", days: 365 },
      tiers: [
        { code: "silver", name: "Silver", rank: 1 },
        { code: "gold", name: "Gold", rank: 2 },
        { code: "platinum", name: "Platinum", rank: 3 },
      ],
    },
  });
  expect(plan.statusCode, plan.body).toBe(201);
  // Marketing and promotional benefits link campaigns of the registry.
  for (const [kind, name] of [
    ["marketing", "7-Day Check-in Voucher Campaign"],
    ["promotional", "Member-Exclusive Rebate"],
  ] as const) {
    const campaign = await t.app.inject({
      method: "POST",
      url: "/v1/benefit-campaigns",
      headers: tenant.auth,
      payload: { name, kind, member_exclusive: true },
    });
    expect(campaign.statusCode, campaign.body).toBe(201);
    Object.assign(EXAMPLES[kind]!, { campaign_id: json<{ id: string }>(campaign).id });
  }
});
afterAll(async () => t?.close());

type BenefitBody = {
  id: string;
  kind: string;
  status: string;
  version: number;
  updated_by: string;
  config: Record<string, unknown>;
};

const post = (payload: object, auth = tenant.auth) =>
  t.app.inject({ method: "POST", url: "/v1/benefits", headers: auth, payload });

const EXAMPLES: Record<string, object> = {
  marketing: { campaign_id: "cmp_checkin_7" },
  promotional: { campaign_id: "cmp_rebate", order_reduction: { min_amount: 10000, amount: 2000 } },
  member_pricing: {
    prices: [{ sku: "latte", price: 2500 }],
    channels: ["POS", "ONLINE"],
    restrictions: [{ kind: "balance_below_amount", amount: 5000 }],
    items: { kind: "all" },
  },
  member_discount: { discount_percent: 20, items: { kind: "exclude_categories", categories: ["sale"] } },
  member_day: {
    schedule: {
      frequency: "weekly",
      days: [5],
      time: { kind: "unified", window: { start: "10:00", end: "22:00" } },
    },
    discount_percent: 10,
    points_multiplier: "2",
    perks: [{ audience: { tiers: ["platinum"] }, extra_discount_percent: 20 }],
  },
  birthday: { period: "week", perks: [{ audience: { min_tier: "silver" }, discount_percent: 20 }] },
  multiplier_points: { multiplier: "2", channels: ["POS"], valid_from: "2026-12-01T00:00:00Z" },
  card_extension: { extension_days: 30, min_annual_spend: 100000 },
  exclusive_services: { detail_images: ["https://cdn.example.com/concierge.png"] },
  custom: {},
};

describe("benefit catalog", () => {
  it("creates every kind with its fields", async () => {
    for (const [kind, config] of Object.entries(EXAMPLES)) {
      const res = await post({
        kind,
        name: `${kind} benefit`,
        brief: "b",
        audience: { min_tier: "silver" },
        config,
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(json<BenefitBody>(res)).toMatchObject({ kind, status: "active", version: 1, config });
    }
  });

  it.each([
    ["member_discount", { discount_percent: 0 }, "/body/config/discount_percent"],
    ["member_discount", { discount_percent: 100 }, "/body/config/discount_percent"],
    ["member_discount", { discount_percent: 20, colour: "red" }, "/body/config"],
    [
      "member_day",
      { schedule: { frequency: "weekly", days: [8], time: { kind: "all_day" } }, discount_percent: 10 },
      "/body/config/schedule/days",
    ],
    [
      "member_day",
      {
        schedule: {
          frequency: "weekly",
          days: [5],
          time: { kind: "unified", window: { start: "22:00", end: "10:00" } },
        },
        discount_percent: 10,
      },
      "/body/config/schedule/time",
    ],
    [
      "member_day",
      {
        schedule: {
          frequency: "monthly",
          days: [1, "last"],
          time: { kind: "per_date", windows: [{ day: 1, start: "10:00", end: "12:00" }] },
        },
        discount_percent: 10,
      },
      "/body/config/schedule/time/windows",
    ],
    [
      "member_day",
      { schedule: { frequency: "weekly", days: [5], time: { kind: "all_day" } } },
      "/body/config",
    ],
    ["birthday", { period: "year", discount_percent: 10 }, "/body/config/period"],
    ["multiplier_points", { multiplier: "0.5" }, "/body/config/multiplier"],
    ["card_extension", { extension_days: 0 }, "/body/config/extension_days"],
    [
      "member_pricing",
      {
        prices: [
          { sku: "a", price: 1 },
          { sku: "a", price: 2 },
        ],
      },
      "/body/config/prices",
    ],
    ["member_pricing", { prices: [{ sku: "a", price: -1 }] }, "/body/config/prices/0/price"],
    // Amounts stay within the one bound every amount has (MAX_AMOUNT, ADR 0006).
    ["member_pricing", { prices: [{ sku: "a", price: MAX_AMOUNT + 1 }] }, "/body/config/prices/0/price"],
    [
      "member_pricing",
      {
        prices: [{ sku: "a", price: 1 }],
        restrictions: [{ kind: "balance_below_amount", amount: MAX_AMOUNT + 1 }],
      },
      "/body/config/restrictions/0/amount",
    ],
    [
      "promotional",
      { campaign_id: "cmp_x", order_reduction: { min_amount: MAX_AMOUNT + 1, amount: 1 } },
      "/body/config/order_reduction/min_amount",
    ],
    [
      "promotional",
      { campaign_id: "cmp_x", order_reduction: { min_amount: 0, amount: MAX_AMOUNT + 1 } },
      "/body/config/order_reduction/amount",
    ],
    [
      "card_extension",
      { extension_days: 30, min_annual_spend: MAX_AMOUNT + 1 },
      "/body/config/min_annual_spend",
    ],
  ])("refuses invalid %s fields (%#) and writes nothing", async (kind, config, field) => {
    const before = json<{ data: unknown[] }>(
      await t.app.inject({ url: "/v1/benefits?limit=100", headers: tenant.auth }),
    ).data.length;
    const body = expectProblem(
      await post({ kind, name: "bad", config }),
      400,
      "invalid_benefit_config",
    ) as unknown as {
      errors: { field: string }[];
    };
    expect(body.errors.map((e) => e.field)).toContain(field);
    const after = json<{ data: unknown[] }>(
      await t.app.inject({ url: "/v1/benefits?limit=100", headers: tenant.auth }),
    ).data.length;
    expect(after).toBe(before);
  });

  it("refuses an audience naming a tier the tenant does not have", async () => {
    expectProblem(
      await post({ kind: "custom", name: "x", audience: { min_tier: "diamond" }, config: {} }),
      400,
      "validation_failed",
    );
    expectProblem(
      await post({
        kind: "birthday",
        name: "x",
        config: { period: "day", perks: [{ audience: { tiers: ["diamond"] }, discount_percent: 10 }] },
      }),
      400,
      "validation_failed",
    );
  });

  it("refuses an audience with both exact tiers and a minimum tier", async () => {
    expectProblem(
      await post({
        kind: "custom",
        name: "x",
        audience: { tiers: ["gold"], min_tier: "silver" },
        config: {},
      }),
      400,
      "invalid_benefit_config",
    );
  });

  it("searches by name keyword, kind, status and operator, with pages", async () => {
    const op = await createTestKey(t, tenant.tenantId, "operator");
    const made = json<BenefitBody>(
      await post(
        { kind: "member_discount", name: "Gold 15% weekend", config: { discount_percent: 15 } },
        op.auth,
      ),
    );
    const list = async (q: string) =>
      json<{ data: BenefitBody[]; has_more: boolean }>(
        await t.app.inject({ url: `/v1/benefits?${q}`, headers: tenant.auth }),
      );
    expect((await list("name=15%25")).data.map((b) => b.id)).toEqual([made.id]);
    expect((await list("name=weekend&kind=member_discount")).data).toHaveLength(1);
    expect((await list("name=weekend&kind=custom")).data).toHaveLength(0);
    expect((await list(`operator=${op.id}`)).data.map((b) => b.id)).toEqual([made.id]);
    expect((await list("status=inactive")).data).toHaveLength(0);
    const page1 = await list("limit=3");
    expect(page1.data).toHaveLength(3);
    expect(page1.has_more).toBe(true);
    const page2 = await list(`limit=3&starting_after=${page1.data[2]!.id}`);
    expect(page2.data[0]!.id > page1.data[2]!.id).toBe(true);
    // A viewer reads; it does not write.
    const viewer = await createTestKey(t, tenant.tenantId, "viewer");
    expect((await t.app.inject({ url: "/v1/benefits", headers: viewer.auth })).statusCode).toBe(200);
    expectProblem(await post({ kind: "custom", name: "x", config: {} }, viewer.auth), 403, "forbidden");
  });

  it("edits, deactivates and reactivates with audit and a moving catalog version", async () => {
    const cache = new BenefitCatalogCache();
    const active = () => t.deps.db.tenantTx(tenant.tenantId, (trx) => cache.active(trx, tenant.tenantId));
    const created = json<BenefitBody>(
      await post({ kind: "member_discount", name: "Edit me", config: { discount_percent: 10 } }),
    );
    const countBefore = (await active()).length;
    expect(cache.loads).toBe(1);
    await active();
    expect(cache.loads).toBe(1); // served from memory while the version is unchanged

    const patch = await t.app.inject({
      method: "PATCH",
      url: `/v1/benefits/${created.id}`,
      headers: tenant.auth,
      payload: { name: "Edited", config: { discount_percent: 25 } },
    });
    expect(json<BenefitBody>(patch)).toMatchObject({ version: 2, config: { discount_percent: 25 } });
    expect((await active()).find((b) => b.id === created.id)?.config).toEqual({ discount_percent: 25 });
    expect(cache.loads).toBe(2);

    expectProblem(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/benefits/${created.id}`,
        headers: tenant.auth,
        payload: { config: { discount_percent: 250 } },
      }),
      400,
      "invalid_benefit_config",
    );

    const off = await t.app.inject({
      method: "POST",
      url: `/v1/benefits/${created.id}/deactivate`,
      headers: tenant.auth,
    });
    expect(json<BenefitBody>(off).status).toBe("inactive");
    expect((await active()).length).toBe(countBefore - 1);
    const again = await t.app.inject({
      method: "POST",
      url: `/v1/benefits/${created.id}/deactivate`,
      headers: tenant.auth,
    });
    expect(json<BenefitBody>(again).version).toBe(3); // no change, no new version
    await t.app.inject({ method: "POST", url: `/v1/benefits/${created.id}/activate`, headers: tenant.auth });
    expect((await active()).length).toBe(countBefore);

    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select(["action", "summary"])
      .where("target_id", "=", created.id)
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      "benefit.created",
      "benefit.updated",
      "benefit.deactivated",
      "benefit.activated",
    ]);
    expect(audit[1]!.summary).toMatchObject({ before: { name: "Edit me" }, after: { name: "Edited" } });
    const events = await t.database.owner
      .selectFrom("events")
      .select("data")
      .where("type", "=", "benefit.changed")
      .where(sql<boolean>`data->>'benefit_id' = ${created.id}`)
      .orderBy("id")
      .execute();
    expect(events.map((e) => (e.data as { change: string }).change)).toEqual([
      "created",
      "updated",
      "deactivated",
      "activated",
    ]);
  });

  it("unknown benefit is 404; another tenant's is invisible", async () => {
    expectProblem(
      await t.app.inject({ url: "/v1/benefits/bnf_nothing", headers: tenant.auth }),
      404,
      "benefit_not_found",
    );
    const other = await createTestTenant(t, "Other");
    const mine = json<BenefitBody>(await post({ kind: "custom", name: "mine", config: {} }));
    expectProblem(
      await t.app.inject({ url: `/v1/benefits/${mine.id}`, headers: other.auth }),
      404,
      "benefit_not_found",
    );
  });

  it("replays a creation with the same Idempotency-Key", async () => {
    const headers = { ...tenant.auth, "idempotency-key": "create-benefit-1" };
    const payload = { kind: "custom", name: "Once", config: {} };
    const a = await t.app.inject({ method: "POST", url: "/v1/benefits", headers, payload });
    const b = await t.app.inject({ method: "POST", url: "/v1/benefits", headers, payload });
    expect(b.headers["idempotent-replayed"]).toBe("true");
    expect(json<BenefitBody>(b).id).toBe(json<BenefitBody>(a).id);
  });

  describe("icons", () => {
    const PNG = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(32, 1),
    ]);
    const upload = (body: Buffer | string, type: string) =>
      t.app.inject({
        method: "POST",
        url: "/v1/benefit-icons",
        headers: { ...tenant.auth, "content-type": type },
        payload: body,
      });

    it("stores a PNG, serves it back sandboxed, and a benefit names it", async () => {
      const res = await upload(PNG, "image/png");
      expect(res.statusCode, res.body).toBe(201);
      const icon = json<{ id: string; size: number; url: string }>(res);
      expect(icon.size).toBe(PNG.length);
      const got = await t.app.inject({ url: icon.url, headers: tenant.auth });
      expect(got.statusCode).toBe(200);
      expect(got.headers["content-type"]).toBe("image/png");
      expect(String(got.headers["content-security-policy"])).toContain("sandbox");
      expect(got.rawPayload.equals(PNG)).toBe(true);
      const b = await post({ kind: "custom", name: "With icon", icon: icon.id, config: {} });
      expect(b.statusCode, b.body).toBe(201);
      expectProblem(
        await post({ kind: "custom", name: "Bad icon", icon: "ico_missing", config: {} }),
        400,
        "invalid_icon",
      );
      const other = await createTestTenant(t, "Icons elsewhere");
      expectProblem(
        await t.app.inject({ url: icon.url, headers: other.auth }),
        404,
        "benefit_icon_not_found",
      );
    });

    it.each([
      [
        "a JPEG declared as PNG",
        Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
        "image/png",
        400,
        "invalid_icon",
      ],
      ["text declared as WebP", Buffer.from("hello world!"), "image/webp", 400, "invalid_icon"],
      [
        "an SVG with a script",
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
        400,
        "invalid_icon",
      ],
      ["an SVG with an event handler", '<svg onload="alert(1)"></svg>', "image/svg+xml", 400, "invalid_icon"],
      [
        "an SVG linking out",
        '<svg><a href="https://evil.example/">x</a></svg>',
        "image/svg+xml",
        400,
        "invalid_icon",
      ],
      [
        "an SVG animating a link into a script URL spelled with character references",
        '<svg><a><animate attributeName="href" values="&#106;avascript:alert(1)"/><text>x</text></a></svg>',
        "image/svg+xml",
        400,
        "invalid_icon",
      ],
      [
        "an SVG setting a link",
        '<svg><a><set attributeName="xlink:href" to="&#x6A;avascript:alert(1)"/><text>x</text></a></svg>',
        "image/svg+xml",
        400,
        "invalid_icon",
      ],
      [
        "an SVG with a script URL in character references",
        '<svg><a href="&#x6a;&#x61;vascript:alert(1)"><text>x</text></a></svg>',
        "image/svg+xml",
        400,
        "invalid_icon",
      ],
      [
        "an SVG with entities",
        '<!DOCTYPE svg [<!ENTITY a "aa">]><svg>&a;</svg>',
        "image/svg+xml",
        400,
        "invalid_icon",
      ],
      ["a GIF", Buffer.from("GIF89a......"), "image/gif", 415, "unsupported_media_type"],
      ["over 1 MiB", Buffer.concat([PNG, Buffer.alloc(1024 * 1024)]), "image/png", 413, "payload_too_large"],
    ])("refuses %s", async (_label, body, type, status, code) => {
      expectProblem(await upload(body as Buffer | string, type as string), status as number, code as string);
    });

    it("accepts a plain SVG", async () => {
      const svg =
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#c00"><animate attributeName="r" values="4;3;4" dur="2s" repeatCount="indefinite"/></circle><text>&#169; &#x4E2D;</text></svg>';
      const res = await upload(svg, "image/svg+xml");
      expect(res.statusCode, res.body).toBe(201);
    });
  });
});
