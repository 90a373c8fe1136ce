import type { TransferInput, TransferResult, UnitOfWork } from "../../ledger/index.js";
import { GiftcardsError } from "./giftcards.errors.js";

/**
 * The gift cards module's ledger accounts. Ids derive from what they belong to, so opening
 * one twice is harmless.
 * - card (per card): may not go below zero; expires with the card;
 * - issuance (per asset): debited by what buyers pay for cards and loads, credited by what
 *   card refunds pay back; its debit balance is the paid value outstanding;
 * - marketing (per asset): the purchase discounts given (an expense), credited back by the
 *   discount share of a card refund;
 * - settlement (per asset): what cards paid for (redemptions), drawn back by their refunds;
 * - breakage (per asset): what expired on cards, and refunds of redemptions of expired cards;
 * - adjustment (per asset): the other side of finance's adjustments.
 */
export const accountIds = {
  card: (cardId: string) => `gcacct_${cardId}`,
  issuance: (asset: string) => `gcissue_${asset}`,
  marketing: (asset: string) => `gcmkt_${asset}`,
  settlement: (asset: string) => `gcsettle_${asset}`,
  breakage: (asset: string) => `gcbreak_${asset}`,
  adjustment: (asset: string) => `gcadjust_${asset}`,
};

export type SystemAccount = Exclude<keyof typeof accountIds, "card">;

async function open(uow: UnitOfWork, input: Parameters<UnitOfWork["createAccount"]>[0]): Promise<string> {
  const result = await uow.createAccount({ owner_module: "giftcards", ...input });
  if (!result.ok) {
    if (result.code === "asset_not_found") {
      throw new GiftcardsError("asset_not_found", `Asset ${input.asset} is not set up in the ledger`);
    }
    throw new Error(`ledger refused account ${input.id}: ${result.code} ${result.detail}`);
  }
  return result.account.id;
}

/** Opens (or finds) one of the per-asset accounts and returns its id. */
export function openSystemAccount(uow: UnitOfWork, which: SystemAccount, asset: string): Promise<string> {
  return open(uow, { id: accountIds[which](asset), asset, kind: `gift_card_${which}`, owner_id: null });
}

export function openCardAccount(uow: UnitOfWork, cardId: string, asset: string, expiresAt: Date | null) {
  return open(uow, {
    id: accountIds.card(cardId),
    asset,
    kind: "gift_card",
    owner_id: cardId,
    debits_must_not_exceed_credits: true,
    expires_at: expiresAt,
  });
}

/** A card's balance: credits − debits posted (a card has no holds). */
export async function cardBalance(uow: Pick<UnitOfWork, "balances">, accountId: string): Promise<number> {
  return (await uow.balances(accountId))?.posted ?? 0;
}

/**
 * Transfers the operation has already made sure can succeed (it locked what it read). A
 * refusal is a broken invariant, except the codes the caller maps to its own.
 */
export function expectTransfers(
  results: TransferResult[],
  refusals: Partial<Record<string, () => Error>> = {},
): void {
  const failed =
    results.find((r) => !r.ok && r.code !== "linked_transfer_failed") ?? results.find((r) => !r.ok);
  if (!failed || failed.ok) return;
  const mapped = refusals[failed.code];
  if (mapped) throw mapped();
  throw new Error(`ledger refused a gift card transfer: ${failed.code} ${failed.detail}`);
}

export type Leg = Pick<TransferInput, "debit_account_id" | "credit_account_id" | "amount" | "code">;

/**
 * The linked transfers of one activity (all or none), skipping zero amounts. Ids derive
 * from the activity (`tr_<activity>_<n>`) and each names the activity and the card.
 */
export async function moveValue(
  uow: UnitOfWork,
  activity: { id: string; cardId: string },
  legs: Leg[],
  refusals: Partial<Record<string, () => Error>> = {},
): Promise<void> {
  const inputs = legs
    .filter((l) => l.amount > 0)
    .map((l, i) => ({
      ...l,
      id: `tr_${activity.id}_${i}`,
      reference_module: "giftcards",
      reference_id: activity.id,
      metadata: { card_id: activity.cardId },
    }));
  if (inputs.length === 0) return;
  expectTransfers(await uow.transfers(inputs), refusals);
}

export type { UnitOfWork };
