import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { type ServerProcess, startServerProcess } from "./helpers/server-process.js";

let t: TestDatabase;
let dataDir: string;
let server: ServerProcess | undefined;
const apiKey = randomBytes(30).toString("base64url");

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-crash-"));
});
afterAll(async () => {
  await server?.stop("SIGKILL");
  await t?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const env = () => ({
  DATABASE_URL: t.url,
  VOUCHSAFE_DATA_DIR: dataDir,
  VOUCHSAFE_DEMO_API_KEY: apiKey,
  VOUCHSAFE_RUN_WORKER: "false",
});

async function call(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("crash: the server is killed with SIGKILL under load", () => {
  it("keeps every acknowledged transfer, half-writes none, and verifies clean after restart", async () => {
    server = await startServerProcess(env());
    const base = server.baseUrl;
    // The tenant's currency comes with the tenant: creating it answers the existing asset.
    expect(
      (await call(base, "POST", "/v1/ledger/assets", { code: "CNY", scale: 2, name: "Yuan" })).status,
    ).toBe(200);
    const open = async (body: Record<string, unknown>) => {
      const r = await call(base, "POST", "/v1/ledger/accounts", { asset: "CNY", ...body });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    const cash = await open({ kind: "cash" });
    const wallets = [
      await open({ kind: "wallet", debits_must_not_exceed_credits: true }),
      await open({ kind: "wallet", debits_must_not_exceed_credits: true }),
    ];
    const shop = await open({ kind: "merchant" });

    // Each request has a client id; half also carry an Idempotency-Key. Ids seen acknowledged are recorded.
    const acknowledged = new Set<string>();
    const sent: { id: string; body: Record<string, unknown>; key: boolean }[] = [];
    let stop = false;
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const id = `crash-${c}-${i}`;
        const topup = i % 3 !== 2;
        const wallet = wallets[c % 2]!;
        const body = topup
          ? { id, debit_account_id: cash, credit_account_id: wallet, amount: 100, code: "topup" }
          : {
              id,
              debit_account_id: wallet,
              credit_account_id: shop,
              amount: 150,
              code: "payment",
              pending: i % 2 === 0,
            };
        const key = i % 2 === 0;
        sent.push({ id, body, key });
        try {
          const r = await call(
            base,
            "POST",
            "/v1/ledger/transfers",
            body,
            key ? { "idempotency-key": `k-${id}` } : {},
          );
          if (r.status === 201 || r.status === 200) acknowledged.add(id);
        } catch {
          return; // the server is gone: this request's fate is unknown to the client
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, (_, c) => client(c)));
    // Kill once a good amount of work has been acknowledged, while requests are in flight.
    while (acknowledged.size < 300) await new Promise((r) => setTimeout(r, 20));
    await server.stop("SIGKILL");
    stop = true;
    await load;
    const unknown = sent.filter((s) => !acknowledged.has(s.id));
    expect(acknowledged.size).toBeGreaterThanOrEqual(300);

    server = await startServerProcess(env());
    const base2 = server.baseUrl;

    // Every acknowledged transfer exists.
    const rows = await t.owner
      .selectFrom("ledger_transfers")
      .select(["id"])
      .where("id", "like", "crash-%")
      .execute();
    const stored = new Set(rows.map((r) => r.id));
    for (const id of acknowledged) expect(stored.has(id), id).toBe(true);
    // Nothing half-exists: each stored transfer has its audit event, each stored key its transfer and back.
    const audited = new Set(
      (
        await t.owner
          .selectFrom("audit_events")
          .select("target_id")
          .where("action", "in", ["ledger_transfer.created", "ledger_hold.created"])
          .execute()
      ).map((r) => r.target_id),
    );
    const keys = new Set(
      (
        await t.owner.selectFrom("idempotency_keys").select("key").where("key", "like", "k-crash-%").execute()
      ).map((r) => r.key.slice(2)),
    );
    for (const id of stored) expect(audited.has(id), `audit of ${id}`).toBe(true);
    for (const id of keys) expect(stored.has(id), `transfer of key ${id}`).toBe(true);
    for (const s of sent) if (s.key && stored.has(s.id)) expect(keys.has(s.id), `key of ${s.id}`).toBe(true);
    const verify = await call(base2, "GET", "/v1/ledger/verify");
    expect(verify.body).toMatchObject({ ok: true, differences: [], malformed_transfers: [] });

    // The client retries what it never saw answered: each lands exactly once.
    for (const s of unknown) {
      const r = await call(
        base2,
        "POST",
        "/v1/ledger/transfers",
        s.body,
        s.key ? { "idempotency-key": `k-${s.id}` } : {},
      );
      expect([200, 201, 422]).toContain(r.status);
      if (stored.has(s.id)) expect(r.status === 200 || r.body.id === s.id).toBe(true);
    }
    const after = await t.owner
      .selectFrom("ledger_transfers")
      .select("id")
      .where("id", "like", "crash-%")
      .execute();
    expect(new Set(after.map((r) => r.id)).size).toBe(after.length);
    expect((await call(base2, "GET", "/v1/ledger/verify")).body).toMatchObject({ ok: true });
  }, 900_000);
});
