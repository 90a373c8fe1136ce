import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Provider secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the service's
 * signing secret, with the tenant and provider as associated data, so a sealed blob copied to
 * another tenant's row does not open. Format: base64url(iv[12] | tag[16] | ciphertext).
 */
function keyOf(signingSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", signingSecret, "vouchsafe", "payment-provider-secrets", 32));
}

export function seal(signingSecret: string, aad: string, value: Record<string, string>): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(signingSecret), iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

export function unseal(signingSecret: string, aad: string, sealed: string): Record<string, string> {
  const raw = Buffer.from(sealed, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(signingSecret), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(12, 28));
  const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  return JSON.parse(plain) as Record<string, string>;
}
