import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import type { Tx } from "../../db/database.js";
import { systemActor } from "../../platform/auth/actor.js";
import { grantCardExtensions } from "./grant-card-extensions.js";
import { connectedSettlement, type SettleContext } from "./settlement.js";

/**
 * A card-extension benefit extends a member's card once per benefit and year, however the
 * orders that reach its amount arrive: here two of them commit from two transactions at once
 * (two server processes, or the ledger without group commit).
 */
let t: TestApp;
let tenant: TestTenant;
const DAY_MS = 86_400_000;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  const plan = await t.app.inject({
    method: "POST",
    url: "/v1/card-plans",
    headers: tenant.auth,
    payload: {
      code: "yearly",
      name: "Yearly",
      validity: { kind: "relative", days: 365 },
      tiers: [{ code: "silver", name: "Silver", rank: 1 }],
    },
  });
  expect(plan.statusCode, plan.body).toBe(201);
  const ext = await t.app.inject({
    method: "POST",
    url: "/v1/benefits",
    headers: tenant.auth,
    payload: {
      kind: "card_extension",
      name: "30 days for 10.00 a year",
      config: { extension_days: 30, min_annual_spend: 1000 },
    },
  });
  expect(ext.statusCode, ext.body).toBe(201);
});
afterAll(async () => t?.close());

/** An order of `total` placed and granted in `trx`, as finish-order.ts grants a paid order. */
async function placeAndGrant(trx: Tx, memberId: string, orderId: string, total: number) {
  const now = t.clock.now();
  const actor = systemActor(tenant.tenantId, "test.checkout");
  await trx
    .insertInto("checkout_orders")
    .values({
      tenant_id: tenant.tenantId,
      id: orderId,
      client_order_id: orderId,
      member_id: memberId,
      channel: "POS",
      store_id: null,
      currency: "CNY",
      status: "completed",
      no_benefit_total: total,
      total,
      voucher_total: 0,
      balance_amount: 0,
      points_earned: 0,
      quote: JSON.stringify({}),
      settlement: JSON.stringify({}),
      request_hash: orderId,
      created_by: actor.id,
      created_at: now,
      refunded_at: null,
    })
    .execute();
  const ctx: SettleContext = {
    tenantId: tenant.tenantId,
    actor,
    trx,
    ledger: t.deps.ledger.within(trx, tenant.tenantId),
    uow: null,
    requestId: null,
    now,
  };
  return grantCardExtensions(
    ctx,
    connectedSettlement,
    { actor, requestId: null },
    { id: orderId, memberId, total, timezone: "UTC" },
    now,
  );
}

/** Until some session of this database waits for a lock (the second order, behind the first). */
async function untilOneWaits() {
  for (let attempt = 0; attempt < 2000; attempt++) {
    const { rows } = await sql<{ waiting: string }>`
      select count(*) as waiting from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock'`.execute(t.database.owner);
    if (Number(rows[0]!.waiting) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("the second order never waited for the first");
}

describe("card extensions under concurrent orders", () => {
  it("two orders each reaching the yearly amount, committing at once, extend the card once", async () => {
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name: "Twin", tier: "silver" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const member = json<{ id: string; card_expires_at: string }>(created);

    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstGranted!: () => void;
    const firstHasGranted = new Promise<void>((resolve) => {
      firstGranted = resolve;
    });
    const first = t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
      const granted = await placeAndGrant(trx, member.id, "ord_twin_1", 1000);
      firstGranted();
      await firstMayCommit;
      return granted;
    });
    await firstHasGranted;
    const second = t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      placeAndGrant(trx, member.id, "ord_twin_2", 1000),
    );
    await untilOneWaits();
    releaseFirst();
    const granted = [...(await first), ...(await second)];

    expect(granted).toHaveLength(1);
    const after = json<{ card_expires_at: string }>(
      await t.app.inject({ url: `/v1/members/${member.id}`, headers: tenant.auth }),
    );
    expect(Date.parse(after.card_expires_at) - Date.parse(member.card_expires_at)).toBe(30 * DAY_MS);
  });
});

describe("card extensions for a member without a card", () => {
  it("an order reaching the yearly amount completes, extending nothing", async () => {
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name: "No card" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const member = json<{ id: string; card_plan: string | null }>(created);
    expect(member.card_plan).toBeNull();
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/checkout/orders",
      headers: tenant.auth,
      payload: {
        member_id: member.id,
        channel: "POS",
        client_order_id: "no-card-1",
        lines: [{ sku: "tea", category: "drinks", quantity: 1, unit_price: 1000 }],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(json<{ status: string }>(res).status).toBe("completed");
    const after = json<{ card_plan: string | null; card_expires_at: string | null }>(
      await t.app.inject({ url: `/v1/members/${member.id}`, headers: tenant.auth }),
    );
    expect(after).toMatchObject({ card_plan: null, card_expires_at: null });
  });
});
