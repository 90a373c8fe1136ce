/**
 * The gift cards module's public surface: other modules import only this file. See README.md.
 *
 * A sold card is a ledger account in its plan's currency that may not go below zero; every
 * change of value is an activity of a named type (Square's model) in one unit of work.
 */
import type { AppDeps, ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, FINANCE, OPERATORS } from "../../platform/auth/permissions.js";
import { forEachTenant } from "../../platform/jobs/each-tenant.js";
import { pinSecretOf } from "./card-number.js";
import { expireCards, expireOnlineSales, tenantsWithDueCards } from "./expire-cards.js";
import { GIFTCARDS_ERRORS } from "./giftcards.errors.js";
import { GIFTCARDS_EVENT_TYPES } from "./giftcards.events.js";
import {
  GIFT_CARD_ACTIVITIES_EXPORT,
  GIFT_CARDS_EXPORT,
  GIFT_CARDS_IMPORT,
  setPinSecretForImports,
} from "./giftcards.files.js";
import { cardDesignShown, giftCardNamingScope, giftCardPaymentOwner } from "./giftcards.repository.js";
import { giftcardsRoutes } from "./giftcards.routes.js";

export { accountIds as giftCardAccountIds } from "./giftcards.ledger.js";
export {
  type CardUnusableReason,
  MAX_CARDS_PER_ORDER,
  type PaymentCardFacts,
  paymentCards,
  paymentCardsFromRows,
  paymentCardsReads,
} from "./payment-cards.js";
export { type RedeemInput, type Redemption, redeemCard } from "./redeem-card.js";
export { CHECKOUT_MODULE, refundRedemption } from "./refund-redemption.js";
export { giftcardsRoutes };

export const GIFT_CARD_EXPIRY_JOB = "giftcards.expire";
/** Every five minutes: a card is refused past its expiry at once; this moves its rest to breakage. */
export const GIFT_CARD_EXPIRY_CRON = "*/5 * * * *";

/**
 * Expires every tenant's due cards (their rest to breakage) and closes unpaid online sales,
 * one unit of work per tenant and batch. Tests call it directly after moving the clock.
 */
export async function runGiftCardExpiry(deps: Pick<AppDeps, "db" | "clock" | "ledger">) {
  const now = deps.clock.now();
  const done = await forEachTenant(
    GIFT_CARD_EXPIRY_JOB,
    await tenantsWithDueCards(deps.db, now),
    (tenantId) => expireTenantCards(deps, tenantId, now),
  );
  return {
    cards: done.reduce((sum, d) => sum + d.cards, 0),
    sales: done.reduce((sum, d) => sum + d.sales, 0),
  };
}

/** One tenant's due cards and online sales at `now`. */
async function expireTenantCards(deps: Pick<AppDeps, "ledger">, tenantId: string, now: Date) {
  let cards = 0;
  let sales = 0;
  for (;;) {
    const expired = await deps.ledger.run(tenantId, (uow) => expireCards(uow, now));
    cards += expired.length;
    if (expired.length === 0) break;
  }
  for (;;) {
    const closed = await deps.ledger.run(tenantId, (uow) => expireOnlineSales(uow, now));
    sales += closed;
    if (closed === 0) break;
  }
  return { cards, sales };
}

/** Everything the gift cards module adds to the app. */
export const giftcardsManifest: ModuleManifest = {
  name: "giftcards",
  storeScopeReferences: giftCardNamingScope,
  routes: giftcardsRoutes,
  permissions: {
    "giftcards.read": ALL_STAFF,
    "giftcards.manage": OPERATORS,
    "giftcards.sell": OPERATORS,
    "giftcards.freeze": OPERATORS,
    "giftcards.refund": OPERATORS,
    "giftcards.adjust": FINANCE,
    "giftcards.finance": FINANCE,
  },
  errors: GIFTCARDS_ERRORS,
  events: GIFTCARDS_EVENT_TYPES,
  ownsBalancePayments: giftCardPaymentOwner,
  showsImagesToMembers: cardDesignShown,
  imports: [GIFT_CARDS_IMPORT],
  exports: [GIFT_CARDS_EXPORT, GIFT_CARD_ACTIVITIES_EXPORT],
  jobs: (deps) => {
    // Imports run in the worker too: they hash imported PINs with the service's key.
    setPinSecretForImports(pinSecretOf(deps.config.signingSecret));
    return [
      { name: GIFT_CARD_EXPIRY_JOB, policy: "singleton", handler: async () => runGiftCardExpiry(deps) },
    ];
  },
  crons: [{ name: GIFT_CARD_EXPIRY_JOB, cron: GIFT_CARD_EXPIRY_CRON }],
  timers: [
    {
      job: GIFT_CARD_EXPIRY_JOB,
      due: [
        { table: "gift_cards", at: "expires_at", where: "status in ('active', 'frozen')" },
        { table: "gift_card_payments", at: "expires_at", where: "status = 'pending'" },
      ],
      run: expireTenantCards,
    },
  ],
};
