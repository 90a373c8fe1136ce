import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp } from "../../../test/helpers/app.js";
import {
  accountOf,
  activeAccount,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  ok,
  openConfigured,
  topUp,
} from "../../../test/helpers/deposits.js";
import { roundTripsOf } from "../../../test/helpers/metrics.js";
import { verifyLedger } from "../../ledger/index.js";
import { withAmounts } from "./order-costs.js";

let t: TestApp;
let w: DepositWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await depositWorld(t, await createTestTenant(t));
});
afterAll(async () => t?.close());

interface OrderCost {
  order_id: string;
  cost: number;
  frozen: number;
  arrears: number;
  settled: number;
  refunded: number;
  status: string;
}
interface FreezeAnswer {
  outcome: string;
  order: OrderCost | null;
  manual_item_id: string | null;
  reason: string | null;
}

const freeze = (accountId: string, orderId: string, amount: number, campaignId?: string) =>
  call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${accountId}/freezes`, {
    order_id: orderId,
    amount,
    ...(campaignId ? { campaign_id: campaignId } : {}),
  });
const action = (accountId: string, orderId: string, verb: string, body: object = {}) =>
  call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${accountId}/orders/${orderId}/${verb}`, body);

async function entries(accountId: string, query = "") {
  const list = ok<{ data: { type: string; amount: number; order_id: string }[] }>(
    await call(w, w.tenant.auth, "GET", `/v1/deposit-accounts/${accountId}/transactions?limit=100${query}`),
  );
  return list.data.map((e) => [e.type, e.amount]);
}

describe("freeze, release, settle, settled refund", () => {
  it("freezes at once, releases fully or partly, settles, refunds after settlement", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 1_000_000);
    const first = ok<FreezeAnswer>(await freeze(id, "ORD-1", 12_345), 201);
    expect(first).toMatchObject({
      outcome: "frozen",
      order: { frozen: 12_345, arrears: 0, status: "frozen" },
    });
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 987_655,
      frozen: 12_345,
      balance: 1_000_000,
    });
    // The same order again replays; with another amount it is refused.
    expect(ok<FreezeAnswer>(await freeze(id, "ORD-1", 12_345)).outcome).toBe("replayed");
    expectCode(await freeze(id, "ORD-1", 1), 409, "order_id_reused");

    expectCode(await action(id, "ORD-1", "release", { amount: 12_346 }), 422, "exceeds_frozen");
    const partly = ok<OrderCost>(await action(id, "ORD-1", "release", { amount: 2_345 }));
    expect(partly).toMatchObject({ frozen: 10_000, status: "frozen" });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 990_000, frozen: 10_000 });
    expectCode(await action(id, "ORD-1", "refund", { amount: 1 }), 409, "order_not_settled");
    const settled = ok<OrderCost>(await action(id, "ORD-1", "settle"));
    expect(settled).toMatchObject({ frozen: 0, settled: 10_000, status: "settled" });
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 990_000,
      frozen: 0,
      balance: 990_000,
      total_settled: 10_000,
    });
    expectCode(await action(id, "ORD-1", "refund", { amount: 10_001 }), 422, "exceeds_settled");
    ok(await action(id, "ORD-1", "refund", { amount: 4_000 }));
    expect((await accountOf(w, m.auth, id)).available).toBe(994_000);
    expectCode(await action(id, "ORD-1", "release", { amount: 1 }), 409, "order_not_frozen");

    ok(await freeze(id, "ORD-2", 5_000), 201);
    expect(ok<OrderCost>(await action(id, "ORD-2", "release")).status).toBe("released");
    expect(await entries(id, "&order_id=ORD-1")).toEqual([
      ["freeze", 12_345],
      ["release", 2_345],
      ["settle", 10_000],
      ["settled_refund", 4_000],
    ]);
    const ledger = ok<{ data: { direction: string; amount: number; balance: number; code: string }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/ledger`),
    );
    expect(ledger.data.map((l) => [l.direction, l.amount, l.balance])).toEqual([
      ["income", 1_000_000, 1_000_000],
      ["expense", 10_000, 990_000],
      ["income", 4_000, 994_000],
    ]);
  });

  it("sends a freeze for an account that is not active to the manual-handling list", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    const answer = ok<FreezeAnswer>(await freeze(id, "ORD-M", 1_000));
    expect(answer).toMatchObject({ outcome: "manual", order: null, reason: "account_pending_activation" });
    const items = ok<{ data: { id: string; kind: string; reference_id: string }[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-manual-items?status=open"),
    );
    expect(items.data).toContainEqual(
      expect.objectContaining({ id: answer.manual_item_id, kind: "freeze_failed", reference_id: "ORD-M" }),
    );
    ok(
      await call(w, w.finance, "POST", `/v1/deposit-manual-items/${answer.manual_item_id}/resolve`, {
        note: "charged on the monthly invoice",
      }),
    );
    const open = ok<{ data: { id: string }[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-manual-items?status=open"),
    );
    expect(open.data.map((d) => d.id)).not.toContain(answer.manual_item_id);
  });

  it("a settled refund on a closed account is credited and listed for finance, never silently", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    ok(await freeze(id, "ORD-CL", 300_000), 201);
    ok(await action(id, "ORD-CL", "settle"));
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { status: "closed" }));

    const refunded = ok<OrderCost>(await action(id, "ORD-CL", "refund", { amount: 100_000 }));
    expect(refunded).toMatchObject({ settled: 300_000, refunded: 100_000 });
    // The money is the merchant's, in its account, and finance sees it waiting there.
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "closed", balance: 100_000 });
    const items = ok<{
      data: { id: string; kind: string; account_id: string; reference_id: string; detail: object }[];
    }>(await call(w, w.finance, "GET", "/v1/deposit-manual-items?status=open&limit=100"));
    const listed = items.data.filter((i) => i.account_id === id);
    expect(listed).toEqual([
      expect.objectContaining({
        kind: "settled_refund_on_closed_account",
        reference_id: "ORD-CL",
        detail: expect.objectContaining({ order_id: "ORD-CL", amount: 100_000, reason: "account_closed" }),
      }),
    ]);
    const audits = ok<{ data: { action: string }[] }>(
      await call(w, w.tenant.auth, "GET", `/v1/audit-events?target_id=${listed[0]!.id}`),
    ).data;
    expect(audits.map((a) => a.action)).toEqual(["deposit_cost.refund_listed"]);
    // Finance reopens the account; the merchant can then withdraw it, and the item is resolved.
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { status: "active" }));
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "active", available: 100_000 });
    ok(
      await call(w, w.finance, "POST", `/v1/deposit-manual-items/${listed[0]!.id}/resolve`, {
        note: "account reopened for the merchant to withdraw",
      }),
    );
    // An active account's refund lists nothing.
    ok(await action(id, "ORD-CL", "refund", { amount: 1_000 }));
    const after = ok<{ data: { account_id: string }[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-manual-items?status=open&limit=100"),
    );
    expect(after.data.filter((i) => i.account_id === id)).toEqual([]);
  });

  it("audits every freeze with who asked, also one that goes to the manual-handling list", async () => {
    const audit = async (targetId: string) =>
      ok<{ data: { action: string; actor_id: string; summary: Record<string, unknown> }[] }>(
        await call(w, w.tenant.auth, "GET", `/v1/audit-events?target_id=${targetId}`),
      ).data;
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const answer = ok<FreezeAnswer & { order: { id: string } }>(await freeze(id, "ORD-AU", 400_000), 201);
    expect(await audit(answer.order.id)).toEqual([
      expect.objectContaining({
        action: "deposit_cost.frozen",
        actor_id: w.tenant.apiKey.record.id,
        summary: expect.objectContaining({
          order_id: "ORD-AU",
          amount: 400_000,
          frozen: 300_000,
          arrears: 100_000,
        }),
      }),
    ]);
    // A replay changes nothing and adds no entry.
    ok(await freeze(id, "ORD-AU", 400_000));
    expect(await audit(answer.order.id)).toHaveLength(1);

    const pending = await openConfigured(w, await createMerchant(w));
    const listed = ok<FreezeAnswer>(await freeze(pending, "ORD-AU", 1_000));
    expect(await audit(listed.manual_item_id!)).toEqual([
      expect.objectContaining({
        action: "deposit_cost.freeze_listed",
        summary: expect.objectContaining({ order_id: "ORD-AU", amount: 1_000 }),
      }),
    ]);
  });

  it("lists an order that could not be frozen once, however often the freeze is retried", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    const first = ok<FreezeAnswer>(await freeze(id, "ORD-MR", 1_000));
    expect(first.outcome).toBe("manual");
    // The order system retries (a new request, no shared Idempotency-Key): the same item answers.
    const again = ok<FreezeAnswer>(await freeze(id, "ORD-MR", 1_000));
    expect(again).toMatchObject({ outcome: "manual", manual_item_id: first.manual_item_id });
    // Other details under the same order id are refused, as for a frozen order.
    expectCode(await freeze(id, "ORD-MR", 2_000), 409, "order_id_reused");
    // Once resolved (charged outside), a late retry does not open it again.
    ok(
      await call(w, w.finance, "POST", `/v1/deposit-manual-items/${first.manual_item_id}/resolve`, {
        note: "charged on the monthly invoice",
      }),
    );
    expect(ok<FreezeAnswer>(await freeze(id, "ORD-MR", 1_000)).manual_item_id).toBe(first.manual_item_id);
    // Nor does the account's activation freeze it on top of the item.
    await topUp(w, m, id, 300_000);
    expect(ok<FreezeAnswer>(await freeze(id, "ORD-MR", 1_000)).manual_item_id).toBe(first.manual_item_id);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "active", available: 300_000, frozen: 0 });
    const items = ok<{ data: { reference_id: string; account_id: string }[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-manual-items?limit=100"),
    );
    expect(items.data.filter((i) => i.account_id === id && i.reference_id === "ORD-MR")).toHaveLength(1);
  });

  it("never lets 200 concurrent freezes drive available below zero and records arrears exactly", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const amounts = Array.from({ length: 200 }, (_, i) => 1_000 + ((i * 7919) % 2_500));
    const total = amounts.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(300_000);
    const answers = await Promise.all(amounts.map((amount, i) => freeze(id, `C-${i}`, amount)));
    const orders = answers.map((a) => ok<FreezeAnswer>(a, 201).order!);
    const frozen = orders.reduce((s, o) => s + o.frozen, 0);
    const arrears = orders.reduce((s, o) => s + o.arrears, 0);
    expect(frozen).toBe(300_000);
    expect(arrears).toBe(total - 300_000);
    for (const o of orders) expect(o.frozen + o.arrears).toBe(o.cost);
    // At most one order is split between the last of available and arrears.
    expect(orders.filter((o) => o.frozen > 0 && o.arrears > 0).length).toBeLessThanOrEqual(1);
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 0,
      frozen: 300_000,
      arrears: total - 300_000,
    });
    const report = await verifyLedger(t.deps.db, w.tenant.tenantId);
    expect(report.ok).toBe(true);
    expect(report.flag_violations).toEqual([]);
  });
});

describe("arrears", () => {
  it("runs the arrears path end to end: record, refuse, settle, repay from the next top-up, trace", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const campaign = ok<{ id: string; status: string }>(
      await call(w, m.auth, "POST", "/v1/deposit-campaigns", {
        merchant_id: m.id,
        name: "Interest-free instalments",
        starts_at: t.clock.now().toISOString(),
        ends_at: new Date(t.clock.now().getTime() + 30 * 86_400_000).toISOString(),
      }),
      201,
    );
    expect(campaign.status).toBe("running");
    ok(await freeze(id, "A", 250_000, campaign.id), 201);
    const b = ok<FreezeAnswer>(await freeze(id, "B", 80_000, campaign.id), 201).order!;
    expect(b).toMatchObject({ frozen: 50_000, arrears: 30_000 });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 0, frozen: 300_000, arrears: 30_000 });

    // While in arrears: no campaigns, no withdrawal.
    const body = {
      merchant_id: m.id,
      name: "Another",
      starts_at: t.clock.now().toISOString(),
      ends_at: new Date(t.clock.now().getTime() + 86_400_000).toISOString(),
    };
    expectCode(await call(w, m.auth, "POST", "/v1/deposit-campaigns", body), 409, "account_in_arrears");
    expectCode(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/withdrawals`, { amount: 1 }),
      409,
      "account_in_arrears",
    );

    // B completes: what was frozen settles; the arrears stay owed.
    expect(ok<OrderCost>(await action(id, "B", "settle"))).toMatchObject({
      settled: 50_000,
      arrears: 30_000,
    });
    // A top-up pays the arrears first; the rest becomes available.
    const topup = await topUp(w, m, id, 300_000);
    const topups = ok<{ data: { id: string; arrears_repaid: number }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/topups`),
    );
    expect(topups.data.find((x) => x.id === topup.id)?.arrears_repaid).toBe(30_000);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 270_000, frozen: 250_000, arrears: 0 });
    expect(await entries(id, "&order_id=B")).toEqual([
      ["freeze", 50_000],
      ["arrears", 30_000],
      ["settle", 50_000],
      ["arrears_repaid", 30_000],
      ["settle", 30_000],
    ]);
    expect(ok(await call(w, m.auth, "POST", "/v1/deposit-campaigns", body), 201)).toMatchObject({
      status: "running",
    });
    const report = await verifyLedger(t.deps.db, w.tenant.tenantId);
    expect(report.ok).toBe(true);
  });

  it("repays arrears of an open order into its freeze, and a release cancels unpaid arrears first", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    ok(await freeze(id, "P", 350_000), 201);
    ok(await freeze(id, "Q", 20_000), 201);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 0, frozen: 300_000, arrears: 70_000 });
    // Q is refunded before receipt: its 20,000 were all arrears; they are cancelled, nothing unfrozen.
    expect(ok<OrderCost>(await action(id, "Q", "release"))).toMatchObject({
      arrears: 0,
      frozen: 0,
      status: "released",
    });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 0, arrears: 50_000 });
    await topUp(w, m, id, 300_000);
    // P's arrears became frozen: the whole cost is now held, and settles in full.
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 250_000, frozen: 350_000, arrears: 0 });
    expect(ok<OrderCost>(await action(id, "P", "settle"))).toMatchObject({ settled: 350_000, arrears: 0 });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 250_000, frozen: 0, balance: 250_000 });
    expect(await entries(id, "&type=arrears_cancelled")).toEqual([["arrears_cancelled", 20_000]]);
  });
});

describe("mixed concurrency", () => {
  it("keeps every invariant when freezes, releases, top-ups and withdrawals race on one account", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const topups = [];
    for (let i = 0; i < 3; i++) {
      topups.push(
        ok<{ reference: string }>(
          await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 + i }),
          201,
        ),
      );
    }
    const bank = (i: number) =>
      call(w, w.finance, "POST", "/v1/deposit-bank-records", {
        records: [
          {
            bank_transaction_id: `MIX-${id}-${i}`,
            payer_name: m.company,
            amount: 300_000 + i,
            asset: "CNY",
            received_at: t.clock.now().toISOString(),
          },
        ],
      });
    const wave1 = await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => freeze(id, `X-${i}`, 5_000)),
      ...Array.from({ length: 5 }, () =>
        call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/withdrawals`, { amount: 10_000 }),
      ),
      bank(0),
    ]);
    const wave2 = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => action(id, `X-${i}`, "release")),
      ...Array.from({ length: 50 }, (_, i) => freeze(id, `X-${100 + i}`, 5_000)),
      bank(1),
      bank(2),
    ]);
    for (const r of [...wave1, ...wave2]) expect(r.statusCode, r.body).toBeLessThan(500);

    const rows = await t.deps.db.tenantTx(w.tenant.tenantId, async (trx) =>
      withAmounts(
        trx,
        w.tenant.tenantId,
        await trx.selectFrom("deposit_order_costs").selectAll().where("account_id", "=", id).execute(),
      ),
    );
    const held = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx
        .selectFrom("deposit_withdrawals")
        .select("amount")
        .where("account_id", "=", id)
        .where("status", "=", "requested")
        .execute(),
    );
    const account = await accountOf(w, m.auth, id);
    expect(account.available).toBeGreaterThanOrEqual(0);
    expect(account.arrears).toBe(rows.reduce((s, r) => s + r.arrears, 0));
    // Frozen is the campaign costs only; the held withdrawals are their own figure.
    expect(account.frozen).toBe(rows.reduce((s, r) => s + r.frozen, 0));
    expect(account.withdrawal_held).toBe(held.reduce((s, h) => s + h.amount, 0));
    // Paid in: 300,000 + 900,003; spent: nothing settled, so balance = paid in, and every cost is frozen or owed.
    expect(account.balance).toBe(1_200_003);
    const open = rows.filter((r) => r.status === "frozen");
    expect(open.reduce((s, r) => s + r.frozen + r.arrears, 0)).toBe(open.length * 5_000);
    expect((await verifyLedger(t.deps.db, w.tenant.tenantId)).ok).toBe(true);
  });
});

describe("the platform's list of deposit accounts", () => {
  it("shows each account as it reads alone, its figures for the whole page in a few reads", async () => {
    // Every account this file made, with its top-ups, settlements, arrears and withdrawals.
    const another = await createMerchant(w, "Listed Co");
    await activeAccount(w, another);
    // The key's lookup is cached for 3 s; on a loaded machine the steps above can take longer,
    // and the list would then count the lookup too. Used just before, it is the list's reads.
    ok(await call(w, w.tenant.auth, "GET", "/v1/deposit-accounts?limit=1"));
    const before = await roundTripsOf(t.app, "GET", "/v1/deposit-accounts");
    const list = ok<{ data: { id: string }[] }>(
      await call(w, w.tenant.auth, "GET", "/v1/deposit-accounts?limit=100"),
    );
    const after = await roundTripsOf(t.app, "GET", "/v1/deposit-accounts");
    expect(list.data.length).toBeGreaterThanOrEqual(3);
    for (const item of list.data) expect(item).toEqual(await accountOf(w, w.tenant.auth, item.id));
    expect(after.count - before.count).toBe(1);
    expect(after.sum - before.sum).toBeLessThanOrEqual(6);
  });
});
