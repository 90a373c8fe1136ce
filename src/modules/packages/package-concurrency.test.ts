import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OrderBody, type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { verifyLedger } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { signTestWebhook, testProviderSecret } from "../wallets/index.js";
import { confirmPackagePayment } from "./confirm-package-payment.js";
import { refundPackageOrder } from "./refund-package-order.js";

/**
 * Purchases at the same time: gift stock stays exact, one member's purchases serialise. A
 * restricted refund and a checkout spending the order's gifted voucher: whichever locks the
 * voucher first wins. A provider refund and a checkout applying the package's benefit:
 * whichever locks the package's entitlements first wins, never both.
 */
let w: PackageWorld;

beforeAll(async () => {
  w = await packageWorld();
  w.t.clock.set("2025-10-10T02:00:00Z");
});
afterAll(async () => w?.t.close());

const purchase = (pkg: string, member: string) =>
  w.call("POST", "/v1/package-orders", {
    package_id: pkg,
    member_id: member,
    rule_key: "quarterly",
    channel: "POS",
    payment_method: "balance",
  });

describe("concurrent purchases", () => {
  it("50 at once against a gift stock of 10 give exactly 10 gifts; every purchase is paid", async () => {
    const pkg = await w.createPackage({
      perks: [
        {
          type: "first_purchase_gift",
          key: "welcome",
          applicable_rules: "all",
          gift: { kind: "voucher", template_id: w.coffee },
          gift_stock: 10,
        },
      ],
    });
    const members: string[] = [];
    for (let i = 0; i < 50; i++) members.push(await w.member(20_000, "silver", `C${i}`));
    const responses = await Promise.all(members.map((m) => purchase(pkg, m)));
    expect(responses.map((r) => r.statusCode)).toEqual(members.map(() => 201));
    const orders = responses.map((r) => JSON.parse(r.body) as OrderBody);
    const statuses = orders.map((o) => o.gifts[0]!.status);
    expect(statuses.filter((s) => s === "granted")).toHaveLength(10);
    expect(statuses.filter((s) => s === "out_of_stock")).toHaveLength(40);
    const vouchers = await w.t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("vouchers").select("id").where("member_id", "in", members).execute(),
    );
    expect(vouchers).toHaveLength(10);
    const stock = await w.ok<{ gift_stocks: unknown[] }>(w.call("GET", `/v1/packages/${pkg}`));
    expect(stock.gift_stocks).toEqual([{ perk_key: "welcome", limit: 10, granted: 10 }]);
    for (const m of members.slice(0, 5)) expect((await w.balance(m)).principal).toBe(20_000 - 15900);
    const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it("one member's simultaneous purchases serialise: one first purchase, then renewals chained end to start", async () => {
    const pkg = await w.createPackage({ perks: [] });
    const m = await w.member(100_000);
    const orders = (await Promise.all(Array.from({ length: 5 }, () => purchase(pkg, m)))).map((r) => {
      expect(r.statusCode, r.body).toBe(201);
      return JSON.parse(r.body) as OrderBody;
    });
    expect(orders.filter((o) => o.situation === "first_purchase")).toHaveLength(1);
    expect(orders.filter((o) => o.situation === "early_renewal")).toHaveLength(4);
    const periods = orders.map((o) => o.period!).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
    for (let i = 1; i < periods.length; i++) expect(periods[i]!.starts_at).toBe(periods[i - 1]!.ends_at);
    expect((await w.balance(m)).principal).toBe(100_000 - 15900 - 4 * 16900);
  });
});

/** How many sessions of this test's database wait for a lock. */
async function lockWaiters(): Promise<number> {
  const row = await w.t.database.owner
    .selectFrom("pg_stat_activity" as never)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("datname" as never, "=", w.t.database.name as never)
    .where("wait_event_type" as never, "=", "Lock" as never)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A gate: `opened` resolves once `open` is called. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/**
 * The order refund in a transaction of its own (as another server's would run beside this
 * one's: the app's ledger runs one tenant's units one batch after another, so two requests to
 * it never hold rows against each other), held open after `refundPackageOrder` until `commit`.
 */
function refundBeside(orderId: string, hold: Promise<void> = Promise.resolve(), refunded = () => {}) {
  const tenantId = w.tenant.tenantId;
  const ctx = { actor: systemActor(tenantId, "test"), requestId: null };
  return w.t.deps.db.tenantTx(tenantId, (trx) =>
    w.t.deps.ledger.unitWithin(trx, tenantId, async (uow) => {
      const result = await refundPackageOrder(
        uow,
        ctx,
        { orderId, kind: "order", reason: "changed mind" },
        w.t.clock.now(),
      );
      refunded();
      await hold;
      return result;
    }),
  );
}

describe("a restricted order refund and a checkout spending its gifted voucher", () => {
  const coffee = (m: string, voucher: string) =>
    w.call("POST", "/v1/checkout/orders", {
      member_id: m,
      channel: "POS",
      client_order_id: `coffee-${m}`,
      lines: [{ sku: "coffee", category: "drinks", quantity: 1, unit_price: 1000 }],
      voucher_ids: [voucher],
    });
  const bought = async () => {
    const pkg = await w.createPackage();
    const m = await w.member(50_000);
    const order = await w.ok<OrderBody>(purchase(pkg, m), 201);
    return { m, order: order.id, voucher: order.gifts[0]!.voucher_ids[0]! };
  };
  const orderOf = (id: string) => w.ok<OrderBody>(w.call("GET", `/v1/package-orders/${id}`));

  it("the checkout redeemed first: the refund waits for its commit and is refused, nothing written", async () => {
    const { m, order, voucher } = await bought();
    // A checkout locks the member only after redeeming its vouchers: holding the member's row
    // stops it there, the voucher redeemed and locked, nothing committed.
    const member = gate();
    const memberHeld = gate();
    const holder = w.t.database.owner.transaction().execute(async (trx) => {
      await trx.selectFrom("members").select("id").where("id", "=", m).forUpdate().execute();
      memberHeld.open();
      await member.opened;
    });
    let refund: Promise<unknown> | undefined;
    try {
      await memberHeld.opened;
      const checkout = coffee(m, voucher);
      await waitFor(async () => (await lockWaiters()) >= 1, "the checkout to wait for the member");
      refund = refundBeside(order);
      refund.catch(() => undefined);
      await waitFor(async () => (await lockWaiters()) >= 2, "the refund to wait for the voucher");
      member.open();
      await holder;
      const placed = await checkout;
      expect(placed.statusCode, placed.body).toBe(201);
    } finally {
      member.open();
      await holder;
    }
    const afterCoffee = await w.balance(m);
    await expect(refund).rejects.toMatchObject({
      code: "refund_restricted",
      extra: { used_voucher_ids: [voucher] },
    });
    expect(await w.balance(m)).toEqual(afterCoffee);
    const still = await orderOf(order);
    expect([still.status, still.period!.status]).toEqual(["paid", "active"]);
    const vouchers = await w.ok<{ data: { id: string; status: string }[] }>(
      w.call("GET", `/v1/members/${m}/vouchers`),
    );
    expect(vouchers.data.find((v) => v.id === voucher)?.status).not.toBe("withdrawn");
    const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it("the refund withdrew first: the checkout waits for its commit and finds the voucher withdrawn", async () => {
    const { m, order, voucher } = await bought();
    const commit = gate();
    const refundedUncommitted = gate();
    const refund = refundBeside(order, commit.opened, refundedUncommitted.open);
    refund.catch(() => undefined);
    let placed: Awaited<ReturnType<typeof coffee>>;
    try {
      await refundedUncommitted.opened;
      const checkout = coffee(m, voucher);
      await waitFor(async () => (await lockWaiters()) >= 1, "the checkout to wait for the refund");
      commit.open();
      const done = await refund;
      expect(done.withdrawnVoucherIds).toEqual([voucher]);
      placed = await checkout;
    } finally {
      commit.open();
      await refund.catch(() => undefined);
    }
    expect(placed.statusCode, placed.body).toBe(422);
    expect(JSON.parse(placed.body)).toMatchObject({
      code: "voucher_not_usable",
      voucher_id: voucher,
      reason: "not_usable",
    });
    const vouchers = await w.ok<{ data: { id: string; status: string }[] }>(
      w.call("GET", `/v1/members/${m}/vouchers`),
    );
    expect(vouchers.data.find((v) => v.id === voucher)?.status).toBe("withdrawn");
    expect((await orderOf(order)).status).toBe("refunded");
    const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });
});

describe("a package refund and a checkout applying the package's benefit", () => {
  /**
   * A member who bought, online, a package whose only perk is its 10% off: the provider's
   * refund of it then locks no member row, so holding the member stops only the checkout.
   */
  const boughtOnline = async (name: string) => {
    const pkg = await w.createPackage({
      perks: [{ type: "member_discount", key: "ten-off", applicable_rules: "all", benefit_id: w.discount }],
    });
    const m = await w.member(0, "silver", name);
    const order = await w.ok<OrderBody>(
      w.call("POST", "/v1/package-orders", {
        package_id: pkg,
        member_id: m,
        channel: "ONLINE",
        payment_method: "online",
        rule_key: "quarterly",
      }),
      201,
    );
    const signed = signTestWebhook(
      testProviderSecret(w.t.config.signingSecret),
      {
        id: `evt-paid-${order.id}`,
        provider_ref: providerRefOf(order),
        status: "succeeded",
        amount: order.price.amount,
        currency: "CNY",
      },
      w.t.clock.now(),
    );
    const paid = await w.t.app.inject({
      method: "POST",
      url: `/v1/package-payment-webhooks/test/${w.tenant.tenantId}`,
      headers: { ...signed.headers, "content-type": "application/json" },
      payload: signed.body,
    });
    expect(paid.statusCode, paid.body).toBe(200);
    return { m, order };
  };
  const providerRefOf = (order: OrderBody) =>
    String(order.payment.checkout!.pay_url).replace("test://pay/", "");

  /** 100.00 of tea at the till: 90.00 with the package's 10% off, which silver alone does not give. */
  const tea = (m: string, expectedTotal?: number) =>
    w.call("POST", "/v1/checkout/orders", {
      member_id: m,
      channel: "POS",
      client_order_id: `tea-${m}`,
      lines: [{ sku: "tea", category: "drinks", quantity: 1, unit_price: 10_000 }],
      ...(expectedTotal === undefined ? {} : { expected_total: expectedTotal }),
    });

  /**
   * The provider's notice that all the order's payment came back, applied in a transaction of
   * its own beside the app (as another server's would be), held open after it until `hold`.
   */
  const providerRefundBeside = (
    order: OrderBody,
    hold: Promise<void> = Promise.resolve(),
    applied = () => {},
  ) => {
    const tenantId = w.tenant.tenantId;
    return w.t.deps.db.tenantTx(tenantId, (trx) =>
      w.t.deps.ledger.unitWithin(trx, tenantId, async (uow) => {
        const done = await confirmPackagePayment(
          uow,
          "test",
          {
            eventId: `evt-refund-${order.id}`,
            providerRef: providerRefOf(order),
            status: "succeeded",
            amount: order.price.amount,
            currency: "CNY",
            kind: "refund",
            refundAmount: order.price.amount,
            refundId: `re_${order.id}`,
          },
          w.t.clock.now(),
        );
        applied();
        await hold;
        return done;
      }),
    );
  };

  /**
   * What the member ends with: whether the package was ended for the refund, and the checkout
   * orders kept (completed) that applied its benefit. Never both.
   */
  const outcome = async (m: string, order: OrderBody) => {
    const now = await w.ok<OrderBody & { provider_refund_review: string | null }>(
      w.call("GET", `/v1/package-orders/${order.id}`),
    );
    const orders = await w.t.database.owner
      .selectFrom("checkout_orders")
      .select(["status", "total", "quote"])
      .where("tenant_id", "=", w.tenant.tenantId)
      .where("member_id", "=", m)
      .execute();
    const applying = orders.filter(
      (o) =>
        o.status === "completed" &&
        JSON.stringify((o.quote as { benefits_applied: unknown[] }).benefits_applied).includes(
          now.period!.id,
        ),
    );
    const ended = now.status === "refunded";
    expect(ended && applying.length > 0, "the package refunded and its benefit applied").toBe(false);
    return { status: now.status, review: now.provider_refund_review, period: now.period?.status, applying };
  };

  /** The settled value of a promise, or `pending` while it runs. */
  const settledOrPending = (p: Promise<unknown>) =>
    Promise.race([
      p.then(
        () => "settled",
        () => "settled",
      ),
      new Promise((resolve) => setTimeout(() => resolve("pending"), 0)),
    ]);

  it("the checkout applied it first: the refund waits for its commit, finds the benefit used and keeps the package", async () => {
    const { m, order } = await boughtOnline("Checkout first");
    // The checkout locks the member once priced, before it commits: holding the member's row
    // stops it there, the package's discount applied and nothing committed.
    const member = gate();
    const memberHeld = gate();
    const holder = w.t.database.owner.transaction().execute(async (trx) => {
      await trx.selectFrom("members").select("id").where("id", "=", m).forUpdate().execute();
      memberHeld.open();
      await member.opened;
    });
    let refund: ReturnType<typeof providerRefundBeside> | undefined;
    try {
      await memberHeld.opened;
      const checkout = tea(m);
      await waitFor(async () => (await lockWaiters()) >= 1, "the checkout to wait for the member");
      refund = providerRefundBeside(order);
      refund.catch(() => undefined);
      // The refund waits for the checkout's entitlements (or, were they not held, runs to the end).
      await waitFor(
        async () => (await lockWaiters()) >= 2 || (await settledOrPending(refund!)) === "settled",
        "the refund to wait for the package's entitlements",
      );
      member.open();
      await holder;
      const placed = await checkout;
      expect(placed.statusCode, placed.body).toBe(201);
      expect(JSON.parse(placed.body)).toMatchObject({ total: 9000 });
    } finally {
      member.open();
      await holder;
    }
    expect((await refund!).result).toBe("refund_recorded");
    const after = await outcome(m, order);
    expect(after).toMatchObject({ status: "paid", review: "benefits_used", period: "active" });
    expect(after.applying).toHaveLength(1);
    const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it("the refund ended it first: the checkout waits for its commit and prices without it (quote_changed)", async () => {
    const { m, order } = await boughtOnline("Refund first");
    const quoted = await w.ok<{ total: number }>(
      w.call("POST", "/v1/checkout/quotes", {
        member_id: m,
        channel: "POS",
        lines: [{ sku: "tea", category: "drinks", quantity: 1, unit_price: 10_000 }],
      }),
    );
    expect(quoted.total).toBe(9000);
    const commit = gate();
    const appliedUncommitted = gate();
    const refund = providerRefundBeside(order, commit.opened, appliedUncommitted.open);
    refund.catch(() => undefined);
    let placed: Awaited<ReturnType<typeof tea>>;
    try {
      await appliedUncommitted.opened;
      const checkout = tea(m, quoted.total);
      checkout.catch(() => undefined);
      await waitFor(
        async () => (await lockWaiters()) >= 1 || (await settledOrPending(checkout)) === "settled",
        "the checkout to wait for the refund",
      );
      commit.open();
      expect((await refund).result).toBe("refund_recorded");
      placed = await checkout;
    } finally {
      commit.open();
      await refund.catch(() => undefined);
    }
    expect(placed.statusCode, placed.body).toBe(409);
    expect(JSON.parse(placed.body)).toMatchObject({ code: "quote_changed", quote: { total: 10_000 } });
    const after = await outcome(m, order);
    expect(after).toMatchObject({ status: "refunded", period: "refunded" });
    expect(after.applying).toHaveLength(0);
    const report = await verifyLedger(w.t.deps.db, w.tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it("an operator's refund ends it first: the checkout waiting for it prices without it", async () => {
    // An operator's refund ends the package whatever was used, so an order applying the
    // benefit before it stays; one placed while it runs is priced as after it.
    const { m, order } = await boughtOnline("Operator refund first");
    const commit = gate();
    const refundedUncommitted = gate();
    const refund = refundBeside(order.id, commit.opened, refundedUncommitted.open);
    refund.catch(() => undefined);
    let placed: Awaited<ReturnType<typeof tea>>;
    try {
      await refundedUncommitted.opened;
      const checkout = tea(m, 9000);
      checkout.catch(() => undefined);
      await waitFor(
        async () => (await lockWaiters()) >= 1 || (await settledOrPending(checkout)) === "settled",
        "the checkout to wait for the refund",
      );
      commit.open();
      expect((await refund).order.status).toBe("refunded");
      placed = await checkout;
    } finally {
      commit.open();
      await refund.catch(() => undefined);
    }
    expect(placed.statusCode, placed.body).toBe(409);
    expect(JSON.parse(placed.body)).toMatchObject({ code: "quote_changed", quote: { total: 10_000 } });
    expect((await outcome(m, order)).applying).toHaveLength(0);
  });
});
