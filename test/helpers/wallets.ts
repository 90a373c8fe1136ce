import { expect } from "vitest";
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
