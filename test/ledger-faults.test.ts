/**
 * The ledger's batches under a failing database. Statements cancelled at random
 * (`pg_cancel_backend`, as an operator or a statement timeout would) or connections
 * terminated (`pg_terminate_backend`, a failover): every unit is answered, an answered refusal
 * or error left nothing behind, every success is stored, and nothing applies twice. A COMMIT
 * whose answer is lost on the way back (a proxy cuts the connection) is found committed, not
 * run again.
 */
import net from "node:net";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../src/db/database.js";
import { Ledger } from "../src/ledger/ledger.js";
import { verifyLedger } from "../src/ledger/queries.js";
import type { TransferResult } from "../src/ledger/types.js";
import { ManualClock } from "../src/shared/clock.js";
import { newId } from "../src/shared/ids.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { interruptAtRandom } from "./helpers/interrupt.js";
import { funded, ledgerTenant, openAccounts } from "./ledger-helpers.js";

let t: TestDatabase;
const clock = new ManualClock("2026-03-01T00:00:00Z");

beforeAll(async () => {
  t = await createTestDatabase({ poolSize: 20 });
});
afterAll(async () => t?.drop());

/** Two writers on one database, as two processes: one carries state forward, one locks. */
function twoLedgers(): [Ledger, Ledger] {
  return [
    new Ledger(t.db, { clock, batching: true, carryForward: true, unitsAreLedgerOnly: true }),
    new Ledger(t.db, { clock, batching: true }),
  ];
}

describe("a ledger whose statements are cancelled at random", () => {
  it("answers every unit; a unit refused or failed left no transfer, a unit that succeeded left exactly its own", async () => {
    const ledgers = twoLedgers();
    const [carrying, locking] = ledgers;
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
    const canceller = interruptAtRandom(t);
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

describe("a ledger whose connections are terminated at random", () => {
  it("never applies a unit twice: a commit whose answer was lost is found, not run again", async () => {
    const ledgers = twoLedgers();
    const locking = ledgers[1];
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(locking, ten, 1_000_000);
    // No transfer ids: a unit run again after a commit it did not hear of would pay twice.
    // Each payment names its unit in `reference_id`, so the journal says how often it ran.
    // Waves of 100 go on until the terminations have hit a few sessions (at most 20 waves).
    const outcomes: PromiseSettledResult<TransferResult>[] = [];
    const terminator = interruptAtRandom(t, "terminate");
    try {
      for (let wave = 0; wave < 20 && terminator.count() < 3; wave++) {
        const answered: boolean[] = Array.from({ length: 100 }, () => false);
        const units = Promise.allSettled(
          answered.map((_, j) => {
            const i = wave * 100 + j;
            return ledgers[i % ledgers.length]!.run(
              ten,
              (uow) =>
                uow.transfer({
                  debit_account_id: wallet.id,
                  credit_account_id: sink.id,
                  amount: 1,
                  reference_module: "faults",
                  reference_id: `unit-${i}`,
                }),
              i % 2 === 0 ? { lock: [wallet.id, sink.id] } : {},
            ).finally(() => {
              answered[j] = true;
            });
          }),
        );
        await Promise.all(ledgers.map((l) => l.drainAll()));
        await new Promise((resolve) => setImmediate(resolve));
        expect(
          answered.flatMap((a, j) => (a ? [] : [wave * 100 + j])),
          "units never answered",
        ).toEqual([]);
        outcomes.push(...(await units));
      }
    } finally {
      expect(await terminator.stop(), "no session was terminated: the run tested nothing").toBeGreaterThan(0);
    }
    const journal = await t.owner
      .selectFrom("ledger_transfers")
      .select(["id", "reference_id"])
      .where("tenant_id", "=", ten)
      .where("reference_module", "=", "faults")
      .execute();
    const runs = new Map<string, string[]>();
    for (const row of journal) runs.set(row.reference_id!, [...(runs.get(row.reference_id!) ?? []), row.id]);
    for (const [i, outcome] of outcomes.entries()) {
      const stored = runs.get(`unit-${i}`) ?? [];
      expect(stored.length, `unit ${i} applied ${stored.length} times`).toBeLessThanOrEqual(1);
      // A success names the one transfer stored; a failure may have committed (its answer lost).
      if (outcome.status === "fulfilled") {
        expect(outcome.value.ok).toBe(true);
        if (outcome.value.ok) expect(stored).toEqual([outcome.value.transfer.id]);
      }
    }
    const after = await t.owner
      .selectFrom("ledger_accounts")
      .select("debits_posted")
      .where("tenant_id", "=", ten)
      .where("id", "=", wallet.id)
      .executeTakeFirstOrThrow();
    expect(Number(after.debits_posted)).toBe(journal.length);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });
});

/**
 * A TCP proxy to the test database that, once armed, forwards the next COMMIT and then cuts
 * the connection before its answer reaches the client: the transaction committed, and the
 * ledger only hears that its connection was lost.
 */
async function commitAnswerLosingProxy(databaseUrl: string, options: { cutAtOnce?: boolean } = {}) {
  const target = new URL(databaseUrl);
  let armed = false;
  let cut = 0;
  const server = net.createServer((client) => {
    // The embedded server is reached through its socket folder when it has one.
    const host = target.searchParams.get("host") ?? decodeURIComponent(target.hostname);
    const upstream = host.startsWith("/")
      ? net.connect({ path: `${host}/.s.PGSQL.${target.port}` })
      : net.connect(Number(target.port), host);
    let dropNextAnswer = false;
    client.on("data", (chunk) => {
      // A statement that is COMMIT (its text ends the message), not a value that says commit.
      if (armed && chunk.toString("latin1").toLowerCase().includes("commit\u0000")) {
        armed = false;
        if (options.cutAtOnce) {
          // The COMMIT reaches the server, and the client hears at once that its connection
          // is lost: while the server may still be committing.
          cut++;
          upstream.end(chunk);
          client.destroy();
          return;
        }
        dropNextAnswer = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (dropNextAnswer) {
        cut++;
        client.destroy();
        upstream.destroy();
        return;
      }
      if (!client.destroyed) client.write(chunk);
    });
    const close = () => {
      client.destroy();
      // A COMMIT cut at once goes on to the server: its half of the connection ends when
      // the server's does.
      if (!options.cutAtOnce || upstream.writableEnded === false) upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.searchParams.delete("host");
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    arm: () => {
      armed = true;
    },
    cuts: () => cut,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("a batch whose COMMIT's answer is lost", () => {
  beforeAll(async () => {
    // A commit that takes a while: a deferred trigger (it runs at COMMIT) sleeps for the
    // transfers the tests below name so.
    await sql`
      create function slow_commit() returns trigger language plpgsql as
        $$ begin perform pg_sleep(0.4); return null; end $$`.execute(t.owner);
    await sql`
      create constraint trigger slow_commit after insert on ledger_transfers
        deferrable initially deferred for each row when (new.reference_id = 'slow-answer')
        execute function slow_commit()`.execute(t.owner);
  });

  it.each([
    { label: "locking its rows", carryForward: false, cutAtOnce: false },
    { label: "carrying forward", carryForward: true, cutAtOnce: false },
    { label: "locking its rows, cut while the server still commits", carryForward: false, cutAtOnce: true },
    { label: "carrying forward, cut while the server still commits", carryForward: true, cutAtOnce: true },
  ])("($label) is found committed and answered so, never run again", async ({ carryForward, cutAtOnce }) => {
    const proxy = await commitAnswerLosingProxy(t.url, { cutAtOnce });
    const reference = cutAtOnce ? "slow-answer" : "lost-answer";
    const db = createDatabase(proxy.url, { poolSize: 4 });
    try {
      const ledger = new Ledger(db, {
        clock,
        batching: true,
        carryForward,
        unitsAreLedgerOnly: carryForward,
      });
      const ten = await ledgerTenant(t, clock);
      const { wallet, sink } = await funded(new Ledger(t.db, { clock, batching: true }), ten, 100);
      proxy.arm();
      const outcome = await ledger
        .run(ten, (uow) =>
          uow.transfer({
            debit_account_id: wallet.id,
            credit_account_id: sink.id,
            amount: 30,
            reference_module: "faults",
            reference_id: reference,
          }),
        )
        .then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
      expect(proxy.cuts(), "the proxy cut no answer: the test tested nothing").toBe(1);
      const stored = await t.owner
        .selectFrom("ledger_transfers")
        .select("id")
        .where("tenant_id", "=", ten)
        .where("reference_id", "=", reference)
        .execute();
      expect(stored, "the unit was applied twice").toHaveLength(1);
      expect(outcome.ok, String(!outcome.ok && outcome.error)).toBe(true);
      if (outcome.ok) expect(outcome.value).toMatchObject({ ok: true, transfer: { id: stored[0]!.id } });
      const after = await t.owner
        .selectFrom("ledger_accounts")
        .select("debits_posted")
        .where("id", "=", wallet.id)
        .executeTakeFirstOrThrow();
      expect(Number(after.debits_posted)).toBe(30);
    } finally {
      await db.close();
      await proxy.close();
    }
  });
});
