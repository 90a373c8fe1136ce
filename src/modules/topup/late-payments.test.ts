import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { stripeEvent, stripeServer } from "../../../test/helpers/provider-fixtures.js";
import { notifyTopupPayment, type TopupBody, topupClient } from "../../../test/helpers/topup.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { fillLots } from "../../../test/helpers/wallets.js";
import { MAX_OPEN_LOTS } from "../wallets/lots.repository.js";
import { planStockKey } from "./create-topup-plan.js";
import { expireTenantUnpaidTopups, runUnpaidTopupExpiry } from "./expire-unpaid-topups.js";

/**
 * A provider may say "failed" and later "succeeded" for the same payment (the member retried
 * it), or succeed after our 15 minutes: the member paid, so the top-up is credited then, or,
 * when it can no longer be sold as it was, recorded for a refund where finance sees it.
 */
let t: TestApp;
const stripe = stripeServer();
beforeAll(async () => {
  t = await createTestApp({
    extend: () => ({ paymentTransports: { stripeFetch: stripe.fetch } }) as never,
  });
});
afterAll(async () => t?.close());

const range = { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 0 };

function world(tenant: TestTenant) {
  const c = topupClient(t, tenant);
  let seq = 0;
  const notify = (topup: TopupBody, status: "succeeded" | "failed", eventId = `evt-${++seq}`) =>
    notifyTopupPayment(t, tenant.tenantId, topup, { id: eventId, status });
  const result = async (r: ReturnType<typeof notify>) => {
    const res = await r;
    expect(res.statusCode, res.body).toBe(200);
    return json<{ result: string }>(res).result;
  };
  const online = (plan: string, member: string, amount = 10_000) =>
    c.topUp(plan, { member_id: member, amount, channel: "online", payment_method: "online" });
  const { audit, events, ledgerClean } = tenantTrail(t, tenant.tenantId);
  /** The tenant's payments through Stripe: its signed events, and a top-up's PaymentIntent id. */
  const stripe = async (secret: string) => {
    await c.ok("PUT", "/v1/payment-providers/stripe", {
      settings: {},
      secrets: { secret_key: "sk_test_123", webhook_secret: secret },
    });
    await c.ok("PATCH", "/v1/wallet-settings", { payment_provider: "stripe" });
    const refOf = async (id: string) =>
      (
        await t.database.owner
          .selectFrom("topups")
          .select("provider_ref")
          .where("tenant_id", "=", tenant.tenantId)
          .where("id", "=", id)
          .executeTakeFirstOrThrow()
      ).provider_ref;
    const send = async (event: Record<string, unknown>) => {
      const signed = stripeEvent(secret, t.clock.now(), event);
      const r = await t.app.inject({
        method: "POST",
        url: `/v1/topup-payment-webhooks/stripe/${tenant.tenantId}`,
        headers: signed.headers,
        payload: signed.body,
      });
      expect(r.statusCode, r.body).toBe(200);
      return json<{ result: string }>(r).result;
    };
    const intent = (id: string, type: string, ref: string | null) => ({
      id,
      type,
      data: {
        object: {
          id: ref,
          object: "payment_intent",
          amount: 10_000,
          amount_received: 10_000,
          currency: "cny",
        },
      },
    });
    return { refOf, send, intent };
  };
  return { c, notify, result, online, audit, events, ledgerClean, stripe };
}

describe("a payment that succeeds after a failed attempt", () => {
  it("is credited once, on the terms the top-up was sold with", async () => {
    const tenant = await createTestTenant(t, "Retry after failure");
    const w = world(tenant);
    const plan = await w.c.plan({ kind: "package", name: "Ten percent", rule: range });
    const m = await w.c.newMember();
    const started = json<TopupBody>(await w.online(plan, m));
    expect(await w.result(w.notify(started, "failed"))).toBe("failed");
    expect((await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`)).status).toBe("failed");
    // Later top-ups get 20%; the member paid for this one at 10%.
    await w.c.ok("PATCH", `/v1/topup-plans/${plan}`, { rule: { ...range, bonus_bps: 2000 } });
    const success = w.notify(started, "succeeded", "evt-retry-ok");
    expect(await w.result(success)).toBe("credited");
    expect(await w.c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000 });
    const credited = await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`);
    expect(credited).toMatchObject({ status: "credited", amount: 10_000, bonus_amount: 1_000 });
    expect(credited.details).toMatchObject({ plan_version: 1 });
    // The same notification again, or a stale "failed", changes nothing.
    expect(await w.result(w.notify(started, "succeeded", "evt-retry-ok"))).toBe("already_settled");
    expect(await w.result(w.notify(started, "failed"))).toBe("already_settled");
    expect(await w.c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000 });
    expect(await w.audit(started.id)).toEqual([
      "topup.credited",
      "topup.payment_credited",
      "topup.payment_failed",
      "topup.payment_started",
    ]);
    expect(await w.events("topup.credited")).toHaveLength(1);
    await w.ledgerClean();
  });
});

describe("Stripe: payment_intent.payment_failed is not final", () => {
  it("a retried PaymentIntent that succeeds is credited once; a refund of an uncreditable one settles it", async () => {
    const tenant = await createTestTenant(t, "Stripe retry");
    const w = world(tenant);
    const { refOf, send, intent } = await w.stripe("whsec_late_0123");
    const plan = await w.c.plan({
      kind: "package",
      name: "Stripe",
      rule: range,
      restrictions: { stock_limit: 1 },
    });
    const [m, other] = [await w.c.newMember(), await w.c.newMember()];
    const first = json<TopupBody>(await w.online(plan, m));
    const ref = await refOf(first.id);
    expect(await send(intent("evt_f1", "payment_intent.payment_failed", ref))).toBe("failed");
    expect(await send(intent("evt_s1", "payment_intent.succeeded", ref))).toBe("credited");
    expect(await send(intent("evt_s1", "payment_intent.succeeded", ref))).toBe("already_settled");
    expect(await w.c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000 });

    // The plan's one unit is now sold: another member's failed-then-paid top-up cannot be credited.
    await w.c.ok("PATCH", `/v1/topup-plans/${plan}`, { restrictions: { stock_limit: 2 } });
    const second = json<TopupBody>(await w.online(plan, other));
    const ref2 = await refOf(second.id);
    expect(await send(intent("evt_f2", "payment_intent.payment_failed", ref2))).toBe("failed");
    await w.c.ok("PATCH", `/v1/topup-plans/${plan}`, { restrictions: { stock_limit: 1 } });
    expect(await send(intent("evt_s2", "payment_intent.succeeded", ref2))).toBe("refund_due");
    const refunded = {
      id: "evt_r2",
      type: "charge.refunded",
      data: {
        object: {
          id: "ch_2",
          object: "charge",
          payment_intent: ref2,
          amount: 10_000,
          amount_refunded: 10_000,
          currency: "cny",
        },
      },
    };
    expect(await send(refunded)).toBe("refund_recorded");
    expect(await send(refunded)).toBe("already_settled");
    const settled = await w.c.ok<TopupBody>("GET", `/v1/topups/${second.id}`);
    expect(settled.status).toBe("refunded");
    expect(settled.details).toMatchObject({ refund: { refunded_total: 10_000, taken_principal: 0 } });
    expect(await w.c.balance(other)).toMatchObject({ principal: 0, bonus: 0 });
    await w.ledgerClean();
  });
});

describe("a payment that succeeds after the top-up expired", () => {
  it("is credited when its unit of stock and the member's limit are still there", async () => {
    const tenant = await createTestTenant(t, "Late but possible");
    const w = world(tenant);
    const plan = await w.c.plan({
      kind: "package",
      name: "Two left",
      rule: range,
      restrictions: { stock_limit: 2, purchase_limit_per_member: 2 },
    });
    const m = await w.c.newMember();
    const first = json<TopupBody>(await w.online(plan, m));
    t.clock.advanceMinutes(16);
    // Starting another releases the first (expired, its unit back); the second holds one unit.
    const second = json<TopupBody>(await w.online(plan, m, 20_000));
    expect((await w.c.ok<TopupBody>("GET", `/v1/topups/${first.id}`)).status).toBe("expired");
    expect(await w.result(w.notify(first, "succeeded"))).toBe("credited");
    expect(await w.result(w.notify(second, "succeeded"))).toBe("credited");
    expect(await w.c.balance(m)).toMatchObject({ principal: 30_000, bonus: 3_000 });
    // Both units are used and the limit is reached: nothing more can start.
    expect((await w.online(plan, m)).statusCode).toBe(409);
    await w.ledgerClean();
  });

  it("a success past the payment's time on a top-up still waiting is credited", async () => {
    const tenant = await createTestTenant(t, "Late, still pending");
    const w = world(tenant);
    const plan = await w.c.plan({ kind: "package", name: "Plain", rule: range });
    const m = await w.c.newMember();
    const started = json<TopupBody>(await w.online(plan, m));
    t.clock.advanceMinutes(20);
    expect(await w.result(w.notify(started, "succeeded"))).toBe("credited");
    expect(await w.c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000 });
    await w.ledgerClean();
  });

  it("what can no longer be sold as it was is recorded for a refund, visibly, once", async () => {
    const tenant = await createTestTenant(t, "Late and gone");
    const w = world(tenant);
    const plan = await w.c.plan({
      kind: "package",
      name: "One left",
      rule: range,
      restrictions: { stock_limit: 1 },
    });
    const [m, other] = [await w.c.newMember(), await w.c.newMember()];
    const first = json<TopupBody>(await w.online(plan, m));
    expect(await w.result(w.notify(first, "failed"))).toBe("failed");
    // The unit went back and another member bought it.
    const second = json<TopupBody>(await w.online(plan, other));
    expect(await w.result(w.notify(second, "succeeded"))).toBe("credited");
    expect(await w.result(w.notify(first, "succeeded", "evt-too-late"))).toBe("refund_due");
    expect(await w.result(w.notify(first, "succeeded", "evt-too-late"))).toBe("already_settled");
    expect(await w.c.balance(m)).toMatchObject({ principal: 0, bonus: 0 });
    const row = await w.c.ok<TopupBody>("GET", `/v1/topups/${first.id}`);
    expect(row.status).toBe("refund_due");
    expect(row.details).toMatchObject({ unfulfilled: { reason: "plan_out_of_stock" } });
    const due = await w.c.ok<{ data: TopupBody[] }>(
      "GET",
      `/v1/topup-plans/${plan}/top-ups?status=refund_due`,
    );
    expect(due.data.map((d) => d.id)).toEqual([first.id]);
    expect(await w.events("topup.payment_unfulfilled")).toEqual([
      expect.objectContaining({
        topup_id: first.id,
        amount: 10_000,
        currency: "CNY",
        reason: "plan_out_of_stock",
      }),
    ]);
    expect(await w.audit(first.id)).toContain("topup.payment_unfulfilled");
    await w.ledgerClean();
  });

  it("racing the release of expired top-ups, the plan's one unit is held exactly once", async () => {
    const tenant = await createTestTenant(t, "Late race");
    const w = world(tenant);
    const plan = await w.c.plan({
      kind: "package",
      name: "Race",
      rule: range,
      restrictions: { stock_limit: 1 },
    });
    const [m, other] = [await w.c.newMember(), await w.c.newMember()];
    const first = json<TopupBody>(await w.online(plan, m));
    t.clock.advanceMinutes(16);
    const [late, start] = await Promise.all([w.result(w.notify(first, "succeeded")), w.online(plan, other)]);
    const firstNow = await w.c.ok<TopupBody>("GET", `/v1/topups/${first.id}`);
    if (late === "credited") {
      expect(start.statusCode).toBe(409);
      expect(firstNow.status).toBe("credited");
    } else {
      expect(late).toBe("refund_due");
      expect(start.statusCode, start.body).toBe(201);
      expect(firstNow.status).toBe("refund_due");
    }
    const holding = await t.database.owner
      .selectFrom("topups")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("status", "in", ["credited", "pending_payment"])
      .execute();
    expect(holding).toHaveLength(1);
    await w.ledgerClean();
  });
});

describe("an online top-up not paid within its window", () => {
  it("is expired by the job once, its unit of stock back, audited and announced; a success after still credits it", async () => {
    const tenant = await createTestTenant(t, "Lapsed unpaid");
    const w = world(tenant);
    const plan = await w.c.plan({
      kind: "package",
      name: "Last one",
      rule: range,
      restrictions: { stock_limit: 1 },
    });
    const m = await w.c.newMember();
    const granted = async () =>
      (
        await t.database.owner
          .selectFrom("gift_stocks")
          .select("granted")
          .where("tenant_id", "=", tenant.tenantId)
          .where("key", "=", planStockKey(plan))
          .executeTakeFirstOrThrow()
      ).granted;
    const started = json<TopupBody>(await w.online(plan, m));
    expect(await granted()).toBe(1);
    const status = async () => (await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`)).status;
    expect(await expireTenantUnpaidTopups(t.deps, tenant.tenantId, t.clock.now())).toBe(0);
    expect(await status()).toBe("pending_payment");

    t.clock.advanceMinutes(16);
    await runUnpaidTopupExpiry(t.deps);
    expect(await status()).toBe("expired");
    expect(await expireTenantUnpaidTopups(t.deps, tenant.tenantId, t.clock.now())).toBe(0);
    const listed = await w.c.ok<{ data: TopupBody[] }>(
      "GET",
      `/v1/topup-plans/${plan}/top-ups?status=expired`,
    );
    expect(listed.data.map((x) => x.id)).toEqual([started.id]);
    expect((await w.audit(started.id)).filter((a) => a === "topup.payment_expired")).toHaveLength(1);
    expect((await w.events("topup.payment_failed")).filter((e) => e.topup_id === started.id)).toEqual([
      expect.objectContaining({ topup_id: started.id, member_id: m, result: "expired" }),
    ]);
    expect(await granted()).toBe(0);

    // The member paid after all: the unit is still free, so it is credited as sold.
    expect(await w.result(w.notify(started, "succeeded"))).toBe("credited");
    expect(await w.c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000 });
    await w.ledgerClean();
  });
});

describe("two online top-ups of one member started before either is paid", () => {
  const welcome = {
    kind: "package",
    name: "Welcome",
    rule: { ...range, points_bps: 500 },
    first_topup_bonus: { extra_bonus_bps: 500, extra_points_bps: 300 },
  };

  it("only the one paid first is the first top-up; the other is credited at the plan's own figures", async () => {
    const tenant = await createTestTenant(t, "Two first top-ups");
    const w = world(tenant);
    const plan = await w.c.plan(welcome);
    const m = await w.c.newMember();
    const a = json<TopupBody>(await w.online(plan, m));
    const b = json<TopupBody>(await w.online(plan, m));
    // Both were started by a member who had never topped up.
    for (const s of [a, b]) expect(s).toMatchObject({ first_topup: true, bonus_amount: 1_500, points: 8 });
    expect(await w.result(w.notify(b, "succeeded"))).toBe("credited");
    expect(await w.result(w.notify(a, "succeeded"))).toBe("credited");
    expect(await w.c.ok<TopupBody>("GET", `/v1/topups/${b.id}`)).toMatchObject({
      status: "credited",
      first_topup: true,
      bonus_amount: 1_500,
      points: 8,
    });
    const later = await w.c.ok<TopupBody>("GET", `/v1/topups/${a.id}`);
    expect(later).toMatchObject({ status: "credited", first_topup: false, bonus_amount: 1_000, points: 5 });
    expect(later.details).toMatchObject({
      first_bonus: 0,
      first_points: 0,
      credited_as: { first_topup: false, reason: "not_first_topup", withheld_bonus: 500, withheld_points: 3 },
    });
    expect(await w.c.balance(m)).toMatchObject({ principal: 20_000, bonus: 2_500, points: 13 });
    const credited = await w.events("topup.credited");
    expect(credited.map((e) => [e.topup_id, e.first_topup, e.bonus_amount])).toEqual(
      expect.arrayContaining([
        [b.id, true, 1_500],
        [a.id, false, 1_000],
      ]),
    );
    await w.ledgerClean();
  });

  it("paid late after another was credited as the first, it is credited at the plan's own figures", async () => {
    const tenant = await createTestTenant(t, "Late second first top-up");
    const w = world(tenant);
    const plan = await w.c.plan(welcome);
    const m = await w.c.newMember();
    const a = json<TopupBody>(await w.online(plan, m));
    const b = json<TopupBody>(await w.online(plan, m));
    expect(await w.result(w.notify(a, "failed"))).toBe("failed");
    expect(await w.result(w.notify(b, "succeeded"))).toBe("credited");
    // The same rule as in time: the member paid the plan's amount, only the extras are withheld.
    expect(await w.result(w.notify(a, "succeeded"))).toBe("credited");
    const later = await w.c.ok<TopupBody>("GET", `/v1/topups/${a.id}`);
    expect(later).toMatchObject({ status: "credited", first_topup: false, bonus_amount: 1_000, points: 5 });
    expect(later.details).toMatchObject({ credited_as: { reason: "not_first_topup", withheld_bonus: 500 } });
    expect(await w.c.balance(m)).toMatchObject({ principal: 20_000, bonus: 2_500, points: 13 });
    await w.ledgerClean();
  });

  it("paid in time for a member frozen or closed since it started, it is kept refund_due, not refused", async () => {
    const tenant = await createTestTenant(t, "In time, member gone");
    const w = world(tenant);
    const plan = await w.c.plan({
      kind: "package",
      name: "Stocked",
      rule: range,
      restrictions: { stock_limit: 2 },
    });
    const [frozen, closed] = [await w.c.newMember(), await w.c.newMember()];
    const a = json<TopupBody>(await w.online(plan, frozen));
    const b = json<TopupBody>(await w.online(plan, closed));
    await w.c.ok("PATCH", `/v1/members/${frozen}`, { status: "frozen" });
    await w.c.ok("PATCH", `/v1/members/${closed}`, { status: "closed" });
    // Refused, the provider would retry for days a payment it has already collected.
    expect(await w.result(w.notify(a, "succeeded"))).toBe("refund_due");
    expect(await w.result(w.notify(b, "succeeded"))).toBe("refund_due");
    for (const [s, reason] of [
      [a, "member_frozen"],
      [b, "member_closed"],
    ] as const) {
      const row = await w.c.ok<TopupBody>("GET", `/v1/topups/${s.id}`);
      expect(row).toMatchObject({ status: "refund_due", details: { unfulfilled: { reason } } });
    }
    expect(await w.c.balance(frozen)).toMatchObject({ principal: 0, bonus: 0 });
    // Both units of stock came back with the payments: another member can start two.
    const other = await w.c.newMember();
    expect((await w.online(plan, other)).statusCode).toBe(201);
    expect((await w.online(plan, other)).statusCode).toBe(201);
    await w.ledgerClean();
  });

  it("paid at the same moment, exactly one gets the first-top-up bonus", async () => {
    const tenant = await createTestTenant(t, "Two first top-ups at once");
    const w = world(tenant);
    const plan = await w.c.plan(welcome);
    const m = await w.c.newMember();
    const a = json<TopupBody>(await w.online(plan, m));
    const b = json<TopupBody>(await w.online(plan, m));
    const results = await Promise.all([
      w.result(w.notify(a, "succeeded")),
      w.result(w.notify(b, "succeeded")),
    ]);
    expect(results).toEqual(["credited", "credited"]);
    const rows = await Promise.all([a, b].map((s) => w.c.ok<TopupBody>("GET", `/v1/topups/${s.id}`)));
    expect(rows.map((r) => r.first_topup).sort()).toEqual([false, true]);
    expect(await w.c.balance(m)).toMatchObject({ principal: 20_000, bonus: 2_500, points: 13 });
    await w.ledgerClean();
  });

  it("a first-top-up-only plan credits the one paid first; the other is kept refund_due, its unit of stock back", async () => {
    const tenant = await createTestTenant(t, "Two first-only top-ups");
    const w = world(tenant);
    const plan = await w.c.plan({
      kind: "package",
      name: "First only",
      rule: range,
      restrictions: { first_topup_only: true, stock_limit: 2 },
    });
    const [m, other] = [await w.c.newMember(), await w.c.newMember()];
    const a = json<TopupBody>(await w.online(plan, m));
    const b = json<TopupBody>(await w.online(plan, m));
    expect(await w.result(w.notify(a, "succeeded"))).toBe("credited");
    expect(await w.result(w.notify(b, "succeeded", "evt-second"))).toBe("refund_due");
    expect(await w.result(w.notify(b, "succeeded", "evt-second"))).toBe("already_settled");
    expect(await w.c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000 });
    const kept = await w.c.ok<TopupBody>("GET", `/v1/topups/${b.id}`);
    expect(kept.status).toBe("refund_due");
    expect(kept.details).toMatchObject({
      unfulfilled: { reason: "not_first_topup", previous_status: "pending_payment" },
    });
    expect(await w.events("topup.payment_unfulfilled")).toEqual([
      expect.objectContaining({ topup_id: b.id, amount: 10_000, currency: "CNY", reason: "not_first_topup" }),
    ]);
    expect(await w.audit(b.id)).toEqual(["topup.payment_started", "topup.payment_unfulfilled"]);
    expect(await w.events("topup.credited")).toHaveLength(1);
    // The unit the second held went back: another first-time member can take it.
    const third = await w.online(plan, other);
    expect(third.statusCode, third.body).toBe(201);
    await w.ledgerClean();
  });
});

describe("the provider's refund of a credited top-up that gave points", () => {
  it("takes back points × refunded / amount (down, cumulative), from what the member still holds; the rest is the points shortfall", async () => {
    const tenant = await createTestTenant(t, "Refund takes points back");
    const w = world(tenant);
    const plan = await w.c.plan({
      kind: "package",
      name: "Points",
      rule: { ...range, points_bps: 5_000 },
    });
    const m = await w.c.newMember();
    const started = json<TopupBody>(await w.online(plan, m, 20_000));
    // 200.00 at 50 %: 100 points.
    expect(started.points).toBe(100);
    expect(await w.result(w.notify(started, "succeeded"))).toBe("credited");
    const points = async () => (await w.c.balance(m)).points;
    expect(await points()).toBe(100);
    await w.c.ok("POST", `/v1/members/${m}/points`, { operation: "spend", points: 70, reason: "gift" });
    let refundSeq = 0;
    const refund = (amount: number) =>
      w.result(
        notifyTopupPayment(t, tenant.tenantId, started, {
          id: `evt-rf-${++refundSeq}`,
          status: "succeeded",
          kind: "refund",
          refund_amount: amount,
          refund_id: `rf-${refundSeq}`,
        }),
      );
    const refunds = async () => {
      const row = await w.c.ok<{
        refunded_amount: number;
        refund_points_taken: number;
        refund_points_shortfall: number;
      }>("GET", `/v1/topups/${started.id}`);
      return {
        refunded: row.refunded_amount,
        taken: row.refund_points_taken,
        short: row.refund_points_shortfall,
      };
    };

    // 33.33 of 200.00: 100 × 3,333 / 20,000 = 16.665, down to 16 points, of the 30 left.
    expect(await refund(3_333)).toBe("refund_recorded");
    expect(await points()).toBe(14);
    expect(await refunds()).toEqual({ refunded: 3_333, taken: 16, short: 0 });
    // 66.67 more (100.00 in all): 50 due in all, 34 more; only 14 are left, 20 are short.
    expect(await refund(6_667)).toBe("refund_recorded");
    expect(await points()).toBe(0);
    expect(await refunds()).toEqual({ refunded: 10_000, taken: 30, short: 20 });
    // Points earned since are the member's too: the last 100.00 takes 40 of them, 10 short.
    await w.c.ok("POST", `/v1/members/${m}/points`, { operation: "earn", points: 40, reason: "visit" });
    expect(await refund(10_000)).toBe("refund_recorded");
    expect(await points()).toBe(0);
    expect(await refunds()).toEqual({ refunded: 20_000, taken: 70, short: 30 });
    expect((await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`)).status).toBe("refunded");
    const adjusted = await t.database.owner
      .selectFrom("audit_events")
      .select("summary")
      .where("tenant_id", "=", tenant.tenantId)
      .where("action", "=", "wallet.points_adjusted")
      .execute();
    expect(adjusted.map((a) => (a.summary as { delta: number }).delta)).toEqual([-16, -14, -40]);
    // The member's points log says why by code for what the system did, a person's reason as written.
    const log = await w.c.ok<{
      data: {
        amount: number;
        reason: string | null;
        reason_code: string | null;
        reason_params: object | null;
      }[];
    }>("GET", `/v1/members/${m}/balance-changes?account=points&limit=20`);
    const refundedBy = { code: "topup_refunded_by_provider", params: { topup: started.id } };
    expect(
      log.data.map((c) => [c.amount, c.reason_code, c.reason_params, c.reason_code ? null : c.reason]),
    ).toEqual([
      [-40, refundedBy.code, refundedBy.params, null],
      [40, null, null, "visit"],
      [-14, refundedBy.code, refundedBy.params, null],
      [-16, refundedBy.code, refundedBy.params, null],
      [-70, null, null, "gift"],
      [100, "topup_points", { topup: started.id, plan: "Points" }, null],
    ]);
    expect(log.data[0]!.reason).toBe(`top-up ${started.id} refunded by the payment provider`);
    await w.ledgerClean();
  });
});

describe("the provider's refund of a refund_due top-up", () => {
  it("a part refund keeps it owed, audited with its amount; all of it records it refunded as finance would, once", async () => {
    const tenant = await createTestTenant(t, "Provider refund recorded");
    const w = world(tenant);
    const { refOf, send, intent } = await w.stripe("whsec_auto_0123");
    const plan = await w.c.plan({ kind: "package", name: "Stripe", rule: range });
    const m = await w.c.newMember();
    const started = json<TopupBody>(await w.online(plan, m));
    const ref = await refOf(started.id);
    await w.c.ok("PATCH", `/v1/members/${m}`, { status: "frozen" });
    expect(await send(intent("evt_ar_s", "payment_intent.succeeded", ref))).toBe("refund_due");
    const refunded = (id: string, amountRefunded: number) => ({
      id,
      type: "charge.refunded",
      data: {
        object: {
          id: "ch_ar",
          object: "charge",
          payment_intent: ref,
          amount: 10_000,
          amount_refunded: amountRefunded,
          currency: "cny",
        },
      },
    });
    const auditRows = () =>
      t.database.owner
        .selectFrom("audit_events")
        .select(["action", "summary", "actor_type", "actor_id"])
        .where("tenant_id", "=", tenant.tenantId)
        .where("target_id", "=", started.id)
        .orderBy("created_at")
        .execute();

    // Part of it back: still owed, the part in the audit for finance.
    expect(await send(refunded("evt_ar_part", 4_000))).toBe("refund_recorded");
    const part = await w.c.ok<TopupBody & { details: Record<string, unknown> }>(
      "GET",
      `/v1/topups/${started.id}`,
    );
    expect(part.status).toBe("refund_due");
    expect(part.details.refund_record).toBeUndefined();
    expect((await auditRows()).find((a) => a.action === "topup.refunded")?.summary).toMatchObject({
      refund_id: "evt_ar_part",
      refund_amount: 4_000,
      refunded_total: 4_000,
      still_owed: 6_000,
    });

    // All of it back: refunded, the provider's event its record.
    const whole = refunded("evt_ar_whole", 10_000);
    expect(await send(whole)).toBe("refund_recorded");
    const settled = await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`);
    expect(settled).toMatchObject({
      status: "refunded",
      details: {
        refund: { refunded_total: 10_000, refunds: { evt_ar_part: 4_000, evt_ar_whole: 6_000 } },
        refund_record: {
          reference: "evt_ar_whole",
          note: null,
          recorded_by: { type: "system", id: "payment_provider:stripe" },
          recorded_at: t.clock.now().toISOString(),
          provider_event: {
            provider: "stripe",
            event_id: "evt_ar_whole",
            refund_id: "evt_ar_whole",
            amount: 10_000,
            currency: "CNY",
          },
        },
      },
    });
    const recorded = (await auditRows()).filter((a) => a.action === "topup.refund_recorded");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      actor_type: "system",
      actor_id: "payment_provider:stripe",
      summary: { amount: 10_000, recorded_amount: 6_000, previous_status: "refund_due" },
    });

    // Heard again, nothing changes; finance has nothing left to record.
    const before = await w.audit(started.id);
    expect(await send(whole)).toBe("already_settled");
    expect(await send(refunded("evt_ar_part", 4_000))).toBe("already_settled");
    expect(await w.audit(started.id)).toEqual(before);
    expect(await w.c.ok("GET", `/v1/topups/${started.id}`)).toEqual(settled);
    expectProblem(
      await w.c.call("POST", `/v1/topups/${started.id}/record-refund`, {}),
      409,
      "not_refund_due",
    );
    expect(await w.c.balance(m)).toMatchObject({ principal: 0, bonus: 0 });
    await w.ledgerClean();
  });
});

describe("finance records the refund of a refund_due top-up", () => {
  it("refunded once, with reference, note, who and when; a provider's refund afterwards changes nothing", async () => {
    const tenant = await createTestTenant(t, "Refund recorded");
    const w = world(tenant);
    const { refOf, send, intent } = await w.stripe("whsec_record_0123");
    const plan = await w.c.plan({ kind: "package", name: "Stripe", rule: range });
    const m = await w.c.newMember();
    const started = json<TopupBody>(await w.online(plan, m));
    const ref = await refOf(started.id);
    await w.c.ok("PATCH", `/v1/members/${m}`, { status: "closed" });
    expect(await send(intent("evt_rr_s", "payment_intent.succeeded", ref))).toBe("refund_due");

    const finance = await createTestKey(t, tenant.tenantId, "finance");
    const operator = await createTestKey(t, tenant.tenantId, "operator");
    const url = `/v1/topups/${started.id}/record-refund`;
    const record = (auth: { authorization: string }, key: string, payload: object = {}) =>
      t.app.inject({ method: "POST", url, headers: { ...auth, "idempotency-key": key }, payload });
    expectProblem(await record(operator.auth, "rr-op"), 403, "forbidden");
    const other = await createTestTenant(t, "Other tenant");
    expectProblem(await record(other.auth, "rr-other"), 404, "topup_not_found");
    const body = { reference: "re_tp_1", note: "refunded in the Stripe dashboard" };
    const first = await record(finance.auth, "rr-1", body);
    expect(first.statusCode, first.body).toBe(200);
    expect(json(first)).toMatchObject({
      status: "refunded",
      details: {
        unfulfilled: { reason: "member_closed" },
        refund: { refunded_total: 10_000, taken_principal: 0 },
        refund_record: {
          reference: "re_tp_1",
          note: "refunded in the Stripe dashboard",
          recorded_by: { type: "api_key", id: finance.id },
          recorded_at: t.clock.now().toISOString(),
        },
      },
    });
    expect((await record(finance.auth, "rr-1", body)).body).toBe(first.body);
    expectProblem(await record(finance.auth, "rr-2"), 409, "not_refund_due");
    expect(await w.audit(started.id)).toEqual([
      "topup.payment_started",
      "topup.payment_unfulfilled",
      "topup.refund_recorded",
    ]);
    // The provider then announces the refund finance made: nothing more to record.
    const refunded = {
      id: "evt_rr_r",
      type: "charge.refunded",
      data: {
        object: {
          id: "ch_rr",
          object: "charge",
          payment_intent: ref,
          amount: 10_000,
          amount_refunded: 10_000,
          currency: "cny",
        },
      },
    };
    expect(await send(refunded)).toBe("already_settled");
    expect(await send(intent("evt_rr_s", "payment_intent.succeeded", ref))).toBe("already_settled");
    expect((await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`)).status).toBe("refunded");
    expect(await w.audit(started.id)).toHaveLength(3);
    expect(await w.c.balance(m)).toMatchObject({ principal: 0, bonus: 0 });
    await w.ledgerClean();
  });

  it("refuses any other status with 409 not_refund_due and writes nothing", async () => {
    const tenant = await createTestTenant(t, "Nothing to record");
    const w = world(tenant);
    const plan = await w.c.plan({ kind: "package", name: "Plain", rule: range });
    const m = await w.c.newMember();
    const credited = json<TopupBody>(await w.online(plan, m));
    expect(await w.result(w.notify(credited, "succeeded"))).toBe("credited");
    const pending = json<TopupBody>(await w.online(plan, m));
    for (const s of [credited, pending]) {
      const before = await w.audit(s.id);
      expectProblem(await w.c.call("POST", `/v1/topups/${s.id}/record-refund`, {}), 409, "not_refund_due");
      expect(await w.audit(s.id)).toEqual(before);
    }
    expect((await w.c.ok<TopupBody>("GET", `/v1/topups/${pending.id}`)).status).toBe("pending_payment");
    expectProblem(await w.c.call("POST", "/v1/topups/tpu_missing/record-refund", {}), 404, "topup_not_found");
    expect(await w.c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000 });
    await w.ledgerClean();
  });
});

describe("an online top-up paid after the tenant changed its balance asset", () => {
  it("credits nothing in the new asset (balances are never converted) and is kept refund_due", async () => {
    const tenant = await createTestTenant(t, "Switched currency");
    const w = world(tenant);
    const plan = await w.c.plan({ kind: "package", name: "Ten percent", rule: range });
    const m = await w.c.newMember();
    const started = json<TopupBody>(await w.online(plan, m));
    // No member holds a balance yet, so the asset may change while the payment is open in CNY.
    await w.c.ok("PATCH", "/v1/wallet-settings", {
      asset: { code: "HKD", scale: 2, name: "Hong Kong dollar" },
    });
    expect(await w.result(w.notify(started, "succeeded", "evt-asset"))).toBe("refund_due");
    const row = await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`);
    expect(row).toMatchObject({
      status: "refund_due",
      details: { unfulfilled: { reason: "asset_changed", previous_status: "pending_payment" } },
    });
    expect(await w.events("topup.payment_unfulfilled")).toEqual([
      expect.objectContaining({
        topup_id: started.id,
        amount: 10_000,
        currency: "CNY",
        reason: "asset_changed",
      }),
    ]);
    expect(await w.c.balance(m)).toMatchObject({ total: 0 });
    const moved = await t.database.owner
      .selectFrom("ledger_transfers")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("reference_id", "=", started.id)
      .execute();
    expect(moved).toEqual([]);
    // The same success again finds it settled; the member's balance works in the new asset.
    expect(await w.result(w.notify(started, "succeeded", "evt-asset"))).toBe("already_settled");
    await w.c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 300 });
    expect(await w.c.balance(m)).toMatchObject({ principal: 300 });
    await w.ledgerClean();
  });
});

describe("what a refunded top-up still counts as", () => {
  it("a partly refunded top-up keeps its place in the member's purchase limit", async () => {
    const tenant = await createTestTenant(t, "Refund and buy again");
    const w = world(tenant);
    const { refOf, send, intent } = await w.stripe("whsec_limit_0123");
    const plan = await w.c.plan({
      kind: "package",
      name: "Once per member",
      rule: range,
      restrictions: { purchase_limit_per_member: 1 },
    });
    const m = await w.c.newMember();
    const bought = json<TopupBody>(await w.online(plan, m));
    const ref = await refOf(bought.id);
    expect(await send(intent("evt_lim_s", "payment_intent.succeeded", ref))).toBe("credited");
    // One yuan of the hundred comes back; the member keeps 99 and the whole bonus's rest.
    const partly = {
      id: "evt_lim_r",
      type: "charge.refunded",
      data: {
        object: {
          id: "ch_lim",
          object: "charge",
          payment_intent: ref,
          amount: 10_000,
          amount_refunded: 100,
          currency: "cny",
        },
      },
    };
    expect(await send(partly)).toBe("refund_recorded");
    expect(await w.c.balance(m)).toMatchObject({ principal: 9_900, bonus: 990 });
    const again = await w.c.topUp(plan, {
      member_id: m,
      amount: 10_000,
      channel: "pos",
      payment_method: "offline",
    });
    expectProblem(again, 409, "purchase_limit_reached");
    expect(await w.c.balance(m)).toMatchObject({ principal: 9_900, bonus: 990 });
    await w.ledgerClean();
  });

  it("a payment refunded without ever being credited leaves the member a first-time depositor", async () => {
    const tenant = await createTestTenant(t, "Never deposited");
    const w = world(tenant);
    const plan = await w.c.plan({ kind: "package", name: "Any", rule: range });
    const welcome = await w.c.plan({
      kind: "package",
      name: "Welcome",
      rule: range,
      restrictions: { first_topup_only: true },
    });
    const m = await w.c.newMember();
    const started = json<TopupBody>(await w.online(plan, m));
    await w.c.ok("PATCH", `/v1/members/${m}`, { status: "frozen" });
    expect(await w.result(w.notify(started, "succeeded"))).toBe("refund_due");
    const finance = await createTestKey(t, tenant.tenantId, "finance");
    const recorded = await t.app.inject({
      method: "POST",
      url: `/v1/topups/${started.id}/record-refund`,
      headers: { ...finance.auth, "idempotency-key": "rr-first" },
      payload: { reference: "re_first" },
    });
    expect(recorded.statusCode, recorded.body).toBe(200);
    await w.c.ok("PATCH", `/v1/members/${m}`, { status: "active" });
    expect(await w.c.balance(m)).toMatchObject({ principal: 0, bonus: 0 });
    // Nothing ever reached the member's balance: the first top-up is still to come.
    const first = await w.c.topUp(welcome, {
      member_id: m,
      amount: 10_000,
      channel: "pos",
      payment_method: "offline",
    });
    expect(first.statusCode, first.body).toBe(201);
    expect(json<TopupBody>(first)).toMatchObject({ status: "credited", first_topup: true });
    await w.ledgerClean();
  });
});

describe("the tenant's single-operation cap", () => {
  it("refuses an online top-up above it before any payment, and keeps one paid after it was lowered refund_due", async () => {
    const tenant = await createTestTenant(t, "Capped");
    const w = world(tenant);
    const plan = await w.c.plan({
      kind: "package",
      name: "Large",
      rule: { ...range, max_amount: 5_000_000 },
    });
    const m = await w.c.newMember();
    await w.c.ok("PATCH", "/v1/wallet-settings", { max_single_amount: 1_000_000 });
    expectProblem(await w.online(plan, m, 2_000_000), 422, "amount_above_cap");
    const started = json<TopupBody>(await w.online(plan, m, 900_000));
    await w.c.ok("PATCH", "/v1/wallet-settings", { max_single_amount: 500_000 });
    // The provider collected it: the answer is 200 whatever happens, never a 422 it retries for days.
    expect(await w.result(w.notify(started, "succeeded"))).toBe("refund_due");
    const kept = await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`);
    expect(kept).toMatchObject({
      status: "refund_due",
      details: { unfulfilled: { reason: "amount_above_cap" } },
    });
    expect(await w.events("topup.payment_unfulfilled")).toEqual([
      expect.objectContaining({ topup_id: started.id, amount: 900_000, reason: "amount_above_cap" }),
    ]);
    expect(await w.c.balance(m)).toMatchObject({ principal: 0, bonus: 0 });
    const rows = await t.database.owner
      .selectFrom("topups")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(rows.map((r) => r.id)).toEqual([started.id]);
    await w.ledgerClean();
  });
});

describe("a member whose lots with money left are full", () => {
  it("is refused an online top-up before any payment, and one collected since is kept refund_due", async () => {
    const tenant = await createTestTenant(t, "Full lots");
    const w = world(tenant);
    const plan = await w.c.plan({ kind: "package", name: "Ten percent", rule: range });
    const m = await w.c.newMember();
    const started = json<TopupBody>(await w.online(plan, m));
    // Topped up at the till since: each top-up holds a principal and a bonus lot.
    await fillLots(t, tenant.tenantId, m, MAX_OPEN_LOTS / 2);
    expectProblem(await w.online(plan, m), 422, "too_many_open_lots");
    // The provider collected it: the answer is 200, never a 422 it retries for days.
    expect(await w.result(w.notify(started, "succeeded", "evt-full"))).toBe("refund_due");
    expect(await w.result(w.notify(started, "succeeded", "evt-full"))).toBe("already_settled");
    const kept = await w.c.ok<TopupBody>("GET", `/v1/topups/${started.id}`);
    expect(kept).toMatchObject({
      status: "refund_due",
      details: { unfulfilled: { reason: "too_many_open_lots" } },
    });
    expect(await w.events("topup.payment_unfulfilled")).toEqual([
      expect.objectContaining({ topup_id: started.id, amount: 10_000, reason: "too_many_open_lots" }),
    ]);
    expect(await w.audit(started.id)).toEqual(["topup.payment_started", "topup.payment_unfulfilled"]);
    expect(await w.c.balance(m)).toMatchObject({ principal: 100 * 100, bonus: 100 });
    await w.ledgerClean();
  }, 120_000);
});
