import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { Ledger, verifyLedger } from "../../ledger/index.js";
import { type Actor, systemActor } from "../../platform/auth/actor.js";
import { redeemVoucher } from "../vouchers/index.js";
import {
  configureGiftStock,
  type GiftSpec,
  giftStockLevels,
  grantGift,
  revokeGifts,
  usedGiftVouchers,
} from "./index.js";

/** Gifts given through the vouchers module's member-voucher issuance, on the real ledger. */
let t: TestApp;
let tenant: TestTenant;
let ctx: { actor: Actor; requestId: null };
let coffee = "";
let cake = "";
let pack = "";

const post = async <T = { id: string }>(url: string, payload: object, status = 201) => {
  const r = await t.app.inject({ method: "POST", url, headers: tenant.auth, payload });
  expect(r.statusCode, r.body).toBe(status);
  return json<T>(r);
};
const member = async (name = "M") => (await post("/v1/members", { name })).id;

const grant = (memberId: string, spec: GiftSpec, sourceRef: string, stockKey?: string) =>
  t.deps.ledger.run(tenant.tenantId, (uow) =>
    grantGift(uow, ctx, { memberId, spec, sourceRef, stockKey, timezone: "Asia/Shanghai" }, t.clock.now()),
  );

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  ctx = { actor: systemActor(tenant.tenantId, "test.gifts"), requestId: null };
  coffee = (
    await post("/v1/gift-voucher-templates", {
      name: "Coffee",
      face_amount: 1500,
      validity: { kind: "relative", valid_days: 30 },
      scope: { kind: "allow", product_codes: ["coffee"] },
      min_spend: 0,
    })
  ).id;
  cake = (
    await post("/v1/gift-voucher-templates", {
      name: "Cake",
      face_amount: 2000,
      validity: { kind: "fixed", valid_from: "2026-11-01", valid_until: "2026-12-31" },
      scope: { kind: "all" },
      min_spend: 5000,
    })
  ).id;
  pack = (
    await post("/v1/gift-voucher-packages", {
      name: "Welcome",
      lines: [
        { template_id: coffee, quantity: 2 },
        { template_id: cake, quantity: 1 },
      ],
    })
  ).id;
});
afterAll(async () => t?.close());

async function vouchersOf(memberId: string) {
  const r = await t.app.inject({ url: `/v1/members/${memberId}/vouchers`, headers: tenant.auth });
  expect(r.statusCode, r.body).toBe(200);
  return json<{ data: { id: string; status: string; face_value: { amount: number }; expires_at: string }[] }>(
    r,
  ).data;
}

describe("gift templates and voucher packages", () => {
  it("issues a voucher package's lines once per source reference, in the balance asset", async () => {
    const m = await member();
    const first = await grant(m, { kind: "voucher_package", package_id: pack }, "test:order-1");
    expect(first.replayed).toBe(false);
    expect(first.grant.status).toBe("granted");
    expect(first.grant.voucher_ids).toHaveLength(3);
    const again = await grant(m, { kind: "voucher_package", package_id: pack }, "test:order-1");
    expect(again.replayed).toBe(true);
    expect(again.grant.id).toBe(first.grant.id);
    const vouchers = await vouchersOf(m);
    expect(vouchers.map((v) => v.face_value.amount).sort()).toEqual([1500, 1500, 2000]);
    // Relative 30 days from 2026-11-23 16:00 Shanghai: the issue day is day 1 → ends 2026-12-23 00:00 local.
    const coffeeVoucher = vouchers.find((v) => v.face_value.amount === 1500)!;
    expect(coffeeVoucher.expires_at).toBe("2026-12-22T16:00:00.000Z");
    const cakeVoucher = vouchers.find((v) => v.face_value.amount === 2000)!;
    expect(cakeVoucher.expires_at).toBe("2026-12-31T16:00:00.000Z");
  });

  it("keeps both of two edits of one template made at once, each to another field", async () => {
    const patch = (id: string, payload: object) =>
      t.app.inject({
        method: "PATCH",
        url: `/v1/gift-voucher-templates/${id}`,
        headers: tenant.auth,
        payload,
      });
    for (let round = 0; round < 5; round++) {
      const { id } = await post("/v1/gift-voucher-templates", {
        name: "Edited twice",
        face_amount: 1500,
        validity: { kind: "relative", valid_days: 30 },
        scope: { kind: "all" },
        min_spend: 0,
      });
      const answers = await Promise.all([
        patch(id, { name: `Renamed ${round}` }),
        patch(id, { face_amount: 2000 }),
      ]);
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
      const after = json<{ name: string; face_amount: number }>(
        await t.app.inject({ url: `/v1/gift-voucher-templates/${id}`, headers: tenant.auth }),
      );
      expect(after).toMatchObject({ name: `Renamed ${round}`, face_amount: 2000 });
    }
  });

  it("refuses bad packages and templates with a code and writes nothing", async () => {
    const before = json<{ data: unknown[] }>(
      await t.app.inject({ url: "/v1/gift-voucher-packages?limit=100", headers: tenant.auth }),
    ).data.length;
    const bad = [
      {
        name: "Too many",
        lines: [
          { template_id: coffee, quantity: 100 },
          { template_id: cake, quantity: 1 },
        ],
      },
      {
        name: "Twice",
        lines: [
          { template_id: coffee, quantity: 1 },
          { template_id: coffee, quantity: 1 },
        ],
      },
      { name: "Unknown", lines: [{ template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 1 }] },
    ];
    for (const payload of bad)
      expect(
        json<{ code: string }>(
          await t.app.inject({
            method: "POST",
            url: "/v1/gift-voucher-packages",
            headers: tenant.auth,
            payload,
          }),
        ).code,
      ).toBe("invalid_gift");
    const tooMany = await t.app.inject({
      method: "POST",
      url: "/v1/gift-voucher-packages",
      headers: tenant.auth,
      payload: {
        name: "21 lines",
        lines: Array.from({ length: 21 }, () => ({ template_id: coffee, quantity: 1 })),
      },
    });
    expect(tooMany.statusCode).toBe(400);
    const scope = await t.app.inject({
      method: "POST",
      url: "/v1/gift-voucher-templates",
      headers: tenant.auth,
      payload: {
        name: "x",
        face_amount: 1,
        validity: { kind: "relative", valid_days: 1 },
        scope: { kind: "allow" },
        min_spend: 0,
      },
    });
    expect(json<{ code: string }>(scope).code).toBe("invalid_scope");
    const after = json<{ data: unknown[] }>(
      await t.app.inject({ url: "/v1/gift-voucher-packages?limit=100", headers: tenant.auth }),
    ).data.length;
    expect(after).toBe(before);
  });
});

describe("gift stock", () => {
  it("gives exactly the stock under 30 concurrent grants; the rest are recorded out of stock", async () => {
    const key = "test:stock-5";
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      configureGiftStock(trx, tenant.tenantId, key, 5, t.clock.now()),
    );
    const members = await Promise.all(Array.from({ length: 30 }, (_, i) => member(`S${i}`)));
    const results = await Promise.all(
      members.map((m, i) => grant(m, { kind: "voucher", template_id: coffee }, `test:stock:${i}`, key)),
    );
    const statuses = results.map((r) => r.grant.status);
    expect(statuses.filter((s) => s === "granted")).toHaveLength(5);
    expect(statuses.filter((s) => s === "out_of_stock")).toHaveLength(25);
    const levels = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      giftStockLevels(trx, tenant.tenantId, [key]),
    );
    expect(levels.get(key)).toEqual({ limit: 5, granted: 5 });
    const issued = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("vouchers").select("id").where("member_id", "in", members).execute(),
    );
    expect(issued).toHaveLength(5);
  });
  it("a gift that gives nothing (its template's dates have ended) takes no unit of stock", async () => {
    const key = "test:stock-ended";
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      configureGiftStock(trx, tenant.tenantId, key, 1, t.clock.now()),
    );
    const ended = (
      await post("/v1/gift-voucher-templates", {
        name: "October only",
        face_amount: 800,
        validity: { kind: "fixed", valid_from: "2026-10-01", valid_until: "2026-10-31" },
        scope: { kind: "all" },
        min_spend: 0,
      })
    ).id;
    const nothing = await grant(
      await member("E1"),
      { kind: "voucher", template_id: ended },
      "test:ended:1",
      key,
    );
    expect(nothing.grant.status).toBe("no_gift");
    expect(nothing.grant.voucher_ids).toEqual([]);
    const levels = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      giftStockLevels(trx, tenant.tenantId, [key]),
    );
    expect(levels.get(key)).toEqual({ limit: 1, granted: 0 });
    // The one unit is still there for a gift that gives something.
    const given = await grant(
      await member("E2"),
      { kind: "voucher", template_id: coffee },
      "test:ended:2",
      key,
    );
    expect(given.grant.status).toBe("granted");
  });
});

describe("gift stock without group commit", () => {
  it("each grant in its own transaction: 20 concurrent against 3 give exactly 3", async () => {
    const alone = new Ledger(t.deps.db, { clock: t.clock, batching: false });
    const key = "test:stock-3";
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      configureGiftStock(trx, tenant.tenantId, key, 3, t.clock.now()),
    );
    const members = await Promise.all(Array.from({ length: 20 }, (_, i) => member(`U${i}`)));
    const results = await Promise.all(
      members.map((m, i) =>
        alone.run(tenant.tenantId, (uow) =>
          grantGift(
            uow,
            ctx,
            {
              memberId: m,
              spec: { kind: "voucher", template_id: coffee },
              sourceRef: `test:alone:${i}`,
              stockKey: key,
              timezone: "Asia/Shanghai",
            },
            t.clock.now(),
          ),
        ),
      ),
    );
    expect(results.filter((r) => r.grant.status === "granted")).toHaveLength(3);
    const levels = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      giftStockLevels(trx, tenant.tenantId, [key]),
    );
    expect(levels.get(key)).toEqual({ limit: 3, granted: 3 });
  });
});

describe("revoking gifts", () => {
  it("withdraws unused vouchers, keeps used ones, and reports them as used", async () => {
    const m = await member();
    const { grant: g } = await grant(
      m,
      { kind: "voucher", template_id: coffee, quantity: 2 },
      "test:revoke-1",
    );
    const [used, unused] = g.voucher_ids as [string, string];
    await t.deps.ledger.run(tenant.tenantId, (uow) =>
      redeemVoucher(
        uow,
        ctx,
        {
          voucherId: used,
          memberId: m,
          asset: "CNY",
          amount: 500,
          lines: [{ productCode: "coffee", amount: 2000 }],
          reference: { module: "test", id: "order-9" },
        },
        t.clock.now(),
      ),
    );
    expect(
      await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
        usedGiftVouchers(trx, tenant.tenantId, ["test:revoke-1"]),
      ),
    ).toEqual([used]);
    const revoked = await t.deps.ledger.run(tenant.tenantId, (uow) =>
      revokeGifts(uow, ctx, { sourceRefs: ["test:revoke-1"], reason: "refund" }, t.clock.now()),
    );
    expect(revoked).toEqual({ withdrawn: [unused], kept: [used] });
    const statuses = Object.fromEntries((await vouchersOf(m)).map((v) => [v.id, v.status]));
    expect(statuses).toEqual({ [used]: "partly_used", [unused]: "withdrawn" });
    // A second revocation finds the grant revoked and takes nothing more.
    const again = await t.deps.ledger.run(tenant.tenantId, (uow) =>
      revokeGifts(uow, ctx, { sourceRefs: ["test:revoke-1"], reason: "refund" }, t.clock.now()),
    );
    expect(again).toEqual({ withdrawn: [], kept: [] });
    const report = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(report.ok).toBe(true);
  });
});
