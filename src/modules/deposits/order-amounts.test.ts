import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp } from "../../../test/helpers/app.js";
import {
  accountOf,
  activeAccount,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  ok,
  topUp,
} from "../../../test/helpers/deposits.js";
import { holdState, verifyLedger } from "../../ledger/index.js";
import { orderAmounts } from "./order-costs.js";

describe("an order's amounts follow from its transactions", () => {
  it.each([
    { case: "just frozen", cost: 500, totals: { freeze: 500 }, frozen: 500 },
    { case: "part in arrears", cost: 500, totals: { freeze: 300, arrears: 200 }, frozen: 300, arrears: 200 },
    {
      case: "arrears cancelled, then part released",
      cost: 500,
      totals: { freeze: 300, arrears: 200, arrears_cancelled: 200, release: 100 },
      frozen: 200,
      released: 300,
    },
    {
      case: "arrears repaid into the freeze (no new freeze transaction)",
      cost: 500,
      totals: { freeze: 300, arrears: 200, arrears_repaid: 150 },
      frozen: 450,
      arrears: 50,
    },
    {
      case: "settled with arrears outstanding, then repaid and settled, then refunded",
      cost: 500,
      totals: { freeze: 300, arrears: 200, settle: 500, arrears_repaid: 200, settled_refund: 120 },
      settled: 500,
      refunded: 120,
    },
  ])("$case", ({ cost, totals, ...expected }) => {
    const { case: _case, ...want } = {
      frozen: 0,
      arrears: 0,
      released: 0,
      settled: 0,
      refunded: 0,
      ...expected,
    };
    expect(orderAmounts(cost, totals)).toEqual(want);
  });
});

describe("the freeze is one ledger hold, released in part and settled without a copy", () => {
  let t: TestApp;
  let w: DepositWorld;
  beforeAll(async () => {
    t = await createTestApp();
    w = await depositWorld(t, await createTestTenant(t));
  });
  afterAll(async () => t?.close());

  const action = (accountId: string, orderId: string, verb: string, body: object = {}) =>
    call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${accountId}/orders/${orderId}/${verb}`, body);
  const freeze = (accountId: string, orderId: string, amount: number) =>
    call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${accountId}/freezes`, {
      order_id: orderId,
      amount,
    });
  const orderRow = (accountId: string, orderId: string) =>
    t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx
        .selectFrom("deposit_order_costs")
        .selectAll()
        .where("account_id", "=", accountId)
        .where("order_id", "=", orderId)
        .executeTakeFirstOrThrow(),
    );
  const hold = (id: string) =>
    t.deps.db.tenantTx(w.tenant.tenantId, (trx) => holdState(trx, w.tenant.tenantId, id));
  const orderTransfers = (orderCostId: string) =>
    t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx
        .selectFrom("ledger_transfers")
        .select(["id", "kind", "code", "amount", "pending_id", "pending_before"])
        .where("reference_module", "=", "deposits")
        .where("reference_id", "=", orderCostId)
        .orderBy("seq")
        .execute(),
    );

  it("partial releases void part of the same hold; settle posts what is left", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    ok(await freeze(id, "PR-1", 10_000), 201);
    const row = await orderRow(id, "PR-1");
    expect(ok(await action(id, "PR-1", "release", { amount: 1_000 }))).toMatchObject({ frozen: 9_000 });
    expect(ok(await action(id, "PR-1", "release", { amount: 2_000 }))).toMatchObject({
      frozen: 7_000,
      released: 3_000,
      status: "frozen",
    });
    // Still the hold placed at the freeze, with exactly the order's frozen amount left on it.
    expect((await orderRow(id, "PR-1")).hold_id).toBe(row.hold_id);
    expect(await hold(row.hold_id!)).toMatchObject({ state: "pending", pending: 7_000 });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ frozen: 7_000, available: 293_000 });
    expect(ok(await action(id, "PR-1", "settle"))).toMatchObject({
      frozen: 0,
      settled: 7_000,
      released: 3_000,
    });
    expect(await hold(row.hold_id!)).toMatchObject({ state: "posted", pending: 0 });
    const transfers = await orderTransfers(row.id);
    expect(transfers.map((x) => [x.kind, x.code, x.amount, x.pending_before])).toEqual([
      ["pending", "deposit_freeze", 10_000, null],
      ["void_pending", "deposit_release", 1_000, 10_000],
      ["void_pending", "deposit_release", 2_000, 9_000],
      ["post_pending", "deposit_settle", 7_000, 7_000],
    ]);
    // Each account transaction points at the ledger transfer that moved its value.
    const entries = ok<{ data: { type: string; amount: number; transfer_id: string }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/transactions?order_id=PR-1`),
    ).data;
    expect(entries.map((e) => [e.type, e.amount, e.transfer_id]).sort()).toEqual(
      transfers
        .map((x) => [
          x.kind === "pending" ? "freeze" : x.kind === "void_pending" ? "release" : "settle",
          x.amount,
          x.id,
        ])
        .sort(),
    );
    expect((await verifyLedger(t.deps.db, w.tenant.tenantId)).ok).toBe(true);
  });

  it("a release of everything left voids the rest of the hold and releases the order", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    ok(await freeze(id, "PR-2", 4_000), 201);
    ok(await action(id, "PR-2", "release", { amount: 1_500 }));
    expect(ok(await action(id, "PR-2", "release"))).toMatchObject({
      frozen: 0,
      released: 4_000,
      status: "released",
    });
    expect(await hold((await orderRow(id, "PR-2")).hold_id!)).toMatchObject({ state: "voided", pending: 0 });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ frozen: 0, available: 300_000 });
  });

  it("arrears repaid into an open order's freeze: one hold of the whole frozen amount", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    ok(await freeze(id, "RF-1", 350_000), 201);
    const before = await orderRow(id, "RF-1");
    await topUp(w, m, id, 300_000);
    const after = await orderRow(id, "RF-1");
    expect(after.hold_id).not.toBe(before.hold_id);
    expect(await hold(before.hold_id!)).toMatchObject({ state: "voided" });
    expect(await hold(after.hold_id!)).toMatchObject({ state: "pending", pending: 350_000 });
    expect(ok(await action(id, "RF-1", "release", { amount: 50_000 }))).toMatchObject({
      frozen: 300_000,
      arrears: 0,
    });
    expect(await hold(after.hold_id!)).toMatchObject({ state: "pending", pending: 300_000 });
    expect(ok(await action(id, "RF-1", "settle"))).toMatchObject({ settled: 300_000, released: 50_000 });
    expect((await verifyLedger(t.deps.db, w.tenant.tenantId)).ok).toBe(true);
  });
});
