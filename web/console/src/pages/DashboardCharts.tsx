import { useQuery } from "@tanstack/react-query";
import { Card, Table, Tag, Typography } from "antd";
import { useMemo } from "react";
import { api, type components, unwrap } from "../../../api/client";
import { Chart } from "../components/Chart";
import { useOrgUnits } from "../components/orgUnits";
import { ProblemAlert } from "../components/problems";
import { useI18n } from "../i18n/i18n";

type DepositAccount = components["schemas"]["DepositAccount"];
/** The home page's window: a month reads at a glance. */
const DAYS = 30;
/** The deposit panel shows the first accounts only; the deposits pages list them all. */
const DEPOSIT_ACCOUNTS = 20;

function useDaily() {
  return useQuery({
    queryKey: ["wallet-daily-totals", DAYS],
    queryFn: () => unwrap(api.GET("/v1/wallet-daily-totals", { params: { query: { days: DAYS } } })),
  });
}

const day = (date: string) => date.slice(5);

/** The balance all members held at the end of each day. */
export function BalanceTrend() {
  const { t, fmt } = useI18n();
  const daily = useDaily();
  const rows = daily.data?.data;
  const option = useMemo(
    () =>
      rows && {
        animation: false,
        tooltip: { trigger: "axis", valueFormatter: (v: number) => fmt.money(v) },
        grid: { left: 90, right: 24, top: 24, bottom: 32 },
        xAxis: { type: "category", data: rows.map((r) => day(r.date)) },
        yAxis: { type: "value", axisLabel: { formatter: (v: number) => fmt.money(v) } },
        series: [
          {
            name: t("home.closingBalance"),
            type: "line",
            smooth: true,
            areaStyle: { opacity: 0.12 },
            data: rows.map((r) => r.closing_balance),
          },
        ],
      },
    [rows, t, fmt],
  );
  return (
    <Card title={t("home.balanceTrend", { days: DAYS })} loading={daily.isPending}>
      <ProblemAlert error={daily.error} />
      {option ? <Chart option={option} label={t("home.balanceTrend", { days: DAYS })} height={240} /> : null}
    </Card>
  );
}

/** Top-ups (and balance consumption beside them) per day. */
export function TopupsPerDay() {
  const { t, fmt } = useI18n();
  const daily = useDaily();
  const rows = daily.data?.data;
  const total = rows?.reduce((sum, r) => sum + r.topups, 0);
  const option = useMemo(
    () =>
      rows && {
        animation: false,
        legend: { top: 0 },
        tooltip: { trigger: "axis", valueFormatter: (v: number) => fmt.money(v) },
        grid: { left: 90, right: 24, top: 32, bottom: 32 },
        xAxis: { type: "category", data: rows.map((r) => day(r.date)) },
        yAxis: { type: "value", axisLabel: { formatter: (v: number) => fmt.money(v) } },
        series: [
          {
            name: t("home.topups"),
            type: "bar",
            itemStyle: { color: "#16a34a" },
            data: rows.map((r) => r.topups),
          },
          {
            name: t("home.consumption"),
            type: "bar",
            itemStyle: { color: "#dc2626" },
            data: rows.map((r) => r.consumption),
          },
        ],
      },
    [rows, t, fmt],
  );
  return (
    <Card
      title={t("home.topupsPerDay", { days: DAYS })}
      loading={daily.isPending}
      extra={
        <Typography.Text data-testid="home-topups-total">
          {t("home.topupsTotal", { amount: fmt.money(total) })}
        </Typography.Text>
      }
    >
      <ProblemAlert error={daily.error} />
      {option ? <Chart option={option} label={t("home.topupsPerDay", { days: DAYS })} height={240} /> : null}
    </Card>
  );
}

/** The merchants' deposits: what is available against the threshold that suspends campaigns. */
export function DepositLevels() {
  const { t, fmt } = useI18n();
  const units = useOrgUnits();
  const accounts = useQuery({
    queryKey: ["deposit-accounts", "home"],
    queryFn: () =>
      unwrap(api.GET("/v1/deposit-accounts", { params: { query: { limit: DEPOSIT_ACCOUNTS } } })),
  });
  const rows = accounts.data?.data;
  const names = useMemo(() => new Map((units.data ?? []).map((u) => [u.id, u.name])), [units.data]);
  const name = (a: DepositAccount) => names.get(a.merchant_id) ?? a.merchant_id;
  const option = useMemo(
    () =>
      rows &&
      rows.length > 0 && {
        animation: false,
        legend: { top: 0 },
        tooltip: { trigger: "axis", valueFormatter: (v: number) => fmt.money(v) },
        grid: { left: 90, right: 24, top: 32, bottom: 32 },
        xAxis: { type: "category", data: rows.map((a) => names.get(a.merchant_id) ?? a.merchant_id) },
        yAxis: { type: "value", axisLabel: { formatter: (v: number) => fmt.money(v) } },
        series: [
          { name: t("home.available"), type: "bar", data: rows.map((a) => a.available) },
          {
            name: t("home.threshold"),
            type: "line",
            step: "middle",
            itemStyle: { color: "#dc2626" },
            data: rows.map((a) => a.suspension_threshold),
          },
        ],
      },
    [rows, names, t, fmt],
  );
  return (
    <Card title={t("home.deposits")} loading={accounts.isPending}>
      <ProblemAlert error={accounts.error} />
      {option ? <Chart option={option} label={t("home.deposits")} height={220} /> : null}
      <Table<DepositAccount>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={rows ?? []}
        locale={{ emptyText: t("home.noDeposits") }}
        columns={[
          { title: t("home.merchant"), key: "merchant", render: (_, a) => name(a) },
          { title: t("home.available"), dataIndex: "available", render: (v) => fmt.money(v) },
          { title: t("home.threshold"), dataIndex: "suspension_threshold", render: (v) => fmt.money(v) },
          {
            title: t("common.status"),
            key: "level",
            render: (_, a) =>
              a.campaigns_suspended || a.available < a.suspension_threshold ? (
                <Tag color="red">{t("home.belowThreshold")}</Tag>
              ) : a.warning_value !== null && a.available < a.warning_value ? (
                <Tag color="orange">{t("home.belowWarning")}</Tag>
              ) : (
                <Tag color="green">{t("home.enough")}</Tag>
              ),
          },
        ]}
      />
      {accounts.data?.has_more ? (
        <Typography.Text type="secondary">
          {t("home.firstAccounts", { count: DEPOSIT_ACCOUNTS })}
        </Typography.Text>
      ) : null}
    </Card>
  );
}
