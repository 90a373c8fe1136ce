import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";
import { signTestWebhook, testProviderSecret } from "./payment-providers.js";

let t: TestApp;
let tenant: TestTenant;
let key = 0;
interface Intent {
  id: string;
  status: string;
  amount: number;
  checkout: { pay_url: string };
}

async function post(url: string, payload: object, headers: Record<string, string> = tenant.auth) {
  return t.app.inject({
    method: "POST",
    url,
    headers: { ...headers, "idempotency-key": `k-${++key}` },
    payload,
  });
}
async function providerRefOf(intentId: string) {
  const row = await t.database.owner
    .selectFrom("wallet_topup_intents")
    .select("provider_ref")
    .where("id", "=", intentId)
    .executeTakeFirstOrThrow();
  return row.provider_ref;
}
async function webhook(
  intent: Intent,
  status: "succeeded" | "failed" = "succeeded",
  over: Record<string, unknown> = {},
  secret?: string,
) {
  const body = {
    id: `evt_${++key}`,
    provider_ref: await providerRefOf(intent.id),
    status,
    amount: intent.amount,
    currency: "CNY",
    ...over,
  };
  const signed = signTestWebhook(secret ?? testProviderSecret(t.config.signingSecret), body, t.clock.now());
  return t.app.inject({
    method: "POST",
    url: `/v1/payment-webhooks/test/${tenant.tenantId}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
}
const balanceOf = async (m: string) =>
  json<{ principal: number; total: number }>(
    await t.app.inject({ method: "GET", url: `/v1/members/${m}/balance`, headers: tenant.auth }),
  );

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

describe("online top-up", () => {
  it("a member starts a top-up; the signed confirmation credits principal exactly once", async () => {
    const m = json<{ id: string }>(await post("/v1/members", { name: "Online" })).id;
    const auth = await memberAuth(t, tenant, m);
    const r = await post(`/v1/members/${m}/topup-intents`, { amount: 5000 }, auth);
    expect(r.statusCode, r.body).toBe(201);
    const intent = json<Intent>(r);
    expect(intent).toMatchObject({ status: "pending", amount: 5000 });
    expect(intent.checkout.pay_url).toMatch(/^test:\/\/pay\//);
    expect(await balanceOf(m)).toMatchObject({ total: 0 });
    const first = await webhook(intent);
    expect(first.statusCode, first.body).toBe(200);
    expect(json(first)).toMatchObject({ result: "credited", intent_id: intent.id });
    expectProblem(await webhook(intent), 409, "topup_intent_closed");
    expect(await balanceOf(m)).toMatchObject({ principal: 5000, total: 5000 });
    const seen = json<Intent>(
      await t.app.inject({ method: "GET", url: `/v1/topup-intents/${intent.id}`, headers: auth }),
    );
    expect(seen.status).toBe("succeeded");
    const log = json<{ data: Record<string, unknown>[] }>(
      await t.app.inject({ method: "GET", url: `/v1/members/${m}/balance-changes`, headers: auth }),
    );
    expect(log.data).toHaveLength(1);
    expect(log.data[0]).toMatchObject({
      kind: "topup_online",
      amount: 5000,
      source: "test",
      source_ref: intent.id,
    });
    const events = await t.database.owner
      .selectFrom("events")
      .select("type")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(events.filter((e) => e.type === "wallet.topped_up")).toHaveLength(1);
  });

  it("concurrent duplicate confirmations credit once", async () => {
    const m = json<{ id: string }>(await post("/v1/members", { name: "Twice" })).id;
    const intent = json<Intent>(await post(`/v1/members/${m}/topup-intents`, { amount: 1234 }));
    const results = await Promise.all(Array.from({ length: 10 }, () => webhook(intent)));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(9);
    expect(await balanceOf(m)).toMatchObject({ total: 1234 });
  });

  it("failed, late, tampered or mismatched confirmations credit nothing; a later success does", async () => {
    const m = json<{ id: string }>(await post("/v1/members", { name: "Nope" })).id;
    const failed = json<Intent>(await post(`/v1/members/${m}/topup-intents`, { amount: 100 }));
    expect(json(await webhook(failed, "failed"))).toMatchObject({ result: "failed" });
    expectProblem(await webhook(failed, "failed"), 409, "topup_intent_closed");
    // The member retried and paid: the balance is credited then (late-topup.test.ts).
    expect(json(await webhook(failed, "succeeded"))).toMatchObject({ result: "credited" });
    expect(await balanceOf(m)).toMatchObject({ total: 100 });

    const wrong = json<Intent>(await post(`/v1/members/${m}/topup-intents`, { amount: 100 }));
    expectProblem(await webhook(wrong, "succeeded", {}, "not-the-secret"), 401, "webhook_signature_invalid");
    expectProblem(await webhook(wrong, "succeeded", { amount: 101 }), 422, "amount_mismatch");
    const unsigned = await t.app.inject({
      method: "POST",
      url: `/v1/payment-webhooks/test/${tenant.tenantId}`,
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    expectProblem(unsigned, 401, "webhook_signature_invalid");

    const late = json<Intent>(await post(`/v1/members/${m}/topup-intents`, { amount: 100 }));
    t.clock.advance(1801_000);
    expect(json(await webhook(late, "failed"))).toMatchObject({ result: "expired" });
    expect(await balanceOf(m)).toMatchObject({ total: 100 });
  });

  it("refuses online top-up and balance reads to members while the balance is hidden", async () => {
    const m = json<{ id: string }>(await post("/v1/members", { name: "Hidden" })).id;
    const auth = await memberAuth(t, tenant, m);
    await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      headers: tenant.auth,
      payload: { hide_balance_in_member_center: true },
    });
    expectProblem(await post(`/v1/members/${m}/topup-intents`, { amount: 100 }, auth), 403, "balance_hidden");
    expectProblem(
      await t.app.inject({ method: "GET", url: `/v1/members/${m}/balance`, headers: auth }),
      403,
      "balance_hidden",
    );
    expect(
      (await t.app.inject({ method: "GET", url: `/v1/members/${m}/balance`, headers: tenant.auth }))
        .statusCode,
    ).toBe(200);
    await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      headers: tenant.auth,
      payload: { hide_balance_in_member_center: false },
    });
  });

  it("a member token reaches only its own balance, log, payments and top-ups, and nothing else", async () => {
    const a = json<{ id: string }>(await post("/v1/members", { name: "A" })).id;
    const b = json<{ id: string }>(await post("/v1/members", { name: "B" })).id;
    const auth = await memberAuth(t, tenant, a);
    await post(`/v1/members/${a}/top-ups`, { amount: 500 });
    await post(`/v1/members/${b}/top-ups`, { amount: 500 });
    await post("/v1/wallet-payments", {
      member_id: a,
      order_id: "MA",
      currency: "CNY",
      lines: [],
      amount_due: 100,
      external_method: "none",
    });
    await post("/v1/wallet-payments", {
      member_id: b,
      order_id: "MB",
      currency: "CNY",
      lines: [],
      amount_due: 100,
      external_method: "none",
    });
    const mine = json<{ data: { order_id: string }[] }>(
      await t.app.inject({ method: "GET", url: "/v1/wallet-payments", headers: auth }),
    );
    expect(mine.data.map((p) => p.order_id)).toEqual(["MA"]);
    expectProblem(
      await t.app.inject({ method: "GET", url: `/v1/members/${b}/balance`, headers: auth }),
      404,
      "member_not_found",
    );
    expectProblem(
      await t.app.inject({ method: "GET", url: `/v1/members/${b}/balance-changes`, headers: auth }),
      404,
      "member_not_found",
    );
    expectProblem(
      await t.app.inject({ method: "GET", url: `/v1/wallet-payments?member_id=${b}`, headers: auth }),
      404,
      "member_not_found",
    );
    expectProblem(
      await post(`/v1/members/${b}/topup-intents`, { amount: 100 }, auth),
      404,
      "member_not_found",
    );
    expectProblem(await post(`/v1/members/${a}/top-ups`, { amount: 100 }, auth), 403, "forbidden");
    expectProblem(await post(`/v1/members/${a}/withdrawals`, { amount: 100 }, auth), 403, "forbidden");
    expectProblem(
      await post(
        "/v1/wallet-payments",
        { member_id: a, order_id: "X", currency: "CNY", lines: [], amount_due: 1, external_method: "none" },
        auth,
      ),
      403,
      "forbidden",
    );
    expect(
      json(await t.app.inject({ method: "GET", url: `/v1/members/${a}/balance`, headers: auth })),
    ).toMatchObject({ total: 400 });
  });
});
