import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { type giftCardClient, giftCardTenant, type SaleBody } from "../../../test/helpers/giftcards.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { memberAuth } from "../../../test/helpers/vouchers.js";
import { buildApp } from "../../app.js";
import type { RouteApp } from "../../app-types.js";
import { createDatabase, type Database } from "../../db/database.js";
import { Ledger } from "../../ledger/index.js";
import { generateCardNumber, luhnDigit, luhnValid } from "./card-number.js";
import { LOOKUP_WINDOW_SECONDS, MAX_FAILURES_PER_CALLER, MAX_FAILURES_PER_CARD } from "./lookup-card.js";

/** Looking a card up by number and PIN: guessing is refused by a limit counted in the database. */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let planId: string;
let sale: SaleBody;
/** A second app on its own pool, as a second server process would be. */
let other: { app: RouteApp; db: Database };

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  planId = await gc.activePlan();
  sale = await gc.sell(planId, 20000);
  const db = createDatabase(t.database.url, { poolSize: 4 });
  other = {
    db,
    app: await buildApp({ ...t.deps, db, ledger: new Ledger(db, { clock: t.clock, batching: true }) }),
  };
});
afterAll(async () => {
  await other?.app.close();
  await other?.db.close();
  await t?.close();
});

const lookup = (number: string, pin: string, headers = tenant.auth, app = t.app) =>
  app.inject({ method: "POST", url: "/v1/gift-cards/lookup", headers, payload: { number, pin } });

/** A number with a valid check digit that no card has (drawn at random). */
const unknownNumber = () => generateCardNumber();

describe("card numbers", () => {
  it("carry a Luhn check digit", () => {
    expect(luhnDigit("7992739871")).toBe(3); // the textbook example: 79927398713
    expect(luhnValid("79927398713")).toBe(true);
    expect(luhnValid("79927398710")).toBe(false);
    for (let i = 0; i < 100; i++) expect(luhnValid(generateCardNumber())).toBe(true);
  });
});

describe("looking a card up", () => {
  it("needs the PIN; a wrong PIN and an unknown number answer alike", async () => {
    const found = await lookup(sale.card.number, sale.pin!);
    expect(found.statusCode, found.body).toBe(200);
    expect(json(found)).toMatchObject({ card_id: sale.card.id, balance: 20000, status: "active" });
    const wrongPin = expectProblem(await lookup(sale.card.number, "00000000"), 404, "gift_card_not_found");
    const noCard = expectProblem(await lookup(unknownNumber(), "00000000"), 404, "gift_card_not_found");
    expect(wrongPin.detail).toBe(noCard.detail);
    expect(JSON.stringify(wrongPin)).not.toContain("20000");
    expectProblem(await lookup("1234567812345678", "1234"), 400, "invalid_card_number");
  });

  it(`refuses a caller after ${MAX_FAILURES_PER_CALLER} failed guesses, even with a right PIN, until the window ends`, async () => {
    const guesser = await createTestKey(t, tenant.tenantId, "operator");
    for (let i = 0; i < MAX_FAILURES_PER_CALLER; i++) {
      expectProblem(await lookup(unknownNumber(), "12345678", guesser.auth), 404, "gift_card_not_found");
    }
    const limited = expectProblem(
      await lookup(sale.card.number, sale.pin!, guesser.auth),
      429,
      "gift_card_lookup_limited",
    ) as { retry_after_seconds?: number };
    expect(limited.retry_after_seconds).toBeGreaterThan(0);
    expect(JSON.stringify(limited)).not.toContain("20000");
    // Another caller is not affected; the guesser is let in again once the window has passed.
    expect((await lookup(sale.card.number, sale.pin!)).statusCode).toBe(200);
    t.clock.advance(LOOKUP_WINDOW_SECONDS * 1000);
    expect((await lookup(sale.card.number, sale.pin!, guesser.auth)).statusCode).toBe(200);
  });

  it(`locks a card number after ${MAX_FAILURES_PER_CARD} wrong PINs from any callers`, async () => {
    const target = await gc.sell(planId, 10000);
    for (let i = 0; i < MAX_FAILURES_PER_CARD; i++) {
      const caller = await createTestKey(t, tenant.tenantId, "operator");
      expectProblem(await lookup(target.card.number, `9999000${i}`, caller.auth), 404, "gift_card_not_found");
    }
    expectProblem(await lookup(target.card.number, target.pin!), 429, "gift_card_lookup_limited");
    // Other cards stay reachable for the same caller.
    expect((await lookup(sale.card.number, sale.pin!)).statusCode).toBe(200);
  });

  it("holds across processes and under concurrent guessing", async () => {
    const guesser = await createTestKey(t, tenant.tenantId, "operator");
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        lookup(unknownNumber(), "12345678", guesser.auth, i % 2 === 0 ? t.app : other.app),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 404)).toHaveLength(MAX_FAILURES_PER_CALLER);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - MAX_FAILURES_PER_CALLER);
    expectProblem(
      await lookup(sale.card.number, sale.pin!, guesser.auth, other.app),
      429,
      "gift_card_lookup_limited",
    );
  });

  it("lets a member look a card up with its PIN", async () => {
    const member = json<{ id: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/members",
        headers: tenant.auth,
        payload: { name: "Ann" },
      }),
    ).id;
    const auth = await memberAuth(t, tenant, member);
    const found = await lookup(sale.card.number, sale.pin!, auth);
    expect(found.statusCode, found.body).toBe(200);
    expect(json(found)).toMatchObject({ card_id: sale.card.id, number_last4: sale.card.number.slice(-4) });
    // Knowing the card id is not enough for a member: reading it by id needs to hold it.
    expectProblem(
      await t.app.inject({ method: "GET", url: `/v1/gift-cards/${sale.card.id}`, headers: auth }),
      404,
      "gift_card_not_found",
    );
  });
});
