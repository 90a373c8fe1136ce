import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { roundTripsOf } from "../../../test/helpers/metrics.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { voidExpiredHolds } from "../../ledger/index.js";
import { expirePayments } from "./expire-payments.js";
import { bonusShare } from "./refund-payment.js";

let t: TestApp;
let tenant: TestTenant;
let call: ReturnType<typeof walletClient>["call"];
let ok: ReturnType<typeof walletClient>["ok"];
let balance: ReturnType<typeof walletClient>["balance"];
type Body = Record<string, unknown>;
interface Pay {
  id: string;
  status: string;
  principal_amount: number;
  bonus_amount: number;
  refunded_amount: number;
}

async function memberWith(principal: number, bonus = 0) {
  const id = (await ok<{ id: string }>("POST", "/v1/members", { name: "Payer" })).id;
  if (principal > 0 || bonus > 0) {
    await ok("POST", `/v1/members/${id}/top-ups`, { amount: Math.max(principal, 1), bonus_amount: bonus });
    if (principal === 0) await ok("POST", `/v1/members/${id}/withdrawals`, { amount: 1 });
  }
  return id;
}
let order = 0;
const pay = (memberId: string, amountDue: number, extra: Body = {}) =>
  call("POST", "/v1/wallet-payments", {
    member_id: memberId,
    order_id: `SO-${++order}`,
    currency: "CNY",
    lines: [],
    amount_due: amountDue,
    external_method: "none",
    ...extra,
  });

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  ({ call, ok, balance } = walletClient(t, tenant));
});
afterAll(async () => t?.close());

describe("full payment", () => {
  it("pays bonus first by default, logs the order, and refuses too little balance with the shortfall", async () => {
    const m = await memberWith(1000, 300);
    const r = await pay(m, 500, { lines: [{ name: "Latte", quantity: 2, unit_amount: 250 }] });
    expect(r.statusCode, r.body).toBe(201);
    expect(json(r)).toMatchObject({
      status: "paid",
      bonus_amount: 300,
      principal_amount: 200,
      balance_amount: 500,
    });
    expect(await balance(m)).toMatchObject({ principal: 800, bonus: 0 });
    const short = expectProblem(await pay(m, 801), 422, "insufficient_balance");
    expect(short).toMatchObject({ available: 800, shortfall: 1 });
    const log = await ok<{ data: Body[] }>("GET", `/v1/members/${m}/balance-changes?kind=payment`);
    expect(log.data).toHaveLength(1);
    expect(log.data[0]).toMatchObject({ amount: -500, balance_after: 800, order_id: "SO-1" });
  });

  it("pays principal first when the tenant says so", async () => {
    const other = await createTestTenant(t, "Principal first");
    const h = (k: string) => ({ ...other.auth, "idempotency-key": k });
    await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      headers: other.auth,
      payload: { spend_order: "principal_first" },
    });
    const m = json<{ id: string }>(
      await t.app.inject({ method: "POST", url: "/v1/members", headers: h("m"), payload: { name: "P" } }),
    ).id;
    await t.app.inject({
      method: "POST",
      url: `/v1/members/${m}/top-ups`,
      headers: h("t"),
      payload: { amount: 100, bonus_amount: 100 },
    });
    const r = await t.app.inject({
      method: "POST",
      url: "/v1/wallet-payments",
      headers: h("p"),
      payload: {
        member_id: m,
        order_id: "A",
        currency: "CNY",
        lines: [],
        amount_due: 150,
        external_method: "none",
      },
    });
    expect(json(r)).toMatchObject({ principal_amount: 100, bonus_amount: 50 });
  });

  it("refuses bad orders and writes nothing", async () => {
    const m = await memberWith(1000);
    expectProblem(await pay(m, 100, { currency: "USD" }), 422, "currency_mismatch");
    expectProblem(
      await pay(m, 100, { lines: [{ name: "x", quantity: 1, unit_amount: 99 }] }),
      422,
      "amount_mismatch",
    );
    expectProblem(await pay(m, 100, { balance_amount: 50 }), 400, "validation_failed");
    expectProblem(
      await pay(m, 100, { external_method: "online", balance_amount: 100 }),
      400,
      "validation_failed",
    );
    expectProblem(await pay(m, 0), 400, "validation_failed");
    expectProblem(await pay("mbr_nobody", 100), 404, "member_not_found");
    const first = await pay(m, 100, { order_id: "DUP" });
    expect(first.statusCode).toBe(201);
    expectProblem(await pay(m, 100, { order_id: "DUP" }), 409, "payment_exists");
    expect(await balance(m)).toMatchObject({ total: 900 });
  });
});

describe("switches and member status", () => {
  it("refuses payments while balance payment is off or the member is frozen; refunds still return", async () => {
    const m = await memberWith(1000);
    const paid = json<Pay>(await pay(m, 100));
    await ok("PATCH", "/v1/wallet-settings", { balance_payment_enabled: false });
    expectProblem(await pay(m, 100), 422, "balance_payment_disabled");
    await ok("PATCH", "/v1/wallet-settings", { balance_payment_enabled: true });
    await ok("PATCH", `/v1/members/${m}`, { status: "frozen" });
    expectProblem(await pay(m, 100), 422, "member_frozen");
    expectProblem(await call("POST", `/v1/members/${m}/withdrawals`, { amount: 1 }), 422, "member_frozen");
    await ok("POST", `/v1/wallet-payments/${paid.id}/refunds`, { amount: 100 });
    expect(await balance(m)).toMatchObject({ total: 1000 });
  });

  it("a balance account frozen through the ledger's own API refuses the payment with the ledger's code, not a server error", async () => {
    const m = await memberWith(1000);
    const accounts = json<{ data: { id: string; debits_posted: number; credits_posted: number }[] }>(
      await call("GET", `/v1/ledger/accounts?owner_module=wallets&owner_id=${m}`),
    ).data.filter((a) => a.credits_posted > a.debits_posted);
    expect(accounts.length).toBeGreaterThan(0);
    for (const a of accounts) await ok("POST", `/v1/ledger/accounts/${a.id}/freeze`, { credits: false });
    expectProblem(await pay(m, 100), 422, "account_frozen");
    expect(await balance(m)).toMatchObject({ total: 1000 });
    for (const a of accounts) await ok("POST", `/v1/ledger/accounts/${a.id}/unfreeze`, {});
    expect(json<Pay>(await pay(m, 100)).status).toBe("paid");
  });
});

describe("partial payment", () => {
  it("offline rest: the balance part is taken at once", async () => {
    const m = await memberWith(1000);
    const r = json<Pay>(await pay(m, 1500, { balance_amount: 1000, external_method: "offline" }));
    expect(r).toMatchObject({ status: "paid", external_amount: 500 });
    expect(await balance(m)).toMatchObject({ total: 0 });
  });

  it("online rest: held, then posted when the external payment succeeds", async () => {
    const m = await memberWith(1000, 200);
    const p = json<Pay>(await pay(m, 2000, { balance_amount: 1100, external_method: "online" }));
    expect(p).toMatchObject({ status: "held", bonus_amount: 200, principal_amount: 900 });
    expect(await balance(m)).toMatchObject({ total: 1200, held: 1100, available: 100 });
    expectProblem(
      await call("POST", `/v1/members/${m}/withdrawals`, { amount: 101 }),
      422,
      "insufficient_balance",
    );
    expect(json(await call("POST", `/v1/wallet-payments/${p.id}/confirm`))).toMatchObject({ status: "paid" });
    expect(await balance(m)).toMatchObject({ total: 100, held: 0, available: 100 });
    expectProblem(await call("POST", `/v1/wallet-payments/${p.id}/confirm`), 409, "payment_not_held");
    expectProblem(await call("POST", `/v1/wallet-payments/${p.id}/cancel`), 409, "payment_not_held");
    expect(await balance(m)).toMatchObject({ total: 100 });
  });

  it("online rest whose hold was voided in the ledger directly: a confirm is refused, a cancel closes it", async () => {
    const m = await memberWith(1000);
    const p = json<Pay>(await pay(m, 2000, { balance_amount: 600, external_method: "online" }));
    const legs = await t.database.owner
      .selectFrom("wallet_payment_legs")
      .select("transfer_id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("payment_id", "=", p.id)
      .execute();
    for (const leg of legs) {
      const r = await call("POST", `/v1/ledger/transfers/${leg.transfer_id}/void`, {});
      expect(r.statusCode, r.body).toBe(201);
    }
    expect(await balance(m)).toMatchObject({ total: 1000, held: 0 });
    expectProblem(await call("POST", `/v1/wallet-payments/${p.id}/confirm`), 409, "payment_not_held");
    expect(json(await call("GET", `/v1/wallet-payments/${p.id}`))).toMatchObject({ status: "held" });
    expect(json(await call("POST", `/v1/wallet-payments/${p.id}/cancel`))).toMatchObject({
      status: "voided",
    });
    expect(await balance(m)).toMatchObject({ total: 1000, held: 0, available: 1000 });
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  });

  it("online rest whose hold was posted in the ledger directly: neither a cancel nor a confirm moves or writes anything, and the expiry job passes it over", async () => {
    const other = await createTestTenant(t, "Posted through the ledger");
    const w = walletClient(t, other);
    const m = await w.newMember();
    await w.ok("POST", `/v1/members/${m}/top-ups`, { amount: 1000 });
    const p = await w.ok<Pay>("POST", "/v1/wallet-payments", {
      member_id: m,
      order_id: "POSTED-RAW",
      currency: "CNY",
      lines: [],
      amount_due: 2000,
      balance_amount: 600,
      external_method: "online",
      timeout_seconds: 60,
    });
    const legs = await t.database.owner
      .selectFrom("wallet_payment_legs")
      .select("transfer_id")
      .where("tenant_id", "=", other.tenantId)
      .where("payment_id", "=", p.id)
      .execute();
    for (const leg of legs) {
      const r = await w.call("POST", `/v1/ledger/transfers/${leg.transfer_id}/post`, {});
      expect(r.statusCode, r.body).toBe(201);
    }
    expect(await w.balance(m)).toMatchObject({ total: 400, held: 0 });
    const trail = tenantTrail(t, other.tenantId);
    const before = { audit: await trail.audit(p.id), voided: await trail.events("wallet.payment_voided") };

    expectProblem(await w.call("POST", `/v1/wallet-payments/${p.id}/cancel`), 409, "payment_hold_posted");
    expectProblem(await w.call("POST", `/v1/wallet-payments/${p.id}/confirm`), 409, "payment_hold_posted");
    expect(json(await w.call("GET", `/v1/wallet-payments/${p.id}`))).toMatchObject({ status: "held" });
    expect(await trail.audit(p.id)).toEqual(before.audit);
    expect(await trail.events("wallet.payment_voided")).toEqual(before.voided);

    // Past its timeout the job cannot release what the ledger already took: it leaves the
    // payment as it is, without failing, run after run.
    t.clock.advance(61_000);
    expect(await expirePayments(t.deps.ledger, other.tenantId, t.clock.now())).toBe(0);
    expect(await expirePayments(t.deps.ledger, other.tenantId, t.clock.now())).toBe(0);
    expect(json(await w.call("GET", `/v1/wallet-payments/${p.id}`))).toMatchObject({ status: "held" });
    expect(await w.balance(m)).toMatchObject({ total: 400, held: 0 });
    await trail.ledgerClean();
  });

  it("online rest: voided when the external payment fails", async () => {
    const m = await memberWith(1000);
    const p = json<Pay>(await pay(m, 2000, { balance_amount: 600, external_method: "online" }));
    expect(json(await call("POST", `/v1/wallet-payments/${p.id}/cancel`))).toMatchObject({
      status: "voided",
    });
    expect(await balance(m)).toMatchObject({ total: 1000, held: 0, available: 1000 });
    const log = await ok<{ data: Body[] }>("GET", `/v1/members/${m}/balance-changes?kind=payment`);
    expect(log.data).toHaveLength(0);
  });

  it("online rest: voided by its timeout; a late confirmation is refused", async () => {
    const m = await memberWith(1000);
    const p = json<Pay>(
      await pay(m, 2000, { balance_amount: 700, external_method: "online", timeout_seconds: 600 }),
    );
    t.clock.advance(599_000);
    expect(await expirePayments(t.deps.ledger, tenant.tenantId, t.clock.now())).toBe(0);
    t.clock.advance(1000);
    expectProblem(await call("POST", `/v1/wallet-payments/${p.id}/confirm`), 409, "payment_expired");
    expect(await expirePayments(t.deps.ledger, tenant.tenantId, t.clock.now())).toBe(1);
    expect(json(await call("GET", `/v1/wallet-payments/${p.id}`))).toMatchObject({ status: "expired" });
    expect(await balance(m)).toMatchObject({ total: 1000, held: 0, available: 1000 });
  });

  it("a cancel after the timeout releases the hold once", async () => {
    const m = await memberWith(1000);
    const p = json<Pay>(
      await pay(m, 2000, { balance_amount: 400, external_method: "online", timeout_seconds: 60 }),
    );
    t.clock.advance(120_000);
    expect(json(await call("POST", `/v1/wallet-payments/${p.id}/cancel`))).toMatchObject({
      status: "expired",
    });
    expect(await balance(m)).toMatchObject({ total: 1000, held: 0, available: 1000 });
    expect(await expirePayments(t.deps.ledger, tenant.tenantId, t.clock.now())).toBe(0);
  });

  it("the ledger's own hold expiry first, then ours: released once", async () => {
    const m = await memberWith(1000);
    const p = json<Pay>(
      await pay(m, 2000, { balance_amount: 700, external_method: "online", timeout_seconds: 60 }),
    );
    t.clock.advance(61_000);
    expect(await voidExpiredHolds(t.deps.ledger, tenant.tenantId, t.clock.now())).toBeGreaterThanOrEqual(1);
    expect(await expirePayments(t.deps.ledger, tenant.tenantId, t.clock.now())).toBe(1);
    expect(json(await call("GET", `/v1/wallet-payments/${p.id}`))).toMatchObject({ status: "expired" });
    expect(await balance(m)).toMatchObject({ total: 1000, available: 1000 });
  });
});

describe("a cancel past the timeout", () => {
  it("releases its own hold even when another of the tenant's holds cannot be released", async () => {
    const other = await createTestTenant(t, "One wedged hold");
    const w = walletClient(t, other);
    const held = async (order: string, amount: number) => {
      const m = await w.newMember();
      await w.ok("POST", `/v1/members/${m}/top-ups`, { amount: 1000 });
      const p = await w.ok<Pay>("POST", "/v1/wallet-payments", {
        member_id: m,
        order_id: order,
        currency: "CNY",
        lines: [],
        amount_due: amount + 100,
        balance_amount: amount,
        external_method: "online",
        timeout_seconds: 60,
      });
      return { m, p };
    };
    const wedged = await held("WEDGED", 300);
    const mine = await held("MINE", 400);
    // The wedged payment's account no longer shows its hold pending: voiding it fails every time.
    const leg = await t.database.owner
      .selectFrom("wallet_payment_legs")
      .select("account_id")
      .where("tenant_id", "=", other.tenantId)
      .where("payment_id", "=", wedged.p.id)
      .executeTakeFirstOrThrow();
    const pending = (value: number) =>
      t.database.owner
        .updateTable("ledger_accounts")
        .set({ debits_pending: value })
        .where("tenant_id", "=", other.tenantId)
        .where("id", "=", leg.account_id)
        .execute();
    await pending(0);

    t.clock.advance(61_000);
    const r = await w.call("POST", `/v1/wallet-payments/${mine.p.id}/cancel`);
    expect(r.statusCode, r.body).toBe(200);
    expect(json<Pay>(r)).toMatchObject({ status: "expired" });
    expect(await w.balance(mine.m)).toMatchObject({ total: 1000, held: 0, available: 1000 });

    // Repaired, the expiry job releases the other one.
    await pending(300);
    expect(await expirePayments(t.deps.ledger, other.tenantId, t.clock.now())).toBe(1);
    expect(await w.balance(wedged.m)).toMatchObject({ total: 1000, held: 0, available: 1000 });
    await tenantTrail(t, other.tenantId).ledgerClean();
  });
});

describe("refunds", () => {
  it("bonus share is rounded down on the cumulative total", () => {
    expect(bonusShare(1, 2, 1)).toBe(0);
    expect(bonusShare(2, 2, 1)).toBe(0);
    expect(bonusShare(3, 2, 1)).toBe(1);
    expect(bonusShare(100, 0, 100)).toBe(100);
    expect(bonusShare(100, 100, 0)).toBe(0);
  });

  it("return to principal and bonus in proportion, across several partial refunds, never more than paid", async () => {
    const m = await memberWith(700, 300);
    const p = json<Pay>(await pay(m, 1000));
    expect(p).toMatchObject({ principal_amount: 700, bonus_amount: 300 });
    const r1 = await ok<Body>("POST", `/v1/wallet-payments/${p.id}/refunds`, { amount: 1, reason: "a" });
    expect(r1).toMatchObject({ principal_amount: 1, bonus_amount: 0 });
    const r2 = await ok<Body>("POST", `/v1/wallet-payments/${p.id}/refunds`, { amount: 333 });
    // cumulative 334 → bonus floor(334 × 300 / 1000) = 100
    expect(r2).toMatchObject({ principal_amount: 233, bonus_amount: 100 });
    expectProblem(
      await call("POST", `/v1/wallet-payments/${p.id}/refunds`, { amount: 667 }),
      422,
      "refund_exceeds_paid",
    );
    const r3 = await ok<Body>("POST", `/v1/wallet-payments/${p.id}/refunds`, { amount: 666 });
    expect(r3).toMatchObject({ principal_amount: 466, bonus_amount: 200 });
    expect(await balance(m)).toMatchObject({ principal: 700, bonus: 300 });
    expect(json(await call("GET", `/v1/wallet-payments/${p.id}`))).toMatchObject({ refunded_amount: 1000 });
    expectProblem(
      await call("POST", `/v1/wallet-payments/${p.id}/refunds`, { amount: 1 }),
      422,
      "refund_exceeds_paid",
    );

    // The list shows each payment as it reads alone, refunds summed in the one read of the page.
    const partly = json<Pay>(await pay(m, 400));
    await ok("POST", `/v1/wallet-payments/${partly.id}/refunds`, { amount: 150 });
    const untouched = json<Pay>(await pay(m, 100));
    // Read once first, so an API key's cached lookup (3 s) that ran out meanwhile is not counted.
    await ok("GET", `/v1/wallet-payments?member_id=${m}`);
    const before = await roundTripsOf(t.app, "GET", "/v1/wallet-payments");
    const list = await ok<{ data: (Body & { id: string })[] }>("GET", `/v1/wallet-payments?member_id=${m}`);
    const after = await roundTripsOf(t.app, "GET", "/v1/wallet-payments");
    expect(list.data.map((x) => [x.id, x.refunded_amount])).toEqual([
      [untouched.id, 0],
      [partly.id, 150],
      [p.id, 1000],
    ]);
    for (const item of list.data) expect(item).toEqual(await ok("GET", `/v1/wallet-payments/${item.id}`));
    expect(after.count - before.count).toBe(1);
    expect(after.sum - before.sum).toBeLessThanOrEqual(3);
  });

  it("refunds only paid payments; a partial online payment refunds only its balance part", async () => {
    const m = await memberWith(1000);
    const held = json<Pay>(await pay(m, 2000, { balance_amount: 500, external_method: "online" }));
    expectProblem(
      await call("POST", `/v1/wallet-payments/${held.id}/refunds`, { amount: 1 }),
      409,
      "payment_not_refundable",
    );
    await ok("POST", `/v1/wallet-payments/${held.id}/confirm`);
    expectProblem(
      await call("POST", `/v1/wallet-payments/${held.id}/refunds`, { amount: 501 }),
      422,
      "refund_exceeds_paid",
    );
    await ok("POST", `/v1/wallet-payments/${held.id}/refunds`, { amount: 500 });
    expect(await balance(m)).toMatchObject({ total: 1000 });
  });

  it("a closed member's balance takes no refund: refused, and nothing is written", async () => {
    const m = await memberWith(1000);
    const paid = json<Pay>(await pay(m, 1000));
    expect(paid.status).toBe("paid");
    // Spent to zero, the account may close.
    await ok("PATCH", `/v1/members/${m}`, { status: "closed" });
    expectProblem(
      await call("POST", `/v1/wallet-payments/${paid.id}/refunds`, { amount: 1000 }),
      422,
      "member_closed",
    );
    expect(await balance(m)).toMatchObject({ total: 0 });
    expect(json<Pay>(await call("GET", `/v1/wallet-payments/${paid.id}`)).refunded_amount).toBe(0);
  });
});

describe("concurrency", () => {
  it("one order id paid concurrently by two members is paid once", async () => {
    const a = await memberWith(1000);
    const b = await memberWith(1000);
    const [ra, rb] = await Promise.all([
      pay(a, 100, { order_id: "SHARED" }),
      pay(b, 100, { order_id: "SHARED" }),
    ]);
    expect([ra.statusCode, rb.statusCode].sort()).toEqual([201, 409]);
    const loser = ra.statusCode === 409 ? ra : rb;
    expect(json(loser).code).toBe("payment_exists");
    const totals = [(await balance(a)).total, (await balance(b)).total].sort((x, y) => x - y);
    expect(totals).toEqual([900, 1000]);
  });

  it("200 concurrent balance payments by one member never overdraw", async () => {
    const m = await memberWith(10_000, 0); // room for exactly 100 payments of 100
    const results = await Promise.all(Array.from({ length: 200 }, () => pay(m, 100)));
    const paid = results.filter((r) => r.statusCode === 201).length;
    const refused = results.filter(
      (r) => r.statusCode === 422 && json(r).code === "insufficient_balance",
    ).length;
    expect(paid).toBe(100);
    expect(refused).toBe(100);
    expect(await balance(m)).toMatchObject({ total: 0, principal: 0, available: 0 });
    const payments = await t.database.owner
      .selectFrom("wallet_payments")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("member_id", "=", m)
      .executeTakeFirstOrThrow();
    expect(Number(payments.n)).toBe(100);
    const log = await t.database.owner
      .selectFrom("wallet_changes")
      .select(["balance_after"])
      .where("member_id", "=", m)
      .where("kind", "=", "payment")
      .orderBy("balance_after", "desc")
      .execute();
    // every running balance is distinct: each payment saw the one before it
    expect(log.map((r) => r.balance_after)).toEqual(Array.from({ length: 100 }, (_, i) => 9900 - i * 100));
  });
});

describe("house currency (seed 004: balance + online only in a real currency)", () => {
  it("refuses an online top-up and a balance + online payment in coins; balance alone and an offline rest work", async () => {
    const coins = await createTestTenant(t, "Coins");
    const c = walletClient(t, coins);
    await c.ok("PATCH", "/v1/wallet-settings", { asset: { code: "COINS", scale: 0, name: "Coins" } });
    const m = (await c.ok<{ id: string }>("POST", "/v1/members", { name: "Coin holder" })).id;
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 500 });
    const coinPay = (n: number, extra: Body) =>
      c.call("POST", "/v1/wallet-payments", {
        member_id: m,
        order_id: `COIN-${n}`,
        currency: "COINS",
        lines: [],
        amount_due: 800,
        ...extra,
      });

    expectProblem(
      await c.call("POST", `/v1/members/${m}/topup-intents`, { amount: 100 }),
      422,
      "house_currency_not_purchasable",
    );
    const mixed = expectProblem(
      await coinPay(1, { balance_amount: 500, external_method: "online" }),
      422,
      "house_currency_not_purchasable",
    );
    expect(mixed.detail).toContain("COINS");
    // Nothing was held or written.
    expect(await c.balance(m)).toMatchObject({ principal: 500, available: 500 });
    expect((await c.ok<{ data: Body[] }>("GET", `/v1/wallet-payments?member_id=${m}`)).data).toHaveLength(0);
    expect((await c.ok<{ data: Body[] }>("GET", `/v1/topup-intents?member_id=${m}`)).data).toHaveLength(0);

    // An offline rest and balance alone stay open to coins.
    expect((await coinPay(2, { balance_amount: 500, external_method: "offline" })).statusCode).toBe(201);
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 800 });
    expect((await coinPay(3, { external_method: "none" })).statusCode).toBe(201);
    expect(await c.balance(m)).toMatchObject({ principal: 0 });
  });
});
