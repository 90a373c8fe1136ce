import type { Tx } from "../../db/database.js";
import { acceptAgreements } from "../catalog/index.js";
import { generateCardNumber } from "./card-number.js";
import { GiftcardsError } from "./giftcards.errors.js";
import {
  type BuyerInfo,
  type CardRow,
  findCardByNumber,
  findPlan,
  type PlanRow,
  type SaleChannel,
} from "./giftcards.repository.js";
import { expiryOf, type Price, priceOf } from "./plan-rules.js";

/** What a buyer gives at a sale; each field is asked, optional or not collected by the plan. */
export interface Buyer {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
}

export interface SaleRequest {
  planId: string;
  /** Face amount; defaults to an imported card's preset amount. */
  amount?: number;
  channel: SaleChannel;
  storeId: string | null;
  /** POS: the imported physical card being sold. */
  cardNumber?: string | null;
  buyer: Buyer;
  /** The member who buys (pays by balance, or online in the member center). */
  buyerMemberId?: string | null;
  /** The member who will hold the card (the buyer, unless it is a gift). */
  holderMemberId?: string | null;
  recipient?: { name?: string | null; phone?: string | null; message?: string | null } | null;
  /** Agreement id → the version the buyer was shown (refused if no longer current). */
  agreementVersions?: Record<string, number>;
}

/** What the checks of a sale settle before any value moves. */
export interface CheckedSale {
  plan: PlanRow;
  price: Price;
  expiresAt: Date | null;
  /** The imported card being sold (locked), or null for a new card with `number`. */
  stock: CardRow | null;
  number: string;
  agreements: Awaited<ReturnType<typeof acceptAgreements>>;
}

const BUYER_FIELDS = ["name", "phone", "email"] as const;

/** Required buyer fields must be given; fields the plan does not collect must not be. */
function checkBuyer(rules: BuyerInfo, req: SaleRequest): void {
  for (const f of BUYER_FIELDS) {
    const given = req.buyer[f] != null && req.buyer[f] !== "";
    if (rules[f] === "required" && !given) {
      throw new GiftcardsError("buyer_info_required", `This plan needs the buyer's ${f}`, {
        errors: [{ field: `/body/buyer/${f}`, message: "is required by the plan" }],
      });
    }
    if (rules[f] === "off" && given) {
      throw new GiftcardsError("buyer_info_not_collected", `This plan does not collect the buyer's ${f}`, {
        errors: [{ field: `/body/buyer/${f}`, message: "is not collected by the plan" }],
      });
    }
  }
  const numbered = req.cardNumber != null;
  const rule = req.channel === "POS" ? rules.card_number : "off";
  if (rule === "required" && !numbered) {
    throw new GiftcardsError("buyer_info_required", "This plan sells at the POS by card number", {
      errors: [{ field: "/body/card_number", message: "is required by the plan at the POS" }],
    });
  }
  if (rule === "off" && numbered) {
    throw new GiftcardsError("buyer_info_not_collected", "This plan does not sell by card number here", {
      errors: [{ field: "/body/card_number", message: "is POS only, and only when the plan asks for it" }],
    });
  }
}

/** A card number no card of the tenant has (a collision among 10^15 is retried, not trusted away). */
async function freshNumber(trx: Tx, tenantId: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const number = generateCardNumber();
    if (!(await findCardByNumber(trx, tenantId, number))) return number;
  }
  throw new Error("could not draw an unused card number");
}

/**
 * The checks of a sale, in order: the plan is active and sells on this channel; the buyer
 * information follows the plan; an imported card named by number is unsold stock of this
 * plan (locked); the amount is a denomination or within the custom range (an imported
 * card's preset amount when none is given); the card would not be born expired; the terms
 * the buyer saw are current.
 */
export async function checkSale(
  trx: Tx,
  tenantId: string,
  req: SaleRequest,
  now: Date,
  timezone: string,
): Promise<CheckedSale> {
  const plan = await findPlan(trx, tenantId, req.planId, "share");
  if (plan.status !== "active") {
    throw new GiftcardsError("gift_card_plan_inactive", "This plan is not on sale (activate it first)");
  }
  if (!plan.channels.includes(req.channel)) {
    throw new GiftcardsError("gift_card_channel_not_allowed", `This plan is not sold on ${req.channel}`);
  }
  checkBuyer(plan.buyer_info, req);
  let stock: CardRow | null = null;
  if (req.cardNumber) {
    stock = (await findCardByNumber(trx, tenantId, req.cardNumber, true)) ?? null;
    if (!stock) throw new GiftcardsError("gift_card_not_found", "No card with this number is in stock");
    if (stock.status !== "inactive") {
      throw new GiftcardsError("gift_card_already_sold", "This card has already been sold");
    }
    if (stock.plan_id !== plan.id) {
      throw new GiftcardsError("gift_card_plan_mismatch", `This card belongs to plan ${stock.plan_id}`);
    }
  }
  const amount = req.amount ?? stock?.face_amount;
  if (amount == null) {
    throw new GiftcardsError("validation_failed", "Give the card's amount", {
      errors: [{ field: "/body/amount", message: "is required" }],
    });
  }
  if (stock?.face_amount != null && stock.face_amount !== amount) {
    throw new GiftcardsError(
      "gift_card_amount_not_allowed",
      `This card was imported with the amount ${stock.face_amount}`,
    );
  }
  const price = priceOf(plan, amount);
  const expiresAt = expiryOf(plan.validity, now, timezone);
  if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
    throw new GiftcardsError(
      "gift_card_plan_inactive",
      "This plan's fixed end date has passed: its cards are not sold",
    );
  }
  const agreements = await acceptAgreements(
    trx,
    tenantId,
    plan.terms_agreement_id ? [plan.terms_agreement_id] : [],
    req.agreementVersions ?? {},
  );
  const number = stock?.number ?? (await freshNumber(trx, tenantId));
  return { plan, price, expiresAt, stock, number, agreements };
}

export async function tenantTimezone(trx: Tx, tenantId: string): Promise<string> {
  const row = await trx
    .selectFrom("tenants")
    .select("timezone")
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
  return row.timezone;
}
