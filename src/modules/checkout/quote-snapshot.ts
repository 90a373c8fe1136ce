import type { Database, ReadStatement, SqlValue } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { benefitCatalog, CATALOG_CHANGED } from "../benefits/index.js";
import { activeEntitlementsRead, entitlementsFromRows } from "../catalog/index.js";
import { paymentCardsFromRows, paymentCardsReads } from "../giftcards/index.js";
import { MEMBER_CATALOG_CHANGED, memberFactsFromRows, memberFactsReads } from "../members/index.js";
import { memberVouchersFromRows, memberVouchersRead } from "../vouchers/index.js";
import { cartBalanceFromRows, cartBalanceReads } from "../wallets/index.js";
import { CheckoutError } from "./checkout.errors.js";
import { currencyNotFound } from "./checkout.repository.js";
import { applyGiftCards, type PricedQuote } from "./gift-card-tender.js";
import {
  giftCardIdsOf,
  type OrderFacts,
  type OrderRequest,
  priceWithFacts,
  usableMember,
  voucherIdsOf,
} from "./price-order.js";
import { voucherFactsOf } from "./settlement.js";

/** A cart to quote, before the tenant's defaults (currency, zone) are known. */
export type QuoteCart = Omit<OrderRequest, "timezone" | "currency" | "storeId"> & {
  currency: string | null;
  storeId: string | null;
};

/**
 * A quote from ONE database round trip: everything the engine needs — the tenant's currency
 * and zone, the store, the benefit catalog's version (the catalog itself only when this
 * process holds none for the tenant), the member's facts with the version of the tenant's card
 * plans and tiers (those only when this process holds none), wallet settings, balances and
 * lots, entitlements, vouchers, the named gift cards with their balances and what their store
 * scopes turn on — is read by the statements of one read-only snapshot
 * (`Database.tenantRead`). Nothing is locked or written: the order re-prices under locks. A
 * catalog change made through any process is seen at once, since each quote reads the version
 * with the rest; when the catalog or the plans and tiers held are not the snapshot's, the
 * quote reads once more with them (a second round trip, only right after such a change).
 */
export async function snapshotQuote(
  db: Database,
  actor: Actor,
  cart: QuoteCart,
  now: Date,
): Promise<PricedQuote> {
  const quoted = await snapshotQuoteOnce(db, actor, cart, now, false);
  if (quoted !== READ_AGAIN) return quoted;
  // The benefit catalog or the card plans and tiers changed since this process read them:
  // once more, reading them too.
  return (await snapshotQuoteOnce(db, actor, cart, now, true)) as PricedQuote;
}

/** A snapshot that found what this process holds of the tenant older than itself. */
const READ_AGAIN = Symbol("read again");

async function snapshotQuoteOnce(
  db: Database,
  actor: Actor,
  cart: QuoteCart,
  now: Date,
  withCatalogs: boolean,
): Promise<PricedQuote | typeof READ_AGAIN> {
  const tenantId = actor.tenantId;
  const storeId = cart.storeId ?? actor.orgUnitId;
  const catalog = benefitCatalog.read(tenantId, { withCatalog: withCatalogs });
  const memberId = cart.memberId;
  const vouchers = memberVouchersRead(actor, voucherIdsOf(cart));
  const giftCards = cart.giftCards ?? [];
  const cardIds = giftCardIdsOf(giftCards);
  // Read whatever the currency turns out to be (known only from the tenant's row): the
  // cards are decided after the read.
  const cards = paymentCardsReads(actor, cardIds, storeId);
  // A currency the cart names must be one of the ledger's: asked in the tenant's statement.
  const tenantValues: SqlValue[] = [tenantId];
  const param = (value: string) => `$${tenantValues.push(value)}::text`;
  const storePath = storeId
    ? `(select path from org_units where tenant_id = $1::text and id = ${param(storeId)})`
    : "null::text";
  const currencyKnown =
    cart.currency === null
      ? "null::boolean"
      : `exists (select 1 from ledger_assets where tenant_id = $1::text and code = ${param(cart.currency)})`;
  const tenantRead: ReadStatement = {
    text: `select default_currency, timezone, ${storePath} as store_path, ${currencyKnown} as currency_known
               from tenants where id = $1::text`,
    values: tenantValues,
  };
  const parts: {
    name: "tenant" | "catalog" | "member" | "balance" | "entitlements" | "vouchers" | "cards";
    statements: ReadStatement[];
  }[] = [
    { name: "tenant", statements: [tenantRead] },
    { name: "catalog", statements: catalog.statements },
  ];
  if (memberId) {
    parts.push(
      {
        name: "member",
        statements: memberFactsReads(tenantId, memberId, { withCatalog: withCatalogs }),
      },
      { name: "balance", statements: cartBalanceReads(tenantId, memberId) },
      { name: "entitlements", statements: [activeEntitlementsRead(tenantId, memberId, cart.at)] },
    );
  }
  if (vouchers) parts.push({ name: "vouchers", statements: [vouchers] });
  if (cards.length > 0) parts.push({ name: "cards", statements: cards });

  const results = await db.tenantRead(
    tenantId,
    parts.flatMap((p) => p.statements),
  );
  const rows: Partial<Record<(typeof parts)[number]["name"], Record<string, unknown>[][]>> = {};
  let at = 0;
  for (const p of parts) {
    rows[p.name] = results.slice(at, at + p.statements.length);
    at += p.statements.length;
  }

  const tenant = rows.tenant![0]![0] as {
    default_currency: string;
    timezone: string;
    store_path: string | null;
    currency_known: boolean | null;
  };
  if (tenant.currency_known === false) throw currencyNotFound(cart.currency!);
  if (storeId) {
    if (tenant.store_path === null) throw new CheckoutError("store_not_found", "Store not found");
    assertInScope(actor, tenant.store_path, "store");
  }
  const req: OrderRequest = {
    ...cart,
    storeId,
    currency: cart.currency ?? tenant.default_currency,
    timezone: tenant.timezone,
    giftCards,
  };
  const benefits = catalog.resolve(rows.catalog!);
  if (benefits === CATALOG_CHANGED) return READ_AGAIN;
  const facts: OrderFacts = {
    benefits,
    member: null,
    tiers: new Map(),
    balance: 0,
    entitlements: [],
    vouchers: vouchers ? memberVouchersFromRows(rows.vouchers![0]!).map(voucherFactsOf) : [],
  };
  if (memberId) {
    const read = memberFactsFromRows(rows.member!, actor, memberId);
    if (read === MEMBER_CATALOG_CHANGED) return READ_AGAIN;
    const found = usableMember(read);
    facts.member = found.facts;
    facts.tiers = found.tiers;
    const balance = await cartBalanceFromRows(rows.balance!, {
      tenantId,
      memberId,
      currency: req.currency,
      defaultCurrency: tenant.default_currency,
      zone: tenant.timezone,
      now,
    });
    facts.balance = balance.available;
    facts.balanceUsable = balance.usable;
    facts.entitlements = entitlementsFromRows(rows.entitlements![0]!);
  }
  const priced = priceWithFacts(req, facts);
  const cardFacts = await paymentCardsFromRows(rows.cards ?? [], actor, cardIds, {
    storeId,
    currency: req.currency,
    now,
  });
  return applyGiftCards(priced, giftCards, cardFacts);
}
