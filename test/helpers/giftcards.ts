import { expect } from "vitest";
import { createAsset, findAccount } from "../../src/ledger/index.js";
import { createTestOrgUnit, createTestTenant, json, type TestApp, type TestTenant } from "./app.js";

export interface SaleBody {
  object: "gift_card_sale";
  card: { id: string; number: string; balance: number; status: string; expires_at: string | null };
  activity: { id: string; type: string; amount: number; balance_after: number } | null;
  pin: string | null;
}

export interface ActivityBody {
  id: string;
  type: string;
  amount: number;
  balance_after: number;
  returned_to: string | null;
}

/** The seed's plan: 200 with 20 off, a custom 50–5,000, POS recharge on, 1 year after purchase. */
export const SEED_PLAN = {
  name: "2025 Mid-Autumn Reunion E-Cash Card",
  card_type: "electronic",
  currency: "CNY",
  design: { kind: "template", template: "festival" },
  denominations: [
    { amount: 10000, discount: 0 },
    { amount: 20000, discount: 2000 },
  ],
  custom_amount: { min: 5000, max: 500000 },
  validity: { kind: "after_purchase", years: 1 },
  channels: ["POS", "ONLINE"],
  pos_recharge: true,
};

/**
 * Calls as one tenant's staff: every POST gets a fresh Idempotency-Key unless one is given;
 * `ok` asserts a 2xx answer; helpers make an active plan, sell a card, read balances.
 */
export function giftCardClient(t: TestApp, tenant: TestTenant) {
  let key = 0;
  const call = (
    method: "GET" | "POST" | "PATCH",
    url: string,
    payload?: object,
    headers: Record<string, string> = tenant.auth,
    idempotencyKey: string | null = `gk-${++key}-${Math.random().toString(36).slice(2)}`,
  ) =>
    t.app.inject({
      method,
      url,
      headers: {
        ...headers,
        ...(method === "POST" && idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
      },
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
  const activePlan = async (overrides: object = {}) => {
    const plan = await ok<{ id: string }>("POST", "/v1/gift-card-plans", { ...SEED_PLAN, ...overrides });
    await ok("POST", `/v1/gift-card-plans/${plan.id}/activate`, {});
    return plan.id;
  };
  const sell = (planId: string, amount: number | undefined, extra: object = {}) =>
    ok<SaleBody>("POST", "/v1/gift-cards", {
      plan_id: planId,
      amount,
      payment: { method: "offline", ref: "receipt" },
      ...extra,
    });
  const card = (id: string) => ok<SaleBody["card"] & Record<string, unknown>>("GET", `/v1/gift-cards/${id}`);
  const posted = async (accountId: string) => {
    const account = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      findAccount(trx, tenant.tenantId, accountId),
    );
    return account
      ? { debits: account.debits_posted, credits: account.credits_posted }
      : { debits: 0, credits: 0 };
  };
  return { call, ok, activePlan, sell, card, posted };
}

/** A new tenant with the CNY asset in its ledger, and a gift card client calling as its owner. */
export async function giftCardTenant(t: TestApp) {
  const tenant = await createTestTenant(t);
  await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
    createAsset(trx, tenant.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, t.clock.now()),
  );
  return { tenant, gc: giftCardClient(t, tenant) };
}

/** Two stores under the tenant's root unit. */
export async function twoStores(t: TestApp, tenant: TestTenant): Promise<[string, string]> {
  const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
  const a = await createTestOrgUnit(t, tenant.tenantId, root, "store", "Store A");
  const b = await createTestOrgUnit(t, tenant.tenantId, root, "store", "Store B");
  return [a.id, b.id];
}
