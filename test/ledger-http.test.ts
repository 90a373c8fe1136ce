import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "./helpers/app.js";
import { expectProblem } from "./helpers/problem.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

interface AccountBody {
  id: string;
  balance: number;
  available: number;
  debits_pending: number;
  credits_posted: number;
  debits_posted: number;
  frozen_debits: boolean;
}
interface TransferBody {
  id: string;
  kind: string;
  amount: number;
  hold_state?: string;
}

const post = (url: string, payload: object = {}, headers: Record<string, string> = {}) =>
  t.app.inject({ method: "POST", url, headers: { ...tenant.auth, ...headers }, payload });
const get = (url: string, headers = tenant.auth) => t.app.inject({ url, headers });

async function account(body: Record<string, unknown>): Promise<AccountBody> {
  const r = await post("/v1/ledger/accounts", { asset: "CNY", ...body });
  expect(r.statusCode, r.body).toBe(201);
  return json<AccountBody>(r);
}

describe("ledger HTTP API", () => {
  let cash: AccountBody;
  let wallet: AccountBody;
  let shop: AccountBody;

  beforeAll(async () => {
    // The tenant's currency is set up with the tenant: creating it answers the existing asset.
    const asset = await post("/v1/ledger/assets", { code: "CNY", scale: 2, symbol: "¥", name: "Renminbi" });
    expect(asset.statusCode, asset.body).toBe(200);
    cash = await account({ kind: "cash" });
    wallet = await account({
      kind: "member_principal",
      debits_must_not_exceed_credits: true,
      owner_module: "members",
      owner_id: "mbr_1",
    });
    shop = await account({ kind: "merchant" });
  });

  it("creating an asset again answers 200 with the same asset; another scale is refused", async () => {
    const created = await post("/v1/ledger/assets", { code: "USD", scale: 2, name: "US dollar" });
    expect(created.statusCode, created.body).toBe(201);
    const again = await post("/v1/ledger/assets", { code: "USD", scale: 2, name: "US dollar" });
    expect(again.statusCode).toBe(200);
    expectProblem(await post("/v1/ledger/assets", { code: "CNY", scale: 3, name: "x" }), 409, "asset_exists");
    const list = json<{ data: { code: string }[] }>(await get("/v1/ledger/assets"));
    expect(list.data.map((a) => a.code)).toEqual(["CNY", "USD"]);
  });

  it("transfers, with idempotency by client id and by Idempotency-Key", async () => {
    const body = {
      id: "topup-1",
      debit_account_id: cash.id,
      credit_account_id: wallet.id,
      amount: 10_000,
      code: "topup",
    };
    const first = await post("/v1/ledger/transfers", body);
    expect(first.statusCode, first.body).toBe(201);
    const again = await post("/v1/ledger/transfers", body);
    expect(again.statusCode).toBe(200);
    expect(json<TransferBody>(again).id).toBe("topup-1");
    expectProblem(
      await post("/v1/ledger/transfers", { ...body, amount: 1 }),
      409,
      "exists_with_different_fields",
    );

    const keyed = { debit_account_id: wallet.id, credit_account_id: shop.id, amount: 100, code: "payment" };
    const k1 = await post("/v1/ledger/transfers", keyed, { "idempotency-key": "pay-1" });
    const k2 = await post("/v1/ledger/transfers", keyed, { "idempotency-key": "pay-1" });
    expect(k1.statusCode, k1.body).toBe(201);
    expect(k2.statusCode).toBe(201);
    expect(k2.headers["idempotent-replayed"]).toBe("true");
    expect(json<TransferBody>(k2).id).toBe(json<TransferBody>(k1).id);
    const w = json<AccountBody>(await get(`/v1/ledger/accounts/${wallet.id}`));
    expect(w).toMatchObject({ balance: 9_900, available: 9_900, debits_posted: 100 });
  });

  it("refusals are problem+json with the ledger's code", async () => {
    expectProblem(
      await post("/v1/ledger/transfers", {
        debit_account_id: wallet.id,
        credit_account_id: shop.id,
        amount: 1_000_000,
      }),
      422,
      "insufficient_funds",
    );
    expectProblem(
      await post("/v1/ledger/transfers", {
        debit_account_id: wallet.id,
        credit_account_id: "acc_nope",
        amount: 1,
      }),
      404,
      "account_not_found",
    );
    expectProblem(
      await post("/v1/ledger/transfers", {
        debit_account_id: wallet.id,
        credit_account_id: shop.id,
        amount: 0,
      }),
      400,
      "validation_failed",
    );
    expectProblem(await get("/v1/ledger/accounts/acc_nope"), 404, "account_not_found");
  });

  it("holds: post part, void, and each only once; freeze blocks debits", async () => {
    const hold = json<TransferBody>(
      await post("/v1/ledger/transfers", {
        debit_account_id: wallet.id,
        credit_account_id: shop.id,
        amount: 500,
        pending: true,
      }),
    );
    expect(hold.kind).toBe("pending");
    expect(json<AccountBody>(await get(`/v1/ledger/accounts/${wallet.id}`))).toMatchObject({
      debits_pending: 500,
      available: 9_400,
    });
    const posted = await post(`/v1/ledger/transfers/${hold.id}/post`, { amount: 200 });
    expect(posted.statusCode, posted.body).toBe(201);
    expectProblem(await post(`/v1/ledger/transfers/${hold.id}/void`, {}), 409, "pending_already_posted");
    expectProblem(
      await post(`/v1/ledger/transfers/${hold.id}/post`, { amount: 1 }),
      409,
      "pending_already_posted",
    );
    expect(json<TransferBody>(await get(`/v1/ledger/transfers/${hold.id}`)).hold_state).toBe("posted");

    const h2 = json<TransferBody>(
      await post("/v1/ledger/transfers", {
        debit_account_id: wallet.id,
        credit_account_id: shop.id,
        amount: 50,
        pending: true,
        timeout_seconds: 60,
      }),
    );
    expect((await post(`/v1/ledger/transfers/${h2.id}/void`, {})).statusCode).toBe(201);
    expectProblem(await post(`/v1/ledger/transfers/${h2.id}/post`, {}), 409, "pending_already_voided");

    const frozen = await post(`/v1/ledger/accounts/${wallet.id}/freeze`, { credits: false });
    expect(json<AccountBody>(frozen).frozen_debits).toBe(true);
    expectProblem(
      await post("/v1/ledger/transfers", {
        debit_account_id: wallet.id,
        credit_account_id: shop.id,
        amount: 1,
      }),
      422,
      "account_frozen",
    );
    expect((await post(`/v1/ledger/accounts/${wallet.id}/unfreeze`, {})).statusCode).toBe(200);
  });

  it("batch: per-transfer results, linked chains, at most 8,190 items", async () => {
    const r = await post("/v1/ledger/transfers/batch", {
      transfers: [
        { id: "b-1", debit_account_id: cash.id, credit_account_id: wallet.id, amount: 5 },
        {
          id: "b-2",
          debit_account_id: wallet.id,
          credit_account_id: shop.id,
          amount: 99_999_999,
          linked: true,
        },
        { id: "b-3", debit_account_id: cash.id, credit_account_id: shop.id, amount: 5 },
        { id: "b-1", debit_account_id: cash.id, credit_account_id: wallet.id, amount: 5 },
      ],
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(json(r)).toEqual({
      results: [
        { index: 0, result: "created", id: "b-1" },
        { index: 1, result: "insufficient_funds" },
        { index: 2, result: "linked_transfer_failed" },
        { index: 3, result: "exists", id: "b-1" },
      ],
      created: 1,
      failed: 2,
    });
    const tooMany = Array.from({ length: 8191 }, () => ({
      debit_account_id: cash.id,
      credit_account_id: shop.id,
      amount: 1,
    }));
    expectProblem(await post("/v1/ledger/transfers/batch", { transfers: tooMany }), 400, "validation_failed");
    const full = await post("/v1/ledger/transfers/batch", { transfers: tooMany.slice(1) });
    expect(full.statusCode).toBe(200);
    expect(json<{ created: number }>(full).created).toBe(8190);
  });

  it("lists, statement with running balance and CSV, trial balance, verify", async () => {
    const list = json<{ data: TransferBody[]; has_more: boolean }>(
      await get(`/v1/ledger/transfers?account_id=${wallet.id}&limit=2`),
    );
    expect(list.data).toHaveLength(2);
    expect(list.has_more).toBe(true);
    const next = json<{ data: TransferBody[] }>(
      await get(`/v1/ledger/transfers?account_id=${wallet.id}&limit=2&starting_after=${list.data[1]!.id}`),
    );
    expect(next.data[0]!.id).not.toBe(list.data[1]!.id);

    const s = json<{ data: { balance: number; posted_change: number }[] }>(
      await get(`/v1/ledger/accounts/${wallet.id}/statement?limit=100`),
    );
    let running = 0;
    for (const e of s.data) {
      running += e.posted_change;
      expect(e.balance).toBe(running);
    }
    expect(running).toBe(json<AccountBody>(await get(`/v1/ledger/accounts/${wallet.id}`)).balance);
    const csv = await get(`/v1/ledger/accounts/${wallet.id}/statement.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.body.split("\n")[0]).toBe(
      "created_at,transfer_id,kind,direction,code,change,balance,held,reference_module,reference_id,memo",
    );
    expect(csv.body).toContain("topup-1,posted,credit,topup,100.00,100.00");

    const accounts = json<{ data: AccountBody[] }>(
      await get("/v1/ledger/accounts?owner_module=members&owner_id=mbr_1"),
    );
    expect(accounts.data.map((a) => a.id)).toEqual([wallet.id]);

    const trial = json<{ assets: { asset: string; balanced: boolean }[] }>(
      await get("/v1/ledger/trial-balance"),
    );
    expect(trial.assets).toEqual([expect.objectContaining({ asset: "CNY", balanced: true })]);
    const verify = json<{ ok: boolean; differences: unknown[]; transfers_checked: number }>(
      await get("/v1/ledger/verify"),
    );
    expect(verify).toMatchObject({ ok: true, differences: [] });
    expect(verify.transfers_checked).toBeGreaterThan(8190);
  });

  it("only owner, admin and finance reach the ledger; tenants never see each other's accounts", async () => {
    const operator = await createTestKey(t, tenant.tenantId, "operator");
    expectProblem(await get("/v1/ledger/accounts", operator.auth), 403, "forbidden");
    const finance = await createTestKey(t, tenant.tenantId, "finance");
    expect((await get("/v1/ledger/accounts", finance.auth)).statusCode).toBe(200);
    // An admin bound to an org unit owns a subtree, not the raw ledger.
    const scopedAdmin = await createTestKey(t, tenant.tenantId, "admin", tenant.rootOrgUnitId);
    expectProblem(await get("/v1/ledger/accounts", scopedAdmin.auth), 403, "forbidden");
    expectProblem(await get(`/v1/ledger/accounts/${wallet.id}`, scopedAdmin.auth), 403, "forbidden");
    const other = await createTestTenant(t, "Other tenant");
    expectProblem(await get(`/v1/ledger/accounts/${wallet.id}`, other.auth), 404, "account_not_found");
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/ledger/transfers",
        headers: other.auth,
        payload: { debit_account_id: wallet.id, credit_account_id: shop.id, amount: 1 },
      }),
      404,
      "account_not_found",
    );
  });
});
