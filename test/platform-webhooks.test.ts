import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { appendRow, type RowAppender } from "../src/db/database.js";
import { dispatchEvents, emitEvent } from "../src/platform/events/outbox.js";
import { guardedLookup, postGuarded } from "../src/platform/events/ssrf.js";
import {
  createEndpoint,
  DISABLE_AFTER_FAILING_SECONDS,
  deleteEndpoint,
  deliverDue,
  type Poster,
  RETRY_DELAYS_SECONDS,
  resendDelivery,
  rotateSecret,
  SECRET_OVERLAP_HOURS,
  updateEndpoint,
} from "../src/platform/events/webhooks.js";
import { createTenant } from "../src/platform/tenants.js";
import { ManualClock } from "../src/shared/clock.js";
import { createTestDatabase, type TestDatabase } from "./helpers/db.js";
import { waitFor } from "./helpers/wait.js";

let t: TestDatabase;
let tenantId: string;
let otherTenant: string;
const clock = new ManualClock("2026-06-01T00:00:00Z");

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local receiver whose answers the test decides, recording what it got. */
async function receiver(answer: (n: number) => number | "hang" | "huge") {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const a = answer(received.length);
      if (a === "hang") return;
      if (a === "huge") {
        res.writeHead(200);
        res.end("x".repeat(1024 * 1024));
        return;
      }
      res.writeHead(a);
      res.end(a < 300 ? "ok" : "receiver error");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * An independent verifier written from the Standard Webhooks specification: the secret
 * after `whsec_` is base64; the signed content is `${webhook-id}.${webhook-timestamp}.${body}`;
 * `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>`; timestamps
 * outside a tolerance are refused.
 */
function verifyStandardWebhook(
  secret: string,
  headers: http.IncomingHttpHeaders,
  body: string,
  nowSeconds: number,
) {
  const id = String(headers["webhook-id"]);
  const timestamp = String(headers["webhook-timestamp"]);
  const signatures = String(headers["webhook-signature"]).split(" ");
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.split("_")[1]!, "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.some((s) => {
    const [version, value] = s.split(",");
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  tenantId = (await createTenant(t.db, { name: "Hooks" }, clock.now())).tenantId;
  otherTenant = (await createTenant(t.db, { name: "Other" }, clock.now())).tenantId;
});
afterAll(async () => {
  await t.drop();
});

async function eventCount(type: string) {
  const rows = await t.owner.selectFrom("events").select("id").where("type", "=", type).execute();
  return rows.length;
}

describe("transactional outbox", () => {
  it("a rolled-back change emits nothing; a committed one emits its event", async () => {
    await expect(
      t.db.tenantTx(tenantId, async (trx) => {
        await emitEvent(trx, { tenantId, type: "wallet.topped_up", data: { amount: 100 } }, clock.now());
        throw new Error("the top-up failed after the event was written");
      }),
    ).rejects.toThrow("top-up failed");
    expect(await eventCount("wallet.topped_up")).toBe(0);

    const id = await t.db.tenantTx(tenantId, (trx) =>
      emitEvent(trx, { tenantId, type: "wallet.topped_up", data: { amount: 100 } }, clock.now()),
    );
    expect(id).toMatch(/^evt_[0-9a-z]{26}$/);
    expect(await eventCount("wallet.topped_up")).toBe(1);
  });

  it("goes to a unit of work's appender when given one, and is written when the unit writes", async () => {
    const pending: { table: string; row: object }[] = [];
    const appender: RowAppender = { append: (table, row) => void pending.push({ table, row }) };
    await emitEvent(
      appender,
      { tenantId, type: "voucher.issued", data: { voucher_id: "vch_1" } },
      clock.now(),
    );
    expect(await eventCount("voucher.issued")).toBe(0);
    expect(pending).toHaveLength(1);
    await t.db.tenantTx(tenantId, async (trx) => {
      for (const p of pending) await appendRow(trx, p.table as "events", p.row as never);
    });
    expect(await eventCount("voucher.issued")).toBe(1);
  });

  it("RLS keeps a tenant's events from another tenant", async () => {
    const seen = await t.db.tenantTx(otherTenant, (trx) => trx.selectFrom("events").selectAll().execute());
    expect(seen).toEqual([]);
  });
});

describe("webhook deliveries", () => {
  it("signs deliveries so that an independent Standard Webhooks verifier accepts them", async () => {
    const r = await receiver(() => 204);
    const { endpoint, secret } = await t.db.tenantTx(tenantId, (trx) =>
      createEndpoint(trx, tenantId, { url: r.url, eventTypes: ["member.created"] }, true, clock.now()),
    );
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const eventId = await t.db.tenantTx(tenantId, (trx) =>
      emitEvent(
        trx,
        { tenantId, type: "member.created", data: { member_id: "mbr_1", name: "李雷" } },
        clock.now(),
      ),
    );
    await t.db.tenantTx(tenantId, (trx) =>
      emitEvent(trx, { tenantId, type: "member.deleted", data: { member_id: "mbr_2" } }, clock.now()),
    );
    expect(await dispatchEvents(t.db, clock.now())).toBeGreaterThanOrEqual(2);
    expect(await dispatchEvents(t.db, clock.now())).toBe(0);
    const outcomes = await deliverDue({ db: t.db, allowPrivate: true }, clock.now());
    expect(outcomes.filter((o) => o.tenantId === tenantId && o.ok)).toHaveLength(1);
    expect(r.received).toHaveLength(1);
    const got = r.received[0]!;
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    expect(got.headers["webhook-id"]).toBe(eventId);
    expect(verifyStandardWebhook(secret, got.headers, got.body, nowSeconds)).toBe(true);
    // Tampering with the body, or a different secret, fails verification.
    expect(verifyStandardWebhook(secret, got.headers, got.body.replace("李雷", "韩梅梅"), nowSeconds)).toBe(
      false,
    );
    expect(verifyStandardWebhook("whsec_c2VjcmV0", got.headers, got.body, nowSeconds)).toBe(false);
    expect(JSON.parse(got.body)).toMatchObject({
      id: eventId,
      object: "event",
      type: "member.created",
      version: 1,
      data: { member_id: "mbr_1", name: "李雷" },
    });
    // Delivered once: nothing more is due.
    expect(await deliverDue({ db: t.db, allowPrivate: true }, clock.now())).toEqual([]);
    await t.db.tenantTx(tenantId, (trx) =>
      updateEndpoint(trx, tenantId, endpoint.id, { enabled: false }, true, clock.now()),
    );
    await r.close();
  });

  it("retries a failing receiver for more than a day, then disables the endpoint and tells the tenant", async () => {
    const r = await receiver(() => 500);
    const { endpoint } = await t.db.tenantTx(tenantId, (trx) =>
      createEndpoint(trx, tenantId, { url: r.url, eventTypes: ["*"] }, true, clock.now()),
    );
    const firstAttemptAt = clock.now().getTime();
    await t.db.tenantTx(tenantId, (trx) =>
      emitEvent(
        trx,
        { tenantId, type: "deposit.campaigns_suspended", data: { account: "dep_1" } },
        clock.now(),
      ),
    );
    await dispatchEvents(t.db, clock.now());
    const deliver = () => deliverDue({ db: t.db, allowPrivate: true }, clock.now());
    expect(await deliver()).toHaveLength(1);
    for (const delay of RETRY_DELAYS_SECONDS) {
      // Just before the retry is due nothing happens; at the due time exactly one attempt.
      clock.advance(delay * 1000 - 1000);
      expect(await deliver()).toHaveLength(0);
      clock.advance(1000);
      const outcomes = await deliver();
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ ok: false, statusCode: 500 });
    }
    expect(r.received).toHaveLength(RETRY_DELAYS_SECONDS.length + 1);
    expect((clock.now().getTime() - firstAttemptAt) / 1000).toBeGreaterThanOrEqual(
      DISABLE_AFTER_FAILING_SECONDS,
    );

    const state = await t.db.tenantTx(tenantId, async (trx) => ({
      endpoint: await trx
        .selectFrom("webhook_endpoints")
        .selectAll()
        .where("id", "=", endpoint.id)
        .executeTakeFirstOrThrow(),
      deliveries: await trx
        .selectFrom("webhook_deliveries")
        .selectAll()
        .where("endpoint_id", "=", endpoint.id)
        .execute(),
      attempts: await trx.selectFrom("webhook_attempts").selectAll().orderBy("attempt").execute(),
      inbox: await trx.selectFrom("inbox_messages").selectAll().execute(),
    }));
    expect(state.endpoint.enabled).toBe(false);
    expect(state.endpoint.disabled_reason).toContain("HTTP 500");
    expect(state.deliveries).toEqual([
      expect.objectContaining({
        status: "failed",
        attempts: 8,
        last_status_code: 500,
        next_attempt_at: null,
      }),
    ]);
    const mine = state.attempts.filter((a) => a.delivery_id === state.deliveries[0]!.id);
    expect(mine.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(mine.every((a) => a.status_code === 500 && a.error === "HTTP 500")).toBe(true);
    expect(state.inbox).toEqual([
      expect.objectContaining({
        recipient: "tenant",
        notice_type: "webhook_endpoint.disabled",
        data: expect.objectContaining({ endpoint_id: endpoint.id }),
      }),
    ]);

    // The receiver is fixed: enable the endpoint, re-send the failed delivery.
    await r.close();
    const fixed = await receiver(() => 200);
    await t.db.tenantTx(tenantId, async (trx) => {
      await updateEndpoint(trx, tenantId, endpoint.id, { url: fixed.url, enabled: true }, true, clock.now());
      await resendDelivery(trx, tenantId, state.deliveries[0]!.id, clock.now());
    });
    expect(await deliver()).toEqual([expect.objectContaining({ ok: true, statusCode: 200 })]);
    expect(fixed.received).toHaveLength(1);
    await t.db.tenantTx(tenantId, (trx) =>
      updateEndpoint(trx, tenantId, endpoint.id, { enabled: false }, true, clock.now()),
    );
    await fixed.close();
  });

  it("a receiver that recovers within the schedule gets the event and the endpoint stays enabled", async () => {
    const r = await receiver((n) => (n < 3 ? 503 : 200));
    const { endpoint } = await t.db.tenantTx(tenantId, (trx) =>
      createEndpoint(trx, tenantId, { url: r.url, eventTypes: ["gift_card.redeemed"] }, true, clock.now()),
    );
    await t.db.tenantTx(tenantId, (trx) =>
      emitEvent(trx, { tenantId, type: "gift_card.redeemed", data: {} }, clock.now()),
    );
    await dispatchEvents(t.db, clock.now());
    const deliver = () => deliverDue({ db: t.db, allowPrivate: true }, clock.now());
    await deliver();
    clock.advance(RETRY_DELAYS_SECONDS[0] * 1000);
    await deliver();
    clock.advance(RETRY_DELAYS_SECONDS[1] * 1000);
    expect(await deliver()).toEqual([expect.objectContaining({ ok: true })]);
    const row = await t.db.tenantTx(tenantId, (trx) =>
      trx.selectFrom("webhook_endpoints").selectAll().where("id", "=", endpoint.id).executeTakeFirstOrThrow(),
    );
    expect(row).toMatchObject({ enabled: true, failing_since: null });
    await r.close();
  });
});

describe("an endpoint deleted while its delivery is being sent", () => {
  it("drops that delivery and records the rest of the batch", async () => {
    const own = (await createTenant(t.db, { name: "Deleting" }, clock.now())).tenantId;
    const create = (url: string) =>
      t.db.tenantTx(own, (trx) =>
        createEndpoint(trx, own, { url, eventTypes: ["order.paid"] }, true, clock.now()),
      );
    const deleted = (await create("https://deleted.example/hooks")).endpoint;
    const kept = (await create("https://kept.example/hooks")).endpoint;
    await t.db.tenantTx(own, (trx) =>
      emitEvent(trx, { tenantId: own, type: "order.paid", data: {} }, clock.now()),
    );
    await dispatchEvents(t.db, clock.now());

    // The operator deletes the endpoint after its delivery was claimed, while it is on the wire;
    // the other endpoint answers once the deletion has committed.
    let deletion: Promise<void> | undefined;
    const post: Poster = async (url) => {
      if (url.startsWith("https://deleted.")) {
        deletion = t.db.tenantTx(own, (trx) => deleteEndpoint(trx, own, deleted.id));
        await deletion;
      } else {
        while (!deletion) await new Promise((resolve) => setImmediate(resolve));
        await deletion;
      }
      return { status: 200, body: "ok" };
    };
    const outcomes = await deliverDue({ db: t.db, allowPrivate: true, post }, clock.now());
    expect(outcomes.filter((o) => o.tenantId === own)).toEqual([
      expect.objectContaining({ ok: true, statusCode: 200 }),
    ]);

    const state = await t.db.tenantTx(own, async (trx) => ({
      deliveries: await trx
        .selectFrom("webhook_deliveries")
        .select(["endpoint_id", "status", "attempts", "claimed_until"])
        .execute(),
      attempts: await trx.selectFrom("webhook_attempts").select(["delivery_id", "status_code"]).execute(),
    }));
    // The deleted endpoint's delivery went with it; the other one is recorded, its claim released.
    expect(state.deliveries).toEqual([
      { endpoint_id: kept.id, status: "succeeded", attempts: 1, claimed_until: null },
    ]);
    expect(state.attempts).toEqual([expect.objectContaining({ status_code: 200 })]);
    // Nothing is left to send.
    const again = await deliverDue({ db: t.db, allowPrivate: true, post }, clock.now());
    expect(again.filter((o) => o.tenantId === own)).toEqual([]);
  });
});

const held: (() => void)[] = [];

/** A poster that holds each request until the test releases it. */
function blockingPoster() {
  const waiting: { url: string; release: () => void }[] = [];
  const post: Poster = (url) =>
    new Promise((resolve) => {
      const release = () => resolve({ status: 200, body: "ok" });
      held.push(release);
      waiting.push({ url, release });
    });
  const started = (n: number) => waitFor(() => waiting.length >= n, `${n} request(s) on the wire`);
  return { post, waiting, started };
}

describe("a delivery re-sent while it is being sent", () => {
  // A failing test must not leave a worker run holding a claim into the next one.
  afterEach(() => {
    for (const release of held.splice(0)) release();
  });
  async function oneDelivery(name: string) {
    const own = (await createTenant(t.db, { name }, clock.now())).tenantId;
    const { endpoint } = await t.db.tenantTx(own, (trx) =>
      createEndpoint(
        trx,
        own,
        { url: "https://slow.example/hooks", eventTypes: ["order.paid"] },
        true,
        clock.now(),
      ),
    );
    await t.db.tenantTx(own, (trx) =>
      emitEvent(trx, { tenantId: own, type: "order.paid", data: {} }, clock.now()),
    );
    await dispatchEvents(t.db, clock.now());
    const delivery = await t.db.tenantTx(own, (trx) =>
      trx
        .selectFrom("webhook_deliveries")
        .select("id")
        .where("endpoint_id", "=", endpoint.id)
        .executeTakeFirstOrThrow(),
    );
    const state = () =>
      t.db.tenantTx(own, async (trx) => ({
        delivery: await trx
          .selectFrom("webhook_deliveries")
          .select(["status", "attempts", "step", "claimed_until"])
          .where("id", "=", delivery.id)
          .executeTakeFirstOrThrow(),
        attempts: await trx
          .selectFrom("webhook_attempts")
          .select("attempt")
          .where("delivery_id", "=", delivery.id)
          .execute(),
      }));
    return { own, deliveryId: delivery.id, state };
  }
  const mine = (outcomes: { tenantId: string }[], own: string) => outcomes.filter((o) => o.tenantId === own);

  it("is refused while a worker holds it, and no second worker picks it up meanwhile", async () => {
    const { own, deliveryId, state } = await oneDelivery("In flight");
    const slow = blockingPoster();
    const now = clock.now();
    const first = deliverDue({ db: t.db, allowPrivate: true, post: slow.post }, now);
    await slow.started(1);

    await expect(
      t.db.tenantTx(own, (trx) => resendDelivery(trx, own, deliveryId, now)),
    ).rejects.toMatchObject({ code: "webhook_delivery_in_flight" });
    // Another worker run finds nothing of this tenant's to send.
    const other = blockingPoster();
    expect(mine(await deliverDue({ db: t.db, allowPrivate: true, post: other.post }, now), own)).toEqual([]);
    expect(other.waiting).toHaveLength(0);

    slow.waiting[0]!.release();
    expect(mine(await first, own)).toEqual([expect.objectContaining({ ok: true, statusCode: 200 })]);
    expect(await state()).toMatchObject({
      delivery: { status: "succeeded", attempts: 1, claimed_until: null },
      attempts: [{ attempt: 1 }],
    });
    // Once the attempt is recorded, the re-send is accepted and sends once more.
    await t.db.tenantTx(own, (trx) => resendDelivery(trx, own, deliveryId, now));
    const again = blockingPoster();
    const resent = deliverDue({ db: t.db, allowPrivate: true, post: again.post }, now);
    await again.started(1);
    again.waiting[0]!.release();
    expect(mine(await resent, own)).toEqual([expect.objectContaining({ ok: true })]);
    expect((await state()).delivery).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("a stalled attempt whose claim lapsed does not overwrite the re-sent delivery", async () => {
    const { own, deliveryId, state } = await oneDelivery("Stalled");
    const stalled = blockingPoster();
    const claimedAt = clock.now();
    const first = deliverDue({ db: t.db, allowPrivate: true, post: stalled.post }, claimedAt);
    await stalled.started(1);

    // Well after the claim has lapsed the operator re-sends; the stalled worker then finishes.
    const later = new Date(claimedAt.getTime() + 120_000);
    await t.db.tenantTx(own, (trx) => resendDelivery(trx, own, deliveryId, later));
    stalled.waiting[0]!.release();
    expect(mine(await first, own)).toEqual([]);
    expect(await state()).toMatchObject({
      delivery: { status: "pending", attempts: 0, step: 0, claimed_until: null },
      attempts: [],
    });

    // The re-sent delivery is sent once and its own outcome recorded.
    const fresh = blockingPoster();
    const resent = deliverDue({ db: t.db, allowPrivate: true, post: fresh.post }, later);
    await fresh.started(1);
    fresh.waiting[0]!.release();
    expect(mine(await resent, own)).toEqual([expect.objectContaining({ ok: true })]);
    expect(await state()).toMatchObject({
      delivery: { status: "succeeded", attempts: 1, claimed_until: null },
      attempts: [{ attempt: 1 }],
    });
  });
});

describe("webhook secret rotation", () => {
  it("signs with the new and the replaced secret for the overlap window, then with the new one only", async () => {
    const r = await receiver(() => 204);
    const { endpoint, secret: oldSecret } = await t.db.tenantTx(tenantId, (trx) =>
      createEndpoint(trx, tenantId, { url: r.url, eventTypes: ["member.rotated"] }, true, clock.now()),
    );
    const newSecret = await t.db.tenantTx(tenantId, (trx) =>
      rotateSecret(trx, tenantId, endpoint.id, clock.now()),
    );
    expect(newSecret).not.toBe(oldSecret);
    const deliver = async (at: Date) => {
      await t.db.tenantTx(tenantId, (trx) =>
        emitEvent(trx, { tenantId, type: "member.rotated", data: {} }, at),
      );
      await dispatchEvents(t.db, at);
      await deliverDue({ db: t.db, allowPrivate: true }, at);
      return r.received.at(-1)!;
    };
    const during = await deliver(clock.now());
    const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyStandardWebhook(newSecret, during.headers, during.body, seconds(clock.now()))).toBe(true);
    expect(verifyStandardWebhook(oldSecret, during.headers, during.body, seconds(clock.now()))).toBe(true);

    const after = new Date(clock.now().getTime() + (SECRET_OVERLAP_HOURS * 3600 + 1) * 1000);
    const later = await deliver(after);
    expect(String(later.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifyStandardWebhook(newSecret, later.headers, later.body, seconds(after))).toBe(true);
    expect(verifyStandardWebhook(oldSecret, later.headers, later.body, seconds(after))).toBe(false);
    await t.db.tenantTx(tenantId, (trx) =>
      updateEndpoint(trx, tenantId, endpoint.id, { enabled: false }, true, clock.now()),
    );
    await r.close();
  });
});

describe("SSRF guard", () => {
  it.each([
    "ftp://example.com/hook",
    "file:///etc/passwd",
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.10/hook",
    "http://[fc00::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::127.0.0.1]/hook",
    "http://[::10.0.0.1]/hook",
    "http://[2002:7f00:1::]/hook",
    // The metadata address through a local-use NAT64 prefix and as an IPv4-translated address.
    "http://[64:ff9b:1::a9fe:a9fe]/hook",
    "http://[::ffff:0:a9fe:a9fe]/hook",
    "http://[fec0::1]/hook",
    "http://0.0.0.0/hook",
    "http://user:pass@example.com/hook",
  ])("refuses to register %s", async (url) => {
    await expect(
      t.db.tenantTx(tenantId, (trx) =>
        createEndpoint(trx, tenantId, { url, eventTypes: ["*"] }, false, clock.now()),
      ),
    ).rejects.toMatchObject({ code: "webhook_url_refused" });
  });

  it("refuses at connect time a name that resolves to an internal address", async () => {
    const error = await new Promise<Error | null>((resolve) =>
      guardedLookup(false)("localhost", { family: 0 }, (e) => resolve(e)),
    );
    expect(error?.message).toMatch(/internal address/);
    // The tenant reads this in its delivery log: it must not map our internal names to addresses.
    expect(error?.message).not.toMatch(/127\.0\.0\.1|::1/);
  });

  it("refuses delivery to a loopback receiver unless private targets are allowed", async () => {
    const r = await receiver(() => 200);
    await expect(postGuarded(r.url, {}, "{}", { allowPrivate: false })).rejects.toThrow(/internal/);
    expect(r.received).toHaveLength(0);
    await expect(postGuarded(r.url, {}, "{}", { allowPrivate: true })).resolves.toMatchObject({
      status: 200,
    });
    await r.close();
  });

  it("gives up on a receiver that does not answer within the timeout, and caps response bodies", async () => {
    const hang = await receiver(() => "hang");
    await expect(postGuarded(hang.url, {}, "{}", { allowPrivate: true, timeoutMs: 300 })).rejects.toThrow(
      /timed out/,
    );
    await hang.close();
    const huge = await receiver(() => "huge");
    const response = await postGuarded(huge.url, {}, "{}", { allowPrivate: true });
    expect(response.body.length).toBeLessThanOrEqual(64 * 1024);
    await huge.close();
  });
});
