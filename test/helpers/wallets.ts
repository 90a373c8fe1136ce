import { expect } from "vitest";
import { creditTaggedTopup } from "../../src/modules/wallets/index.js";
import { systemActor } from "../../src/platform/auth/actor.js";
import { newId } from "../../src/shared/ids.js";
import { json, type TestApp, type TestTenant } from "./app.js";

export interface BalanceBody {
  principal: number;
  bonus: number;
  total: number;
  available: number;
  held: number;
  points: number;
  referral_points: number;
}

/**
 * Calls as one tenant's owner: every POST gets a fresh Idempotency-Key; `ok` asserts a
 * 2xx answer; `newMember` registers one; `balance` reads a member's balance.
 */
export function walletClient(t: TestApp, tenant: TestTenant) {
  let key = 0;
  const call = (method: "GET" | "POST" | "PATCH", url: string, payload?: object, headers = tenant.auth) =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(method === "POST" ? { "idempotency-key": `k-${++key}` } : {}) },
      ...(payload ? { payload } : {}),
    });
  const ok = async <T = Record<string, unknown>>(
    method: "GET" | "POST" | "PATCH",
    url: string,
    payload?: object,
  ) => {
    const r = await call(method, url, payload);
    expect(r.statusCode, r.body).toBeLessThan(300);
    return json<T>(r);
  };
  const newMember = async (name = "M") => (await ok<{ id: string }>("POST", "/v1/members", { name })).id;
  const balance = (id: string) => ok<BalanceBody>("GET", `/v1/members/${id}/balance`);
  return { call, ok, newMember, balance };
}

/**
 * Gives the member `count` plan top-ups at the till (principal and bonus each, so two lots
 * with money left apiece), credited as a plan top-up credits them, in one unit of work.
 */
export async function fillLots(t: TestApp, tenantId: string, memberId: string, count: number) {
  const ctx = { actor: systemActor(tenantId, "test"), requestId: null };
  await t.deps.ledger.run(tenantId, async (uow) => {
    for (let i = 0; i < count; i++) {
      await creditTaggedTopup(
        uow,
        ctx,
        {
          memberId,
          source: { type: "topup", id: newId("tup"), name: "Plan" },
          principal: 100,
          bonus: 1,
          channel: "offline",
          rules: { eligibleSkus: null, sameDayLimitBps: null, noBonusOnTopupDay: false },
        },
        t.clock.now(),
      );
    }
  });
}
