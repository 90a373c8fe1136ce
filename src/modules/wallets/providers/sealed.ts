import { sealText, unsealText } from "../../../shared/sealed.js";

/**
 * Provider secrets at rest (src/shared/sealed.ts): sealed with the tenant and provider as
 * associated data, so a sealed blob copied to another tenant's row does not open.
 */
const PURPOSE = "payment-provider-secrets";

export function seal(signingSecret: string, aad: string, value: Record<string, string>): string {
  return sealText(signingSecret, PURPOSE, aad, JSON.stringify(value));
}

export function unseal(signingSecret: string, aad: string, sealed: string): Record<string, string> {
  const plain = unsealText(signingSecret, PURPOSE, aad, sealed);
  if (plain === undefined) throw new Error("sealed provider secrets do not open with this signing secret");
  return JSON.parse(plain) as Record<string, string>;
}
