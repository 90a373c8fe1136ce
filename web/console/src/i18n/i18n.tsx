import { createContext, type ReactNode, useContext, useMemo } from "react";
import { type Conventions, type Format, formatter, type Lang, type Translate, translator } from "./format.js";

export * from "./format.js";

interface I18nValue {
  lang: Lang;
  t: Translate;
  fmt: Format;
  setLang(lang: Lang): void;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider(props: {
  conventions: Conventions;
  setLang(lang: Lang): void;
  children: ReactNode;
}) {
  const { lang, currency, timeZone } = props.conventions;
  const value = useMemo(
    () => ({
      lang,
      t: translator(lang),
      fmt: formatter({ lang, currency, timeZone }),
      setLang: props.setLang,
    }),
    [lang, currency, timeZone, props.setLang],
  );
  return <I18nContext.Provider value={value}>{props.children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n outside I18nProvider");
  return value;
}
