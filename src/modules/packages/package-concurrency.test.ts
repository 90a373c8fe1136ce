import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OrderBody, type PackageWorld, packageWorld } from "../../../test/helpers/packages.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { verifyLedger } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { refundPackageOrder } from "./refund-package-order.js";

/**
 * Purchases at the same time: gift stock stays exact, one member's purchases serialise. A
 * restricted refund and a checkout spending the order's gifted voucher: whichever locks the
 * voucher first wins.
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
