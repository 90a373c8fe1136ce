import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import {
  type ActivityBody,
  type giftCardClient,
  giftCardTenant,
  type SaleBody,
  twoStores,
} from "../../../test/helpers/giftcards.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { verifyLedger } from "../../ledger/index.js";
import { luhnValid } from "./card-number.js";
import { giftCardAccountIds as ids, runGiftCardExpiry } from "./index.js";
import { refundCash } from "./refund-card.js";

/** Selling, loading, redeeming, freezing, refunding, adjusting and expiring cards (seed 001 §2.5). */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let planId: string;
let storeA: string;
let storeB: string;

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  [storeA, storeB] = await twoStores(t, tenant);
  planId = await gc.activePlan({ store_scope: { stores: [storeA] } });
});
afterAll(async () => t?.close());

const redeem = (cardId: string, amount: number, extra: object = {}) =>
  gc.call("POST", `/v1/gift-cards/${cardId}/redeem`, { amount, store_id: storeA, ...extra });

describe("selling a card", () => {
  it("activates a 200 card sold for 180: the 20 off is booked to marketing expense", async () => {
    const before = {
      issue: await gc.posted(ids.issuance("CNY")),
      mkt: await gc.posted(ids.marketing("CNY")),
    };
    const sale = await gc.sell(planId, 20000, {
      store_id: storeA,
      buyer: { name: "Li Lei", phone: "13800138000" },
    });
    expect(sale.card).toMatchObject({ status: "active", balance: 20000 });
    expect(sale.card.number).toHaveLength(16);
    expect(luhnValid(sale.card.number)).toBe(true);
    expect(sale.pin).toMatch(/^[0-9]{8}$/);
    expect(sale.activity).toMatchObject({
      type: "ACTIVATE",
      amount: 20000,
      balance_after: 20000,
      paid_amount: 18000,
      discount_amount: 2000,
      payment_method: "offline",
      store_id: storeA,
    });
    expect((await gc.posted(ids.issuance("CNY"))).debits - before.issue.debits).toBe(18000);
    expect((await gc.posted(ids.marketing("CNY"))).debits - before.mkt.debits).toBe(2000);
    expect(await gc.posted(ids.card(sale.card.id))).toEqual({ debits: 0, credits: 20000 });
    // The PIN is shown once: only its hash is stored, and reading the card never shows it.
    const stored = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .selectFrom("gift_cards")
        .select("pin_hash")
        .where("id", "=", sale.card.id)
        .executeTakeFirstOrThrow(),
    );
    expect(stored.pin_hash).not.toContain(sale.pin);
    expect(JSON.stringify(await gc.card(sale.card.id))).not.toContain(sale.pin);
  });

  it("sells a custom amount of 50 and refuses 49.99; refuses a plan not on sale or not on the channel", async () => {
    expect((await gc.sell(planId, 5000)).card.balance).toBe(5000);
    const low = await gc.call("POST", "/v1/gift-cards", {
      plan_id: planId,
      amount: 4999,
      payment: { method: "offline" },
    });
    expectProblem(low, 422, "gift_card_amount_not_allowed");
    const posOnly = await gc.activePlan({ channels: ["POS"] });
    expectProblem(
      await gc.call("POST", "/v1/gift-cards", {
        plan_id: posOnly,
        amount: 10000,
        channel: "ONLINE",
        payment: { method: "offline" },
      }),
      422,
      "gift_card_channel_not_allowed",
    );
    await gc.ok("POST", `/v1/gift-card-plans/${posOnly}/deactivate`, {});
    expectProblem(
      await gc.call("POST", "/v1/gift-cards", {
        plan_id: posOnly,
        amount: 10000,
        payment: { method: "offline" },
      }),
      409,
      "gift_card_plan_inactive",
    );
  });

  it("asks the buyer information the plan requires and refuses what it does not collect", async () => {
    const strict = await gc.activePlan({ buyer_info: { name: "required", phone: "required", email: "off" } });
    const sale = (buyer: object) =>
      gc.call("POST", "/v1/gift-cards", {
        plan_id: strict,
        amount: 10000,
        buyer,
        payment: { method: "offline" },
      });
    expectProblem(await sale({ name: "Han Meimei" }), 422, "buyer_info_required");
    expectProblem(
      await sale({ name: "Han Meimei", phone: "13900139000", email: "h@example.com" }),
      422,
      "buyer_info_not_collected",
    );
    expect((await sale({ name: "Han Meimei", phone: "13900139000" })).statusCode).toBe(201);
  });

  it("needs an Idempotency-Key and replays a retry without selling twice", async () => {
    const body = { plan_id: planId, amount: 10000, payment: { method: "offline" } };
    expectProblem(
      await gc.call("POST", "/v1/gift-cards", body, tenant.auth, null),
      400,
      "idempotency_key_required",
    );
    const first = await gc.call("POST", "/v1/gift-cards", body, tenant.auth, "sale-once");
    const again = await gc.call("POST", "/v1/gift-cards", body, tenant.auth, "sale-once");
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(json<SaleBody>(again).card.id).toBe(json<SaleBody>(first).card.id);
    const cards = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("gift_cards").select("id").where("id", "=", json<SaleBody>(first).card.id).execute(),
    );
    expect(cards).toHaveLength(1);
  });
});

describe("using a card", () => {
  it("redeems partly at a redemption store, leaves the rest, and refuses another store or too much", async () => {
    const { card } = await gc.sell(planId, 20000);
    const spent = await redeem(card.id, 5000, { reference: { module: "pos", id: "till-1" } });
    expect(spent.statusCode, spent.body).toBe(201);
    expect(json<ActivityBody>(spent)).toMatchObject({ type: "REDEEM", amount: 5000, balance_after: 15000 });
    expect((await gc.card(card.id)).balance).toBe(15000);
    expectProblem(await redeem(card.id, 100, { store_id: storeB }), 422, "gift_card_store_not_allowed");
    expectProblem(await redeem(card.id, 15001), 422, "gift_card_balance_insufficient");
    // The same reference again replays the first redemption; another amount on it is refused.
    const replay = await redeem(card.id, 5000, { reference: { module: "pos", id: "till-1" } });
    expect(json<ActivityBody>(replay).id).toBe(json<ActivityBody>(spent).id);
    expectProblem(
      await redeem(card.id, 4000, { reference: { module: "pos", id: "till-1" } }),
      409,
      "gift_card_reference_reused",
    );
    expect((await gc.card(card.id)).balance).toBe(15000);
  });

  it("freeze → redeem refused → restore → redeem ok; the card is found by number or buyer phone", async () => {
    const { card } = await gc.sell(planId, 20000, { buyer: { phone: "137 0013-7000" } });
    // Kept as digits, found however the number is typed.
    for (const typed of ["13700137000", "137 0013 7000"]) {
      const byPhone = await gc.ok<{ data: { id: string; buyer: { phone: string } }[] }>(
        "GET",
        `/v1/gift-cards?buyer_phone=${encodeURIComponent(typed)}`,
      );
      expect(byPhone.data.map((c) => [c.id, c.buyer.phone])).toEqual([[card.id, "13700137000"]]);
    }
    const byNumber = await gc.ok<{ data: { id: string }[] }>("GET", `/v1/gift-cards?number=${card.number}`);
    expect(byNumber.data.map((c) => c.id)).toEqual([card.id]);
    const frozen = await gc.ok<ActivityBody>("POST", `/v1/gift-cards/${card.id}/freeze`, {
      reason: "reported lost",
    });
    expect(frozen).toMatchObject({ type: "BLOCK", amount: 0, balance_after: 20000 });
    expectProblem(await redeem(card.id, 1000), 409, "gift_card_frozen");
    expect(await gc.posted(ids.card(card.id))).toEqual({ debits: 0, credits: 20000 });
    const restored = await gc.ok<ActivityBody>("POST", `/v1/gift-cards/${card.id}/restore`, {
      reason: "found",
    });
    expect(restored).toMatchObject({ type: "UNBLOCK", balance_after: 20000 });
    expect(json<ActivityBody>(await redeem(card.id, 1000))).toMatchObject({
      type: "REDEEM",
      balance_after: 19000,
    });
  });

  it("restores a frozen card that expired meanwhile as expired: its rest goes to breakage as the job's would", async () => {
    const fixed = await gc.activePlan({ validity: { kind: "fixed", until: "2026-12-31" } });
    const { card } = await gc.sell(fixed, 10000);
    await gc.ok("POST", `/v1/gift-cards/${card.id}/freeze`, { reason: "reported lost" });
    const breakage = await gc.posted(ids.breakage("CNY"));
    const was = t.clock.now();
    t.clock.set(new Date("2027-01-01T00:00:00+08:00"));
    try {
      const restored = await gc.ok<ActivityBody>("POST", `/v1/gift-cards/${card.id}/restore`, {
        reason: "found",
      });
      expect(restored).toMatchObject({ type: "EXPIRE", amount: 10000, balance_after: 0 });
      expect(await gc.card(card.id)).toMatchObject({ status: "expired", balance: 0 });
      const expired = await gc.ok<{ data: { id: string }[] }>(
        "GET",
        "/v1/gift-cards?status=expired&limit=100",
      );
      expect(expired.data.map((c) => c.id)).toContain(card.id);
      const activities = await gc.ok<{ data: (ActivityBody & { reason: string | null })[] }>(
        "GET",
        `/v1/gift-cards/${card.id}/activities`,
      );
      expect(activities.data.map((a) => [a.type, a.reason])).toEqual([
        ["ACTIVATE", null],
        ["BLOCK", "reported lost"],
        ["UNBLOCK", "found"],
        ["EXPIRE", null],
      ]);
      expect(activities.data[0]).toMatchObject({
        operator: { type: "api_key", id: tenant.apiKey.record.id, label: tenant.apiKey.record.name },
      });
      expect((await gc.posted(ids.breakage("CNY"))).credits - breakage.credits).toBe(10000);
      expect(await gc.posted(ids.card(card.id))).toEqual({ debits: 10000, credits: 10000 });
      // Nothing is left for the job to expire a second time.
      await runGiftCardExpiry(t.deps);
      expect((await gc.posted(ids.breakage("CNY"))).credits - breakage.credits).toBe(10000);
      const after = await gc.ok<{ data: ActivityBody[] }>("GET", `/v1/gift-cards/${card.id}/activities`);
      expect(after.data).toHaveLength(4);
    } finally {
      t.clock.set(was);
    }
  });

  it("refunds a redemption back to the card, never more than it was", async () => {
    const { card } = await gc.sell(planId, 20000);
    const spent = json<ActivityBody>(await redeem(card.id, 8000));
    const back = await gc.ok<ActivityBody>("POST", `/v1/gift-card-activities/${spent.id}/refund`, {
      amount: 3000,
    });
    expect(back).toMatchObject({ type: "REFUND", amount: 3000, balance_after: 15000, returned_to: "card" });
    expectProblem(
      await gc.call("POST", `/v1/gift-card-activities/${spent.id}/refund`, { amount: 5001 }),
      422,
      "gift_card_refund_exceeds_redemption",
    );
    expectProblem(
      await gc.call("POST", `/v1/gift-card-activities/${back.id}/refund`, { amount: 1 }),
      422,
      "gift_card_not_a_redemption",
    );
    await gc.ok("POST", `/v1/gift-card-activities/${spent.id}/refund`, { amount: 5000 });
    expect((await gc.card(card.id)).balance).toBe(20000);
  });

  it("loads a card when the plan allows POS recharge, and not otherwise", async () => {
    const { card } = await gc.sell(planId, 10000);
    const loaded = await gc.ok<ActivityBody>("POST", `/v1/gift-cards/${card.id}/load`, {
      amount: 5000,
      store_id: storeA,
      payment: { method: "offline", ref: "r-2" },
    });
    expect(loaded).toMatchObject({ type: "LOAD", amount: 5000, balance_after: 15000, paid_amount: 5000 });
    const noRecharge = await gc.activePlan({ pos_recharge: false });
    const other = (await gc.sell(noRecharge, 10000)).card;
    expectProblem(
      await gc.call("POST", `/v1/gift-cards/${other.id}/load`, {
        amount: 100,
        payment: { method: "offline" },
      }),
      422,
      "gift_card_recharge_not_allowed",
    );
  });

  it("lets finance adjust with a reason; operators may not", async () => {
    const { card } = await gc.sell(planId, 10000);
    const operator = await createTestKey(t, tenant.tenantId, "operator");
    const finance = await createTestKey(t, tenant.tenantId, "finance");
    const body = { direction: "increment", amount: 500, reason: "till error corrected" };
    expect((await gc.call("POST", `/v1/gift-cards/${card.id}/adjust`, body, operator.auth)).statusCode).toBe(
      403,
    );
    const up = await gc.call("POST", `/v1/gift-cards/${card.id}/adjust`, body, finance.auth);
    expect(json<ActivityBody>(up)).toMatchObject({
      type: "ADJUST_INCREMENT",
      amount: 500,
      balance_after: 10500,
    });
    expectProblem(
      await gc.call(
        "POST",
        `/v1/gift-cards/${card.id}/adjust`,
        { direction: "decrement", amount: 10501, reason: "too much" },
        finance.auth,
      ),
      422,
      "gift_card_balance_insufficient",
    );
    const down = await gc.call(
      "POST",
      `/v1/gift-cards/${card.id}/adjust`,
      { direction: "decrement", amount: 10500, reason: "duplicate card" },
      finance.auth,
    );
    expect(json<ActivityBody>(down)).toMatchObject({ type: "ADJUST_DECREMENT", balance_after: 0 });
  });
});

describe("refunding a card", () => {
  it("pays back the paid share of what is left: 200 for 180, 50 spent → 135 cash, 15 back to marketing", async () => {
    expect(refundCash(15000, 18000, 2000)).toBe(13500);
    expect(refundCash(1, 18000, 2000)).toBe(0); // 0.9 of one minor unit rounds down
    const { card } = await gc.sell(planId, 20000);
    await redeem(card.id, 5000);
    const mkt = await gc.posted(ids.marketing("CNY"));
    const refund = await gc.ok<{ cash_amount: number; discount_reclaimed: number; card: { status: string } }>(
      "POST",
      `/v1/gift-cards/${card.id}/refund`,
      { reason: "customer asked" },
    );
    expect(refund).toMatchObject({
      cash_amount: 13500,
      discount_reclaimed: 1500,
      card: { status: "refunded" },
      activity: { type: "CARD_REFUND", amount: 15000, balance_after: 0, paid_amount: 13500 },
      parts: [{ method: "offline", ref: "receipt", amount: 13500 }],
    });
    expect((await gc.posted(ids.marketing("CNY"))).credits - mkt.credits).toBe(1500);
    expectProblem(await redeem(card.id, 100), 409, "gift_card_not_active");
    expectProblem(await gc.call("POST", `/v1/gift-cards/${card.id}/refund`, {}), 409, "gift_card_not_active");
  });

  it("pays out, adjusts or restores a card only on the side that sold it; a till elsewhere may redeem, refund its own redemption and freeze", async () => {
    const bothStores = await gc.activePlan({ store_scope: { stores: [storeA, storeB] } });
    const { card } = await gc.sell(bothStores, 10000, { store_id: storeA });
    const tillA = await createTestKey(t, tenant.tenantId, "operator", storeA);
    const tillB = await createTestKey(t, tenant.tenantId, "operator", storeB);
    const financeB = await createTestKey(t, tenant.tenantId, "finance", storeB);
    // Till B's list holds the cards sold in its subtree; by its exact number it finds this one too.
    const listed = async (query: string) =>
      json<{ data: { id: string }[] }>(
        await gc.call("GET", `/v1/gift-cards?${query}`, undefined, tillB.auth),
      ).data.map((c) => c.id);
    expect(await listed("limit=100")).not.toContain(card.id);
    expect(await listed(`number=${card.number}`)).toEqual([card.id]);
    const spentAtB = json<ActivityBody>(
      await gc.call(
        "POST",
        `/v1/gift-cards/${card.id}/redeem`,
        { amount: 1000, store_id: storeB },
        tillB.auth,
      ),
    );
    expect(
      (await gc.call("POST", `/v1/gift-card-activities/${spentAtB.id}/refund`, { amount: 400 }, tillB.auth))
        .statusCode,
    ).toBe(201);
    const adjust = { direction: "increment", amount: 1, reason: "till error" };
    const managedElsewhere = [
      await gc.call("POST", `/v1/gift-cards/${card.id}/refund`, { reason: "asked at B" }, tillB.auth),
      await gc.call("POST", `/v1/gift-cards/${card.id}/adjust`, adjust, financeB.auth),
    ];
    for (const refused of managedElsewhere) expectProblem(refused, 403, "gift_card_managed_elsewhere");
    const frozen = await gc.call(
      "POST",
      `/v1/gift-cards/${card.id}/freeze`,
      { reason: "reported stolen" },
      tillB.auth,
    );
    expect(frozen.statusCode).toBe(201);
    expectProblem(
      await gc.call("POST", `/v1/gift-cards/${card.id}/restore`, { reason: "found" }, tillB.auth),
      403,
      "gift_card_managed_elsewhere",
    );
    // Nothing moved for the refusals: 10,000 − 1,000 + 400.
    expect((await gc.card(card.id)).balance).toBe(9400);
    expect(
      (await gc.call("POST", `/v1/gift-cards/${card.id}/restore`, { reason: "found" }, tillA.auth))
        .statusCode,
    ).toBe(201);
    const paidOut = await gc.call(
      "POST",
      `/v1/gift-cards/${card.id}/refund`,
      { reason: "asked at A" },
      tillA.auth,
    );
    expect(paidOut.statusCode, paidOut.body).toBe(200);
  });

  it("never refunds a fully redeemed card", async () => {
    const { card } = await gc.sell(planId, 10000);
    await redeem(card.id, 10000);
    expectProblem(
      await gc.call("POST", `/v1/gift-cards/${card.id}/refund`, {}),
      409,
      "gift_card_fully_redeemed",
    );
  });
});

describe("expiry", () => {
  it("refuses a card past its expiry at once, then moves the rest to breakage", async () => {
    const fixed = await gc.activePlan({ validity: { kind: "fixed", until: "2026-12-31" } });
    const { card } = await gc.sell(fixed, 10000);
    await redeem(card.id, 2500);
    const breakage = await gc.posted(ids.breakage("CNY"));
    t.clock.set(new Date("2027-01-01T00:00:00+08:00"));
    try {
      expectProblem(await redeem(card.id, 100), 422, "gift_card_expired");
      const run = await runGiftCardExpiry(t.deps);
      expect(run.cards).toBeGreaterThanOrEqual(1);
      expect((await gc.posted(ids.breakage("CNY"))).credits - breakage.credits).toBe(7500);
      const activities = await gc.ok<{ data: ActivityBody[] }>("GET", `/v1/gift-cards/${card.id}/activities`);
      expect(activities.data.map((a) => a.type)).toEqual(["ACTIVATE", "REDEEM", "EXPIRE"]);
      expect(activities.data[2]).toMatchObject({ amount: 7500, balance_after: 0 });
      expect(await gc.card(card.id)).toMatchObject({ status: "expired", balance: 0 });
      expect((await runGiftCardExpiry(t.deps)).cards).toBe(0);
    } finally {
      t.clock.set(new Date("2026-11-23T08:00:00Z"));
    }
  });

  it("emitted a webhook event for every activity type, none carrying a PIN", async () => {
    const events = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("events").select(["type", "data"]).where("type", "like", "gift_card.%").execute(),
    );
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        "gift_card.activated",
        "gift_card.loaded",
        "gift_card.redeemed",
        "gift_card.redemption_refunded",
        "gift_card.adjusted_up",
        "gift_card.adjusted_down",
        "gift_card.frozen",
        "gift_card.restored",
        "gift_card.expired",
        "gift_card.refunded",
      ]),
    );
    for (const e of events) {
      expect(Object.keys(e.data as object)).not.toContain("pin");
      expect(e.data).toMatchObject({ card_id: expect.any(String), balance_after: expect.any(Number) });
    }
  });

  it("leaves the ledger verified after all of it", async () => {
    const report = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(report.differences).toEqual([]);
    expect(report.flag_violations).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
