import { useQuery } from "@tanstack/react-query";
import { Card, Col, Row, Statistic } from "antd";
import { api, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { ProblemAlert } from "./problems";

/** Seed 004's four totals: balance held by members, cumulative consumption, today's in and out. */
export function WalletStatCards() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const totals = useQuery({
    queryKey: ["wallet-totals"],
    enabled: can("GET /v1/wallet-totals"),
    queryFn: () => unwrap(api.GET("/v1/wallet-totals")),
  });
  if (!can("GET /v1/wallet-totals")) return null;
  const d = totals.data;
  const cards = [
    { key: "total", label: t("stats.totalBalance"), value: d?.total_balance },
    { key: "consumption", label: t("stats.totalConsumption"), value: d?.total_consumption },
    { key: "todayIncrease", label: t("stats.todayIncrease"), value: d?.today_increase },
    { key: "todayConsumption", label: t("stats.todayConsumption"), value: d?.today_consumption },
  ];
  return (
    <>
      <ProblemAlert error={totals.error} />
      <Row gutter={16} style={{ marginBottom: 16 }}>
        {cards.map((c) => (
          <Col span={6} key={c.key}>
            <Card size="small" loading={totals.isPending} data-testid={`stat-${c.key}`}>
              <Statistic title={c.label} value={fmt.money(c.value)} />
            </Card>
          </Col>
        ))}
      </Row>
    </>
  );
}
