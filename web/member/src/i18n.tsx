import { createContext, type ReactNode, useContext, useMemo } from "react";
import { type Currency, type Format, formatter, type Lang, type Translate, translator } from "./format";

export * from "./format";

interface I18nValue {
  lang: Lang;
  t: Translate;
  fmt: Format;
  setLang(lang: Lang): void;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider(props: {
  lang: Lang;
  currency: Currency;
  timeZone: string;
  setLang(lang: Lang): void;
  children: ReactNode;
}) {
  const { lang, currency, timeZone, setLang } = props;
  const value = useMemo(
    () => ({ lang, t: translator(lang), fmt: formatter(lang, currency, timeZone), setLang }),
    [lang, currency, timeZone, setLang],
  );
  return <I18nContext.Provider value={value}>{props.children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n outside I18nProvider");
  return value;
}
