import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { createSandbox } from "../../../test/helpers/sandbox.js";
import { dispatchEvents, emitEvent } from "./outbox.js";
import { createEndpoint, deliverDue, type Poster } from "./webhooks.js";

/**
 * A webhook endpoint lives in real time, in a sandbox too: a sandbox's deliveries are claimed,
 * sent and retried on the real clock, whatever its test clock says. A manual re-send must
 * follow the same clock.
 */
let t: TestApp;
let sandbox: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  const live = await createTestTenant(t);
  // Years ahead of the real (test) clock, as a sandbox is after advancing its clock.
  sandbox = await createSandbox(t, live, "2031-01-01T00:00:00Z");
});
afterAll(async () => t?.close());

const failing: Poster = async () => ({ status: 500, body: "down" });
const working: Poster = async () => ({ status: 200, body: "ok" });

/** A delivery of one sandbox event to a new endpoint, failed for good. */
async function failedDelivery(): Promise<string> {
  const tenantId = sandbox.tenantId;
  const now = t.clock.now();
  await t.deps.db.tenantTx(tenantId, async (trx) => {
    await createEndpoint(
      trx,
      tenantId,
      { url: "https://hooks.example.com/in", eventTypes: ["*"] },
      true,
      now,
    );
    await emitEvent(trx, { tenantId, type: "test.happened", data: {} }, now);
  });
  await dispatchEvents(t.deps.db, now);
  const row = await t.database.owner
    .updateTable("webhook_deliveries")
    .set({ status: "failed", next_attempt_at: null })
    .where("tenant_id", "=", tenantId)
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

const resend = (id: string) =>
  t.app.inject({ method: "POST", url: `/v1/webhook-deliveries/${id}/resend`, headers: sandbox.auth });

describe("re-sending a sandbox's webhook delivery", () => {
  it("queues it on real time, so the delivery sweep sends it now, and refuses while it is on the wire", async () => {
    const id = await failedDelivery();

    const first = await resend(id);
    expect(first.statusCode, first.body).toBe(200);
    expect(json<{ status: string }>(first).status).toBe("pending");
    // The sweep runs on real time: a delivery queued at the sandbox's time (years ahead)
    // would wait for years.
    const sent = await deliverDue({ db: t.deps.db, allowPrivate: true, post: failing }, t.clock.now());
    expect(sent.map((o) => o.deliveryId)).toEqual([id]);

    // Claimed by a sweep (on real time) and not yet recorded: a re-send now would send it twice.
    await t.database.owner
      .updateTable("webhook_deliveries")
      .set({ claimed_until: new Date(t.clock.now().getTime() + 60_000) })
      .where("tenant_id", "=", sandbox.tenantId)
      .where("id", "=", id)
      .execute();
    const during = await resend(id);
    expect(during.statusCode, during.body).toBe(409);
    expect(json<{ code: string }>(during).code).toBe("webhook_delivery_in_flight");

    // Once the claim lapses (real time), it may be re-sent and is sent.
    t.clock.advance(61_000);
    const after = await resend(id);
    expect(after.statusCode, after.body).toBe(200);
    const again = await deliverDue({ db: t.deps.db, allowPrivate: true, post: working }, t.clock.now());
    expect(again.map((o) => [o.deliveryId, o.ok])).toEqual([[id, true]]);
  });
});

describe("rotating a sandbox's webhook secret", () => {
  it("signs with the old secret too for a day of real time, not of the sandbox's", async () => {
    const tenantId = sandbox.tenantId;
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/webhook-endpoints",
      headers: sandbox.auth,
      payload: { url: "https://rotation.example.com/in", event_types: ["*"] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const endpointId = json<{ id: string }>(created).id;
    const rotated = await t.app.inject({
      method: "POST",
      url: `/v1/webhook-endpoints/${endpointId}/rotate-secret`,
      headers: sandbox.auth,
    });
    expect(rotated.statusCode, rotated.body).toBe(200);

    const signatures: string[][] = [];
    const recording: Poster = async (url, headers) => {
      if (url.startsWith("https://rotation.example.com/")) {
        signatures.push((headers["webhook-signature"] ?? "").split(" ").filter(Boolean));
      }
      return { status: 200, body: "ok" };
    };
    const sendOne = async () => {
      const now = t.clock.now();
      await t.deps.db.tenantTx(tenantId, (trx) =>
        emitEvent(trx, { tenantId, type: "test.rotated", data: {} }, now),
      );
      await dispatchEvents(t.deps.db, now);
      await deliverDue({ db: t.deps.db, allowPrivate: true, post: recording }, t.clock.now());
      return signatures.at(-1);
    };

    expect(await sendOne()).toHaveLength(2);
    t.clock.advance(25 * 3_600_000);
    expect(await sendOne()).toHaveLength(1);
  });
});
