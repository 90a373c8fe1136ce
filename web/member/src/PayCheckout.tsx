import { Button, SpinLoading } from "antd-mobile";
import { lazy, Suspense } from "react";
import { type Translate, useI18n } from "./i18n";

// antd's QR code (with its styling runtime) loads only when a code_url is shown, so pages
// that never show one do not carry it.
const QRCode = lazy(() => import("antd/es/qr-code"));

/** What a provider answered when the payment was created (the API's `checkout`). */
export type Checkout = Record<string, unknown> | null | undefined;

const PROVIDERS = {
  alipay: "provider.alipay",
  wechatpay: "provider.wechatpay",
  stripe: "provider.stripe",
} as const;

/** A provider's name as members know it ("支付宝", "WeChat Pay"); an unknown one as the API names it. */
export function providerName(t: Translate, provider: string | null | undefined): string {
  if (!provider) return "";
  return Object.hasOwn(PROVIDERS, provider) ? t(PROVIDERS[provider as keyof typeof PROVIDERS]) : provider;
}

/**
 * Where this page is paid from, for the routes that start a payment (`payment_scene`): "mobile"
 * on a device whose main pointer is a finger (phones, tablets), else "desktop". The pointer
 * says what the device is where the window's width does not: a computer's browser made narrow
 * still has a mouse and a screen the member's phone can scan a QR code from, and WeChat Pay's
 * H5 page refuses to open in it; a phone turned sideways is wider than any phone breakpoint.
 * A member on a phone or tablet cannot scan a code shown on that same screen.
 */
export function paymentScene(): "desktop" | "mobile" {
  return typeof window.matchMedia === "function" && window.matchMedia("(pointer: coarse)").matches
    ? "mobile"
    : "desktop";
}

/**
 * Where a provider's hosted payment page brings the member back (`return_url`): this page, as
 * the member sees it (its one-time code is already gone from the address). Stripe then makes a
 * Checkout Session, a page of its own to pay on, since the member center does not load
 * Stripe.js.
 */
export function returnUrl(): string {
  return `${location.origin}${location.pathname}${location.search}`;
}

/** What every route that starts a payment here is told of it: the scene and the way back. */
export function onlinePayment(): { payment_scene: "desktop" | "mobile"; return_url: string } {
  return { payment_scene: paymentScene(), return_url: returnUrl() };
}

const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);

/**
 * How the member pays a payment created at the tenant's provider, from its `checkout`:
 * Alipay's `pay_url` is a page to open (computer or mobile website payment alike); WeChat Pay
 * H5's `h5_url` (made for a phone) a page to open that hands over to WeChat; WeChat Pay
 * Native's `code_url` a QR code to scan with WeChat; Stripe Checkout's `pay_url` (with its
 * `checkout_session_id`) a card payment page at Stripe, which sends the member back to this
 * page. A PaymentIntent's `client_secret` (a payment started
 * elsewhere, without a return URL) needs Stripe.js, which the member center does not load, so
 * the member is told to finish in the merchant's app. The test provider's
 * `test://` URL leads nowhere: its payments are confirmed by its own notifications.
 */
export function PayCheckout(props: { checkout: Checkout; amount: number }) {
  const { t, fmt } = useI18n();
  const checkout = props.checkout ?? {};
  const payUrl = text(checkout.pay_url);
  const codeUrl = text(checkout.code_url);
  const h5Url = text(checkout.h5_url);
  const amount = fmt.money(props.amount);
  if (payUrl && text(checkout.checkout_session_id)) {
    return (
      <div data-testid="pay-checkout" style={{ margin: 12 }}>
        <Button
          block
          color="primary"
          data-testid="pay-stripe"
          onClick={() => {
            // A tab this page opens (keeping its opener) starts with a copy of this tab's
            // session storage, where the visit is kept, so Stripe's return finds the member;
            // this page stays (a gift card's PIN is shown here only once). Where no tab can be
            // opened (an app's web view), this one goes.
            if (!window.open(payUrl, "_blank")) window.location.assign(payUrl);
          }}
        >
          {t("pay.card", { amount })}
        </Button>
        <div style={{ marginTop: 8, fontSize: 13, color: "var(--adm-color-weak)", textAlign: "center" }}>
          {t("pay.cardHint")}
        </div>
      </div>
    );
  }
  if (payUrl && !payUrl.startsWith("test://")) {
    return (
      <div data-testid="pay-checkout" style={{ margin: 12 }}>
        <Button
          block
          color="primary"
          onClick={() => {
            window.open(payUrl, "_blank", "noopener");
          }}
        >
          {t("pay.go", { amount })}
        </Button>
      </div>
    );
  }
  if (h5Url) {
    return (
      <div data-testid="pay-checkout" style={{ margin: 12 }}>
        <Button
          block
          color="success"
          data-testid="pay-wechat-h5"
          onClick={() => {
            window.open(h5Url, "_blank", "noopener");
          }}
        >
          {t("pay.wechatH5", { amount })}
        </Button>
        <div style={{ marginTop: 8, fontSize: 13, color: "var(--adm-color-weak)", textAlign: "center" }}>
          {t("pay.wechatH5Hint")}
        </div>
      </div>
    );
  }
  if (codeUrl) {
    return (
      <div
        data-testid="pay-checkout"
        style={{
          margin: 12,
          padding: 16,
          borderRadius: 12,
          background: "#fff",
          display: "flex",
          flexDirection: "column",
          alignItems: "center",
          gap: 10,
        }}
      >
        <Suspense
          fallback={
            <div style={{ width: 200, height: 200, display: "grid", placeItems: "center" }}>
              <SpinLoading color="primary" />
            </div>
          }
        >
          <div data-testid="pay-qr">
            <QRCode value={codeUrl} size={200} bordered={false} />
          </div>
        </Suspense>
        <div style={{ fontSize: 18, fontWeight: 600 }}>{amount}</div>
        <div style={{ fontSize: 14, color: "var(--adm-color-weak)", textAlign: "center" }}>
          {t("pay.scanWechat")}
        </div>
      </div>
    );
  }
  if (text(checkout.client_secret)) {
    return (
      <div
        data-testid="pay-checkout"
        style={{ margin: 12, fontSize: 14, textAlign: "center", color: "var(--adm-color-weak)" }}
      >
        {t("pay.inApp", { amount })}
      </div>
    );
  }
  return null;
}
