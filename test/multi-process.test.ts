/**
 * Two API processes and a separate worker on one database, as a deployment scales out.
 * Idempotency and no-overdraft must hold across processes (an in-process cache of in-flight
 * keys would not see the other process), and jobs one process queues run in the worker.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { interruptAtRandom } from "./helpers/interrupt.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

const ROOT = path.resolve(import.meta.dirname, "..");
let t: TestDatabase;
let dataDir: string;
let first: ServerProcess | undefined;
let second: ServerProcess | undefined;
let worker: ChildProcess | undefined;
let workerOutput = "";
const apiKey = randomBytes(30).toString("base64url");

const env = () => ({
  DATABASE_URL: t.url,
  VOUCHSAFE_DATA_DIR: dataDir,
  VOUCHSAFE_DEMO_API_KEY: apiKey,
  VOUCHSAFE_RUN_WORKER: "false",
});

const REQUEST_TIMEOUT_MS = 120_000;

async function call(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  // A request left unanswered fails by name, well inside the test's own timeout.
  const request = `${method} ${base}${url} ${JSON.stringify(headers)} ${JSON.stringify(body ?? null)}`;
  try {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch (error) {
    throw new Error(`${request}: ${String(error)}\n${await whatTheDatabaseWaitsOn()}`);
  }
}

/** The test database's sessions and what each waits on: why a request went unanswered. */
async function whatTheDatabaseWaitsOn(): Promise<string> {
  try {
    const { rows } = await sql<Record<string, unknown>>`
      select pid, state, wait_event_type, wait_event, now() - xact_start as in_transaction,
        left(query, 160) as query
      from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(t.owner);
    return rows.map((row) => JSON.stringify(row)).join("\n");
  } catch (error) {
    return `(the database's sessions could not be read: ${String(error)})`;
  }
}

/**
 * Creates a ledger asset through `assetBase` and answers a function that opens accounts in it
 * through `accountBase` (both must succeed).
 */
async function ledgerAsset(
  asset: { code: string; name: string },
  assetBase: string,
  accountBase: string,
): Promise<(body: Record<string, unknown>) => Promise<string>> {
  const created = await call(assetBase, "POST", "/v1/ledger/assets", { ...asset, scale: 2 });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return async (body) => {
    const r = await call(accountBase, "POST", "/v1/ledger/accounts", { asset: asset.code, ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
}

async function startWorker() {
  worker = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env(), LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  worker.stdout?.on("data", (chunk) => {
    workerOutput += chunk;
  });
  worker.stderr?.on("data", (chunk) => {
    workerOutput += chunk;
  });
  const deadline = Date.now() + 300_000;
  while (!workerOutput.includes("worker is running")) {
    if (worker.exitCode !== null) throw new Error(`worker exited:\n${workerOutput}`);
    if (Date.now() > deadline) throw new Error(`worker not running within 300 s:\n${workerOutput}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-multi-"));
  // One after the other: the first migrates and seeds, the second finds it done. The first
  // carries ledger state forward between batches (ADR 0009), the second locks: both kinds of
  // writer race on the same rows.
  first = await startServerProcess({ ...env(), VOUCHSAFE_LEDGER_CARRY_FORWARD: "true" });
  second = await startServerProcess(env());
  await startWorker();
});

afterAll(async () => {
  await first?.stop();
  await second?.stop();
  if (worker && worker.exitCode === null) {
    const exit = once(worker, "exit");
    worker.kill("SIGTERM");
    await exit;
  }
  await t?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("two API processes and a worker on one database", () => {
  it("turns 20 parallel copies of one Idempotency-Key over both processes into one effect", async () => {
    const bases = [first!.baseUrl, second!.baseUrl];
    const open = await ledgerAsset({ code: "MPX", name: "Multi" }, bases[0]!, bases[1]!);
    const cash = await open({ kind: "cash" });
    const wallet = await open({ kind: "wallet", debits_must_not_exceed_credits: true });
    const shop = await open({ kind: "merchant" });

    const topUp = { debit_account_id: cash, credit_account_id: wallet, amount: 1000, code: "topup" };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(bases[i % 2]!, "POST", "/v1/ledger/transfers", topUp, { "idempotency-key": "multi-order-1001" }),
      ),
    );
    // A copy that meets the first still in flight is told so; every other copy gets the one result.
    const statuses = answers.map((a) => a.status);
    for (const status of statuses) expect([201, 409]).toContain(status);
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    for (const busy of answers.filter((a) => a.status === 409)) {
      expect(busy.body.code).toBe("idempotency_request_in_progress");
    }
    const transfers = await t.owner
      .selectFrom("ledger_transfers")
      .select("id")
      .where("credit_account_id", "=", wallet)
      .execute();
    expect(transfers).toHaveLength(1);

    // 20 distinct payments of 150 from a balance of 1000, over both processes: exactly 6 fit.
    const payments = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(
          bases[i % 2]!,
          "POST",
          "/v1/ledger/transfers",
          { debit_account_id: wallet, credit_account_id: shop, amount: 150, code: "payment" },
          { "idempotency-key": `multi-pay-${i}` },
        ),
      ),
    );
    expect(payments.filter((p) => p.status === 201)).toHaveLength(6);
    for (const refused of payments.filter((p) => p.status !== 201)) {
      expect(refused, JSON.stringify(refused.body)).toMatchObject({
        status: 422,
        body: { code: "insufficient_funds" },
      });
    }
    const balance = await call(bases[0]!, "GET", `/v1/ledger/accounts/${wallet}`);
    expect(balance.body).toMatchObject({ credits_posted: 1000, debits_posted: 900 });
    const verify = await call(bases[1]!, "GET", "/v1/ledger/verify");
    expect(verify.body).toMatchObject({ ok: true, differences: [] });
  });

  it("races 200 payments from 8 wallets into one hot account over both processes: each wallet pays what it holds, once", async () => {
    const bases = [first!.baseUrl, second!.baseUrl];
    const open = await ledgerAsset({ code: "HOT", name: "Hot" }, bases[0]!, bases[0]!);
    const cash = await open({ kind: "cash" });
    const hot = await open({ kind: "merchant_revenue" });
    const wallets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const wallet = await open({ kind: "wallet", debits_must_not_exceed_credits: true });
      const funded = await call(bases[i % 2]!, "POST", "/v1/ledger/transfers", {
        debit_account_id: cash,
        credit_account_id: wallet,
        amount: 1000,
      });
      expect(funded.status, JSON.stringify(funded.body)).toBe(201);
      wallets.push(wallet);
    }

    // 25 payments of 50 per wallet holding 1,000: exactly 20 fit. Each payment is sent twice
    // with one Idempotency-Key, once to each process.
    const payments = Array.from({ length: 200 }, (_, i) => ({
      key: `hot-pay-${i}`,
      body: { debit_account_id: wallets[i % 8]!, credit_account_id: hot, amount: 50, code: "payment" },
    }));
    const answers = await Promise.all(
      payments.flatMap((p, i) =>
        [0, 1].map(async (copy) => ({
          payment: i,
          ...(await call(bases[(i + copy) % 2]!, "POST", "/v1/ledger/transfers", p.body, {
            "idempotency-key": p.key,
          })),
        })),
      ),
    );
    for (const a of answers) {
      expect([201, 409, 422], JSON.stringify(a.body)).toContain(a.status);
      if (a.status === 409) expect(a.body.code).toBe("idempotency_request_in_progress");
      if (a.status === 422) expect(a.body.code).toBe("insufficient_funds");
    }
    // Both copies of a payment that got an answer other than "in progress" agree.
    for (let i = 0; i < payments.length; i++) {
      const settled = answers.filter((a) => a.payment === i && a.status !== 409);
      expect(settled.length).toBeGreaterThan(0);
      expect(
        new Set(settled.map((a) => `${a.status}:${a.body.id ?? a.body.code}`)).size,
        JSON.stringify(settled),
      ).toBe(1);
    }
    const journal = await t.owner
      .selectFrom("ledger_transfers")
      .select(["debit_account_id"])
      .where("credit_account_id", "=", hot)
      .execute();
    expect(journal).toHaveLength(160);
    for (const wallet of wallets) {
      expect(journal.filter((j) => j.debit_account_id === wallet)).toHaveLength(20);
      const account = await call(bases[1]!, "GET", `/v1/ledger/accounts/${wallet}`);
      expect(account.body).toMatchObject({ credits_posted: 1000, debits_posted: 1000 });
    }
    const hotAccount = await call(bases[0]!, "GET", `/v1/ledger/accounts/${hot}`);
    expect(hotAccount.body).toMatchObject({ credits_posted: 8000, debits_posted: 0 });
    const verify = await call(bases[1]!, "GET", "/v1/ledger/verify");
    expect(verify.body).toMatchObject({ ok: true, differences: [] });
  });

  it.each([
    { how: "cancel" as const, faults: "statements cancelled" },
    { how: "terminate" as const, faults: "sessions terminated" },
  ])(
    "with $faults at random in both processes, each payment sent to both settles to one answer, stored once",
    async ({ how }) => {
      const bases = [first!.baseUrl, second!.baseUrl];
      const open = await ledgerAsset(
        { code: `FLT${how[0]!.toUpperCase()}`, name: "Faults" },
        bases[0]!,
        bases[1]!,
      );
      const cash = await open({ kind: "cash" });
      const hot = await open({ kind: "merchant_revenue" });
      const WALLETS = 4;
      const BALANCE = 500;
      const AMOUNT = 20; // 25 of each wallet's 30 payments fit
      const wallets: string[] = [];
      for (let i = 0; i < WALLETS; i++) {
        const wallet = await open({ kind: "wallet", debits_must_not_exceed_credits: true });
        const funded = await call(bases[i % 2]!, "POST", "/v1/ledger/transfers", {
          debit_account_id: cash,
          credit_account_id: wallet,
          amount: BALANCE,
        });
        expect(funded.status, JSON.stringify(funded.body)).toBe(201);
        wallets.push(wallet);
      }
      const payments = Array.from({ length: WALLETS * 30 }, (_, i) => ({
        key: `fault-pay-${how}-${i}`,
        wallet: wallets[i % WALLETS]!,
      }));
      /** Sends one copy until it has a final answer: a 5xx or "in progress" is asked again, same key. */
      const settle = async (base: string, p: (typeof payments)[number]) => {
        const body = { debit_account_id: p.wallet, credit_account_id: hot, amount: AMOUNT, code: "payment" };
        let unsure = 0;
        for (;;) {
          const a = await call(base, "POST", "/v1/ledger/transfers", body, { "idempotency-key": p.key });
          if (a.status === 201 || a.status === 200 || a.status === 422) return { ...a, unsure };
          expect(a.status === 409 || a.status >= 500, JSON.stringify(a)).toBe(true);
          if (++unsure > 500) throw new Error(`${p.key}: no final answer: ${JSON.stringify(a)}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      const canceller = interruptAtRandom(t, how);
      let answers: { status: number; body: Record<string, unknown>; unsure: number; payment: number }[];
      try {
        answers = await Promise.all(
          payments.flatMap((p, i) =>
            [0, 1].map(async (copy) => ({ payment: i, ...(await settle(bases[(i + copy) % 2]!, p)) })),
          ),
        );
      } finally {
        expect(await canceller.stop(), `no ${how} reached a session`).toBeGreaterThan(0);
      }
      const stored = new Set(
        (
          await t.owner
            .selectFrom("ledger_transfers")
            .select("id")
            .where("credit_account_id", "=", hot)
            .execute()
        ).map((r) => r.id),
      );
      const paidFrom = new Map(wallets.map((w) => [w, 0]));
      for (const [i, p] of payments.entries()) {
        const both = answers.filter((a) => a.payment === i);
        // The two copies agree: the same transfer, or the same refusal.
        const outcome = (a: (typeof both)[number]) =>
          a.status === 422 ? `refused:${a.body.code}` : `paid:${a.body.id}`;
        expect(new Set(both.map(outcome)).size, JSON.stringify(both)).toBe(1);
        const answer = both[0]!;
        if (answer.status === 422) expect(answer.body.code).toBe("insufficient_funds");
        else {
          expect(stored.has(answer.body.id as string), JSON.stringify(answer)).toBe(true);
          paidFrom.set(p.wallet, paidFrom.get(p.wallet)! + 1);
        }
      }
      // Nothing stored that no answer names, and a wallet refused only once it was spent.
      expect(stored.size).toBe([...paidFrom.values()].reduce((s, n) => s + n, 0));
      for (const [wallet, paid] of paidFrom) {
        expect(paid * AMOUNT).toBeLessThanOrEqual(BALANCE);
        const refused = payments.some(
          (p, i) => p.wallet === wallet && answers.some((a) => a.payment === i && a.status === 422),
        );
        if (refused) expect(paid * AMOUNT).toBe(BALANCE);
        const account = await call(bases[0]!, "GET", `/v1/ledger/accounts/${wallet}`);
        expect(account.body).toMatchObject({ debits_posted: paid * AMOUNT });
      }
      const verify = await call(bases[1]!, "GET", "/v1/ledger/verify");
      expect(verify.body).toMatchObject({ ok: true, differences: [] });
    },
  );

  it("runs a job queued by one process in the separate worker, visible through the other", async () => {
    const started = await call(first!.baseUrl, "POST", "/v1/exports", {
      type: "audit_events",
      format: "csv",
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = started.body.id as string;
    let status = started.body.status;
    const deadline = Date.now() + 120_000;
    while (status !== "succeeded" && status !== "failed" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await call(second!.baseUrl, "GET", `/v1/exports/${id}`)).body.status;
    }
    expect(status, workerOutput).toBe("succeeded");
  });
});
