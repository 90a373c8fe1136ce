import type { FastifyInstance } from "fastify";
import { type PayOnline, seedDemoCatalog } from "./demo-catalog.js";
import { signTestWebhook, testProviderSecret } from "./modules/wallets/index.js";

const DEMO_MEMBER_PHONE = "13900000099";

/** A Buffer payload is an uploaded image (PNG), as a photo taken at the desk would be. */
export type Call = (
  method: "GET" | "POST",
  url: string,
  payload?: object | Buffer,
  key?: string,
) => Promise<ApiBody>;
export interface ApiBody {
  id: string;
  data: { id: string; code?: string | null }[];
  path: string;
  link: { path: string };
}

/** Calls the API in-process with the demo key, as a merchant's backend would. */
function demoApi(app: FastifyInstance, apiKey: string): Call {
  return async (method, url, payload, key) => {
    const response = await app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${apiKey}`,
        "idempotency-key": key ?? `demo-${url}`,
        ...(Buffer.isBuffer(payload) ? { "content-type": "image/png" } : {}),
      },
      ...(payload ? { payload } : {}),
    });
    if (response.statusCode >= 300)
      throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
    return JSON.parse(response.body) as ApiBody;
  };
}

/**
 * The test payment provider's signed notice that a member paid an online top-up, posted to
 * the tenant's webhook as the provider would post it.
 */
function testProviderPays(
  app: FastifyInstance,
  signingSecret: string,
  tenantId: string,
  now: Date,
): PayOnline {
  return async (payUrl, amount, eventId) => {
    const signed = signTestWebhook(
      testProviderSecret(signingSecret),
      {
        id: eventId,
        provider_ref: payUrl.replace("test://pay/", ""),
        status: "succeeded",
        amount,
        currency: "CNY",
      },
      now,
    );
    const response = await app.inject({
      method: "POST",
      url: `/v1/payment-webhooks/test/${tenantId}`,
      headers: { "content-type": "application/json", ...signed.headers },
      payload: signed.body,
    });
    if (response.statusCode >= 300)
      throw new Error(`test provider notice ${eventId}: ${response.statusCode} ${response.body}`);
  };
}

/**
 * What the member center offers the demo member, set up on the first start: top-up plans (a
 * fixed one and a range), a smart top-up plan for a short balance at the cashier, a gift card
 * plan, and a voucher, so each member-center page has something to show.
 */
async function seedMemberCenterOffers(call: Call, memberId: string, now: Date): Promise<void> {
  await call(
    "POST",
    "/v1/topup-plans",
    {
      kind: "package",
      name: "充100送10",
      rule: { type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 50 },
      restrictions: { channels: ["online"] },
    },
    "demo-plan-fixed",
  );
  await call(
    "POST",
    "/v1/topup-plans",
    {
      kind: "package",
      name: "储值满100送10%",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 500 },
    },
    "demo-plan-range",
  );
  await call(
    "POST",
    "/v1/smart-topup-plans",
    {
      name: "收银台智能充值",
      rounding: "1",
      channels: ["online", "pos"],
      tiers: [
        { type: "discount", multiplier_bps: 12_000, bonus_bps: 800 },
        { type: "fixed", amount: 50_000, bonus_amount: 5_000, bonus_points: 500 },
      ],
    },
    "demo-smart-plan",
  );
  const giftPlan = await call(
    "POST",
    "/v1/gift-card-plans",
    {
      name: "中秋团圆礼品卡",
      card_type: "electronic",
      currency: "CNY",
      design: { kind: "template", template: "festival" },
      denominations: [
        { amount: 20_000, discount: 2_000 },
        { amount: 50_000, discount: 0 },
      ],
      custom_amount: { min: 5_000, max: 100_000 },
      validity: { kind: "after_purchase", years: 1 },
      channels: ["ONLINE"],
    },
    "demo-gift-plan",
  );
  await call("POST", `/v1/gift-card-plans/${giftPlan.id}/activate`, {}, "demo-gift-plan-activate");
  await call(
    "POST",
    `/v1/members/${memberId}/vouchers`,
    {
      face_value: { amount: 2_000, asset: "CNY" },
      expires_at: new Date(now.getTime() + 90 * 86_400_000).toISOString(),
    },
    "demo-voucher",
  );
}

/**
 * Links for the demo member, made through the API as a merchant's backend would: the member
 * center's home, and its cashier with an order handed over at this start (288.00, more than
 * the demo balance, so the page offers balance + online and the smart top-up). The first
 * start registers the member with a balance and points, the offers above, and the rest of
 * the demo shop (demo-catalog.ts).
 */
export async function demoMemberLinks(
  app: FastifyInstance,
  apiKey: string,
  base: string,
  now: Date,
  signingSecret?: string,
  catalog = true,
): Promise<{ url: string; cashierUrl: string; memberId: string }> {
  const call = demoApi(app, apiKey);
  let memberId = (await call("GET", `/v1/members?phone=${DEMO_MEMBER_PHONE}`)).data[0]?.id;
  if (!memberId) {
    memberId = (await call("POST", "/v1/members", { name: "林小满", phone: DEMO_MEMBER_PHONE })).id;
    await call("POST", `/v1/members/${memberId}/top-ups`, {
      amount: 20_000,
      bonus_amount: 2_000,
      reason: "开卡充值",
    });
    await call("POST", `/v1/members/${memberId}/points`, {
      operation: "earn",
      points: 860,
      reason: "开卡送积分",
    });
    await seedMemberCenterOffers(call, memberId, now);
    if (catalog) {
      // A refused call leaves the rest of the catalog out but must not cost the member link.
      const started = Date.now();
      const tenantId = (await call("GET", "/v1/tenant")).id;
      const payOnline = signingSecret ? testProviderPays(app, signingSecret, tenantId, now) : undefined;
      await seedDemoCatalog(call, memberId, now, payOnline).then(
        () => app.log.info({ ms: Date.now() - started }, "seeded the demo catalog"),
        (error) => app.log.error({ err: error }, "seeding the demo catalog failed"),
      );
    }
  }
  const link = await call("POST", "/v1/member-center/links", { member_id: memberId });
  const reference = `DEMO-${now.getTime()}`;
  const order = await call(
    "POST",
    "/v1/cashier-orders",
    {
      member_id: memberId,
      items: [
        { name: "生日蛋糕", quantity: 1, unit_amount: 26_800 },
        { name: "蜡烛", quantity: 2, unit_amount: 1_000 },
      ],
      total: 28_800,
      merchant_order_ref: reference,
    },
    `demo-cashier-${reference}`,
  );
  return { url: `${base}${link.path}`, cashierUrl: `${base}${order.link.path}`, memberId };
}
