import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/db.js";
import { type ClockScope, ManualClock, runInClockScope } from "../shared/clock.js";
import { statusForCode } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { MAX_AMOUNT } from "../shared/money.js";
import { countRoundTripsOf, type RoundTrips } from "../shared/round-trips.js";
import { voidExpiredHolds } from "./holds.js";
import { Ledger } from "./ledger.js";
import { createAsset, findAccount, holdState, statement, trialBalance, verifyLedger } from "./queries.js";
import { expectTransfer } from "./results.js";
import type { Account, TransferResult, UnitOfWork } from "./types.js";

let t: TestDatabase;
const clock = new ManualClock("2026-03-01T00:00:00Z");

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.drop());

async function tenant(): Promise<string> {
  const id = newId("ten");
  await t.owner.insertInto("tenants").values({ id, name: id }).execute();
  await t.db.tenantTx(id, async (trx) => {
    await createAsset(trx, id, { code: "CNY", scale: 2, symbol: "¥", name: "Yuan" }, clock.now());
    await createAsset(trx, id, { code: "POINTS", scale: 0, name: "Points" }, clock.now());
  });
  return id;
}

function ok<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`expected success, got ${JSON.stringify(r)}`);
  return r as Extract<T, { ok: true }>;
}

const codeOf = (r: TransferResult) => r.code;

describe.each([
  { batching: true, label: "group commit" },
  { batching: false, label: "one transaction per unit" },
])("ledger with $label", ({ batching }) => {
  let ledger: Ledger;
  let ten: string;
  /** cash: unlimited source; wallet: must not go negative. */
  let cash: Account;
  let wallet: Account;
  let other: Account;

  beforeAll(async () => {
    ledger = new Ledger(t.db, { clock, batching });
    ten = await tenant();
    [cash, wallet, other] = await ledger.run(ten, async (uow) => [
      ok(await uow.createAccount({ asset: "CNY", kind: "cash" })).account,
      ok(
        await uow.createAccount({
          asset: "CNY",
          kind: "member_principal",
          owner_module: "members",
          owner_id: "mbr_1",
          debits_must_not_exceed_credits: true,
        }),
      ).account,
      ok(await uow.createAccount({ asset: "CNY", kind: "merchant", debits_must_not_exceed_credits: true }))
        .account,
    ]);
  });

  const bal = async (id: string) => (await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, id)))!;

  it("moves value and keeps Σdebits = Σcredits", async () => {
    const r = await ledger.run(ten, (uow) =>
      uow.transfer({
        debit_account_id: cash.id,
        credit_account_id: wallet.id,
        amount: 10_000,
        code: "topup",
      }),
    );
    expect(ok(r).transfer).toMatchObject({ kind: "posted", amount: 10_000, asset: "CNY", code: "topup" });
    expect(await bal(wallet.id)).toMatchObject({ credits_posted: 10_000, debits_posted: 0 });
    expect(await bal(cash.id)).toMatchObject({ debits_posted: 10_000 });
    const trial = await t.db.tenantTx(ten, (trx) => trialBalance(trx, ten));
    expect(trial.find((r) => r.asset === "CNY")).toMatchObject({ balanced: true, debits_posted: "10000" });
  });

  it("refuses with precise codes and changes nothing", async () => {
    const eur = await ledger.run(ten, async (uow) =>
      ok(await uow.createAccount({ asset: "POINTS", kind: "points" })),
    );
    const results = await ledger.run(ten, async (uow) => [
      await uow.transfer({ debit_account_id: wallet.id, credit_account_id: other.id, amount: 10_001 }),
      await uow.transfer({ debit_account_id: wallet.id, credit_account_id: eur.account.id, amount: 1 }),
      await uow.transfer({ debit_account_id: wallet.id, credit_account_id: "acc_missing", amount: 1 }),
      await uow.transfer({ debit_account_id: wallet.id, credit_account_id: wallet.id, amount: 1 }),
      await uow.transfer({ debit_account_id: wallet.id, credit_account_id: other.id, amount: 0 }),
      await uow.transfer({ debit_account_id: wallet.id, credit_account_id: other.id, amount: 1.5 }),
      await uow.transfer({
        debit_account_id: wallet.id,
        credit_account_id: other.id,
        amount: 1,
        asset: "POINTS",
      }),
    ]);
    expect(results.map(codeOf)).toEqual([
      "insufficient_funds",
      "asset_mismatch",
      "account_not_found",
      "accounts_must_be_different",
      "invalid_amount",
      "invalid_amount",
      "asset_mismatch",
    ]);
    expect(await bal(wallet.id)).toMatchObject({
      credits_posted: 10_000,
      debits_posted: 0,
      debits_pending: 0,
    });
  });

  it("is idempotent on a client id: exists, or exists_with_different_fields", async () => {
    const id = `order-${newId("x")}`;
    const input = {
      id,
      debit_account_id: wallet.id,
      credit_account_id: other.id,
      amount: 100,
      code: "payment",
    };
    const first = await ledger.run(ten, (uow) => uow.transfer(input));
    const again = await ledger.run(ten, (uow) => uow.transfer(input));
    const changed = await ledger.run(ten, (uow) => uow.transfer({ ...input, amount: 101 }));
    expect(ok(first).code).toBe("created");
    expect(ok(again)).toMatchObject({ code: "exists", transfer: { id, amount: 100 } });
    expect(changed).toMatchObject({ ok: false, code: "exists_with_different_fields" });
    expect((await bal(wallet.id)).debits_posted).toBe(100);
    // The same id twice in one unit: the second sees the first.
    const twice = await ledger.run(ten, async (uow) => {
      const x = { ...input, id: `${id}-b` };
      return [await uow.transfer(x), await uow.transfer(x)];
    });
    expect(twice.map(codeOf)).toEqual(["created", "exists"]);
  });

  it("freezes, expires and closes accounts", async () => {
    const card = ok(
      await ledger.run(ten, (uow) =>
        uow.createAccount({ asset: "CNY", kind: "gift_card", debits_must_not_exceed_credits: true }),
      ),
    ).account;
    await ledger.run(ten, (uow) =>
      uow.transfer({ debit_account_id: cash.id, credit_account_id: card.id, amount: 500 }),
    );
    await ledger.run(ten, (uow) => uow.updateAccount(card.id, { frozen_debits: true }));
    const spend = { debit_account_id: card.id, credit_account_id: other.id, amount: 1 };
    expect(codeOf(await ledger.run(ten, (uow) => uow.transfer(spend)))).toBe("account_frozen");
    // Frozen for debits only: it can still be credited.
    expect(
      codeOf(
        await ledger.run(ten, (uow) =>
          uow.transfer({ debit_account_id: cash.id, credit_account_id: card.id, amount: 1 }),
        ),
      ),
    ).toBe("created");
    await ledger.run(ten, (uow) =>
      uow.updateAccount(card.id, {
        frozen_debits: false,
        expires_at: new Date(clock.now().getTime() + 60_000),
      }),
    );
    expect(codeOf(await ledger.run(ten, (uow) => uow.transfer(spend)))).toBe("created");
    clock.advance(60_000);
    expect(codeOf(await ledger.run(ten, (uow) => uow.transfer(spend)))).toBe("account_expired");
    await ledger.run(ten, (uow) => uow.updateAccount(card.id, { closed: true }));
    expect(
      codeOf(
        await ledger.run(ten, (uow) =>
          uow.transfer({ debit_account_id: cash.id, credit_account_id: card.id, amount: 1 }),
        ),
      ),
    ).toBe("account_closed");
    expect(await bal(card.id)).toMatchObject({ closed: true, credits_posted: 501, debits_posted: 1 });
  });

  it("holds, posts part of a hold, voids, and each resolves exactly once", async () => {
    const before = await bal(wallet.id);
    const hold = ok(
      await ledger.run(ten, (uow) =>
        uow.hold({ debit_account_id: wallet.id, credit_account_id: other.id, amount: 300 }),
      ),
    ).transfer;
    expect(await bal(wallet.id)).toMatchObject({ debits_pending: 300, debits_posted: before.debits_posted });
    // Held value cannot be spent twice.
    const available = before.credits_posted - before.debits_posted - 300;
    expect(
      codeOf(
        await ledger.run(ten, (uow) =>
          uow.transfer({ debit_account_id: wallet.id, credit_account_id: other.id, amount: available + 1 }),
        ),
      ),
    ).toBe("insufficient_funds");
    expect(codeOf(await ledger.run(ten, (uow) => uow.post({ pending_id: hold.id, amount: 301 })))).toBe(
      "exceeds_pending_amount",
    );
    const posted = ok(await ledger.run(ten, (uow) => uow.post({ pending_id: hold.id, amount: 120 })));
    expect(posted.transfer).toMatchObject({ kind: "post_pending", amount: 120, pending_id: hold.id });
    expect(await bal(wallet.id)).toMatchObject({
      debits_pending: 0,
      debits_posted: before.debits_posted + 120,
    });
    expect(codeOf(await ledger.run(ten, (uow) => uow.post({ pending_id: hold.id })))).toBe(
      "pending_already_posted",
    );
    expect(codeOf(await ledger.run(ten, (uow) => uow.void({ pending_id: hold.id })))).toBe(
      "pending_already_posted",
    );

    const h2 = ok(
      await ledger.run(ten, (uow) =>
        uow.hold({ debit_account_id: wallet.id, credit_account_id: other.id, amount: 50 }),
      ),
    ).transfer;
    expect(ok(await ledger.run(ten, (uow) => uow.void({ pending_id: h2.id }))).transfer.amount).toBe(50);
    expect(codeOf(await ledger.run(ten, (uow) => uow.post({ pending_id: h2.id })))).toBe(
      "pending_already_voided",
    );
    expect(codeOf(await ledger.run(ten, (uow) => uow.void({ pending_id: "tr_nope" })))).toBe(
      "pending_transfer_not_found",
    );
    expect(codeOf(await ledger.run(ten, (uow) => uow.void({ pending_id: posted.transfer.id })))).toBe(
      "pending_transfer_not_pending",
    );
    expect(await t.db.tenantTx(ten, (trx) => holdState(trx, ten, h2.id))).toMatchObject({ state: "voided" });
    // Hold and post in the same unit.
    const same = await ledger.run(ten, async (uow) => {
      const h = ok(await uow.hold({ debit_account_id: wallet.id, credit_account_id: other.id, amount: 10 }));
      return [await uow.post({ pending_id: h.transfer.id }), await uow.void({ pending_id: h.transfer.id })];
    });
    expect(same.map(codeOf)).toEqual(["created", "pending_already_posted"]);
  });

  it("times out holds: post refuses pending_expired, the expiry job voids them", async () => {
    const h = ok(
      await ledger.run(ten, (uow) =>
        uow.hold({
          debit_account_id: wallet.id,
          credit_account_id: other.id,
          amount: 7,
          timeout_seconds: 60,
        }),
      ),
    ).transfer;
    expect(await voidExpiredHolds(ledger, ten, clock.now())).toBe(0);
    clock.advance(61_000);
    expect(codeOf(await ledger.run(ten, (uow) => uow.post({ pending_id: h.id })))).toBe("pending_expired");
    expect(await voidExpiredHolds(ledger, "all", clock.now())).toBe(1);
    expect(await voidExpiredHolds(ledger, ten, clock.now())).toBe(0);
    expect(await t.db.tenantTx(ten, (trx) => holdState(trx, ten, h.id))).toMatchObject({ state: "voided" });
    expect((await bal(wallet.id)).debits_pending).toBe(0);
  });

  it("linked transfers succeed or fail together", async () => {
    const before = await bal(wallet.id);
    const failed = await ledger.run(ten, (uow) =>
      uow.transfers([
        { debit_account_id: cash.id, credit_account_id: wallet.id, amount: 5 },
        { debit_account_id: wallet.id, credit_account_id: other.id, amount: 10_000_000 },
        { debit_account_id: cash.id, credit_account_id: other.id, amount: 5 },
      ]),
    );
    expect(failed.map(codeOf)).toEqual([
      "linked_transfer_failed",
      "insufficient_funds",
      "linked_transfer_failed",
    ]);
    expect(await bal(wallet.id)).toEqual(before);
    // A later item may spend what an earlier item of the chain brought in.
    const spendable = before.credits_posted - before.debits_posted - before.debits_pending;
    const chained = await ledger.run(ten, (uow) =>
      uow.transfers([
        { debit_account_id: cash.id, credit_account_id: wallet.id, amount: 5 },
        { debit_account_id: wallet.id, credit_account_id: other.id, amount: spendable + 5 },
      ]),
    );
    expect(chained.map(codeOf)).toEqual(["created", "created"]);
    // A batch mixes independent items and chains.
    const batch = await ledger.run(ten, (uow) =>
      uow.batch([
        { debit_account_id: cash.id, credit_account_id: wallet.id, amount: 1 },
        { debit_account_id: wallet.id, credit_account_id: other.id, amount: 999_999_999, linked: true },
        { debit_account_id: cash.id, credit_account_id: other.id, amount: 1 },
        { debit_account_id: cash.id, credit_account_id: other.id, amount: 2 },
      ]),
    );
    expect(batch.map(codeOf)).toEqual(["created", "insufficient_funds", "linked_transfer_failed", "created"]);
  });

  it("a unit that throws leaves nothing: no transfer, no account, no appended row, none of its SQL", async () => {
    const before = await bal(wallet.id);
    const auditId = newId("aud");
    const appendedOnly = newId("aud");
    const attempt = ledger.run(ten, async (uow) => {
      await uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 1 });
      await uow.createAccount({ id: "acc-never", asset: "CNY", kind: "x" });
      uow.append("audit_events", {
        tenant_id: ten,
        id: appendedOnly,
        actor_type: "system",
        actor_id: "test",
        actor_role: null,
        action: "test.appended",
        target_type: "x",
        target_id: null,
        request_id: null,
      });
      await uow.trx
        .insertInto("audit_events")
        .values({
          tenant_id: ten,
          id: auditId,
          actor_type: "system",
          actor_id: "test",
          actor_role: null,
          action: "test.sql",
          target_type: "x",
          target_id: null,
          request_id: null,
        })
        .execute();
      throw new Error("business rule says no");
    });
    // Another unit runs in the same batch and must commit.
    const sibling = ledger.run(ten, (uow) =>
      uow.transfer({ debit_account_id: cash.id, credit_account_id: other.id, amount: 3 }),
    );
    await expect(attempt).rejects.toThrow("business rule says no");
    expect(ok(await sibling).code).toBe("created");
    expect(await bal(wallet.id)).toEqual(before);
    expect(await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, "acc-never"))).toBeUndefined();
    const rows = await t.owner
      .selectFrom("audit_events")
      .select("id")
      .where("id", "in", [auditId, appendedOnly])
      .execute();
    expect(rows).toEqual([]);
  });

  it("a unit that fails after changing accounts leaves them as they were to the next unit of its batch", async () => {
    const ids = [cash.id, wallet.id, other.id];
    const stored = async () =>
      (await Promise.all(ids.map(bal))).map((row) => {
        // The row names its tenant; the unit's view of an account does not.
        const { tenant_id: _, ...account } = row as Account & { tenant_id?: string };
        return account;
      });
    const before = await stored();
    clock.advance(1000);
    // The first unit holds its batch open until the other two are queued: they share the next.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = ledger.run(ten, async () => gate);
    const failing = ledger.run(ten, async (uow) => {
      ok(await uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 7 }));
      // A chain inside the unit, which succeeds, then one that fails part-way.
      (
        await uow.transfers([
          { debit_account_id: cash.id, credit_account_id: other.id, amount: 2 },
          { debit_account_id: other.id, credit_account_id: wallet.id, amount: 1 },
        ])
      ).map(ok);
      const refused = await uow.transfers([
        { debit_account_id: wallet.id, credit_account_id: other.id, amount: 3 },
        { debit_account_id: other.id, credit_account_id: wallet.id, amount: 999_999_999 },
      ]);
      expect(refused.map(codeOf)).toEqual(["linked_transfer_failed", "insufficient_funds"]);
      ok(await uow.hold({ debit_account_id: wallet.id, credit_account_id: other.id, amount: 4 }));
      ok(await uow.updateAccount(other.id, { frozen_credits: true, overdraft_limit: 50 }));
      throw new Error("business rule says no");
    });
    const reader = ledger.run(ten, async (uow) => Promise.all(ids.map((id) => uow.getAccount(id))));
    // Handled from now on: it may reject before the first unit's answer is awaited.
    const refusal = expect(failing).rejects.toThrow("business rule says no");
    open();
    await first;
    await refusal;
    // What the next unit of the batch saw, and what the database holds: both as before.
    expect(await reader).toEqual(before);
    expect(await stored()).toEqual(before);
  });

  it("commits a unit's own SQL and appended rows with its transfers", async () => {
    const ids = [newId("aud"), newId("aud")];
    const row = (id: string) => ({
      tenant_id: ten,
      id,
      actor_type: "system",
      actor_id: "test",
      actor_role: null,
      action: "test.ok",
      target_type: "x",
      target_id: null,
      request_id: null,
    });
    const results = await Promise.all(
      ids.map((id, i) =>
        ledger.run(ten, async (uow: UnitOfWork) => {
          if (i === 0) await uow.trx.insertInto("audit_events").values(row(id)).execute();
          else uow.append("audit_events", row(id));
          return uow.transfer({ debit_account_id: cash.id, credit_account_id: other.id, amount: 1 });
        }),
      ),
    );
    expect(results.map(codeOf)).toEqual(["created", "created"]);
    const rows = await t.owner.selectFrom("audit_events").select("id").where("id", "in", ids).execute();
    expect(rows).toHaveLength(2);
  });

  it("works inside a caller's transaction with its own writes", async () => {
    const before = await bal(wallet.id);
    await expect(
      t.db.tenantTx(ten, async (trx) => {
        const ops = ledger.within(trx, ten);
        ok(await ops.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 9 }));
        throw new Error("roll it all back");
      }),
    ).rejects.toThrow("roll it all back");
    expect(await bal(wallet.id)).toEqual(before);
    const r = await t.db.tenantTx(ten, async (trx) => {
      const ops = ledger.within(trx, ten);
      const a = await ops.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 9 });
      const b = await ops.balances(wallet.id);
      return { a, b };
    });
    expect(ok(r.a).code).toBe("created");
    expect(r.b?.posted).toBe(before.credits_posted - before.debits_posted + 9);
  });

  it("statement has a running balance that matches the account; verify finds no difference", async () => {
    const s = await t.db.tenantTx(ten, (trx) => statement(trx, ten, wallet.id, { limit: 100 }));
    expect(s).toBeDefined();
    let running = 0;
    for (const e of s!.entries) {
      running += e.posted_change;
      expect(e.balance).toBe(running);
    }
    const w = await bal(wallet.id);
    expect(running).toBe(w.credits_posted - w.debits_posted);
    const report = await verifyLedger(t.db, ten);
    expect(report.differences).toEqual([]);
    expect(report.malformed_transfers).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.transfers_checked).toBeGreaterThan(10);
  });

  it("locks many accounts at once and names an owner's accounts changed but not yet written", async () => {
    const owner = newId("mbr");
    const seen = await ledger.run(ten, async (uow) => {
      const lot = ok(
        await uow.createAccount({ asset: "CNY", kind: "lot", owner_module: "wallets", owner_id: owner }),
      ).account;
      const before = await uow.unwrittenAccounts("wallets", owner);
      ok(await uow.transfer({ debit_account_id: cash.id, credit_account_id: lot.id, amount: 5 }));
      const many = await uow.balancesMany([lot.id, "acc_missing", wallet.id]);
      return {
        lot: lot.id,
        before,
        many: many.map((b) => b?.available),
        others: await uow.unwrittenAccounts("wallets", newId("mbr")),
      };
    });
    expect(seen.before).toEqual([seen.lot]);
    const w = await bal(wallet.id);
    expect(seen.many).toEqual([5, undefined, w.credits_posted - w.debits_posted - w.debits_pending]);
    expect(seen.others).toEqual([]);
    // Once written, nothing is left unwritten.
    expect(await ledger.run(ten, (uow) => uow.unwrittenAccounts("wallets", owner))).toEqual([]);
  });

  it("verify reports a balance that does not match the journal", async () => {
    const ten2 = await tenant();
    const a = await ledger.run(ten2, async (uow) => [
      ok(await uow.createAccount({ asset: "CNY", kind: "a" })).account,
      ok(await uow.createAccount({ asset: "CNY", kind: "b" })).account,
    ]);
    await ledger.run(ten2, (uow) =>
      uow.transfer({ debit_account_id: a[0]!.id, credit_account_id: a[1]!.id, amount: 5 }),
    );
    await t.owner
      .updateTable("ledger_accounts")
      .set({ credits_posted: 6 })
      .where("id", "=", a[1]!.id)
      .execute();
    const report = await verifyLedger(t.db, ten2);
    expect(report.ok).toBe(false);
    expect(report.differences).toEqual([
      { account_id: a[1]!.id, field: "credits_posted", stored: 6, journal: 5 },
    ]);
  });
});

describe("amounts and sums at the ledger's bounds", () => {
  it("refuses an amount above the maximum as overflow; sums past 2^53 stay exact", async () => {
    const ledger = new Ledger(t.db, { clock, batching: false });
    const ten = await tenant();
    const refused = await ledger.run(ten, async (uow) => {
      const a = ok(await uow.createAccount({ asset: "CNY", kind: "cash" })).account;
      const b = ok(await uow.createAccount({ asset: "CNY", kind: "wallet" })).account;
      return uow.transfer({ debit_account_id: a.id, credit_account_id: b.id, amount: MAX_AMOUNT + 1 });
    });
    expect(codeOf(refused)).toBe("overflow");
    // Three wallets of 9 × 10^15 each: every balance is below 2^53, their sum is not.
    for (let w = 0; w < 3; w++) {
      await ledger.run(ten, async (uow) => {
        const cash = ok(await uow.createAccount({ asset: "CNY", kind: "cash" })).account;
        const wallet = ok(await uow.createAccount({ asset: "CNY", kind: "wallet" })).account;
        for (let i = 0; i < 9; i++) {
          ok(
            await uow.transfer({
              debit_account_id: cash.id,
              credit_account_id: wallet.id,
              amount: MAX_AMOUNT,
            }),
          );
        }
      });
    }
    const trial = await t.db.tenantTx(ten, (trx) => trialBalance(trx, ten));
    expect(trial.find((r) => r.asset === "CNY")).toMatchObject({
      debits_posted: "27000000000000000",
      credits_posted: "27000000000000000",
      balanced: true,
    });
    const report = await verifyLedger(t.db, ten);
    expect(report).toMatchObject({ ok: true, differences: [] });
  });

  it("an overflow reaching a module is the caller's 422, never a broken invariant", () => {
    const overflow = { ok: false as const, code: "overflow" as const, detail: "too large" };
    expect(() => expectTransfer(overflow)).toThrow(
      expect.objectContaining({ code: "amount_out_of_range" }) as unknown as Error,
    );
    expect(statusForCode("amount_out_of_range")).toBe(422);
  });
});

describe("a batch started by the one before it", () => {
  it("runs at the clock of the request that led it, and counts its round trips for that request", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await tenant();
    const [cash, wallet] = await ledger.run(ten, async (uow) => [
      ok(await uow.createAccount({ asset: "CNY", kind: "cash" })).account,
      ok(await uow.createAccount({ asset: "CNY", kind: "wallet" })).account,
    ]);
    const topUp = (uow: UnitOfWork) =>
      uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 1 });
    const first: RoundTrips = { count: 0 };
    const second: RoundTrips = { count: 0 };
    const seenAt: Record<string, string> = {};
    let secondDone: Promise<unknown> = Promise.resolve();
    const counted = <T>(counter: RoundTrips, scope: ClockScope, work: () => Promise<T>) =>
      new Promise<T>((resolve, reject) =>
        countRoundTripsOf(counter, (release) =>
          runInClockScope(scope, () => work().then(resolve, reject).finally(release)),
        ),
      );
    await counted(first, { frozenAt: new Date("2030-01-01T00:00:00Z") }, () =>
      ledger.run(ten, async (uow) => {
        seenAt.first = clock.now().toISOString();
        // Queued while this batch evaluates: the next batch is started when this one ends.
        secondDone = counted(second, { frozenAt: new Date("2031-01-01T00:00:00Z") }, () =>
          ledger.run(ten, async (next) => {
            seenAt.second = clock.now().toISOString();
            return ok(await topUp(next));
          }),
        );
        return ok(await topUp(uow));
      }),
    );
    await secondDone;
    expect(seenAt).toEqual({ first: "2030-01-01T00:00:00.000Z", second: "2031-01-01T00:00:00.000Z" });
    // Each batch: BEGIN with the lock query, then the write with COMMIT.
    expect(first.count).toBeGreaterThanOrEqual(2);
    expect(second.count).toBeGreaterThanOrEqual(2);
  });
});

describe("units queued while a batch waits for its rows", () => {
  async function twoAccounts(ledger: Ledger) {
    const ten = await tenant();
    const [cash, wallet] = await ledger.run(ten, async (uow) => [
      ok(await uow.createAccount({ asset: "CNY", kind: "cash" })).account,
      ok(await uow.createAccount({ asset: "CNY", kind: "wallet" })).account,
    ]);
    return { ten, cash: cash!, wallet: wallet! };
  }

  it("join it when they name their rows, and each sees the ones before it", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const { ten, cash, wallet } = await twoAccounts(ledger);
    const before = { ...ledger.stats };
    // The first starts a batch at once; the other four queue while it connects and locks.
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((amount) =>
        ledger.run(
          ten,
          async (uow) =>
            ok(await uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount })),
          { lock: [cash.id, wallet.id] },
        ),
      ),
    );
    expect(ledger.stats.batches - before.batches).toBe(1);
    expect(ledger.stats.units - before.units).toBe(5);
    expect(results.map((r) => r.transfer.credit_balance)).toEqual([1, 3, 6, 10, 15]);
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after?.credits_posted).toBe(15);
  });

  it("take two round trips for a batch: BEGIN with its lock, and its write with COMMIT", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const { ten, cash, wallet } = await twoAccounts(ledger);
    const counter: RoundTrips = { count: 0 };
    const result = await new Promise<TransferResult>((resolve, reject) =>
      countRoundTripsOf(counter, (release) =>
        ledger
          .run(
            ten,
            (uow) => uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 7 }),
            { lock: [cash.id, wallet.id] },
          )
          .then(resolve, reject)
          .finally(release),
      ),
    );
    expect(result.ok).toBe(true);
    expect(counter.count).toBe(2);
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after?.credits_posted).toBe(7);
  });

  it("send BEGIN and a unit's savepoint with the unit's first statement of its own, and roll back only a unit that fails", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const { ten, cash, wallet } = await twoAccounts(ledger);
    const store = (id: string) => ({ tenant_id: ten, id, kind: "store" as const, name: id, path: `/${id}/` });
    const counter: RoundTrips = { count: 0 };
    const result = await new Promise<TransferResult>((resolve, reject) =>
      countRoundTripsOf(counter, (release) =>
        ledger
          .run(ten, async (uow) => {
            await uow.trx.insertInto("org_units").values(store("ou_l1")).execute();
            return uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 3 });
          })
          .then(resolve, reject)
          .finally(release),
      ),
    );
    expect(result.ok).toBe(true);
    // BEGIN, the savepoint and the insert; its release; the transfer's rows; the write with COMMIT.
    expect(counter.count).toBe(4);

    // In one batch, the unit whose first statement fails loses its own SQL and nothing else.
    const ledgerOfOneBatch = new Ledger(t.db, { clock, batching: true });
    const outcomes = await Promise.allSettled([
      ledgerOfOneBatch.run(ten, async (uow) => {
        await uow.trx.insertInto("org_units").values(store("ou_l1")).execute(); // taken: fails
      }),
      ledgerOfOneBatch.run(ten, async (uow) => {
        await uow.trx.insertInto("org_units").values(store("ou_l2")).execute();
        return ok(await uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 4 }));
      }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled"]);
    expect(outcomes[0]).toMatchObject({ reason: { code: "23505" } });
    const units = await t.owner
      .selectFrom("org_units")
      .select("id")
      .where("tenant_id", "=", ten)
      .orderBy("id")
      .execute();
    expect(units.map((u) => u.id)).toEqual(["ou_l1", "ou_l2"]);
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after?.credits_posted).toBe(7);
  });

  it("wait for a batch of their own when they name no rows, or run at another test clock", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const { ten, cash, wallet } = await twoAccounts(ledger);
    const pay = (options: { lock?: string[] }, at?: string) => () =>
      runInClockScope(at ? { frozenAt: new Date(at) } : undefined, () =>
        ledger.run(
          ten,
          async (uow) => {
            ok(await uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: 1 }));
            return clock.now().toISOString();
          },
          options,
        ),
      );
    const named = { lock: [cash.id, wallet.id] };
    let before = ledger.stats.batches;
    await Promise.all([pay(named)(), pay({})(), pay({})()]);
    // The unnamed two go together in a second batch, as before.
    expect(ledger.stats.batches - before).toBe(2);
    before = ledger.stats.batches;
    const seen = await Promise.all([
      pay(named, "2030-01-01T00:00:00Z")(),
      pay(named, "2030-01-01T00:00:00Z")(),
      pay(named, "2031-01-01T00:00:00Z")(),
    ]);
    expect(seen).toEqual([
      "2030-01-01T00:00:00.000Z",
      "2030-01-01T00:00:00.000Z",
      "2031-01-01T00:00:00.000Z",
    ]);
    expect(ledger.stats.batches - before).toBe(2);
    // Nor does the pump put units of two clocks in one batch.
    before = ledger.stats.batches;
    const unnamed = await Promise.all([
      pay({}, "2030-01-01T00:00:00Z")(),
      pay({}, "2031-01-01T00:00:00Z")(),
      pay({}, "2032-01-01T00:00:00Z")(),
      pay({}, "2032-01-01T00:00:00Z")(),
    ]);
    expect(unnamed).toEqual([
      "2030-01-01T00:00:00.000Z",
      "2031-01-01T00:00:00.000Z",
      "2032-01-01T00:00:00.000Z",
      "2032-01-01T00:00:00.000Z",
    ]);
    expect(ledger.stats.batches - before).toBe(3);
  });
});
