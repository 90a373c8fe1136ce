import { createSign, generateKeyPairSync, randomBytes } from "node:crypto";
import Stripe from "stripe";
import { Aes, Formatter, Rsa } from "wechatpay-axios-plugin";

/** A fresh RSA-2048 key pair (PEM): every provider key in the fixtures is made here, locally. */
export function rsaPair() {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

/**
 * An Alipay asynchronous notification as Alipay sends it: form-encoded, RSA2 (SHA256withRSA)
 * over the parameters sorted by name without sign and sign_type, joined as k=v with &.
 */
export function alipayNotification(alipayPrivateKey: string, params: Record<string, string>) {
  const content = Object.keys(params)
    .filter((k) => k !== "sign" && k !== "sign_type" && params[k] !== "")
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
  const sign = createSign("RSA-SHA256").update(content, "utf8").sign(alipayPrivateKey, "base64");
  return new URLSearchParams({ ...params, sign_type: "RSA2", sign }).toString();
}

/** A WeChat Pay APIv3 notification: AEAD_AES_256_GCM resource, Wechatpay-* headers signed by the platform key. */
export function wechatpayNotification(
  o: {
    platformPrivateKey: string;
    platformSerial: string;
    apiV3Key: string;
    now: Date;
    /** The Wechatpay-Timestamp header as sent (signed with the rest); else `now` in seconds. */
    timestamp?: string;
  },
  event: { id: string; event_type: string; resource: Record<string, unknown> },
) {
  const nonce = randomBytes(6).toString("hex");
  const aad = "transaction";
  const ciphertext = Aes.AesGcm.encrypt(JSON.stringify(event.resource), o.apiV3Key, nonce, aad);
  const body = JSON.stringify({
    id: event.id,
    create_time: o.now.toISOString(),
    resource_type: "encrypt-resource",
    event_type: event.event_type,
    summary: "支付成功",
    resource: {
      original_type: "transaction",
      algorithm: "AEAD_AES_256_GCM",
      ciphertext,
      associated_data: aad,
      nonce,
    },
  });
  const timestamp = o.timestamp ?? String(Math.floor(o.now.getTime() / 1000));
  const headerNonce = randomBytes(16).toString("hex");
  const signature = Rsa.sign(Formatter.response(timestamp, headerNonce, body), o.platformPrivateKey);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "wechatpay-timestamp": timestamp,
      "wechatpay-nonce": headerNonce,
      "wechatpay-serial": o.platformSerial,
      "wechatpay-signature": signature,
    },
  };
}

/**
 * A stand-in for WeChat Pay's server (an axios adapter): checks the request is signed by the
 * merchant key, answers a Native order with a code_url and an H5 order with an h5_url, signed
 * by the platform key.
 */
export function wechatpayServer(o: {
  merchantPublicKey: string;
  platformPrivateKey: string;
  platformSerial: string;
}) {
  const seen: { url: string; body: Record<string, unknown>; verified: boolean }[] = [];
  const adapter = async (config: {
    url: string;
    baseURL?: string;
    method: string;
    data: string;
    headers: Record<string, string>;
  }) => {
    const auth = String(config.headers.Authorization ?? config.headers.authorization ?? "");
    const field = (k: string) => new RegExp(`${k}="([^"]+)"`).exec(auth)?.[1] ?? "";
    const url = new URL(config.url, config.baseURL ?? "https://api.mch.weixin.qq.com/");
    const message = Formatter.request(
      config.method.toUpperCase(),
      url.pathname + url.search,
      field("timestamp"),
      field("nonce_str"),
      config.data,
    );
    const verified = Rsa.verify(message, field("signature"), o.merchantPublicKey);
    seen.push({ url: url.pathname, body: JSON.parse(config.data) as Record<string, unknown>, verified });
    const prepay = randomBytes(4).toString("hex");
    const data = JSON.stringify(
      url.pathname === "/v3/pay/transactions/h5"
        ? { h5_url: `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx${prepay}&package=1` }
        : { code_url: `weixin://wxpay/bizpayurl?pr=${prepay}` },
    );
    const timestamp = String(Formatter.timestamp());
    const nonce = randomBytes(16).toString("hex");
    return {
      data,
      status: verified ? 200 : 401,
      statusText: "OK",
      config,
      headers: {
        "content-type": "application/json",
        "wechatpay-timestamp": timestamp,
        "wechatpay-nonce": nonce,
        "wechatpay-serial": o.platformSerial,
        "wechatpay-signature": Rsa.sign(Formatter.response(timestamp, nonce, data), o.platformPrivateKey),
      },
    };
  };
  return { adapter, seen };
}

/**
 * A stand-in for Stripe's API (a fetch): PaymentIntents are created with the amount asked;
 * Checkout Sessions (`/v1/checkout/sessions`) answer an open session with its page's URL, and
 * what was sent (the form, as Stripe reads its bracketed keys) is kept in `sessions`.
 */
export function stripeServer() {
  const created: { amount: number; currency: string; idempotencyKey: string | null }[] = [];
  const sessions: { form: Record<string, string>; idempotencyKey: string | null; id: string }[] = [];
  const answer = (body: Record<string, unknown>) =>
    new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json", "request-id": "req_test" },
    });
  const fetchFn = (async (url: string, init: { body: string; headers: Record<string, string> }) => {
    const form = new URLSearchParams(init.body);
    const idempotencyKey = new Headers(init.headers).get("idempotency-key");
    if (new URL(url).pathname === "/v1/checkout/sessions") {
      const id = `cs_test_${randomBytes(8).toString("hex")}`;
      sessions.push({ form: Object.fromEntries(form), idempotencyKey, id });
      return answer({
        id,
        object: "checkout.session",
        mode: "payment",
        status: "open",
        payment_status: "unpaid",
        payment_intent: null,
        amount_total: Number(form.get("line_items[0][price_data][unit_amount]")),
        currency: form.get("line_items[0][price_data][currency]"),
        url: `https://checkout.stripe.com/c/pay/${id}#fidkdWxOYHwnPyd1blpxYHZxWjA0`,
      });
    }
    const id = `pi_${randomBytes(6).toString("hex")}`;
    created.push({
      amount: Number(form.get("amount")),
      currency: String(form.get("currency")),
      idempotencyKey,
    });
    return answer({
      id,
      object: "payment_intent",
      amount: Number(form.get("amount")),
      currency: form.get("currency"),
      client_secret: `${id}_secret_x`,
      status: "requires_payment_method",
    });
  }) as unknown as typeof fetch;
  return { fetch: fetchFn, created, sessions };
}

/** A Stripe webhook as Stripe sends it: the event JSON and its Stripe-Signature header at `now`. */
export function stripeEvent(secret: string, now: Date, event: Record<string, unknown>) {
  const payload = JSON.stringify({ object: "event", api_version: "2025-01-01", ...event });
  const header = new Stripe("sk_test_x").webhooks.generateTestHeaderString({
    payload,
    secret,
    timestamp: Math.floor(now.getTime() / 1000),
  });
  return { body: payload, headers: { "content-type": "application/json", "stripe-signature": header } };
}
