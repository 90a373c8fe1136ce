import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  type TestApp,
} from "../../../test/helpers/app.js";
import {
  activeAccount,
  bankRecord,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  type Merchant,
  ok,
  openConfigured,
} from "../../../test/helpers/deposits.js";

let t: TestApp;
let w: DepositWorld;
let a: Merchant;
let b: Merchant;
let accountA: string;
let accountB: string;

beforeAll(async () => {
  t = await createTestApp();
  w = await depositWorld(t, await createTestTenant(t));
  a = await createMerchant(w, "Desk Alpha Co");
  b = await createMerchant(w, "Desk Beta Co");
  accountA = await activeAccount(w, a, 500_000);
  accountB = await openConfigured(w, b);
});
afterAll(async () => {
  await t?.close();
});

type List<T> = { data: T[]; has_more: boolean };

describe("the finance desk's queues", () => {
  it("lists withdrawals of every merchant by status, with the bound bank account", async () => {
    const requested = ok<{ id: string }>(
      await call(w, a.auth, "POST", `/v1/deposit-accounts/${accountA}/withdrawals`, { amount: 100_000 }),
      201,
    );
    const queue = ok<List<{ id: string; status: string; bank_account: { company_name: string } }>>(
      await call(w, w.finance, "GET", "/v1/deposit-withdrawals?status=requested"),
    );
    const row = queue.data.find((r) => r.id === requested.id);
    expect(row?.status).toBe("requested");
    expect(row?.bank_account.company_name).toBe("Desk Alpha Co");
    ok(await call(w, w.finance, "POST", `/v1/deposit-withdrawals/${requested.id}/approve`, {}), 200);
    ok(await call(w, w.finance, "POST", `/v1/deposit-withdrawals/${requested.id}/pay`, {}), 200);
    const after = ok<List<{ id: string }>>(
      await call(w, w.finance, "GET", "/v1/deposit-withdrawals?status=requested"),
    );
    expect(after.data.map((r) => r.id)).not.toContain(requested.id);
  });

  it("lists open top-up applications so an unmatched bank record can be matched by hand", async () => {
    const topup = ok<{ id: string }>(
      await call(w, b.auth, "POST", `/v1/deposit-accounts/${accountB}/topups`, { amount: 300_000 }),
      201,
    );
    const open = ok<List<{ id: string; account_id: string }>>(
      await call(w, w.finance, "GET", "/v1/deposit-topups?status=open"),
    );
    expect(open.data.find((r) => r.id === topup.id)?.account_id).toBe(accountB);
    const record = await bankRecord(w, { payer_name: "Someone Else Ltd", amount: 300_000 });
    expect(record.status).toBe("unmatched");
    ok(
      await call(w, w.finance, "POST", `/v1/deposit-bank-records/${record.id}/match`, { topup_id: topup.id }),
    );
    const still = ok<List<{ id: string }>>(await call(w, w.finance, "GET", "/v1/deposit-topups?status=open"));
    expect(still.data.map((r) => r.id)).not.toContain(topup.id);
  });

  it("lists qualifications to verify and invoice requests by status", async () => {
    ok(
      await call(w, a.auth, "PUT", `/v1/deposit-accounts/${accountA}/invoice-profile`, {
        company_address: "1 Bund Road, Shanghai",
        company_phone: "021-55550000",
        bank_name: "ICBC",
        bank_account: "6222 0000 1111",
        tax_id: "91310000MA1K000001",
      }),
    );
    ok(await call(w, a.auth, "POST", `/v1/deposit-accounts/${accountA}/invoice-profile/submit`, {}));
    const verifying = ok<List<{ account_id: string; status: string }>>(
      await call(w, w.finance, "GET", "/v1/deposit-invoice-profiles?status=verifying"),
    );
    expect(verifying.data.map((p) => p.account_id)).toEqual([accountA]);
    const none = ok<List<unknown>>(
      await call(w, w.finance, "GET", "/v1/deposit-invoice-requests?status=requested"),
    );
    expect(none.data).toEqual([]);
  });

  it("refuses a merchant's own users: the queues are the platform's", async () => {
    for (const url of [
      "/v1/deposit-withdrawals",
      "/v1/deposit-topups",
      "/v1/deposit-invoice-profiles",
      "/v1/deposit-invoice-requests",
    ]) {
      expectCode(await call(w, a.auth, "GET", url), 403, "forbidden");
    }
  });
});

describe("the account ledger as an export a merchant starts itself", () => {
  const start = (auth: { authorization: string }, accountId: string, type = "deposit_account_ledger") =>
    call(w, auth, "POST", "/v1/exports", { type, format: "csv", filters: { account_id: accountId } });

  async function finished(auth: { authorization: string }, id: string) {
    await expect
      .poll(async () => ok<{ status: string }>(await call(w, auth, "GET", `/v1/exports/${id}`)).status, {
        timeout: 15_000,
        interval: 50,
      })
      .toBe("succeeded");
  }

  it("downloads the merchant's own ledger with income and expense lines", async () => {
    const job = ok<{ id: string }>(await start(a.auth, accountA), 202);
    await finished(a.auth, job.id);
    const file = await call(w, a.auth, "GET", `/v1/exports/${job.id}/download`);
    expect(file.statusCode).toBe(200);
    expect(String(file.headers["content-disposition"])).toContain("attachment");
    const lines = file.body.trim().split(/\r?\n/);
    expect(lines[0]).toContain("direction");
    expect(lines.some((l) => l.includes(",income,500000,"))).toBe(true);
    expect(lines.some((l) => l.includes(",expense,100000,"))).toBe(true);
  });

  it("refuses another merchant's account, tenant-wide export types, and others' exports", async () => {
    expectCode(await start(a.auth, accountB), 404, "deposit_account_not_found");
    expectCode(
      await call(w, a.auth, "POST", "/v1/exports", { type: "audit_events", format: "csv" }),
      403,
      "forbidden",
    );
    const theirs = ok<{ id: string }>(await start(b.auth, accountB), 202);
    await finished(b.auth, theirs.id);
    expectCode(await call(w, a.auth, "GET", `/v1/exports/${theirs.id}`), 404, "file_job_not_found");
    expectCode(await call(w, a.auth, "GET", `/v1/exports/${theirs.id}/download`), 404, "file_job_not_found");
    // Tenant-wide staff still see every export.
    await finished(w.finance, theirs.id);
  });

  it("exports the merchant's own transactions too, and refuses another merchant's account", async () => {
    ok(
      await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${accountA}/freezes`, {
        order_id: "TX-1",
        amount: 50_000,
      }),
      201,
    );
    ok(await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${accountA}/orders/TX-1/settle`, {}));
    const type = "deposit_account_transactions";
    const job = ok<{ id: string }>(await start(a.auth, accountA, type), 202);
    await finished(a.auth, job.id);
    const file = await call(w, a.auth, "GET", `/v1/exports/${job.id}/download`);
    const rows = file.body.trim().split(/\r?\n/);
    expect(rows[0]).toBe("created_at,id,type,amount,order_id,campaign_id,transfer_id");
    expect(rows.slice(1).map((r) => r.split(",").slice(2, 5))).toEqual([
      ["freeze", "50000", "TX-1"],
      ["settle", "50000", "TX-1"],
    ]);
    expectCode(await start(a.auth, accountB, type), 404, "deposit_account_not_found");
    expectCode(
      await call(w, a.auth, "POST", "/v1/exports", {
        type,
        format: "csv",
        filters: { account_id: accountA, type: "bonus" },
      }),
      400,
      "validation_failed",
    );
  });

  it("a scoped caller loses its export of an account that has since left its subtree", async () => {
    const tenantId = w.tenant.tenantId;
    const root = { id: w.tenant.rootOrgUnitId, path: `/${w.tenant.rootOrgUnitId}/` };
    const region = await createTestOrgUnit(t, tenantId, root, "organization", "Desk Region");
    const unit = await createTestOrgUnit(t, tenantId, region, "merchant", "Desk Moving Co");
    const merchant = {
      id: unit.id,
      path: unit.path,
      company: "Desk Moving Co",
      auth: (await createTestKey(t, tenantId, "operator", unit.id)).auth,
    };
    const account = await activeAccount(w, merchant, 300_000);
    const regional = (await createTestKey(t, tenantId, "operator", region.id)).auth;
    const job = ok<{ id: string }>(await start(regional, account), 202);
    await finished(regional, job.id);
    ok(await call(w, w.tenant.auth, "POST", `/v1/org-units/${unit.id}/move`, { parent_id: root.id }));
    expectCode(await call(w, regional, "GET", `/v1/exports/${job.id}`), 404, "file_job_not_found");
    expectCode(await call(w, regional, "GET", `/v1/exports/${job.id}/download`), 404, "file_job_not_found");
    // Tenant-wide staff still reach every export.
    expect((await call(w, w.finance, "GET", `/v1/exports/${job.id}/download`)).statusCode).toBe(200);
  });

  it("a scoped caller's export list leaves out, page by page, an export whose account has left its subtree", async () => {
    const tenantId = w.tenant.tenantId;
    const root = { id: w.tenant.rootOrgUnitId, path: `/${w.tenant.rootOrgUnitId}/` };
    const region = await createTestOrgUnit(t, tenantId, root, "organization", "List Region");
    const merchantIn = async (name: string) => {
      const unit = await createTestOrgUnit(t, tenantId, region, "merchant", name);
      const auth = (await createTestKey(t, tenantId, "operator", unit.id)).auth;
      const merchant = { id: unit.id, path: unit.path, company: name, auth };
      return { unit, account: await activeAccount(w, merchant, 300_000) };
    };
    const staying = await merchantIn("List Staying Co");
    const moving = await merchantIn("List Moving Co");
    const regional = (await createTestKey(t, tenantId, "operator", region.id)).auth;
    const older = ok<{ id: string }>(await start(regional, staying.account), 202);
    const gone = ok<{ id: string }>(await start(regional, moving.account), 202);
    const newer = ok<{ id: string }>(await start(regional, staying.account), 202);
    for (const job of [older, gone, newer]) await finished(regional, job.id);
    const page = async (query: string) =>
      ok<List<{ id: string }>>(await call(w, regional, "GET", `/v1/exports?${query}`));
    const first = await page("limit=2");
    expect(first.data.map((j) => j.id)).toEqual([newer.id, gone.id]);
    expect(first.has_more).toBe(true);

    ok(await call(w, w.tenant.auth, "POST", `/v1/org-units/${moving.unit.id}/move`, { parent_id: root.id }));
    const one = await page("limit=1");
    expect(one.data.map((j) => j.id)).toEqual([newer.id]);
    expect(one.has_more).toBe(true);
    const next = await page(`limit=1&starting_after=${newer.id}`);
    expect(next.data.map((j) => j.id)).toEqual([older.id]);
    expect(next.has_more).toBe(false);
    expect((await page("limit=100")).data.map((j) => j.id)).toEqual([newer.id, older.id]);
    expectCode(await call(w, regional, "GET", `/v1/exports/${gone.id}`), 404, "file_job_not_found");
    expectCode(await call(w, regional, "GET", `/v1/exports/${gone.id}/download`), 404, "file_job_not_found");
    expect(ok<{ id: string }>(await call(w, regional, "GET", `/v1/exports/${older.id}`)).id).toBe(older.id);
    // Tenant-wide staff still list it.
    const all = ok<List<{ id: string }>>(await call(w, w.finance, "GET", "/v1/exports?limit=100"));
    expect(all.data.map((j) => j.id)).toContain(gone.id);
  });

  it("lists only the exports a merchant's user started itself", async () => {
    const mine = ok<{ id: string }>(await start(a.auth, accountA), 202);
    const theirs = ok<{ id: string }>(await start(b.auth, accountB), 202);
    await finished(a.auth, mine.id);
    await finished(b.auth, theirs.id);
    const ids = (list: List<{ id: string; created_by: string }>) => list.data.map((j) => j.id);
    const seenByA = ok<List<{ id: string; created_by: string }>>(await call(w, a.auth, "GET", "/v1/exports"));
    expect(ids(seenByA)).toContain(mine.id);
    expect(ids(seenByA)).not.toContain(theirs.id);
    const all = ok<List<{ id: string; created_by: string }>>(await call(w, w.finance, "GET", "/v1/exports"));
    expect(ids(all)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
  });
});
