import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "./helpers/app.js";
import { expectProblem } from "./helpers/problem.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

interface Body {
  id: string;
  kind: string;
  amount: number;
  debits_pending: number;
  hold_state?: string;
  pending_amount?: number;
}

const post = (url: string, payload: object = {}, headers: Record<string, string> = {}) =>
  t.app.inject({ method: "POST", url, headers: { ...tenant.auth, ...headers }, payload });
const get = async (url: string) => json<Body>(await t.app.inject({ url, headers: tenant.auth }));

describe("ledger HTTP API: voids and posts of part of a hold", () => {
  it("voids part (the rest stays pending), shows what is left, then posts part of the rest", async () => {
    const open = async (body: object) =>
      json<Body>(await post("/v1/ledger/accounts", { asset: "CNY", ...body }));
    const cash = await open({ kind: "cash" });
    const wallet = await open({ kind: "wallet", debits_must_not_exceed_credits: true });
    const shop = await open({ kind: "merchant" });
    await post("/v1/ledger/transfers", {
      debit_account_id: cash.id,
      credit_account_id: wallet.id,
      amount: 1_000,
    });
    const hold = json<Body>(
      await post("/v1/ledger/transfers", {
        debit_account_id: wallet.id,
        credit_account_id: shop.id,
        amount: 600,
        pending: true,
      }),
    );
    const voided = await post(`/v1/ledger/transfers/${hold.id}/void`, { id: "void-part-1", amount: 250 });
    expect(voided.statusCode, voided.body).toBe(201);
    expect(json<Body>(voided)).toMatchObject({ kind: "void_pending", amount: 250 });
    // A retry with the same id answers the same void; it releases nothing more.
    const replay = await post(`/v1/ledger/transfers/${hold.id}/void`, { id: "void-part-1", amount: 250 });
    expect(replay.statusCode).toBe(200);
    expect(await get(`/v1/ledger/transfers/${hold.id}`)).toMatchObject({
      hold_state: "pending",
      pending_amount: 350,
    });
    expect((await get(`/v1/ledger/accounts/${wallet.id}`)).debits_pending).toBe(350);
    expectProblem(
      await post(`/v1/ledger/transfers/${hold.id}/void`, { amount: 351 }),
      422,
      "exceeds_pending_amount",
    );
    expectProblem(
      await post(`/v1/ledger/transfers/${hold.id}/void`, { amount: 0 }),
      400,
      "validation_failed",
    );
    const posted = await post(`/v1/ledger/transfers/${hold.id}/post`, { amount: 300 });
    expect(json<Body>(posted)).toMatchObject({ kind: "post_pending", amount: 300 });
    expect(await get(`/v1/ledger/transfers/${hold.id}`)).toMatchObject({
      hold_state: "posted",
      pending_amount: 0,
    });
    expect(await get(`/v1/ledger/accounts/${wallet.id}`)).toMatchObject({ debits_pending: 0, balance: 700 });
    expectProblem(
      await post(`/v1/ledger/transfers/${hold.id}/void`, { amount: 1 }),
      409,
      "pending_already_posted",
    );
  });
});
