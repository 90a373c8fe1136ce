import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app-types.js";
import { Notifier } from "../../src/platform/notify/notifier.js";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "../helpers/app.js";
import {
  accountOf,
  activeAccount,
  call,
  createMerchant,
  depositWorld,
  ok,
  openConfigured,
  topUp,
} from "../helpers/deposits.js";
import { expectProblem } from "../helpers/problem.js";
import { advanceTo, createSandbox as newSandbox } from "../helpers/sandbox.js";
import { createVoucherTree } from "../helpers/vouchers.js";
import { walletClient } from "../helpers/wallets.js";

/**
 * Every time rule of issue 19, rehearsed the way an integrator would: on a sandbox tenant,
 * over HTTP, moving the sandbox's test clock with `POST /v1/test-clock/advance` (the test's
 * own clock never moves). Each sandbox is in Asia/Shanghai (UTC+8).
 */
let t: TestApp;
let live: TestTenant;
const sandboxes: string[] = [];
const createSandbox = async (app: TestApp, of: TestTenant, startsAt: string) => {
  const sandbox = await newSandbox(app, of, startsAt);
  sandboxes.push(sandbox.tenantId);
  return sandbox;
};
const sms: { to: string; text: string }[] = [];

beforeAll(async () => {
  t = await createTestApp({
    extend: (base) =>
      ({
        notifier: new Notifier({
          db: base.db,
          sms: { send: async (to, text) => void sms.push({ to, text }) },
        }),
      }) as Partial<AppDeps>,
  });
  live = await createTestTenant(t, "Acme");
});
afterAll(async () => t?.close());

describe("on a sandbox tenant", () => {
  it("the deposit breaker's re-check suspends an account below the threshold after 20 minutes, not before", async () => {
    const sandbox = await createSandbox(t, live, "2030-12-01T02:05:00Z");
    const w = await depositWorld(t, sandbox);
    const m = await createMerchant(w);
    ok(await call(w, sandbox.auth, "PATCH", "/v1/deposit-settings", { suspension_threshold: 50_000 }));
    const id = await activeAccount(w, m, 300_000);
    ok(
      await call(w, sandbox.auth, "POST", `/v1/deposit-accounts/${id}/freezes`, {
        order_id: "B1",
        amount: 220_000,
      }),
      201,
    );
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 80_000, campaigns_suspended: false });
    // The threshold rises above the balance: the next re-check (02:20, on the 20-minute grid) acts on it.
    ok(await call(w, sandbox.auth, "PATCH", "/v1/deposit-settings", { suspension_threshold: 100_000 }));
    await advanceTo(t, sandbox, "2030-12-01T02:19:59Z");
    expect((await accountOf(w, m.auth, id)).campaigns_suspended).toBe(false);
    const runs = await advanceTo(t, sandbox, "2030-12-01T02:20:00Z");
    expect(runs["deposits.recheck"]).toBe(1);
    expect((await accountOf(w, m.auth, id)).campaigns_suspended).toBe(true);
  });

  it("six re-checks below the warning value send 4 warnings today, and warnings again after the tenant's midnight", async () => {
    const sandbox = await createSandbox(t, live, "2030-11-25T13:50:00Z"); // 21:50 in Shanghai
    const w = await depositWorld(t, sandbox);
    const m = await createMerchant(w);
    const phone = "13900000019";
    const id = await openConfigured(w, m, { warning_value: 500_000, phones: [phone] });
    await topUp(w, m, id, 300_000);
    const sent = async () => {
      const page = json<{
        data: { channel: string; recipient: string; status: string; created_at: string }[];
      }>(
        await call(
          w,
          sandbox.auth,
          "GET",
          "/v1/notification-deliveries?notice_type=deposit.balance_warning&limit=100",
        ),
      );
      return page.data.filter((d) => d.channel === "sms" && d.recipient === phone && d.status === "sent");
    };
    // 14:00 … 15:40 UTC is 22:00 … 23:40 in Shanghai: six re-checks, all below 5,000.00.
    const before = await advanceTo(t, sandbox, "2030-11-25T15:40:00Z");
    expect(before["deposits.recheck"]).toBe(6);
    expect(await sent()).toHaveLength(4);
    // 16:00 UTC is the tenant's midnight: the day's count starts again.
    await advanceTo(t, sandbox, "2030-11-25T16:40:00Z");
    const all = await sent();
    const afterMidnight = all.filter((d) => d.created_at >= "2030-11-25T16:00:00.000Z");
    expect(afterMidnight).toHaveLength(3); // 00:00, 00:20, 00:40
    expect(all).toHaveLength(7);
  });

  it("a settlement becomes an invoice candidate 15 days later, not at 14", async () => {
    const sandbox = await createSandbox(t, live, "2030-12-01T02:05:00Z");
    const w = await depositWorld(t, sandbox);
    const m = await createMerchant(w);
    const id = await activeAccount(w, m, 300_000);
    ok(
      await call(w, sandbox.auth, "POST", `/v1/deposit-accounts/${id}/freezes`, {
        order_id: "S1",
        amount: 10_000,
      }),
      201,
    );
    ok(await call(w, sandbox.auth, "POST", `/v1/deposit-accounts/${id}/orders/S1/settle`, {}));
    const candidates = async () =>
      ok<{ data: { type: string; amount: number }[] }>(
        await call(w, m.auth, "GET", `/v1/deposit-accounts/${id}/invoice-candidates`),
      ).data;
    expect(await candidates()).toEqual([]);
    await advanceTo(t, sandbox, "2030-12-15T02:05:00Z");
    expect(await candidates()).toEqual([]);
    await advanceTo(t, sandbox, "2030-12-16T02:05:00Z");
    expect(await candidates()).toMatchObject([{ type: "settle", amount: 10_000 }]);
  });

  it("a voucher expires at the tenant's midnight, and its rest goes back to the reseller's quota", async () => {
    const sandbox = await createSandbox(t, live, "2030-12-01T02:05:00Z"); // 10:05 in Shanghai
    const tree = await createVoucherTree(t, sandbox);
    const post = (url: string, auth: { authorization: string }, payload: object) =>
      t.app.inject({ method: "POST", url, headers: auth, payload });
    const get = (url: string) => t.app.inject({ url, headers: sandbox.auth });
    expect(
      (
        await post("/v1/voucher-quotas/adjustments", tree.keys.distributor, {
          reseller_id: tree.reseller1.id,
          asset: "CNY",
          delta: 5_000,
          reason: "plan",
        })
      ).statusCode,
    ).toBe(200);
    const template = json<{ id: string }>(
      await post("/v1/voucher-templates", tree.keys.reseller1, {
        name: "One day",
        face_value: { amount: 1000, asset: "CNY" },
        validity: { kind: "relative", valid_days: 1 },
        scope: { kind: "all" },
      }),
    );
    const issued = await post(`/v1/voucher-templates/${template.id}/issue`, tree.keys.reseller1, {
      recipients: [{ customer_id: tree.customer1a.id }],
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const voucherId = json<{ data: { id: string }[] }>(issued).data[0]!.id;
    const voucher = async () =>
      json<{ status: string; balance: number; expires_at: string }>(await get(`/v1/vouchers/${voucherId}`));
    const quota = async () =>
      json<{ data: { available: number }[] }>(
        await get(`/v1/voucher-quotas?reseller_id=${tree.reseller1.id}`),
      ).data[0]!.available;
    const { expires_at } = await voucher();
    expect(expires_at.endsWith("T16:00:00.000Z")).toBe(true); // a midnight in Shanghai
    await advanceTo(t, sandbox, new Date(Date.parse(expires_at) - 1000).toISOString());
    expect(await voucher()).toMatchObject({ status: "unused", balance: 1000 });
    expect(await quota()).toBe(4_000);
    const runs = await advanceTo(t, sandbox, expires_at);
    expect(runs["vouchers.expire"]).toBe(1);
    expect(await voucher()).toMatchObject({ status: "expired", balance: 0 });
    expect(await quota()).toBe(5_000);
  });

  it("a partial payment's balance hold voids at its timeout", async () => {
    const sandbox = await createSandbox(t, live, "2030-12-01T02:05:00Z");
    const { call: wcall, ok: wok, newMember, balance } = walletClient(t, sandbox);
    const member = await newMember("Payer");
    await wok("POST", `/v1/members/${member}/top-ups`, { amount: 1000 });
    const paid = await wcall("POST", "/v1/wallet-payments", {
      member_id: member,
      order_id: "SO-1",
      currency: "CNY",
      lines: [],
      amount_due: 2000,
      balance_amount: 700,
      external_method: "online",
      timeout_seconds: 600,
    });
    expect(paid.statusCode, paid.body).toBe(201);
    const payment = json<{ id: string; status: string }>(paid);
    expect(payment.status).toBe("held");
    expect(await balance(member)).toMatchObject({ held: 700, available: 300 });
    await advanceTo(t, sandbox, "2030-12-01T02:14:59Z");
    expect(await wok("GET", `/v1/wallet-payments/${payment.id}`)).toMatchObject({ status: "held" });
    await advanceTo(t, sandbox, "2030-12-01T02:15:00Z");
    expect(await wok("GET", `/v1/wallet-payments/${payment.id}`)).toMatchObject({ status: "expired" });
    expect(await balance(member)).toMatchObject({ held: 0, available: 1000 });
  });
});

describe("the database's own clock", () => {
  it("stamped no row of the sandboxes: every business time above came from the tenant's clock", async () => {
    // The sandboxes live in 2030; a column filled by SQL now() would hold today's real time.
    const columns = await t.deps.db.systemTx((trx) =>
      sql<{ table_name: string; column_name: string }>`
      select c.table_name, c.column_name from information_schema.columns c
      where c.table_schema = 'public' and c.data_type = 'timestamp with time zone'
        and exists (select 1 from information_schema.columns k
                    where k.table_schema = 'public' and k.table_name = c.table_name and k.column_name = 'tenant_id')
      order by 1, 2`.execute(trx),
    );
    expect(columns.rows.length).toBeGreaterThan(50);
    const stamped: string[] = [];
    await t.deps.db.systemTx(async (trx) => {
      for (const { table_name, column_name } of columns.rows) {
        const hit = await sql<{ n: number }>`
          select count(*)::int as n from ${sql.table(table_name)}
          where tenant_id in (${sql.join(sandboxes)})
            and ${sql.ref(column_name)} between now() - interval '1 hour' and now() + interval '1 hour'`.execute(
          trx,
        );
        if (hit.rows[0]!.n > 0) stamped.push(`${table_name}.${column_name}`);
      }
    });
    expect(sandboxes.length).toBe(5);
    expect(stamped).toEqual([]);
  });
});

describe("on a live tenant", () => {
  it("advancing is refused: its time is real time", async () => {
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/test-clock/advance",
        headers: { ...live.auth, "idempotency-key": "live-1" },
        payload: { to: "2027-01-01T00:00:00Z" },
      }),
      403,
      "live_tenant",
    );
  });
});
