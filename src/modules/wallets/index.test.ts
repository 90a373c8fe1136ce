import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import {
  balanceForCart,
  orderPoints,
  payOrderByBalance,
  refundOrderBalance,
  runWalletExpiry,
  withinTransaction,
} from "./index.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

async function post(url: string, payload: object) {
  const r = await t.app.inject({
    method: "POST",
    url,
    headers: { ...tenant.auth, "idempotency-key": url + JSON.stringify(payload) },
    payload,
  });
  expect(r.statusCode, r.body).toBeLessThan(300);
  return json<{ id: string }>(r);
}

describe("wallets inside another module's transaction", () => {
  it("pays, refunds and awards points in the caller's transaction, and rolls back with it", async () => {
    const m = (await post("/v1/members", { name: "Checkout" })).id;
    await post(`/v1/members/${m}/top-ups`, { amount: 1000 });
    const ctx = {
      actor: {
        tenantId: tenant.tenantId,
        type: "system" as const,
        id: "checkout",
        role: "system" as const,
        orgUnitId: null,
        orgUnitPath: null,
        memberId: null,
      },
      requestId: null,
    };
    const now = t.clock.now();
    const paymentId = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      withinTransaction(trx, tenant.tenantId, t.deps.ledger.within(trx, tenant.tenantId), async (uow) => {
        expect((await balanceForCart(uow, m, "CNY", now)).available).toBe(1000);
        expect((await balanceForCart(uow, m, "USD", now)).available).toBe(0);
        const id = await payOrderByBalance(
          uow,
          ctx,
          { orderId: "CO-1", memberId: m, currency: "CNY", amount: 600 },
          now,
        );
        await orderPoints(uow, ctx, { memberId: m, points: 6, orderId: "CO-1" }, now);
        return id;
      }),
    );
    await expect(
      t.deps.db.tenantTx(tenant.tenantId, (trx) =>
        withinTransaction(trx, tenant.tenantId, t.deps.ledger.within(trx, tenant.tenantId), async (uow) => {
          await refundOrderBalance(uow, ctx, { paymentId, amount: 600 }, now);
          throw new Error("the order failed after the refund");
        }),
      ),
    ).rejects.toThrow("the order failed");
    const bal = json<{ total: number; points: number }>(
      await t.app.inject({ method: "GET", url: `/v1/members/${m}/balance`, headers: tenant.auth }),
    );
    expect(bal).toMatchObject({ total: 400, points: 6 });
    const log = await t.database.owner
      .selectFrom("wallet_changes")
      .select("kind")
      .where("member_id", "=", m)
      .execute();
    expect(log.map((r) => r.kind).sort()).toEqual(["payment", "points_earn", "topup_offline"]);
  });

  it("the expiry job releases timed-out holds in every tenant", async () => {
    const m = (await post("/v1/members", { name: "Held" })).id;
    await post(`/v1/members/${m}/top-ups`, { amount: 1000 });
    await post("/v1/wallet-payments", {
      member_id: m,
      order_id: "H1",
      currency: "CNY",
      lines: [],
      amount_due: 900,
      balance_amount: 500,
      external_method: "online",
      timeout_seconds: 60,
    });
    expect(await runWalletExpiry(t.deps)).toEqual({ payments: 0, lots: 0 });
    t.clock.advance(60_000);
    expect(await runWalletExpiry(t.deps)).toEqual({ payments: 1, lots: 0 });
    expect(await runWalletExpiry(t.deps)).toEqual({ payments: 0, lots: 0 });
    const schedules = await t.database.owner
      .selectFrom("job_schedules")
      .select(["key", "job_name"])
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(schedules).toContainEqual({ key: "wallets.expire", job_name: "wallets.expire" });
  });
});
