import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { createTestKey, createTestOrgUnit, json, type TestApp, type TestTenant } from "./app.js";

/** A tenant's platform keys (owner, finance) and a merchant with its own scoped operator key. */
export interface DepositWorld {
  t: TestApp;
  tenant: TestTenant;
  finance: { authorization: string };
}

export interface Merchant {
  id: string;
  path: string;
  company: string;
  auth: { authorization: string };
}

export async function depositWorld(t: TestApp, tenant: TestTenant): Promise<DepositWorld> {
  const finance = await createTestKey(t, tenant.tenantId, "finance");
  return { t, tenant, finance: finance.auth };
}

let merchantSeq = 0;

export async function createMerchant(w: DepositWorld, company?: string): Promise<Merchant> {
  const name = company ?? `Merchant Co ${++merchantSeq}`;
  const unit = await createTestOrgUnit(
    w.t,
    w.tenant.tenantId,
    { id: w.tenant.rootOrgUnitId, path: `/${w.tenant.rootOrgUnitId}/` },
    "merchant",
    name,
  );
  const key = await createTestKey(w.t, w.tenant.tenantId, "operator", unit.id);
  return { id: unit.id, path: unit.path, company: name, auth: key.auth };
}

export async function call(
  w: DepositWorld,
  auth: { authorization: string },
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return w.t.app.inject({
    method,
    url,
    headers: { ...auth, ...headers },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

export function ok<T = Record<string, unknown>>(response: LightMyRequestResponse, status = 200): T {
  if (response.statusCode !== status) {
    throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`);
  }
  return json<T>(response);
}

export function expectCode(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(String(response.headers["content-type"])).toContain("application/problem+json");
  expect(json<{ code: string }>(response).code).toBe(code);
}

let bankSeq = 0;
export const nextBankTxn = () => `BANK-${Date.now().toString(36)}-${++bankSeq}`;

export async function bankRecord(
  w: DepositWorld,
  record: { payer_name: string; amount: number; reference?: string; bank_transaction_id?: string },
) {
  const body = ok<{ data: Record<string, unknown>[] }>(
    await call(w, w.finance, "POST", "/v1/deposit-bank-records", {
      records: [
        {
          bank_transaction_id: record.bank_transaction_id ?? nextBankTxn(),
          payer_name: record.payer_name,
          amount: record.amount,
          asset: "CNY",
          ...(record.reference ? { reference: record.reference } : {}),
          received_at: w.t.clock.now().toISOString(),
        },
      ],
    }),
  );
  return body.data[0]!;
}

/** Binds a bank account, opens, configures warnings: the account is `pending_activation`. */
export async function openConfigured(
  w: DepositWorld,
  m: Merchant,
  warning: { warning_value: number; emails?: string[]; phones?: string[] } = { warning_value: 500_000 },
): Promise<string> {
  ok(
    await call(w, m.auth, "PUT", `/v1/merchants/${m.id}/deposit-bank-binding`, {
      company_name: m.company,
      bank_name: "ICBC",
      branch: "Chaoyang",
      account_number: "6222 0000 1111",
    }),
  );
  const account = ok<{ id: string }>(
    await call(w, m.auth, "POST", "/v1/deposit-accounts", { merchant_id: m.id }),
    201,
  );
  ok(
    await call(w, m.auth, "PUT", `/v1/deposit-accounts/${account.id}/warning-settings`, {
      warning_value: warning.warning_value,
      emails: warning.emails ?? ["ops@merchant.example"],
      phones: warning.phones ?? ["13800138000"],
    }),
  );
  return account.id;
}

export async function topUp(w: DepositWorld, m: Merchant, accountId: string, amount: number) {
  const topup = ok<{ id: string; reference: string }>(
    await call(w, m.auth, "POST", `/v1/deposit-accounts/${accountId}/topups`, { amount }),
    201,
  );
  const record = await bankRecord(w, { payer_name: m.company, amount, reference: topup.reference });
  expect(record.status).toBe("matched");
  return topup;
}

/** An active account with `amount` available. */
export async function activeAccount(w: DepositWorld, m: Merchant, amount = 300_000, warningValue = 0) {
  const id = await openConfigured(w, m, { warning_value: warningValue });
  await topUp(w, m, id, amount);
  return id;
}

export async function accountOf(w: DepositWorld, auth: { authorization: string }, id: string) {
  return ok<{
    status: string;
    available: number;
    frozen: number;
    withdrawal_held: number;
    arrears: number;
    balance: number;
    campaigns_suspended: boolean;
    total_topped_up: number;
    total_settled: number;
    total_withdrawn: number;
    suspension_threshold: number;
  }>(await call(w, auth, "GET", `/v1/deposit-accounts/${id}`));
}
