import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ledger } from "../src/ledger/ledger.js";
import { findAccount, verifyLedger } from "../src/ledger/queries.js";
import type { TransferResult } from "../src/ledger/types.js";
import { ManualClock } from "../src/shared/clock.js";
import { newId } from "../src/shared/ids.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { funded, ledgerTenant, openAccounts, storedAuditRow, tally } from "./ledger-helpers.js";

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
  // Units that are all ledger operations: each batch decides on what the committing ones leave.
  { label: "carrying forward", make: () => [carrying()] },
  { label: "two processes carrying forward", make: () => [carrying(), carrying()] },
  {
    label: "carrying forward racing plain transactions",
    make: () => [carrying(), new Ledger(t.db, { clock, batching: false })],
  },
];

function carrying(): Ledger {
  return new Ledger(t.db, { clock, batching: true, carryForward: true, unitsAreLedgerOnly: true });
}

describe.each(modes)("concurrency: $label", ({ make }) => {
  it("500 concurrent 1-unit debits against a balance of 100: exactly 100 succeed", async () => {
    const ledgers = make();
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledgers[0]!, ten, 100);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        ledgers[i % ledgers.length]!.run(ten, (uow) =>
          uow.transfer({ debit_account_id: wallet.id, credit_account_id: sink.id, amount: 1 }),
        ),
      ),
    );
    expect(tally(results)).toEqual({ created: 100, insufficient_funds: 400 });
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after).toMatchObject({ debits_posted: 100, credits_posted: 100, debits_pending: 0 });
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("the same with the debits split across holds and direct transfers", async () => {
    const ledgers = make();
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledgers[0]!, ten, 100);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        ledgers[i % ledgers.length]!.run(ten, (uow) =>
          uow.transfer({
            debit_account_id: wallet.id,
            credit_account_id: sink.id,
            amount: 1,
            pending: i % 2 === 0,
          }),
        ),
      ),
    );
    expect(tally(results)).toEqual({ created: 100, insufficient_funds: 400 });
    const holds = results.filter((r) => r.ok && r.transfer.kind === "pending").length;
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after!.debits_pending).toBe(holds);
    expect(after!.debits_posted).toBe(100 - holds);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("a hold posted and voided concurrently: exactly one wins", async () => {
    const ledgers = make();
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledgers[0]!, ten, 1000);
    const holds = await ledgers[0]!.run(ten, async (uow) => {
      const out: string[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await uow.hold({ debit_account_id: wallet.id, credit_account_id: sink.id, amount: 10 });
        if (!r.ok) throw new Error(r.code);
        out.push(r.transfer.id);
      }
      return out;
    });
    const races = await Promise.all(
      holds.map((id, i) =>
        Promise.all([
          ledgers[i % ledgers.length]!.run(ten, (uow) => uow.post({ pending_id: id, amount: 7 })),
          ledgers[(i + 1) % ledgers.length]!.run(ten, (uow) => uow.void({ pending_id: id })),
        ]),
      ),
    );
    let posted = 0;
    for (const [post, voided] of races) {
      const winners = [post, voided].filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const loser = [post, voided].find((r) => !r.ok) as TransferResult;
      expect(["pending_already_posted", "pending_already_voided"]).toContain(loser.code);
      if (post.ok) posted++;
    }
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after).toMatchObject({ debits_pending: 0, debits_posted: posted * 7 });
    const resolutions = await t.owner
      .selectFrom("ledger_transfers")
      .select(({ fn }) => fn.countAll<number>().as("n"))
      .where("tenant_id", "=", ten)
      .where("pending_id", "is not", null)
      .executeTakeFirstOrThrow();
    expect(Number(resolutions.n)).toBe(40);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("the same client transfer id submitted concurrently is created once", async () => {
    const ledgers = make();
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledgers[0]!, ten, 1000);
    const id = `pay-${newId("x")}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ledgers[i % ledgers.length]!.run(ten, (uow) =>
          uow.transfer({ id, debit_account_id: wallet.id, credit_account_id: sink.id, amount: 5 }),
        ),
      ),
    );
    expect(tally(results)).toEqual({ created: 1, exists: 19 });
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after!.debits_posted).toBe(5);
  });
});

describe("group commit", () => {
  it("a batch that cannot commit is retried unit by unit: only the bad unit fails", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledger, ten, 1000);
    const audit = await storedAuditRow(t, ten);
    const units = Array.from({ length: 30 }, (_, i) =>
      ledger.run(ten, async (uow) => {
        const r = await uow.transfer({ debit_account_id: wallet.id, credit_account_id: sink.id, amount: 1 });
        // Unit 10 appends a row whose key exists: the batch's insert fails at commit time.
        if (i === 10) uow.append("audit_events", audit);
        return r;
      }),
    );
    const settled = await Promise.allSettled(units);
    const rejected = settled.filter((s) => s.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect(String((rejected[0] as PromiseRejectedResult).reason)).toMatch(/duplicate key/);
    expect(settled[10]!.status).toBe("rejected");
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after!.debits_posted).toBe(29);
    expect(ledger.stats.failedBatches).toBeGreaterThan(0);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("a unit refused on the effect of one that does not commit is run again, not refused", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledger, ten, 100);
    const audit = await storedAuditRow(t, ten);
    // A batch that is still evaluating holds the next two units back, so they share a batch.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = ledger.run(ten, async () => {
      await gate;
      return null;
    });
    const pay = (amount: number, appendDuplicate: boolean) =>
      ledger.run(ten, async (uow) => {
        const r = await uow.transfer({ debit_account_id: wallet.id, credit_account_id: sink.id, amount });
        if (!r.ok) throw new Error(r.code);
        // Its row's key exists: the batch's insert fails at commit time.
        if (appendDuplicate) uow.append("audit_events", audit);
        return r.code;
      });
    const spendsAll = pay(100, true);
    // Within the batch the wallet is empty after the first unit, so this one is refused.
    const spendsHalf = pay(50, false);
    open();
    await first;
    const [all, half] = await Promise.allSettled([spendsAll, spendsHalf]);
    expect(all.status).toBe("rejected");
    expect(String((all as PromiseRejectedResult).reason)).toMatch(/duplicate key/);
    expect(half).toEqual({ status: "fulfilled", value: "created" });
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after!.debits_posted).toBe(50);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("gathers concurrent units into batches and answers each caller with its own result", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledger, ten, 1_000_000);
    const batchesBefore = ledger.stats.batches;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        ledger.run(ten, async (uow) => {
          const r = await uow.transfer({
            id: `u-${ten}-${i}`,
            debit_account_id: wallet.id,
            credit_account_id: sink.id,
            amount: i + 1,
          });
          return r.ok ? r.transfer.id : r.code;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 300 }, (_, i) => `u-${ten}-${i}`));
    // Far fewer transactions than units: the point of group commit.
    expect(ledger.stats.batches - batchesBefore).toBeLessThan(100);
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after!.debits_posted).toBe((300 * 301) / 2);
  });

  it("a batch stops at the transfer cap and the rest runs in the next batch", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true, maxBatchTransfers: 10 });
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledger, ten, 1000);
    const before = ledger.stats.batches;
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        ledger.run(ten, (uow) =>
          uow.transfer({ debit_account_id: wallet.id, credit_account_id: sink.id, amount: 1 }),
        ),
      ),
    );
    expect(tally(results)).toEqual({ created: 40 });
    expect(ledger.stats.batches - before).toBeGreaterThanOrEqual(4);
  });

  it("a unit that catches its own failed SQL and returns is failed alone", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await ledgerTenant(t, clock);
    const { wallet, sink } = await funded(ledger, ten, 1000);
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        ledger.run(ten, async (uow) => {
          const r = await uow.transfer({
            debit_account_id: wallet.id,
            credit_account_id: sink.id,
            amount: 1,
          });
          if (i === 3) {
            await uow.trx
              .selectFrom("ledger_accounts")
              .select((eb) => eb.cast<number>(eb.val("not a number"), "integer").as("x"))
              .execute()
              .catch(() => undefined);
          }
          return r;
        }),
      ),
    );
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(9);
    expect(settled[3]!.status).toBe("rejected");
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, wallet.id));
    expect(after!.debits_posted).toBe(9);
  });
});

/**
 * A transaction of its own that takes row locks for the test. It waits a minute before
 * checking for a deadlock, so in any deadlock it joins, the ledger's side (PostgreSQL's
 * default second) is the one chosen as the victim.
 */
async function patientTransaction(): Promise<{
  lock: (id: string) => Promise<void>;
  commit: () => Promise<void>;
}> {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  await client.query("begin; set local deadlock_timeout = '60s'");
  return {
    lock: async (id) => {
      await client.query("select id from ledger_accounts where id = $1 for update", [id]);
    },
    commit: async () => {
      await client.query("commit");
      await client.end();
    },
  };
}

/** Resolves once a session of the test's database waits on a row lock. */
async function someoneWaitsOnALock(): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    const rows = await t.owner
      .selectFrom("pg_stat_activity" as never)
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("datname" as never, "=", t.name as never)
      .where("wait_event_type" as never, "=", "Lock" as never)
      .executeTakeFirstOrThrow();
    if (Number(rows.n) > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("no session came to wait on a lock");
}

describe("deadlocks under group commit", () => {
  it("a unit chosen as a deadlock's victim again when it runs alone is run again, not refused", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await ledgerTenant(t, clock);
    const opened = await openAccounts(
      ledger,
      ten,
      Array.from({ length: 4 }, () => ({ asset: "CNY", kind: "cash" })),
    );
    // The ledger locks a call's accounts in id order: x before a.
    const [x, a, b, y] = opened.map((o) => o.id).sort();
    const other = await patientTransaction();
    await other.lock(b!);
    // One unit, two lock calls: x and a, then b and y.
    const unit = ledger.run(ten, async (uow) => [
      await uow.transfer({ debit_account_id: a!, credit_account_id: x!, amount: 10 }),
      await uow.transfer({ debit_account_id: b!, credit_account_id: y!, amount: 20 }),
    ]);
    // The batch holds x and a and waits for b; taking a closes the cycle. The batch is the
    // victim, and its unit runs alone: it takes x and waits for a, which the other now holds.
    await someoneWaitsOnALock();
    await other.lock(a!);
    // Taking x closes a second cycle, with the unit running alone as its victim.
    await someoneWaitsOnALock();
    await other.lock(x!);
    await other.commit();
    const results = await unit;
    expect(results.map((r) => r.code)).toEqual(["created", "created"]);
    // Two lone runs at least: the first was a victim and ran again. A third when the lone run
    // took a back before the other, woken from its wait, could (PostgreSQL does not queue a
    // released row for its waiter), and the two deadlocked once more.
    expect(ledger.stats.retriedUnits).toBeGreaterThanOrEqual(2);
    const balances = await t.db.tenantTx(ten, async (trx) =>
      Promise.all([a, x, b, y].map(async (id) => (await findAccount(trx, ten, id!))!)),
    );
    expect(balances.map((acc) => acc.debits_posted - acc.credits_posted)).toEqual([10, -10, 20, -20]);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("a unit whose own SQL is chosen as a deadlock's victim is run again alone", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await ledgerTenant(t, clock);
    const [p, q, sink] = (
      await openAccounts(
        ledger,
        ten,
        Array.from({ length: 3 }, () => ({ asset: "CNY", kind: "cash" })),
      )
    ).map((o) => o.id);
    const other = await patientTransaction();
    await other.lock(q!);
    let runs = 0;
    const unit = ledger.run(ten, async (uow) => {
      runs++;
      const r = await uow.transfer({ debit_account_id: sink!, credit_account_id: p!, amount: 5 });
      for (const id of [p!, q!]) {
        await uow.trx.selectFrom("ledger_accounts").select("id").where("id", "=", id).forUpdate().execute();
      }
      return r;
    });
    // The unit holds p and waits for q; taking p closes the cycle, with the unit's own
    // statement as its victim: its savepoint rolls back, and the batch commits without it.
    await someoneWaitsOnALock();
    await other.lock(p!);
    await other.commit();
    expect((await unit).code).toBe("created");
    // At least twice; once more if the lone run took p back before the other woke (see above).
    expect(runs).toBeGreaterThanOrEqual(2);
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, p!));
    expect(after!.credits_posted).toBe(5);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("units whose named rows' lock is chosen as a deadlock's victim, before any unit ran, are run again", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await ledgerTenant(t, clock);
    const [x, y] = (
      await openAccounts(
        ledger,
        ten,
        Array.from({ length: 2 }, () => ({ asset: "CNY", kind: "cash" })),
      )
    )
      .map((o) => o.id)
      .sort() as [string, string];
    const other = await patientTransaction();
    await other.lock(y);
    // The batch takes the named rows before its first unit runs: x, then it waits for y.
    let answered = false;
    const unit = ledger
      .run(ten, (uow) => uow.transfer({ debit_account_id: x, credit_account_id: y, amount: 7 }), {
        lock: [x, y],
      })
      .finally(() => {
        answered = true;
      });
    await someoneWaitsOnALock();
    // Taking x closes the cycle: the batch's lock query is the victim, with no unit evaluated.
    await other.lock(x);
    await other.commit();
    // Once the ledger has nothing running, every unit it was given has been answered.
    await ledger.drainAll();
    await new Promise((r) => setImmediate(r));
    expect(answered, "the unit was left unanswered").toBe(true);
    expect((await unit).code).toBe("created");
    expect(ledger.stats.retriedUnits).toBeGreaterThanOrEqual(1);
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, y));
    expect(after!.credits_posted).toBe(7);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });
});

describe("carrying forward: a batch found stale", () => {
  it("runs its units again on locked rows, and a unit that then finds its row busy is run in the next batch, not lost", async () => {
    const ledger = carrying();
    const plain = new Ledger(t.db, { clock, batching: false });
    const ten = await ledgerTenant(t, clock);
    const opened = await openAccounts(
      plain,
      ten,
      Array.from({ length: 7 }, () => ({ asset: "CNY", kind: "cash" })),
    );
    const [c, sink, x, a, y, b, d] = opened.map((o) => o.id) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const gate = () => {
      let open!: () => void;
      return { passed: new Promise<void>((r) => (open = r)), open: () => open() };
    };
    // A first batch holds the pipeline, so the next two units gather into one carrying batch.
    const first = gate();
    const held = ledger.run(ten, async (uow) => {
      const r = await uow.transfer({ debit_account_id: c, credit_account_id: sink, amount: 1 });
      await first.passed;
      return r;
    });
    const payA = ledger.run(ten, (uow) =>
      uow.transfer({ debit_account_id: x, credit_account_id: a, amount: 2 }),
    );
    // The second unit stops once evaluated, the batch still holding no row; run again, it pays d.
    const evaluated = gate();
    const second = gate();
    let runs = 0;
    const payB = ledger.run(ten, async (uow) => {
      runs++;
      const r = await uow.transfer({ debit_account_id: y, credit_account_id: runs === 1 ? b : d, amount: 3 });
      if (runs === 1) {
        evaluated.open();
        await second.passed;
      }
      return r;
    });
    first.open();
    expect((await held).code).toBe("created");
    await evaluated.passed;
    // Another writer changes x meanwhile: the batch's write finds x not as it decided on it.
    expect(
      (await plain.run(ten, (uow) => uow.transfer({ debit_account_id: x, credit_account_id: c, amount: 5 })))
        .code,
    ).toBe("created");
    const holder = await patientTransaction();
    await holder.lock(d);
    second.open();
    try {
      // Run again on locked rows, the second unit finds d busy and waits for a batch of its own.
      for (let i = 0; i < 3000 && ledger.stats.deferredUnits === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(ledger.stats.staleBatches).toBe(1);
      expect(ledger.stats.deferredUnits).toBe(1);
      expect((await payA).code).toBe("created");
    } finally {
      await holder.commit();
    }
    const settled = await Promise.race([
      payB.then((r) => r.code),
      new Promise<"lost">((r) => setTimeout(() => r("lost"), 30_000)),
    ]);
    expect(settled).toBe("created");
    expect(runs).toBe(3);
    const credited = await t.db.tenantTx(ten, async (trx) =>
      Promise.all([a, b, d].map(async (id) => (await findAccount(trx, ten, id))!.credits_posted)),
    );
    expect(credited).toEqual([2, 0, 3]);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });
});

describe("a batch does not wait for a row while it holds its earlier units' rows", () => {
  it("a unit that needs a row another transaction holds runs first in the next batch; the units before it commit", async () => {
    const ledger = new Ledger(t.db, { clock, batching: true });
    const ten = await ledgerTenant(t, clock);
    const [p, sink, a, x, q, y, b, z] = (
      await openAccounts(
        ledger,
        ten,
        Array.from({ length: 8 }, () => ({ asset: "CNY", kind: "cash" })),
      )
    ).map((o) => o.id);
    const pay = (from: string, to: string, amount: number) =>
      ledger.run(ten, (uow) => uow.transfer({ debit_account_id: from, credit_account_id: to, amount }));
    const first = await patientTransaction();
    const second = await patientTransaction();
    await first.lock(p!);
    await second.lock(q!);
    // The first batch's one unit waits for p, so the next three gather into one batch.
    const blocked = pay(p!, sink!, 1);
    await someoneWaitsOnALock();
    const free = pay(a!, x!, 2);
    let busyDone = false;
    const busy = pay(q!, y!, 3).finally(() => {
      busyDone = true;
    });
    let afterDone = false;
    const after = pay(b!, z!, 4).finally(() => {
      afterDone = true;
    });
    await first.commit();
    expect((await blocked).code).toBe("created");
    // The second batch commits its first unit while q is still held; the unit that needs q
    // waits first in the third batch, and the one after it keeps its place behind it.
    try {
      const early = await Promise.race([
        free,
        new Promise<"waiting">((r) => setTimeout(() => r("waiting"), 60_000)),
      ]);
      expect(early === "waiting" ? early : early.code).toBe("created");
      expect([busyDone, afterDone]).toEqual([false, false]);
      expect(ledger.stats.deferredUnits).toBeGreaterThanOrEqual(1);
    } finally {
      await second.commit();
    }
    expect([(await busy).code, (await after).code]).toEqual(["created", "created"]);
    const balances = await t.db.tenantTx(ten, async (trx) =>
      Promise.all([x, y, z].map(async (id) => (await findAccount(trx, ten, id!))!.credits_posted)),
    );
    expect(balances).toEqual([2, 3, 4]);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });

  it("two processes paying from wallets into a hot account whose id sorts last, without lock hints, never deadlock", async () => {
    const processes = [
      new Ledger(t.db, { clock, batching: true }),
      new Ledger(t.db, { clock, batching: true }),
    ];
    const ten = await ledgerTenant(t, clock);
    const ids = (
      await openAccounts(
        processes[0]!,
        ten,
        Array.from({ length: 9 }, () => ({ asset: "CNY", kind: "cash" })),
      )
    )
      .map((o) => o.id)
      .sort();
    // Each payment locks its wallet, then the hot account: a batch holding the hot account
    // that waited for a wallet would wait on a batch of the other process waiting for it.
    const hot = ids.pop()!;
    const wallets = ids;
    const PAYMENTS = 320;
    let next = 0;
    const results: TransferResult[] = [];
    await Promise.all(
      Array.from({ length: 32 }, async (_, client) => {
        for (let n = next++; n < PAYMENTS; n = next++) {
          results.push(
            await processes[client % 2]!.run(ten, (uow) =>
              uow.transfer({
                debit_account_id: wallets[n % wallets.length]!,
                credit_account_id: hot,
                amount: 1,
              }),
            ),
          );
        }
      }),
    );
    expect(tally(results)).toEqual({ created: PAYMENTS });
    // A deadlock fails a batch (or a unit of it) and costs a second of deadlock_timeout.
    expect(processes.map((l) => [l.stats.failedBatches, l.stats.retriedUnits])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const after = await t.db.tenantTx(ten, (trx) => findAccount(trx, ten, hot));
    expect(after!.credits_posted).toBe(PAYMENTS);
    expect((await verifyLedger(t.db, ten)).ok).toBe(true);
  });
});
