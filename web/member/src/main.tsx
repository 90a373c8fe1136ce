import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ConfigProvider, ErrorBlock, reduceMotion, restoreMotion, unstableSetRender } from "antd-mobile";
import enUS from "antd-mobile/es/locales/en-US";
import zhCNLocale from "antd-mobile/es/locales/zh-CN";
import { type ReactNode, StrictMode, useCallback, useEffect, useState } from "react";
import { createRoot, type Root } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { DEFAULT_BRAND_COLOR } from "../../api/branding";
import { ApiError } from "../../api/client";
import { onReducedMotionChange, prefersReducedMotion } from "../../api/reduced-motion";
import { Loading, tintOf } from "./components";
import { Member } from "./context";
import { I18nProvider, LANGS, type Lang, translator } from "./i18n";
import { Shell } from "./Shell";
import {
  type Branding,
  basename,
  endVisit,
  loadBranding,
  type NoVisit,
  startVisit,
  type Visit,
} from "./session";

// antd-mobile's pop-ups (Dialog, Toast) render through this with React 19's createRoot.
unstableSetRender((node, container) => {
  const holder = container as Element & { _root?: Root };
  holder._root ??= createRoot(container);
  holder._root.render(node);
  return async () => {
    await Promise.resolve();
    holder._root?.unmount();
    holder._root = undefined;
  };
});

/**
 * antd-mobile's weak text (#999999) and success green (#00b578) read at under 3:1 on white. These
 * meet WCAG AA's 4.5:1 on white and on the pages' #f5f5f5. Set on the root element, so that
 * pop-ups, which render outside the app's element, use them too.
 */
const READABLE_COLORS = { "--adm-color-weak": "#666666", "--adm-color-success": "#00804f" };
for (const [name, value] of Object.entries(READABLE_COLORS))
  document.documentElement.style.setProperty(name, value);

// antd-mobile's motion is one global switch (react-spring's), so it follows the preference here.
const followMotionPreference = () => (prefersReducedMotion() ? reduceMotion() : restoreMotion());
followMotionPreference();
onReducedMotionChange(followMotionPreference);

const LANG_KEY = "vouchsafe.member.lang";
let onEnded: () => void = () => {};

const queryClient = new QueryClient({
  queryCache: new QueryCache({
    // The member token lasts minutes: once it is refused the visit is over.
    onError: (error) => {
      if (error instanceof ApiError && error.status === 401) onEnded();
    },
  }),
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const start = Promise.all([startVisit(), loadBranding().catch(() => null)]);

function App() {
  const [state, setState] = useState<{ visit: Visit | NoVisit | "ended"; branding: Branding | null }>();
  const [chosen, setChosen] = useState<Lang | undefined>(() => {
    const saved = localStorage.getItem(LANG_KEY);
    return LANGS.includes(saved as Lang) ? (saved as Lang) : undefined;
  });
  useEffect(() => {
    void start.then(([visit, branding]) => setState({ visit, branding }));
    onEnded = () => {
      endVisit();
      setState((s) => (s ? { ...s, visit: "ended" } : s));
    };
  }, []);
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(LANG_KEY, next);
    setChosen(next);
  }, []);
  const branding = state?.branding;
  const lang: Lang =
    chosen ??
    (branding
      ? branding.locale === "zh-CN"
        ? "zh-CN"
        : "en"
      : navigator.language.startsWith("zh")
        ? "zh-CN"
        : "en");
  document.documentElement.lang = lang;
  const color = branding?.brand_color ?? DEFAULT_BRAND_COLOR;
  const currency = branding?.currency ?? { code: "CNY", scale: 2, symbol: null };
  const timeZone = branding?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const t = translator(lang);
  document.title = branding ? `${branding.name} · ${t("app.title")}` : t("app.title");

  let body: ReactNode;
  if (!state) body = <Loading />;
  else if (!branding) body = <ErrorBlock status="empty" title={t("error.notFound")} description="" />;
  else if (typeof state.visit === "string") {
    const key = (
      {
        invalid: "entry.invalid",
        used: "entry.used",
        expired: "entry.expired",
        none: "entry.none",
        ended: "entry.ended",
      } as const
    )[state.visit];
    body = (
      <ErrorBlock
        data-testid="entry-refused"
        status="default"
        title={branding.name}
        description={t(key)}
        fullPage
      />
    );
  } else {
    body = (
      <Member.Provider value={{ visit: state.visit, branding }}>
        <Shell />
      </Member.Provider>
    );
  }
  return (
    <ConfigProvider locale={lang === "zh-CN" ? zhCNLocale : enUS}>
      <div
        style={
          {
            "--adm-color-primary": color,
            "--brand": color,
            // The light tint a chosen option sits on (antd-mobile's is a fixed light blue); its
            // text stays in the text colour (index.html): the brand colour on it reads under 4.5:1.
            "--adm-color-wathet": tintOf(color, 0.12),
          } as React.CSSProperties
        }
      >
        <I18nProvider lang={lang} currency={currency} timeZone={timeZone} setLang={setLang}>
          {body}
        </I18nProvider>
      </div>
    </ConfigProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter basename={basename}>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
