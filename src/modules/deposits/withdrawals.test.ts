import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp } from "../../../test/helpers/app.js";
import {
  accountOf,
  activeAccount,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  ok,
} from "../../../test/helpers/deposits.js";
import { verifyLedger } from "../../ledger/index.js";
import { maskAccountNumber } from "./funds.schemas.js";

let t: TestApp;
let w: DepositWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await depositWorld(t, await createTestTenant(t));
});
afterAll(async () => t?.close());

interface Withdrawal {
  id: string;
  status: string;
  amount: number;
  approved_at: string | null;
  paid_at: string | null;
  rejected_at: string | null;
  failed_at: string | null;
  reason: string | null;
  decision_reason: string | null;
}

const request = (m: { auth: { authorization: string } }, id: string, amount: number, key?: string) =>
  call(
    w,
    m.auth,
    "POST",
    `/v1/deposit-accounts/${id}/withdrawals`,
    { amount },
    key ? { "idempotency-key": key } : {},
  );
const decide = (wid: string, action: string, auth = w.finance, reason?: string) =>
  call(w, auth, "POST", `/v1/deposit-withdrawals/${wid}/${action}`, reason ? { reason } : {});

describe("withdrawals", () => {
  it("holds the amount at once, then pays on approval", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 500_000);
    expectCode(await request(m, id, 500_001), 422, "insufficient_available");
    const wd = ok<Withdrawal>(await request(m, id, 200_000, "wd-1"), 201);
    expect(wd.status).toBe("requested");
    // A retry with the same key replays; the amount is held once.
    expect(ok<Withdrawal>(await request(m, id, 200_000, "wd-1"), 201).id).toBe(wd.id);
    // Held for the withdrawal, shown apart from the campaign costs' frozen figure.
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 300_000,
      frozen: 0,
      withdrawal_held: 200_000,
      balance: 500_000,
    });
    // The held amount cannot be spent twice.
    expectCode(await request(m, id, 300_001), 422, "insufficient_available");
    // Only the platform's finance decides; a merchant's own key cannot.
    expectCode(await decide(wd.id, "approve", m.auth), 403, "forbidden");
    expectCode(await decide(wd.id, "pay"), 409, "withdrawal_state");
    expect(ok<Withdrawal>(await decide(wd.id, "approve")).status).toBe("approved");
    const paid = ok<Withdrawal>(await decide(wd.id, "pay"));
    expect(paid).toMatchObject({ status: "paid" });
    expect(paid.approved_at && paid.paid_at).toBeTruthy();
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 300_000,
      frozen: 0,
      withdrawal_held: 0,
      balance: 300_000,
      total_withdrawn: 200_000,
    });
    expectCode(await decide(wd.id, "reject"), 409, "withdrawal_state");
  });

  it("releases the held amount on rejection", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const wd = ok<Withdrawal>(await request(m, id, 250_000), 201);
    expect((await accountOf(w, m.auth, id)).available).toBe(50_000);
    const rejected = ok<Withdrawal>(await decide(wd.id, "reject", w.finance, "bank details outdated"));
    expect(rejected).toMatchObject({ status: "rejected" });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 300_000, frozen: 0, balance: 300_000 });
  });

  it("keeps the merchant's reason for the request apart from finance's reason for its decision", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const wd = ok<Withdrawal>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/withdrawals`, {
        amount: 100_000,
        reason: "campaign season over",
      }),
      201,
    );
    expect(wd).toMatchObject({ reason: "campaign season over", decision_reason: null });
    ok(await decide(wd.id, "approve", w.finance, "within the monthly limit"));
    const failed = ok<Withdrawal>(await decide(wd.id, "fail", w.finance, "beneficiary bank refused"));
    expect(failed).toMatchObject({
      reason: "campaign season over",
      decision_reason: "beneficiary bank refused",
    });
    // A later decision without a reason leaves none: the failure's no longer explains the state.
    const paid = ok<Withdrawal>(await decide(wd.id, "pay"));
    expect(paid).toMatchObject({ status: "paid", reason: "campaign season over", decision_reason: null });
    const listed = ok<{ data: Withdrawal[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/withdrawals`),
    );
    expect(listed.data).toEqual([
      expect.objectContaining({ id: wd.id, reason: "campaign season over", decision_reason: null }),
    ]);
    const other = ok<Withdrawal>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/withdrawals`, {
        amount: 50_000,
        reason: "refund to head office",
      }),
      201,
    );
    ok(await decide(other.id, "reject", w.finance, "bank details outdated"));
    const queue = ok<{ data: Withdrawal[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-withdrawals?status=rejected&limit=100"),
    );
    expect(queue.data).toContainEqual(
      expect.objectContaining({
        id: other.id,
        reason: "refund to head office",
        decision_reason: "bank details outdated",
      }),
    );
  });

  it("keeps a failed payout held and on the manual list until it is paid or rejected", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const wd = ok<Withdrawal>(await request(m, id, 100_000), 201);
    ok(await decide(wd.id, "approve"));
    expect(ok<Withdrawal>(await decide(wd.id, "fail", w.finance, "beneficiary bank refused"))).toMatchObject({
      status: "failed",
    });
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 200_000,
      frozen: 0,
      withdrawal_held: 100_000,
    });
    const open = ok<{ data: { kind: string; reference_id: string; status: string }[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-manual-items?status=open"),
    );
    expect(open.data).toContainEqual(
      expect.objectContaining({ kind: "withdrawal_failed", reference_id: wd.id }),
    );
    // Paid by hand after all: posted, and the manual item is resolved.
    expect(ok<Withdrawal>(await decide(wd.id, "pay")).status).toBe("paid");
    const after = ok<{ data: { reference_id: string }[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-manual-items?status=open"),
    );
    expect(after.data.map((d) => d.reference_id)).not.toContain(wd.id);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 200_000, frozen: 0, balance: 200_000 });

    const second = ok<Withdrawal>(await request(m, id, 50_000), 201);
    ok(await decide(second.id, "approve"));
    ok(await decide(second.id, "fail"));
    expect(ok<Withdrawal>(await decide(second.id, "reject")).status).toBe("rejected");
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 200_000, frozen: 0 });

    const records = ok<{ data: { status: string }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/withdrawals`),
    );
    expect(records.data.map((r) => r.status)).toEqual(["rejected", "paid"]);
    expect((await verifyLedger(t.deps.db, w.tenant.tenantId)).ok).toBe(true);
  });

  it("shows the bound bank account it is paid to", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const first = ok<Withdrawal & { bank_account: unknown }>(await request(m, id, 100_000), 201);
    const bound = {
      company_name: m.company,
      bank_name: "ICBC",
      branch: "Chaoyang",
      account_number: "6222 0000 1111",
    };
    // Account name, bank and the number (in full for finance's payout, masked for display).
    expect(first.bank_account).toEqual({ ...bound, account_number_masked: "**** **** 1111" });
    expect(maskAccountNumber("6222000011112222")).toBe("************2222");
    const rebind = (status: string) =>
      call(w, m.auth, "PUT", `/v1/merchants/${m.id}/deposit-bank-binding`, {
        ...bound,
        bank_name: "Bank of China",
        account_number: "6217 0000 2222",
        status,
      });
    ok(await rebind("effective"));
    const second = ok<Withdrawal & { bank_account: unknown }>(await request(m, id, 50_000), 201);
    expect(second.bank_account).toMatchObject({
      bank_name: "Bank of China",
      account_number: "6217 0000 2222",
      account_number_masked: "**** **** 2222",
    });
    // Finance sees where it pays, on the decision and in the list.
    ok(await decide(first.id, "approve"));
    expect(ok<{ bank_account: unknown }>(await decide(first.id, "pay")).bank_account).toMatchObject({
      account_number: "6217 0000 2222",
    });
    const records = ok<{ data: { id: string; bank_account: { account_number: string } }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/withdrawals`),
    );
    expect(records.data.map((r) => r.bank_account.account_number)).toEqual([
      "6217 0000 2222",
      "6217 0000 2222",
    ]);
    // Without an effective binding there is nowhere to pay: refused, nothing held.
    ok(await rebind("ineffective"));
    expectCode(await request(m, id, 10_000), 422, "bank_binding_required");
    expect((await accountOf(w, m.auth, id)).available).toBe(150_000);
  });

  it("shows campaign costs as frozen and held withdrawals as their own figure", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    ok(
      await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/freezes`, {
        order_id: "F-1",
        amount: 50_000,
      }),
      201,
    );
    ok(await request(m, id, 100_000), 201);
    // 3,000.00 paid in: 500.00 frozen for the order, 1,000.00 held for the withdrawal, 1,500.00 available.
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 150_000,
      frozen: 50_000,
      withdrawal_held: 100_000,
      balance: 300_000,
    });
  });

  it("shows a withdrawal in the account ledger while it is processing, as an expense", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const ledger = async (query = "") =>
      ok<{
        data: { direction: string; amount: number; balance: number; code: string; reference_id: string }[];
        has_more: boolean;
      }>(await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/ledger${query}`));
    const lines = async () =>
      (await ledger()).data.map((l) => [l.direction, l.amount, l.balance, l.code] as const);
    // 3,000.00 in; a 2,500.00 request is an expense at once (提現的處理中), leaving 500.00.
    const first = ok<Withdrawal>(await request(m, id, 250_000), 201);
    expect(await lines()).toEqual([
      ["income", 300_000, 300_000, "deposit_topup"],
      ["expense", 250_000, 50_000, "deposit_withdrawal"],
    ]);
    // Rejected: the money comes back in.
    ok(await decide(first.id, "reject"));
    // A campaign cost's freeze is not in the account ledger; its settlement is.
    ok(
      await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/freezes`, {
        order_id: "L-1",
        amount: 20_000,
      }),
      201,
    );
    const second = ok<Withdrawal>(await request(m, id, 100_000), 201);
    ok(await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/orders/L-1/settle`, {}));
    // Paying it adds no second line: it left the account when requested.
    ok(await decide(second.id, "approve"));
    ok(await decide(second.id, "pay"));
    expect(await lines()).toEqual([
      ["income", 300_000, 300_000, "deposit_topup"],
      ["expense", 250_000, 50_000, "deposit_withdrawal"],
      ["income", 250_000, 300_000, "deposit_withdrawal_rejected"],
      ["expense", 100_000, 200_000, "deposit_withdrawal"],
      ["expense", 20_000, 180_000, "deposit_settle"],
    ]);
    expect((await ledger()).data[3]!.reference_id).toBe(second.id);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ balance: 180_000, withdrawal_held: 0 });
    // Page by page (freezes skipped, cursors on lines) the running balance is the same.
    const paged: number[] = [];
    let cursor = "";
    for (let more = true; more; ) {
      const page = await ledger(`?limit=1${cursor ? `&starting_after=${cursor}` : ""}`);
      paged.push(...page.data.map((l) => l.balance));
      cursor = (page.data as unknown as { transfer_id: string }[]).at(-1)?.transfer_id ?? cursor;
      more = page.has_more;
    }
    expect(paged).toEqual([300_000, 50_000, 300_000, 200_000, 180_000]);
  });

  it("never pays out more than available under concurrent requests", async () => {
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(m, id, 40_000)));
    const accepted = answers.filter((a) => a.statusCode === 201).length;
    expect(accepted).toBe(7);
    for (const a of answers.filter((x) => x.statusCode !== 201)) expectCode(a, 422, "insufficient_available");
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 20_000,
      frozen: 0,
      withdrawal_held: 280_000,
    });
  });
});
