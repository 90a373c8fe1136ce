import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestOrgUnit, json, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { createVoucherApp, type VoucherTree } from "../../../test/helpers/vouchers.js";
import { Ledger, type UnitOfWork } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { deductBill } from "./deduct-bill.js";
import { refundBill } from "./refund-bill.js";

/** Bills offset by vouchers and their refunds: refusals, idempotency and concurrency. */
let t: TestApp;
let tenant: TestTenant;
let tree: VoucherTree;

beforeAll(async () => {
  ({ t, tenant, tree } = await createVoucherApp());
  const quota = await post("/v1/voucher-quotas/adjustments", tree.keys.distributor, {
    reseller_id: tree.reseller1.id,
    asset: "CNY",
    delta: 10_000_000,
    reason: "plan",
  });
  expect(quota.statusCode, quota.body).toBe(200);
});
afterAll(async () => t?.close());

type Headers = Record<string, string>;
const post = (url: string, headers: Headers, payload: unknown) =>
  t.app.inject({ method: "POST", url, headers, payload: payload as object });

async function customer(name: string) {
  return (await createTestOrgUnit(t, tenant.tenantId, tree.reseller1, "customer", name)).id;
}
async function template(productCodes?: string[]) {
  const response = await post("/v1/voucher-templates", tree.keys.reseller1, {
    name: "T",
    face_value: { amount: 1000, asset: "CNY" },
    validity: { kind: "relative", valid_days: 30 },
    scope: productCodes ? { kind: "allow", product_codes: productCodes } : { kind: "all" },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<{ id: string }>(response).id;
}
async function issue(templateId: string, customerId: string, amount: number) {
  const response = await post(`/v1/voucher-templates/${templateId}/issue`, tree.keys.reseller1, {
    recipients: [{ customer_id: customerId, amount }],
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<{ data: { id: string }[] }>(response).data[0]!.id;
}
const bill = (customerId: string, billId: string, amount: number, asset = "CNY") =>
  post("/v1/voucher-bills", tree.keys.owner, {
    bill_id: billId,
    customer_id: customerId,
    asset,
    lines: [{ product_code: "cvm", amount }],
  });
const refund = (billId: string, body: Record<string, unknown>) =>
  post(`/v1/voucher-bills/${billId}/refunds`, tree.keys.owner, body);
const count = (table: "voucher_bills" | "voucher_bill_refunds" | "voucher_usages") =>
  t.database.owner
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("tenant_id", "=", tenant.tenantId)
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));

describe("assets", () => {
  it("a bill in an asset the tenant does not have is refused and writes nothing", async () => {
    const c = await customer("No such asset");
    const before = await count("voucher_bills");
    expectProblem(await bill(c, "bill-xyz", 500, "XYZ"), 404, "asset_not_found");
    expect(await count("voucher_bills")).toBe(before);
    // The bill id stays free for the bill in the right asset.
    const ok = await bill(c, "bill-xyz", 500);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await count("voucher_bills")).toBe(before + 1);
  });
});

describe("bill ids", () => {
  it("a bill whose id has dots and colons can be read and refunded", async () => {
    const c = await customer("Dotted ids");
    await issue(await template(), c, 1_000);
    const paid = await bill(c, "ord:2026.11.001", 600);
    expect(paid.statusCode, paid.body).toBe(200);
    const read = await t.app.inject({ url: "/v1/voucher-bills/ord:2026.11.001", headers: tree.keys.owner });
    expect(read.statusCode, read.body).toBe(200);
    expect(json(read)).toMatchObject({ bill_id: "ord:2026.11.001", deducted_amount: 600 });
    const back = await refund("ord:2026.11.001", { refund_id: "rf:2026.11.001" });
    expect(back.statusCode, back.body).toBe(200);
    expect(json(back)).toMatchObject({ bill_id: "ord:2026.11.001", returned_amount: 600 });
  });

  it("one refund id may refund two different bills; each replays on its own", async () => {
    const c = await customer("Refund ids");
    await issue(await template(), c, 1_000);
    expect((await bill(c, "rid-a", 400)).statusCode).toBe(200);
    expect((await bill(c, "rid-b", 400)).statusCode).toBe(200);
    const a = await refund("rid-a", { refund_id: "shared-refund" });
    const b = await refund("rid-b", { refund_id: "shared-refund" });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(json(a).id).not.toBe(json(b).id);
    expect(json(await refund("rid-b", { refund_id: "shared-refund" }))).toEqual(json(b));
    expectProblem(
      await refund("rid-a", { refund_id: "shared-refund", lines: [{ line_index: 0, amount: 1 }] }),
      409,
      "refund_id_reused",
    );
  });
});

describe("bills and refunds of shared vouchers at once", () => {
  it("concurrent bills and refunds of overlapping vouchers all succeed and leave a clean ledger", async () => {
    const ctx = { actor: systemActor(tenant.tenantId, "test.bills"), requestId: null };
    const shared = await customer("Shared holder");
    const holders = [await customer("Holder one"), await customer("Holder two")];
    // The shared holder's vouchers are issued first, so their ids sort before the holders' own;
    // a holder's own pay only the cvm line, so every bill uses both its own and the shared ones.
    const anything = await template();
    const cvmOnly = await template(["cvm"]);
    const sharedIds: string[] = [];
    for (let i = 0; i < 2; i++) sharedIds.push(await issue(anything, shared, 1_000_000));
    const ownIds: string[] = [];
    for (const h of holders) for (let i = 0; i < 2; i++) ownIds.push(await issue(cvmOnly, h, 1_000_000));
    expect([...sharedIds, ...ownIds].sort()).toEqual([...sharedIds, ...ownIds]);
    // One transaction per request (as with batching off, or two server processes): the
    // requests' row locks meet in the database. A unit runs more than once only when it was a
    // deadlock's victim (or failed serialization), so every unit must run exactly once.
    const ledger = new Ledger(t.deps.db, { clock: t.clock, batching: false });
    let reruns = 0;
    const seen = new Set<string>();
    const run = <T>(name: string, fn: (uow: UnitOfWork) => Promise<T>) =>
      ledger.run(tenant.tenantId, (uow) => {
        if (seen.has(name)) reruns++;
        seen.add(name);
        return fn(uow);
      });
    const pay = (holder: string, billId: string) =>
      run(billId, (uow) =>
        deductBill(
          uow,
          ctx,
          {
            customerId: holder,
            billId,
            asset: "CNY",
            lines: [
              { product_code: "cvm", amount: 300 },
              { product_code: "cos", amount: 300 },
            ],
            sharedHolderIds: [shared],
          },
          t.clock.now(),
        ),
      );
    const giveBack = (billId: string) =>
      run(`${billId}-r`, (uow) =>
        refundBill(uow, ctx, { billId, refundId: `${billId}-r`, lines: null }, t.clock.now()),
      );
    for (let round = 0; round < 20; round++) {
      // Each round refunds the bills of the round before (which used both the holders' own and
      // the shared vouchers) while new bills of both holders use the same vouchers.
      const previous = holders.map((h, i) => `race-${round - 1}-${i}-${h}`);
      const settled = await Promise.allSettled([
        ...holders.map((h, i) => pay(h, `race-${round}-${i}-${h}`)),
        ...(round > 0 ? previous.map(giveBack) : []),
      ]);
      const failed = settled.filter((s) => s.status === "rejected");
      expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
      for (const s of settled.slice(0, holders.length)) {
        const paid = (s as PromiseFulfilledResult<Awaited<ReturnType<typeof pay>>>).value;
        // Each bill used its holder's own voucher and a shared one.
        expect(paid.lines.map((l) => l.deductions.length)).toEqual([1, 1]);
        expect(sharedIds).toContain(paid.lines[1]!.deductions[0]!.voucherId);
      }
    }
    expect(reruns).toBe(0);
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  });
});
