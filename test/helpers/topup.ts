import { expect } from "vitest";
import { json, type TestApp, type TestTenant } from "./app.js";

/** Calls as one tenant's owner, with a fresh Idempotency-Key on every POST. */
export function topupClient(t: TestApp, tenant: TestTenant) {
  let key = 0;
  const call = (
    method: "GET" | "POST" | "PATCH" | "PUT",
    url: string,
    payload?: object,
    headers = tenant.auth,
  ) =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(method === "POST" ? { "idempotency-key": `tk-${++key}` } : {}) },
      ...(payload ? { payload } : {}),
    });
  const ok = async <T = Record<string, unknown>>(
    method: "GET" | "POST" | "PATCH" | "PUT",
    url: string,
    payload?: object,
  ) => {
    const r = await call(method, url, payload);
    expect(r.statusCode, r.body).toBeLessThan(300);
    return json<T>(r);
  };
  const newMember = async (extra: object = {}) =>
    (await ok<{ id: string }>("POST", "/v1/members", { name: "M", ...extra })).id;
  const balance = (id: string) =>
    ok<{ principal: number; bonus: number; total: number; available: number; points: number }>(
      "GET",
      `/v1/members/${id}/balance`,
    );
  const plan = async (body: object) => (await ok<{ id: string }>("POST", "/v1/topup-plans", body)).id;
  const topUp = (planId: string, body: object) => call("POST", `/v1/topup-plans/${planId}/top-ups`, body);
  return { call, ok, newMember, balance, plan, topUp };
}

export interface TopupBody {
  id: string;
  member_id: string;
  status: string;
  amount: number;
  refunded_amount: number;
  bonus_amount: number;
  points: number;
  first_topup: boolean;
  gift: { perk: string; status: string; voucher_ids: string[] }[];
  details: Record<string, unknown>;
  checkout: Record<string, unknown> | null;
  recharge_code_id: string | null;
}
