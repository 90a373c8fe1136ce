import { useQuery } from "@tanstack/react-query";
import {
  Button,
  Card,
  Col,
  DatePicker,
  Descriptions,
  Row,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type components, unwrap } from "../../../api/client";
import { AudienceSummary } from "../components/AudienceSummary";
import { CursorTable } from "../components/CursorTable";
import { ExportButton } from "../components/ExportButton";
import { DetailTitle } from "../components/Page";
import { ProviderRefunded } from "../components/ProviderRefunded";
import { ProblemAlert } from "../components/problems";
import { RecordRefundButton } from "../components/RecordRefundButton";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { PackageActions, PackageForm, PackageStatus, RulesSummary } from "./Packages";

type Order = components["schemas"]["PackageOrder"];
type Period = components["schemas"]["PackagePeriod"];

/** A package: its settings, sales in a date range, and its orders with their periods. */
export default function PackageDetail() {
  const { id = "" } = useParams();
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const [editing, setEditing] = useState(false);
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [
    dayjs().subtract(30, "day").startOf("day"),
    dayjs().endOf("day"),
  ]);
  const pkg = useQuery({
    queryKey: ["package", id],
    queryFn: () => unwrap(api.GET("/v1/packages/{id}", { params: { path: { id } } })),
  });
  const from = range[0].toISOString();
  const to = range[1].toISOString();
  const sales = useQuery({
    queryKey: ["package", id, "sales", from, to],
    enabled: can("GET /v1/packages/{id}/sales"),
    queryFn: () =>
      unwrap(api.GET("/v1/packages/{id}/sales", { params: { path: { id }, query: { from, to } } })),
  });
  const p = pkg.data;
  const s = sales.data;
  return (
    <>
      <Typography.Title level={3}>
        <DetailTitle list={t("pkg.title")} to="/packages" name={p?.name ?? "…"} />
      </Typography.Title>
      <ProblemAlert error={pkg.error ?? sales.error} />
      {p ? (
        <Card
          style={{ marginBottom: 16 }}
          title={<PackageStatus status={p.status} />}
          extra={
            <Space>
              <PackageActions pkg={p} />
              {p.status !== "archived" && can("PATCH /v1/packages/{id}") ? (
                <Button size="small" type="primary" onClick={() => setEditing(true)}>
                  {t("pkg.edit")}
                </Button>
              ) : null}
            </Space>
          }
        >
          <Descriptions column={2} size="small">
            <Descriptions.Item label={t("pkg.rule.list")}>
              <RulesSummary pkg={p} />
            </Descriptions.Item>
            <Descriptions.Item label={t("pkg.channels")}>
              {p.channels.map((c) => t(`checkout.channel.${c}` as MessageKey)).join(" / ")}
            </Descriptions.Item>
            <Descriptions.Item label={t("pkg.tags")}>
              {p.tags.map((x) => (
                <Tag key={x}>{x}</Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label={t("pkg.audience")}>
              <AudienceSummary rule={p.audience} testId="pkg-audience" />
            </Descriptions.Item>
            <Descriptions.Item label={t("pkg.description")}>{p.description ?? "—"}</Descriptions.Item>
          </Descriptions>
        </Card>
      ) : null}
      {can("GET /v1/packages/{id}/sales") ? (
        <Card
          title={t("pkg.detail.sales")}
          style={{ marginBottom: 16 }}
          extra={
            <Space>
              <DatePicker.RangePicker
                aria-label={t("pkg.sales.range")}
                value={range}
                allowClear={false}
                onChange={(v) => v?.[0] && v[1] && setRange([v[0].startOf("day"), v[1].endOf("day")])}
              />
              <ExportButton type="package_buyers" filters={{ package_id: id, from, to }} />
            </Space>
          }
        >
          <Row gutter={16}>
            <Col span={6}>
              <Statistic
                title={t("pkg.sales.volume")}
                value={fmt.number(s?.volume)}
                data-testid="pkg-volume"
              />
            </Col>
            <Col span={6}>
              <Statistic title={t("pkg.sales.revenue")} value={fmt.money(s?.revenue)} />
            </Col>
            <Col span={6}>
              <Statistic title={t("pkg.sales.buyers")} value={fmt.number(s?.buyers)} />
            </Col>
            <Col span={6}>
              <Statistic
                title={t("pkg.sales.refunds")}
                value={s ? `${fmt.number(s.refunds.count)} · ${fmt.money(s.refunds.amount)}` : "—"}
              />
            </Col>
          </Row>
        </Card>
      ) : null}
      {can("GET /v1/package-orders") ? (
        <Card title={t("pkg.detail.orders")}>
          <CursorTable<Order>
            queryKey={["package", id, "orders"]}
            fetchPage={(cursor) =>
              unwrap(api.GET("/v1/package-orders", { params: { query: { ...cursor, package_id: id } } }))
            }
            columns={[
              { title: t("common.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
              {
                title: t("pkg.order.member"),
                key: "member",
                render: (_, o) => (
                  <Link to={`/members/${o.member_id}`} title={o.member_id}>
                    {o.member_name ?? o.member_id}
                  </Link>
                ),
              },
              { title: t("pkg.order.rule"), dataIndex: "rule_key" },
              {
                title: t("pkg.order.priceKind"),
                dataIndex: "price_kind",
                render: (k: Order["price_kind"]) => t(`pkg.price.${k}`),
              },
              { title: t("pkg.order.amount"), key: "amount", render: (_, o) => fmt.money(o.price.amount) },
              {
                title: t("common.status"),
                dataIndex: "status",
                render: (st: Order["status"], o) => (
                  <>
                    {t(`pkg.order.status.${st}`)}{" "}
                    <ProviderRefunded amount={o.refunded_amount} count={o.refund_count} />
                    {o.provider_refund_review ? (
                      <Tag color="orange" data-testid="provider-refund-review">
                        {t(`pkg.order.review.${o.provider_refund_review}`)}
                      </Tag>
                    ) : null}
                  </>
                ),
              },
              {
                title: t("pkg.order.period"),
                key: "period",
                render: (_, o) =>
                  o.period
                    ? `${fmt.dateTime(o.period.starts_at)} – ${fmt.dateTime(o.period.ends_at)} (${t(`pkg.period.status.${o.period.status}`)})`
                    : "—",
              },
              {
                title: t("common.actions"),
                key: "actions",
                render: (_, o) =>
                  o.status === "refund_due" && can("POST /v1/package-orders/{id}/record-refund") ? (
                    <RecordRefundButton
                      subject={`${fmt.money(o.price.amount)} · ${o.member_id}`}
                      refresh={["package"]}
                      send={(body, key) =>
                        unwrap(
                          api.POST("/v1/package-orders/{id}/record-refund", {
                            params: { path: { id: o.id } },
                            headers: { "idempotency-key": key },
                            body,
                          }),
                        )
                      }
                    />
                  ) : null,
              },
            ]}
          />
        </Card>
      ) : null}
      {p ? <PackageForm open={editing} editing={p} onClose={() => setEditing(false)} /> : null}
    </>
  );
}

/** A member's package periods (in force, scheduled, ended), for the member detail page (the newest 100). */
export function MemberPackagePeriods({ memberId }: { memberId: string }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const allowed = can("GET /v1/members/{member_id}/package-periods");
  const periods = useQuery({
    queryKey: ["member-package-periods", memberId],
    enabled: allowed,
    queryFn: () =>
      unwrap(
        api.GET("/v1/members/{member_id}/package-periods", {
          params: { path: { member_id: memberId }, query: { limit: 100 } },
        }),
      ),
  });
  if (!allowed) return null;
  return (
    <Card title={t("pkg.periods")} style={{ marginTop: 16 }}>
      <ProblemAlert error={periods.error} />
      <Table<Period>
        rowKey="id"
        size="small"
        pagination={false}
        loading={periods.isPending}
        dataSource={periods.data?.data ?? []}
        columns={[
          {
            title: t("pkg.name"),
            dataIndex: "package_name",
            render: (name: string, p) => <Link to={`/packages/${p.package_id}`}>{name}</Link>,
          },
          { title: t("pkg.order.rule"), dataIndex: "rule_key" },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (st: Period["status"]) => t(`pkg.period.status.${st}`),
          },
          {
            title: t("pkg.order.period"),
            key: "window",
            render: (_, p) => `${fmt.dateTime(p.starts_at)} – ${fmt.dateTime(p.ends_at)}`,
          },
        ]}
      />
    </Card>
  );
}
