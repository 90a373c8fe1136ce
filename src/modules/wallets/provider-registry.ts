import type { Tx } from "../../db/database.js";
import { type PaymentProvider, paymentProviders } from "./payment-providers.js";
import { WalletsError } from "./wallets.errors.js";
import { loadSettings } from "./wallets.repository.js";

/**
 * ISO 4217 currencies (what the runtime knows): a balance asset outside this list is a house
 * currency ("coins", GOLD) and can never be bought online (seed 004: online top-up only when
 * the balance currency is a real one, RMB for WeChat Pay and Alipay).
 */
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

export function isRealCurrency(code: string): boolean {
  return ISO_CURRENCIES.has(code);
}

/** Refuses to sell `currency` online through `provider` unless it is a real currency the provider takes. */
export function assertOnlineCurrency(provider: PaymentProvider, currency: string): void {
  if (!isRealCurrency(currency)) {
    throw new WalletsError(
      "house_currency_not_purchasable",
      `${currency} is the tenant's own currency: it cannot be bought online, only credited offline`,
    );
  }
  const accepted = provider.currencies;
  if (accepted !== "any" && !accepted.includes(currency)) {
    throw new WalletsError(
      "currency_not_supported_by_provider",
      `${provider.name} takes ${accepted.join(", ")}; the balance is in ${currency}`,
    );
  }
}

export type ProviderResolver = (trx: Tx, tenantId: string, name?: string) => Promise<PaymentProvider>;

/**
 * The tenant's payment provider by name (default: the one its wallet settings name): the
 * process-wide `test` provider, or a real adapter built from the tenant's own configuration.
 */
export function providerResolver(
  signingSecret: string,
  tenantAdapters: (trx: Tx, tenantId: string, name: string) => Promise<PaymentProvider | null> = async () =>
    null,
): ProviderResolver {
  const builtIn = paymentProviders(signingSecret);
  return async (trx, tenantId, name) => {
    const wanted = name ?? (await loadSettings(trx, tenantId, new Date())).payment_provider;
    const provider = builtIn.get(wanted) ?? (await tenantAdapters(trx, tenantId, wanted));
    if (!provider) throw new WalletsError("payment_provider_unknown", `No payment provider ${wanted}`);
    return provider;
  };
}
