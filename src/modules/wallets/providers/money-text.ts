import { WalletsError } from "../wallets.errors.js";

/**
 * Minor units (scale 2) as the decimal text providers use: 12345 → "123.45". Only what a buyer
 * pays is written this way, so anything but a positive whole amount is a bug, refused rather
 * than sent as a wrong price ("-1.-50" from -150).
 */
export function toYuan(minor: number): string {
  if (!Number.isSafeInteger(minor) || minor <= 0) throw new Error(`Not an amount to charge: ${minor}`);
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, "0")}`;
}

/** "123.45" → 12345, exactly (no floats); anything else is refused. */
export function fromYuan(text: unknown): number {
  const m = typeof text === "string" ? /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text) : null;
  if (!m) throw new WalletsError("validation_failed", `Not an amount: ${String(text)}`);
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

export function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const invalidSignature = (why: string) =>
  new WalletsError("webhook_signature_invalid", `Webhook refused: ${why}`);

/**
 * Where the provider is to notify one payment: the route of the flow that sold it. A tenant's
 * configured notify_url names the address providers reach the service at (a gateway's, say):
 * its origin, and any path before `/v1/`, replace the request's. Without a flow's URL the
 * configured one is used as it is.
 */
export function notifyUrlFor(flowUrl: string | undefined, configured: string | undefined) {
  if (!flowUrl || !configured) return flowUrl ?? configured;
  const base = new URL(configured);
  const prefix = (base.pathname.split("/v1/")[0] ?? "").replace(/\/+$/, "");
  const flow = new URL(flowUrl);
  return `${base.origin}${prefix}${flow.pathname}`;
}
