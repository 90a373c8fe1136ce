import {
  ApartmentOutlined,
  ApiOutlined,
  AuditOutlined,
  BellOutlined,
  CloudDownloadOutlined,
  CreditCardOutlined,
  CrownOutlined,
  DashboardOutlined,
  ExperimentOutlined,
  GiftOutlined,
  IdcardOutlined,
  KeyOutlined,
  MailOutlined,
  MobileOutlined,
  ScheduleOutlined,
  SettingOutlined,
  ShopOutlined,
  ShoppingCartOutlined,
  TagsOutlined,
  TeamOutlined,
  UserOutlined,
  WalletOutlined,
} from "@ant-design/icons";
import { Button, Dropdown, Layout, Menu, Result, Select, Space, Spin, Tag, Typography } from "antd";
import { lazy, type ReactNode, Suspense, useState } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { PasswordDialog } from "./components/PasswordDialog";
import { TestClockBar } from "./components/TestClockBar";
import { LANGS, type Lang, type MessageKey, useI18n } from "./i18n/i18n";
import { FINANCE_PAGES } from "./pages/finance";
import { isPortalPath, portalPages, usePortal } from "./portals";
import { useSession } from "./session";

// The bell loads apart so its drawer and list stay out of the first chunk.
const Inbox = lazy(() => import("./components/Inbox").then((m) => ({ default: m.Inbox })));
const Dashboard = lazy(() => import("./pages/Dashboard"));
const Members = lazy(() => import("./pages/Members"));
const MemberDetail = lazy(() => import("./pages/MemberDetail"));
const Benefits = lazy(() => import("./pages/Benefits"));
const Checkout = lazy(() => import("./pages/Checkout"));
const ApiKeys = lazy(() => import("./pages/ApiKeys"));
const Sandboxes = lazy(() => import("./pages/Sandboxes"));
const Users = lazy(() => import("./pages/Users"));
const Webhooks = lazy(() => import("./pages/Webhooks"));
const AuditLog = lazy(() => import("./pages/AuditLog"));
const Jobs = lazy(() => import("./pages/Jobs"));
const Exports = lazy(() => import("./pages/Exports"));
const OrgUnits = lazy(() => import("./pages/OrgUnits"));
const Settings = lazy(() => import("./pages/Settings"));
const Segments = lazy(() => import("./pages/Segments"));
const TopupPlans = lazy(() => import("./pages/TopupPlans"));
const TopupPlanDetail = lazy(() => import("./pages/TopupPlanDetail"));
const TopupIntents = lazy(() => import("./pages/TopupIntents"));
const GiftCards = lazy(() => import("./pages/GiftCards"));
const Packages = lazy(() => import("./pages/Packages"));
const PackageDetail = lazy(() => import("./pages/PackageDetail"));
const Students = lazy(() => import("./pages/Students"));
const Notifications = lazy(() => import("./pages/Notifications"));
const InboxPage = lazy(() => import("./pages/InboxPage"));
const CashierOrders = lazy(() => import("./pages/CashierOrders"));
const MemberCenterLook = lazy(() => import("./pages/MemberCenterLook"));

export interface Page {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  /** The operation the page is built on: shown only to those who may call it. */
  needs: string;
  element: ReactNode;
  group?: Group;
  /** Only on a live tenant (a sandbox cannot have sandboxes). */
  liveOnly?: boolean;
}

/** The menu's groups, in their order (ungrouped pages come first). */
const GROUPS = ["finance", "platform"] as const;
type Group = (typeof GROUPS)[number];

const PAGES: Page[] = [
  {
    path: "/",
    label: "nav.home",
    icon: <DashboardOutlined />,
    needs: "GET /v1/tenant",
    element: <Dashboard />,
  },
  {
    path: "/members",
    label: "nav.members",
    icon: <TeamOutlined />,
    needs: "GET /v1/members",
    element: <Members />,
  },
  {
    path: "/segments",
    label: "nav.segments",
    icon: <TagsOutlined />,
    needs: "GET /v1/member-tags",
    element: <Segments />,
  },
  {
    path: "/benefits",
    label: "nav.benefits",
    icon: <GiftOutlined />,
    needs: "GET /v1/benefits",
    element: <Benefits />,
  },
  {
    path: "/topup",
    label: "nav.topup",
    icon: <WalletOutlined />,
    needs: "GET /v1/topup-plans",
    element: <TopupPlans />,
  },
  {
    path: "/topup-orders",
    label: "nav.topupOrders",
    icon: <WalletOutlined />,
    needs: "GET /v1/topup-intents",
    element: <TopupIntents />,
  },
  {
    path: "/packages",
    label: "nav.packages",
    icon: <CrownOutlined />,
    needs: "GET /v1/packages",
    element: <Packages />,
  },
  {
    path: "/gift-cards",
    label: "nav.giftCards",
    icon: <CreditCardOutlined />,
    needs: "GET /v1/gift-cards",
    element: <GiftCards />,
  },
  {
    path: "/students",
    label: "nav.students",
    icon: <IdcardOutlined />,
    needs: "GET /v1/student-verifications",
    element: <Students />,
  },
  {
    path: "/cashier-orders",
    label: "nav.cashierOrders",
    icon: <ShopOutlined />,
    needs: "GET /v1/cashier-orders",
    element: <CashierOrders />,
  },
  {
    path: "/checkout",
    label: "nav.checkout",
    icon: <ShoppingCartOutlined />,
    needs: "POST /v1/checkout/quotes",
    element: <Checkout />,
  },
  {
    path: "/platform/org",
    label: "nav.org",
    icon: <ApartmentOutlined />,
    needs: "GET /v1/org-units",
    element: <OrgUnits />,
    group: "platform",
  },
  {
    path: "/platform/settings",
    label: "nav.settings",
    icon: <SettingOutlined />,
    needs: "GET /v1/wallet-settings",
    element: <Settings />,
    group: "platform",
  },
  {
    path: "/platform/member-center",
    label: "nav.memberCenter",
    icon: <MobileOutlined />,
    needs: "GET /v1/member-center-settings",
    element: <MemberCenterLook />,
    group: "platform",
  },
  {
    path: "/platform/notifications",
    label: "nav.notifications",
    icon: <MailOutlined />,
    needs: "GET /v1/notification-templates",
    element: <Notifications />,
    group: "platform",
  },
  {
    path: "/platform/inbox",
    label: "inbox.title",
    icon: <BellOutlined />,
    needs: "GET /v1/inbox",
    element: <InboxPage />,
    group: "platform",
  },
  {
    path: "/platform/users",
    label: "nav.users",
    icon: <UserOutlined />,
    needs: "GET /v1/users",
    element: <Users />,
    group: "platform",
  },
  {
    path: "/platform/api-keys",
    label: "nav.apiKeys",
    icon: <KeyOutlined />,
    needs: "GET /v1/api-keys",
    element: <ApiKeys />,
    group: "platform",
  },
  {
    path: "/platform/sandboxes",
    label: "nav.sandboxes",
    icon: <ExperimentOutlined />,
    needs: "POST /v1/sandboxes",
    element: <Sandboxes />,
    group: "platform",
    liveOnly: true,
  },
  {
    path: "/platform/webhooks",
    label: "nav.webhooks",
    icon: <ApiOutlined />,
    needs: "GET /v1/webhook-endpoints",
    element: <Webhooks />,
    group: "platform",
  },
  {
    path: "/platform/audit",
    label: "nav.audit",
    icon: <AuditOutlined />,
    needs: "GET /v1/audit-events",
    element: <AuditLog />,
    group: "platform",
  },
  {
    path: "/platform/jobs",
    label: "nav.jobs",
    icon: <ScheduleOutlined />,
    needs: "GET /v1/jobs/failed",
    element: <Jobs />,
    group: "platform",
  },
  {
    path: "/platform/exports",
    label: "nav.exports",
    icon: <CloudDownloadOutlined />,
    needs: "GET /v1/exports",
    element: <Exports />,
    group: "platform",
  },
  ...FINANCE_PAGES,
];

/** Detail pages, reached from their lists rather than the menu. */
const DETAIL_PATHS = ["/members/", "/gift-cards/", "/packages/", "/topup/plans/"];

/**
 * A page the signed-in user may not open, or one that does not exist: said so, with the way
 * home, rather than a silent jump that leaves a followed link looking broken. The root itself
 * goes home (a partner's home is its portal's first page).
 */
function NotHere({ home }: { home: string }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  if (pathname === "/" || pathname === "") return <Navigate to={home} replace />;
  const known =
    PAGES.some((p) => p.path !== "/" && (pathname === p.path || pathname.startsWith(`${p.path}/`))) ||
    DETAIL_PATHS.some((prefix) => pathname.startsWith(prefix)) ||
    isPortalPath(pathname);
  return (
    <Result
      status={known ? "403" : "404"}
      title={t(known ? "shell.forbiddenTitle" : "shell.notFoundTitle")}
      subTitle={t(known ? "shell.forbidden" : "shell.notFound")}
      extra={
        <Button type="primary" onClick={() => navigate(home)}>
          {t("shell.backHome")}
        </Button>
      }
    />
  );
}

export function Shell() {
  const { t, lang, setLang } = useI18n();
  const { can, user, tenant, signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [changingPassword, setChangingPassword] = useState(false);
  const { pending, portal } = usePortal();
  // A partner (distributor, reseller, enterprise master) sees its portal and nothing else.
  const partner = portal ? portalPages(portal, can) : undefined;
  const pages = partner ? [] : PAGES.filter((p) => can(p.needs) && !(p.liveOnly && tenant.sandbox));
  const item = (p: Pick<Page, "path" | "icon" | "label">) => ({
    key: p.path,
    icon: p.icon,
    label: t(p.label),
  });
  const items = partner
    ? [...new Set(partner.map((p) => p.group))].map((group) => ({
        type: "group" as const,
        key: group,
        label: t(group),
        children: partner.filter((p) => p.group === group && !p.hidden).map(item),
      }))
    : [
        ...pages.filter((p) => !p.group).map(item),
        ...GROUPS.flatMap((group) => {
          const children = pages.filter((p) => p.group === group).map(item);
          return children.length > 0
            ? [{ type: "group" as const, key: group, label: t(`nav.${group}`), children }]
            : [];
        }),
      ];
  const home = partner?.[0]?.path ?? "/";
  const selected =
    [...pages, ...(partner?.filter((p) => !p.hidden) ?? [])]
      .map((p) => p.path)
      .filter((path) => (path === "/" ? location.pathname === "/" : location.pathname.startsWith(path)))
      .sort((a, b) => b.length - a.length)[0] ?? "/";
  return (
    <Layout hasSider style={{ minHeight: "100vh" }}>
      <Layout.Sider
        width={216}
        theme="light"
        // The menu stays in view while a long list scrolls, with a scroll of its own when it
        // is taller than the window (an owner sees some thirty entries).
        style={{
          borderRight: "1px solid #f0f0f0",
          position: "sticky",
          top: 0,
          height: "100vh",
          overflowY: "auto",
        }}
      >
        <div style={{ padding: "16px 20px", fontWeight: 600, fontSize: 18 }}>Vouchsafe</div>
        <nav aria-label={t("nav.menu")}>
          <Menu
            mode="inline"
            style={{ borderInlineEnd: "none" }}
            selectedKeys={[selected]}
            items={items}
            onClick={(e) => navigate(e.key)}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: "#fff",
            display: "flex",
            justifyContent: "space-between",
            alignItems: "center",
            padding: "0 24px",
            borderBottom: "1px solid #f0f0f0",
            position: "sticky",
            top: 0,
            zIndex: 10,
          }}
        >
          <Space>
            <Typography.Text strong>{tenant.name}</Typography.Text>
            <Tag>{t(`role.${user.role}` as MessageKey)}</Tag>
            {user.org_unit_id ? <Tag color="blue">{t("shell.scoped")}</Tag> : null}
          </Space>
          <Space>
            <Suspense fallback={null}>
              <Inbox />
            </Suspense>
            <Select<Lang>
              aria-label={t("shell.language")}
              value={lang}
              onChange={setLang}
              style={{ width: 120 }}
              options={LANGS.map((l) => ({ value: l, label: t(`lang.${l}` as MessageKey) }))}
            />
            {/* Opened by a click, as a keyboard opens it too; a menu that opens on hover alone is
                out of a keyboard's reach, and closes when the pointer passes while the page renders. */}
            <Dropdown
              trigger={["click"]}
              menu={{
                items: [
                  { key: "password", label: t("shell.changePassword") },
                  { key: "signout", label: t("shell.signOut") },
                ],
                onClick: (e) => (e.key === "signout" ? void signOut() : setChangingPassword(true)),
              }}
            >
              <Button type="text" icon={<UserOutlined />}>
                {user.email}
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <TestClockBar />
        <Layout.Content style={{ padding: 24 }}>
          <Suspense fallback={<Spin />}>
            {pending ? (
              <Spin />
            ) : (
              <Routes>
                {partner?.map((p) => (
                  <Route key={p.path} path={p.path} element={p.element} />
                ))}
                {pages.map((p) => (
                  <Route key={p.path} path={p.path} element={p.element} />
                ))}
                {!partner && can("GET /v1/members/{id}") ? (
                  <Route path="/members/:id" element={<MemberDetail />} />
                ) : null}
                {!partner && can("GET /v1/gift-cards") ? (
                  <Route path="/gift-cards/*" element={<GiftCards />} />
                ) : null}
                {!partner && can("GET /v1/packages/{id}") ? (
                  <Route path="/packages/:id" element={<PackageDetail />} />
                ) : null}
                {!partner && can("GET /v1/topup-plans/{id}/top-ups") ? (
                  <Route path="/topup/plans/:id" element={<TopupPlanDetail />} />
                ) : null}
                <Route path="*" element={<NotHere home={home} />} />
              </Routes>
            )}
          </Suspense>
        </Layout.Content>
      </Layout>
      <PasswordDialog open={changingPassword} onClose={() => setChangingPassword(false)} />
    </Layout>
  );
}
