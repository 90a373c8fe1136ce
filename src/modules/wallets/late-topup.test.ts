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
import { tenantTrail } from "../../../test/helpers/trail.js";
import { fillSpendableLots, walletClient } from "../../../test/helpers/wallets.js";
import { MAX_SPENDABLE_LOTS } from "./lots.repository.js";
import { signTestWebhook, testProviderSecret } from "./payment-providers.js";

/**
 * A provider may say "failed" and later "succeeded" for the same payment (the member retried
 * it), or succeed after the intent's time: the member paid, so the balance is credited then,
 * or, for a member who can no longer take it, the intent is kept for a refund.
 */
let t: TestApp;
let tenant: TestTenant;
let key = 0;
interface Intent {
  id: string;
  status: string;
  amount: number;
}
const START = "2025-10-10T02:00:00Z";

beforeAll(async () => {
  t = await createTestApp();
  t.clock.set(START);
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

const call = (method: "GET" | "POST" | "PATCH", url: string, payload?: object) =>
  t.app.inject({
    method,
    url,
    headers: { ...tenant.auth, ...(method === "POST" ? { "idempotency-key": `k-${++key}` } : {}) },
    ...(payload ? { payload } : {}),
  });
const member = async () => json<{ id: string }>(await call("POST", "/v1/members", { name: "Late" })).id;
const start = async (m: string, amount = 5000) => {
  const r = await call("POST", `/v1/members/${m}/topup-intents`, { amount });
  expect(r.statusCode, r.body).toBe(201);
  return json<Intent>(r);
};
async function notify(
  intent: Intent,
  status: "succeeded" | "failed",
  eventId = `evt-w-${++key}`,
  on: TestTenant = tenant,
) {
  const { provider_ref } = await t.database.owner
    .selectFrom("wallet_topup_intents")
    .select("provider_ref")
    .where("id", "=", intent.id)
    .executeTakeFirstOrThrow();
  const signed = signTestWebhook(
    testProviderSecret(t.config.signingSecret),
    { id: eventId, provider_ref, status, amount: intent.amount, currency: "CNY" },
    t.clock.now(),
  );
  return t.app.inject({
    method: "POST",
    url: `/v1/payment-webhooks/test/${on.tenantId}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
}
/** The provider's signed notification that it refunded (part of) the intent's payment. */
async function notifyRefund(intent: Intent, eventId: string, refund: Record<string, unknown>) {
  const { provider_ref } = await t.database.owner
    .selectFrom("wallet_topup_intents")
    .select("provider_ref")
    .where("id", "=", intent.id)
    .executeTakeFirstOrThrow();
  const signed = signTestWebhook(
    testProviderSecret(t.config.signingSecret),
    { id: eventId, provider_ref, status: "succeeded", amount: intent.amount, currency: "CNY", ...refund },
    t.clock.now(),
  );
  return t.app.inject({
    method: "POST",
    url: `/v1/payment-webhooks/test/${tenant.tenantId}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
}
const result = async (r: ReturnType<typeof notify>) => {
  const res = await r;
  expect(res.statusCode, res.body).toBe(200);
  return json<{ result: string }>(res).result;
};
const balance = async (m: string) =>
  json<{ principal: number; total: number }>(await call("GET", `/v1/members/${m}/balance`));
const intentOf = async (id: string) => json<Intent>(await call("GET", `/v1/topup-intents/${id}`));
const audit = (id: string) => tenantTrail(t, tenant.tenantId).audit(id);
const events = (type: string) => tenantTrail(t, tenant.tenantId).events(type);
const ledgerClean = () => tenantTrail(t, tenant.tenantId).ledgerClean();

describe("an online top-up that succeeds after it failed or expired", () => {
  it("after a failed notification: credited once; the same success or a stale failure changes nothing", async () => {
    const m = await member();
    const intent = await start(m);
    expect(await result(notify(intent, "failed"))).toBe("failed");
    expect(await result(notify(intent, "succeeded", "evt-w-retry"))).toBe("credited");
    expectProblem(await notify(intent, "succeeded", "evt-w-retry"), 409, "topup_intent_closed");
    expectProblem(await notify(intent, "failed"), 409, "topup_intent_closed");
    expect(await balance(m)).toMatchObject({ principal: 5000, total: 5000 });
    expect((await intentOf(intent.id)).status).toBe("succeeded");
    expect((await events("wallet.topped_up")).filter((e) => e.intent_id === intent.id)).toHaveLength(1);
    expect(await audit(intent.id)).toEqual([
      "wallet.topup_intent_created",
      "wallet.topup_intent_failed",
      "wallet.topup_intent_succeeded",
    ]);
    await ledgerClean();
  });

  it("past the intent's time, or after a failure past it: credited then", async () => {
    const m = await member();
    const waiting = await start(m);
    const failed = await start(m, 700);
    t.clock.advance(1801_000);
    expect(await result(notify(failed, "failed"))).toBe("expired");
    expect(await result(notify(waiting, "succeeded"))).toBe("credited");
    expect(await result(notify(failed, "succeeded"))).toBe("credited");
    expect(await balance(m)).toMatchObject({ principal: 5700, total: 5700 });
    t.clock.set(START);
    await ledgerClean();
  });

  it("for a member frozen or closed meanwhile: kept refund_due, visibly, nothing credited", async () => {
    const [frozen, closed] = [await member(), await member()];
    const a = await start(frozen);
    const b = await start(closed, 900);
    expect(await result(notify(a, "failed"))).toBe("failed");
    expect(await result(notify(b, "failed"))).toBe("failed");
    await call("PATCH", `/v1/members/${frozen}`, { status: "frozen" });
    await call("PATCH", `/v1/members/${closed}`, { status: "closed" });
    expect(await result(notify(a, "succeeded", "evt-w-frozen"))).toBe("refund_due");
    expect(await result(notify(b, "succeeded"))).toBe("refund_due");
    expectProblem(await notify(a, "succeeded", "evt-w-frozen"), 409, "topup_intent_closed");
    expect((await intentOf(a.id)).status).toBe("refund_due");
    const due = json<{ data: Intent[] }>(await call("GET", "/v1/topup-intents?status=refund_due"));
    expect(due.data.map((i) => i.id).sort()).toEqual([a.id, b.id].sort());
    expect(await events("wallet.topup_unfulfilled")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ intent_id: a.id, amount: 5000, currency: "CNY", reason: "member_frozen" }),
        expect.objectContaining({ intent_id: b.id, amount: 900, currency: "CNY", reason: "member_closed" }),
      ]),
    );
    expect(await audit(a.id)).toContain("wallet.topup_intent_unfulfilled");
    await call("PATCH", `/v1/members/${frozen}`, { status: "active" });
    expect(await balance(frozen)).toMatchObject({ total: 0 });
    await ledgerClean();
  });

  it("a failure and a success racing for a failed intent settle it once", async () => {
    const m = await member();
    const intent = await start(m);
    expect(await result(notify(intent, "failed"))).toBe("failed");
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => notify(intent, "succeeded", "evt-w-race")),
      notify(intent, "failed"),
    ]);
    expect(
      answers.filter((r) => r.statusCode === 200).map((r) => json<{ result: string }>(r).result),
    ).toEqual(["credited"]);
    expect(await balance(m)).toMatchObject({ principal: 5000 });
    await ledgerClean();
  });
});

describe("an online top-up paid in time", () => {
  it("for a member holding more lots than a balance read takes in: kept refund_due; a new one refused before the provider", async () => {
    const m = await member();
    const intent = await start(m, 1300);
    await fillSpendableLots(t, tenant.tenantId, m, MAX_SPENDABLE_LOTS + 1);
    expect(await result(notify(intent, "succeeded", "evt-w-lots"))).toBe("refund_due");
    expectProblem(await notify(intent, "succeeded", "evt-w-lots"), 409, "topup_intent_closed");
    expect((await intentOf(intent.id)).status).toBe("refund_due");
    expect(await events("wallet.topup_unfulfilled")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ intent_id: intent.id, amount: 1300, reason: "too_many_open_lots" }),
      ]),
    );
    expect(await audit(intent.id)).toEqual([
      "wallet.topup_intent_created",
      "wallet.topup_intent_unfulfilled",
    ]);
    expect((await events("wallet.topped_up")).filter((e) => e.intent_id === intent.id)).toEqual([]);
    const intents = async () =>
      (
        await t.database.owner
          .selectFrom("wallet_topup_intents")
          .select("id")
          .where("member_id", "=", m)
          .execute()
      ).length;
    expectProblem(
      await call("POST", `/v1/members/${m}/topup-intents`, { amount: 500 }),
      422,
      "too_many_open_lots",
    );
    expect(await intents()).toBe(1);
    await ledgerClean();
  });

  it("paid in time for a member frozen or closed since it started: kept refund_due, nothing credited", async () => {
    const [frozen, closed] = [await member(), await member()];
    const a = await start(frozen, 1100);
    const b = await start(closed, 1200);
    await call("PATCH", `/v1/members/${frozen}`, { status: "frozen" });
    await call("PATCH", `/v1/members/${closed}`, { status: "closed" });
    expect(await result(notify(a, "succeeded", "evt-w-frozen-now"))).toBe("refund_due");
    expect(await result(notify(b, "succeeded"))).toBe("refund_due");
    expectProblem(await notify(a, "succeeded", "evt-w-frozen-now"), 409, "topup_intent_closed");
    expect((await intentOf(a.id)).status).toBe("refund_due");
    expect((await intentOf(b.id)).status).toBe("refund_due");
    expect(await events("wallet.topup_unfulfilled")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ intent_id: a.id, amount: 1100, reason: "member_frozen" }),
        expect.objectContaining({ intent_id: b.id, amount: 1200, reason: "member_closed" }),
      ]),
    );
    expect(await audit(b.id)).toEqual(["wallet.topup_intent_created", "wallet.topup_intent_unfulfilled"]);
    expect(
      (await events("wallet.topped_up")).filter((e) => e.intent_id === a.id || e.intent_id === b.id),
    ).toEqual([]);
    const moved = await t.database.owner
      .selectFrom("ledger_transfers")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("reference_id", "in", [a.id, b.id])
      .execute();
    expect(moved).toEqual([]);
    await call("PATCH", `/v1/members/${frozen}`, { status: "active" });
    expect(await balance(frozen)).toMatchObject({ total: 0 });
    await ledgerClean();
  });
});

describe("an online top-up in a balance asset the tenant has since changed", () => {
  it("credits nothing (balances are never converted) and is kept refund_due; the members' balances keep working", async () => {
    const switched = await createTestTenant(t, "Switched currency");
    const c = walletClient(t, switched);
    const [fresh, held] = [await c.newMember(), await c.newMember()];
    const start = (m: string, amount: number) =>
      c.ok<Intent>("POST", `/v1/members/${m}/topup-intents`, { amount });
    const a = await start(fresh, 5000);
    const b = await start(held, 700);
    // No member holds a balance yet, so the asset may change; both payments are still open in CNY.
    await c.ok("PATCH", "/v1/wallet-settings", {
      asset: { code: "HKD", scale: 2, name: "Hong Kong dollar" },
    });
    await c.ok("POST", `/v1/members/${held}/top-ups`, { amount: 100 });
    const settle = async (intent: Intent) => {
      const r = await notify(intent, "succeeded", `evt-w-asset-${intent.id}`, switched);
      expect(r.statusCode, r.body).toBe(200);
      return json<{ result: string }>(r).result;
    };
    expect(await settle(a)).toBe("refund_due");
    expect(await settle(b)).toBe("refund_due");
    const trail = tenantTrail(t, switched.tenantId);
    expect(await trail.events("wallet.topup_unfulfilled")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ intent_id: a.id, amount: 5000, currency: "CNY", reason: "asset_changed" }),
        expect.objectContaining({ intent_id: b.id, amount: 700, currency: "CNY", reason: "asset_changed" }),
      ]),
    );
    expect(await trail.audit(a.id)).toEqual([
      "wallet.topup_intent_created",
      "wallet.topup_intent_unfulfilled",
    ]);
    expect(await c.balance(fresh)).toMatchObject({ total: 0 });
    expect(await c.balance(held)).toMatchObject({ principal: 100, total: 100 });
    // Their balances stay in the tenant's asset: later operations work.
    await c.ok("POST", `/v1/members/${fresh}/top-ups`, { amount: 300 });
    await c.ok("POST", `/v1/members/${held}/top-ups`, { amount: 300 });
    expect(await c.balance(fresh)).toMatchObject({ principal: 300 });
    expect(await c.balance(held)).toMatchObject({ principal: 400 });
    await trail.ledgerClean();
  });
});

describe("finance records the refund of a refund_due intent", () => {
  it("refunded once, with reference, note, who and when; audited and announced; nothing moves", async () => {
    const m = await member();
    const intent = await start(m, 1300);
    await call("PATCH", `/v1/members/${m}`, { status: "closed" });
    expect(await result(notify(intent, "succeeded"))).toBe("refund_due");
    const finance = await createTestKey(t, tenant.tenantId, "finance");
    const operator = await createTestKey(t, tenant.tenantId, "operator");
    const record = (auth: { authorization: string }, idem: string, payload: object = {}) =>
      t.app.inject({
        method: "POST",
        url: `/v1/topup-intents/${intent.id}/record-refund`,
        headers: { ...auth, "idempotency-key": idem },
        payload,
      });
    expectProblem(await record(operator.auth, "rr-op"), 403, "forbidden");
    const other = await createTestTenant(t, "Other");
    expectProblem(await record(other.auth, "rr-other"), 404, "topup_intent_not_found");
    const body = { reference: "re_w_1", note: "refunded in the dashboard" };
    const first = await record(finance.auth, "rr-1", body);
    expect(first.statusCode, first.body).toBe(200);
    const refunded = json<Intent & { refund_record: Record<string, unknown> }>(first);
    expect(refunded.status).toBe("refunded");
    expect(refunded.refund_record).toEqual({
      reference: "re_w_1",
      note: "refunded in the dashboard",
      recorded_by: { type: "api_key", id: finance.id },
      recorded_at: t.clock.now().toISOString(),
    });
    // The same key replays; a new call finds it refunded.
    expect((await record(finance.auth, "rr-1", body)).body).toBe(first.body);
    expectProblem(await record(finance.auth, "rr-2"), 409, "not_refund_due");
    expect((await intentOf(intent.id)).status).toBe("refunded");
    expect(await audit(intent.id)).toEqual([
      "wallet.topup_intent_created",
      "wallet.topup_intent_refunded",
      "wallet.topup_intent_unfulfilled",
    ]);
    expect((await events("wallet.topup_refunded")).filter((e) => e.intent_id === intent.id)).toEqual([
      expect.objectContaining({ amount: 1300, currency: "CNY", reference: "re_w_1" }),
    ]);
    expectProblem(await notify(intent, "succeeded"), 409, "topup_intent_closed");
    const refundedList = json<{ data: Intent[] }>(await call("GET", "/v1/topup-intents?status=refunded"));
    expect(refundedList.data.map((i) => i.id)).toEqual([intent.id]);
    await ledgerClean();
  });

  it("refuses any other status with 409 not_refund_due and writes nothing", async () => {
    const m = await member();
    const credited = await start(m, 400);
    expect(await result(notify(credited, "succeeded"))).toBe("credited");
    const pending = await start(m, 500);
    for (const i of [credited, pending]) {
      const before = await audit(i.id);
      expectProblem(await call("POST", `/v1/topup-intents/${i.id}/record-refund`, {}), 409, "not_refund_due");
      expect(await audit(i.id)).toEqual(before);
    }
    expect((await intentOf(pending.id)).status).toBe("pending");
    expectProblem(
      await call("POST", "/v1/topup-intents/wti_missing/record-refund"),
      404,
      "topup_intent_not_found",
    );
    await ledgerClean();
  });
});

describe("the provider's refund of a refund_due intent", () => {
  it("a part refund keeps it owed, audited with its amount; all of it records it refunded as finance would, once", async () => {
    const m = await member();
    const intent = await start(m, 1000);
    await call("PATCH", `/v1/members/${m}`, { status: "frozen" });
    expect(await result(notify(intent, "succeeded"))).toBe("refund_due");
    const auditRows = () =>
      t.database.owner
        .selectFrom("audit_events")
        .select(["action", "summary", "actor_type", "actor_id"])
        .where("tenant_id", "=", tenant.tenantId)
        .where("target_id", "=", intent.id)
        .orderBy("created_at")
        .execute();
    const part = { kind: "refund", refund_id: "re_part", refund_amount: 400 };

    // Part of it back: still owed, the part in the audit for finance.
    expect(await result(notifyRefund(intent, "evt_part", part))).toBe("refund_recorded");
    expect(await intentOf(intent.id)).toMatchObject({
      status: "refund_due",
      refund_record: null,
      refunded_amount: 400,
      refund_count: 1,
    });
    expect((await auditRows()).find((a) => a.action === "wallet.topup_intent_provider_refund")).toMatchObject(
      {
        actor_type: "system",
        actor_id: "payment_provider:test",
        summary: { refund_id: "re_part", refund_amount: 400, refunded_total: 400, still_owed: 600 },
      },
    );
    expect(await events("wallet.topup_refunded")).not.toContainEqual(
      expect.objectContaining({ intent_id: intent.id }),
    );

    // The rest back (cumulative, as Stripe says it): refunded, the provider's event its record.
    const whole = { kind: "refund", refund_id: "re_whole", refund_amount: 1000, refund_cumulative: true };
    expect(await result(notifyRefund(intent, "evt_whole", whole))).toBe("refund_recorded");
    const settled = await intentOf(intent.id);
    expect(settled).toMatchObject({
      status: "refunded",
      refunded_amount: 1000,
      refund_count: 2,
      refund_record: {
        reference: "re_whole",
        note: null,
        recorded_by: { type: "system", id: "payment_provider:test" },
        recorded_at: t.clock.now().toISOString(),
        provider_event: {
          provider: "test",
          event_id: "evt_whole",
          refund_id: "re_whole",
          amount: 1000,
          currency: "CNY",
        },
      },
    });
    const recorded = (await auditRows()).filter((a) => a.action === "wallet.topup_intent_refunded");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      actor_type: "system",
      actor_id: "payment_provider:test",
      summary: { reference: "re_whole", amount: 1000, previous_status: "refund_due" },
    });
    expect((await events("wallet.topup_refunded")).filter((e) => e.intent_id === intent.id)).toEqual([
      expect.objectContaining({ amount: 1000, currency: "CNY", reference: "re_whole" }),
    ]);

    // Heard again, nothing changes; finance has nothing left to record.
    const before = await audit(intent.id);
    expect(await result(notifyRefund(intent, "evt_whole", whole))).toBe("refund_ignored");
    expect(await result(notifyRefund(intent, "evt_part", part))).toBe("refund_ignored");
    expect(await audit(intent.id)).toEqual(before);
    expect(await intentOf(intent.id)).toEqual(settled);
    expectProblem(
      await call("POST", `/v1/topup-intents/${intent.id}/record-refund`, {}),
      409,
      "not_refund_due",
    );
    expect(await balance(m)).toMatchObject({ principal: 0, total: 0 });

    // A refund of a payment that is no intent here (another sale's at the same provider
    // account) is acknowledged, so the provider stops resending it, and writes nothing.
    const written = () => tenantTrail(t, tenant.tenantId).auditCount();
    const audited = await written();
    const stranger = await notifyRefund(intent, "evt_stranger", {
      ...part,
      provider_ref: "testpay_elsewhere",
    });
    expect(stranger.statusCode, stranger.body).toBe(200);
    expect(JSON.parse(stranger.body)).toEqual({
      object: "webhook_receipt",
      intent_id: null,
      result: "refund_ignored",
    });
    expect(await written()).toEqual(audited);
    await ledgerClean();
  });

  it("refunds one by one add up; a refund of an intent not paid yet credits and records nothing", async () => {
    const m = await member();
    const owed = await start(m, 900);
    await call("PATCH", `/v1/members/${m}`, { status: "frozen" });
    expect(await result(notify(owed, "succeeded"))).toBe("refund_due");
    const each = (id: string, amount: number) => ({ kind: "refund", refund_id: id, refund_amount: amount });
    expect(await result(notifyRefund(owed, "evt_a", each("re_a", 500)))).toBe("refund_recorded");
    expect((await intentOf(owed.id)).status).toBe("refund_due");
    expect(await result(notifyRefund(owed, "evt_b", each("re_b", 400)))).toBe("refund_recorded");
    expect(await intentOf(owed.id)).toMatchObject({
      status: "refunded",
      refund_record: { reference: "re_b", provider_event: { amount: 900 } },
    });
    await call("PATCH", `/v1/members/${m}`, { status: "active" });
    const credited = await start(m, 300);
    expect(await result(notify(credited, "succeeded"))).toBe("credited");
    const pending = await start(m, 200);
    const before = await audit(pending.id);
    expectProblem(
      await notifyRefund(pending, `evt_${pending.id}`, each(`re_${pending.id}`, pending.amount)),
      409,
      "topup_intent_closed",
    );
    expect(await audit(pending.id)).toEqual(before);
    expectProblem(await notifyRefund(pending, "evt_bad", { kind: "refund" }), 400, "validation_failed");
    expect((await intentOf(pending.id)).status).toBe("pending");
    expect(await balance(m)).toMatchObject({ principal: 300 });
    await ledgerClean();
  });
});

describe("a provider refund of a credited online top-up", () => {
  type Refunded = Intent & {
    refunded_amount: number;
    refund_count: number;
    refund_taken_back: number;
    refund_shortfall: number;
    refund_record: { reference: string; provider_event?: { amount: number } } | null;
  };
  const refunded = (id: string) => intentOf(id) as Promise<Refunded>;

  it("takes each refund back out of the balance once, part then all; what was spent is the shortfall", async () => {
    const m = await member();
    const intent = await start(m, 1000);
    expect(await result(notify(intent, "succeeded"))).toBe("credited");
    // The member spends 300 of it before the provider refunds anything.
    expect((await call("POST", `/v1/members/${m}/withdrawals`, { amount: 300 })).statusCode).toBe(201);

    const part = { kind: "refund", refund_id: "re_part", refund_amount: 400 };
    expect(await result(notifyRefund(intent, "evt_part", part))).toBe("refund_recorded");
    expect(await balance(m)).toMatchObject({ principal: 300, total: 300 });
    expect(await refunded(intent.id)).toMatchObject({
      status: "succeeded",
      refunded_amount: 400,
      refund_count: 1,
      refund_taken_back: 400,
      refund_shortfall: 0,
      refund_record: null,
    });
    // The same refund again, under another notification id: nothing more is taken.
    expect(await result(notifyRefund(intent, "evt_part_again", part))).toBe("refund_ignored");
    expect(await balance(m)).toMatchObject({ principal: 300 });

    // Stripe-like: the amount is everything refunded so far. 600 more, only 300 left to take.
    const all = { kind: "refund", refund_id: "re_all", refund_amount: 1000, refund_cumulative: true };
    expect(await result(notifyRefund(intent, "evt_all", all))).toBe("refund_recorded");
    expect(await balance(m)).toMatchObject({ principal: 0, total: 0 });
    expect(await refunded(intent.id)).toMatchObject({
      status: "refunded",
      refunded_amount: 1000,
      refund_count: 2,
      refund_taken_back: 700,
      refund_shortfall: 300,
      refund_record: { reference: "re_all", provider_event: { amount: 1000 } },
    });
    expect(await result(notifyRefund(intent, "evt_late", { ...part, refund_id: "re_late" }))).toBe(
      "refund_ignored",
    );
    expect(await balance(m)).toMatchObject({ principal: 0 });

    expect(await audit(intent.id)).toEqual([
      "wallet.topup_intent_created",
      "wallet.topup_intent_provider_refund",
      "wallet.topup_intent_provider_refund",
      "wallet.topup_intent_refunded",
      "wallet.topup_intent_succeeded",
    ]);
    expect((await audit(m)).filter((a) => a === "wallet.topup_reversed")).toHaveLength(2);
    const announced = (await events("wallet.topup_refund_taken_back")).filter(
      (e) => e.intent_id === intent.id,
    );
    expect(announced).toEqual([
      expect.objectContaining({ refund_id: "re_part", refund_amount: 400, taken_back: 400, shortfall: 0 }),
      expect.objectContaining({
        refund_id: "re_all",
        refund_amount: 600,
        refunded_total: 1000,
        taken_back: 300,
        shortfall: 300,
        fully_refunded: true,
      }),
    ]);
    const changes = json<{ data: { kind: string; amount: number; source: string | null }[] }>(
      await call("GET", `/v1/members/${m}/balance-changes`),
    ).data.filter((c) => c.source === "topup_refund");
    expect(changes.map((c) => c.amount).sort()).toEqual([-400, -300].sort());
    await ledgerClean();
  });

  it("a WeChat-Pay-like refund of it all at once, the balance untouched: all of it taken, no shortfall", async () => {
    const m = await member();
    const intent = await start(m, 800);
    expect(await result(notify(intent, "succeeded"))).toBe("credited");
    const whole = { kind: "refund", refund_id: "re_whole", refund_amount: 800 };
    expect(await result(notifyRefund(intent, "evt_whole", whole))).toBe("refund_recorded");
    expect(await balance(m)).toMatchObject({ principal: 0 });
    expect(await refunded(intent.id)).toMatchObject({
      status: "refunded",
      refunded_amount: 800,
      refund_taken_back: 800,
      refund_shortfall: 0,
    });
    await ledgerClean();
  });
});
