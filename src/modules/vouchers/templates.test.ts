import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import {
  createVoucherTree,
  expectCode,
  memberAuth,
  type VoucherTree,
} from "../../../test/helpers/vouchers.js";
import { scopeAllows, validityWindow } from "./voucher-rules.js";

let t: TestApp;
let tenant: TestTenant;
let tree: VoucherTree;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  tree = await createVoucherTree(t, tenant);
});
afterAll(async () => t?.close());

const template = (overrides: Record<string, unknown> = {}) => ({
  name: "Welcome 50",
  face_value: { amount: 5000, asset: "CNY" },
  validity: { kind: "relative", valid_days: 30 },
  scope: { kind: "all" },
  ...overrides,
});

async function create(headers: Record<string, string>, body: Record<string, unknown>) {
  return t.app.inject({ method: "POST", url: "/v1/voucher-templates", headers, payload: body });
}

describe("voucher templates", () => {
  it("a reseller creates a customer_discount template for itself", async () => {
    const response = await create(tree.keys.reseller1, template({ note: "launch", min_bill_amount: 10000 }));
    expect(response.statusCode).toBe(201);
    expect(json(response)).toMatchObject({
      object: "voucher_template",
      owner_id: tree.reseller1.id,
      purpose: "customer_discount",
      face_value: { amount: 5000, asset: "CNY" },
      validity: { kind: "relative", valid_days: 30, valid_from: null },
      scope: { kind: "all", product_codes: [] },
      min_bill_amount: 10000,
      in_use: false,
      status: "active",
    });
  });

  it("refuses product_trial for a reseller and customer_discount for a distributor", async () => {
    expectCode(
      await create(tree.keys.reseller1, template({ purpose: "product_trial" })),
      422,
      "purpose_not_allowed",
    );
    expectCode(
      await create(tree.keys.distributor, template({ owner_id: tree.distributor.id })),
      422,
      "purpose_not_allowed",
    );
    const trial = await create(
      tree.keys.distributor,
      template({ owner_id: tree.distributor.id, purpose: "product_trial" }),
    );
    expect(trial.statusCode).toBe(201);
    expectCode(
      await create(tree.keys.owner, template({ owner_id: tree.customer1a.id })),
      422,
      "not_a_reseller",
    );
  });

  it("validates scopes and validity with stable codes, writing nothing", async () => {
    const before = json<{ data: unknown[] }>(
      await t.app.inject({ url: "/v1/voucher-templates?limit=100", headers: tree.keys.owner }),
    ).data.length;
    const bad: [Record<string, unknown>, number, string][] = [
      [{ scope: { kind: "allow" } }, 400, "invalid_scope"],
      [{ scope: { kind: "deny", product_codes: [] } }, 400, "invalid_scope"],
      [{ scope: { kind: "all", product_codes: ["cvm"] } }, 400, "invalid_scope"],
      [{ scope: { kind: "allow", product_codes: ["cvm", "cvm"] } }, 400, "validation_failed"],
      [
        { validity: { kind: "fixed", valid_from: "2026-12-31", valid_until: "2026-12-01" } },
        400,
        "invalid_validity",
      ],
      [{ validity: { kind: "fixed", valid_from: "2026-12-01" } }, 400, "invalid_validity"],
      [{ validity: { kind: "relative", valid_days: 10, valid_from: "2026-12-01" } }, 400, "invalid_validity"],
      [{ validity: { kind: "relative", valid_days: 0 } }, 400, "validation_failed"],
      [{ face_value: { amount: 0, asset: "CNY" } }, 400, "validation_failed"],
      [{ min_bill_amount: -1 }, 400, "validation_failed"],
      [{ owner_id: tree.reseller2.id }, 404, "org_unit_not_found"],
      // An asset the tenant's ledger does not have could never issue a voucher.
      [{ face_value: { amount: 5000, asset: "ZZZ" } }, 404, "asset_not_found"],
    ];
    for (const [overrides, status, code] of bad) {
      expectCode(await create(tree.keys.reseller1, template(overrides)), status, code);
    }
    const after = json<{ data: unknown[] }>(
      await t.app.inject({ url: "/v1/voucher-templates?limit=100", headers: tree.keys.owner }),
    ).data.length;
    expect(after).toBe(before);
  });

  it("lists by condition and confines each reseller to its own templates", async () => {
    const mine = json<{ id: string }>(
      await create(
        tree.keys.reseller2,
        template({ name: "Storage only", scope: { kind: "allow", product_codes: ["cos"] } }),
      ),
    );
    const list = async (headers: Record<string, string>, query = "") =>
      json<{ data: { id: string; owner_id: string; name: string }[] }>(
        await t.app.inject({ url: `/v1/voucher-templates?limit=100${query}`, headers }),
      ).data;
    const r1 = await list(tree.keys.reseller1);
    expect(r1.length).toBeGreaterThan(0);
    expect(r1.every((row) => row.owner_id === tree.reseller1.id)).toBe(true);
    expect((await list(tree.keys.reseller2)).map((r) => r.id)).toEqual([mine.id]);
    const distributorSees = await list(tree.keys.distributor);
    expect(distributorSees.some((r) => r.owner_id === tree.reseller1.id)).toBe(true);
    expect(distributorSees.some((r) => r.owner_id === tree.reseller2.id)).toBe(true);
    expect((await list(tree.keys.owner, "&name=storage")).map((r) => r.id)).toEqual([mine.id]);
    expect((await list(tree.keys.owner, "&scope_kind=allow")).map((r) => r.id)).toEqual([mine.id]);
    expect(
      (await list(tree.keys.owner, "&purpose=product_trial")).every(
        (r) => r.owner_id === tree.distributor.id,
      ),
    ).toBe(true);
    const future = new Date(t.clock.now().getTime() + 60_000).toISOString();
    expect(await list(tree.keys.owner, `&created_from=${encodeURIComponent(future)}`)).toEqual([]);
    expectCode(
      await t.app.inject({ url: `/v1/voucher-templates/${mine.id}`, headers: tree.keys.reseller1 }),
      404,
      "voucher_template_not_found",
    );
    const customer = await memberAuth(t, tenant, tree.customer2.id);
    expect((await t.app.inject({ url: "/v1/voucher-templates", headers: customer })).statusCode).toBe(403);
  });

  it("edits a template until it is in use, and copies it", async () => {
    const created = json<{ id: string }>(await create(tree.keys.reseller1, template({ name: "Editable" })));
    const edited = await t.app.inject({
      method: "PATCH",
      url: `/v1/voucher-templates/${created.id}`,
      headers: tree.keys.reseller1,
      payload: { name: "Edited", scope: { kind: "deny", product_codes: ["domain"] } },
    });
    expect(edited.statusCode).toBe(200);
    expect(json(edited)).toMatchObject({
      name: "Edited",
      scope: { kind: "deny", product_codes: ["domain"] },
    });
    expectCode(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/voucher-templates/${created.id}`,
        headers: tree.keys.reseller1,
        payload: { face_value: { amount: 5000, asset: "ZZZ" } },
      }),
      404,
      "asset_not_found",
    );
    // Someone issued from it (the issuance path sets the count under the same row lock).
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.updateTable("voucher_templates").set({ issued_count: 1 }).where("id", "=", created.id).execute(),
    );
    expectCode(
      await t.app.inject({
        method: "PATCH",
        url: `/v1/voucher-templates/${created.id}`,
        headers: tree.keys.reseller1,
        payload: { name: "Too late" },
      }),
      409,
      "template_in_use",
    );
    const copy = await t.app.inject({
      method: "POST",
      url: `/v1/voucher-templates/${created.id}/copy`,
      headers: tree.keys.reseller1,
      payload: {},
    });
    expect(copy.statusCode).toBe(201);
    expect(json(copy)).toMatchObject({ name: "Edited (copy)", in_use: false, scope: { kind: "deny" } });
    const audit = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .selectFrom("audit_events")
        .select(["action", "summary"])
        .where("target_id", "=", created.id)
        .execute(),
    );
    expect(audit.map((a) => a.action).sort()).toEqual([
      "voucher_template.created",
      "voucher_template.updated",
    ]);
    expect(audit.find((a) => a.action === "voucher_template.updated")?.summary).toMatchObject({
      before: { name: "Editable", scope_kind: "all" },
      after: { name: "Edited", scope_kind: "deny" },
    });
  });
});

describe("rules", () => {
  it.each([
    ["all", [], "cvm", true],
    ["allow", ["cvm", "cos"], "cos", true],
    ["allow", ["cvm"], "cos", false],
    ["deny", ["domain"], "domain", false],
    ["deny", ["domain"], "cvm", true],
  ] as const)("scope %s %j allows %s: %s", (kind, codes, product, allowed) => {
    expect(scopeAllows({ kind, productCodes: [...codes] }, product)).toBe(allowed);
  });

  it("relative validity ends at the tenant's midnight after N days counting the issue day", () => {
    // 2026-11-23 23:30 in Shanghai is 15:30 UTC.
    const window = validityWindow(
      { kind: "relative", validDays: 2, validFrom: null, validUntil: null },
      new Date("2026-11-23T15:30:00Z"),
      "Asia/Shanghai",
    );
    expect(window.expiresAt.toISOString()).toBe("2026-11-24T16:00:00.000Z");
  });

  it("fixed validity runs from the first day's midnight (or issue) to the day after the last", () => {
    const window = validityWindow(
      { kind: "fixed", validDays: null, validFrom: "2026-12-01", validUntil: "2026-12-31" },
      new Date("2026-11-23T08:00:00Z"),
      "Asia/Shanghai",
    );
    expect(window.startsAt.toISOString()).toBe("2026-11-30T16:00:00.000Z");
    expect(window.expiresAt.toISOString()).toBe("2026-12-31T16:00:00.000Z");
  });
});
