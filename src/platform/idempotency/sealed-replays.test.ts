import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, json, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { giftCardTenant, type SaleBody } from "../../../test/helpers/giftcards.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { buildApp } from "../../app.js";
import { requestFingerprint } from "./idempotency.js";

/**
 * A replay must answer exactly what the first request answered, and some first answers show a
 * secret once (a gift card's PIN, an API key): the stored answer must not be readable at rest.
 */
let t: TestApp;
let tenant: TestTenant;
let planId: string;
let gc: Awaited<ReturnType<typeof giftCardTenant>>["gc"];

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  planId = await gc.activePlan();
});
afterAll(async () => t?.close());

/** The whole stored row as text, as anyone reading the table or a backup of it would see it. */
async function storedRow(key: string): Promise<string> {
  const { rows } = await sql<{ row: string }>`
    select k::text as row from idempotency_keys k where tenant_id = ${tenant.tenantId} and key = ${key}`.execute(
    t.database.owner,
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.row;
}

const saleBody = () => ({ plan_id: planId, amount: 10000, payment: { method: "offline", ref: "receipt" } });

describe("stored answers that show a secret once", () => {
  it("keep a gift card's PIN and number unreadable at rest, and a replay still shows the same PIN", async () => {
    const key = "sale-with-pin-1";
    const first = await gc.call("POST", "/v1/gift-cards", saleBody(), tenant.auth, key);
    expect(first.statusCode, first.body).toBe(201);
    const sale = json<SaleBody>(first);
    expect(sale.pin).toMatch(/^[0-9]{8}$/);

    const row = await storedRow(key);
    expect(row).not.toContain(sale.pin);
    expect(row).not.toContain(sale.card.number);
    expect(row).not.toContain(Buffer.from(sale.pin!).toString("base64"));
    expect(row).not.toContain(Buffer.from(JSON.stringify(sale)).toString("base64").slice(0, 40));

    const again = await gc.call("POST", "/v1/gift-cards", saleBody(), tenant.auth, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(json(again)).toEqual(sale);
  });

  it("keep a new API key's secret unreadable at rest", async () => {
    const key = "api-key-create-1";
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: { ...tenant.auth, "idempotency-key": key },
      payload: { name: "till", role: "operator" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const secret = json<{ secret: string }>(created).secret;
    expect(await storedRow(key)).not.toContain(secret);

    const again = await t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: { ...tenant.auth, "idempotency-key": key },
      payload: { name: "till", role: "operator" },
    });
    expect(again.statusCode).toBe(201);
    expect(json(again)).toEqual(json(created));
  });

  it("still replay an answer stored before answers were sealed", async () => {
    const key = "stored-before-sealing";
    const body = { name: "old till", role: "operator" };
    const made = await t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: tenant.auth,
      payload: body,
    });
    expect(made.statusCode, made.body).toBe(201);
    const answer = json(made);
    await sql`insert into idempotency_keys (tenant_id, key, request_hash, method, path, response_status, response_body, created_at)
      values (${tenant.tenantId}, ${key}, ${requestFingerprint("POST", "/v1/api-keys", body, `api_key:${tenant.apiKey.record.id}`)},
        'POST', '/v1/api-keys', 201, ${JSON.stringify(answer)}::jsonb, ${t.clock.now()})`.execute(
      t.database.owner,
    );
    const replay = await t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: { ...tenant.auth, "idempotency-key": key },
      payload: body,
    });
    expect(replay.statusCode, replay.body).toBe(201);
    expect(json(replay)).toEqual(answer);
  });

  it("under another signing secret, a replay is refused clearly and repeats nothing", async () => {
    const key = "sale-with-pin-2";
    const first = await gc.call("POST", "/v1/gift-cards", saleBody(), tenant.auth, key);
    expect(first.statusCode, first.body).toBe(201);
    const other = await buildApp({
      ...t.deps,
      config: { ...t.config, signingSecret: "another-signing-secret-abcdefghijklmnopqrstuvwxyz" },
    });
    try {
      const countCards = async () =>
        (
          await sql<{
            n: string;
          }>`select count(*) as n from gift_cards where tenant_id = ${tenant.tenantId}`.execute(
            t.database.owner,
          )
        ).rows[0]!.n;
      const before = await countCards();
      const replay = await other.inject({
        method: "POST",
        url: "/v1/gift-cards",
        headers: { ...tenant.auth, "idempotency-key": key },
        payload: saleBody(),
      });
      const problem = expectProblem(replay, 409, "idempotency_replay_unavailable");
      expect(JSON.stringify(problem)).not.toContain(json<SaleBody>(first).pin);
      expect(await countCards()).toBe(before);
      // Another request under the same key is still told so, as before.
      const reused = await other.inject({
        method: "POST",
        url: "/v1/gift-cards",
        headers: { ...tenant.auth, "idempotency-key": key },
        payload: { ...saleBody(), amount: 20000 },
      });
      expectProblem(reused, 422, "idempotency_key_reused");
    } finally {
      await other.close();
    }
  });
});
