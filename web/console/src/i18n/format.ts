/** Catalogs, translation and locale-aware formatting: plain functions the pages and tests share. */
import { enUS, type MessageKey } from "./en-US.js";
import { zhCN } from "./zh-CN.js";

export type Lang = "zh-CN" | "en-US";
export const LANGS: Lang[] = ["zh-CN", "en-US"];
export const CATALOGS: Record<Lang, Record<MessageKey, string>> = { "en-US": enUS, "zh-CN": zhCN };
export type { MessageKey };

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** A message with its `{name}` placeholders filled from vars (the member center's catalogs too). */
export function fillMessage(text: string, vars?: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    vars && name in vars ? String(vars[name]) : whole,
  );
}

/** A missing key cannot compile (see MessageKey). */
export function translator(lang: Lang): Translate {
  const catalog = CATALOGS[lang];
  return (key, vars) => fillMessage(catalog[key], vars);
}

/** The tenant's conventions that every number, amount and date follows. */
export interface Conventions {
  lang: Lang;
  currency: string;
  timeZone: string;
}

const ISO_CURRENCY = /^[A-Z]{3}$/;

function currencyDigits(currency: string): number {
  if (!ISO_CURRENCY.test(currency)) return 2;
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}

/** Minor units as an exact decimal string ("-1234" at scale 2 → "-12.34"): no float on money. */
export function minorToDecimal(minor: number, scale: number): string {
  const sign = minor < 0 ? "-" : "";
  const digits = String(Math.abs(minor)).padStart(scale + 1, "0");
  return scale === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** "12.3" at scale 2 → 1230; undefined when it is not a plain decimal with at most `scale` places. */
export function decimalToMinor(text: string, scale: number): number | undefined {
  const match = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(text);
  if (!match) return undefined;
  const frac = match[2] ?? "";
  if (frac.length > scale) return undefined;
  const value = Number(match[1] + frac.padEnd(scale, "0"));
  return Number.isSafeInteger(value) ? value : undefined;
}

export function formatter(c: Conventions) {
  const scale = currencyDigits(c.currency);
  const money = ISO_CURRENCY.test(c.currency)
    ? new Intl.NumberFormat(c.lang, { style: "currency", currency: c.currency })
    : new Intl.NumberFormat(c.lang, { minimumFractionDigits: scale, maximumFractionDigits: scale });
  const integer = new Intl.NumberFormat(c.lang, { maximumFractionDigits: 0 });
  const dateTime = new Intl.DateTimeFormat(c.lang, {
    timeZone: c.timeZone,
    dateStyle: "medium",
    timeStyle: "short",
  });
  const date = new Intl.DateTimeFormat(c.lang, { timeZone: c.timeZone, dateStyle: "medium" });
  return {
    scale,
    currency: c.currency,
    timeZone: c.timeZone,
    /** Minor units of the tenant's currency, e.g. 123456 → "¥1,234.56". */
    money: (minor: number | null | undefined) =>
      minor === null || minor === undefined
        ? "—"
        : money.format(minorToDecimal(minor, scale) as unknown as number) +
          (ISO_CURRENCY.test(c.currency) ? "" : ` ${c.currency}`),
    number: (n: number | null | undefined) => (n === null || n === undefined ? "—" : integer.format(n)),
    dateTime: (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : "—"),
    date: (iso: string | null | undefined) => (iso ? date.format(new Date(iso)) : "—"),
    toMinor: (text: string) => decimalToMinor(text, scale),
    toMajor: (minor: number) => minorToDecimal(minor, scale),
  };
}
export type Format = ReturnType<typeof formatter>;
