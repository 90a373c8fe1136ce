import { useQuery } from "@tanstack/react-query";
import { Card, Col, Row, Statistic, Typography } from "antd";
import { useMemo } from "react";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../../api/client";
import { Chart } from "../components/Chart";
import { WalletStatCards } from "../components/StatCards";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

/** The home page: the figures the signed-in role works with, and where to go next. */
export default function Dashboard() {
  const { t, fmt } = useI18n();
  const { can, user } = useSession();
  const totals = useQuery({
    queryKey: ["wallet-totals"],
    enabled: can("GET /v1/wallet-totals"),
    queryFn: () => unwrap(api.GET("/v1/wallet-totals")),
  });
  const benefits = useQuery({
    queryKey: ["benefits", "active-count"],
    enabled: can("GET /v1/benefits"),
    queryFn: () => unwrap(api.GET("/v1/benefits", { params: { query: { status: "active", limit: 100 } } })),
  });
  const d = totals.data;
  const option = useMemo(
    () =>
      d
        ? {
            animation: false,
            tooltip: { trigger: "axis" },
            grid: { left: 80, right: 24, top: 24, bottom: 32 },
            xAxis: { type: "category", data: [t("stats.todayIncrease"), t("stats.todayConsumption")] },
            yAxis: { type: "value", axisLabel: { formatter: (v: number) => fmt.money(v) } },
            series: [
              {
                type: "bar",
                barWidth: 56,
                data: [
                  { value: d.today_increase, itemStyle: { color: "#16a34a" } },
                  { value: d.today_consumption, itemStyle: { color: "#dc2626" } },
                ],
                tooltip: { valueFormatter: (v: number) => fmt.money(v) },
              },
            ],
          }
        : undefined,
    [d, t, fmt],
  );
  return (
    <>
      <Typography.Title level={3}>{t("home.title", { name: user.name })}</Typography.Title>
      <WalletStatCards />
      <Row gutter={16}>
        <Col span={16}>
          <Card title={t("home.today")}>
            {option ? (
              <Chart option={option} label={t("home.today")} />
            ) : (
              <Typography.Text type="secondary">—</Typography.Text>
            )}
          </Card>
        </Col>
        <Col span={8}>
          <Card title={t("home.shortcuts")}>
            {can("GET /v1/benefits") ? (
              <Statistic
                title={t("home.activeBenefits")}
                value={
                  benefits.data ? `${benefits.data.data.length}${benefits.data.has_more ? "+" : ""}` : "…"
                }
              />
            ) : null}
            <ul style={{ paddingLeft: 20, marginTop: 16 }}>
              {can("GET /v1/members") ? (
                <li>
                  <Link to="/members">{t("nav.members")}</Link>
                </li>
              ) : null}
              {can("POST /v1/checkout/quotes") ? (
                <li>
                  <Link to="/checkout">{t("nav.checkout")}</Link>
                </li>
              ) : null}
              {can("GET /v1/benefits") ? (
                <li>
                  <Link to="/benefits">{t("nav.benefits")}</Link>
                </li>
              ) : null}
            </ul>
          </Card>
        </Col>
      </Row>
    </>
  );
}
