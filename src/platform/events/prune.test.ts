import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/db.js";
import { ConfigError, loadConfig } from "../../config.js";
import { createTenant } from "../tenants.js";
import { dispatchEvents, emitEvent } from "./outbox.js";
import { DEFAULT_EVENT_RETENTION_DAYS, pruneEvents } from "./prune.js";
import { createEndpoint } from "./webhooks.js";

/**
 * Retention: delivered webhooks and dispatched events older than the retention go; what a
 * tenant may still need (a failed delivery to re-send, an undispatched event) stays.
 */
let t: TestDatabase;
let tenantId: string;
const DAY = 86_400_000;
const start = new Date("2026-06-01T00:00:00Z");

beforeAll(async () => {
  t = await createTestDatabase();
  tenantId = (await createTenant(t.db, { name: "Prune" }, start)).tenantId;
});
afterAll(async () => t?.drop());

const emit = (type: string, at: Date) =>
  t.db.tenantTx(tenantId, (trx) => emitEvent(trx, { tenantId, type, data: {} }, at));
const count = (table: "events" | "webhook_deliveries" | "webhook_attempts") =>
  t.db.systemTx(async (trx) =>
    Number(
      (
        await trx
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    ),
  );

describe("pruning events and delivered webhooks", () => {
  it("keeps 30 days, and anything with a delivery not yet succeeded", async () => {
    const { endpoint } = await t.db.tenantTx(tenantId, (trx) =>
      createEndpoint(trx, tenantId, { url: "http://127.0.0.1:9/hook", eventTypes: ["*"] }, true, start),
    );
    const delivered = await emit("member.created", start);
    const failed = await emit("member.updated", start);
    await dispatchEvents(t.db, start);
    await t.db.systemTx(async (trx) => {
      await trx
        .updateTable("webhook_deliveries")
        .set({ status: "succeeded", updated_at: start })
        .where("event_id", "=", delivered)
        .execute();
      await trx
        .updateTable("webhook_deliveries")
        .set({ status: "failed", updated_at: start })
        .where("event_id", "=", failed)
        .execute();
      const [d] = await trx
        .selectFrom("webhook_deliveries")
        .select("id")
        .where("event_id", "=", delivered)
        .execute();
      await trx
        .insertInto("webhook_attempts")
        .values({
          tenant_id: tenantId,
          id: "wat_1",
          delivery_id: d!.id,
          attempt: 1,
          status_code: 200,
          latency_ms: 5,
          created_at: start,
        })
        .execute();
    });
    const later = await emit("member.created", new Date(start.getTime() + 20 * DAY));
    await dispatchEvents(t.db, new Date(start.getTime() + 20 * DAY));
    const undispatched = await emit("member.created", start);
    expect([await count("events"), await count("webhook_deliveries")]).toEqual([4, 3]);

    // Day 30 exactly: nothing is older than 30 days yet.
    expect(await pruneEvents(t.db, new Date(start.getTime() + 30 * DAY), 30)).toEqual({
      deliveries: 0,
      events: 0,
    });
    // A day later: the delivered one and its event and attempts go; the failed one, its event,
    // the undispatched event and the later event stay.
    expect(await pruneEvents(t.db, new Date(start.getTime() + 31 * DAY), 30)).toEqual({
      deliveries: 1,
      events: 1,
    });
    const left = await t.db.systemTx((trx) => trx.selectFrom("events").select("id").orderBy("id").execute());
    expect(left.map((e) => e.id)).not.toContain(delivered);
    expect(left.map((e) => e.id)).toEqual(expect.arrayContaining([failed, later, undispatched]));
    expect([
      await count("events"),
      await count("webhook_deliveries"),
      await count("webhook_attempts"),
    ]).toEqual([3, 2, 0]);
    expect(endpoint.id).toBeTruthy();
  });

  it("takes its retention from VOUCHSAFE_EVENT_RETENTION_DAYS (1-3650, default 30)", async () => {
    expect(loadConfig({}).eventRetentionDays).toBe(DEFAULT_EVENT_RETENTION_DAYS);
    const week = loadConfig({ VOUCHSAFE_EVENT_RETENTION_DAYS: "7" }).eventRetentionDays;
    expect(week).toBe(7);
    expect(() => loadConfig({ VOUCHSAFE_EVENT_RETENTION_DAYS: "0" })).toThrow(ConfigError);
    const at = new Date(start.getTime() + 40 * DAY);
    const event = await emit("member.created", at);
    await dispatchEvents(t.db, at);
    await t.db.systemTx((trx) =>
      trx
        .updateTable("webhook_deliveries")
        .set({ status: "succeeded", updated_at: at })
        .where("event_id", "=", event)
        .execute(),
    );
    const eightDaysOn = new Date(at.getTime() + 8 * DAY);
    // Kept under the default 30 days, gone under a configured week.
    expect(await pruneEvents(t.db, eightDaysOn, DEFAULT_EVENT_RETENTION_DAYS)).toEqual({
      deliveries: 0,
      events: 0,
    });
    expect(await pruneEvents(t.db, eightDaysOn, week)).toEqual({ deliveries: 1, events: 1 });
  });
});
