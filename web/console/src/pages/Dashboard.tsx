import { useQuery } from "@tanstack/react-query";
import { Card, Col, Row, Statistic, Typography } from "antd";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../../api/client";
import { WalletStatCards } from "../components/StatCards";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { BalanceTrend, DepositLevels, TopupsPerDay } from "./DashboardCharts";

type Section = "totals" | "trend" | "topups" | "deposits" | "shortcuts";
type Role = "owner" | "admin" | "operator" | "finance" | "viewer";

/**
 * What each role's home shows, in order: the owner and admin run the business, finance
 * watches money and the merchants' deposits, a store operator serves members at the counter,
 * a viewer reads. Each section also needs the user's access (a scoped user sees no totals).
 */
const HOME: Record<Role, Section[]> = {
  owner: ["totals", "trend", "topups", "deposits", "shortcuts"],
  admin: ["totals", "trend", "topups", "deposits", "shortcuts"],
  finance: ["totals", "topups", "trend", "deposits"],
  operator: ["shortcuts"],
  viewer: ["totals", "trend", "topups"],
};
const NEEDS: Record<Section, string> = {
  totals: "GET /v1/wallet-totals",
  trend: "GET /v1/wallet-daily-totals",
  topups: "GET /v1/wallet-daily-totals",
  deposits: "GET /v1/deposit-accounts",
  shortcuts: "GET /v1/tenant",
};

function Shortcuts() {
  const { t } = useI18n();
  const { can } = useSession();
  const benefits = useQuery({
    queryKey: ["benefits", "active-count"],
    enabled: can("GET /v1/benefits"),
    queryFn: () => unwrap(api.GET("/v1/benefits", { params: { query: { status: "active", limit: 100 } } })),
  });
  const links = [
    { needs: "GET /v1/members", to: "/members", label: "nav.members" },
    { needs: "POST /v1/checkout/quotes", to: "/checkout", label: "nav.checkout" },
    { needs: "GET /v1/benefits", to: "/benefits", label: "nav.benefits" },
    { needs: "GET /v1/topup-plans", to: "/topup", label: "nav.topup" },
  ] as const;
  return (
    <Card title={t("home.shortcuts")} data-testid="home-shortcuts">
      {can("GET /v1/benefits") ? (
        <Statistic
          title={t("home.activeBenefits")}
          value={benefits.data ? `${benefits.data.data.length}${benefits.data.has_more ? "+" : ""}` : "…"}
        />
      ) : null}
      <ul style={{ paddingLeft: 20, marginTop: 16, marginBottom: 0 }}>
        {links
          .filter((l) => can(l.needs))
          .map((l) => (
            <li key={l.to}>
              <Link to={l.to}>{t(l.label)}</Link>
            </li>
          ))}
      </ul>
    </Card>
  );
}

/** The home page: the figures the signed-in role works with, and where to go next. */
export default function Dashboard() {
  const { t } = useI18n();
  const { can, user } = useSession();
  const sections = HOME[user.role as Role].filter((s) => can(NEEDS[s]));
  const has = (s: Section) => sections.includes(s);
  return (
    <>
      <Typography.Title level={3}>{t("home.title", { name: user.name })}</Typography.Title>
      <Typography.Paragraph type="secondary" data-testid="home-role">
        {t(`home.for.${user.role}` as MessageKey)}
      </Typography.Paragraph>
      {has("totals") ? <WalletStatCards /> : null}
      <Row gutter={[16, 16]}>
        {has("trend") ? (
          <Col span={12}>
            <BalanceTrend />
          </Col>
        ) : null}
        {has("topups") ? (
          <Col span={12}>
            <TopupsPerDay />
          </Col>
        ) : null}
        {has("deposits") ? (
          <Col span={has("shortcuts") ? 16 : 24}>
            <DepositLevels />
          </Col>
        ) : null}
        {has("shortcuts") ? (
          <Col span={has("deposits") ? 8 : 12}>
            <Shortcuts />
          </Col>
        ) : null}
      </Row>
    </>
  );
}
