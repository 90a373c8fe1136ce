import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../../../test/helpers/app.js";
import { type OrderBody, type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";

/** A refunded package order's bonus points: taken back from the lots the order filled, never refused. */
let w: PackageWorld;
beforeAll(async () => {
  w = await packageWorld();
  await w.ok(w.call("PATCH", "/v1/wallet-settings", { points_validity_days: 30 }));
});
afterAll(async () => w?.t.close());

const buy = (memberId: string, packageId: string) =>
  w.ok<OrderBody>(
    w.call("POST", "/v1/package-orders", {
      channel: "POS",
      payment_method: "balance",
      package_id: packageId,
      member_id: memberId,
      rule_key: "quarterly",
    }),
    201,
  );

describe("points of a refunded package order", () => {
  it("are taken back from the lots the order filled, not from older points that expire sooner", async () => {
    w.t.clock.set("2025-10-10T02:00:00Z");
    const pkg = await w.createPackage({ refund_restriction: false });
    const m = await w.member(100_000);
    // Oct 10 (Shanghai): 100 points of the member's own, usable through Nov 9.
    await w.ok(w.call("POST", `/v1/members/${m}/points`, { operation: "earn", points: 100 }));
    // Oct 20: the order's 500 points, usable through Nov 19.
    w.t.clock.set("2025-10-20T02:00:00Z");
    const order = await buy(m, pkg);
    expect(order.points_awarded).toBe(500);
    expect((await w.balance(m)).points).toBe(600);
    await w.ok(
      w.call("POST", `/v1/package-orders/${order.id}/refund`, { kind: "order", reason: "returned" }),
    );
    expect((await w.balance(m)).points).toBe(100);
    // Nov 12: the member's own 100 have expired as they would have anyway; nothing outlives them.
    w.t.clock.set("2025-11-12T02:00:00Z");
    expect((await w.balance(m)).points).toBe(0);
  });

  it("spent meanwhile and not covered by the member's other points, refuse the refund whole, naming the shortfall", async () => {
    w.t.clock.set("2025-12-01T02:00:00Z");
    const pkg = await w.createPackage();
    const m = await w.member(100_000);
    const order = await buy(m, pkg);
    expect(order.points_awarded).toBe(500);
    await w.ok(w.call("POST", `/v1/members/${m}/points`, { operation: "spend", points: 400 }));
    const before = await w.balance(m);
    const refused = await w.call("POST", `/v1/package-orders/${order.id}/refund`, {
      kind: "offline",
      reason: "customer",
    });
    expect(refused.statusCode, refused.body).toBe(422);
    expect(json(refused)).toMatchObject({ code: "insufficient_points", available: 100, shortfall: 400 });
    expect(await w.balance(m)).toEqual(before);
    // With points of the member's own to cover them, the order's are taken from its lot first, then those.
    await w.ok(w.call("POST", `/v1/members/${m}/points`, { operation: "earn", points: 450 }));
    const refunded = await w.call("POST", `/v1/package-orders/${order.id}/refund`, {
      kind: "offline",
      reason: "customer",
    });
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect(await w.balance(m)).toMatchObject({ available: 100_000, points: 50 });
  });
});

describe("a package order of a member closed since the sale", () => {
  it("is refunded without taking its points back from the closed account (audited)", async () => {
    w.t.clock.set("2026-01-10T02:00:00Z");
    const pkg = await w.createPackage({ refund_restriction: false });
    const m = await w.member();
    const order = await w.ok<OrderBody>(
      w.call("POST", "/v1/package-orders", {
        channel: "POS",
        payment_method: "offline",
        package_id: pkg,
        member_id: m,
        rule_key: "quarterly",
      }),
      201,
    );
    expect(order.points_awarded).toBe(500);
    // Points do not stop a close; closing is final and the account holds nothing usable.
    await w.ok(w.call("PATCH", `/v1/members/${m}`, { status: "closed" }));
    const refunded = await w.call("POST", `/v1/package-orders/${order.id}/refund`, {
      kind: "offline",
      reason: "closed account",
    });
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect((await w.ok<OrderBody>(w.call("GET", `/v1/package-orders/${order.id}`))).status).toBe("refunded");
    const audit = await w.t.database.owner
      .selectFrom("audit_events")
      .select("summary")
      .where("target_id", "=", order.id)
      .where("action", "=", "package.refunded")
      .executeTakeFirstOrThrow();
    expect(audit.summary).toMatchObject({ points_not_reversed: { points: 500, reason: "member_closed" } });
    const event = await w.t.database.owner
      .selectFrom("events")
      .select("data")
      .where("type", "=", "package.refunded")
      .where(sql<boolean>`data->>'order_id' = ${order.id}`)
      .executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({ points_not_reversed: { points: 500, reason: "member_closed" } });
  });
});
