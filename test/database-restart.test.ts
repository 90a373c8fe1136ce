/**
 * PostgreSQL restarts (a fast shutdown and a start, as for maintenance or a failover to the
 * same address) under an API process taking payments. Requests during the outage are answered
 * 503 service_unavailable (or 409 while their key is in flight) and asked again with their
 * keys; the process does not exit and, without being restarted itself, answers again once the
 * database is back; every payment ends with one answer, stored once, and the ledger verifies.
 * Its own PostgreSQL: the shared test server cannot be restarted under the other test files.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgresHandle, freePort, startEmbeddedPostgres } from "../src/db/embedded.js";
import { callServer, type ServerProcess, startServerProcess } from "./helpers/server-process.js";

let temp: string;
let port: number;
let database: EmbeddedPostgresHandle | undefined;
let server: ServerProcess | undefined;
const apiKey = randomBytes(30).toString("base64url");

const startDatabase = () =>
  startEmbeddedPostgres({ clusterDir: path.join(temp, "pg"), port, durable: false });

beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-db-restart-"));
  port = await freePort();
  database = await startDatabase();
  server = await startServerProcess({
    DATABASE_URL: database.url("postgres"),
    VOUCHSAFE_DATA_DIR: path.join(temp, "data"),
    VOUCHSAFE_DEMO_API_KEY: apiKey,
  });
}, 600_000);

afterAll(async () => {
  await server?.stop();
  await database?.stop();
  if (temp) await rm(temp, { recursive: true, force: true });
});

const call = (method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
  callServer(server!.baseUrl, apiKey, method, url, body, headers);

async function open(body: Record<string, unknown>): Promise<string> {
  const r = await call("POST", "/v1/ledger/accounts", { asset: "RST", ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}

describe("PostgreSQL restarting under load", () => {
  it("costs only retries: the API stays up, answers again once the database is back, and stores each payment once", async () => {
    const asset = await call("POST", "/v1/ledger/assets", { code: "RST", name: "Restart", scale: 2 });
    expect(asset.status, JSON.stringify(asset.body)).toBe(201);
    const cash = await open({ kind: "cash" });
    const revenue = await open({ kind: "merchant_revenue" });
    const wallet = await open({ kind: "wallet", debits_must_not_exceed_credits: true });
    const BALANCE = 100_000;
    const funded = await call("POST", "/v1/ledger/transfers", {
      debit_account_id: cash,
      credit_account_id: wallet,
      amount: BALANCE,
    });
    expect(funded.status, JSON.stringify(funded.body)).toBe(201);

    const CLIENTS = 8;
    const AMOUNT = 7;
    let restarted = false;
    let sent = 0;
    /** Each payment's one final answer, by its key; and how many answers were not final. */
    const final = new Map<string, { status: number; id: string }>();
    let unsure = 0;
    const notFinal = new Set<string>();
    const pay = async (key: string) => {
      const body = { debit_account_id: wallet, credit_account_id: revenue, amount: AMOUNT, code: "payment" };
      const deadline = Date.now() + 120_000;
      for (;;) {
        const a = await call("POST", "/v1/ledger/transfers", body, { "idempotency-key": key });
        if (a.status === 201 || a.status === 200) {
          final.set(key, { status: a.status, id: a.body.id as string });
          return;
        }
        // Only "not now" may come back: the outage (503 service_unavailable, which says to send
        // it again) or the key still in flight (409).
        const again = a.status === 409 || (a.status === 503 && a.body.code === "service_unavailable");
        expect(again, `${key}: ${JSON.stringify(a)}`).toBe(true);
        unsure++;
        notFinal.add(`${a.status} ${String(a.body.code ?? a.body.error ?? "")}`);
        if (Date.now() > deadline) throw new Error(`${key}: no final answer in 120 s: ${JSON.stringify(a)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    /** A client pays, one payment after another, until the database has restarted and a second more. */
    const client = async (c: number) => {
      let settledAt: number | undefined;
      for (let i = 0; ; i++) {
        if (restarted) settledAt ??= Date.now();
        if (settledAt !== undefined && Date.now() - settledAt > 1_000) return;
        sent++;
        await pay(`restart-${c}-${i}`);
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    // Under load: the restart comes once some payments went through.
    while (final.size < 40) await new Promise((r) => setTimeout(r, 20));
    await database!.stop();
    database = await startDatabase();
    restarted = true;
    await Promise.all(clients);

    console.log(
      `${final.size} payments across a database restart; ${unsure} answers not final, asked again (${[...notFinal].join("; ")})`,
    );
    expect(server!.child.exitCode, server!.output()).toBeNull();
    expect(unsure, "no request met the outage: the test tested nothing").toBeGreaterThan(0);
    expect(final.size).toBe(sent);
    const health = await call("GET", "/readyz");
    expect(health.status).toBe(200);

    // Every payment stored once, under the id its answer gave, and nothing else.
    const owner = new pg.Client({ connectionString: database!.url("postgres") });
    await owner.connect();
    let stored: string[];
    try {
      const { rows } = await owner.query<{ id: string }>(
        "select id from ledger_transfers where credit_account_id = $1",
        [revenue],
      );
      stored = rows.map((r) => r.id);
    } finally {
      await owner.end();
    }
    expect(stored).toHaveLength(final.size);
    expect(new Set(stored)).toEqual(new Set([...final.values()].map((f) => f.id)));
    const account = await call("GET", `/v1/ledger/accounts/${wallet}`);
    expect(account.body).toMatchObject({ debits_posted: final.size * AMOUNT });
    const verify = await call("GET", "/v1/ledger/verify");
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
  });
});
