import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp } from "../../../test/helpers/app.js";
import {
  accountOf,
  bankRecord,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  nextBankTxn,
  ok,
  openConfigured,
  topUp,
} from "../../../test/helpers/deposits.js";
import { ledgerWithin } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { type BankRecordInput, receiveBankRecord } from "./receive-bank-record.js";

let t: TestApp;
let w: DepositWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await depositWorld(t, await createTestTenant(t));
});
afterAll(async () => t?.close());

describe("opening and activation", () => {
  it("opens only with an effective bank binding, once per merchant, for merchants only", async () => {
    const m = await createMerchant(w);
    expectCode(
      await call(w, m.auth, "POST", "/v1/deposit-accounts", { merchant_id: m.id }),
      422,
      "bank_binding_required",
    );
    ok(
      await call(w, m.auth, "PUT", `/v1/merchants/${m.id}/deposit-bank-binding`, {
        company_name: m.company,
        bank_name: "ICBC",
        branch: "Haidian",
        account_number: "6222 1",
        status: "ineffective",
      }),
    );
    expectCode(
      await call(w, m.auth, "POST", "/v1/deposit-accounts", { merchant_id: m.id }),
      422,
      "bank_binding_required",
    );
    ok(
      await call(w, m.auth, "PUT", `/v1/merchants/${m.id}/deposit-bank-binding`, {
        company_name: m.company,
        bank_name: "ICBC",
        branch: "Haidian",
        account_number: "6222 1",
      }),
    );
    const opened = ok<{ id: string; status: string; available: number }>(
      await call(w, m.auth, "POST", "/v1/deposit-accounts", { merchant_id: m.id }),
      201,
    );
    expect(opened).toMatchObject({ status: "pending_configuration", available: 0 });
    expectCode(
      await call(w, m.auth, "POST", "/v1/deposit-accounts", { merchant_id: m.id }),
      409,
      "deposit_account_exists",
    );
    expectCode(
      await call(w, w.tenant.auth, "POST", "/v1/deposit-accounts", { merchant_id: w.tenant.rootOrgUnitId }),
      422,
      "not_a_merchant",
    );
    // The binding change is audited with before/after.
    const audit = ok<{ data: { action: string }[] }>(
      await call(w, w.tenant.auth, "GET", `/v1/audit-events?target_id=${m.id}`),
    );
    expect(audit.data.map((e) => e.action)).toEqual(
      expect.arrayContaining(["deposit_bank_binding.bound", "deposit_bank_binding.changed"]),
    );
  });

  it("lets a merchant's users see only their own account", async () => {
    const a = await createMerchant(w);
    const b = await createMerchant(w);
    const accountA = await openConfigured(w, a);
    expectCode(
      await call(w, b.auth, "GET", `/v1/deposit-accounts/${accountA}`),
      404,
      "deposit_account_not_found",
    );
    expectCode(
      await call(w, b.auth, "POST", "/v1/deposit-accounts", { merchant_id: a.id }),
      404,
      "merchant_not_found",
    );
    const list = ok<{ data: { id: string }[] }>(await call(w, b.auth, "GET", "/v1/deposit-accounts"));
    expect(list.data.map((x) => x.id)).not.toContain(accountA);
  });

  it("requires warnings (at most 3 emails and 3 phones) before a top-up", async () => {
    const m = await createMerchant(w);
    ok(
      await call(w, m.auth, "PUT", `/v1/merchants/${m.id}/deposit-bank-binding`, {
        company_name: m.company,
        bank_name: "BOC",
        branch: "X",
        account_number: "1234 5678",
      }),
    );
    const { id } = ok<{ id: string }>(
      await call(w, m.auth, "POST", "/v1/deposit-accounts", { merchant_id: m.id }),
      201,
    );
    expectCode(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }),
      409,
      "warnings_not_configured",
    );
    const emails = ["a@x.example", "b@x.example", "c@x.example", "d@x.example"];
    const phones = ["13800000001", "13800000002", "13800000003", "13800000004"];
    const put = (e: string[], p: string[]) =>
      call(w, m.auth, "PUT", `/v1/deposit-accounts/${id}/warning-settings`, {
        warning_value: 200_000,
        emails: e,
        phones: p,
      });
    expectCode(await put(emails, phones.slice(0, 3)), 422, "too_many_contacts");
    expectCode(await put(emails.slice(0, 3), phones), 422, "too_many_contacts");
    const configured = ok<{ status: string; warning_emails: string[]; warning_phones: string[] }>(
      await put(emails.slice(0, 3), phones.slice(0, 3)),
    );
    expect(configured.status).toBe("pending_activation");
    expect(configured.warning_emails).toHaveLength(3);
    expect(configured.warning_phones).toHaveLength(3);
  });

  it("activates on the first top-up of at least 3,000.00 (tenant setting) and not before", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    expectCode(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 299_999 }),
      422,
      "topup_below_minimum",
    );
    const topup = ok<{
      id: string;
      reference: string;
      amount: number;
      status: string;
      receiving_account: object;
    }>(await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }), 201);
    expect(topup).toMatchObject({ amount: 300_000, status: "open" });
    expect(topup.reference).toMatch(/^DT[A-Z0-9]{10}$/);
    expect((await accountOf(w, m.auth, id)).status).toBe("pending_activation");
    const record = await bankRecord(w, { payer_name: m.company, amount: 300_000 });
    expect(record).toMatchObject({ status: "matched", topup_id: topup.id });
    const account = await accountOf(w, m.auth, id);
    expect(account).toMatchObject({
      status: "active",
      available: 300_000,
      frozen: 0,
      arrears: 0,
      total_topped_up: 300_000,
    });
  });

  it("lets the platform change the minimum and the threshold, per merchant too", async () => {
    ok(await call(w, w.tenant.auth, "PATCH", "/v1/deposit-settings", { min_topup_amount: 500_000 }));
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    expectCode(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }),
      422,
      "topup_below_minimum",
    );
    ok(await call(w, w.tenant.auth, "PATCH", "/v1/deposit-settings", { min_topup_amount: 300_000 }));
    expect((await accountOf(w, m.auth, id)).suspension_threshold).toBe(100_000);
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { suspension_threshold: 50_000 }));
    expect((await accountOf(w, m.auth, id)).suspension_threshold).toBe(50_000);
    expectCode(
      await call(w, m.auth, "PATCH", "/v1/deposit-settings", { min_topup_amount: 1 }),
      403,
      "forbidden",
    );
  });
});

describe("closing", () => {
  it("credits nothing to a closed account: its open top-up applications are cancelled", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    const topup = ok<{ id: string; reference: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }),
      201,
    );
    expect(
      ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, { status: "closed" })),
    ).toMatchObject({
      status: "closed",
    });
    const topups = ok<{ data: { id: string; status: string }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/topups`),
    );
    expect(topups.data).toEqual([expect.objectContaining({ id: topup.id, status: "cancelled" })]);
    // The merchant's wire arrives after all: it waits to be returned instead of being locked in
    // an account that can neither spend nor withdraw it.
    const late = await bankRecord(w, { payer_name: m.company, amount: 300_000, reference: topup.reference });
    expect(late).toMatchObject({ status: "unmatched", reason: "no_application_with_amount" });
    expectCode(
      await call(w, w.finance, "POST", `/v1/deposit-bank-records/${late.id}/match`, { topup_id: topup.id }),
      409,
      "topup_not_open",
    );
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "closed", balance: 0, available: 0 });
    expect(
      ok(await call(w, w.finance, "POST", `/v1/deposit-bank-records/${late.id}/return`, {})),
    ).toMatchObject({
      status: "returned",
    });
  });
});

describe("abnormal", () => {
  it("lifts abnormal from an account not yet activated back to where its setup stood", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    const patch = (body: object) => call(w, w.finance, "PATCH", `/v1/deposit-accounts/${id}`, body);
    expect(ok(await patch({ status: "abnormal" }))).toMatchObject({ status: "abnormal" });
    expectCode(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }),
      409,
      "account_abnormal",
    );
    // Not a dead end: the account goes back to waiting for its first top-up, which activates it.
    expect(ok(await patch({ status: "active" }))).toMatchObject({ status: "pending_activation" });
    await topUp(w, m, id, 300_000);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "active", available: 300_000 });
    // A wire for an application made before the account was marked abnormal is credited
    // meanwhile; lifting abnormal then activates the account without a second top-up.
    const late = await createMerchant(w);
    const lateId = await openConfigured(w, late);
    const topup = ok<{ reference: string }>(
      await call(w, late.auth, "POST", `/v1/deposit-accounts/${lateId}/topups`, { amount: 300_000 }),
      201,
    );
    ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${lateId}`, { status: "abnormal" }));
    const record = await bankRecord(w, {
      payer_name: late.company,
      amount: 300_000,
      reference: topup.reference,
    });
    expect(record.status).toBe("matched");
    expect(await accountOf(w, late.auth, lateId)).toMatchObject({ status: "abnormal", available: 300_000 });
    expect(
      ok(await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${lateId}`, { status: "active" })),
    ).toMatchObject({ status: "active", activated_at: t.clock.now().toISOString() });
    // An account that never was abnormal still becomes active only by its first top-up.
    const other = await createMerchant(w);
    const otherId = await openConfigured(w, other);
    expectCode(
      await call(w, w.finance, "PATCH", `/v1/deposit-accounts/${otherId}`, { status: "active" }),
      409,
      "account_not_active",
    );
  });
});

describe("bank transfer matching", () => {
  it("matches on company name and exact amount; keeps the rest unmatched with the reason", async () => {
    const m = await createMerchant(w, "Acme Trading (Shanghai) Ltd");
    const id = await openConfigured(w, m);
    const topup = ok<{ id: string; reference: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 450_000 }),
      201,
    );
    const wrongName = await bankRecord(w, { payer_name: "Acme Trading Ltd", amount: 450_000 });
    expect(wrongName).toMatchObject({ status: "unmatched", reason: "name_mismatch" });
    const wrongAmount = await bankRecord(w, { payer_name: m.company, amount: 450_001 });
    expect(wrongAmount).toMatchObject({ status: "unmatched", reason: "no_application_with_amount" });
    expect((await accountOf(w, m.auth, id)).available).toBe(0);

    const queue = ok<{ data: { id: string; reason: string }[] }>(
      await call(w, w.finance, "GET", "/v1/deposit-bank-records?status=unmatched"),
    );
    expect(queue.data.map((r) => r.id)).toEqual(expect.arrayContaining([wrongName.id, wrongAmount.id]));

    // Manual matching checks the amount; the right-amount record can be matched by hand.
    expectCode(
      await call(w, w.finance, "POST", `/v1/deposit-bank-records/${wrongAmount.id}/match`, {
        topup_id: topup.id,
      }),
      422,
      "bank_record_mismatch",
    );
    const matched = ok<{ status: string; topup_id: string }>(
      await call(w, w.finance, "POST", `/v1/deposit-bank-records/${wrongName.id}/match`, {
        topup_id: topup.id,
      }),
    );
    expect(matched).toMatchObject({ status: "matched", topup_id: topup.id });
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "active", available: 450_000 });
    const returned = ok<{ status: string }>(
      await call(w, w.finance, "POST", `/v1/deposit-bank-records/${wrongAmount.id}/return`, {}),
    );
    expect(returned.status).toBe("returned");
    expectCode(
      await call(w, w.finance, "POST", `/v1/deposit-bank-records/${wrongAmount.id}/return`, {}),
      409,
      "bank_record_not_unmatched",
    );
  });

  it("credits a bank transaction once, however often and however concurrently it arrives", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    ok(await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }), 201);
    ok(await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }), 201);
    const txn = nextBankTxn();
    const record = {
      bank_transaction_id: txn,
      payer_name: m.company,
      amount: 300_000,
      asset: "CNY",
      received_at: t.clock.now().toISOString(),
    };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(w, w.finance, "POST", "/v1/deposit-bank-records", { records: [record] }),
      ),
    );
    const data = answers.map(
      (a) => ok<{ data: { id: string; duplicate: boolean; status: string }[] }>(a).data[0]!,
    );
    expect(new Set(data.map((d) => d.id)).size).toBe(1);
    expect(data.filter((d) => !d.duplicate)).toHaveLength(1);
    // In one batch too.
    const batch = ok<{ data: { duplicate: boolean }[] }>(
      await call(w, w.finance, "POST", "/v1/deposit-bank-records", { records: [record, record, record] }),
    );
    expect(batch.data.every((d) => d.duplicate)).toBe(true);
    expect((await accountOf(w, m.auth, id)).available).toBe(300_000);
    const topups = ok<{ data: { status: string }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/topups`),
    );
    expect(topups.data.map((x) => x.status).sort()).toEqual(["completed", "open"]);
  });

  it("uses the reference to choose between applications of equal amount", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    const first = ok<{ id: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }),
      201,
    );
    const second = ok<{ id: string; reference: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }),
      201,
    );
    const byRef = await bankRecord(w, {
      payer_name: m.company,
      amount: 300_000,
      reference: `pay ${second.reference}`,
    });
    expect(byRef.topup_id).toBe(second.id);
    const byAge = await bankRecord(w, { payer_name: m.company, amount: 300_000 });
    expect(byAge.topup_id).toBe(first.id);
    expect((await accountOf(w, m.auth, id)).available).toBe(600_000);
  });

  it("refuses more than 500 records per call", async () => {
    const records = Array.from({ length: 501 }, (_, i) => ({
      bank_transaction_id: `X${i}`,
      payer_name: "x",
      amount: 1,
      asset: "CNY",
      received_at: t.clock.now().toISOString(),
    }));
    expectCode(
      await call(w, w.finance, "POST", "/v1/deposit-bank-records", { records }),
      400,
      "validation_failed",
    );
  });
});

describe("a bank record matched by hand while a statement import holds the same account", () => {
  it("does not deadlock the import: the import's records are matched, the hand match answers 409", async () => {
    const m = await createMerchant(w);
    const id = await openConfigured(w, m);
    const t1 = ok<{ id: string; reference: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 300_000 }),
      201,
    );
    const t2 = ok<{ id: string; reference: string }>(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount: 400_000 }),
      201,
    );
    // A wire for the second application under another payer's name: finance matches it by hand.
    const stray = await bankRecord(w, { payer_name: "Somebody Else Ltd", amount: 400_000 });
    expect(stray).toMatchObject({ status: "unmatched" });
    const tenantId = w.tenant.tenantId;
    const owner = t.database.owner;
    const waiting = async (n: number) => {
      for (let i = 0; i < 500; i++) {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'`.execute(owner);
        if (rows[0]!.n >= n) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`fewer than ${n} sessions waiting`);
    };
    // Someone else briefly holds the second application, so the two queue on it in a set order.
    let releaseHolder!: () => void;
    let held!: () => void;
    const holding = new Promise<void>((r) => {
      held = r;
    });
    const holder = owner.transaction().execute(async (trx) => {
      await sql`select id from deposit_topups where tenant_id = ${tenantId} and id = ${t2.id} for update`.execute(
        trx,
      );
      held();
      await new Promise<void>((r) => {
        releaseHolder = r;
      });
    });
    await holding;
    const actor = systemActor(tenantId, "deposits.statement_import:test");
    const wire = (amount: number, reference: string): BankRecordInput => ({
      bankTransactionId: nextBankTxn(),
      payerName: m.company,
      payerAccount: null,
      amount,
      asset: "CNY",
      reference,
      receivedAt: t.clock.now(),
    });
    let byHand: Promise<Awaited<ReturnType<typeof call>>> | undefined;
    // As a statement import applies its rows: one after another, in one transaction.
    const imported = t.deps.db.tenantTx(tenantId, async (trx) => {
      const ops = ledgerWithin(trx, tenantId, t.clock);
      const a = await receiveBankRecord(
        trx,
        ops,
        actor,
        wire(300_000, t1.reference),
        "statement",
        t.clock.now(),
      );
      byHand = call(w, w.finance, "POST", `/v1/deposit-bank-records/${stray.id}/match`, { topup_id: t2.id });
      await waiting(1);
      const next = receiveBankRecord(
        trx,
        ops,
        actor,
        wire(400_000, t2.reference),
        "statement",
        t.clock.now(),
      );
      await waiting(2);
      releaseHolder();
      const b = await next;
      return [a.record.status, b.record.status];
    });
    const outcome = await imported.then(
      (statuses) => ({ statuses }),
      (error: { code?: string }) => ({ error: error.code ?? String(error) }),
    );
    await holder;
    const hand = await byHand!;
    expect(outcome).toEqual({ statuses: ["matched", "matched"] });
    expectCode(hand, 409, "topup_not_open");
    expect(await accountOf(w, m.auth, id)).toMatchObject({ balance: 700_000 });
  });
});
