import { createHash } from "node:crypto";
import path from "node:path";
import type { ConsoleServer } from "./console-browser.js";

/** Where the member center's screenshots land. */
export const MEMBER_SHOTS = path.resolve(import.meta.dirname, "../../test-output/member");
/**
 * A phone: the member center is built for this size. Its owner asked for less motion, so a step
 * waits for no slide or spring; member-browser.test.ts drives the animated center, and checks
 * that the preference is followed.
 */
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  reducedMotion: "reduce",
} as const;

/** A set-up call that moves value, with its own Idempotency-Key (value routes require one). */
export async function valueCall<T = { id: string }>(
  server: ConsoleServer,
  method: "POST" | "PUT",
  url: string,
  body: object,
  key: string,
): Promise<T> {
  const response = await fetch(`${server.baseUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${server.demo.api_key}`,
      "content-type": "application/json",
      "idempotency-key": key,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Uploads an image as the merchant's backend would: to `/v1/images?purpose=…`, or to
 * `/v1/benefit-icons` for a benefit's icon. Returns the image's id.
 */
export async function uploadImage(
  server: ConsoleServer,
  purpose: "package_cover" | "topup_cover" | "card_design" | "detail" | "benefit_icon",
  bytes: Buffer,
  mediaType: "image/svg+xml" | "image/png" = "image/svg+xml",
): Promise<string> {
  const url = purpose === "benefit_icon" ? "/v1/benefit-icons" : `/v1/images?purpose=${purpose}`;
  const response = await fetch(`${server.baseUrl}${url}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${server.demo.api_key}`,
      "content-type": mediaType,
      "idempotency-key": `image-${purpose}-${createHash("sha256").update(bytes).digest("hex")}`,
    },
    body: bytes,
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`uploading a ${purpose}: ${response.status} ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}

/**
 * A one-time link into the member center for the member, as the merchant's backend makes it
 * (`POST /v1/member-center/links`), opening `page` when given: the whole URL to visit.
 */
export async function memberLink(server: ConsoleServer, memberId: string, page?: string): Promise<string> {
  const link = await server.api<{ path: string }>("POST", "/v1/member-center/links", {
    member_id: memberId,
    ...(page ? { page } : {}),
  });
  return `${server.baseUrl}${link.path}`;
}
