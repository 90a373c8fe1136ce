import { expect } from "vitest";
import { signTestWebhook, testProviderSecret } from "../../src/modules/wallets/index.js";
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

/**
 * The test provider's signed notice about an online top-up (its payment reference taken from
 * the top-up's pay URL), posted to the tenant's top-up webhook: `body` adds the notice's id,
 * status and, for a refund, `kind`, `refund_amount` and `refund_id`.
 */
export function notifyTopupPayment(
  t: TestApp,
  tenantId: string,
  topup: Pick<TopupBody, "amount" | "checkout">,
  body: Record<string, unknown>,
) {
  const signed = signTestWebhook(
    testProviderSecret(t.config.signingSecret),
    {
      provider_ref: String(topup.checkout?.pay_url).replace("test://pay/", ""),
      amount: topup.amount,
      currency: "CNY",
      ...body,
    },
    t.clock.now(),
  );
  return t.app.inject({
    method: "POST",
    url: `/v1/topup-payment-webhooks/test/${tenantId}`,
    headers: { ...signed.headers, "content-type": "application/json" },
    payload: signed.body,
  });
}
