import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the service's signing
 * secret and a purpose, so each use has its own key and none is stored. The associated data
 * names the row a sealed value belongs to, so one copied to another row does not open.
 * Format: base64url(iv[12] | tag[16] | ciphertext).
 */
const keys = new Map<string, Buffer>();

function keyOf(signingSecret: string, purpose: string): Buffer {
  const slot = `${purpose}\u0000${signingSecret}`;
  let key = keys.get(slot);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", signingSecret, "vouchsafe", purpose, 32));
    // A process knows one secret (two in a test); the bound only keeps a misuse from growing.
    if (keys.size >= 16) keys.clear();
    keys.set(slot, key);
  }
  return key;
}

export function sealText(signingSecret: string, purpose: string, aad: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(signingSecret, purpose), iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** The plain text, or undefined when it does not open (another secret, another row, altered). */
export function unsealText(
  signingSecret: string,
  purpose: string,
  aad: string,
  sealed: string,
): string | undefined {
  const raw = Buffer.from(sealed, "base64url");
  if (raw.length < 28) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyOf(signingSecret, purpose), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
