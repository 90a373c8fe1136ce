import { createPrivateKey, createPublicKey } from "node:crypto";
import { Aes, Formatter, Rsa, Wechatpay } from "wechatpay-axios-plugin";
import {
  type CreatePaymentInput,
  type PaymentProvider,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookOutcome,
} from "../payment-providers.js";
import { WalletsError } from "../wallets.errors.js";
import { header, invalidSignature, notifyUrlFor } from "./money-text.js";

export interface WechatpayConfig {
  mchId: string;
  appId: string;
  /** The merchant API certificate's serial number and private key (PEM): requests are signed with it. */
  merchantSerial: string;
  merchantPrivateKey: string;
  /** The APIv3 key (32 bytes): notification resources are AES-256-GCM under it. */
  apiV3Key: string;
  /** WeChat Pay's platform certificate serial (or public key id) and public key (PEM). */
  platformSerial: string;
  platformPublicKey: string;
  notifyUrl?: string;
  /** Tests: an axios adapter standing in for the network. */
  adapter?: unknown;
}

/**
 * WeChat Pay H5 returns the member to the page named by `redirect_url` appended to its h5_url
 * (URL-encoded; WeChat only follows it on the merchant's registered H5 domain). Without one,
 * WeChat returns to the page that opened the h5_url.
 */
function withRedirect(h5Url: string, returnUrl: string | undefined): string {
  if (!returnUrl) return h5Url;
  return `${h5Url}${h5Url.includes("?") ? "&" : "?"}redirect_url=${encodeURIComponent(returnUrl)}`;
}

/**
 * WeChat Pay APIv3 (wechatpay-axios-plugin): a Native payment (`/v3/pay/transactions/native`,
 * a code_url for a QR code scanned from a computer's screen) or, for a member on a phone, an
 * H5 payment (`/v3/pay/transactions/h5`, an h5_url the phone's browser opens to hand over to
 * WeChat; WeChat Pay requires the payer's address, which it compares with the address that
 * opens the URL); the SDK signs the request with the merchant key and verifies the answer
 * with the platform key. Then the notification (the same for both): Wechatpay-Signature over
 * `timestamp\nnonce\nbody\n` verified with the platform public key named by Wechatpay-Serial,
 * timestamp within 5 minutes, then the resource decrypted (AEAD_AES_256_GCM, APIv3 key).
 * Only CNY; a notification for another merchant is refused.
 */
export class WechatpayProvider implements PaymentProvider {
  readonly name = "wechatpay";
  readonly currencies = ["CNY"] as const;
  readonly resendsUntilAcknowledged = true;
  private readonly client: ReturnType<typeof buildClient>;

  constructor(private readonly config: WechatpayConfig) {
    this.client = buildClient(config);
  }

  async createPayment(input: CreatePaymentInput) {
    const order = {
      appid: this.config.appId,
      mchid: this.config.mchId,
      description: input.description,
      out_trade_no: input.intentId,
      time_expire: input.expiresAt.toISOString().replace(/\.\d{3}Z$/, "+00:00"),
      notify_url: notifyUrlFor(input.notifyUrl, this.config.notifyUrl) ?? "https://example.invalid/notify",
      amount: { total: input.amount, currency: input.currency },
    };
    if (input.scene === "mobile") {
      const payerIp = payerAddress(input.payerIp);
      if (!payerIp)
        throw new WalletsError("payment_provider_error", "WeChat Pay H5 needs the payer's address");
      const { data } = (await this.client.v3.pay.transactions.h5.post({
        ...order,
        scene_info: { payer_client_ip: payerIp, h5_info: { type: "Wap" } },
      })) as { data: { h5_url?: string } };
      if (!data.h5_url) throw new WalletsError("payment_provider_error", "WeChat Pay gave no h5_url");
      return {
        providerRef: input.intentId,
        checkout: { h5_url: withRedirect(data.h5_url, input.returnUrl) },
      };
    }
    const { data } = (await this.client.v3.pay.transactions.native.post(order)) as {
      data: { code_url?: string };
    };
    if (!data.code_url) throw new WalletsError("payment_provider_error", "WeChat Pay gave no code_url");
    return { providerRef: input.intentId, checkout: { code_url: data.code_url } };
  }

  parseWebhook(
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
    now: Date,
  ): WebhookOutcome {
    const timestamp = header(headers, "wechatpay-timestamp");
    const nonce = header(headers, "wechatpay-nonce");
    const signature = header(headers, "wechatpay-signature");
    const serial = header(headers, "wechatpay-serial");
    if (!timestamp || !nonce || !signature || !serial) throw invalidSignature("missing Wechatpay-* headers");
    if (serial !== this.config.platformSerial) throw invalidSignature(`unknown platform serial ${serial}`);
    // Whole seconds only: Number() would read "" as 0 and "soon" as NaN, which no comparison refuses.
    const sentAt = /^[0-9]{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
    if (!(Math.abs(now.getTime() / 1000 - sentAt) <= WEBHOOK_TOLERANCE_SECONDS))
      throw invalidSignature("timestamp outside tolerance");
    const key = createPublicKey(this.config.platformPublicKey);
    if (!Rsa.verify(Formatter.response(timestamp, nonce, rawBody), signature, key))
      throw invalidSignature("bad signature");
    const body = JSON.parse(rawBody) as {
      id: string;
      event_type: string;
      resource: { algorithm: string; ciphertext: string; nonce: string; associated_data?: string };
    };
    let resource: Record<string, unknown>;
    try {
      const r = body.resource;
      resource = JSON.parse(
        Aes.AesGcm.decrypt(r.ciphertext, this.config.apiV3Key, r.nonce, r.associated_data ?? ""),
      );
    } catch {
      throw invalidSignature("the resource does not decrypt under the APIv3 key");
    }
    if (resource.mchid !== this.config.mchId) throw invalidSignature("another merchant's notification");
    const amount = resource.amount as { total: number; currency?: string; refund?: number };
    const base = {
      eventId: body.id,
      providerRef: String(resource.out_trade_no ?? ""),
      amount: amount.total,
      // A refund's resource names no currency (amount: total, refund, payer_total, payer_refund):
      // it is the payment's, and this adapter takes CNY only.
      currency: amount.currency ?? "CNY",
    };
    if (body.event_type.startsWith("REFUND.")) {
      return {
        ...base,
        kind: "refund",
        status: body.event_type === "REFUND.SUCCESS" ? "succeeded" : "failed",
        refundAmount: amount.refund ?? 0,
        refundId: String(resource.refund_id ?? body.id),
      };
    }
    return { ...base, kind: "payment", status: resource.trade_state === "SUCCESS" ? "succeeded" : "failed" };
  }
}

/**
 * The payer's address as WeChat Pay takes it: an IPv4 address a dual-stack socket reports as
 * IPv4-mapped IPv6 (`::ffff:203.0.113.7`) is sent as the IPv4 address it is.
 */
function payerAddress(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return mapped ? mapped[1] : ip;
}

function buildClient(config: WechatpayConfig) {
  return new Wechatpay({
    mchid: config.mchId,
    serial: config.merchantSerial,
    // KeyObjects, never strings: the SDK would read a `file://` string from disk.
    privateKey: createPrivateKey(config.merchantPrivateKey),
    certs: { [config.platformSerial]: createPublicKey(config.platformPublicKey) },
    ...(config.adapter ? { adapter: config.adapter } : {}),
  } as never) as unknown as {
    v3: {
      pay: {
        transactions: {
          native: { post(body: object): Promise<unknown> };
          h5: { post(body: object): Promise<unknown> };
        };
      };
    };
  };
}
