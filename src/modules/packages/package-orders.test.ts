import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportedRows } from "../../../test/helpers/exports.js";
import { type OrderBody, type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";
import { verifyLedger } from "../../ledger/index.js";
import type { FileDeps } from "../../platform/files/file-jobs.js";
import { signTestWebhook, testProviderSecret } from "../wallets/index.js";
import { runPackageExpiry } from "./index.js";

/** Refunds, online payment, expiry and events, sales data and the buyers export. */
let w: PackageWorld;
let files: FileDeps;
const DAY = 86_400_000;
const START = "2025-10-10T02:00:00Z";

beforeAll(async () => {
  w = await packageWorld();
  w.t.clock.set(START);
  files = { db: w.t.deps.db, dataDir: await mkdtemp(path.join(os.tmpdir(), "vouchsafe-packages-")) };
});
afterAll(async () => {
  await w?.t.close();
  if (files) await rm(files.dataDir, { recursive: true, force: true });
});

const bought = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  w.ok<OrderBody>(
    w.call(
      "POST",
      "/v1/package-orders",
      { channel: "POS", payment_method: "balance", rule_key: "quarterly", ...body },
      headers,
    ),
    201,
  );
const refund = (id: string, body: Record<string, unknown>) =>
  w.call("POST", `/v1/package-orders/${id}/refund`, body);
const events = async (type: string) =>
  (
    await w.ok<{ data: { data: Record<string, unknown> }[] }>(
      w.call("GET", `/v1/events?type=${type}&limit=100`),
    )
  ).data.map((e) => e.data);

describe("refunds", () => {
  it("with the restriction on, an order refund is refused once a gifted voucher is used; an offline refund is not", async () => {
    const pkg = await w.createPackage();
    const m = await w.member(50_000);
    const before = await w.balance(m);
    const order = await bought({ package_id: pkg, member_id: m });
    const voucher = order.gifts[0]!.voucher_ids[0]!;
    // The member spends the gifted coffee voucher at the till.
    await w.ok(
      w.call("POST", "/v1/checkout/orders", {
        member_id: m,
        channel: "POS",
        client_order_id: `coffee-${m}`,
        lines: [{ sku: "coffee", category: "drinks", quantity: 1, unit_price: 1000 }],
        voucher_ids: [voucher],
      }),
      201,
    );
    const afterCoffee = await w.balance(m);
    expect(await w.code(refund(order.id, { kind: "order" }), 422)).toBe("refund_restricted");
    expect(await w.balance(m)).toEqual(afterCoffee);

    const done = await w.ok<{
      order: OrderBody;
      kept_voucher_ids: string[];
      withdrawn_voucher_ids: string[];
      money_returned_to: string;
    }>(refund(order.id, { kind: "offline", reason: "at the desk" }));
    expect(done).toMatchObject({
      kept_voucher_ids: [voucher],
      withdrawn_voucher_ids: [],
      money_returned_to: "balance",
    });
    expect(done.order.status).toBe("refunded");
    expect(done.order.period!.status).toBe("refunded");
    const after = await w.balance(m);
    expect(after.principal).toBe(before.principal);
    expect(after.points).toBe(afterCoffee.points - 500);
    expect((await w.ok<{ data: unknown[] }>(w.call("GET", `/v1/members/${m}/entitlements`))).data).toEqual(
      [],
    );
    expect(await w.code(refund(order.id, { kind: "offline" }), 409)).toBe("package_order_not_refundable");
  });

  it("an order refund of an unused gift withdraws the voucher; a refunded buyer is a first buyer again", async () => {
    const pkg = await w.createPackage();
    const m = await w.member(50_000);
    const order = await bought({ package_id: pkg, member_id: m });
    const done = await w.ok<{ withdrawn_voucher_ids: string[] }>(refund(order.id, {}));
    expect(done.withdrawn_voucher_ids).toEqual(order.gifts[0]!.voucher_ids);
    const vouchers = await w.ok<{ data: { status: string }[] }>(w.call("GET", `/v1/members/${m}/vouchers`));
    expect(vouchers.data.map((v) => v.status)).toEqual(["withdrawn"]);
    expect((await w.balance(m)).principal).toBe(50_000);
    const again = await bought({ package_id: pkg, member_id: m });
    expect([again.situation, again.price.amount]).toEqual(["first_purchase", 15900]);
  });

  it("a frozen member's order is refunded whole: balance back, bonus points taken back, gift withdrawn", async () => {
    const pkg = await w.createPackage();
    const m = await w.member(50_000);
    const before = await w.balance(m);
    const order = await bought({ package_id: pkg, member_id: m });
    expect(order.points_awarded).toBe(500);
    await w.ok(w.call("PATCH", `/v1/members/${m}`, { status: "frozen" }));
    const done = await w.ok<{ order: OrderBody; withdrawn_voucher_ids: string[]; money_returned_to: string }>(
      refund(order.id, { kind: "order" }),
    );
    expect(done).toMatchObject({
      withdrawn_voucher_ids: order.gifts[0]!.voucher_ids,
      money_returned_to: "balance",
    });
    expect(done.order.status).toBe("refunded");
    expect(await w.balance(m)).toMatchObject({
      principal: before.principal,
      bonus: before.bonus,
      points: before.points,
    });
    expect((await w.ok<{ status: string }>(w.call("GET", `/v1/members/${m}`))).status).toBe("frozen");
    const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it("its balance payment is refunded only with the order: the wallets refuse it alone, naming the order", async () => {
    const pkg = await w.createPackage();
    const m = await w.member(50_000);
    const before = await w.balance(m);
    const order = await bought({ package_id: pkg, member_id: m });
    const { wallet_payment_id: paymentId } = await w.t.database.owner
      .selectFrom("package_orders")
      .select("wallet_payment_id")
      .where("id", "=", order.id)
      .executeTakeFirstOrThrow();
    const paid = await w.balance(m);
    const alone = await w.call("POST", `/v1/wallet-payments/${paymentId}/refunds`, {
      amount: order.price.amount,
    });
    expect(alone.statusCode, alone.body).toBe(409);
    expect(JSON.parse(alone.body)).toMatchObject({
      code: "payment_refunded_by_order",
      module: "packages",
      order_id: order.id,
      refund_path: `/v1/package-orders/${order.id}/refund`,
    });
    expect(await w.balance(m)).toEqual(paid);
    const done = await w.ok<{ order: OrderBody }>(refund(order.id, { kind: "order" }));
    expect(done.order.status).toBe("refunded");
    expect(await w.balance(m)).toMatchObject({ principal: before.principal, points: before.points });
  });
});

describe("online payment", () => {
  const secret = () => testProviderSecret(w.t.config.signingSecret);
  const confirm = (order: OrderBody, status: "succeeded" | "failed", amount = order.price.amount) => {
    const providerRef = String(order.payment.checkout!.pay_url).replace("test://pay/", "");
    const signed = signTestWebhook(
      secret(),
      { id: `evt-${providerRef}-${status}`, provider_ref: providerRef, status, amount, currency: "CNY" },
      w.t.clock.now(),
    );
    return w.t.app.inject({
      method: "POST",
      url: `/v1/package-payment-webhooks/test/${w.tenant.tenantId}`,
      headers: { ...signed.headers, "content-type": "application/json" },
      payload: signed.body,
    });
  };

  it("waits for the provider's signed confirmation, then pays and activates exactly once", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const own = await memberAuth(w.t, w.tenant, m);
    const pending = await bought(
      { package_id: pkg, member_id: m, payment_method: "online", channel: "ONLINE" },
      own,
    );
    expect(pending).toMatchObject({
      status: "pending_payment",
      period: null,
      gifts: [],
      price: { amount: 15900 },
    });
    expect(String(pending.payment.checkout!.pay_url)).toMatch(/^test:\/\/pay\//);
    const forged = await w.t.app.inject({
      method: "POST",
      url: `/v1/package-payment-webhooks/test/${w.tenant.tenantId}`,
      headers: { "content-type": "application/json", "x-test-signature": "t=1,v1=bad" },
      payload: "{}",
    });
    expect(forged.statusCode).toBe(401);
    const paid = await confirm(pending, "succeeded");
    expect(paid.statusCode, paid.body).toBe(200);
    expect(JSON.parse(paid.body)).toMatchObject({ order_id: pending.id, result: "paid" });
    const order = await w.ok<OrderBody>(w.call("GET", `/v1/package-orders/${pending.id}`, undefined, own));
    expect(order).toMatchObject({ status: "paid", period: { status: "active" }, points_awarded: 500 });
    expect(order.gifts[0]!.status).toBe("granted");
    expect((await confirm(pending, "succeeded")).statusCode).toBe(409);
    expect((await w.balance(m)).principal).toBe(0);
  });

  it("an unpaid order is cancelled by the clock; a late payment activates it then, once", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await bought({ package_id: pkg, member_id: m, payment_method: "online" });
    w.t.clock.advanceMinutes(16);
    expect(await runPackageExpiry(w.t.deps, w.tenant.tenantId)).toBeGreaterThanOrEqual(1);
    const order = await w.ok<OrderBody>(w.call("GET", `/v1/package-orders/${pending.id}`));
    expect(order.status).toBe("cancelled");
    expect(JSON.parse((await confirm(pending, "succeeded")).body)).toMatchObject({ result: "paid" });
    expect((await confirm(pending, "succeeded")).statusCode).toBe(409);
    expect((await w.ok<OrderBody>(w.call("GET", `/v1/package-orders/${pending.id}`))).status).toBe("paid");
    w.t.clock.set(START);
  });
});

describe("expiry, renewal gifts and events", () => {
  it("a renewal's gift set to 'when it takes effect' waits for the new period; the clock expires periods", async () => {
    const pkg = await w.createPackage({
      sales_rules: [{ key: "quarterly", duration_days: 10, original_price: 1000, early_renewal_price: 800 }],
      perks: [
        {
          type: "early_renewal_gift",
          key: "loyal",
          applicable_rules: "all",
          bonus_points: 400,
          distribution: "on_effect",
          gift: { kind: "voucher", template_id: w.coffee },
        },
        { type: "member_discount", key: "ten-off", applicable_rules: "all", benefit_id: w.discount },
      ],
    });
    const m = await w.member(10_000);
    const first = await bought({ package_id: pkg, member_id: m });
    w.t.clock.advance(2 * DAY);
    const renewal = await bought({ package_id: pkg, member_id: m });
    expect(renewal.period!.starts_at).toBe(first.period!.ends_at);
    expect(renewal.gifts).toEqual([]);
    expect((await w.balance(m)).points).toBe(0);
    // Staff read the periods: the clock moves past a member token's lifetime below.
    const listed = async (status: string) =>
      (
        await w.ok<{ data: { id: string }[] }>(
          w.call("GET", `/v1/members/${m}/package-periods?status=${status}`),
        )
      ).data.map((p) => p.id);
    expect(await listed("active")).toEqual([first.period!.id]);
    expect(await listed("scheduled")).toEqual([renewal.period!.id]);

    w.t.clock.set(first.period!.ends_at);
    await runPackageExpiry(w.t.deps);
    expect(await listed("expired")).toEqual([first.period!.id]);
    expect(await listed("active")).toEqual([renewal.period!.id]);
    const given = await w.ok<OrderBody>(w.call("GET", `/v1/package-orders/${renewal.id}`));
    expect(given.gifts).toEqual([
      { perk_key: "loyal", status: "granted", voucher_ids: [expect.any(String)] },
    ]);
    expect(given.points_awarded).toBe(400);
    expect((await w.balance(m)).points).toBe(400);
    // Running again gives nothing twice.
    await runPackageExpiry(w.t.deps);
    expect((await w.balance(m)).points).toBe(400);

    w.t.clock.set(renewal.period!.ends_at);
    await runPackageExpiry(w.t.deps);
    expect(await listed("expired")).toEqual([first.period!.id, renewal.period!.id]);
    const expired = (await events("package.expired")).map((e) => e.period_id);
    expect(expired).toEqual(expect.arrayContaining([first.period!.id, renewal.period!.id]));
    expect((await events("package.renewed")).map((e) => e.order_id)).toContain(renewal.id);
    expect((await events("package.purchased")).map((e) => e.order_id)).toContain(first.id);
    w.t.clock.set(START);
  });

  it("refunds emit package.refunded; the ledger verifies clean after all of it", async () => {
    const pkg = await w.createPackage();
    const m = await w.member(20_000);
    const order = await bought({ package_id: pkg, member_id: m });
    await w.ok(refund(order.id, {}));
    expect((await events("package.refunded")).map((e) => e.order_id)).toContain(order.id);
    const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });
});

describe("sales data and the buyers list", () => {
  it("counts volume, revenue and buyers over a range, by channel and price kind; the buyers export lists them", async () => {
    const pkg = await w.createPackage();
    const [a, b] = [await w.member(50_000, "silver", "Buyer A"), await w.member(50_000, "silver", "Buyer B")];
    await bought({ package_id: pkg, member_id: a });
    await bought({ package_id: pkg, member_id: a });
    const refunded = await bought({ package_id: pkg, member_id: b, channel: "ONLINE" });
    await w.ok(refund(refunded.id, {}));
    const q = `from=2025-10-01T00:00:00Z&to=2025-11-01T00:00:00Z`;
    const sales = await w.ok<Record<string, unknown>>(w.call("GET", `/v1/packages/${pkg}/sales?${q}`));
    expect(sales).toMatchObject({
      volume: 2,
      revenue: 15900 + 16900,
      buyers: 1,
      refunds: { count: 1, amount: 15900 },
      by_channel: [{ key: "POS", volume: 2, revenue: 32800, buyers: 1 }],
    });
    expect(sales.by_price_kind).toEqual(
      expect.arrayContaining([
        { key: "first_purchase", volume: 1, revenue: 15900, buyers: 1 },
        { key: "early_renewal", volume: 1, revenue: 16900, buyers: 1 },
      ]),
    );
    const empty = await w.ok<{ volume: number }>(
      w.call("GET", `/v1/packages/${pkg}/sales?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`),
    );
    expect(empty.volume).toBe(0);

    expect(
      await w.code(
        w.call("POST", "/v1/exports", { type: "package_buyers", format: "csv", filters: {} }),
        400,
      ),
    ).toBe("validation_failed");
    // A package that is not there is named as such, not answered with an empty file.
    expect(
      await w.code(
        w.call("POST", "/v1/exports", {
          type: "package_buyers",
          format: "csv",
          filters: { package_id: "pkg_missing" },
        }),
        404,
      ),
    ).toBe("package_not_found");
    const tenantId = w.tenant.tenantId;
    const rows = await exportedRows(w.t, files, tenantId, "package_buyers", { package_id: pkg });
    expect(rows.map((r) => [r.member_name, r.price_kind, r.amount, r.status])).toEqual([
      ["Buyer A", "first_purchase", "15900", "paid"],
      ["Buyer A", "early_renewal", "16900", "paid"],
      ["Buyer B", "first_purchase", "15900", "refunded"],
    ]);
  });
});

describe("the buyers export's time filters", () => {
  it("refuses a time the sales route refuses: a bare number, a day the calendar lacks, a far-past year", async () => {
    const pkg = await w.createPackage();
    // new Date() read "1" as 2001 and Feb 30 as 2 March.
    for (const value of ["1", "2026-02-30T00:00:00Z", "-271821-04-20T00:00:00Z"]) {
      expect(
        await w.code(
          w.call(
            "GET",
            `/v1/packages/${pkg}/sales?from=${encodeURIComponent(value)}&to=2026-01-01T00:00:00Z`,
          ),
          400,
        ),
      ).toBe("validation_failed");
      for (const key of ["from", "to"]) {
        expect(
          await w.code(
            w.call("POST", "/v1/exports", {
              type: "package_buyers",
              format: "csv",
              filters: { package_id: pkg, [key]: value },
            }),
            400,
          ),
          `${key}=${value}`,
        ).toBe("validation_failed");
      }
    }
  });
});

describe("members' own view", () => {
  it("a member token sees and buys only for itself", async () => {
    const pkg = await w.createPackage();
    const [m, other] = [await w.member(50_000), await w.member(50_000)];
    const own = await memberAuth(w.t, w.tenant, m);
    const mine = await bought({ package_id: pkg, member_id: m }, own);
    const theirs = await bought({ package_id: pkg, member_id: other });
    expect((await w.call("GET", `/v1/package-orders/${mine.id}`, undefined, own)).statusCode).toBe(200);
    expect(await w.code(w.call("GET", `/v1/package-orders/${theirs.id}`, undefined, own), 404)).toBe(
      "package_order_not_found",
    );
    expect(await w.code(w.call("GET", `/v1/members/${other}/package-periods`, undefined, own), 404)).toBe(
      "member_not_found",
    );
    expect((await w.call("POST", `/v1/package-orders/${mine.id}/refund`, {}, own)).statusCode).toBe(403);
    expect((await w.call("GET", "/v1/package-orders", undefined, own)).statusCode).toBe(403);
  });
});
