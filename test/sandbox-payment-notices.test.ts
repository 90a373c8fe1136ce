import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTestWebhook, testProviderSecret } from "../src/modules/wallets/index.js";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "./helpers/app.js";
import { expectProblem } from "./helpers/problem.js";
import { advanceTo, createSandbox } from "./helpers/sandbox.js";
import { type TopupBody, topupClient } from "./helpers/topup.js";
import { tenantTrail } from "./helpers/trail.js";

/**
 * A provider's notification names its tenant in the URL, with no credential: a sandbox's is
 * refused while the sandbox is archived (the provider retries; once restored, the retried
 * notice settles) and is settled at the sandbox's test-clock time, like its requests. Its
 * signature is still checked against real time: the notices here are signed at the live clock's
 * time, years away from the sandboxes' clocks.
 */
let t: TestApp;
let live: TestTenant;
let seq = 0;

beforeAll(async () => {
  t = await createTestApp();
  live = await createTestTenant(t, "Acme");
});
afterAll(async () => t?.close());

const range = { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 0 };
const PAID_ONLINE = { amount: 10_000, channel: "online", payment_method: "online" };

/** An online top-up of a new member in `tenant`, waiting for its payment. */
async function pendingTopup(tenant: TestTenant) {
  const c = topupClient(t, tenant);
  const plan = await c.plan({ kind: "package", name: "Plain", rule: range });
  const member = await c.newMember();
  const started = await c.topUp(plan, { member_id: member, ...PAID_ONLINE });
  expect(started.statusCode, started.body).toBe(201);
  return { c, member, topup: json<TopupBody>(started) };
}

/** The test provider's signed success for the top-up: the one notice, sent as often as needed. */
function successNotice(topup: TopupBody) {
  return signTestWebhook(
    testProviderSecret(t.config.signingSecret),
    {
      id: `evt-${++seq}`,
      status: "succeeded",
      provider_ref: String(topup.checkout?.pay_url).replace("test://pay/", ""),
      amount: topup.amount,
      currency: "CNY",
    },
    t.clock.now(),
  );
}

const send = (route: string, tenantId: string, notice: ReturnType<typeof successNotice>) =>
  t.app.inject({
    method: "POST",
    url: `/v1/${route}/test/${tenantId}`,
    headers: { ...notice.headers, "content-type": "application/json" },
    payload: notice.body,
  });

const sandboxState = (sandbox: TestTenant, action: "archive" | "restore") =>
  t.app.inject({
    method: "POST",
    url: `/v1/sandboxes/${sandbox.tenantId}/${action}`,
    headers: { ...live.auth, "idempotency-key": `${action}-${++seq}` },
  });

const topupRow = (tenantId: string, id: string) =>
  t.database.owner
    .selectFrom("topups")
    .select(["status", "credited_at"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirstOrThrow();

const creditAudit = (tenantId: string, topupId: string) =>
  t.database.owner
    .selectFrom("audit_events")
    .select("summary")
    .where("tenant_id", "=", tenantId)
    .where("target_id", "=", topupId)
    .where("action", "=", "topup.payment_credited")
    .executeTakeFirstOrThrow()
    .then((r) => r.summary as Record<string, unknown>);

/** The five sales' notify routes: `/v1/{sale}-webhooks/{provider}/{tenant_id}`. */
const NOTIFY_ROUTES = [
  "topup-payment",
  "payment",
  "cashier-payment",
  "gift-card-payment",
  "package-payment",
].map((sale) => `${sale}-webhooks`);

describe("a payment notice to an archived sandbox", () => {
  it("is refused 403 sandbox_archived at every notify route, nothing written; once restored, the same notice settles", async () => {
    const sandbox = await createSandbox(t, live, "2030-01-01T00:00:00Z");
    const { c, member, topup } = await pendingTopup(sandbox);
    const notice = successNotice(topup);
    expect((await sandboxState(sandbox, "archive")).statusCode).toBe(200);
    const trail = tenantTrail(t, sandbox.tenantId);
    const audited = await trail.auditCount();

    for (const route of NOTIFY_ROUTES) {
      expectProblem(await send(route, sandbox.tenantId, notice), 403, "sandbox_archived");
    }
    // Refused before the signature is looked at: a tampered notice is refused alike, not 401.
    const tampered = { ...notice, body: notice.body.replace("succeeded", "failed") };
    expectProblem(await send("topup-payment-webhooks", sandbox.tenantId, tampered), 403, "sandbox_archived");
    expect(await topupRow(sandbox.tenantId, topup.id)).toMatchObject({
      status: "pending_payment",
      credited_at: null,
    });
    expect(await trail.auditCount()).toBe(audited);
    expect(await trail.events("topup.credited")).toEqual([]);

    expect((await sandboxState(sandbox, "restore")).statusCode).toBe(200);
    expect(await c.balance(member)).toMatchObject({ total: 0 });
    const heard = await send("topup-payment-webhooks", sandbox.tenantId, notice);
    expect(heard.statusCode, heard.body).toBe(200);
    expect(json(heard)).toEqual({ object: "webhook_receipt", topup_id: topup.id, result: "credited" });
    expect(await topupRow(sandbox.tenantId, topup.id)).toMatchObject({ status: "credited" });
    expect(await c.balance(member)).toMatchObject({ principal: 10_000, bonus: 1_000 });
    await trail.ledgerClean();
  });

  it("an unknown tenant still answers each route's own not-found", async () => {
    const { topup } = await pendingTopup(live);
    const notice = successNotice(topup);
    expectProblem(await send("topup-payment-webhooks", "ten_nope", notice), 404, "topup_not_found");
    expectProblem(await send("payment-webhooks", "ten_nope", notice), 404, "topup_intent_not_found");
    expectProblem(
      await send("cashier-payment-webhooks", "ten_nope", notice),
      404,
      "cashier_payment_not_found",
    );
    expectProblem(
      await send("gift-card-payment-webhooks", "ten_nope", notice),
      404,
      "gift_card_payment_not_found",
    );
    expectProblem(
      await send("package-payment-webhooks", "ten_nope", notice),
      404,
      "package_payment_not_found",
    );
  });
});

describe("a payment notice to an active sandbox", () => {
  it("is settled at the sandbox's time: past the top-up's window by its test clock, it is credited late, then", async () => {
    const sandbox = await createSandbox(t, live, "2030-01-01T00:00:00Z");
    const { topup } = await pendingTopup(sandbox);
    await advanceTo(t, sandbox, "2030-01-01T00:20:00Z");
    const heard = await send("topup-payment-webhooks", sandbox.tenantId, successNotice(topup));
    expect(heard.statusCode, heard.body).toBe(200);
    expect(json(heard)).toMatchObject({ topup_id: topup.id, result: "credited" });
    const row = await topupRow(sandbox.tenantId, topup.id);
    expect(row.status).toBe("credited");
    expect(row.credited_at?.toISOString()).toBe("2030-01-01T00:20:00.000Z");
    expect(await creditAudit(sandbox.tenantId, topup.id)).toMatchObject({ late: true });
  });

  it("is in time by the sandbox's clock though real time is long past the top-up's window", async () => {
    const sandbox = await createSandbox(t, live, "2020-01-01T00:00:00Z");
    const { topup } = await pendingTopup(sandbox);
    const heard = await send("topup-payment-webhooks", sandbox.tenantId, successNotice(topup));
    expect(heard.statusCode, heard.body).toBe(200);
    expect(json(heard)).toMatchObject({ topup_id: topup.id, result: "credited" });
    const row = await topupRow(sandbox.tenantId, topup.id);
    expect(row.credited_at?.toISOString()).toBe("2020-01-01T00:00:00.000Z");
    expect(await creditAudit(sandbox.tenantId, topup.id)).not.toHaveProperty("late");
  });
});
