/**
 * One of two API processes freezes (SIGSTOP: a stalled VM, a debugger, a process swapped out)
 * in the middle of a transaction on a hot account both are paying into. Its connection stays
 * open, so PostgreSQL sees no client leave; only the idle-in-transaction limit ends that
 * transaction and frees the row. The other process must go on paying while the first is
 * frozen, and once it wakes, every payment ends with one answer, stored once.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { callServer, type ServerProcess, startServerProcess } from "./helpers/server-process.js";

let t: TestDatabase;
let dataDir: string;
let frozen: ServerProcess | undefined;
let other: ServerProcess | undefined;
const apiKey = randomBytes(30).toString("base64url");

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-frozen-"));
  const env = {
    DATABASE_URL: t.url,
    VOUCHSAFE_DATA_DIR: dataDir,
    VOUCHSAFE_DEMO_API_KEY: apiKey,
    VOUCHSAFE_RUN_WORKER: "false",
    VOUCHSAFE_DB_IDLE_TRANSACTION_TIMEOUT_SECONDS: "1",
  };
  frozen = await startServerProcess(env);
  other = await startServerProcess(env);
}, 600_000);

afterAll(async () => {
  frozen?.child.kill("SIGCONT");
  await frozen?.stop();
  await other?.stop();
  await t?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const call = (base: string, method: string, url: string, body?: unknown, key?: string) =>
  callServer(base, apiKey, method, url, body, key ? { "idempotency-key": key } : {});

/**
 * Sessions of the app that have waited at least `ms`, inside a transaction, for a statement
 * their client does not send. (A running process's transactions wait between their statements
 * too, for a few milliseconds: the age tells the frozen one's apart.)
 */
async function stalledTransactions(ms: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and state = 'idle in transaction' and application_name = 'vouchsafe'
      and state_change < clock_timestamp() - make_interval(secs => ${ms / 1000})`.execute(t.owner);
  return rows[0]!.n;
}

describe("an API process frozen mid-transaction on a hot account", () => {
  it("holds the other process up only until the idle limit; after it wakes each payment is stored once", async () => {
    const base = other!.baseUrl;
    const asset = await call(base, "POST", "/v1/ledger/assets", { code: "FRZ", name: "Frozen", scale: 2 });
    expect(asset.status, JSON.stringify(asset.body)).toBe(201);
    const open = async (body: Record<string, unknown>) => {
      const r = await call(base, "POST", "/v1/ledger/accounts", { asset: "FRZ", ...body });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    const cash = await open({ kind: "cash" });
    const hot = await open({ kind: "merchant_revenue" });
    const wallet = await open({ kind: "wallet", debits_must_not_exceed_credits: true });
    const funded = await call(base, "POST", "/v1/ledger/transfers", {
      debit_account_id: cash,
      credit_account_id: wallet,
      amount: 1_000_000,
    });
    expect(funded.status, JSON.stringify(funded.body)).toBe(201);

    const final = new Map<string, string>();
    let stop = false;
    let paidByOther = 0;
    const pay = async (target: ServerProcess, key: string) => {
      const body = { debit_account_id: wallet, credit_account_id: hot, amount: 3, code: "payment" };
      for (let attempt = 0; ; attempt++) {
        const a = await call(target.baseUrl, "POST", "/v1/ledger/transfers", body, key);
        if (a.status === 201 || a.status === 200) {
          final.set(key, a.body.id as string);
          return;
        }
        const again = a.status === 0 || a.status === 409 || a.status === 503;
        expect(again, `${key}: ${JSON.stringify(a)}`).toBe(true);
        if (attempt > 400) throw new Error(`${key}: no final answer: ${JSON.stringify(a)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const client = async (target: ServerProcess, name: string) => {
      for (let i = 0; !stop; i++) {
        await pay(target, `${name}-${i}`);
        if (target === other) paidByOther++;
      }
    };
    const clients = [
      ...Array.from({ length: 6 }, (_, c) => client(frozen!, `frozen-${c}`)),
      ...Array.from({ length: 4 }, (_, c) => client(other!, `other-${c}`)),
    ];
    while (final.size < 60) await new Promise((r) => setTimeout(r, 20));

    // Freeze it while it has a transaction open (most of the time it has one on the hot row).
    let caught = false;
    for (let tries = 0; tries < 50 && !caught; tries++) {
      frozen!.child.kill("SIGSTOP");
      await new Promise((r) => setTimeout(r, 300));
      if ((await stalledTransactions(250)) > 0) caught = true;
      else {
        frozen!.child.kill("SIGCONT");
        await new Promise((r) => setTimeout(r, 30 + Math.random() * 50));
      }
    }
    expect(caught, "the process was never frozen inside a transaction: the test tested nothing").toBe(true);
    // While it stays frozen, the other process goes on paying once the limit ends the stalled
    // transaction (1 s here): 20 more payments, well inside the bound (60 s were it not ended).
    const before = paidByOther;
    const deadline = Date.now() + 30_000;
    while (paidByOther - before < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const paidWhileFrozen = paidByOther - before;
    expect(await stalledTransactions(500)).toBe(0);
    frozen!.child.kill("SIGCONT");
    expect(paidWhileFrozen, "the other process stood still while one was frozen").toBeGreaterThanOrEqual(20);

    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    await Promise.all(clients);
    expect(frozen!.child.exitCode, frozen!.output()).toBeNull();

    const stored = await t.owner
      .selectFrom("ledger_transfers")
      .select("id")
      .where("credit_account_id", "=", hot)
      .execute();
    expect(stored).toHaveLength(final.size);
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(final.values()));
    const verify = await call(base, "GET", "/v1/ledger/verify");
    expect(verify.body).toMatchObject({ ok: true, differences: [] });
  });
});
