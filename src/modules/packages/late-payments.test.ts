import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestKey, createTestTenant } from "../../../test/helpers/app.js";
import { type OrderBody, type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { verifyLedger } from "../../ledger/index.js";
import { signTestWebhook, testProviderSecret } from "../wallets/index.js";
import { runPackageExpiry } from "./index.js";

/**
 * A package's online payment may succeed after a "failed" notification (the member retried)
 * or after the clock cancelled the order: the member paid, so the order is activated then,
 * or, when it cannot be, kept for a refund where finance sees it.
 */
let w: PackageWorld;
const START = "2025-10-10T02:00:00Z";
beforeAll(async () => {
  w = await packageWorld();
  w.t.clock.set(START);
});
afterAll(async () => w?.t.close());

const online = (pkg: string, member: string) =>
  w.ok<OrderBody>(
    w.call("POST", "/v1/package-orders", {
      package_id: pkg,
      member_id: member,
      channel: "ONLINE",
      payment_method: "online",
      rule_key: "quarterly",
    }),
    201,
  );
let seq = 0;
const confirm = (order: OrderBody, status: "succeeded" | "failed", eventId = `evt-pkg-${++seq}`) => {
  const providerRef = String(order.payment.checkout!.pay_url).replace("test://pay/", "");
  const signed = signTestWebhook(
    testProviderSecret(w.t.config.signingSecret),
    { id: eventId, provider_ref: providerRef, status, amount: order.price.amount, currency: "CNY" },
    w.t.clock.now(),
  );
  return w.t.app.inject({
    method: "POST",
    url: `/v1/package-payment-webhooks/test/${w.tenant.tenantId}`,
    headers: { ...signed.headers, "content-type": "application/json" },
    payload: signed.body,
  });
};
/** The provider's signed notification that it refunded (part of) the order's payment. */
const refundOf = (order: OrderBody, eventId: string, refund: Record<string, unknown>) => {
  const providerRef = String(order.payment.checkout!.pay_url).replace("test://pay/", "");
  const signed = signTestWebhook(
    testProviderSecret(w.t.config.signingSecret),
    {
      id: eventId,
      provider_ref: providerRef,
      status: "succeeded",
      amount: order.price.amount,
      currency: "CNY",
      kind: "refund",
      ...refund,
    },
    w.t.clock.now(),
  );
  return w.t.app.inject({
    method: "POST",
    url: `/v1/package-payment-webhooks/test/${w.tenant.tenantId}`,
    headers: { ...signed.headers, "content-type": "application/json" },
    payload: signed.body,
  });
};
const result = async (r: ReturnType<typeof confirm>) => {
  const res = await r;
  expect(res.statusCode, res.body).toBe(200);
  return (JSON.parse(res.body) as { result: string }).result;
};
const order = (id: string) => w.ok<OrderBody>(w.call("GET", `/v1/package-orders/${id}`));
const audit = (id: string) =>
  w.t.database.owner
    .selectFrom("audit_events")
    .select("action")
    .where("tenant_id", "=", w.tenant.tenantId)
    .where("target_id", "=", id)
    .execute()
    .then((rows) => rows.map((r) => r.action).sort());
const events = (type: string) =>
  w.t.database.owner
    .selectFrom("events")
    .select("data")
    .where("tenant_id", "=", w.tenant.tenantId)
    .where("type", "=", type)
    .execute()
    .then((rows) => rows.map((r) => r.data as Record<string, unknown>));
const ledgerClean = async () => {
  const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
  expect(report.ok, JSON.stringify(report)).toBe(true);
};

describe("a package payment that succeeds after it failed or the order was cancelled", () => {
  it("after a failed notification: paid and activated once, its gift given once", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await online(pkg, m);
    expect(await result(confirm(pending, "failed"))).toBe("failed");
    expect((await order(pending.id)).status).toBe("cancelled");
    expect(await result(confirm(pending, "succeeded", "evt-pkg-retry"))).toBe("paid");
    const paid = await order(pending.id);
    expect(paid).toMatchObject({ status: "paid", period: { status: "active" }, points_awarded: 500 });
    expect(paid.gifts.map((g) => g.status)).toEqual(["granted"]);
    // The same notification again does nothing.
    expect((await confirm(pending, "succeeded", "evt-pkg-retry")).statusCode).toBe(409);
    expect((await w.balance(m)).points).toBe(500);
    expect(await events("package.purchased")).toHaveLength(1);
    expect(await audit(pending.id)).toEqual([
      "package.payment_failed",
      "package.payment_paid",
      "package.payment_started",
      "package.purchased",
    ]);
    await ledgerClean();
  });

  it("after the clock cancelled it: paid and activated then", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await online(pkg, m);
    w.t.clock.advanceMinutes(16);
    expect(await runPackageExpiry(w.t.deps, w.tenant.tenantId)).toBeGreaterThanOrEqual(1);
    expect((await order(pending.id)).status).toBe("cancelled");
    // The clock's cancellation is audited as the job's, as a failed payment's is as the provider's.
    const cancelledBy = await w.t.database.owner
      .selectFrom("audit_events")
      .select(["action", "actor_type", "actor_id", "summary"])
      .where("tenant_id", "=", w.tenant.tenantId)
      .where("target_id", "=", pending.id)
      .where("action", "=", "package.payment_expired")
      .execute();
    expect(cancelledBy).toEqual([
      {
        action: "package.payment_expired",
        actor_type: "system",
        actor_id: "packages.expire",
        summary: { outcome: "expired" },
      },
    ]);
    expect(await result(confirm(pending, "succeeded"))).toBe("paid");
    expect(await order(pending.id)).toMatchObject({ status: "paid", period: { status: "active" } });
    w.t.clock.set(START);
    await ledgerClean();
  });

  it("for a member who can no longer take it: kept for a refund, visibly, nothing activated", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await online(pkg, m);
    expect(await result(confirm(pending, "failed"))).toBe("failed");
    await w.ok(w.call("PATCH", `/v1/members/${m}`, { status: "frozen" }));
    expect(await result(confirm(pending, "succeeded", "evt-pkg-frozen"))).toBe("refund_due");
    expect((await confirm(pending, "succeeded", "evt-pkg-frozen")).statusCode).toBe(409);
    const due = await order(pending.id);
    expect(due).toMatchObject({ status: "refund_due", period: null, gifts: [], points_awarded: 0 });
    const listed = await w.ok<{ data: OrderBody[] }>(w.call("GET", "/v1/package-orders?status=refund_due"));
    expect(listed.data.map((o) => o.id)).toContain(pending.id);
    expect(await events("package.payment_unfulfilled")).toEqual([
      expect.objectContaining({
        order_id: pending.id,
        amount: 15900,
        currency: "CNY",
        reason: "member_frozen",
      }),
    ]);
    expect(await audit(pending.id)).toContain("package.payment_unfulfilled");
    await ledgerClean();
  });

  it("racing the clock's cancellation, the order is activated exactly once", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await online(pkg, m);
    w.t.clock.advanceMinutes(16);
    const [paid] = await Promise.all([
      result(confirm(pending, "succeeded")),
      runPackageExpiry(w.t.deps, w.tenant.tenantId),
    ]);
    expect(paid).toBe("paid");
    expect(await order(pending.id)).toMatchObject({ status: "paid", period: { status: "active" } });
    const periods = await w.t.database.owner
      .selectFrom("package_periods")
      .select("id")
      .where("tenant_id", "=", w.tenant.tenantId)
      .where("order_id", "=", pending.id)
      .execute();
    expect(periods).toHaveLength(1);
    w.t.clock.set(START);
    await ledgerClean();
  });
});

describe("two online orders of one member, both started as a first purchase", () => {
  it("only the one paid first is the first purchase and gets its gift; the other is decided when it is paid", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const [a, b] = [await online(pkg, m), await online(pkg, m)];
    expect([a.situation, b.situation]).toEqual(["first_purchase", "first_purchase"]);
    expect(await result(confirm(b, "succeeded"))).toBe("paid");
    expect(await result(confirm(a, "succeeded"))).toBe("paid");
    const [paidA, paidB] = [await order(a.id), await order(b.id)];
    expect(paidB).toMatchObject({ situation: "first_purchase", points_awarded: 500 });
    expect(paidB.gifts.map((g) => g.status)).toEqual(["granted"]);
    // Paid second, it renews the first: no first-purchase gift, its period follows the first's.
    expect(paidA).toMatchObject({ situation: "early_renewal", points_awarded: 0, gifts: [] });
    expect(paidA.price).toMatchObject({ amount: 15900 });
    expect(paidA.period!.starts_at).toBe(paidB.period!.ends_at);
    expect((await w.balance(m)).points).toBe(500);
    const vouchers = await w.ok<{ data: unknown[] }>(w.call("GET", `/v1/members/${m}/vouchers`));
    expect(vouchers.data).toHaveLength(1);
    await ledgerClean();
  });

  it("paid at the same time, still one first purchase", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const started = [await online(pkg, m), await online(pkg, m), await online(pkg, m)];
    const results = await Promise.all(started.map((o) => result(confirm(o, "succeeded"))));
    expect(results).toEqual(["paid", "paid", "paid"]);
    const paid = await Promise.all(started.map((o) => order(o.id)));
    expect(paid.filter((o) => o.situation === "first_purchase")).toHaveLength(1);
    expect((await w.balance(m)).points).toBe(500);
    await ledgerClean();
  });
});

describe("finance records the refund of a refund_due order", () => {
  it("refunded once, with reference, note, who and when; audited and announced; nothing moves", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await online(pkg, m);
    expect(await result(confirm(pending, "failed"))).toBe("failed");
    await w.ok(w.call("PATCH", `/v1/members/${m}`, { status: "frozen" }));
    expect(await result(confirm(pending, "succeeded", "evt-pkg-rr"))).toBe("refund_due");
    const finance = await createTestKey(w.t, w.tenant.tenantId, "finance");
    const operator = await createTestKey(w.t, w.tenant.tenantId, "operator");
    const url = `/v1/package-orders/${pending.id}/record-refund`;
    expect(await w.code(w.call("POST", url, {}, operator.auth), 403)).toBe("forbidden");
    const other = await createTestTenant(w.t, "Other");
    expect(await w.code(w.call("POST", url, {}, other.auth), 404)).toBe("package_order_not_found");
    const body = { reference: "re_pkg_1", note: "refunded in the dashboard" };
    const first = await w.call("POST", url, body, finance.auth, "rr-pkg-1");
    expect(first.statusCode, first.body).toBe(200);
    const refunded = JSON.parse(first.body) as OrderBody & Record<string, unknown>;
    expect(refunded).toMatchObject({
      status: "refunded",
      period: null,
      refund: { kind: "provider", reason: "member_frozen", refunded_at: w.t.clock.now().toISOString() },
      refund_record: {
        reference: "re_pkg_1",
        note: "refunded in the dashboard",
        recorded_by: { type: "api_key", id: finance.id },
        recorded_at: w.t.clock.now().toISOString(),
      },
    });
    expect((await w.call("POST", url, body, finance.auth, "rr-pkg-1")).body).toBe(first.body);
    expect(await w.code(w.call("POST", url, {}, finance.auth), 409)).toBe("not_refund_due");
    expect((await order(pending.id)).status).toBe("refunded");
    expect(await audit(pending.id)).toEqual([
      "package.payment_failed",
      "package.payment_started",
      "package.payment_unfulfilled",
      "package.refund_recorded",
    ]);
    expect((await events("package.payment_refunded")).filter((e) => e.order_id === pending.id)).toEqual([
      expect.objectContaining({ amount: 15900, currency: "CNY", reference: "re_pkg_1" }),
    ]);
    expect((await confirm(pending, "succeeded", "evt-pkg-rr")).statusCode).toBe(409);
    await ledgerClean();
  });

  it("refuses any other status with 409 not_refund_due and writes nothing", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await online(pkg, m);
    const paid = await online(pkg, m);
    expect(await result(confirm(paid, "succeeded"))).toBe("paid");
    for (const o of [pending, paid]) {
      const before = await audit(o.id);
      expect(await w.code(w.call("POST", `/v1/package-orders/${o.id}/record-refund`), 409)).toBe(
        "not_refund_due",
      );
      expect(await audit(o.id)).toEqual(before);
    }
    expect((await order(pending.id)).status).toBe("pending_payment");
    expect(await w.code(w.call("POST", "/v1/package-orders/pko_missing/record-refund"), 404)).toBe(
      "package_order_not_found",
    );
    await ledgerClean();
  });
});

describe("the provider's refund of a refund_due order", () => {
  it("a part refund keeps it owed, audited with its amount; all of it records it refunded as finance would, once", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await online(pkg, m);
    expect(await result(confirm(pending, "failed"))).toBe("failed");
    await w.ok(w.call("PATCH", `/v1/members/${m}`, { status: "frozen" }));
    expect(await result(confirm(pending, "succeeded", "evt-pkg-ar"))).toBe("refund_due");
    const auditRows = () =>
      w.t.database.owner
        .selectFrom("audit_events")
        .select(["action", "summary", "actor_type", "actor_id"])
        .where("tenant_id", "=", w.tenant.tenantId)
        .where("target_id", "=", pending.id)
        .orderBy("created_at")
        .execute();
    const part = { refund_id: "re_pkg_part", refund_amount: 5900 };

    // Part of it back: still owed, the part in the audit for finance.
    expect(await result(refundOf(pending, "evt-pkg-part", part))).toBe("refund_recorded");
    expect(await order(pending.id)).toMatchObject({
      status: "refund_due",
      refund_record: null,
      refunded_amount: 5900,
      refund_count: 1,
    });
    expect((await auditRows()).find((a) => a.action === "package.provider_refund")).toMatchObject({
      actor_type: "system",
      actor_id: "payment_provider:test",
      summary: { refund_id: "re_pkg_part", refund_amount: 5900, refunded_total: 5900, still_owed: 10_000 },
    });
    expect((await events("package.payment_refunded")).filter((e) => e.order_id === pending.id)).toEqual([]);

    // The rest back: refunded, the provider's event its record.
    const rest = { refund_id: "re_pkg_rest", refund_amount: 10_000 };
    expect(await result(refundOf(pending, "evt-pkg-rest", rest))).toBe("refund_recorded");
    const settled = await order(pending.id);
    expect(settled).toMatchObject({
      status: "refunded",
      refunded_amount: 15_900,
      refund_count: 2,
      period: null,
      refund: { kind: "provider", reason: "member_frozen", refunded_at: w.t.clock.now().toISOString() },
      refund_record: {
        reference: "re_pkg_rest",
        note: null,
        recorded_by: { type: "system", id: "payment_provider:test" },
        recorded_at: w.t.clock.now().toISOString(),
        provider_event: {
          provider: "test",
          event_id: "evt-pkg-rest",
          refund_id: "re_pkg_rest",
          amount: 15900,
          currency: "CNY",
        },
      },
    });
    const recorded = (await auditRows()).filter((a) => a.action === "package.refund_recorded");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      actor_type: "system",
      actor_id: "payment_provider:test",
      summary: { reference: "re_pkg_rest", amount: 15900, previous_status: "refund_due" },
    });
    expect((await events("package.payment_refunded")).filter((e) => e.order_id === pending.id)).toEqual([
      expect.objectContaining({ amount: 15900, currency: "CNY", reference: "re_pkg_rest" }),
    ]);

    // Heard again, nothing changes; finance has nothing left to record.
    const before = await audit(pending.id);
    expect(await result(refundOf(pending, "evt-pkg-rest", rest))).toBe("refund_ignored");
    expect(await result(refundOf(pending, "evt-pkg-part", part))).toBe("refund_ignored");
    expect(await audit(pending.id)).toEqual(before);
    expect(await order(pending.id)).toEqual(settled);
    expect(await w.code(w.call("POST", `/v1/package-orders/${pending.id}/record-refund`, {}), 409)).toBe(
      "not_refund_due",
    );

    // A refund of a payment that is no order here (another sale's at the same provider
    // account) is acknowledged, so the provider stops resending it, and writes nothing.
    const written = () => tenantTrail(w.t, w.tenant.tenantId).auditCount();
    const audited = await written();
    const stranger = await refundOf(pending, "evt-pkg-stranger", {
      ...part,
      provider_ref: "testpay_elsewhere",
    });
    expect(stranger.statusCode, stranger.body).toBe(200);
    expect(JSON.parse(stranger.body)).toEqual({
      object: "webhook_receipt",
      order_id: null,
      result: "refund_ignored",
    });
    expect(await written()).toEqual(audited);
    await ledgerClean();
  });

  it("a refund of an order not paid yet activates, cancels and records nothing", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const pending = await online(pkg, m);
    const before = await audit(pending.id);
    const refund = { refund_id: `re_${pending.id}`, refund_amount: pending.price.amount };
    expect(await w.code(refundOf(pending, `evt-${pending.id}`, refund), 409)).toBe("package_payment_closed");
    expect(await audit(pending.id)).toEqual(before);
    expect((await order(pending.id)).status).toBe("pending_payment");
    await ledgerClean();
  });
});

describe("the provider's refund of a paid package order", () => {
  type Reviewed = OrderBody & {
    refunded_amount: number;
    refund_count: number;
    provider_refund_review: string | null;
    refund: { kind: string } | null;
    refund_record: { reference: string } | null;
  };
  const reviewed = (id: string) => order(id) as Promise<Reviewed>;

  it("a part refund keeps the package, flagged; all of it back, nothing used, ends it once", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const o = await online(pkg, m);
    expect(await result(confirm(o, "succeeded"))).toBe("paid");
    const amount = o.price.amount;
    const part = { refund_id: "re_pkg_part", refund_amount: Math.floor(amount / 3) };
    expect(await result(refundOf(o, "evt-pkg-part", part))).toBe("refund_recorded");
    expect(await reviewed(o.id)).toMatchObject({
      status: "paid",
      refunded_amount: Math.floor(amount / 3),
      refund_count: 1,
      provider_refund_review: "part_refund",
      refund: null,
    });
    expect(await result(refundOf(o, "evt-pkg-part-again", part))).toBe("refund_ignored");

    const all = { refund_id: "re_pkg_all", refund_amount: amount, refund_cumulative: true };
    expect(await result(refundOf(o, "evt-pkg-all", all))).toBe("refund_recorded");
    const ended = await reviewed(o.id);
    expect(ended).toMatchObject({
      status: "refunded",
      refunded_amount: amount,
      refund_count: 2,
      provider_refund_review: null,
      refund: { kind: "provider" },
      refund_record: { reference: "re_pkg_all" },
    });
    expect(ended.period?.status).toBe("refunded");
    expect((await w.balance(m)).points).toBe(0);
    expect(await result(refundOf(o, "evt-pkg-late", { refund_id: "re_pkg_late", refund_amount: 1 }))).toBe(
      "refund_ignored",
    );
    const trail = await audit(o.id);
    expect(trail.filter((a) => a === "package.provider_refund")).toHaveLength(2);
    expect(trail.filter((a) => a === "package.refunded")).toHaveLength(1);
    expect((await events("package.refunded")).filter((e) => e.order_id === o.id)).toHaveLength(1);
    await ledgerClean();
  });

  it("an operator's refund after the provider's part refund reports only what it returns", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const o = await online(pkg, m);
    expect(await result(confirm(o, "succeeded"))).toBe("paid");
    const amount = o.price.amount;
    const part = Math.floor(amount / 3);
    expect(
      await result(refundOf(o, "evt-pkg-part-op", { refund_id: "re_pkg_part_op", refund_amount: part })),
    ).toBe("refund_recorded");
    const refund = await w.ok<{ money_returned_to: string; amount_returned: number }>(
      w.call("POST", `/v1/package-orders/${o.id}/refund`, { kind: "offline", reason: "the rest" }),
    );
    expect(refund).toMatchObject({ money_returned_to: "external", amount_returned: amount - part });
    const announced = (await events("package.refunded")).filter((e) => e.order_id === o.id);
    expect(announced).toEqual([expect.objectContaining({ amount: amount - part })]);
    const audited = await w.t.database.owner
      .selectFrom("audit_events")
      .select("summary")
      .where("tenant_id", "=", w.tenant.tenantId)
      .where("target_id", "=", o.id)
      .where("action", "=", "package.refunded")
      .executeTakeFirstOrThrow();
    expect(audited.summary).toMatchObject({ amount: amount - part, provider_refunded: part });
    await ledgerClean();
  });

  it("an operator's refund after the provider returned all of it returns no more money", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const o = await online(pkg, m);
    expect(await result(confirm(o, "succeeded"))).toBe("paid");
    const spent = await w.call("POST", `/v1/members/${m}/points`, { operation: "spend", points: 100 });
    expect(spent.statusCode, spent.body).toBeLessThan(300);
    const whole = { refund_id: "re_pkg_whole_op", refund_amount: o.price.amount };
    expect(await result(refundOf(o, "evt-pkg-whole-op", whole))).toBe("refund_recorded");
    // The package stayed for the points spent; they are made up so the operator may end it.
    const earned = await w.call("POST", `/v1/members/${m}/points`, { operation: "earn", points: 100 });
    expect(earned.statusCode, earned.body).toBeLessThan(300);
    const refund = await w.ok<{ money_returned_to: string; amount_returned: number }>(
      w.call("POST", `/v1/package-orders/${o.id}/refund`, { kind: "offline", reason: "ending it" }),
    );
    expect(refund).toMatchObject({ money_returned_to: "none", amount_returned: 0 });
    const announced = (await events("package.refunded")).filter((e) => e.order_id === o.id);
    expect(announced).toEqual([expect.objectContaining({ amount: 0 })]);
    await ledgerClean();
  });

  it("all of it back after the member spent its bonus points: the package stays, flagged for an operator", async () => {
    const pkg = await w.createPackage();
    const m = await w.member();
    const o = await online(pkg, m);
    expect(await result(confirm(o, "succeeded"))).toBe("paid");
    expect((await w.balance(m)).points).toBe(500);
    const spent = await w.call("POST", `/v1/members/${m}/points`, { operation: "spend", points: 100 });
    expect(spent.statusCode, spent.body).toBeLessThan(300);
    const whole = { refund_id: "re_pkg_used", refund_amount: o.price.amount };
    expect(await result(refundOf(o, "evt-pkg-used", whole))).toBe("refund_recorded");
    const kept = await reviewed(o.id);
    expect(kept).toMatchObject({
      status: "paid",
      refunded_amount: o.price.amount,
      provider_refund_review: "benefits_used",
      refund: null,
    });
    expect(kept.period?.status).toBe("active");
    expect((await w.balance(m)).points).toBe(400);
    await ledgerClean();
  });

  it("all of it back after a checkout applied the package's benefit: kept for an operator, unless that order was refunded", async () => {
    const pkg = await w.createPackage();
    /** A member who bought the package online and then bought 100.00 of goods at the till. */
    const boughtAndShopped = async (name: string) => {
      const m = await w.member(0, "silver", name);
      const o = await online(pkg, m);
      expect(await result(confirm(o, "succeeded"))).toBe("paid");
      const shopped = await w.ok<{ id: string; quote: { benefits_applied: { source: object }[] } }>(
        w.call("POST", "/v1/checkout/orders", {
          member_id: m,
          channel: "POS",
          client_order_id: `shop-${m}`,
          lines: [{ sku: "tea", category: "drinks", quantity: 1, unit_price: 10_000 }],
        }),
        201,
      );
      // The package's 10% off, which the silver tier alone would not give, applied.
      expect(shopped.quote.benefits_applied).toEqual([
        expect.objectContaining({
          benefit_id: w.discount,
          source: expect.objectContaining({ kind: "entitlement", source_type: "package_period" }),
        }),
      ]);
      return { m, o, shopped };
    };
    const used = await boughtAndShopped("Used it");
    const givenBack = await boughtAndShopped("Gave it back");
    await w.ok(w.call("POST", `/v1/checkout/orders/${givenBack.shopped.id}/refund`, {}));

    for (const { o } of [used, givenBack]) {
      const whole = { refund_id: `re_${o.id}`, refund_amount: o.price.amount };
      expect(await result(refundOf(o, `evt-${o.id}-whole`, whole))).toBe("refund_recorded");
    }
    expect(await reviewed(used.o.id)).toMatchObject({
      status: "paid",
      provider_refund_review: "benefits_used",
      refund: null,
    });
    // The only order that used the benefit was refunded: nothing the package gave is in use.
    expect(await reviewed(givenBack.o.id)).toMatchObject({
      status: "refunded",
      provider_refund_review: null,
      refund: { kind: "provider" },
    });
    await ledgerClean();
  });

  it("all of it back while a checkout that applied the package's benefit waits for its online payment: kept for an operator", async () => {
    const pkg = await w.createPackage();
    const m = await w.member(2_000, "silver", "Paying online");
    const o = await online(pkg, m);
    expect(await result(confirm(o, "succeeded"))).toBe("paid");
    const waiting = await w.ok<{
      id: string;
      status: string;
      quote: { benefits_applied: { source: object }[] };
    }>(
      w.call("POST", "/v1/checkout/orders", {
        member_id: m,
        channel: "POS",
        client_order_id: `wait-${m}`,
        lines: [{ sku: "tea", category: "drinks", quantity: 1, unit_price: 10_000 }],
        pay_with_balance: true,
        rest_paid: "online",
      }),
      201,
    );
    expect(waiting.status).toBe("pending_payment");
    expect(waiting.quote.benefits_applied).toEqual([
      expect.objectContaining({
        benefit_id: w.discount,
        source: expect.objectContaining({ kind: "entitlement", source_type: "package_period" }),
      }),
    ]);
    // The order completes with the package's discount once its payment succeeds, so the package is in use.
    const whole = { refund_id: `re_${o.id}`, refund_amount: o.price.amount };
    expect(await result(refundOf(o, `evt-${o.id}-whole`, whole))).toBe("refund_recorded");
    const kept = await reviewed(o.id);
    expect(kept).toMatchObject({ status: "paid", provider_refund_review: "benefits_used", refund: null });
    expect(kept.period?.status).toBe("active");
    await ledgerClean();
  });
});
