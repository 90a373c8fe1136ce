import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { giftCardClient, twoStores } from "../../../test/helpers/giftcards.js";
import { roundTripsOf } from "../../../test/helpers/metrics.js";
import { ensureCurrencyAsset } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { priceOrder } from "./price-order.js";
import { serializeQuote } from "./quote-view.js";
import { connectedSettlement, settleContext } from "./settlement.js";

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

async function post(url: string, payload: object, key?: string, auth = tenant.auth) {
  return t.app.inject({
    method: "POST",
    url,
    headers: { ...auth, ...(key ? { "idempotency-key": key } : {}) },
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
  async function quoteTrips(payload: object, auth = tenant.auth) {
    const before = await quoteMetric();
    const quoted = await post("/v1/checkout/quotes", payload, undefined, auth);
    expect(quoted.statusCode, quoted.body).toBe(200);
    const after = await quoteMetric();
    expect(after.count - before.count).toBe(1);
    return { body: json<QuoteBody>(quoted), trips: after.sum - before.sum, text: after.text };
  }

  /**
   * The quote of three in a row that made the fewest round trips. Authentication keeps a key
   * it looked up for 3 s, counted from the look-up (api-keys.ts); the quote that comes after
   * that looks the key up again, one round trip more. On a slow machine one of three may.
   */
  async function fewestQuoteTrips(payload: object, auth = tenant.auth) {
    let fewest = await quoteTrips(payload, auth);
    for (let i = 0; i < 2; i++) {
      const next = await quoteTrips(payload, auth);
      if (next.trips < fewest.trips) fewest = next;
    }
    return fewest;
  }

  /**
   * The first quote after a change to what this process holds of the tenant (its benefit
   * catalog, its card plans and tiers): the snapshot, the snapshot again with the changed rows,
   * and maybe the key's look-up (see fewestQuoteTrips).
   */
  const AFTER_A_CHANGE = 3;

  interface QuoteBody {
    total: number;
    benefits_applied: { benefit_id: string }[];
    balance: { available: number };
    vouchers_applied: { voucher_id: string }[];
    gift_cards_applied: { card_id: string; amount: number }[];
    gift_cards_not_applied: { card_id: string; reason: string }[];
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

  it("card plans and tiers changed behind this process's back are priced by the very next quote", async () => {
    const plan = await post("/v1/card-plans", {
      code: "club",
      name: "Club",
      validity: { kind: "permanent" },
      tiers: [
        { code: "club_silver", name: "Silver", rank: 1 },
        { code: "club_gold", name: "Gold", rank: 2 },
      ],
    });
    expect(plan.statusCode, plan.body).toBe(201);
    const member = json<{ id: string }>(
      await post("/v1/members", { name: "Di", card_plan: "club", tier: "club_silver" }, "m-tier"),
    ).id;
    const created = await post("/v1/benefits", {
      kind: "member_discount",
      name: "Gold 20% off",
      audience: { tiers: ["club_gold"] },
      config: { discount_percent: 20 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const benefit = json<{ id: string }>(created).id;
    const payload = { member_id: member, channel: "POS", lines };
    const applied = (q: { body: QuoteBody }) => q.body.benefits_applied.map((b) => b.benefit_id);
    expect(applied(await quoteTrips(payload))).not.toContain(benefit);
    const held = await fewestQuoteTrips(payload);
    expect(applied(held)).not.toContain(benefit);
    expect(held.trips).toBe(1);

    // Another process renames the tiers: the member's tier (the same row) is now club_gold.
    // None of this process's code runs, and nothing but the tables is written.
    await t.database.owner.transaction().execute(async (trx) => {
      const renames: [string, string][] = [
        ["club_gold", "club_top"],
        ["club_silver", "club_gold"],
      ];
      for (const [from, to] of renames) {
        await trx
          .updateTable("card_tiers")
          .set({ code: to })
          .where("tenant_id", "=", tenant.tenantId)
          .where("code", "=", from)
          .execute();
      }
    });
    const next = await quoteTrips(payload);
    expect(applied(next)).toContain(benefit);
    expect(next.trips).toBeLessThanOrEqual(AFTER_A_CHANGE);
    const after = await fewestQuoteTrips(payload);
    expect(applied(after)).toContain(benefit);
    expect(after.trips).toBe(1);
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
    expect(next.trips).toBeLessThanOrEqual(AFTER_A_CHANGE);
    expect((await fewestQuoteTrips(payload)).trips).toBe(1);

    // And a member's own tier, group or tag changes need no version: they are read with the quote.
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

  it("a quote naming gift cards reads them in one round trip, locks and writes nothing, and decides as the order would", async () => {
    const gc = giftCardClient(t, tenant);
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      ensureCurrencyAsset(trx, tenant.tenantId, "CNY", t.clock.now()),
    );
    const [storeA, storeB] = await twoStores(t, tenant);
    const group = json<{ id: string }>(
      await post("/v1/store-groups", { name: "A's group", store_ids: [storeA] }, "sg-gc"),
    ).id;
    // Usable at A through a store group; the other plan only under unit B.
    const atA = await gc.activePlan({ store_scope: { store_groups: [group] } });
    const underB = await gc.activePlan({ store_scope: { org_units: [storeB] } });
    const usable = (await gc.sell(atA, 5000, { store_id: storeA })).card.id;
    const frozen = (await gc.sell(atA, 5000, { store_id: storeA })).card.id;
    await gc.ok("POST", `/v1/gift-cards/${frozen}/freeze`, { reason: "fraud check" });
    const elsewhere = (await gc.sell(underB, 5000, { store_id: storeB })).card.id;
    const soldAtB = (await gc.sell(atA, 5000, { store_id: storeB })).card.id;
    const unknown = "gc_000000000000000000000000";
    const giftCards = [
      { card_id: usable, amount: 1000 },
      { card_id: frozen },
      { card_id: elsewhere },
      { card_id: unknown },
      { card_id: soldAtB },
    ];
    const payload = { channel: "POS", store_id: storeA, lines, gift_cards: giftCards };
    // A till at A (its store by default): it does not see a card sold at B usable only under B.
    const till = await createTestKey(t, tenant.tenantId, "operator", storeA);
    const tillPayload = { channel: "POS", lines, gift_cards: giftCards };

    const cardIds = [usable, frozen, elsewhere, soldAtB];
    const stored = async () => ({
      cards: await t.database.owner
        .selectFrom("gift_cards")
        .selectAll()
        .where("tenant_id", "=", tenant.tenantId)
        .orderBy("id")
        .execute(),
      accounts: await t.database.owner
        .selectFrom("ledger_accounts")
        .selectAll()
        .where("tenant_id", "=", tenant.tenantId)
        .orderBy("id")
        .execute(),
      activities: await t.database.owner
        .selectFrom("gift_card_activities")
        .select("id")
        .where("tenant_id", "=", tenant.tenantId)
        .orderBy("id")
        .execute(),
      audit: await t.database.owner
        .selectFrom("audit_events")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("tenant_id", "=", tenant.tenantId)
        .executeTakeFirstOrThrow(),
    });
    // Warm: the catalog and both keys are known to this process before the count.
    await quoteTrips(payload);
    await quoteTrips(tillPayload, till.auth);
    const before = await stored();

    const holder = new pg.Client({ connectionString: t.database.url });
    await holder.connect();
    let owner: Awaited<ReturnType<typeof fewestQuoteTrips>>;
    let tillQuote: Awaited<ReturnType<typeof fewestQuoteTrips>>;
    try {
      // Every card row and card account held by another transaction: a quote that locked
      // either (as redeeming does) would wait here until the deadline.
      await holder.query("begin");
      await holder.query("select id from gift_cards where tenant_id = $1 and id = any($2) for update", [
        tenant.tenantId,
        cardIds,
      ]);
      await holder.query(
        `select a.id from ledger_accounts a join gift_cards c on c.tenant_id = a.tenant_id and c.account_id = a.id
         where c.tenant_id = $1 and c.id = any($2) for update of a`,
        [tenant.tenantId, cardIds],
      );
      const limit = deadline(20_000);
      try {
        owner = await Promise.race([fewestQuoteTrips(payload), limit.promise]);
        tillQuote = await Promise.race([fewestQuoteTrips(tillPayload, till.auth), limit.promise]);
      } finally {
        limit.clear();
      }
    } finally {
      await holder.query("rollback").catch(() => {});
      await holder.end();
    }
    process.stdout.write(`a checkout quote naming 5 gift cards made ${owner.trips} database round trip(s)\n`);
    expect(owner.trips).toBe(1);
    expect(tillQuote.trips).toBe(1);
    expect(await stored()).toEqual(before);

    expect(owner.body.gift_cards_applied).toEqual([
      { card_id: usable, amount: 1000 },
      { card_id: soldAtB, amount: 2000 },
    ]);
    expect(owner.body.gift_cards_not_applied).toEqual([
      { card_id: frozen, reason: "frozen" },
      { card_id: elsewhere, reason: "store_not_allowed" },
      { card_id: unknown, reason: "not_found" },
    ]);
    expect(tillQuote.body.gift_cards_applied).toEqual(owner.body.gift_cards_applied);
    expect(tillQuote.body.gift_cards_not_applied).toEqual([
      { card_id: frozen, reason: "frozen" },
      { card_id: elsewhere, reason: "not_found" },
      { card_id: unknown, reason: "not_found" },
    ]);

    // The order's own decision (the cards locked in its unit of work) prices the same quote.
    const path = async (id: string) =>
      (
        await t.database.owner
          .selectFrom("org_units")
          .select("path")
          .where("id", "=", id)
          .executeTakeFirstOrThrow()
      ).path;
    const asKey = (id: string, role: Actor["role"], orgUnitId: string | null, orgUnitPath: string | null) =>
      ({
        tenantId: tenant.tenantId,
        type: "api_key",
        id,
        role,
        orgUnitId,
        orgUnitPath,
        memberId: null,
      }) as Actor;
    const { timezone } = await t.database.owner
      .selectFrom("tenants")
      .select("timezone")
      .where("id", "=", tenant.tenantId)
      .executeTakeFirstOrThrow();
    const requests = giftCards.map((c) => ({ cardId: c.card_id, amount: c.amount ?? null }));
    const asOrder = (actor: Actor) =>
      t.deps.ledger.run(tenant.tenantId, async (uow) => {
        const now = t.clock.now();
        const priced = await priceOrder(
          settleContext(uow, { actor, requestId: null }, now),
          connectedSettlement,
          {
            memberId: null,
            channel: "POS",
            storeId: storeA,
            at: now,
            timezone,
            currency: "CNY",
            lines: lines.map((l) => ({
              sku: l.sku,
              category: l.category,
              quantity: l.quantity,
              unitPrice: l.unit_price,
            })),
            voucherIds: [],
            payWithBalance: false,
            shippingAmount: 0,
            giftCards: requests,
          },
        );
        return serializeQuote(priced);
      });
    expect(owner.body).toEqual(await asOrder(asKey(tenant.apiKey.record.id, "owner", null, null)));
    expect(tillQuote.body).toEqual(await asOrder(asKey(till.id, "operator", storeA, await path(storeA))));
    expect(await stored()).toEqual(before);
  });
});
