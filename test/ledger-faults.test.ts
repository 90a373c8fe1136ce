/**
 * Statements of the ledger's batches cancelled at random moments (PostgreSQL's own
 * `pg_cancel_backend`, as an operator or a statement timeout would): whatever statement a
 * cancel hits — a lock wait, a unit's evaluation, a write, a commit's pipeline — every unit is
 * answered, an answered refusal or error left nothing behind, and every success is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ledger } from "../src/ledger/ledger.js";
import { verifyLedger } from "../src/ledger/queries.js";
import type { TransferResult } from "../src/ledger/types.js";
import { ManualClock } from "../src/shared/clock.js";
import { newId } from "../src/shared/ids.js";
import { cancelAtRandom } from "./helpers/cancel.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { funded, ledgerTenant, openAccounts } from "./ledger-helpers.js";

let t: TestDatabase;
const clock = new ManualClock("2026-03-01T00:00:00Z");

beforeAll(async () => {
  t = await createTestDatabase({ poolSize: 20 });
});
afterAll(async () => t?.drop());

describe("a ledger whose statements are cancelled at random", () => {
  it("answers every unit; a unit refused or failed left no transfer, a unit that succeeded left exactly its own", async () => {
    const carrying = new Ledger(t.db, {
      clock,
      batching: true,
      carryForward: true,
      unitsAreLedgerOnly: true,
    });
    const locking = new Ledger(t.db, { clock, batching: true });
    const ledgers = [carrying, locking];
    const ten = await ledgerTenant(t, clock);
    const WALLETS = 4;
    const PER_WALLET = 60;
    const AMOUNT = 10;
    const BALANCE = 500; // 50 of each wallet's 60 payments fit
    const wallets: string[] = [];
    for (let i = 0; i < WALLETS; i++) wallets.push((await funded(locking, ten, BALANCE)).wallet.id);
    const [hot] = await openAccounts(locking, ten, [{ asset: "CNY", kind: "merchant" }]);

    const payments = Array.from({ length: WALLETS * PER_WALLET }, (_, i) => ({
      id: newId("tr"),
      wallet: wallets[i % WALLETS]!,
      // Half name their rows, so their batch takes them before any unit runs.
      named: i % 2 === 0,
      answered: false,
    }));
    const canceller = cancelAtRandom(t);
    let units: Promise<PromiseSettledResult<TransferResult>[]>;
    try {
      units = Promise.allSettled(
        payments.map((p, i) =>
          ledgers[i % ledgers.length]!.run(
            ten,
            (uow) =>
              uow.transfer({
                id: p.id,
                debit_account_id: p.wallet,
                credit_account_id: hot!.id,
                amount: AMOUNT,
              }),
            p.named ? { lock: [p.wallet, hot!.id] } : {},
          ).finally(() => {
            p.answered = true;
          }),
        ),
      );
      // Once neither ledger runs a batch, each unit it was given has been answered: a unit
      // dropped on some failure would wait for ever, and is named here instead.
      await Promise.all(ledgers.map((l) => l.drainAll()));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await canceller.stop();
    }
    expect(
      payments.flatMap((p, i) => (p.answered ? [] : [i])),
      "units never answered",
    ).toEqual([]);
    const outcomes = await units;
    const failed = carrying.stats.failedBatches + locking.stats.failedBatches;
    expect(failed, "no cancel reached a batch: the run tested nothing").toBeGreaterThan(0);

    const stored = new Set(
      (
        await t.owner
          .selectFrom("ledger_transfers")
          .select("id")
          .where("tenant_id", "=", ten)
          .where("credit_account_id", "=", hot!.id)
          .execute()
      ).map((r) => r.id),
    );
    const byWallet = new Map(wallets.map((w) => [w, { stored: 0, refused: false }]));
    for (const [i, outcome] of outcomes.entries()) {
      const p = payments[i]!;
      const created = outcome.status === "fulfilled" && outcome.value.ok && outcome.value.code === "created";
      expect(stored.has(p.id), `payment ${i}: ${JSON.stringify(outcome)}`).toBe(created);
      if (stored.has(p.id)) byWallet.get(p.wallet)!.stored++;
      if (outcome.status === "fulfilled" && !outcome.value.ok) {
        expect(outcome.value.code).toBe("insufficient_funds");
        byWallet.get(p.wallet)!.refused = true;
      }
    }
    for (const { stored: n, refused } of byWallet.values()) {
      expect(n * AMOUNT).toBeLessThanOrEqual(BALANCE);
      // A refusal for want of funds was true: a wallet's payments only ever spend it.
      if (refused) expect(n * AMOUNT).toBe(BALANCE);
    }
    const accounts = await t.owner
      .selectFrom("ledger_accounts")
      .select(["id", "debits_posted", "credits_posted"])
      .where("tenant_id", "=", ten)
      .where("id", "in", [...wallets, hot!.id])
      .execute();
    for (const a of accounts) {
      if (a.id === hot!.id) expect(Number(a.credits_posted)).toBe(stored.size * AMOUNT);
      else expect(Number(a.debits_posted)).toBe(byWallet.get(a.id)!.stored * AMOUNT);
    }
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });
});
