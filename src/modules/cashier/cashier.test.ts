import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { roundTripsOf } from "../../../test/helpers/metrics.js";
import { stripeEvent, stripeServer } from "../../../test/helpers/provider-fixtures.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { expectCode } from "../../../test/helpers/vouchers.js";
import { fillLots, walletClient } from "../../../test/helpers/wallets.js";
import { countEarlierBalanceRefunds } from "../../db/migrations/1800_cashier_order_refunds.js";
import { runWalletExpiry, signTestWebhook, testProviderSecret } from "../wallets/index.js";
import { MAX_OPEN_LOTS } from "../wallets/lots.repository.js";
import { runLapsedTopupRelease } from "./index.js";

let t: TestApp;
let tenant: TestTenant;
let wallet: ReturnType<typeof walletClient>;
let key = 0;
const stripe = stripeServer();

interface Payment {
  id: string;
  kind: string;
  status: string;
  balance_amount: number;
  online_amount: number;
  provider: string | null;
  wallet_payment_id: string | null;
  topup_id: string | null;
}
interface Order {
  id: string;
  status: string;
  paid_by: string | null;
  total: number;
  member_id: string;
  payments: Payment[];
  link?: { url: string; path: string };
}

beforeAll(async () => {
  t = await createTestApp({
    extend: () => ({ paymentTransports: { stripeFetch: stripe.fetch } }) as never,
  });
  tenant = await createTestTenant(t, "Harbour Coffee");
  wallet = walletClient(t, tenant);
});
afterAll(() => t?.close());

const ITEMS = [
  { name: "Latte", quantity: 2, unit_amount: 3_200 },
  { name: "Croissant", quantity: 1, unit_amount: 1_800 },
];
const TOTAL = 8_200;

/** A member with `amount` on their balance (an operator top-up). */
async function member(name: string, amount: number): Promise<string> {
  const id = await wallet.newMember(name);
  if (amount > 0) await wallet.ok("POST", `/v1/members/${id}/top-ups`, { amount, reason: "till" });
  return id;
}

const createOrder = (memberId: string, extra: object = {}, idem = `order-${++key}`) =>
  t.app.inject({
    method: "POST",
    url: "/v1/cashier-orders",
    headers: { ...tenant.auth, "idempotency-key": idem, host: "shop.example" },
    payload: { member_id: memberId, items: ITEMS, total: TOTAL, merchant_order_ref: `SO-${++key}`, ...extra },
  });

async function order(memberId: string, extra: object = {}): Promise<Order> {
  const r = await createOrder(memberId, extra);
  expect(r.statusCode, r.body).toBe(201);
  return json<Order>(r);
}

/** The member's token, through the order's own one-time link (as the page does). */
async function tokenFor(o: Order): Promise<string> {
  const code = new URL(o.link!.url).searchParams.get("code")!;
  const r = await t.app.inject({
    method: "POST",
    url: "/v1/member-center/sessions",
    payload: { tenant_id: tenant.tenantId, code },
  });
  expect(r.statusCode, r.body).toBe(201);
  return json<{ token: string }>(r).token;
}

const asMember = (
  token: string,
  method: "GET" | "POST",
  url: string,
  payload?: object,
  idem = `m-${++key}`,
) =>
  t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, ...(method === "POST" ? { "idempotency-key": idem } : {}) },
    ...(payload ? { payload } : {}),
  });
const pay = (token: string, orderId: string, body: object = {}, idem?: string) =>
  asMember(token, "POST", `/v1/member-center/cashier-orders/${orderId}/pay`, body, idem);
const merchantView = async (orderId: string) => wallet.ok<Order>("GET", `/v1/cashier-orders/${orderId}`);

/** The test provider's signed notification for a cashier payment, posted `times` times. */
async function notify(payment: Payment, status: "succeeded" | "failed", eventId: string) {
  const ref = await t.database.owner
    .selectFrom("cashier_payments")
    .select(["provider_ref", "online_amount"])
    .where("id", "=", payment.id)
    .executeTakeFirstOrThrow();
  const signed = signTestWebhook(
    testProviderSecret(t.config.signingSecret),
    { id: eventId, provider_ref: ref.provider_ref, status, amount: ref.online_amount, currency: "CNY" },
    t.clock.now(),
  );
  return t.app.inject({
    method: "POST",
    url: `/v1/cashier-payment-webhooks/test/${tenant.tenantId}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
}

const unfulfilled = async (orderId: string) =>
  (
    await t.database.owner
      .selectFrom("events")
      .select("data")
      .where("tenant_id", "=", tenant.tenantId)
      .where("type", "=", "cashier_payment.unfulfilled")
      .execute()
  )
    .map((e) => e.data as { order_id: string })
    .filter((e) => e.order_id === orderId);

const paidEvents = async (orderId: string) =>
  (
    await t.database.owner
      .selectFrom("events")
      .select(["type", "data"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("type", "=", "cashier_order.paid")
      .execute()
  ).filter((e) => (e.data as { order_id: string }).order_id === orderId);

describe("cashier orders: the merchant's side", () => {
  it("answers the order with a one-time member-center link to its cashier page; one order per reference", async () => {
    const m = await member("Ada", 0);
    const r = await createOrder(m, { merchant_order_ref: "SO-REF-1" }, "same-key");
    expect(r.statusCode, r.body).toBe(201);
    const o = json<Order>(r);
    expect(o).toMatchObject({ status: "open", total: TOTAL, paid_by: null, payments: [] });
    const url = new URL(o.link!.url);
    expect(url.host).toBe("shop.example");
    expect(url.pathname).toBe(`/m/${tenant.tenantId}/cashier`);
    expect(url.searchParams.get("order")).toBe(o.id);
    expect(url.searchParams.get("code")).toMatch(/^[\w-]{40,}$/);
    // A retry with the same key replays the same order and link; another key is a duplicate.
    const replay = await createOrder(m, { merchant_order_ref: "SO-REF-1" }, "same-key");
    expect(json<Order>(replay).link!.url).toBe(o.link!.url);
    expectCode(await createOrder(m, { merchant_order_ref: "SO-REF-1" }), 409, "cashier_order_exists");
    expectCode(await createOrder(m, { total: TOTAL + 1 }), 422, "amount_mismatch");
    expectCode(await createOrder(m, { currency: "USD" }), 422, "currency_mismatch");
    const count = await t.database.owner
      .selectFrom("cashier_orders")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("member_id", "=", m)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });
});

describe("the list of cashier orders", () => {
  it("shows each order as it reads alone, with its member's name, in a few reads for the page", async () => {
    const m = await member("Lin Xiaoman", 20_000);
    const paid = await order(m);
    expect((await pay(await tokenFor(paid), paid.id)).statusCode).toBe(200);
    const split = await order(m);
    const attempt = await pay(await tokenFor(split), split.id, { balance_amount: 1_000 });
    expect(attempt.statusCode, attempt.body).toBe(200);
    // Its online part fails, so no hold is left for the expiry tests below to find.
    await notify(json<Order>(attempt).payments[0]!, "failed", "evt_list_split_failed");
    const open = [await order(m), await order(m), await order(m)];
    // Read once first, so an API key's cached lookup (3 s) that ran out meanwhile is not counted.
    await wallet.ok("GET", `/v1/cashier-orders?member_id=${m}`);
    const before = await roundTripsOf(t.app, "GET", "/v1/cashier-orders");
    const list = await wallet.ok<{ data: (Order & { member_name?: string })[] }>(
      "GET",
      `/v1/cashier-orders?member_id=${m}`,
    );
    const after = await roundTripsOf(t.app, "GET", "/v1/cashier-orders");
    expect(list.data.map((o) => o.id)).toEqual([...open.map((o) => o.id).reverse(), split.id, paid.id]);
    expect(list.data.map((o) => o.payments.length)).toEqual([0, 0, 0, 1, 1]);
    for (const { member_name, ...item } of list.data) {
      expect(member_name).toBe("Lin Xiaoman");
      expect(item).toEqual(await merchantView(item.id));
    }
    // The attempts and names of a page are read once each, not once per order.
    expect(after.count - before.count).toBe(1);
    expect(after.sum - before.sum).toBeLessThanOrEqual(4);
  });
});

describe("paying a cashier order in the member center", () => {
  it("pays it wholly by balance: the order is paid, the merchant sees how, and hears of it once", async () => {
    const m = await member("Bea", 10_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const own = await asMember(token, "GET", `/v1/member-center/cashier-orders/${o.id}`);
    expect(json<Order>(own)).toMatchObject({ id: o.id, status: "open", total: TOTAL });
    const r = await pay(token, o.id);
    expect(r.statusCode, r.body).toBe(200);
    expect(json<Order>(r)).toMatchObject({ status: "paid", paid_by: "balance" });
    expect((await wallet.balance(m)).total).toBe(10_000 - TOTAL);
    const seen = await merchantView(o.id);
    expect(seen.payments).toHaveLength(1);
    expect(seen.payments[0]).toMatchObject({ kind: "balance", status: "succeeded", balance_amount: TOTAL });
    expect(seen.payments[0]!.wallet_payment_id).toMatch(/^wpay_/);
    expect(await paidEvents(o.id)).toHaveLength(1);
    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select(["action", "actor_type"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("target_id", "=", o.id)
      .execute();
    // The test clock stands still: both rows carry the same time, so compare them as a set.
    expect(audit.map((a) => [a.action, a.actor_type]).sort()).toEqual([
      ["cashier_order.created", "api_key"],
      ["cashier_order.paid", "member"],
    ]);
    expectCode(await pay(token, o.id), 409, "cashier_order_not_open");
    expect((await wallet.balance(m)).total).toBe(10_000 - TOTAL);
  });

  it("refuses a short balance in the seed's words and writes nothing", async () => {
    const m = await member("Cai", 5_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const r = await pay(token, o.id);
    expectCode(r, 422, "insufficient_balance");
    expect(json<{ detail: string; shortfall: number }>(r)).toMatchObject({ shortfall: TOTAL - 5_000 });
    expect(json<{ detail: string }>(r).detail).toContain("会员余额不足");
    expect(await merchantView(o.id)).toMatchObject({ status: "open", payments: [] });
    expect((await wallet.balance(m)).total).toBe(5_000);
  });

  it("another member's order answers 404 to read and to pay", async () => {
    const owner = await member("Dee", 10_000);
    const other = await member("Eve", 10_000);
    const theirs = await order(owner);
    const mine = await order(other);
    const token = await tokenFor(mine);
    expectCode(
      await asMember(token, "GET", `/v1/member-center/cashier-orders/${theirs.id}`),
      404,
      "cashier_order_not_found",
    );
    expectCode(await pay(token, theirs.id), 404, "cashier_order_not_found");
    expect((await wallet.balance(owner)).total).toBe(10_000);
    // Merchant routes are not for member tokens.
    expectCode(await asMember(token, "GET", `/v1/cashier-orders/${mine.id}`), 403, "forbidden");
  });

  it("partly by balance: the part is held until the provider confirms the rest, then captured once", async () => {
    const m = await member("Fay", 5_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const r = await pay(token, o.id, { balance_amount: 3_000 });
    expect(r.statusCode, r.body).toBe(200);
    const pending = json<Order>(r);
    expect(pending).toMatchObject({ status: "pending_payment" });
    expect(pending.payments[0]).toMatchObject({
      kind: "balance_and_online",
      status: "pending",
      balance_amount: 3_000,
      online_amount: TOTAL - 3_000,
      provider: "test",
    });
    expect(await wallet.balance(m)).toMatchObject({ total: 5_000, held: 3_000, available: 2_000 });
    expectCode(await pay(token, o.id), 409, "cashier_order_not_open");

    const first = await notify(pending.payments[0]!, "succeeded", "evt_partial_1");
    expect(first.statusCode, first.body).toBe(200);
    expect(json<{ result: string }>(first).result).toBe("paid");
    const again = await notify(pending.payments[0]!, "succeeded", "evt_partial_1");
    expect(json<{ result: string }>(again).result).toBe("already_settled");
    expect(await wallet.balance(m)).toMatchObject({ total: 2_000, held: 0, available: 2_000 });
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "paid", paid_by: "balance_and_online" });
    expect(seen.payments[0]).toMatchObject({ status: "succeeded" });
    expect(await paidEvents(o.id)).toHaveLength(1);
  });

  it("an online part that fails releases the held balance and the order can be paid again", async () => {
    const m = await member("Gus", 10_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const pending = json<Order>(await pay(token, o.id, { balance_amount: 4_000 }));
    expect((await wallet.balance(m)).held).toBe(4_000);
    const failed = await notify(pending.payments[0]!, "failed", "evt_fail_1");
    expect(json<{ result: string }>(failed).result).toBe("failed");
    expect(await wallet.balance(m)).toMatchObject({ total: 10_000, held: 0, available: 10_000 });
    const reopened = await merchantView(o.id);
    expect(reopened).toMatchObject({ status: "open", paid_by: null });
    expect(reopened.payments[0]).toMatchObject({ status: "failed" });
    // The provider retried and then collected: the failed attempt pays nothing, its online
    // part is owed back (refund_due), once however often the provider says so.
    expect(
      json<{ result: string }>(await notify(pending.payments[0]!, "succeeded", "evt_fail_2")).result,
    ).toBe("refund_due");
    expect(
      json<{ result: string }>(await notify(pending.payments[0]!, "succeeded", "evt_fail_2")).result,
    ).toBe("already_settled");
    expect(await wallet.balance(m)).toMatchObject({ total: 10_000, held: 0 });
    expect((await merchantView(o.id)).payments[0]).toMatchObject({
      status: "refund_due",
      refund_record: null,
    });
    const paid = await pay(token, o.id);
    expect(json<Order>(paid)).toMatchObject({ status: "paid", paid_by: "balance" });
    expect((await wallet.balance(m)).total).toBe(10_000 - TOTAL);
    expect(await unfulfilled(o.id)).toEqual([
      expect.objectContaining({
        payment_id: pending.payments[0]!.id,
        amount: TOTAL - 4_000,
        kind: "balance_and_online",
      }),
    ]);
  });

  it("an online part the provider never answers lapses: the next payment releases its hold first", async () => {
    const m = await member("Hal", 10_000);
    const o = await order(m, { expires_in_minutes: 60 });
    const token = await tokenFor(o);
    const pending = json<Order>(await pay(token, o.id, { balance_amount: 2_000 }));
    expectCode(await pay(token, o.id), 409, "cashier_order_not_open");
    t.clock.advance(16 * 60_000);
    // The page's token lapsed with the clock; the merchant hands the member a new link.
    const token2 = await tokenFor(await reissue(m, o));
    const r = await pay(token2, o.id);
    expect(r.statusCode, r.body).toBe(200);
    expect(json<Order>(r)).toMatchObject({ status: "paid", paid_by: "balance" });
    const seen = await merchantView(o.id);
    expect(seen.payments.map((p) => [p.kind, p.status])).toEqual([
      ["balance_and_online", "expired"],
      ["balance", "succeeded"],
    ]);
    expect(await wallet.balance(m)).toMatchObject({ total: 10_000 - TOTAL, held: 0 });
    expect(pending.payments[0]!.id).toBe(seen.payments[0]!.id);
    expectCode(await pay(token2, o.id), 409, "cashier_order_not_open");
  });

  it("a lapsed online part behind more than a page of earlier attempts is still released by the next payment", async () => {
    const m = await member("Hedda", 10_000);
    const o = await order(m, { expires_in_minutes: 60 });
    const token = await tokenFor(o);
    const pending = json<Order>(await pay(token, o.id, { balance_amount: 2_000 })).payments[0]!;
    // Earlier tries the provider failed, stored before the pending one (ids sort before it).
    const [prefix] = pending.id.split("_");
    await t.database.owner
      .insertInto("cashier_payments")
      .values(
        Array.from({ length: 100 }, (_, i) => ({
          tenant_id: tenant.tenantId,
          id: `${prefix}_0${String(i).padStart(4, "0")}`,
          order_id: o.id,
          kind: "balance_and_online" as const,
          status: "failed" as const,
          currency: "CNY",
          balance_amount: 2_000,
          online_amount: TOTAL - 2_000,
          created_by: m,
          created_at: t.clock.now(),
          updated_at: t.clock.now(),
        })),
      )
      .execute();
    t.clock.advance(16 * 60_000);
    const token2 = await tokenFor(await reissue(m, o));
    const r = await pay(token2, o.id);
    expect(r.statusCode, r.body).toBe(200);
    expect(json<Order>(r)).toMatchObject({ status: "paid", paid_by: "balance" });
    expect(await wallet.balance(m)).toMatchObject({ total: 10_000 - TOTAL, held: 0 });
  });

  it("a held part whose hold times out is released by the wallets' expiry and the order is open again", async () => {
    const m = await member("Hana", 10_000);
    const o = await order(m, { expires_in_minutes: 120 });
    const token = await tokenFor(o);
    json<Order>(await pay(token, o.id, { balance_amount: 3_000 }));
    expect((await wallet.balance(m)).held).toBe(3_000);
    // The provider's 15 minutes, then the hold's 5-minute margin.
    t.clock.advance(21 * 60_000);
    const expired = await runWalletExpiry(t.deps, tenant.tenantId);
    expect(expired.payments).toBe(1);
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "expired" });
    expect(await wallet.balance(m)).toMatchObject({ total: 10_000, held: 0 });
  });

  it("the merchant withdraws an open order; one being paid or paid stays", async () => {
    const m = await member("Ines", 10_000);
    const open = await order(m);
    const cancel = (id: string) => wallet.call("POST", `/v1/cashier-orders/${id}/cancel`);
    const r = await cancel(open.id);
    expect(r.statusCode, r.body).toBe(200);
    expect(json<Order>(r)).toMatchObject({ status: "cancelled" });
    expectCode(await pay(await tokenFor(open), open.id), 409, "cashier_order_not_open");
    const paid = await order(m);
    expect(json<Order>(await pay(await tokenFor(paid), paid.id)).status).toBe("paid");
    expectCode(await cancel(paid.id), 409, "cashier_order_not_open");
    const listed = await wallet.ok<{ data: Order[] }>(
      "GET",
      `/v1/cashier-orders?status=cancelled&member_id=${m}`,
    );
    expect(listed.data.map((x) => x.id)).toEqual([open.id]);
  });

  it("two payments of one order at once: one wins, the other answers 409 and takes nothing", async () => {
    const m = await member("Ivy", 20_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const answers = await Promise.all([
      pay(token, o.id),
      pay(token, o.id),
      pay(token, o.id, { balance_amount: 1_000 }),
    ]);
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([200, 409, 409]);
    for (const a of answers.filter((x) => x.statusCode === 409)) expectCode(a, 409, "cashier_order_not_open");
    const seen = await merchantView(o.id);
    expect(seen.payments).toHaveLength(1);
    // Whichever won took its share once: all of it, or 10.00 held for the online rest.
    const balance = await wallet.balance(m);
    expect(balance.available).toBe(seen.payments[0]!.kind === "balance" ? 20_000 - TOTAL : 20_000 - 1_000);
  });

  it("an order not paid in time expires: listed as expired, refused with 410", async () => {
    const m = await member("Jo", 20_000);
    const o = await order(m, { expires_in_minutes: 5 });
    const token = await tokenFor(o);
    t.clock.advance(5 * 60_000);
    expect((await merchantView(o.id)).status).toBe("expired");
    expectCode(await pay(token, o.id), 410, "cashier_order_expired");
    const listed = await wallet.ok<{ data: Order[] }>(
      "GET",
      `/v1/cashier-orders?status=expired&member_id=${m}`,
    );
    expect(listed.data.map((x) => x.id)).toEqual([o.id]);
    const open = await wallet.ok<{ data: Order[] }>("GET", `/v1/cashier-orders?status=open&member_id=${m}`);
    expect(open.data).toEqual([]);
    expect((await wallet.balance(m)).total).toBe(20_000);
    // The merchant may still withdraw it: nothing was taken.
    const cancelled = await wallet.ok<Order>("POST", `/v1/cashier-orders/${o.id}/cancel`);
    expect(cancelled.status).toBe("cancelled");
    expectCode(await pay(token, o.id), 409, "cashier_order_not_open");
  });
});

describe("smart top-up at the cashier", () => {
  it("accepting a tier pays its top-up online; the confirmation credits once and pays the order once, though sent twice", async () => {
    await wallet.ok("POST", "/v1/smart-topup-plans", {
      name: "Holiday smart",
      rounding: "1",
      channels: ["online", "pos"],
      tiers: [{ type: "discount", multiplier_bps: 12_000, bonus_bps: 800 }],
    });
    const m = await member("Kit", 1_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const offer = json<{
      plan_id: string;
      tiers: { amount: number; bonus_amount: number; offered: boolean }[];
    }>(
      await asMember(
        token,
        "GET",
        `/v1/smart-topup/offers?member_id=${m}&channel=online&order_amount=${TOTAL}`,
      ),
    );
    // 82.00 × 1.2 = 98.40 → 99 (whole units, up); bonus 8% of the order = 6.56.
    expect(offer.tiers[0]).toMatchObject({ amount: 9_900, bonus_amount: 656, offered: true });
    const r = await asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
      plan_id: offer.plan_id,
      tier_index: 0,
    });
    expect(r.statusCode, r.body).toBe(200);
    const pending = json<Order>(r);
    expect(pending).toMatchObject({ status: "pending_payment" });
    expect(pending.payments[0]).toMatchObject({
      kind: "smart_topup",
      status: "pending",
      online_amount: 9_900,
    });
    expect((await wallet.balance(m)).total).toBe(1_000);

    const [a, b] = await Promise.all([
      notify(pending.payments[0]!, "succeeded", "evt_smart_1"),
      notify(pending.payments[0]!, "succeeded", "evt_smart_1"),
    ]);
    expect([json<{ result: string }>(a).result, json<{ result: string }>(b).result].sort()).toEqual([
      "already_settled",
      "paid",
    ]);
    expect((await wallet.balance(m)).total).toBe(1_000 + 9_900 + 656 - TOTAL);
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "paid", paid_by: "smart_topup" });
    expect(seen.payments[0]).toMatchObject({ status: "succeeded" });
    expect(seen.payments[0]!.wallet_payment_id).toMatch(/^wpay_/);
    const topups = await t.database.owner
      .selectFrom("topups")
      .select(["status", "amount", "bonus_amount", "source"])
      .where("member_id", "=", m)
      .execute();
    expect(topups).toEqual([{ status: "credited", amount: 9_900, bonus_amount: 656, source: "smart" }]);
    const acceptances = await t.database.owner
      .selectFrom("smart_topup_acceptances")
      .select(["order_id", "payment_id"])
      .where("member_id", "=", m)
      .execute();
    expect(acceptances).toEqual([
      { order_id: seen.payments[0]!.id, payment_id: seen.payments[0]!.wallet_payment_id },
    ]);
    expect(await paidEvents(o.id)).toHaveLength(1);
  });

  it("a failed top-up payment credits nothing and leaves the order open", async () => {
    const plans = await wallet.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans?status=active");
    const m = await member("Lu", 0);
    const o = await order(m);
    const token = await tokenFor(o);
    const pending = json<Order>(
      await asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
        plan_id: plans.data[0]!.id,
        tier_index: 0,
      }),
    );
    expect(json<{ result: string }>(await notify(pending.payments[0]!, "failed", "evt_smart_f")).result).toBe(
      "failed",
    );
    expect(await merchantView(o.id)).toMatchObject({ status: "open" });
    expect((await wallet.balance(m)).total).toBe(0);
    const topup = await t.database.owner
      .selectFrom("topups")
      .select("status")
      .where("member_id", "=", m)
      .executeTakeFirstOrThrow();
    expect(topup.status).toBe("failed");
    expectCode(
      await asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
        plan_id: plans.data[0]!.id,
        tier_index: 5,
      }),
      422,
      "tier_not_offered",
    );
  });

  it("a top-up the provider never answers is closed at its deadline: the order is open again and a late success credits nothing", async () => {
    const plans = await wallet.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans?status=active");
    const m = await member("Mo", 0);
    const o = await order(m, { expires_in_minutes: 120 });
    const token = await tokenFor(o);
    const pending = json<Order>(
      await asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
        plan_id: plans.data[0]!.id,
        tier_index: 0,
      }),
    );
    expect(await merchantView(o.id)).toMatchObject({ status: "pending_payment" });
    expect(await runLapsedTopupRelease(t.deps)).toBe(0);
    t.clock.advance(16 * 60_000);
    expect(await runLapsedTopupRelease(t.deps)).toBe(1);
    expect(await runLapsedTopupRelease(t.deps)).toBe(0);
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "expired" });
    const topup = await t.database.owner
      .selectFrom("topups")
      .select("status")
      .where("member_id", "=", m)
      .executeTakeFirstOrThrow();
    expect(topup.status).toBe("expired");
    const late = await notify(pending.payments[0]!, "succeeded", "evt_smart_late");
    expect(json<{ result: string }>(late).result).toBe("refund_due");
    expect((await wallet.balance(m)).total).toBe(0);
    const after = await merchantView(o.id);
    expect(after).toMatchObject({ status: "open" });
    expect(after.payments[0]).toMatchObject({ status: "refund_due" });
    expect(await unfulfilled(o.id)).toEqual([
      expect.objectContaining({ payment_id: pending.payments[0]!.id, amount: 9_900, kind: "smart_topup" }),
    ]);
    const closed = await t.database.owner
      .selectFrom("topups")
      .select("status")
      .where("member_id", "=", m)
      .executeTakeFirstOrThrow();
    expect(closed.status).toBe("expired");
  });
});

describe("a provider's payment that comes too late to pay the order", () => {
  it("releases the held part, keeps the online part refund_due, and finance records its refund once", async () => {
    const m = await member("Nia", 10_000);
    const o = await order(m, { expires_in_minutes: 120 });
    const token = await tokenFor(o);
    const pending = json<Order>(await pay(token, o.id, { balance_amount: 3_000 }));
    const attempt = pending.payments[0]!;
    // Past the provider's 15 minutes, before the hold's own timeout: nothing has lapsed it yet.
    t.clock.advance(16 * 60_000);
    const late = await notify(attempt, "succeeded", "evt_late_partial");
    expect(json<{ result: string }>(late).result).toBe("refund_due");
    expect(await wallet.balance(m)).toMatchObject({ total: 10_000, held: 0, available: 10_000 });
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "refund_due", online_amount: TOTAL - 3_000 });
    expect(await paidEvents(o.id)).toHaveLength(0);

    const due = await wallet.ok<{ data: Order[] }>(
      "GET",
      `/v1/cashier-orders?payment_status=refund_due&member_id=${m}`,
    );
    expect(due.data.map((x) => x.id)).toEqual([o.id]);

    const record = (paymentId: string, body?: object) =>
      wallet.call("POST", `/v1/cashier-orders/${o.id}/payments/${paymentId}/record-refund`, body);
    // Not for a member's token, nor for an attempt of another order.
    const fresh = await tokenFor(await reissue(m, o));
    expectCode(
      await asMember(fresh, "POST", `/v1/cashier-orders/${o.id}/payments/${attempt.id}/record-refund`, {}),
      403,
      "forbidden",
    );
    const other = await order(m);
    expectCode(
      await wallet.call("POST", `/v1/cashier-orders/${other.id}/payments/${attempt.id}/record-refund`, {}),
      404,
      "cashier_payment_not_found",
    );
    const r = await record(attempt.id, { reference: "re_late_1", note: "refunded at the provider" });
    expect(r.statusCode, r.body).toBe(200);
    const refunded = json<Order>(r).payments[0] as Payment & {
      refund_record: { reference: string; note: string; recorded_by: { type: string } };
    };
    expect(refunded.status).toBe("refunded");
    expect(refunded.refund_record).toMatchObject({
      reference: "re_late_1",
      note: "refunded at the provider",
      recorded_by: { type: "api_key" },
    });
    expectCode(await record(attempt.id), 409, "not_refund_due");
    // The order can still be paid, and the refund record moved nothing.
    expect(json<Order>(await pay(fresh, o.id)).status).toBe("paid");
    expect((await wallet.balance(m)).total).toBe(10_000 - TOTAL);

    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("tenant_id", "=", tenant.tenantId)
      .where("target_id", "=", o.id)
      .execute();
    const actions = audit.map((a) => a.action);
    expect(actions.filter((a) => a === "cashier_payment.unfulfilled")).toHaveLength(1);
    expect(actions.filter((a) => a === "cashier_payment.refunded")).toHaveLength(1);
    const refundEvents = (
      await t.database.owner
        .selectFrom("events")
        .select("data")
        .where("tenant_id", "=", tenant.tenantId)
        .where("type", "=", "cashier_payment.refunded")
        .execute()
    ).map((e) => e.data);
    expect(refundEvents).toEqual([
      expect.objectContaining({
        order_id: o.id,
        payment_id: attempt.id,
        amount: TOTAL - 3_000,
        reference: "re_late_1",
      }),
    ]);
  });
});

describe("a smart top-up above the tenant's single-operation cap", () => {
  it("is refused before the provider is asked; one paid after the cap was lowered is kept refund_due", async () => {
    const { audit, events, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const plans = await wallet.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans?status=active");
    const planId = plans.data[0]!.id;
    const before = await wallet.ok<{ max_single_amount: number }>("GET", "/v1/wallet-settings");
    // The tier's top-up is 99.00 with a bonus of 6.56 (above); a cap of 90.00 cannot take it.
    await wallet.ok("PATCH", "/v1/wallet-settings", { max_single_amount: 9_000 });
    const m = await member("Oz", 0);
    const o = await order(m);
    const token = await tokenFor(o);
    const accept = () =>
      asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
        plan_id: planId,
        tier_index: 0,
      });
    // Through Stripe, so whether a payment was asked for is seen.
    const configured = await t.app.inject({
      method: "PUT",
      url: "/v1/payment-providers/stripe",
      headers: tenant.auth,
      payload: { settings: {}, secrets: { secret_key: "sk_test_123", webhook_secret: "whsec_cap" } },
    });
    expect(configured.statusCode, configured.body).toBe(200);
    await wallet.ok("PATCH", "/v1/wallet-settings", { payment_provider: "stripe" });
    const asked = stripe.created.length;
    expectCode(await accept(), 422, "amount_above_cap");
    expect(stripe.created.length).toBe(asked);
    const written = (table: "topups" | "cashier_payments") =>
      t.database.owner
        .selectFrom(table)
        .select("id")
        .where("tenant_id", "=", tenant.tenantId)
        .where(table === "topups" ? "member_id" : "order_id", "=", table === "topups" ? m : o.id)
        .execute();
    expect(await written("topups")).toEqual([]);
    expect(await written("cashier_payments")).toEqual([]);
    expect(await merchantView(o.id)).toMatchObject({ status: "open" });

    // Started under a higher cap, collected after it was lowered.
    await wallet.ok("PATCH", "/v1/wallet-settings", { payment_provider: "test", max_single_amount: 10_000 });
    const r = await accept();
    expect(r.statusCode, r.body).toBe(200);
    const pending = json<Order>(r);
    await wallet.ok("PATCH", "/v1/wallet-settings", { max_single_amount: 9_000 });
    // The provider collected it: answered 200, never a 422 it would retry for days.
    const paid = await notify(pending.payments[0]!, "succeeded", "evt_smart_cap");
    expect(paid.statusCode, paid.body).toBe(200);
    expect(json<{ result: string }>(paid).result).toBe("refund_due");
    expect((await wallet.balance(m)).total).toBe(0);
    const topupId = pending.payments[0]!.topup_id!;
    const kept = await wallet.ok<{ status: string; details: unknown }>("GET", `/v1/topups/${topupId}`);
    expect(kept).toMatchObject({
      status: "refund_due",
      details: { unfulfilled: { reason: "amount_above_cap" } },
    });
    expect(await events("topup.payment_unfulfilled")).toEqual([
      expect.objectContaining({ topup_id: topupId, amount: 9_900, reason: "amount_above_cap" }),
    ]);
    expect(await audit(topupId)).toContain("topup.payment_unfulfilled");
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "refund_due" });
    expect(await paidEvents(o.id)).toHaveLength(0);
    // A repeated notification changes nothing.
    expect(
      json<{ result: string }>(await notify(pending.payments[0]!, "succeeded", "evt_smart_cap")).result,
    ).toBe("already_settled");
    // Finance refunds the one payment once: recording it on the attempt settles the top-up too.
    const r2 = await wallet.call(
      "POST",
      `/v1/cashier-orders/${o.id}/payments/${pending.payments[0]!.id}/record-refund`,
      { reference: "re_cap_1" },
    );
    expect(r2.statusCode, r2.body).toBe(200);
    expect(await wallet.ok("GET", `/v1/topups/${topupId}`)).toMatchObject({ status: "refunded" });
    await wallet.ok("PATCH", "/v1/wallet-settings", { max_single_amount: before.max_single_amount });
    await ledgerClean();
  });
});

describe("a smart top-up whose member's lots with money left filled up after it started", () => {
  it("pays nothing when collected: the top-up and the attempt are kept refund_due; another is refused before the provider", async () => {
    const { audit, events, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const plans = await wallet.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans?status=active");
    const m = await member("Lots", 0);
    const o = await order(m);
    const token = await tokenFor(o);
    const accept = () =>
      asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
        plan_id: plans.data[0]!.id,
        tier_index: 0,
      });
    const r = await accept();
    expect(r.statusCode, r.body).toBe(200);
    const pending = json<Order>(r);
    // Topped up at the till since: each top-up holds a principal and a bonus lot.
    await fillLots(t, tenant.tenantId, m, MAX_OPEN_LOTS / 2);
    // The provider collected it: answered 200, never a 422 it would retry for days.
    const paid = await notify(pending.payments[0]!, "succeeded", "evt_smart_lots");
    expect(paid.statusCode, paid.body).toBe(200);
    expect(json<{ result: string }>(paid).result).toBe("refund_due");
    expect(await wallet.balance(m)).toMatchObject({ principal: 100 * 100, bonus: 100 });
    const topupId = pending.payments[0]!.topup_id!;
    expect(await wallet.ok("GET", `/v1/topups/${topupId}`)).toMatchObject({
      status: "refund_due",
      details: { unfulfilled: { reason: "too_many_open_lots" } },
    });
    expect((await events("topup.payment_unfulfilled")).filter((e) => e.topup_id === topupId)).toEqual([
      expect.objectContaining({ reason: "too_many_open_lots" }),
    ]);
    expect(await audit(topupId)).toContain("topup.payment_unfulfilled");
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "refund_due" });
    expect(
      json<{ result: string }>(await notify(pending.payments[0]!, "succeeded", "evt_smart_lots")).result,
    ).toBe("already_settled");
    // Another tier now is refused before a payment is asked for.
    expectCode(await accept(), 422, "too_many_open_lots");
    expect((await merchantView(o.id)).payments).toHaveLength(1);
    await ledgerClean();
  }, 120_000);
});

describe("a smart top-up whose member was frozen or closed after it started", () => {
  it("pays nothing when collected: the top-up and the attempt are kept refund_due and the order is open again", async () => {
    const { audit, events, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const plans = await wallet.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans?status=active");
    const started = async (name: string) => {
      const m = await member(name, 0);
      const o = await order(m);
      const r = await asMember(
        await tokenFor(o),
        "POST",
        `/v1/member-center/cashier-orders/${o.id}/smart-topup`,
        {
          plan_id: plans.data[0]!.id,
          tier_index: 0,
        },
      );
      expect(r.statusCode, r.body).toBe(200);
      return { m, o, attempt: json<Order>(r).payments[0]! };
    };
    const frozen = await started("Pia");
    const closed = await started("Quin");
    await wallet.ok("PATCH", `/v1/members/${frozen.m}`, { status: "frozen" });
    await wallet.ok("PATCH", `/v1/members/${closed.m}`, { status: "closed" });
    for (const [s, reason] of [
      [frozen, "member_frozen"],
      [closed, "member_closed"],
    ] as const) {
      // The provider collected it: answered 200, never an error it would retry for days.
      const paid = await notify(s.attempt, "succeeded", `evt_gone_${reason}`);
      expect(paid.statusCode, paid.body).toBe(200);
      expect(json<{ result: string }>(paid).result).toBe("refund_due");
      const topupId = s.attempt.topup_id!;
      expect(await wallet.ok("GET", `/v1/topups/${topupId}`)).toMatchObject({
        status: "refund_due",
        details: { unfulfilled: { reason } },
      });
      expect(await audit(topupId)).toContain("topup.payment_unfulfilled");
      expect(await events("topup.payment_unfulfilled")).toContainEqual(
        expect.objectContaining({ topup_id: topupId, amount: 9_900, reason }),
      );
      const seen = await merchantView(s.o.id);
      expect(seen).toMatchObject({ status: "open", paid_by: null });
      expect(seen.payments[0]).toMatchObject({ status: "refund_due" });
      expect(await unfulfilled(s.o.id)).toEqual([
        expect.objectContaining({ payment_id: s.attempt.id, amount: 9_900, kind: "smart_topup" }),
      ]);
      expect(await paidEvents(s.o.id)).toHaveLength(0);
      expect((await wallet.balance(s.m)).total).toBe(0);
      const again = await notify(s.attempt, "succeeded", `evt_gone_${reason}`);
      expect(json<{ result: string }>(again).result).toBe("already_settled");
    }
    await ledgerClean();
  });
});

describe("recording the refund of a smart top-up's payment kept refund_due", () => {
  it("ends the same whether finance records it on the top-up or on the attempt; the second recording answers 409", async () => {
    const { audit, events, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const plans = await wallet.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans?status=active");
    const owed = async (name: string) => {
      const m = await member(name, 0);
      const o = await order(m);
      const r = await asMember(
        await tokenFor(o),
        "POST",
        `/v1/member-center/cashier-orders/${o.id}/smart-topup`,
        {
          plan_id: plans.data[0]!.id,
          tier_index: 0,
        },
      );
      const attempt = json<Order>(r).payments[0]!;
      await wallet.ok("PATCH", `/v1/members/${m}`, { status: "frozen" });
      expect(json<{ result: string }>(await notify(attempt, "succeeded", `evt_owed_${name}`)).result).toBe(
        "refund_due",
      );
      return { o, attempt, topupId: attempt.topup_id! };
    };
    const onTopup = (topupId: string, reference: string) =>
      wallet.call("POST", `/v1/topups/${topupId}/record-refund`, { reference });
    const onAttempt = (s: { o: Order; attempt: Payment }, reference: string) =>
      wallet.call("POST", `/v1/cashier-orders/${s.o.id}/payments/${s.attempt.id}/record-refund`, {
        reference,
      });
    const settled = async (s: { o: Order; attempt: Payment; topupId: string }, reference: string) => {
      const topup = await wallet.ok<{ status: string; details: { refund_record: { reference: string } } }>(
        "GET",
        `/v1/topups/${s.topupId}`,
      );
      expect(topup).toMatchObject({ status: "refunded", details: { refund_record: { reference } } });
      const attempt = (await merchantView(s.o.id)).payments[0] as Payment & {
        refund_record: { reference: string } | null;
      };
      expect(attempt).toMatchObject({ status: "refunded", refund_record: { reference } });
      expect((await audit(s.o.id)).filter((a) => a === "cashier_payment.refunded")).toHaveLength(1);
      expect((await audit(s.topupId)).filter((a) => a === "topup.refund_recorded")).toHaveLength(1);
      expect(
        (await events("cashier_payment.refunded")).filter((e) => e.payment_id === s.attempt.id),
      ).toHaveLength(1);
      const due = await wallet.ok<{ data: Order[] }>(
        "GET",
        `/v1/cashier-orders?payment_status=refund_due&member_id=${s.o.member_id}`,
      );
      expect(due.data).toEqual([]);
    };

    // On the top-up first: the attempt is no longer owed either.
    const a = await owed("Rae");
    const first = await onTopup(a.topupId, "re_topup_first");
    expect(first.statusCode, first.body).toBe(200);
    expect(json<{ status: string }>(first).status).toBe("refunded");
    await settled(a, "re_topup_first");
    expectCode(await onAttempt(a, "re_again"), 409, "not_refund_due");
    expectCode(await onTopup(a.topupId, "re_again"), 409, "not_refund_due");
    await settled(a, "re_topup_first");

    // On the attempt first: the top-up is no longer owed either.
    const b = await owed("Sol");
    const r = await onAttempt(b, "re_attempt_first");
    expect(r.statusCode, r.body).toBe(200);
    await settled(b, "re_attempt_first");
    expectCode(await onTopup(b.topupId, "re_again"), 409, "not_refund_due");
    expectCode(await onAttempt(b, "re_again"), 409, "not_refund_due");
    await settled(b, "re_attempt_first");
    await ledgerClean();
  });
});

describe("a smart top-up while the tenant's balance payment is turned off", () => {
  it("is refused before the provider is asked; one collected after it was turned off is kept refund_due", async () => {
    const { audit, events, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const plans = await wallet.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans?status=active");
    const m = await member("Tam", 0);
    const o = await order(m);
    const token = await tokenFor(o);
    const accept = () =>
      asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
        plan_id: plans.data[0]!.id,
        tier_index: 0,
      });
    const setBalancePayment = (on: boolean) =>
      wallet.ok("PATCH", "/v1/wallet-settings", { balance_payment_enabled: on });
    // The top-up could be credited but never pay the order: no payment is asked for.
    await setBalancePayment(false);
    expectCode(await accept(), 422, "balance_payment_disabled");
    const written = await t.database.owner
      .selectFrom("cashier_payments")
      .select("id")
      .where("order_id", "=", o.id)
      .execute();
    expect(written).toEqual([]);
    expect(await merchantView(o.id)).toMatchObject({ status: "open" });

    // Started while it was on, collected after it was turned off.
    await setBalancePayment(true);
    const r = await accept();
    expect(r.statusCode, r.body).toBe(200);
    const attempt = json<Order>(r).payments[0]!;
    await setBalancePayment(false);
    const paid = await notify(attempt, "succeeded", "evt_balance_off");
    await setBalancePayment(true);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(json<{ result: string }>(paid).result).toBe("refund_due");
    expect(await wallet.ok("GET", `/v1/topups/${attempt.topup_id}`)).toMatchObject({
      status: "refund_due",
      details: { unfulfilled: { reason: "balance_payment_disabled" } },
    });
    expect(await audit(attempt.topup_id!)).toContain("topup.payment_unfulfilled");
    expect(await events("topup.payment_unfulfilled")).toContainEqual(
      expect.objectContaining({ topup_id: attempt.topup_id, reason: "balance_payment_disabled" }),
    );
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "refund_due" });
    expect((await wallet.balance(m)).total).toBe(0);
    expect(json<{ result: string }>(await notify(attempt, "succeeded", "evt_balance_off")).result).toBe(
      "already_settled",
    );
    await ledgerClean();
  });
});

describe("a provider's refund notification for a cashier payment", () => {
  it("never pays the order: a refund of a payment not yet confirmed moves nothing", async () => {
    const { audit, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const configured = await t.app.inject({
      method: "PUT",
      url: "/v1/payment-providers/stripe",
      headers: tenant.auth,
      payload: { settings: {}, secrets: { secret_key: "sk_test_123", webhook_secret: "whsec_refund" } },
    });
    expect(configured.statusCode, configured.body).toBe(200);
    await wallet.ok("PATCH", "/v1/wallet-settings", { payment_provider: "stripe" });
    const m = await member("Uma", 5_000);
    const o = await order(m);
    const r = await pay(await tokenFor(o), o.id, { balance_amount: 3_000 });
    await wallet.ok("PATCH", "/v1/wallet-settings", { payment_provider: "test" });
    expect(r.statusCode, r.body).toBe(200);
    const attempt = json<Order>(r).payments[0]!;
    const { provider_ref } = await t.database.owner
      .selectFrom("cashier_payments")
      .select("provider_ref")
      .where("id", "=", attempt.id)
      .executeTakeFirstOrThrow();
    // The charge was refunded at the provider before its success was heard of.
    const signed = stripeEvent("whsec_refund", t.clock.now(), {
      id: "evt_refund_first",
      type: "charge.refunded",
      data: {
        object: {
          id: "ch_refund_first",
          object: "charge",
          payment_intent: provider_ref,
          amount: TOTAL - 3_000,
          amount_refunded: TOTAL - 3_000,
          currency: "cny",
        },
      },
    });
    const heard = await t.app.inject({
      method: "POST",
      url: `/v1/cashier-payment-webhooks/stripe/${tenant.tenantId}`,
      headers: signed.headers,
      payload: signed.body,
    });
    expect(heard.statusCode, heard.body).toBe(200);
    expect(json<{ result: string }>(heard).result).toBe("refund_ignored");
    expect(await audit(o.id)).toContain("cashier_payment.provider_refund");
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "pending_payment", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "pending" });
    expect(await paidEvents(o.id)).toHaveLength(0);
    expect(await wallet.balance(m)).toMatchObject({ total: 5_000, held: 3_000 });
    await ledgerClean();
  });
});

/** Attempts through Stripe: its signed events to the cashier's webhook. */
async function viaStripe(secret: string) {
  const configured = await t.app.inject({
    method: "PUT",
    url: "/v1/payment-providers/stripe",
    headers: tenant.auth,
    payload: { settings: {}, secrets: { secret_key: "sk_test_123", webhook_secret: secret } },
  });
  expect(configured.statusCode, configured.body).toBe(200);
  const send = async (event: Record<string, unknown>) => {
    const signed = stripeEvent(secret, t.clock.now(), event);
    const r = await t.app.inject({
      method: "POST",
      url: `/v1/cashier-payment-webhooks/stripe/${tenant.tenantId}`,
      headers: signed.headers,
      payload: signed.body,
    });
    expect(r.statusCode, r.body).toBe(200);
    return json<{ result: string }>(r).result;
  };
  const refOf = async (paymentId: string) =>
    (await t.database.owner
      .selectFrom("cashier_payments")
      .select(["provider_ref", "online_amount"])
      .where("id", "=", paymentId)
      .executeTakeFirstOrThrow()) as { provider_ref: string; online_amount: number };
  const intent = async (id: string, type: string, paymentId: string) => {
    const p = await refOf(paymentId);
    return {
      id,
      type,
      data: {
        object: {
          id: p.provider_ref,
          object: "payment_intent",
          amount: p.online_amount,
          amount_received: p.online_amount,
          currency: "cny",
        },
      },
    };
  };
  const refunded = async (id: string, paymentId: string, amountRefunded: number) => {
    const p = await refOf(paymentId);
    return {
      id,
      type: "charge.refunded",
      data: {
        object: {
          id: `ch_${paymentId}`,
          object: "charge",
          payment_intent: p.provider_ref,
          amount: p.online_amount,
          amount_refunded: amountRefunded,
          currency: "cny",
        },
      },
    };
  };
  return { send, intent, refunded };
}
/** A member with an empty balance starts a smart top-up for a new order, paid through Stripe. */
async function smartTopupViaStripe(name: string, secret: string) {
  const routes = await viaStripe(secret);
  const plans = await wallet.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans?status=active");
  const m = await member(name, 0);
  const o = await order(m);
  const token = await tokenFor(o);
  const r = await withStripe(() =>
    asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
      plan_id: plans.data[0]!.id,
      tier_index: 0,
    }),
  );
  expect(r.statusCode, r.body).toBe(200);
  const attempt = json<Order>(r).payments[0]!;
  return { ...routes, m, o, attempt, topupId: attempt.topup_id! };
}
const withStripe = async <T>(f: () => Promise<T>): Promise<T> => {
  await wallet.ok("PATCH", "/v1/wallet-settings", { payment_provider: "stripe" });
  try {
    return await f();
  } finally {
    await wallet.ok("PATCH", "/v1/wallet-settings", { payment_provider: "test" });
  }
};

describe("a provider's refund of a cashier payment kept refund_due", () => {
  const refundRows = (orderId: string) =>
    t.database.owner
      .selectFrom("audit_events")
      .select(["action", "summary", "actor_id"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("target_id", "=", orderId)
      .where("action", "in", ["cashier_payment.provider_refund", "cashier_payment.refunded"])
      .orderBy("created_at")
      .execute();

  it("a part refund keeps it owed and audited; all of it records it refunded as finance would, once", async () => {
    const { events, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const { send, intent, refunded } = await viaStripe("whsec_auto_partial");
    const m = await member("Vic", 5_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const r = await withStripe(() => pay(token, o.id, { balance_amount: 3_000 }));
    expect(r.statusCode, r.body).toBe(200);
    const attempt = json<Order>(r).payments[0]!;
    const owedAmount = TOTAL - 3_000;
    // Failed, then collected on a retry at the provider: owed back.
    expect(await send(await intent("evt_ap_f", "payment_intent.payment_failed", attempt.id))).toBe("failed");
    expect(await send(await intent("evt_ap_s", "payment_intent.succeeded", attempt.id))).toBe("refund_due");

    // Part of it refunded at the provider: still owed, the part in the order's audit.
    expect(await send(await refunded("evt_ap_part", attempt.id, 2_000))).toBe("refund_recorded");
    expect((await merchantView(o.id)).payments[0]).toMatchObject({
      status: "refund_due",
      refund_record: null,
    });
    expect((await refundRows(o.id)).map((a) => [a.action, a.summary])).toEqual([
      [
        "cashier_payment.provider_refund",
        expect.objectContaining({
          provider_event: "evt_ap_part",
          refund_amount: 2_000,
          refunded_total: 2_000,
          still_owed: owedAmount - 2_000,
          payment_status: "refund_due",
        }),
      ],
    ]);

    // All of it: refunded, the provider's event as its record.
    const whole = await refunded("evt_ap_whole", attempt.id, owedAmount);
    expect(await send(whole)).toBe("refund_recorded");
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({
      status: "refunded",
      refund_record: {
        reference: "evt_ap_whole",
        note: null,
        recorded_by: { type: "system", id: "payment_provider:stripe" },
        recorded_at: t.clock.now().toISOString(),
        provider_event: {
          provider: "stripe",
          event_id: "evt_ap_whole",
          refund_id: "evt_ap_whole",
          amount: owedAmount,
          currency: "CNY",
        },
      },
    });
    const rows = await refundRows(o.id);
    expect(rows.filter((a) => a.action === "cashier_payment.refunded")).toEqual([
      expect.objectContaining({
        actor_id: "payment_provider:stripe",
        summary: expect.objectContaining({ amount: owedAmount, reference: "evt_ap_whole" }),
      }),
    ]);
    expect((await events("cashier_payment.refunded")).filter((e) => e.payment_id === attempt.id)).toEqual([
      expect.objectContaining({ order_id: o.id, amount: owedAmount, reference: "evt_ap_whole" }),
    ]);

    // Heard again: nothing changes, and finance has nothing left to record.
    expect(await send(whole)).toBe("refund_ignored");
    expect(await send(await refunded("evt_ap_part", attempt.id, 2_000))).toBe("refund_ignored");
    expect((await refundRows(o.id)).filter((a) => a.action === "cashier_payment.refunded")).toHaveLength(1);
    expect(
      (await events("cashier_payment.refunded")).filter((e) => e.payment_id === attempt.id),
    ).toHaveLength(1);
    expect((await merchantView(o.id)).payments[0]).toEqual(seen.payments[0]);
    expectCode(
      await wallet.call("POST", `/v1/cashier-orders/${o.id}/payments/${attempt.id}/record-refund`, {}),
      409,
      "not_refund_due",
    );
    expect(await wallet.balance(m)).toMatchObject({ total: 5_000, held: 0 });
    await ledgerClean();
  });

  it("the order's attempt shows finance what the provider refunded so far and what is still owed", async () => {
    const { send, intent, refunded } = await viaStripe("whsec_view_partial");
    const m = await member("Xia", 5_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const r = await withStripe(() => pay(token, o.id, { balance_amount: 3_000 }));
    expect(r.statusCode, r.body).toBe(200);
    const attempt = json<Order>(r).payments[0]!;
    const collected = TOTAL - 3_000;
    const shown = async () => {
      const one = (await merchantView(o.id)).payments[0];
      const listed = await wallet.ok<{ data: Order[] }>(
        "GET",
        `/v1/cashier-orders?member_id=${m}&payment_status=refund_due`,
      );
      const fromList = listed.data.find((x) => x.id === o.id)?.payments[0];
      return { one, fromList };
    };
    const amounts = (refunded_amount: number, refund_outstanding: number) => {
      const fields = expect.objectContaining({ id: attempt.id, refunded_amount, refund_outstanding });
      return { one: fields, fromList: fields };
    };

    // Waiting for the provider's answer, nothing is owed yet.
    expect((await merchantView(o.id)).payments[0]).toMatchObject({
      refunded_amount: 0,
      refund_outstanding: 0,
    });
    expect(await send(await intent("evt_vp_f", "payment_intent.payment_failed", attempt.id))).toBe("failed");
    expect(await send(await intent("evt_vp_s", "payment_intent.succeeded", attempt.id))).toBe("refund_due");
    expect(await shown()).toEqual(amounts(0, collected));

    // A part refund, heard twice, counts once; the provider's next (cumulative) amount adds the rest of it.
    const part = await refunded("evt_vp_part", attempt.id, 2_000);
    expect(await send(part)).toBe("refund_recorded");
    expect(await send(part)).toBe("refund_ignored");
    expect(await shown()).toEqual(amounts(2_000, collected - 2_000));
    expect(await send(await refunded("evt_vp_more", attempt.id, 3_500))).toBe("refund_recorded");
    expect(await shown()).toEqual(amounts(3_500, collected - 3_500));

    // Finance records the rest by hand: nothing is owed any more, the provider's part is still shown.
    const recorded = await wallet.ok<Order>(
      "POST",
      `/v1/cashier-orders/${o.id}/payments/${attempt.id}/record-refund`,
      { reference: "re_vp_rest" },
    );
    expect(recorded.payments[0]).toMatchObject({
      status: "refunded",
      refunded_amount: 3_500,
      refund_outstanding: 0,
    });

    // An attempt that paid its order owes nothing back.
    const paid = await order(await member("Yan", TOTAL));
    const byBalance = await pay(await tokenFor(paid), paid.id);
    expect(byBalance.statusCode, byBalance.body).toBe(200);
    expect(json<Order>(byBalance).payments[0]).toMatchObject({
      status: "succeeded",
      refunded_amount: 0,
      refund_outstanding: 0,
    });
  });

  it("a smart top-up's payment refunded whole records the attempt and the top-up refunded together", async () => {
    const { audit, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const { send, intent, refunded, m, o, attempt, topupId } = await smartTopupViaStripe(
      "Wyn",
      "whsec_auto_smart",
    );
    await wallet.ok("PATCH", `/v1/members/${m}`, { status: "frozen" });
    expect(await send(await intent("evt_as_s", "payment_intent.succeeded", attempt.id))).toBe("refund_due");
    expect(await wallet.ok("GET", `/v1/topups/${topupId}`)).toMatchObject({ status: "refund_due" });

    const whole = await refunded("evt_as_whole", attempt.id, 9_900);
    expect(await send(whole)).toBe("refund_recorded");
    const providerRecord = {
      reference: "evt_as_whole",
      recorded_by: { type: "system", id: "payment_provider:stripe" },
      provider_event: { provider: "stripe", event_id: "evt_as_whole", amount: 9_900 },
    };
    expect((await merchantView(o.id)).payments[0]).toMatchObject({
      status: "refunded",
      refund_record: providerRecord,
    });
    expect(await wallet.ok("GET", `/v1/topups/${topupId}`)).toMatchObject({
      status: "refunded",
      details: { refund_record: providerRecord },
    });
    expect((await audit(topupId)).filter((a) => a === "topup.refund_recorded")).toHaveLength(1);
    expect(await send(whole)).toBe("refund_ignored");
    expect((await audit(topupId)).filter((a) => a === "topup.refund_recorded")).toHaveLength(1);
    expectCode(await wallet.call("POST", `/v1/topups/${topupId}/record-refund`, {}), 409, "not_refund_due");
    expect((await wallet.balance(m)).total).toBe(0);
    await ledgerClean();
  });
});

describe("a provider's refund of a smart top-up that paid its order", () => {
  it("takes the refunded share back out of the top-up once per refund, the spent part its shortfall; the order stays paid", async () => {
    const { audit, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const { send, intent, refunded, m, o, attempt, topupId } = await smartTopupViaStripe(
      "Ash",
      "whsec_paid_smart",
    );
    expect(await send(await intent("evt_ps_s", "payment_intent.succeeded", attempt.id))).toBe("paid");
    // 99.00 credited with 6.56 of bonus, 82.00 of it paid the order.
    expect((await wallet.balance(m)).total).toBe(9_900 + 656 - TOTAL);
    const topup = () =>
      wallet.ok<{ status: string; refunded_amount: number; refund_count: number; refund_shortfall: number }>(
        "GET",
        `/v1/topups/${topupId}`,
      );

    // 10.00 refunded: 10.00 of principal comes back out, and 6.56 × 10 / 99 = 0.66 (down) of
    // bonus would, but the order spent the bonus first: that 0.66 is short.
    const part = await refunded("evt_ps_part", attempt.id, 1_000);
    expect(await send(part)).toBe("refund_recorded");
    expect(await send(part)).toBe("refund_ignored");
    expect((await wallet.balance(m)).total).toBe(9_900 + 656 - TOTAL - 1_000);
    expect(await topup()).toMatchObject({
      status: "credited",
      refunded_amount: 1_000,
      refund_count: 1,
      refund_shortfall: 66,
    });
    expect((await merchantView(o.id)).payments[0]).toMatchObject({
      status: "succeeded",
      refunded_amount: 1_000,
      refund_outstanding: 0,
    });

    // The rest (Stripe counts cumulatively): all that is left comes back, the 82.00 spent is short.
    expect(await send(await refunded("evt_ps_rest", attempt.id, 9_900))).toBe("refund_recorded");
    expect((await wallet.balance(m)).total).toBe(0);
    expect(await topup()).toMatchObject({
      status: "refunded",
      refunded_amount: 9_900,
      refund_count: 2,
      refund_shortfall: TOTAL,
    });
    expect(await merchantView(o.id)).toMatchObject({ status: "paid", paid_by: "smart_topup" });
    expect((await audit(topupId)).filter((a) => a === "topup.refunded")).toHaveLength(2);
    expect((await audit(o.id)).filter((a) => a === "cashier_payment.provider_refund")).toHaveLength(3);
    await ledgerClean();
  });
});

/** A fresh one-time link for the order's member (the first one's token lapses with the clock). */
async function reissue(memberId: string, o: Order): Promise<Order> {
  const link = await wallet.ok<{ url: string }>("POST", "/v1/member-center/links", {
    member_id: memberId,
    page: "cashier",
  });
  return { ...o, link: { url: link.url, path: "" } };
}

describe("money paid to a cashier order and given back", () => {
  interface Refunded extends Order {
    refunded_amount: number;
    refunded_at: string | null;
  }
  const view = (orderId: string) => wallet.ok<Refunded>("GET", `/v1/cashier-orders/${orderId}`);
  /** Finance refunds (part of) a balance payment at the wallets, as it does for the cashier. */
  const refundBalance = (walletPaymentId: string, amount: number, idem = `rf-${++key}`) =>
    t.app.inject({
      method: "POST",
      url: `/v1/wallet-payments/${walletPaymentId}/refunds`,
      headers: { ...tenant.auth, "idempotency-key": idem },
      payload: { amount, reason: "customer returned it" },
    });
  const orderRefunds = async (orderId: string) =>
    (await tenantTrail(t, tenant.tenantId).events("cashier_order.refunded")).filter(
      (e) => e.order_id === orderId,
    );

  it("a balance payment refunded in parts: partly refunded, then refunded; a replay or too much changes nothing", async () => {
    const { audit, ledgerClean } = tenantTrail(t, tenant.tenantId);
    const m = await member("Zed", 10_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const paid = json<Order>(await pay(token, o.id));
    const walletPayment = paid.payments[0]!.wallet_payment_id!;

    const first = await refundBalance(walletPayment, 3_000, "rf-zed-1");
    expect(first.statusCode, first.body).toBe(201);
    expect(await view(o.id)).toMatchObject({
      status: "partially_refunded",
      paid_by: "balance",
      refunded_amount: 3_000,
      refunded_at: null,
    });
    const replay = await refundBalance(walletPayment, 3_000, "rf-zed-1");
    expect(json<{ id: string }>(replay).id).toBe(json<{ id: string }>(first).id);
    expectCode(await refundBalance(walletPayment, TOTAL - 3_000 + 1), 422, "refund_exceeds_paid");
    expect(await view(o.id)).toMatchObject({ status: "partially_refunded", refunded_amount: 3_000 });

    const rest = await refundBalance(walletPayment, TOTAL - 3_000);
    expect(rest.statusCode, rest.body).toBe(201);
    const refunded = await view(o.id);
    expect(refunded).toMatchObject({ status: "refunded", refunded_amount: TOTAL, paid_by: "balance" });
    expect(refunded.refunded_at).toBe(t.clock.now().toISOString());
    expect((await wallet.balance(m)).total).toBe(10_000);
    const listed = await wallet.ok<{ data: Order[] }>(
      "GET",
      `/v1/cashier-orders?status=refunded&member_id=${m}`,
    );
    expect(listed.data.map((x) => x.id)).toEqual([o.id]);
    // The member center shows the same.
    expect(
      json<Refunded>(await asMember(token, "GET", `/v1/member-center/cashier-orders/${o.id}`)),
    ).toMatchObject({ status: "refunded", refunded_amount: TOTAL });
    expect(await orderRefunds(o.id)).toEqual([
      expect.objectContaining({
        source: "balance",
        amount: 3_000,
        refunded_amount: 3_000,
        status: "partially_refunded",
      }),
      expect.objectContaining({
        source: "balance",
        amount: TOTAL - 3_000,
        refunded_amount: TOTAL,
        status: "refunded",
      }),
    ]);
    expect((await audit(o.id)).filter((a) => a === "cashier_order.refunded")).toHaveLength(2);
    // Its money is back: it is neither cancelled nor paid again.
    expectCode(await wallet.call("POST", `/v1/cashier-orders/${o.id}/cancel`), 409, "cashier_order_not_open");
    expectCode(await pay(token, o.id), 409, "cashier_order_not_open");
    await ledgerClean();
  });

  it("a split payment: its balance part refunded alone is a part refund; the provider's refund of the rest completes it", async () => {
    const { ledgerClean } = tenantTrail(t, tenant.tenantId);
    const { send, intent, refunded } = await viaStripe("whsec_order_refunds");
    const m = await member("Yael", 5_000);
    const o = await order(m);
    const token = await tokenFor(o);
    const r = await withStripe(() => pay(token, o.id, { balance_amount: 3_000 }));
    expect(r.statusCode, r.body).toBe(200);
    const attempt = json<Order>(r).payments[0]!;
    expect(await send(await intent("evt_or_s", "payment_intent.succeeded", attempt.id))).toBe("paid");
    expect(await view(o.id)).toMatchObject({ status: "paid", refunded_amount: 0 });

    const balancePart = await refundBalance(attempt.wallet_payment_id!, 3_000);
    expect(balancePart.statusCode, balancePart.body).toBe(201);
    expect(await view(o.id)).toMatchObject({ status: "partially_refunded", refunded_amount: 3_000 });
    expect((await wallet.balance(m)).total).toBe(5_000);

    // The provider refunds the online rest in two steps (cumulative amounts), each heard once.
    const part = await refunded("evt_or_part", attempt.id, 2_000);
    expect(await send(part)).toBe("refund_recorded");
    expect(await send(part)).toBe("refund_ignored");
    const partly = await view(o.id);
    expect(partly).toMatchObject({ status: "partially_refunded", refunded_amount: 5_000 });
    expect(partly.payments[0]).toMatchObject({
      status: "succeeded",
      refunded_amount: 2_000,
      refund_outstanding: 0,
    });
    expect(await send(await refunded("evt_or_all", attempt.id, TOTAL - 3_000))).toBe("refund_recorded");
    expect(await view(o.id)).toMatchObject({ status: "refunded", refunded_amount: TOTAL });
    expect(await send(await refunded("evt_or_all", attempt.id, TOTAL - 3_000))).toBe("refund_ignored");
    expect(await orderRefunds(o.id)).toEqual([
      expect.objectContaining({ source: "balance", amount: 3_000, refunded_amount: 3_000 }),
      expect.objectContaining({ source: "online", amount: 2_000, refunded_amount: 5_000 }),
      expect.objectContaining({
        source: "online",
        amount: 3_200,
        refunded_amount: TOTAL,
        status: "refunded",
      }),
    ]);
    await ledgerClean();
  });

  it("an order paid after a smart top-up: its balance payment refunded whole makes it refunded", async () => {
    const plan = await wallet.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Refund smart",
      rounding: "1",
      channels: ["online"],
      tiers: [{ type: "discount", multiplier_bps: 12_000, bonus_bps: 800 }],
    });
    const m = await member("Xeno", 0);
    const o = await order(m);
    const token = await tokenFor(o);
    const r = await asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
      plan_id: plan.id,
      tier_index: 0,
    });
    expect(r.statusCode, r.body).toBe(200);
    const attempt = json<Order>(r).payments[0]!;
    expect(json<{ result: string }>(await notify(attempt, "succeeded", "evt_or_smart")).result).toBe("paid");
    const paid = await view(o.id);
    expect(paid).toMatchObject({ status: "paid", paid_by: "smart_topup" });
    const before = (await wallet.balance(m)).total;
    const back = await refundBalance(paid.payments[0]!.wallet_payment_id!, TOTAL);
    expect(back.statusCode, back.body).toBe(201);
    expect(await view(o.id)).toMatchObject({
      status: "refunded",
      refunded_amount: TOTAL,
      paid_by: "smart_topup",
    });
    expect((await wallet.balance(m)).total).toBe(before + TOTAL);
  });

  it("orders whose balance payment was refunded before orders counted refunds are counted once, on upgrade", async () => {
    const m = await member("Vera", 20_000);
    const part = await order(m);
    const whole = await order(m);
    const untouched = await order(m);
    const walletPaymentOf = async (o: Order) =>
      json<Order>(await pay(await tokenFor(o), o.id)).payments[0]!.wallet_payment_id!;
    expect((await refundBalance(await walletPaymentOf(part), 1_000)).statusCode).toBe(201);
    const wholePayment = await walletPaymentOf(whole);
    expect((await refundBalance(wholePayment, 2_000)).statusCode).toBe(201);
    expect((await refundBalance(wholePayment, TOTAL - 2_000)).statusCode).toBe(201);
    await walletPaymentOf(untouched);
    // As they were before: paid, nothing counted.
    await t.database.owner
      .updateTable("cashier_orders")
      .set({ status: "paid", refunded_amount: 0, refunded_at: null })
      .where("id", "in", [part.id, whole.id])
      .execute();
    await countEarlierBalanceRefunds(t.database.owner);
    await countEarlierBalanceRefunds(t.database.owner);
    expect(await view(part.id)).toMatchObject({ status: "partially_refunded", refunded_amount: 1_000 });
    expect(await view(whole.id)).toMatchObject({
      status: "refunded",
      refunded_amount: TOTAL,
      refunded_at: t.clock.now().toISOString(),
    });
    expect(await view(untouched.id)).toMatchObject({ status: "paid", refunded_amount: 0 });
  });

  it("two refunds of all of it at once: one is taken, and the order is refunded once", async () => {
    const m = await member("Wim", 10_000);
    const o = await order(m);
    const paid = json<Order>(await pay(await tokenFor(o), o.id));
    const walletPayment = paid.payments[0]!.wallet_payment_id!;
    const answers = await Promise.all([
      refundBalance(walletPayment, TOTAL),
      refundBalance(walletPayment, TOTAL),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 422]);
    expect(await view(o.id)).toMatchObject({ status: "refunded", refunded_amount: TOTAL });
    expect(await orderRefunds(o.id)).toHaveLength(1);
    expect((await wallet.balance(m)).total).toBe(10_000);
  });
});

describe("two smart top-ups started as a member's first, paid one after the other", () => {
  const firstTiers = [
    {
      type: "gift",
      multiplier_bps: 12_000,
      bonus_bps: 800,
      points_bps: 10_000,
      first_topup_extra_bonus_bps: 500,
      first_topup_extra_points_bps: 5_000,
    },
  ];
  /**
   * A smart plan of `firstTiers` (and `terms`), and two orders of a member who never topped
   * up, each with a smart top-up under it started before either is paid.
   */
  async function twoStarted(name: string, terms: { name: string; first_topup_only?: boolean }) {
    const plan = await wallet.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      ...terms,
      rounding: "1",
      channels: ["online"],
      tiers: firstTiers,
    });
    const m = await member(name, 0);
    const started: Payment[] = [];
    for (const o of [await order(m), await order(m)]) {
      const r = await asMember(
        await tokenFor(o),
        "POST",
        `/v1/member-center/cashier-orders/${o.id}/smart-topup`,
        {
          plan_id: plan.id,
          tier_index: 0,
        },
      );
      expect(r.statusCode, r.body).toBe(200);
      started.push({ ...json<Order>(r).payments[0]!, order_id: o.id } as Payment & { order_id: string });
    }
    const topups = await t.database.owner
      .selectFrom("topups")
      .select(["first_topup", "bonus_amount", "points"])
      .where("member_id", "=", m)
      .execute();
    // 82.00 × 1.2 → 99.00; bonus 6.56 + 4.10 first; points 99 + 49 first: both sold as the first.
    expect(topups).toEqual([
      { first_topup: true, bonus_amount: 1_066, points: 148 },
      { first_topup: true, bonus_amount: 1_066, points: 148 },
    ]);
    const [a, b] = started as [Payment & { order_id: string }, Payment & { order_id: string }];
    return { m, a, b };
  }
  const topupOf = (id: string) =>
    wallet.ok<{
      status: string;
      first_topup: boolean;
      bonus_amount: number;
      points: number;
      details: unknown;
    }>("GET", `/v1/topups/${id}`);

  it("only the one paid first gets the first-top-up extras; the other is credited at the tier's own figures", async () => {
    const { ledgerClean } = tenantTrail(t, tenant.tenantId);
    const { m, a, b } = await twoStarted("Nia", { name: "First smart" });
    expect(json<{ result: string }>(await notify(a, "succeeded", "evt_first_a")).result).toBe("paid");
    expect(json<{ result: string }>(await notify(b, "succeeded", "evt_first_b")).result).toBe("paid");
    expect(await topupOf(a.topup_id!)).toMatchObject({
      status: "credited",
      first_topup: true,
      bonus_amount: 1_066,
      points: 148,
    });
    const later = await topupOf(b.topup_id!);
    expect(later).toMatchObject({ status: "credited", first_topup: false, bonus_amount: 656, points: 99 });
    expect(later.details).toMatchObject({
      credited_as: {
        first_topup: false,
        reason: "not_first_topup",
        withheld_bonus: 410,
        withheld_points: 49,
      },
    });
    const credited = await t.database.owner
      .selectFrom("audit_events")
      .select("summary")
      .where("tenant_id", "=", tenant.tenantId)
      .where("action", "=", "topup.credited")
      .where("target_id", "=", b.topup_id!)
      .executeTakeFirstOrThrow();
    expect(credited.summary).toMatchObject({
      credited_as: { reason: "not_first_topup", withheld_bonus: 410 },
    });
    const balance = await wallet.balance(m);
    expect(balance.total).toBe(2 * 9_900 + 1_066 + 656 - 2 * TOTAL);
    expect(balance.points).toBe(148 + 99);
    await ledgerClean();
  });

  it("under a first-top-up-only plan the later one is kept refund_due and its order is open again", async () => {
    const { m, a, b } = await twoStarted("Ode", { name: "First only smart", first_topup_only: true });
    expect(json<{ result: string }>(await notify(a, "succeeded", "evt_only_a")).result).toBe("paid");
    expect(json<{ result: string }>(await notify(b, "succeeded", "evt_only_b")).result).toBe("refund_due");
    expect(await topupOf(b.topup_id!)).toMatchObject({
      status: "refund_due",
      details: { unfulfilled: { reason: "not_first_topup" } },
    });
    const seen = await merchantView(b.order_id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "refund_due" });
    expect((await wallet.balance(m)).total).toBe(9_900 + 1_066 - TOTAL);
  });
});

describe("a smart top-up whose member spent the balance it counted on before it was collected", () => {
  it("is answered, not refused: the top-up and the attempt are kept refund_due and the order is open again", async () => {
    const { ledgerClean } = tenantTrail(t, tenant.tenantId);
    const plan = await wallet.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Fixed smart",
      channels: ["online"],
      tiers: [{ type: "fixed", amount: 5_000, bonus_amount: 0, bonus_points: 0 }],
    });
    // 40.00 on the balance and 50.00 topped up cover the 82.00 order: the tier is offered.
    const m = await member("Pia", 4_000);
    const o = await order(m);
    const r = await asMember(
      await tokenFor(o),
      "POST",
      `/v1/member-center/cashier-orders/${o.id}/smart-topup`,
      {
        plan_id: plan.id,
        tier_index: 0,
      },
    );
    expect(r.statusCode, r.body).toBe(200);
    const attempt = json<Order>(r).payments[0]!;
    // The 40.00 is withdrawn at the counter before the provider's confirmation arrives.
    await wallet.ok("POST", `/v1/members/${m}/withdrawals`, { amount: 4_000 });
    const paid = await notify(attempt, "succeeded", "evt_spent_since");
    expect(paid.statusCode, paid.body).toBe(200);
    expect(json<{ result: string }>(paid).result).toBe("refund_due");
    expect((await wallet.balance(m)).total).toBe(0);
    expect(await wallet.ok("GET", `/v1/topups/${attempt.topup_id}`)).toMatchObject({
      status: "refund_due",
      details: { unfulfilled: { reason: "insufficient_balance" } },
    });
    const seen = await merchantView(o.id);
    expect(seen).toMatchObject({ status: "open", paid_by: null });
    expect(seen.payments[0]).toMatchObject({ status: "refund_due" });
    expect(json<{ result: string }>(await notify(attempt, "succeeded", "evt_spent_since")).result).toBe(
      "already_settled",
    );
    await ledgerClean();
  });
});

describe("a smart top-up the order's balance payment could not use", () => {
  it("is refused before it is recorded when the balance it counts on pays only certain items", async () => {
    const plan = await wallet.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Fixed smart, restricted",
      channels: ["online"],
      tiers: [{ type: "fixed", amount: 5_000, bonus_amount: 0, bonus_points: 0 }],
    });
    const coffee = await wallet.ok<{ id: string }>("POST", "/v1/topup-plans", {
      kind: "package",
      name: "Coffee only",
      rule: { type: "fixed", amount: 4_000, bonus_amount: 0, bonus_points: 0 },
      restrictions: { eligible_skus: ["coffee"] },
    });
    const m = await member("Quin", 0);
    await wallet.ok("POST", `/v1/topup-plans/${coffee.id}/top-ups`, {
      member_id: m,
      channel: "pos",
      payment_method: "offline",
    });
    // 40.00 on the balance and 50.00 topped up add up to the 82.00 order, but the 40.00 pays
    // only coffee, and the order's balance payment names no item: the tier could never pay it.
    const o = await order(m);
    const r = await asMember(
      await tokenFor(o),
      "POST",
      `/v1/member-center/cashier-orders/${o.id}/smart-topup`,
      {
        plan_id: plan.id,
        tier_index: 0,
      },
    );
    expectCode(r, 422, "tier_not_offered");
    expect(json<{ reason: string }>(r).reason).toBe("does_not_cover_order");
    expect(await merchantView(o.id)).toMatchObject({ status: "open", payments: [] });
    const started = await t.database.owner
      .selectFrom("topups")
      .select("id")
      .where("member_id", "=", m)
      .where("source", "=", "smart")
      .execute();
    expect(started).toEqual([]);
  });
});

describe("smart top-up offers asked for a cashier order", () => {
  interface OfferBody {
    plan_id: string | null;
    reason: string | null;
    available: number;
    tiers: { index: number; amount: number; usable_after: number; offered: boolean; reason: string | null }[];
  }
  const offers = (token: string, m: string, extra = "", amount = TOTAL) =>
    asMember(
      token,
      "GET",
      `/v1/smart-topup/offers?member_id=${m}&channel=online&order_amount=${amount}${extra}`,
    );

  /** 10.00 anything may pay and 40.00 only coffee may: 50.00 available. */
  async function restrictedMember(name: string): Promise<string> {
    const m = await member(name, 1_000);
    await wallet.ok("POST", `/v1/topup-plans/${coffee.id}/top-ups`, {
      member_id: m,
      channel: "pos",
      payment_method: "offline",
    });
    return m;
  }
  let plan: { id: string };
  let coffee: { id: string };

  beforeAll(async () => {
    plan = await wallet.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Smart for orders",
      channels: ["online"],
      tiers: [
        { type: "discount", multiplier_bps: 12_000, bonus_bps: 800 },
        { type: "fixed", amount: 5_000, bonus_amount: 0, bonus_points: 0 },
        { type: "fixed", amount: 10_000, bonus_amount: 0, bonus_points: 0 },
      ],
    });
    coffee = await wallet.ok<{ id: string }>("POST", "/v1/topup-plans", {
      kind: "package",
      name: "Coffee only, for offers",
      rule: { type: "fixed", amount: 4_000, bonus_amount: 0, bonus_points: 0 },
      restrictions: { eligible_skus: ["coffee"] },
    });
  });

  it("count only the balance the order's payment may use: every tier offered is accepted and pays its order", async () => {
    const m = await restrictedMember("Rui");
    const first = await order(m);
    const token = await tokenFor(first);
    // Naming no order, the offer counts all 50.00 (documented): the 50.00 fixed tier looks
    // enough for the 82.00 order, yet the order's balance payment could never use the 40.00.
    const blind = json<OfferBody>(await offers(token, m));
    expect(blind).toMatchObject({ plan_id: plan.id, available: 5_000 });
    expect(blind.tiers.map((x) => x.offered)).toEqual([true, true, true]);
    expectCode(
      await asMember(token, "POST", `/v1/member-center/cashier-orders/${first.id}/smart-topup`, {
        plan_id: plan.id,
        tier_index: 1,
      }),
      422,
      "tier_not_offered",
    );

    const r = await offers(token, m, `&cashier_order_id=${first.id}`);
    expect(r.statusCode, r.body).toBe(200);
    const offer = json<OfferBody>(r);
    expect(offer).toMatchObject({ plan_id: plan.id, reason: null, available: 1_000 });
    expect(offer.tiers.map((x) => [x.offered, x.reason])).toEqual([
      [true, null],
      [false, "does_not_cover_order"],
      [true, null],
    ]);
    // 82.00 × 1.2 = 98.40 and 8% bonus 6.56; the fixed 50.00 and 100.00; each on the 10.00 it counts.
    expect(offer.tiers.map((x) => x.usable_after)).toEqual([
      1_000 + 9_840 + 656,
      1_000 + 5_000,
      1_000 + 10_000,
    ]);

    // Every tier offered is accepted for an order like it, and its confirmation pays the order.
    const listed = offer.tiers.filter((x) => x.offered);
    const started: Order[] = [];
    for (const [i, tier] of listed.entries()) {
      const o = i === 0 ? first : await order(m);
      const mine = i === 0 ? token : await tokenFor(o);
      const again = json<OfferBody>(await offers(mine, m, `&cashier_order_id=${o.id}`));
      expect(again.tiers.filter((x) => x.offered).map((x) => x.index)).toEqual(listed.map((x) => x.index));
      const accepted = await asMember(mine, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
        plan_id: plan.id,
        tier_index: tier.index,
      });
      expect(accepted.statusCode, accepted.body).toBe(200);
      started.push(json<Order>(accepted));
    }
    for (const [i, o] of started.entries()) {
      const paid = await notify(o.payments[0]!, "succeeded", `evt_offer_order_${i}`);
      expect(json<{ result: string }>(paid).result).toBe("paid");
      expect(await merchantView(o.id)).toMatchObject({ status: "paid", paid_by: "smart_topup" });
    }
  });

  it("with a balance only certain items may use, an order it cannot pay gets tiers, not 'balance covers'", async () => {
    const m = await restrictedMember("Sol");
    // 40.00 coffee-only and 50.00 more of it: 90.00 available covers 82.00 only on paper.
    await wallet.ok("POST", `/v1/topup-plans/${coffee.id}/top-ups`, {
      member_id: m,
      channel: "pos",
      payment_method: "offline",
    });
    const o = await order(m);
    const token = await tokenFor(o);
    expect(json<OfferBody>(await offers(token, m))).toMatchObject({
      plan_id: null,
      reason: "balance_covers_order",
      available: 9_000,
    });
    const offer = json<OfferBody>(await offers(token, m, `&cashier_order_id=${o.id}`));
    expect(offer).toMatchObject({ plan_id: plan.id, reason: null, available: 1_000 });
    expect(offer.tiers.map((x) => x.offered)).toEqual([true, false, true]);
  });

  it("the order must be one the caller sees, of that member, payable now, for its total, online", async () => {
    const m = await member("Tao", 0);
    const o = await order(m);
    const token = await tokenFor(o);
    const staff = (query: string) =>
      wallet.call(
        "GET",
        `/v1/smart-topup/offers?member_id=${m}&channel=online&order_amount=${TOTAL}${query}`,
      );
    expect((await staff(`&cashier_order_id=${o.id}`)).statusCode).toBe(200);
    expectCode(await staff("&cashier_order_id=cso_missing"), 404, "cashier_order_not_found");
    // Another member's order, named with this member: to staff and to either member's token.
    const other = await order(await member("Uma", 0));
    expectCode(await staff(`&cashier_order_id=${other.id}`), 404, "cashier_order_not_found");
    expectCode(await offers(token, m, `&cashier_order_id=${other.id}`), 404, "cashier_order_not_found");
    expectCode(
      await offers(await tokenFor(other), other.member_id, `&cashier_order_id=${o.id}`),
      404,
      "cashier_order_not_found",
    );
    // Another tenant's order is not found in this one.
    const elsewhere = await createTestTenant(t, "Other Coffee");
    const theirs = walletClient(t, elsewhere);
    const foreign = await theirs.ok<Order>("POST", "/v1/cashier-orders", {
      member_id: await theirs.newMember("Vic"),
      items: ITEMS,
      total: TOTAL,
      merchant_order_ref: "SO-ELSEWHERE",
    });
    expectCode(await staff(`&cashier_order_id=${foreign.id}`), 404, "cashier_order_not_found");

    const r = await offers(token, m, `&cashier_order_id=${o.id}`, TOTAL - 1);
    expectCode(r, 422, "amount_mismatch");
    expectCode(
      await wallet.call(
        "GET",
        `/v1/smart-topup/offers?member_id=${m}&channel=pos&order_amount=${TOTAL}&cashier_order_id=${o.id}`,
      ),
      400,
      "validation_failed",
    );

    const rich = await member("Wen", 20_000);
    const paid = await order(rich);
    const richToken = await tokenFor(paid);
    expect((await pay(richToken, paid.id)).statusCode).toBe(200);
    expectCode(await offers(richToken, rich, `&cashier_order_id=${paid.id}`), 409, "cashier_order_not_open");
    const cancelled = await order(m);
    await wallet.ok("POST", `/v1/cashier-orders/${cancelled.id}/cancel`);
    expectCode(await offers(token, m, `&cashier_order_id=${cancelled.id}`), 409, "cashier_order_not_open");
    const late = await order(m, { expires_in_minutes: 1 });
    t.clock.advance(60_000);
    expectCode(await offers(token, m, `&cashier_order_id=${late.id}`), 410, "cashier_order_expired");
  });
});

describe("a smart top-up for an order whose balance payment is above the single-operation cap", () => {
  it("is refused before the provider is asked: the top-up could be collected but never pay the order", async () => {
    const before = await wallet.ok<{ max_single_amount: number }>("GET", "/v1/wallet-settings");
    // A fixed tier counts on the balance: its top-up (20.00) is under the cap, the order (82.00) is not.
    const plan = await wallet.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Small fixed",
      channels: ["online"],
      tiers: [{ type: "fixed", amount: 2_000, bonus_amount: 0, bonus_points: 0 }],
    });
    const m = await member("Xia", 7_000);
    const o = await order(m);
    const token = await tokenFor(o);
    await wallet.ok("PATCH", "/v1/wallet-settings", { max_single_amount: 5_000 });
    try {
      // The order itself cannot be paid from the balance under this cap...
      expectCode(await pay(token, o.id), 422, "amount_above_cap");
      // ...so a top-up bought to pay it from the balance is refused before any payment is asked for.
      const r = await asMember(token, "POST", `/v1/member-center/cashier-orders/${o.id}/smart-topup`, {
        plan_id: plan.id,
        tier_index: 0,
      });
      expectCode(r, 422, "amount_above_cap");
      const written = await t.database.owner
        .selectFrom("cashier_payments")
        .select("id")
        .where("tenant_id", "=", tenant.tenantId)
        .where("order_id", "=", o.id)
        .execute();
      expect(written).toEqual([]);
      expect(
        await t.database.owner.selectFrom("topups").select("id").where("member_id", "=", m).execute(),
      ).toEqual([]);
      expect(await merchantView(o.id)).toMatchObject({ status: "open" });
    } finally {
      await wallet.ok("PATCH", "/v1/wallet-settings", { max_single_amount: before.max_single_amount });
      await wallet.ok("POST", `/v1/smart-topup-plans/${plan.id}/deactivate`);
    }
  });
});
