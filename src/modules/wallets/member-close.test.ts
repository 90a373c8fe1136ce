import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { walletClient } from "../../../test/helpers/wallets.js";

/** A member is closed with an empty wallet: closing is final, and a closed account can neither spend nor withdraw. */
let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof walletClient>;
beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Closing members");
  c = walletClient(t, tenant);
});
afterAll(async () => t?.close());

const close = (m: string) => c.call("PATCH", `/v1/members/${m}`, { status: "closed" });
const statusOf = async (m: string) => (await c.ok<{ status: string }>("GET", `/v1/members/${m}`)).status;

describe("closing a member", () => {
  it("is refused while the member holds principal, bonus or a held payment, and allowed once it is all withdrawn or released", async () => {
    const { audit, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const m = await c.newMember("Holds money");
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 10_000 });
    await c.ok("POST", `/v1/members/${m}/rewards`, { account: "balance", amount: 500, source: "promotion" });
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 100 });
    const before = await audit(m);

    const refused = expectProblem(await close(m), 409, "member_balance_not_settled");
    expect(refused).toMatchObject({ principal: 10_000, bonus: 500, held: 0, available: 10_500 });
    expect(await statusOf(m)).toBe("active");
    expect(await audit(m)).toEqual(before);

    // Part of it held for an order: withdrawing what is available still leaves the hold.
    const held = await c.ok<{ id: string }>("POST", "/v1/wallet-payments", {
      member_id: m,
      order_id: "ORDER-1",
      currency: "CNY",
      lines: [],
      amount_due: 3_000,
      balance_amount: 2_000,
      external_method: "online",
      timeout_seconds: 600,
    });
    await c.ok("POST", `/v1/members/${m}/withdrawals`, { amount: 8_500 });
    expect(expectProblem(await close(m), 409, "member_balance_not_settled")).toMatchObject({
      held: 2_000,
      available: 0,
    });
    await c.ok("POST", `/v1/wallet-payments/${held.id}/cancel`);
    expect(await c.balance(m)).toMatchObject({ total: 2_000, held: 0 });
    await c.ok("POST", `/v1/members/${m}/withdrawals`, { amount: 2_000 });

    // Empty: closed, points and all (points are not money).
    const closed = await close(m);
    expect(closed.statusCode, closed.body).toBe(200);
    expect(await statusOf(m)).toBe("closed");
    expect(await c.balance(m)).toMatchObject({ total: 0, points: 100 });
    await ledgerClean();
  });

  it("racing a top-up, never ends closed with money in it", async () => {
    const members = await Promise.all(Array.from({ length: 12 }, (_, i) => c.newMember(`Race ${i}`)));
    const outcomes = await Promise.all(
      members.map(async (m) => {
        const [topUp, closing] = await Promise.all([
          c.call("POST", `/v1/members/${m}/top-ups`, { amount: 700 }),
          close(m),
        ]);
        return { m, topUp: topUp.statusCode, closing: closing.statusCode };
      }),
    );
    for (const { m, topUp, closing } of outcomes) {
      const [status, balance] = [await statusOf(m), await c.balance(m)];
      // One of the two wins: a top-up first keeps the member open; a close first refuses the top-up.
      if (status === "closed") {
        expect(closing).toBe(200);
        expect(topUp).toBeGreaterThanOrEqual(400);
        expect(balance.total).toBe(0);
      } else {
        expect(closing).toBe(409);
        expect(topUp).toBe(201);
        expect(balance.total).toBe(700);
      }
    }
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  });
});
