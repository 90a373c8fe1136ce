import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { systemActor } from "../../platform/auth/actor.js";
import { creditTaggedTopup } from "./credit-tagged-topup.js";
import { checkSpendableLots, MAX_OPEN_LOTS, MAX_SPENDABLE_LOTS } from "./lots.repository.js";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof walletClient>;
let source = 0;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Many lots");
  c = walletClient(t, tenant);
});
afterAll(async () => t?.close());

/** `count` plan top-ups of `amount` each (no bonus), credited as a plan top-up credits them. */
async function topUpLots(memberId: string, count: number, amount: number) {
  const ctx = { actor: systemActor(tenant.tenantId, "test"), requestId: null };
  await t.deps.ledger.run(tenant.tenantId, async (uow) => {
    for (let i = 0; i < count; i++) {
      const id = `tup_test_${++source}`;
      await creditTaggedTopup(
        uow,
        ctx,
        {
          memberId,
          source: { type: "topup", id, name: "Plan" },
          principal: amount,
          bonus: 0,
          channel: "offline",
          rules: { eligibleSkus: null, sameDayLimitBps: null, noBonusOnTopupDay: false },
        },
        t.clock.now(),
      );
    }
  });
}

let order = 0;
const pay = (memberId: string, amount: number) =>
  c.call("POST", "/v1/wallet-payments", {
    member_id: memberId,
    order_id: `SO-${++order}`,
    currency: "CNY",
    lines: [],
    amount_due: amount,
    external_method: "none",
  });

describe("a member whose refunds reopened more lots than a top-up may open", () => {
  it("spends every lot with money left", async () => {
    const m = await c.newMember();
    const perRound = 150;
    const payments: string[] = [];
    // Two rounds of lots, each spent whole, then a third round left open.
    for (let round = 0; round < 3; round++) {
      t.clock.advance(60_000);
      await topUpLots(m, perRound, 100);
      if (round < 2) {
        const r = await pay(m, perRound * 100);
        expect(r.statusCode, r.body).toBe(201);
        payments.push(json<{ id: string }>(r).id);
      }
    }
    // Refunds put the money back into the lots that paid: 450 lots hold money.
    for (const id of payments) {
      await c.ok("POST", `/v1/wallet-payments/${id}/refunds`, { amount: perRound * 100 });
    }
    expect(3 * perRound).toBeGreaterThan(2 * MAX_OPEN_LOTS);
    expect(await c.balance(m)).toMatchObject({ total: 45_000, available: 45_000 });

    const r = await pay(m, 45_000);
    expect(r.statusCode, r.body).toBe(201);
    expect(await c.balance(m)).toMatchObject({ total: 0 });
    // Every lot paid, the oldest first.
    const legs = await t.database.owner
      .selectFrom("wallet_payment_legs")
      .select("lot_id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("payment_id", "=", json<{ id: string }>(r).id)
      .orderBy("seq")
      .execute();
    const lots = await t.database.owner
      .selectFrom("wallet_lots")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("member_id", "=", m)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    expect(legs.map((l) => l.lot_id)).toEqual(lots.map((l) => l.id));
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  }, 180_000);
});

describe("the bound on lots a balance operation reads", () => {
  it("is a clear refusal, never money silently left out", () => {
    const lots = Array.from({ length: MAX_SPENDABLE_LOTS + 1 }, (_, i) => i);
    expect(checkSpendableLots(lots.slice(1))).toHaveLength(MAX_SPENDABLE_LOTS);
    expect(() => checkSpendableLots(lots)).toThrow(
      expect.objectContaining({ code: "too_many_open_lots" }) as unknown as Error,
    );
  });
});
