import { randomBytes } from "node:crypto";
import {
  alipayNotification,
  rsaPair,
  stripeEvent,
  stripeServer,
  wechatpayNotification,
  wechatpayServer,
} from "./provider-fixtures.js";

export type Signed = { body: string; headers: Record<string, string> };

export type RealProviderName = "stripe" | "alipay" | "wechatpay";

/** A provider as a tenant configures it, and its notifications as it signs and shapes them. */
export interface ProviderCase {
  name: RealProviderName;
  /** The body of `PUT /v1/payment-providers/{name}`. */
  config: { settings: Record<string, unknown>; secrets: Record<string, unknown> };
  /** Refunds announced as everything refunded so far (else each refund alone). */
  cumulative: boolean;
  paid(ref: string, amount: number, eventId: string): Signed;
  refunded(ref: string, total: number, amount: number, refundId: string, eventId: string): Signed;
}

const WX_MCH_ID = "1900000109";
const WX_APP_ID = "wx8888888888888888";
const WX_PLATFORM_SERIAL = "PUB_KEY_ID_0001";
const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** A tenant's WeChat Pay configuration (`PUT /v1/payment-providers/wechatpay`) for local keys. */
export function wechatPayConfig(keys: {
  platformPublicKey: string;
  merchantPrivateKey: string;
  apiV3Key: string;
}) {
  return {
    settings: {
      mch_id: WX_MCH_ID,
      app_id: WX_APP_ID,
      merchant_serial: "MERCHANT0001",
      platform_serial: WX_PLATFORM_SERIAL,
      platform_public_key: keys.platformPublicKey,
    },
    secrets: { merchant_private_key: keys.merchantPrivateKey, api_v3_key: keys.apiV3Key },
  };
}

/** Alipay's amounts are decimal yuan; it may write them the shortest way ("0.1", "12.3", "100"). */
export const shortestYuan = (minor: number): string => {
  const whole = Math.floor(minor / 100);
  const cents = minor % 100;
  if (cents === 0) return String(whole);
  return cents % 10 === 0 ? `${whole}.${cents / 10}` : `${whole}.${String(cents).padStart(2, "0")}`;
};

/** Decimal yuan with two places, as Alipay usually writes them ("12.30"). */
export const twoPlaceYuan = (minor: number): string =>
  `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, "0")}`;

/**
 * Stripe, Alipay and WeChat Pay as one test file's tenants configure them: fresh keys, local
 * stand-ins of the providers' servers (`transports`, for `createTestApp`'s extension), and each
 * provider's payment and refund notifications signed as it signs them, at the test clock's time.
 */
export function realProviders(options: {
  now: () => Date;
  stripeSecret: string;
  alipayAppId: string;
  /** Alipay settings beyond the app id and key (a gateway's `notify_url`). */
  alipaySettings?: Record<string, unknown>;
  yuan?: (minor: number) => string;
}) {
  const yuan = options.yuan ?? twoPlaceYuan;
  const alipayApp = rsaPair();
  const alipayPlatform = rsaPair();
  const wxMerchant = rsaPair();
  const wxPlatform = rsaPair();
  const apiV3Key = randomBytes(16).toString("hex");
  const wxServer = wechatpayServer({
    merchantPublicKey: wxMerchant.publicKey,
    platformPrivateKey: wxPlatform.privateKey,
    platformSerial: WX_PLATFORM_SERIAL,
  });
  const stripe = stripeServer();

  /** An Alipay notification of a trade, signed; `fields` add the status and any refund. */
  const alipay = (ref: string, total: number, notifyId: string, fields: Record<string, string>): Signed => ({
    body: alipayNotification(alipayPlatform.privateKey, {
      notify_time: "2026-11-23 16:01:00",
      notify_type: "trade_status_sync",
      notify_id: notifyId,
      app_id: options.alipayAppId,
      charset: "utf-8",
      version: "1.0",
      trade_no: `2026112322${ref.slice(-6)}`,
      out_trade_no: ref,
      total_amount: yuan(total),
      ...fields,
    }),
    headers: FORM,
  });
  const wx = (event: { id: string; event_type: string; resource: Record<string, unknown> }): Signed =>
    wechatpayNotification(
      {
        platformPrivateKey: wxPlatform.privateKey,
        platformSerial: WX_PLATFORM_SERIAL,
        apiV3Key,
        now: options.now(),
      },
      event,
    );
  const stripeNotice = (event: Record<string, unknown>): Signed =>
    stripeEvent(options.stripeSecret, options.now(), event);

  const cases: ProviderCase[] = [
    {
      name: "stripe",
      config: { settings: {}, secrets: { secret_key: "sk_test_123", webhook_secret: options.stripeSecret } },
      cumulative: true,
      paid: (ref, amount, id) =>
        stripeNotice({
          id,
          type: "payment_intent.succeeded",
          data: {
            object: { id: ref, object: "payment_intent", amount, amount_received: amount, currency: "cny" },
          },
        }),
      // charge.refunded: the charge's amount_refunded is everything refunded so far; the event
      // (its id) stands for the refund, as current API versions no longer list the refunds.
      refunded: (ref, total, amountRefunded, _refundId, id) =>
        stripeNotice({
          id,
          type: "charge.refunded",
          data: {
            object: {
              id: `ch_${ref}`,
              object: "charge",
              payment_intent: ref,
              amount: total,
              amount_refunded: amountRefunded,
              currency: "cny",
            },
          },
        }),
    },
    {
      name: "alipay",
      config: {
        settings: {
          app_id: options.alipayAppId,
          alipay_public_key: alipayPlatform.publicKey,
          ...options.alipaySettings,
        },
        secrets: { app_private_key: alipayApp.privateKey },
      },
      cumulative: true,
      paid: (ref, amount, id) => alipay(ref, amount, id, { trade_status: "TRADE_SUCCESS" }),
      // refund_fee: everything refunded of the trade so far; the trade closes once all of it is.
      refunded: (ref, total, refundFee, refundId, id) =>
        alipay(ref, total, id, {
          trade_status: refundFee >= total ? "TRADE_CLOSED" : "TRADE_SUCCESS",
          refund_fee: yuan(refundFee),
          gmt_refund: "2026-11-23 16:10:00.123",
          out_biz_no: refundId,
        }),
    },
    {
      name: "wechatpay",
      config: wechatPayConfig({
        platformPublicKey: wxPlatform.publicKey,
        merchantPrivateKey: wxMerchant.privateKey,
        apiV3Key,
      }),
      cumulative: false,
      paid: (ref, amount, id) =>
        wx({
          id,
          event_type: "TRANSACTION.SUCCESS",
          resource: {
            mchid: WX_MCH_ID,
            appid: WX_APP_ID,
            out_trade_no: ref,
            transaction_id: `42000${ref.slice(-6)}`,
            trade_state: "SUCCESS",
            amount: { total: amount, payer_total: amount, currency: "CNY", payer_currency: "CNY" },
          },
        }),
      // The REFUND.SUCCESS resource as WeChat Pay sends it: this refund alone, and no currency.
      refunded: (ref, total, refund, refundId, id) =>
        wx({
          id,
          event_type: "REFUND.SUCCESS",
          resource: {
            mchid: WX_MCH_ID,
            out_trade_no: ref,
            transaction_id: `42000${ref.slice(-6)}`,
            out_refund_no: `out-${refundId}`,
            refund_id: refundId,
            refund_status: "SUCCESS",
            success_time: "2026-11-23T16:10:00+08:00",
            user_received_account: "支付用户零钱",
            amount: { total, refund, payer_total: total, payer_refund: refund },
          },
        }),
    },
  ];

  return {
    cases,
    /** For `createTestApp({ extend })`: the SDKs reach these stand-ins instead of the network. */
    transports: { wechatpayAdapter: wxServer.adapter, stripeFetch: stripe.fetch },
    /** The tenant's Alipay app public key: what Alipay checks the app's pay URLs with. */
    alipayAppPublicKey: alipayApp.publicKey,
    wxServer,
    stripe,
    alipay,
    stripeNotice,
    yuan,
  };
}
