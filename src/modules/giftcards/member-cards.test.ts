import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, json, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { type giftCardClient, giftCardTenant, SEED_PLAN } from "../../../test/helpers/giftcards.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";
import { verifyLedger } from "../../ledger/index.js";
import { signTestWebhook, testProviderSecret } from "../wallets/index.js";
import { runGiftCardExpiry } from "./index.js";
import { ONLINE_PAYMENT_TTL_SECONDS } from "./online-sale.js";

/** The member center: own cards, balance and activities; buying online for oneself or as a gift. */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let planId: string;
let ann: string;
let bob: string;
let annAuth: { authorization: string };
let bobAuth: { authorization: string };

interface PurchaseBody {
  card: { id: string; number: string; status: string; balance: number; holder_member_id: string | null };
  pin: string | null;
  gift_code: string | null;
  payment: { id: string; status: string; amount: number } | null;
  activity: { type: string } | null;
}

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  planId = await gc.activePlan();
  ann = (await gc.ok<{ id: string }>("POST", "/v1/members", { name: "Ann" })).id;
  bob = (await gc.ok<{ id: string }>("POST", "/v1/members", { name: "Bob" })).id;
  await gc.ok("POST", `/v1/members/${ann}/top-ups`, { amount: 50000, reason: "cash" });
  annAuth = await memberAuth(t, tenant, ann);
  bobAuth = await memberAuth(t, tenant, bob);
});
afterAll(async () => t?.close());

const buy = (memberId: string, body: object, auth = annAuth) =>
  gc.call(
    "POST",
    `/v1/members/${memberId}/gift-card-purchases`,
    { plan_id: planId, amount: 20000, ...body },
    auth,
  );

async function confirm(paymentId: string, status: "succeeded" | "failed" = "succeeded") {
  const payment = await t.database.owner
    .selectFrom("gift_card_payments")
    .select(["provider_ref", "amount", "asset"])
    .where("id", "=", paymentId)
    .executeTakeFirstOrThrow();
  const body = {
    id: `evt_${paymentId}_${Math.random()}`,
    provider_ref: payment.provider_ref,
    status,
    amount: payment.amount,
    currency: payment.asset,
  };
  const signed = signTestWebhook(testProviderSecret(t.config.signingSecret), body, t.clock.now());
  return t.app.inject({
    method: "POST",
    url: `/v1/gift-card-payment-webhooks/test/${tenant.tenantId}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
}

const balanceOf = async (id: string) =>
  (await gc.ok<{ available: number }>("GET", `/v1/members/${id}/balance`)).available;

describe("a member's gift cards", () => {
  it("a member token lists only the active plans sold online; staff see every plan", async () => {
    const posOnly = await gc.activePlan({ name: "At the till", channels: ["POS"] });
    const inactive = (
      await gc.ok<{ id: string }>("POST", "/v1/gift-card-plans", { ...SEED_PLAN, name: "Draft" })
    ).id;
    const seen = json<{ data: { id: string; status: string }[] }>(
      await gc.call("GET", "/v1/gift-card-plans?limit=100", undefined, annAuth),
    ).data.map((p) => p.id);
    expect(seen).toContain(planId);
    expect(seen).not.toContain(posOnly);
    expect(seen).not.toContain(inactive);
    // Asking for inactive plans changes nothing for a member.
    const asked = json<{ data: { id: string }[] }>(
      await gc.call("GET", "/v1/gift-card-plans?status=inactive", undefined, annAuth),
    ).data.map((p) => p.id);
    expect(asked).not.toContain(inactive);
    const staff = (await gc.ok<{ data: { id: string }[] }>("GET", "/v1/gift-card-plans?limit=100")).data;
    expect(staff.map((p) => p.id)).toEqual(expect.arrayContaining([planId, posOnly, inactive]));
  });

  it("buys a card for herself by balance and sees it, its balance and its activities", async () => {
    const before = await balanceOf(ann);
    const res = await buy(ann, { payment_method: "balance" });
    expect(res.statusCode, res.body).toBe(201);
    const bought = json<PurchaseBody>(res);
    expect(bought.card).toMatchObject({ status: "active", balance: 20000, holder_member_id: ann });
    expect(bought.pin).toMatch(/^[0-9]{8}$/);
    expect(bought.gift_code).toBeNull();
    expect(await balanceOf(ann)).toBe(before - 18000);
    const mine = json<{ data: { id: string }[] }>(
      await gc.call("GET", `/v1/members/${ann}/gift-cards`, undefined, annAuth),
    );
    expect(mine.data.map((c) => c.id)).toContain(bought.card.id);
    const one = await gc.call("GET", `/v1/gift-cards/${bought.card.id}`, undefined, annAuth);
    expect(json(one)).toMatchObject({ balance: 20000 });
    const activities = json<{ data: { type: string }[] }>(
      await gc.call("GET", `/v1/gift-cards/${bought.card.id}/activities`, undefined, annAuth),
    );
    expect(activities.data.map((a) => a.type)).toEqual(["ACTIVATE"]);
    // Another member sees none of it.
    expectProblem(
      await gc.call("GET", `/v1/gift-cards/${bought.card.id}`, undefined, bobAuth),
      404,
      "gift_card_not_found",
    );
    expectProblem(
      await gc.call("GET", `/v1/members/${ann}/gift-cards`, undefined, bobAuth),
      404,
      "member_not_found",
    );
    expectProblem(await buy(bob, { payment_method: "balance" }), 404, "member_not_found");
  });

  it("a card paid by balance is refunded to the balance: the paid share of what is left", async () => {
    const bought = json<PurchaseBody>(await buy(ann, { payment_method: "balance" }));
    await gc.ok("POST", `/v1/gift-cards/${bought.card.id}/redeem`, { amount: 5000 });
    const before = await balanceOf(ann);
    const refund = await gc.ok<{ cash_amount: number; parts: { method: string; amount: number }[] }>(
      "POST",
      `/v1/gift-cards/${bought.card.id}/refund`,
      { reason: "changed her mind" },
    );
    expect(refund.cash_amount).toBe(13500);
    expect(refund.parts).toEqual([expect.objectContaining({ method: "balance", amount: 13500 })]);
    expect(await balanceOf(ann)).toBe(before + 13500);
  });

  it("a redemption given back after the card paid by balance was refunded goes to the balance too", async () => {
    const bought = json<PurchaseBody>(await buy(ann, { payment_method: "balance" }));
    const spent = await gc.ok<{ id: string }>("POST", `/v1/gift-cards/${bought.card.id}/redeem`, {
      amount: 10000,
    });
    const before = await balanceOf(ann);
    await gc.ok("POST", `/v1/gift-cards/${bought.card.id}/refund`, {});
    expect(await balanceOf(ann)).toBe(before + 9000);
    const back = await gc.ok<{ returned_to: string; paid_amount: number; payment_method: string | null }>(
      "POST",
      `/v1/gift-card-activities/${spent.id}/refund`,
      { amount: 10000 },
    );
    // All 180 paid is back on her balance: 90 with the card, 90 with the redemption.
    expect(await balanceOf(ann)).toBe(before + 18000);
    expect(back).toMatchObject({ returned_to: "buyer", paid_amount: 9000, payment_method: "balance" });
    const report = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it("the balance payment of a card bought or loaded is refunded only with the card, never alone", async () => {
    const bought = json<PurchaseBody>(await buy(ann, { payment_method: "balance" }));
    await gc.ok("POST", `/v1/gift-cards/${bought.card.id}/load`, {
      amount: 5000,
      payment: { method: "balance", member_id: ann },
    });
    // Staff see who loaded the card by name; the member does not see staff names.
    type Operators = { data: { type: string; operator: { type: string; label: string | null } }[] };
    const activitiesUrl = `/v1/gift-cards/${bought.card.id}/activities`;
    const loadAs = async (auth?: { authorization: string }) =>
      json<Operators>(await gc.call("GET", activitiesUrl, undefined, auth)).data.find(
        (a) => a.type === "LOAD",
      );
    expect((await loadAs())?.operator).toEqual(
      expect.objectContaining({ type: "api_key", label: expect.any(String) }),
    );
    expect((await loadAs(annAuth))?.operator).toEqual(
      expect.objectContaining({ type: "api_key", label: null }),
    );
    const payments = await t.database.owner
      .selectFrom("gift_card_activities")
      .select("payment_ref")
      .where("card_id", "=", bought.card.id)
      .where("payment_method", "=", "balance")
      .orderBy("id")
      .execute();
    expect(payments).toHaveLength(2);
    const before = await balanceOf(ann);
    for (const { payment_ref } of payments) {
      const alone = await gc.call("POST", `/v1/wallet-payments/${payment_ref}/refunds`, { amount: 1000 });
      expect(alone.statusCode, alone.body).toBe(409);
      expect(json(alone)).toMatchObject({
        code: "payment_refunded_by_order",
        module: "giftcards",
        refund_path: `/v1/gift-cards/${bought.card.id}/refund`,
      });
    }
    expect(await balanceOf(ann)).toBe(before);
    const refund = await gc.ok<{ cash_amount: number }>("POST", `/v1/gift-cards/${bought.card.id}/refund`, {
      reason: "returned",
    });
    expect(await balanceOf(ann)).toBe(before + refund.cash_amount);
    const report = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });

  it("buys a gift online: pending until paid, activated once by the signed confirmation, claimed by the recipient", async () => {
    const res = await buy(ann, {
      payment_method: "online",
      gift: true,
      recipient: { name: "Bob", message: "Happy Mid-Autumn Festival" },
    });
    expect(res.statusCode, res.body).toBe(201);
    const bought = json<PurchaseBody>(res);
    expect(bought.card).toMatchObject({ status: "pending", balance: 0, holder_member_id: null });
    expect(bought.payment).toMatchObject({ status: "pending", amount: 18000 });
    expect(bought.gift_code).toBe(`${bought.card.number}-${bought.pin}`);
    expectProblem(
      await gc.call("POST", "/v1/gift-cards/lookup", { number: bought.card.number, pin: bought.pin }),
      404,
      "gift_card_not_found",
    );

    const confirmed = await confirm(bought.payment!.id);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(json(confirmed)).toMatchObject({ result: "activated", card_id: bought.card.id });
    expectProblem(await confirm(bought.payment!.id), 409, "gift_card_payment_closed");
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "active", balance: 20000 });

    const [number, pin] = bought.gift_code!.split("-");
    const claim = await gc.call("POST", `/v1/members/${bob}/gift-cards/claim`, { number, pin }, bobAuth);
    expect(claim.statusCode, claim.body).toBe(200);
    expect(json(claim)).toMatchObject({ id: bought.card.id, holder_member_id: bob });
    const bobs = json<{ data: { id: string }[] }>(
      await gc.call("GET", `/v1/members/${bob}/gift-cards`, undefined, bobAuth),
    );
    expect(bobs.data.map((c) => c.id)).toEqual([bought.card.id]);
    // The buyer still sees the card she bought; nobody else can claim it now.
    const anns = json<{ data: { id: string }[] }>(
      await gc.call("GET", `/v1/members/${ann}/gift-cards`, undefined, annAuth),
    );
    expect(anns.data.map((c) => c.id)).toContain(bought.card.id);
    expectProblem(
      await gc.call("POST", `/v1/members/${ann}/gift-cards/claim`, { number, pin }, annAuth),
      409,
      "gift_card_already_claimed",
    );
  });

  it("cancels an online sale left unpaid; a late payment activates it then, once", async () => {
    const bought = json<PurchaseBody>(await buy(ann, { payment_method: "online" }));
    t.clock.advance((ONLINE_PAYMENT_TTL_SECONDS + 1) * 1000);
    expect((await runGiftCardExpiry(t.deps)).sales).toBe(1);
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "cancelled", balance: 0 });
    expect(json(await confirm(bought.payment!.id))).toMatchObject({ result: "activated" });
    expectProblem(await confirm(bought.payment!.id), 409, "gift_card_payment_closed");
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "active", balance: 20000 });
    // The job's cancellation is in the audit log, as a failed payment's is.
    const audits = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx
        .selectFrom("audit_events")
        .select(["action", "actor_type", "summary"])
        .where("target_id", "=", bought.card.id)
        .where("action", "=", "gift_card.online_sale_cancelled")
        .execute(),
    );
    expect(audits).toEqual([
      {
        action: "gift_card.online_sale_cancelled",
        actor_type: "system",
        summary: { payment_id: bought.payment!.id, outcome: "expired" },
      },
    ]);
  });

  it("a failed payment cancels the card", async () => {
    const fresh = await memberAuth(t, tenant, ann); // the clock moved past the first token's life
    const bought = json<PurchaseBody>(await buy(ann, { payment_method: "online" }, fresh));
    expect(json(await confirm(bought.payment!.id, "failed"))).toMatchObject({ result: "failed" });
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "cancelled" });
  });

  it("leaves the ledger verified", async () => {
    expect((await verifyLedger(t.deps.db, tenant.tenantId)).ok).toBe(true);
  });
});
