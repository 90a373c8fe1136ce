import { TabBar } from "antd-mobile";
import { AppOutline, CouponOutline, GiftOutline, LeftOutline, StarOutline } from "antd-mobile-icons";
import { lazy, Suspense } from "react";
import { Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { Loading } from "./components";
import { useMember } from "./context";
import { useI18n } from "./i18n";
import type { MessageKey } from "./messages";
import { Home } from "./pages/Home";

const Balance = lazy(() => import("./pages/Balance"));
const Vouchers = lazy(() => import("./pages/Vouchers"));
const GiftCards = lazy(() => import("./pages/GiftCards"));
const Points = lazy(() => import("./pages/Points"));
const Packages = lazy(() => import("./pages/Packages"));
const TopUp = lazy(() => import("./pages/TopUp"));
const Cashier = lazy(() => import("./pages/Cashier"));
const BuyGiftCard = lazy(() => import("./pages/BuyGiftCard"));
const Student = lazy(() => import("./pages/Student"));
const Benefits = lazy(() => import("./pages/Benefits"));

const TABS = [
  { key: "/", title: "nav.home", icon: <AppOutline /> },
  { key: "/vouchers", title: "nav.vouchers", icon: <CouponOutline /> },
  { key: "/gift-cards", title: "nav.giftCards", icon: <GiftOutline /> },
  { key: "/packages", title: "nav.packages", icon: <StarOutline /> },
] as const;

const TITLES: Record<string, MessageKey> = {
  "/balance": "nav.balance",
  "/points": "nav.points",
  "/topup": "nav.topup",
  "/cashier": "nav.cashier",
  "/gift-cards/buy": "nav.buyGiftCard",
  "/student": "nav.student",
  "/benefits": "nav.benefits",
  "/vouchers": "nav.vouchers",
  "/gift-cards": "nav.giftCards",
  "/packages": "nav.packages",
};

const BAR_BUTTON: React.CSSProperties = {
  display: "flex",
  alignItems: "center",
  padding: "6px 0",
  border: 0,
  background: "none",
  color: "#fff",
  cursor: "pointer",
};

/** A phone page: the tenant's bar on top, the page, the tabs at the bottom. */
export function Shell() {
  const { t, lang, setLang } = useI18n();
  const { branding } = useMember();
  const navigate = useNavigate();
  const path = useLocation().pathname.replace(/\/$/, "") || "/";
  const isTab = TABS.some((tab) => tab.key === path);
  const title = TITLES[path] ? t(TITLES[path]) : branding.name;
  return (
    <div style={{ display: "flex", flexDirection: "column", minHeight: "100vh" }}>
      {/* A bar of our own, not antd-mobile's NavBar: its left side is an unnamed role="button"
          and its back arrow a div no keyboard reaches; here both are real buttons with names. */}
      <header
        style={{
          display: "flex",
          alignItems: "center",
          height: 48,
          padding: "0 12px",
          whiteSpace: "nowrap",
          background: "var(--brand)",
          color: "#fff",
        }}
      >
        <div style={{ flex: 1, display: "flex" }}>
          {isTab ? null : (
            <button type="button" aria-label={t("app.back")} onClick={() => navigate(-1)} style={BAR_BUTTON}>
              <LeftOutline fontSize={24} />
            </button>
          )}
        </div>
        <h1
          data-testid="page-title"
          style={{
            flex: "auto",
            margin: 0,
            padding: "0 12px",
            overflow: "hidden",
            textOverflow: "ellipsis",
            textAlign: "center",
            fontSize: 18,
            fontWeight: "normal",
          }}
        >
          {title}
        </h1>
        <div style={{ flex: 1, display: "flex", justifyContent: "flex-end" }}>
          <button
            type="button"
            onClick={() => setLang(lang === "zh-CN" ? "en" : "zh-CN")}
            style={{ ...BAR_BUTTON, fontSize: 14 }}
          >
            {t("app.lang")}
          </button>
        </div>
      </header>
      <main style={{ flex: 1, paddingBottom: 64 }}>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<Home />} />
            <Route path="/balance" element={<Balance />} />
            <Route path="/vouchers" element={<Vouchers />} />
            <Route path="/gift-cards" element={<GiftCards />} />
            <Route path="/points" element={<Points />} />
            <Route path="/packages" element={<Packages />} />
            <Route path="/topup" element={<TopUp />} />
            <Route path="/cashier" element={<Cashier />} />
            <Route path="/gift-cards/buy" element={<BuyGiftCard />} />
            <Route path="/student" element={<Student />} />
            <Route path="/benefits" element={<Benefits />} />
            <Route path="*" element={<Home />} />
          </Routes>
        </Suspense>
      </main>
      <TabBar
        activeKey={isTab ? path : null}
        onChange={(key) => navigate(key)}
        style={{
          position: "fixed",
          bottom: 0,
          left: 0,
          right: 0,
          background: "#fff",
          borderTop: "1px solid var(--adm-color-border)",
          paddingBottom: "env(safe-area-inset-bottom)",
        }}
      >
        {TABS.map((tab) => (
          <TabBar.Item key={tab.key} icon={tab.icon} title={t(tab.title)} />
        ))}
      </TabBar>
    </div>
  );
}
