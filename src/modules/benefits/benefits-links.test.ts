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

/** Seed 001 §2.1: what a benefit links to (campaigns, card plans) and who changed it. */
let t: TestApp;
let tenant: TestTenant;

const call = (method: "GET" | "POST" | "PATCH", url: string, payload?: object, auth = tenant.auth) =>
  t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

async function ok<T = { id: string }>(pending: ReturnType<typeof call>, status = 201): Promise<T> {
  const res = await pending;
  expect(res.statusCode, res.body).toBe(status);
  return json<T>(res);
}

const campaign = (name: string, kind: "marketing" | "promotional", member_exclusive?: boolean) =>
  ok(call("POST", "/v1/benefit-campaigns", { name, kind, member_exclusive }));

const countBenefits = async () =>
  (
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .selectFrom("benefits")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow(),
    )
  ).n;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  for (const [code, validity, tier] of [
    ["annual", { kind: "relative", days: 365 }, "annual_silver"],
    ["lifetime", { kind: "permanent" }, "lifetime_basic"],
  ] as const) {
    await ok(
      call("POST", "/v1/card-plans", {
        code,
        name: code,
        validity,
        tiers: [{ code: tier, name: tier, rank: 1 }],
      }),
    );
  }
});
afterAll(async () => t?.close());

describe("campaign registry", () => {
  it("creates, lists, gets and updates campaigns of the tenant", async () => {
    const checkin = await campaign("7-Day Check-in Voucher Campaign", "marketing");
    const rebate = await campaign("Member-Exclusive Rebate", "promotional", true);
    expect(await ok(call("GET", `/v1/benefit-campaigns/${rebate.id}`), 200)).toMatchObject({
      object: "benefit_campaign",
      name: "Member-Exclusive Rebate",
      kind: "promotional",
      member_exclusive: true,
    });
    const list = (q: string) =>
      ok<{ data: { id: string }[]; has_more: boolean }>(call("GET", `/v1/benefit-campaigns?${q}`), 200);
    expect((await list("kind=marketing")).data.map((c) => c.id)).toContain(checkin.id);
    expect((await list("member_exclusive=true&name=Rebate")).data.map((c) => c.id)).toEqual([rebate.id]);
    const first = await list("limit=1");
    expect(first).toMatchObject({ has_more: true });
    expect((await list(`limit=1&starting_after=${first.data[0]!.id}`)).data[0]!.id > first.data[0]!.id).toBe(
      true,
    );
    expectProblem(await call("GET", "/v1/benefit-campaigns?limit=101"), 400, "validation_failed");
    expect(
      await ok(call("PATCH", `/v1/benefit-campaigns/${checkin.id}`, { name: "Check-in 7" }), 200),
    ).toMatchObject({ name: "Check-in 7", kind: "marketing" });
    expectProblem(
      await call("POST", "/v1/benefit-campaigns", { name: "", kind: "promotional" }),
      400,
      "validation_failed",
    );
    // Another tenant sees none of them.
    const other = await createTestTenant(t, "Other");
    expectProblem(
      await call("GET", `/v1/benefit-campaigns/${rebate.id}`, undefined, other.auth),
      404,
      "campaign_not_found",
    );
  });

  it("a promotional benefit links only a member-exclusive campaign", async () => {
    const plain = await campaign("Autumn sale", "promotional");
    const exclusive = await campaign("Member-Exclusive Rebate", "promotional", true);
    const checkin = await campaign("7-Day Check-in Voucher Campaign", "marketing");
    // "20% off for single purchases over $100": 20.00 off 100.00.
    const rebate = (campaign_id: string) => ({
      kind: "promotional",
      name: "Member-Exclusive Rebate",
      brief: "Instant rebate on qualifying purchases",
      config: { campaign_id, order_reduction: { min_amount: 10000, amount: 2000 } },
    });
    const before = await countBenefits();
    const refused = await call("POST", "/v1/benefits", rebate(plain.id));
    expectProblem(refused, 422, "campaign_not_member_exclusive");
    expect(json<{ detail: string }>(refused).detail).toContain(
      "check the Member-Exclusive Benefit option of the campaign to enable association here",
    );
    expectProblem(await call("POST", "/v1/benefits", rebate(checkin.id)), 422, "campaign_kind_mismatch");
    expectProblem(await call("POST", "/v1/benefits", rebate("cmp_missing")), 404, "campaign_not_found");
    expect(await countBenefits()).toBe(before);

    const made = await ok<{ id: string; config: { campaign_id: string } }>(
      call("POST", "/v1/benefits", rebate(exclusive.id)),
    );
    expect(made.config.campaign_id).toBe(exclusive.id);
    // Editing it to the plain campaign is refused the same way.
    expectProblem(
      await call("PATCH", `/v1/benefits/${made.id}`, { config: rebate(plain.id).config }),
      422,
      "campaign_not_member_exclusive",
    );
    // The linked campaign keeps its flag while the benefit is active; checking it on another enables it.
    expectProblem(
      await call("PATCH", `/v1/benefit-campaigns/${exclusive.id}`, { member_exclusive: false }),
      409,
      "campaign_in_use",
    );
    await ok(call("PATCH", `/v1/benefit-campaigns/${plain.id}`, { member_exclusive: true }), 200);
    await ok(call("PATCH", `/v1/benefits/${made.id}`, { config: rebate(plain.id).config }), 200);
    await ok(call("PATCH", `/v1/benefit-campaigns/${exclusive.id}`, { member_exclusive: false }), 200);
    // A marketing benefit links a marketing campaign, member-exclusive or not.
    await ok(
      call("POST", "/v1/benefits", {
        kind: "marketing",
        name: "Daily Check-in Rewards",
        config: { campaign_id: checkin.id },
      }),
    );
  });
});

describe("campaign link on activation", () => {
  it("an inactive promotional benefit is not activated onto a campaign whose flag was cleared", async () => {
    const exclusive = await campaign("Spring rebate", "promotional", true);
    const made = await ok<{ id: string }>(
      call("POST", "/v1/benefits", {
        kind: "promotional",
        name: "Spring rebate",
        config: { campaign_id: exclusive.id, order_reduction: { min_amount: 10000, amount: 2000 } },
        status: "inactive",
      }),
    );
    // Inactive, it does not hold the flag: the campaign may be unchecked.
    await ok(call("PATCH", `/v1/benefit-campaigns/${exclusive.id}`, { member_exclusive: false }), 200);
    expectProblem(
      await call("POST", `/v1/benefits/${made.id}/activate`),
      422,
      "campaign_not_member_exclusive",
    );
    expect(await ok<{ status: string }>(call("GET", `/v1/benefits/${made.id}`), 200)).toMatchObject({
      status: "inactive",
    });
    // Checked again, it activates; and then holds the flag.
    await ok(call("PATCH", `/v1/benefit-campaigns/${exclusive.id}`, { member_exclusive: true }), 200);
    await ok(call("POST", `/v1/benefits/${made.id}/activate`), 200);
    expectProblem(
      await call("PATCH", `/v1/benefit-campaigns/${exclusive.id}`, { member_exclusive: false }),
      409,
      "campaign_in_use",
    );
  });
});

describe("card extension", () => {
  // "30-day validity extension for annual spending over $1,000".
  const extension = (audience: object) => ({
    kind: "card_extension",
    name: "Member Card Validity Extension",
    audience,
    config: { extension_days: 30, min_annual_spend: 100000 },
  });

  it("is refused when its audience can reach a permanent-validity card plan", async () => {
    const before = await countBenefits();
    for (const audience of [
      {},
      { tiers: ["lifetime_basic"] },
      { card_plans: ["annual", "lifetime"] },
      { tags: [] },
    ]) {
      const res = await call("POST", "/v1/benefits", extension(audience));
      expectProblem(res, 422, "card_extension_permanent_plan");
      expect(json<{ detail: string }>(res).detail).toContain(
        "only applicable to cards with Relative Validity Period",
      );
    }
    expect(await countBenefits()).toBe(before);
    for (const audience of [
      { card_plans: ["annual"] },
      { min_tier: "annual_silver" },
      { exclude: { card_plans: ["lifetime"] } },
    ]) {
      await ok(call("POST", "/v1/benefits", extension(audience)));
    }
    const made = await ok(call("POST", "/v1/benefits", extension({ card_plans: ["annual"] })));
    expectProblem(
      await call("PATCH", `/v1/benefits/${made.id}`, { audience: {} }),
      422,
      "card_extension_permanent_plan",
    );
  });
});

describe("operator filter", () => {
  it("matches a user's name or an API key's label, not only an actor id", async () => {
    const key = await createTestKey(t, tenant.tenantId, "operator");
    const byKey = await ok(
      call("POST", "/v1/benefits", { kind: "custom", name: "Made by a key", config: {} }, key.auth),
    );
    await ok(
      call("POST", "/v1/users", {
        email: "lin@example.com",
        name: "Lin Xiaoyu",
        password: "correct horse battery",
        role: "operator",
      }),
    );
    const signedIn = await t.app.inject({
      method: "POST",
      url: "/v1/sessions",
      payload: { tenant_id: tenant.tenantId, email: "lin@example.com", password: "correct horse battery" },
    });
    const cookie = signedIn.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
    const csrf = json<{ csrf_token: string }>(signedIn).csrf_token;
    expect(signedIn.statusCode, signedIn.body).toBe(201);
    const byUser = await ok(
      t.app.inject({
        method: "POST",
        url: "/v1/benefits",
        headers: { cookie, "x-csrf-token": csrf },
        payload: { kind: "custom", name: "Made by Lin", config: {} },
      }),
    );
    const list = async (operator: string) =>
      (
        await ok<{ data: { id: string; updated_by_name: string | null }[] }>(
          call("GET", `/v1/benefits?operator=${encodeURIComponent(operator)}`),
          200,
        )
      ).data;
    expect((await list("xiaoyu")).map((b) => b.id)).toEqual([byUser.id]);
    expect((await list("Lin X"))[0]!.updated_by_name).toBe("Lin Xiaoyu");
    expect((await list("operator key")).map((b) => b.id)).toContain(byKey.id);
    expect((await list("operator key")).map((b) => b.id)).not.toContain(byUser.id);
    expect((await list(key.id)).map((b) => b.id)).toEqual([byKey.id]);
    expect(await list("nobody-by-this-name")).toEqual([]);
    // LIKE wildcards are text, not patterns.
    expect(await list("%")).toEqual([]);
  });
});
