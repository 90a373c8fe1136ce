/**
 * The gift cards module's public surface: other modules import only this file. See README.md.
 *
 * A sold card is a ledger account in its plan's currency that may not go below zero; every
 * change of value is an activity of a named type (Square's model) in one unit of work.
 */
import type { AppDeps } from "../../app-types.js";
import type { JobRunner } from "../../platform/jobs/job-runner.js";
import { pinSecretOf } from "./card-number.js";
import { expireCards, expireOnlineSales, tenantsWithDueCards } from "./expire-cards.js";
import "./giftcards.errors.js";
import { usePinSecretForImports } from "./giftcards.files.js";

export { accountIds as giftCardAccountIds } from "./giftcards.ledger.js";
export { giftcardsRoutes } from "./giftcards.routes.js";
export {
  type CardUnusableReason,
  MAX_CARDS_PER_ORDER,
  type PaymentCardFacts,
  paymentCards,
} from "./payment-cards.js";
export { type RedeemInput, type Redemption, redeemCard } from "./redeem-card.js";
export { refundRedemption } from "./refund-redemption.js";

export const GIFT_CARD_EXPIRY_JOB = "giftcards.expire";
/** Every five minutes: a card is refused past its expiry at once; this moves its rest to breakage. */
export const GIFT_CARD_EXPIRY_CRON = "*/5 * * * *";

/**
 * Expires every tenant's due cards (their rest to breakage) and closes unpaid online sales,
 * one unit of work per tenant and batch. Tests call it directly after moving the clock.
 */
export async function runGiftCardExpiry(deps: Pick<AppDeps, "db" | "clock" | "ledger">) {
  const now = deps.clock.now();
  let cards = 0;
  let sales = 0;
  for (const tenantId of await tenantsWithDueCards(deps.db, now)) {
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
  }
  return { cards, sales };
}

/** Defines the expiry job on the job runner (module-jobs.ts calls this) and returns its schedule. */
export function defineGiftCardJobs(runner: JobRunner, deps: AppDeps): { name: string; cron: string } {
  // Imports run in the worker too: they hash imported PINs with the service's key.
  usePinSecretForImports(pinSecretOf(deps.config.signingSecret));
  runner.define({
    name: GIFT_CARD_EXPIRY_JOB,
    policy: "singleton",
    handler: async () => runGiftCardExpiry(deps),
  });
  return { name: GIFT_CARD_EXPIRY_JOB, cron: GIFT_CARD_EXPIRY_CRON };
}
