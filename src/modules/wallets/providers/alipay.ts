import { AlipaySdk } from "alipay-sdk";
import { DateTime } from "luxon";
import type { CreatePaymentInput, PaymentProvider, ProviderNotice } from "../payment-providers.js";
import { fromYuan, invalidSignature, notifyUrlFor, toYuan } from "./money-text.js";

export interface AlipayConfig {
  appId: string;
  /** The app's RSA private key (PEM, PKCS#1 or PKCS#8). */
  privateKey: string;
  /** Alipay's public key (PEM): notifications are verified with it. */
  alipayPublicKey: string;
  gateway?: string;
  notifyUrl?: string;
}

/**
 * Alipay (alipay-sdk): a computer-website payment (`alipay.trade.page.pay`) or, for a member
 * on a phone, a mobile-website payment (`alipay.trade.wap.pay`, which opens the Alipay app or
 * its mobile cashier) — either a signed pay URL made locally, no network — and the
 * asynchronous notification, verified with Alipay's public key (RSA2 over the sorted
 * parameters), answered with the text `success`. Both payments notify alike. A `return_url`
 * is where Alipay's cashier sends the member back after paying; only the notification settles.
 * Only CNY. A notification for another app id is refused like a bad signature.
 */
export class AlipayProvider implements PaymentProvider {
  readonly name = "alipay";
  readonly currencies = ["CNY"] as const;
  readonly resendsUntilAcknowledged = true;
  private readonly sdk: AlipaySdk;

  constructor(private readonly config: AlipayConfig) {
    this.sdk = new AlipaySdk({
      appId: config.appId,
      privateKey: config.privateKey,
      alipayPublicKey: config.alipayPublicKey,
      signType: "RSA2",
      keyType: config.privateKey.includes("BEGIN RSA PRIVATE KEY") ? "PKCS1" : "PKCS8",
      ...(config.gateway ? { gateway: config.gateway } : {}),
    });
  }

  async createPayment(input: CreatePaymentInput) {
    const notifyUrl = notifyUrlFor(input.notifyUrl, this.config.notifyUrl);
    const mobile = input.scene === "mobile";
    const url = this.sdk.pageExecute(mobile ? "alipay.trade.wap.pay" : "alipay.trade.page.pay", "GET", {
      bizContent: {
        out_trade_no: input.intentId,
        total_amount: toYuan(input.amount),
        subject: input.description,
        product_code: mobile ? "QUICK_WAP_WAY" : "FAST_INSTANT_TRADE_PAY",
        // Alipay reads its times as Beijing time.
        time_expire: DateTime.fromJSDate(input.expiresAt, { zone: "Asia/Shanghai" }).toFormat(
          "yyyy-MM-dd HH:mm:ss",
        ),
      },
      ...(notifyUrl ? { notifyUrl } : {}),
      // Alipay's cashier sends the member back here once paid (signed with the rest).
      ...(input.returnUrl ? { returnUrl: input.returnUrl } : {}),
    });
    return { providerRef: input.intentId, checkout: { pay_url: url } };
  }

  parseWebhook(rawBody: string): ProviderNotice {
    const params = Object.fromEntries(new URLSearchParams(rawBody));
    if (!params.sign) throw invalidSignature("no sign");
    // The SDK would check with the algorithm the notice names; ours is RSA2, never RSA (SHA-1).
    if (params.sign_type !== undefined && params.sign_type !== "RSA2") throw invalidSignature("not RSA2");
    // V2 checks the values as the form decoded them. The first version decodes them once more,
    // which throws on a "%" in a value (a plan named "Save 10%", sent back as the subject) and
    // checks another text than Alipay signed for any "%xx" in one.
    if (!this.sdk.checkNotifySignV2(params)) throw invalidSignature("bad signature");
    if (params.app_id !== this.config.appId) throw invalidSignature("another app's notification");
    const base = { eventId: params.notify_id ?? "", providerRef: params.out_trade_no ?? "", currency: "CNY" };
    if (params.refund_fee !== undefined && params.gmt_refund !== undefined) {
      return {
        ...base,
        kind: "refund",
        status: "succeeded",
        amount: fromYuan(params.total_amount),
        refundAmount: fromYuan(params.refund_fee),
        refundCumulative: true,
        refundId: params.out_biz_no ?? params.notify_id ?? "",
      };
    }
    const status = params.trade_status;
    // WAIT_BUYER_PAY (sent only to apps that turned it on) and any status Alipay adds later
    // are signed and true but decide nothing here: acknowledged, so Alipay stops resending.
    if (status !== "TRADE_SUCCESS" && status !== "TRADE_FINISHED" && status !== "TRADE_CLOSED")
      return { kind: "unhandled", eventId: base.eventId, eventType: `trade_status ${status ?? "missing"}` };
    return {
      ...base,
      kind: "payment",
      status: status === "TRADE_CLOSED" ? "failed" : "succeeded",
      amount: fromYuan(params.total_amount),
    };
  }

  acknowledge() {
    return { contentType: "text/plain; charset=utf-8", body: "success" };
  }
}
