/** Catalogs, translation and formatting: plain functions the pages and the tests share. */
import { fillMessage, minorToDecimal } from "../../console/src/i18n/format.js";
import { en, type MessageKey, zhCN } from "./messages.js";

export type Lang = "zh-CN" | "en";
export const LANGS: Lang[] = ["zh-CN", "en"];
const CATALOGS: Record<Lang, Record<MessageKey, string>> = { "zh-CN": zhCN, en };

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const catalog = CATALOGS[lang];
  return (key, vars) => fillMessage(catalog[key], vars);
}

/** The tenant's balance asset: an ISO currency, or its own (a house currency with its symbol). */
export interface Currency {
  code: string;
  scale: number;
  symbol: string | null;
}

function isoSymbol(code: string, lang: Lang): string | undefined {
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  try {
    const symbol = new Intl.NumberFormat(lang, {
      style: "currency",
      currency: code,
      currencyDisplay: "narrowSymbol",
    })
      .formatToParts(0)
      .find((p) => p.type === "currency")?.value;
    // Any three letters pass as a currency; one Intl does not know comes back as its code.
    return symbol === code ? undefined : symbol;
  } catch {
    return undefined;
  }
}

/** Amounts in the tenant's symbol and scale, dates in its time zone, both in the member's language. */
export function formatter(lang: Lang, currency: Currency, timeZone: string) {
  const symbol = currency.symbol ?? isoSymbol(currency.code, lang);
  const grouped = new Intl.NumberFormat(lang, {
    minimumFractionDigits: currency.scale,
    maximumFractionDigits: currency.scale,
  });
  const integer = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const date = new Intl.DateTimeFormat(lang, { timeZone, dateStyle: "medium" });
  const dateTime = new Intl.DateTimeFormat(lang, { timeZone, dateStyle: "medium", timeStyle: "short" });
  /** Minor units → "¥1,234.56" (exact: the decimal string is formatted, never a float). */
  const money = (minor: number) => {
    const digits = grouped.format(minorToDecimal(Math.abs(minor), currency.scale) as unknown as number);
    const sign = minor < 0 ? "-" : "";
    return symbol ? `${sign}${symbol}${digits}` : `${sign}${digits} ${currency.code}`;
  };
  return {
    scale: currency.scale,
    money,
    /** A signed change: "+¥10.00", "-¥5.00", "+500". */
    signed: (n: number, unit: "money" | "points") =>
      `${n > 0 ? "+" : ""}${unit === "money" ? money(n) : integer.format(n)}`,
    number: (n: number) => integer.format(n),
    date: (iso: string) => date.format(new Date(iso)),
    dateTime: (iso: string) => dateTime.format(new Date(iso)),
  };
}
export type Format = ReturnType<typeof formatter>;

/** What a change log row says of why it was made (a balance or points change). */
export interface ChangeWhy {
  reason: string | null;
  note: string | null;
  reason_code: string | null;
  reason_params: Record<string, string | number> | null;
}

/**
 * Why a change was made: the system's reasons (`reason_code`) in the member's words, a person's
 * own as they wrote them. An exchange's ratio is points per one unit of the balance's currency,
 * shown as that unit's amount.
 */
export function changeReason(c: ChangeWhy, t: Translate, fmt: Format): string | null {
  if (!c.reason_code) return c.reason ?? c.note;
  return t(`reason.${c.reason_code}` as MessageKey, {
    ...(c.reason_params ?? {}),
    unit: fmt.money(10 ** fmt.scale),
  });
}

/**
 * An order reference a member can recognise: the merchant's own (printed on the receipt), not
 * the id this service gave one of its own orders (a package, a gift card sale), which says
 * nothing to them: `prefix_` and 26 characters of Crockford base32.
 */
export function memberOrderRef(orderId: string | null): string | null {
  if (!orderId || /^[a-z]{2,5}_[0-9a-hjkmnp-tv-z]{26}$/.test(orderId)) return null;
  return orderId;
}
