import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App as AntApp, ConfigProvider, Spin } from "antd";
import enUSLocale from "antd/locale/en_US";
import zhCNLocale from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { StrictMode, useCallback, useState, useSyncExternalStore } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { ApiError } from "../../api/client";
import { onReducedMotionChange, prefersReducedMotion } from "../../api/reduced-motion";
import { I18nProvider, LANGS, type Lang } from "./i18n/i18n";
import { SignIn } from "./pages/SignIn";
import { Shell } from "./Shell";
import { SessionProvider, useSessionQuery } from "./session";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not get better by asking again.
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

/**
 * antd's defaults put secondary text (#8c8c8c), placeholders, links and info (#1677ff), errors and
 * danger buttons (#ff4d4f), success and warning text, and most coloured tags' text at 1.8-4.1:1
 * on their backgrounds. These meet WCAG AA's 4.5:1 for text on white. A coloured tag's text is
 * its palette's 7th shade, which antd derives from the palette's seed whatever the theme says:
 * index.html sets those shades (the next darker ones) on antd's variables instead. Links follow
 * colorInfo, error text colorError, and descriptions colorTextTertiary.
 */
const READABLE_TOKENS = {
  colorPrimary: "#1d4ed8",
  colorInfo: "#1d4ed8",
  colorLinkHover: "#1e40af",
  colorError: "#cf1322",
  colorSuccessText: "#237804",
  colorWarningText: "#ad4e00",
  colorTextTertiary: "rgba(0, 0, 0, 0.56)",
  colorTextPlaceholder: "rgba(0, 0, 0, 0.54)",
};

const LAST_LANG = "vouchsafe.lang";
const userLangKey = (userId: string) => `vouchsafe.lang.${userId}`;

function storedLang(key: string): Lang | undefined {
  const value = localStorage.getItem(key);
  return LANGS.includes(value as Lang) ? (value as Lang) : undefined;
}

function Root() {
  const { data, isPending } = useSessionQuery();
  const [chosen, setChosen] = useState<Lang | undefined>(() => storedLang(LAST_LANG));
  const reducedMotion = useSyncExternalStore(onReducedMotionChange, prefersReducedMotion);
  const userId = data?.session.user.id;
  // A user's own choice wins; otherwise the tenant's locale (zh-CN tenants read Chinese).
  const lang: Lang =
    (userId ? storedLang(userLangKey(userId)) : undefined) ??
    (data ? (data.tenant.locale === "zh-CN" ? "zh-CN" : "en-US") : undefined) ??
    chosen ??
    (navigator.language.startsWith("zh") ? "zh-CN" : "en-US");
  const setLang = useCallback(
    (next: Lang) => {
      localStorage.setItem(LAST_LANG, next);
      if (userId) localStorage.setItem(userLangKey(userId), next);
      setChosen(next);
    },
    [userId],
  );
  dayjs.locale(lang === "zh-CN" ? "zh-cn" : "en");
  document.documentElement.lang = lang;
  const conventions = {
    lang,
    currency: data?.tenant.default_currency ?? "CNY",
    timeZone: data?.tenant.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
  return (
    <ConfigProvider
      locale={lang === "zh-CN" ? zhCNLocale : enUSLocale}
      button={{ autoInsertSpace: false }}
      // A clicked button's ripple runs on fixed durations, whatever the motion token says.
      wave={{ disabled: reducedMotion }}
      theme={{
        token: { ...READABLE_TOKENS, motion: !reducedMotion },
        // An empty table says so in the disabled grey (1.8:1); its message is read, not disabled.
        components: { Table: { colorTextDisabled: READABLE_TOKENS.colorTextTertiary } },
      }}
    >
      <AntApp>
        <I18nProvider conventions={conventions} setLang={setLang}>
          {isPending ? (
            <Spin fullscreen />
          ) : data ? (
            <SessionProvider session={data.session} tenant={data.tenant}>
              <Shell />
            </SessionProvider>
          ) : (
            <SignIn />
          )}
        </I18nProvider>
      </AntApp>
    </ConfigProvider>
  );
}

/**
 * A dialog's save awaits its form's `validateFields()`, which rejects when a field is invalid.
 * The form already shows each error beside its field, so that rejection is the form's answer,
 * not a fault: it is handled here once instead of by a catch in every dialog.
 */
window.addEventListener("unhandledrejection", (event) => {
  const reason = event.reason as { errorFields?: unknown } | null;
  if (reason && typeof reason === "object" && Array.isArray(reason.errorFields)) event.preventDefault();
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter basename="/console">
        <Root />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
