import {
  type AnyBenefit,
  type AvailableItems,
  audienceMatches,
  benefitTimeCheck,
  type Channel,
  type LocalMoment,
  type MemberFacts,
  type Perk,
  type Restriction,
  type TierCatalog,
} from "../benefits/index.js";
import type { BenefitSource } from "./benefit-source.js";
import { multiplierBps } from "./quote-math.js";
import type { CartLine, NotAppliedReason, QuoteInput } from "./quote-types.js";

/** Which benefits may apply to a cart, and what each would give: compiled once per benefit object. */

const KIND_ORDER: Record<AnyBenefit["kind"], number> = {
  member_pricing: 0,
  member_discount: 1,
  member_day: 2,
  birthday: 3,
  promotional: 4,
  multiplier_points: 5,
  marketing: 9,
  card_extension: 9,
  exclusive_services: 9,
  custom: 9,
};

export interface Compiled {
  benefit: AnyBenefit;
  channels: readonly Channel[] | undefined;
  restrictions: readonly Restriction[];
  excludedSkus: ReadonlySet<string> | null;
  excludedCategories: ReadonlySet<string> | null;
  /** Whether some line could be excluded from it at all: most benefits apply to every line. */
  hasExclusions: boolean;
}

const compiledCache = new WeakMap<AnyBenefit, Compiled>();

function itemsOf(items: AvailableItems | undefined) {
  const excludedSkus = items?.kind === "exclude_products" ? new Set(items.skus) : null;
  const excludedCategories = items?.kind === "exclude_categories" ? new Set(items.categories) : null;
  return {
    excludedSkus,
    excludedCategories,
    hasExclusions: (excludedSkus?.size ?? 0) + (excludedCategories?.size ?? 0) > 0,
  };
}

export function compile(benefit: AnyBenefit): Compiled {
  const hit = compiledCache.get(benefit);
  if (hit) return hit;
  const c = benefit.config as {
    channels?: Channel[];
    restrictions?: Restriction[];
    items?: AvailableItems;
  };
  const compiled: Compiled = {
    benefit,
    channels: c.channels,
    restrictions: c.restrictions ?? [],
    ...itemsOf(c.items),
  };
  compiledCache.set(benefit, compiled);
  return compiled;
}

export function excludes(c: Compiled, line: CartLine): boolean {
  if (!c.hasExclusions) return false;
  return (c.excludedSkus?.has(line.sku) ?? false) || (c.excludedCategories?.has(line.category) ?? false);
}

/** The effect a member day or birthday benefit has for this member: its best matching perk. */
export interface Effect {
  /** Price factor numerator over 10_000 (a 20% discount = 8_000); null: no price effect. */
  factor: number | null;
  pointsBps: number | null;
  extraPointsPercent: number;
  freeShipping: boolean;
}

function perkEffect(
  base: { discount_percent?: number; points_multiplier?: string },
  perk: Perk | null,
): Effect {
  const discount = perk?.discount_percent ?? base.discount_percent;
  const extra = perk?.extra_discount_percent;
  const factor =
    discount === undefined && extra === undefined ? null : (100 - (discount ?? 0)) * (100 - (extra ?? 0));
  const multiplier = perk?.points_multiplier ?? base.points_multiplier;
  return {
    factor,
    pointsBps: multiplier ? multiplierBps(multiplier) : null,
    extraPointsPercent: perk?.extra_points_percent ?? 0,
    freeShipping: perk?.free_shipping ?? false,
  };
}

function bestPerkEffect(
  base: { discount_percent?: number; points_multiplier?: string; perks?: Perk[] },
  member: MemberFacts | null,
  ranks: TierCatalog,
): Effect {
  let best = perkEffect(base, null);
  for (const perk of base.perks ?? []) {
    if (!audienceMatches(perk.audience, member, ranks)) continue;
    const e = perkEffect(base, perk);
    const ef = e.factor ?? 10_000;
    const bf = best.factor ?? 10_000;
    // Lowest price first; then most points; then the earlier perk.
    const better =
      ef < bf ||
      (ef === bf &&
        (e.pointsBps ?? 10_000) * (100 + e.extraPointsPercent) >
          (best.pointsBps ?? 10_000) * (100 + best.extraPointsPercent));
    if (better) best = e;
  }
  return best;
}

export interface Eligible {
  c: Compiled;
  /** Its place in its catalog plan's `ordered`: breakdowns list benefits in that order. */
  rank: number;
  effect: Effect;
  memberPricing: boolean;
  source: BenefitSource;
}

export type Rejection = {
  c: Compiled;
  rank: number;
  reason: NotAppliedReason;
  source: BenefitSource | null;
};

export function checkTime(benefit: AnyBenefit, input: QuoteInput, now: LocalMoment): NotAppliedReason | null {
  return benefitTimeCheck(benefit, input.member?.birthday, input.at, now);
}

export function effectOf(benefit: AnyBenefit, input: QuoteInput): Effect {
  switch (benefit.kind) {
    case "member_discount":
      return {
        factor: (100 - benefit.config.discount_percent) * 100,
        pointsBps: null,
        extraPointsPercent: 0,
        freeShipping: false,
      };
    case "member_day":
    case "birthday":
      return bestPerkEffect(benefit.config, input.member, input.tierRanks);
    case "multiplier_points":
      return {
        factor: null,
        pointsBps: multiplierBps(benefit.config.multiplier),
        extraPointsPercent: 0,
        freeShipping: false,
      };
    default:
      return { factor: null, pointsBps: null, extraPointsPercent: 0, freeShipping: false };
  }
}

const PRICED_KINDS = new Set<AnyBenefit["kind"]>([
  "member_pricing",
  "member_discount",
  "member_day",
  "birthday",
  "promotional",
  "multiplier_points",
]);

/**
 * What the engine derives from a catalog alone, cached per catalog array (it is immutable):
 * its priced benefits in (kind, id) order, a benefit's rank being its place there, and every
 * member price by SKU, so a line finds the prices for its SKU with one look-up instead of one
 * per member-pricing benefit.
 */
export interface CatalogPlan {
  ordered: readonly AnyBenefit[];
  pricesBySku: ReadonlyMap<string, readonly { rank: number; unit: number }[]>;
}

const planCache = new WeakMap<readonly AnyBenefit[], CatalogPlan>();
export function catalogPlan(benefits: readonly AnyBenefit[]): CatalogPlan {
  const hit = planCache.get(benefits);
  if (hit) return hit;
  const ordered = benefits
    .filter((b) => b.status === "active" && PRICED_KINDS.has(b.kind))
    .sort(compareBenefits);
  const pricesBySku = new Map<string, { rank: number; unit: number }[]>();
  ordered.forEach((b, rank) => {
    if (b.kind !== "member_pricing") return;
    for (const p of b.config.prices) {
      const list = pricesBySku.get(p.sku);
      // A SKU named twice in one benefit (its rules refuse that): the later price, as a Map keeps.
      if (list?.at(-1)?.rank === rank) list.at(-1)!.unit = p.price;
      else if (list) list.push({ rank, unit: p.price });
      else pricesBySku.set(p.sku, [{ rank, unit: p.price }]);
    }
  });
  const plan = { ordered, pricesBySku };
  if (Object.isFrozen(benefits)) planCache.set(benefits, plan);
  return plan;
}

function compareLines(x: CartLine, y: CartLine): number {
  if (x.sku !== y.sku) return x.sku < y.sku ? -1 : 1;
  if (x.category !== y.category) return x.category < y.category ? -1 : 1;
  if (x.unitPrice !== y.unitPrice) return x.unitPrice - y.unitPrice;
  return x.quantity - y.quantity;
}

/**
 * The lines' indexes in (SKU, category, unit price, quantity) order, equal lines by index.
 * An insertion sort: a cart is short (MAX_LINES is 100), and Array#sort would pay a call
 * per comparison where this one is inlined.
 */
export function canonicalOrder(lines: readonly CartLine[]): number[] {
  const order: number[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let j = i;
    while (j > 0 && compareLines(line, lines[order[j - 1]!]!) < 0) {
      order[j] = order[j - 1]!;
      j -= 1;
    }
    order[j] = i;
  }
  return order;
}

export function compareBenefits(a: AnyBenefit, b: AnyBenefit): number {
  const k = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (k !== 0) return k;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
