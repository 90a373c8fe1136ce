import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";

/**
 * Reads never write and never lock: a checkout quote answers while another transaction holds
 * the member's balance accounts and vouchers locked, and settings GETs on a fresh tenant
 * store nothing (the first write stores exactly what they showed).
 */
let t: TestApp;
let tenant: TestTenant;

const DAY = 86_400_000;
const lines = [{ sku: "tea", category: "drinks", quantity: 2, unit_price: 1500 }];

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

async function post(url: string, payload: object, key?: string) {
  return t.app.inject({
    method: "POST",
    url,
    headers: { ...tenant.auth, ...(key ? { "idempotency-key": key } : {}) },
    payload,
  });
}

async function rows(table: "wallet_settings" | "deposit_settings" | "job_schedules" | "ledger_assets") {
  const r = await t.database.owner
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("tenant_id", "=", tenant.tenantId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Rejects after `ms` so a quote stuck on a lock fails the test instead of hanging it. */
function deadline(ms: number): { promise: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: the quote waited on a lock`)), ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

describe("reads", () => {
  it("GET settings on a fresh tenant store nothing, and show what the first write stores", async () => {
    const before = { wallets: await rows("wallet_settings"), schedules: await rows("job_schedules") };
    const assets = await rows("ledger_assets");
    const shown = await t.app.inject({ url: "/v1/wallet-settings", headers: tenant.auth });
    expect(shown.statusCode, shown.body).toBe(200);
    const deposits = await t.app.inject({ url: "/v1/deposit-settings", headers: tenant.auth });
    expect(deposits.statusCode, deposits.body).toBe(200);
    expect(await rows("wallet_settings")).toBe(before.wallets);
    expect(await rows("job_schedules")).toBe(before.schedules);
    expect(await rows("ledger_assets")).toBe(assets);
    expect(await rows("deposit_settings")).toBe(0);

    // A write that keeps a default stores the settings: they read back as shown before.
    const spendOrder = json<{ spend_order: string }>(shown).spend_order;
    const patched = await t.app.inject({
      method: "PATCH",
      url: "/v1/wallet-settings",
      headers: tenant.auth,
      payload: { spend_order: spendOrder },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(await rows("wallet_settings")).toBe(1);
    expect(json(patched)).toEqual(json(shown));
    const taxRate = json<{ tax_rate_bps: number }>(deposits).tax_rate_bps;
    const stored = await t.app.inject({
      method: "PATCH",
      url: "/v1/deposit-settings",
      headers: tenant.auth,
      payload: { tax_rate_bps: taxRate },
    });
    expect(stored.statusCode, stored.body).toBe(200);
    expect(await rows("deposit_settings")).toBe(1);
    const again = await t.app.inject({ url: "/v1/deposit-settings", headers: tenant.auth });
    const { updated_at: _a, ...storedBody } = json<Record<string, unknown>>(again);
    const { updated_at: _b, ...shownBody } = json<Record<string, unknown>>(deposits);
    expect(storedBody).toEqual(shownBody);
  });

  it("a quote answers while another transaction holds the member's balance and voucher rows", async () => {
    const member = json<{ id: string }>(await post("/v1/members", { name: "Ann" }, "m-1")).id;
    const top = await post(`/v1/members/${member}/top-ups`, { amount: 10_000 }, "t-1");
    expect(top.statusCode, top.body).toBe(201);
    const expires = new Date(t.clock.now().getTime() + 30 * DAY).toISOString();
    const issued = await post(
      `/v1/members/${member}/vouchers`,
      { face_value: { amount: 1000, asset: "CNY" }, expires_at: expires },
      "v-1",
    );
    expect(issued.statusCode, issued.body).toBe(201);
    const voucher = json<{ id: string }>(issued).id;
    const voucherRow = await t.database.owner
      .selectFrom("vouchers")
      .select("account_id")
      .where("id", "=", voucher)
      .executeTakeFirstOrThrow();
    const accounts = await t.database.owner
      .selectFrom("ledger_accounts")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .where((eb) => eb.or([eb("owner_id", "=", member), eb("id", "=", voucherRow.account_id!)]))
      .execute();
    expect(accounts.length).toBeGreaterThanOrEqual(2);

    const holder = new pg.Client({ connectionString: t.database.url });
    const prober = new pg.Client({ connectionString: t.database.url });
    await holder.connect();
    await prober.connect();
    try {
      await holder.query("begin");
      const ids = accounts.map((a) => a.id);
      await holder.query("select id from ledger_accounts where tenant_id = $1 and id = any($2) for update", [
        tenant.tenantId,
        ids,
      ]);
      await holder.query("select id from vouchers where tenant_id = $1 and id = $2 for update", [
        tenant.tenantId,
        voucher,
      ]);
      // The locks are really held: another transaction cannot take them.
      await expect(
        prober.query("select id from ledger_accounts where id = any($1) for update nowait", [ids]),
      ).rejects.toMatchObject({ code: "55P03" });
      await expect(
        prober.query("select id from vouchers where id = $1 for update nowait", [voucher]),
      ).rejects.toMatchObject({ code: "55P03" });

      const limit = deadline(20_000);
      try {
        const quoted = await Promise.race([
          post("/v1/checkout/quotes", {
            member_id: member,
            channel: "POS",
            lines,
            voucher_ids: [voucher],
            pay_with_balance: true,
          }),
          limit.promise,
        ]);
        expect(quoted.statusCode, quoted.body).toBe(200);
        const body = json<{ balance: { available: number }; vouchers_applied: { voucher_id: string }[] }>(
          quoted,
        );
        expect(body.balance.available).toBe(10_000);
        expect(body.vouchers_applied.map((v) => v.voucher_id)).toEqual([voucher]);
      } finally {
        limit.clear();
      }
    } finally {
      await holder.query("rollback").catch(() => {});
      await holder.end();
      await prober.end();
    }
  });

  it("reports each quote's database round trips and the pool's size in /metrics", async () => {
    const member = json<{ id: string }>(await post("/v1/members", { name: "Bo" }, "m-rt")).id;
    const metric = async () => {
      const text = (await t.app.inject({ url: "/metrics" })).body;
      const series = (name: string) =>
        Number(
          text.match(
            new RegExp(
              `^vouchsafe_db_round_trips_per_request_${name}\\{method="POST",route="/v1/checkout/quotes"\\} (\\d+)$`,
              "m",
            ),
          )?.[1] ?? 0,
        );
      return { text, count: series("count"), sum: series("sum") };
    };
    const before = await metric();
    process.env.TRACE_Q = "1";
    const quoted = await post("/v1/checkout/quotes", { member_id: member, channel: "POS", lines });
    expect(quoted.statusCode, quoted.body).toBe(200);
    delete process.env.TRACE_Q;
    const after = await metric();
    expect(after.count - before.count).toBe(1);
    const trips = after.sum - before.sum;
    // At least the tenant transaction's BEGIN and one read; the figure itself is reported, not bounded.
    expect(trips).toBeGreaterThanOrEqual(2);
    process.stdout.write(`a member's checkout quote made ${trips} database round trips\n`);
    expect(after.text).toMatch(/^vouchsafe_db_pool_max_connections \d+$/m);
  });
});
