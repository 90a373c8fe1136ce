import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { walletClient } from "../../../test/helpers/wallets.js";
import { EXPIRED_PER_PAGE } from "./expire-payments.js";
import { runWalletExpiry, walletExpiryJob } from "./index.js";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof walletClient>;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "One stuck payment");
  c = walletClient(t, tenant);
  await c.ok("PATCH", "/v1/wallet-settings", { points_validity_days: 30 });
});
afterAll(async () => t?.close());

const status = async (id: string) =>
  (await c.ok<{ status: string }>("GET", `/v1/wallet-payments/${id}`)).status;
/** A member's (only) points lot. */
const lotOf = async (member: string) =>
  (
    await t.database.owner
      .selectFrom("wallet_point_lots")
      .select("account_id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("member_id", "=", member)
      .executeTakeFirstOrThrow()
  ).account_id;
/** What a lot still holds in the ledger (a balance read already leaves out a lot past its day). */
async function left(lot: string) {
  const row = await t.database.owner
    .selectFrom("ledger_accounts")
    .select(["credits_posted", "debits_posted"])
    .where("tenant_id", "=", tenant.tenantId)
    .where("id", "=", lot)
    .executeTakeFirstOrThrow();
  return row.credits_posted - row.debits_posted;
}

describe("the wallet expiry job", () => {
  it("a held payment whose release fails holds back neither the tenant's other payments nor its points expiry", async () => {
    const m = await c.newMember();
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 1000 });
    await c.ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 100 });
    const held = (order: string, amount: number, timeout: number) =>
      c.ok<{ id: string }>("POST", "/v1/wallet-payments", {
        member_id: m,
        order_id: order,
        currency: "CNY",
        lines: [],
        amount_due: amount + 100,
        balance_amount: amount,
        external_method: "online",
        timeout_seconds: timeout,
      });
    const stuck = (await held("STUCK", 300, 60)).id;
    const next = (await held("NEXT", 200, 120)).id;
    // The first payment due names a hold the ledger does not have: its release fails on every run.
    const legs = await t.database.owner
      .selectFrom("wallet_payment_legs")
      .select(["account_id", "transfer_id"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("payment_id", "=", stuck)
      .execute();
    const payment = await t.database.owner
      .selectFrom("wallet_payments")
      .select(["principal_transfer_id", "bonus_transfer_id"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("id", "=", stuck)
      .executeTakeFirstOrThrow();
    const point = (transfer: (original: string) => string) =>
      t.database.owner.transaction().execute(async (trx) => {
        for (const leg of legs) {
          await trx
            .updateTable("wallet_payment_legs")
            .set({ transfer_id: transfer(leg.transfer_id) })
            .where("tenant_id", "=", tenant.tenantId)
            .where("payment_id", "=", stuck)
            .where("account_id", "=", leg.account_id)
            .execute();
        }
        await trx
          .updateTable("wallet_payments")
          .set({
            principal_transfer_id: payment.principal_transfer_id && transfer(payment.principal_transfer_id),
            bonus_transfer_id: payment.bonus_transfer_id && transfer(payment.bonus_transfer_id),
          })
          .where("tenant_id", "=", tenant.tenantId)
          .where("id", "=", stuck)
          .execute();
      });
    await point(() => "no-such-hold");

    // Both holds and the points lot are past their time.
    t.clock.advance(31 * DAY);
    const job = walletExpiryJob(t.deps);
    await expect(
      job.handler({ tenantId: tenant.tenantId }, { id: "run-1", name: job.name, retryCount: 0 }),
    ).rejects.toThrow(`1 held payment(s) failed: ${stuck}: `);
    expect(await status(next)).toBe("expired");
    expect(await status(stuck)).toBe("held");
    expect(await c.balance(m)).toMatchObject({ total: 1000, held: 0, available: 1000 });
    expect(await left(await lotOf(m))).toBe(0);
    // The sweep over every tenant names the tenant and the payment.
    await expect(runWalletExpiry(t.deps)).rejects.toThrow(
      `${tenant.tenantId}: 1 held payment(s) failed: ${stuck}`,
    );

    // Repaired, the next run releases it.
    await point((original) => original);
    expect(await runWalletExpiry(t.deps, tenant.tenantId)).toEqual({ payments: 1, lots: 0 });
    expect(await status(stuck)).toBe("expired");
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  });

  it("a points lot that cannot expire holds back none of the tenant's other lots", async () => {
    const a = await c.newMember("A");
    const b = await c.newMember("B");
    await c.ok("POST", `/v1/members/${a}/points`, { operation: "earn", points: 100 });
    await c.ok("POST", `/v1/members/${b}/points`, { operation: "earn", points: 70 });
    const stuck = await lotOf(a);
    const close = (closed: boolean) =>
      t.database.owner
        .updateTable("ledger_accounts")
        .set({ closed })
        .where("tenant_id", "=", tenant.tenantId)
        .where("id", "=", stuck)
        .execute();
    // A's lot account refuses every transfer: its points cannot expire until an operator looks.
    await close(true);

    t.clock.advance(31 * DAY);
    await expect(runWalletExpiry(t.deps, tenant.tenantId)).rejects.toThrow(
      `1 points lot(s) failed: ${stuck}: `,
    );
    expect(await left(await lotOf(b))).toBe(0);
    expect(await left(stuck)).toBe(100);

    await close(false);
    expect(await runWalletExpiry(t.deps, tenant.tenantId)).toEqual({ payments: 0, lots: 1 });
    expect(await left(stuck)).toBe(0);
    await tenantTrail(t, tenant.tenantId).ledgerClean();
  });

  it("one run releases every timed-out payment, however many more than one page there are", async () => {
    const other = await createTestTenant(t, "Many timed-out payments");
    const w = walletClient(t, other);
    const m = await w.newMember();
    await w.ok("POST", `/v1/members/${m}/top-ups`, { amount: 10_000 });
    const count = EXPIRED_PER_PAGE + 20;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const p = await w.ok<{ id: string }>("POST", "/v1/wallet-payments", {
        member_id: m,
        order_id: `MANY-${i}`,
        currency: "CNY",
        lines: [],
        amount_due: 3,
        balance_amount: 1,
        external_method: "online",
        timeout_seconds: 60,
      });
      ids.push(p.id);
    }
    expect(await w.balance(m)).toMatchObject({ total: 10_000, held: count, available: 10_000 - count });

    t.clock.advance(61_000);
    expect(await runWalletExpiry(t.deps, other.tenantId)).toEqual({ payments: count, lots: 0 });
    const statuses = await t.database.owner
      .selectFrom("wallet_payments")
      .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
      .where("tenant_id", "=", other.tenantId)
      .groupBy("status")
      .execute();
    expect(statuses.map((r) => ({ status: r.status, n: Number(r.n) }))).toEqual([
      { status: "expired", n: count },
    ]);
    expect(await w.balance(m)).toMatchObject({ total: 10_000, held: 0, available: 10_000 });
    const trail = tenantTrail(t, other.tenantId);
    expect(await trail.audit(ids[count - 1]!)).toEqual(["wallet.payment_held", "wallet.payment_voided"]);
    expect(await trail.events("wallet.payment_voided")).toHaveLength(count);
    await trail.ledgerClean();
    expect(await runWalletExpiry(t.deps, other.tenantId)).toEqual({ payments: 0, lots: 0 });
  });
});
