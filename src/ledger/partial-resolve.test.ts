import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/db.js";
import { ledgerTenant, openAccounts } from "../../test/ledger-helpers.js";
import { ManualClock } from "../shared/clock.js";
import { voidExpiredHolds } from "./holds.js";
import { Ledger } from "./ledger.js";
import { findAccount, holdState, verifyLedger } from "./queries.js";
import type { Account, TransferResult } from "./types.js";

let t: TestDatabase;
const clock = new ManualClock("2026-03-01T00:00:00Z");

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

function ok(r: TransferResult) {
  if (!r.ok) throw new Error(`expected success, got ${JSON.stringify(r)}`);
  return r.transfer;
}
const codeOf = (r: TransferResult) => r.code;

describe.each([
  { batching: true, label: "group commit" },
  { batching: false, label: "one transaction per unit" },
])("partial post and void with $label", ({ batching }) => {
  let ledger: Ledger;
  let ten: string;
  let wallet: Account;
  let sink: Account;

  beforeAll(async () => {
    ledger = new Ledger(t.db, { clock, batching });
    ten = await ledgerTenant(t, clock);
    let cash: Account;
    [cash, wallet, sink] = (await openAccounts(ledger, ten, [
      { asset: "CNY", kind: "cash" },
      { asset: "CNY", kind: "wallet", debits_must_not_exceed_credits: true },
      { asset: "CNY", kind: "merchant" },
    ])) as [Account, Account, Account];
    ok(
      await ledger.run(ten, (uow) =>
        uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 10_000 }),
      ),
    );
  });

  const account = async (id: string) => (await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, id)))!;
  const state = (id: string) => t.db.tenantTx(ten, (trx) => holdState(trx, ten, id));
  const hold = async (amount: number, timeout_seconds: number | null = null) =>
    ok(
      await ledger.run(ten, (uow) =>
        uow.hold({ debit_account_id: wallet.id, credit_account_id: sink.id, amount, timeout_seconds }),
      ),
    );
  const voidPart = (pending_id: string, amount?: number, id?: string) =>
    ledger.run(ten, (uow) =>
      uow.void({ pending_id, ...(amount === undefined ? {} : { amount }), ...(id ? { id } : {}) }),
    );
  const post = (pending_id: string, amount?: number) =>
    ledger.run(ten, (uow) => uow.post({ pending_id, ...(amount === undefined ? {} : { amount }) }));

  it("a void of part releases it and keeps the rest pending; a later post of part releases the rest", async () => {
    const before = await account(wallet.id);
    const h = await hold(300);
    const part = ok(await voidPart(h.id, 100));
    expect(part).toMatchObject({ kind: "void_pending", amount: 100, pending_id: h.id, pending_before: 300 });
    expect(await account(wallet.id)).toMatchObject({
      debits_pending: before.debits_pending + 200,
      debits_posted: before.debits_posted,
    });
    expect(await state(h.id)).toEqual({ state: "pending", resolved_by: null, pending: 200 });
    // Neither a void nor a post may take more than what is left.
    expect(codeOf(await voidPart(h.id, 201))).toBe("exceeds_pending_amount");
    expect(codeOf(await post(h.id, 201))).toBe("exceeds_pending_amount");
    const posted = ok(await post(h.id, 150));
    expect(posted).toMatchObject({ kind: "post_pending", amount: 150, pending_before: 200 });
    // The post took 150 and released the other 50 at once.
    expect(await account(wallet.id)).toMatchObject({
      debits_pending: before.debits_pending,
      debits_posted: before.debits_posted + 150,
    });
    expect(await account(sink.id)).toMatchObject({ credits_pending: 0 });
    expect(await state(h.id)).toEqual({ state: "posted", resolved_by: posted.id, pending: 0 });
    expect(codeOf(await voidPart(h.id, 1))).toBe("pending_already_posted");
    expect(codeOf(await post(h.id))).toBe("pending_already_posted");
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("voids in steps down to nothing: the last void takes what is left and resolves the hold", async () => {
    const before = await account(wallet.id);
    const h = await hold(90);
    ok(await voidPart(h.id, 30));
    ok(await voidPart(h.id, 30));
    const last = ok(await voidPart(h.id));
    expect(last).toMatchObject({ amount: 30, pending_before: 30 });
    expect(await state(h.id)).toEqual({ state: "voided", resolved_by: last.id, pending: 0 });
    expect(codeOf(await voidPart(h.id, 1))).toBe("pending_already_voided");
    expect(codeOf(await post(h.id))).toBe("pending_already_voided");
    expect(await account(wallet.id)).toEqual({ ...before, updated_at: expect.any(Date) });
    // A void of exactly what is left resolves it too.
    const h2 = await hold(40);
    ok(await voidPart(h2.id, 15));
    ok(await voidPart(h2.id, 25));
    expect((await state(h2.id)).state).toBe("voided");
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("is idempotent by the void's id and refuses the same id with another amount", async () => {
    const h = await hold(100);
    const id = `void-${h.id}`;
    expect(codeOf(await voidPart(h.id, 40, id))).toBe("created");
    const again = await voidPart(h.id, 40, id);
    expect(again).toMatchObject({
      ok: true,
      code: "exists",
      transfer: { id, amount: 40, pending_before: 100 },
    });
    expect(codeOf(await voidPart(h.id, 41, id))).toBe("exists_with_different_fields");
    expect((await state(h.id)).pending).toBe(60);
    expect(codeOf(await voidPart(h.id, 0))).toBe("invalid_amount");
    expect(codeOf(await voidPart(h.id, 1.5))).toBe("invalid_amount");
    ok(await voidPart(h.id));
  });

  it("within one unit: steps see each other, and a unit that throws leaves its steps undone", async () => {
    const h = await hold(100);
    const steps = await ledger.run(ten, async (uow) => [
      await uow.void({ pending_id: h.id, amount: 10 }),
      await uow.void({ pending_id: h.id, amount: 20 }),
      await uow.void({ pending_id: h.id, amount: 71 }),
      await uow.post({ pending_id: h.id, amount: 60 }),
    ]);
    expect(steps.map(codeOf)).toEqual(["created", "created", "exceeds_pending_amount", "created"]);
    expect(steps.map((r) => (r.ok ? r.transfer.pending_before : null))).toEqual([100, 90, null, 70]);

    const h2 = await hold(50);
    await expect(
      ledger.run(ten, async (uow) => {
        ok(await uow.void({ pending_id: h2.id, amount: 20 }));
        throw new Error("business rule says no");
      }),
    ).rejects.toThrow("business rule says no");
    expect(await state(h2.id)).toMatchObject({ state: "pending", pending: 50 });
    ok(await voidPart(h2.id));
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("a partly voided hold still times out: the expiry job voids what is left", async () => {
    const h = await hold(80, 60);
    ok(await voidPart(h.id, 30));
    clock.advance(61_000);
    expect(codeOf(await voidPart(h.id, 10))).toBe("pending_expired");
    expect(await voidExpiredHolds(ledger, ten, clock.now())).toBe(1);
    const s = await state(h.id);
    expect(s).toMatchObject({ state: "voided", pending: 0 });
    const expired = await t.db.tenantTx(ten, (trx) =>
      trx
        .selectFrom("ledger_transfers")
        .selectAll()
        .where("id", "=", s.resolved_by!)
        .executeTakeFirstOrThrow(),
    );
    expect(expired).toMatchObject({ amount: 50, pending_before: 50, code: "hold_expired" });
    expect(await voidExpiredHolds(ledger, ten, clock.now())).toBe(0);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });
});

describe("the database's own guard and the verification of a hold's steps", () => {
  it("refuses a second step from the same state, and verify reports a broken chain", async () => {
    const ledger = new Ledger(t.db, { clock, batching: false });
    const ten = await ledgerTenant(t, clock);
    const [cash, sink] = await openAccounts(ledger, ten, [
      { asset: "CNY", kind: "cash" },
      { asset: "CNY", kind: "merchant" },
    ]);
    const h = ok(
      await ledger.run(ten, (uow) =>
        uow.hold({ debit_account_id: cash!.id, credit_account_id: sink!.id, amount: 100 }),
      ),
    );
    const step = ok(await ledger.run(ten, (uow) => uow.void({ pending_id: h.id, amount: 40 })));
    // A resolver that decided on a stale state (100 pending) cannot commit a second step from it.
    const copy = (id: string, before: number) => sql`
      insert into ledger_transfers (tenant_id, id, kind, debit_account_id, credit_account_id, amount, asset,
        code, pending_id, pending_before, debit_balance, credit_balance, created_at)
      select tenant_id, ${id}, kind, debit_account_id, credit_account_id, 10, asset, code, pending_id,
        ${before}, debit_balance, credit_balance, created_at
      from ledger_transfers where tenant_id = ${ten} and id = ${step.id}`;
    await expect(copy("tr_stale", 100).execute(t.owner)).rejects.toMatchObject({ code: "23505" });
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
    // A step that does not start where the one before it ended is reported.
    await copy("tr_gap", 55).execute(t.owner);
    const report = await verifyLedger(t.db, ten);
    expect(report.ok).toBe(false);
    expect(report.malformed_transfers).toContain("tr_gap");
  });
});
