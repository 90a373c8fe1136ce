import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ledger } from "../src/ledger/ledger.js";
import { findAccount, holdState, verifyLedger } from "../src/ledger/queries.js";
import type { Account, Transfer, TransferResult } from "../src/ledger/types.js";
import { ManualClock } from "../src/shared/clock.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { ledgerTenant, openAccounts, tally } from "./ledger-helpers.js";

let t: TestDatabase;
const clock = new ManualClock("2026-03-01T00:00:00Z");

beforeAll(async () => {
  t = await createTestDatabase({ poolSize: 20 });
});
afterAll(async () => t?.drop());

/** Two ledgers on one database behave like two server processes: separate pipelines, racing transactions. */
const modes = [
  { label: "group commit", make: () => [new Ledger(t.db, { clock, batching: true })] },
  { label: "one transaction per unit", make: () => [new Ledger(t.db, { clock, batching: false })] },
  {
    label: "two processes with group commit",
    make: () => [new Ledger(t.db, { clock, batching: true }), new Ledger(t.db, { clock, batching: true })],
  },
  {
    label: "group commit racing plain transactions",
    make: () => [new Ledger(t.db, { clock, batching: true }), new Ledger(t.db, { clock, batching: false })],
  },
];

async function world(ledger: Ledger, funds: number) {
  const ten = await ledgerTenant(t, clock);
  const [cash, wallet, sink] = (await openAccounts(ledger, ten, [
    { asset: "CNY", kind: "cash" },
    { asset: "CNY", kind: "wallet", debits_must_not_exceed_credits: true },
    { asset: "CNY", kind: "merchant" },
  ])) as [Account, Account, Account];
  const funded = await ledger.run(ten, (uow) =>
    uow.transfer({ debit_account_id: cash.id, credit_account_id: wallet.id, amount: funds }),
  );
  expect(funded.ok).toBe(true);
  const hold = async (amount: number) => {
    const r = await ledger.run(ten, (uow) =>
      uow.hold({ debit_account_id: wallet.id, credit_account_id: sink.id, amount }),
    );
    if (!r.ok) throw new Error(r.code);
    return r.transfer;
  };
  const current = async () => (await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id)))!;
  return { ten, wallet, hold, account: current };
}

describe.each(modes)("partial voids under concurrency: $label", ({ make }) => {
  it("60 concurrent voids of 10 against a hold of 500: exactly 50 succeed, nothing released twice", async () => {
    const ledgers = make();
    const w = await world(ledgers[0]!, 1_000);
    const h = await w.hold(500);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        ledgers[i % ledgers.length]!.run(w.ten, (uow) => uow.void({ pending_id: h.id, amount: 10 })),
      ),
    );
    expect(tally(results)).toEqual({ created: 50, pending_already_voided: 10 });
    // Each step started where the one before it ended.
    const befores = results.flatMap((r) => (r.ok ? [r.transfer.pending_before] : [])).sort((a, b) => b! - a!);
    expect(befores).toEqual(Array.from({ length: 50 }, (_, i) => 500 - 10 * i));
    expect(await w.account()).toMatchObject({ debits_pending: 0, debits_posted: 0 });
    expect((await verifyLedger(t.db, w.ten)).ok).toBe(true);
  });

  it("voids of part racing a post: the post takes exactly what the voids before it left", async () => {
    const ledgers = make();
    const w = await world(ledgers[0]!, 1_000);
    for (let round = 0; round < 10; round++) {
      const h = await w.hold(100);
      const [post, ...voids] = await Promise.all([
        ledgers[round % ledgers.length]!.run(w.ten, (uow) => uow.post({ pending_id: h.id })),
        ...Array.from({ length: 5 }, (_, i) =>
          ledgers[(round + i + 1) % ledgers.length]!.run(w.ten, (uow) =>
            uow.void({ pending_id: h.id, amount: 15 }),
          ),
        ),
      ]);
      const voided = voids.filter((r) => r.ok).length;
      for (const r of voids) if (!r.ok) expect(r.code).toBe("pending_already_posted");
      expect(post).toMatchObject({
        ok: true,
        transfer: { amount: 100 - 15 * voided, pending_before: 100 - 15 * voided },
      });
      expect(await t.db.tenantTx(w.ten, (trx) => holdState(trx, w.ten, h.id))).toMatchObject({
        state: "posted",
        pending: 0,
      });
    }
    expect((await w.account()).debits_pending).toBe(0);
    expect((await verifyLedger(t.db, w.ten)).ok).toBe(true);
  });
});

type Step = { hold: number; verb: "post" | "void"; amount: number | null };

const step: fc.Arbitrary<Step> = fc.record({
  hold: fc.nat(3),
  verb: fc.oneof(
    { weight: 4, arbitrary: fc.constant("void" as const) },
    { weight: 1, arbitrary: fc.constant("post" as const) },
  ),
  amount: fc.option(fc.integer({ min: 1, max: 60 }), { freq: 5 }),
});
/** Steps in rounds; the steps of one round run concurrently, each through a random ledger. */
const scenario = fc.array(fc.array(fc.tuple(step, fc.nat(2)), { minLength: 1, maxLength: 6 }), {
  minLength: 1,
  maxLength: 6,
});

describe("partial posts and voids: property", () => {
  it("every hold's acknowledged steps form one chain, and balances equal what the chains say", async () => {
    const ledgers = [
      new Ledger(t.db, { clock, batching: true }),
      new Ledger(t.db, { clock, batching: true }),
      new Ledger(t.db, { clock, batching: false }),
    ];
    const stats = { created: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 4, maxLength: 4 }),
        scenario,
        async (amounts, rounds) => {
          const w = await world(ledgers[0]!, 1_000);
          const holds: Transfer[] = [];
          for (const amount of amounts) holds.push(await w.hold(amount));
          const acknowledged: Transfer[] = [];
          for (const round of rounds) {
            const results: TransferResult[] = await Promise.all(
              round.map(([s, which]) =>
                ledgers[which]!.run(w.ten, (uow) => {
                  const input = {
                    pending_id: holds[s.hold]!.id,
                    ...(s.amount === null ? {} : { amount: s.amount }),
                  };
                  return s.verb === "post" ? uow.post(input) : uow.void(input);
                }),
              ),
            );
            for (const r of results) {
              if (r.ok) {
                expect(r.code).toBe("created");
                acknowledged.push(r.transfer);
              } else {
                expect([
                  "exceeds_pending_amount",
                  "pending_already_posted",
                  "pending_already_voided",
                ]).toContain(r.code);
                stats.refused++;
              }
            }
          }
          stats.created += acknowledged.length;
          let pending = 0;
          let posted = 0;
          for (const h of holds) {
            const steps = acknowledged
              .filter((s) => s.pending_id === h.id)
              .sort((a, b) => b.pending_before! - a.pending_before!);
            let left = h.amount;
            let resolved = false;
            for (const s of steps) {
              expect(resolved).toBe(false);
              expect(s.pending_before).toBe(left);
              expect(s.amount).toBeLessThanOrEqual(left);
              if (s.kind === "post_pending") {
                posted += s.amount;
                left = 0;
                resolved = true;
              } else {
                left -= s.amount;
                resolved = left === 0;
              }
            }
            const state = await t.db.tenantTx(w.ten, (trx) => holdState(trx, w.ten, h.id));
            expect(state.pending).toBe(left);
            expect(state.state === "pending").toBe(!resolved);
            pending += left;
          }
          expect(await w.account()).toMatchObject({ debits_pending: pending, debits_posted: posted });
          const report = await verifyLedger(t.db, w.ten);
          expect(report.malformed_transfers).toEqual([]);
          expect(report.ok).toBe(true);
        },
      ),
      // A failure here usually depends on how the rounds' transactions interleaved, which a
      // smaller scenario does not replay: shrinking would re-run scenarios until the test's
      // deadline and hide the failure. It is reported at once, with its seed and path.
      { numRuns: 20, endOnFailure: true },
    );
    // The generator must exercise both outcomes, or the property proves little.
    expect(stats.created).toBeGreaterThan(50);
    expect(stats.refused).toBeGreaterThan(10);
  });
});
