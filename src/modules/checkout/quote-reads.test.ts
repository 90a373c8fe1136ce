import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { roundTripsOf } from "../../../test/helpers/metrics.js";

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

/** A member with a topped-up balance and one voucher (keys suffixed by `tag`). */
async function memberWithVoucher(
  name: string,
  tag: string,
  topUp: number,
  faceValue: number,
): Promise<{ member: string; voucher: string }> {
  const member = json<{ id: string }>(await post("/v1/members", { name }, `m-${tag}`)).id;
  const top = await post(`/v1/members/${member}/top-ups`, { amount: topUp }, `t-${tag}`);
  expect(top.statusCode, top.body).toBe(201);
  const expires = new Date(t.clock.now().getTime() + 30 * DAY).toISOString();
  const issued = await post(
    `/v1/members/${member}/vouchers`,
    { face_value: { amount: faceValue, asset: "CNY" }, expires_at: expires },
    `v-${tag}`,
  );
  expect(issued.statusCode, issued.body).toBe(201);
  return { member, voucher: json<{ id: string }>(issued).id };
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
    const { member, voucher } = await memberWithVoucher("Ann", "1", 10_000, 1000);
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

  /** The round trips /metrics has counted for quotes so far, and how many quotes. */
  const quoteMetric = () => roundTripsOf(t.app, "POST", "/v1/checkout/quotes");

  /** One quote and the round trips it made, as /metrics counts them. */
  async function quoteTrips(payload: object) {
    const before = await quoteMetric();
    const quoted = await post("/v1/checkout/quotes", payload);
    expect(quoted.statusCode, quoted.body).toBe(200);
    const after = await quoteMetric();
    expect(after.count - before.count).toBe(1);
    return { body: json<QuoteBody>(quoted), trips: after.sum - before.sum, text: after.text };
  }

  interface QuoteBody {
    total: number;
    benefits_applied: { benefit_id: string }[];
    balance: { available: number };
    vouchers_applied: { voucher_id: string }[];
  }

  it("a member's quote reads everything in at most two round trips, and writes nothing", async () => {
    const { member, voucher } = await memberWithVoucher("Bo", "rt", 5_000, 500);
    const payload = {
      member_id: member,
      channel: "POS",
      lines,
      voucher_ids: [voucher],
      pay_with_balance: true,
    };

    const accounts = async () =>
      t.database.owner
        .selectFrom("ledger_accounts")
        .select(["id", "debits_posted", "credits_posted", "debits_pending", "credits_pending"])
        .where("tenant_id", "=", tenant.tenantId)
        .orderBy("id")
        .execute();
    const stored = { wallets: await rows("wallet_settings"), assets: await rows("ledger_assets") };
    const ledger = await accounts();
    const audit = async () =>
      Number(
        (
          await t.database.owner
            .selectFrom("audit_events")
            .select((eb) => eb.fn.countAll<string>().as("n"))
            .where("tenant_id", "=", tenant.tenantId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const audited = await audit();

    const cold = await quoteTrips(payload);
    const warm = await quoteTrips(payload);
    expect(cold.trips).toBeLessThanOrEqual(2);
    expect(warm.trips).toBeGreaterThanOrEqual(1);
    expect(warm.trips).toBeLessThanOrEqual(2);
    process.stdout.write(`a member's checkout quote made ${warm.trips} database round trip(s) (warm)\n`);
    expect(warm.body.balance.available).toBe(5_000);
    expect(warm.body.vouchers_applied.map((v) => v.voucher_id)).toEqual([voucher]);
    expect(warm.body).toEqual(cold.body);
    expect(warm.text).toMatch(/^vouchsafe_db_pool_max_connections \d+$/m);

    // Nothing was written: no settings, assets, accounts, balances or audit events appeared.
    expect(await rows("wallet_settings")).toBe(stored.wallets);
    expect(await rows("ledger_assets")).toBe(stored.assets);
    expect(await accounts()).toEqual(ledger);
    expect(await audit()).toBe(audited);
  });

  it("a catalog changed behind this process's back is priced by the very next quote", async () => {
    const member = json<{ id: string }>(await post("/v1/members", { name: "Cy" }, "m-cat")).id;
    const created = await post("/v1/benefits", {
      kind: "member_discount",
      name: "10% off",
      audience: {},
      config: { discount_percent: 10 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const benefit = json<{ id: string }>(created).id;
    const payload = { member_id: member, channel: "POS", lines };
    const first = await quoteTrips(payload);
    expect(first.body.benefits_applied.map((b) => b.benefit_id)).toContain(benefit);
    const cached = await quoteTrips(payload);
    expect(cached.body.total).toBe(first.body.total);

    // Another process deactivates the benefit: the same database, none of this process's code
    // (its transaction bumps the catalog version, as every catalog change does).
    await t.database.owner.transaction().execute(async (trx) => {
      await trx
        .updateTable("benefits")
        .set({ status: "inactive" })
        .where("tenant_id", "=", tenant.tenantId)
        .where("id", "=", benefit)
        .execute();
      await trx
        .updateTable("benefit_catalog_versions")
        .set((eb) => ({ version: eb("version", "+", 1) }))
        .where("tenant_id", "=", tenant.tenantId)
        .execute();
    });
    const next = await quoteTrips(payload);
    expect(next.body.benefits_applied.map((b) => b.benefit_id)).not.toContain(benefit);
    expect(next.body.total).toBe(3000);
    expect(next.trips).toBeLessThanOrEqual(2);

    // And a member's tier, group or tag changes need no version: they are read with the quote.
    await t.database.owner
      .updateTable("members")
      .set({ status: "closed" })
      .where("tenant_id", "=", tenant.tenantId)
      .where("id", "=", member)
      .execute();
    const closed = await post("/v1/checkout/quotes", payload);
    expect(closed.statusCode, closed.body).toBe(404);
    expect(json<{ code: string }>(closed).code).toBe("member_not_found");
  });
});
