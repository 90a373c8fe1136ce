import { useQuery } from "@tanstack/react-query";
import { Card, DatePicker, Descriptions, Form, Input, Select, Space, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { useMemo } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type paths, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { CLIPPED, oneLineHeader } from "../components/cells";
import { DownloadButton } from "../components/DownloadButton";
import { dayRangeBounds, dayRangeOf } from "../components/dayRange";
import { useOrgUnits } from "../components/orgUnits";
import { DetailTitle, FilterBar } from "../components/Page";
import { ProviderRefunded } from "../components/ProviderRefunded";
import { ProblemAlert } from "../components/problems";
import { RecordRefundButton } from "../components/RecordRefundButton";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { type Rule, ruleText, StatusTag } from "./TopupPlans";

type Topup =
  paths["/v1/topup-plans/{id}/top-ups"]["get"]["responses"][200]["content"]["application/json"]["data"][number];
type TopupStatus = Topup["status"];

const FILTERS = [
  "status",
  "channel",
  "first_topup",
  "member_id",
  "store_id",
  "recharge_code_id",
  "from",
  "to",
] as const;
const STATUSES: readonly TopupStatus[] = [
  "pending_payment",
  "credited",
  "failed",
  "expired",
  "refund_due",
  "refunded",
];
const COLORS: Record<TopupStatus, string> = {
  pending_payment: "blue",
  credited: "green",
  failed: "red",
  expired: "default",
  refund_due: "magenta",
  refunded: "purple",
};
/** Why a paid top-up was kept for a refund (`details.unfulfilled.reason`). */
const UNFULFILLED = [
  "member_closed",
  "member_frozen",
  "not_first_topup",
  "purchase_limit_reached",
  "plan_out_of_stock",
  "asset_changed",
  "amount_above_cap",
  "balance_payment_disabled",
  "too_many_open_lots",
  "insufficient_balance",
] as const;
/** The list's first query key: a recorded refund refreshes it. */
const LIST = "topup-plan-topups";

interface Draft {
  status?: string;
  channel?: string;
  first_topup?: string;
  member_id?: string;
  store_id?: string;
  recharge_code_id?: string;
  range?: [Dayjs, Dayjs];
}

function unfulfilledReason(t: Topup): (typeof UNFULFILLED)[number] | undefined {
  const reason = (t.details.unfulfilled as { reason?: string } | undefined)?.reason;
  return UNFULFILLED.find((r) => r === reason);
}

/** The provider's refund id finance recorded (`details.refund_record.reference`). */
function refundReference(t: Topup): string | undefined {
  const record = t.details.refund_record as { reference?: string | null } | undefined;
  return record?.reference ?? undefined;
}

/** Seed 001 "Details": every top-up under one plan, filtered, exported, and a refund_due one settled. */
export default function TopupPlanDetail() {
  const { id = "" } = useParams();
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const plan = useQuery({
    queryKey: ["topup-plan", id],
    queryFn: () => unwrap(api.GET("/v1/topup-plans/{id}", { params: { path: { id } } })),
  });
  const units = useOrgUnits();
  const codes = useQuery({
    queryKey: ["recharge-codes", id],
    enabled: can("GET /v1/topup-plans/{id}/recharge-codes"),
    queryFn: () =>
      unwrap(
        api.GET("/v1/topup-plans/{id}/recharge-codes", { params: { path: { id }, query: { limit: 100 } } }),
      ),
  });
  const storeNames = useMemo(
    () => new Map((units.data ?? []).filter((u) => u.kind === "store").map((u) => [u.id, u.name])),
    [units.data],
  );
  const codeNames = useMemo(() => new Map((codes.data?.data ?? []).map((c) => [c.id, c.code])), [codes.data]);
  const p = plan.data;
  const range = dayRangeOf(filters.from, filters.to);
  const yesNo = [
    { value: "true", label: t("topup.detail.yes") },
    { value: "false", label: t("topup.detail.no") },
  ];
  return (
    <>
      <Space style={{ justifyContent: "space-between", width: "100%", marginBottom: 16 }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          <DetailTitle list={t("topup.plans")} to="/topup" name={p?.name ?? "…"} />
        </Typography.Title>
        {can("GET /v1/topup-plans/{id}/top-ups/export") ? (
          <DownloadButton
            fetchFile={(format) =>
              api.GET("/v1/topup-plans/{id}/top-ups/export", {
                params: { path: { id }, query: { ...filters, format } as never },
                parseAs: "blob",
              })
            }
          />
        ) : null}
      </Space>
      <ProblemAlert error={plan.error} />
      {p ? (
        <Card size="small" style={{ marginBottom: 16 }}>
          <Descriptions size="small" column={4}>
            <Descriptions.Item label={t("topup.kind")}>{t(`topup.kind.${p.kind}`)}</Descriptions.Item>
            <Descriptions.Item label={t("topup.terms")}>
              {ruleText(p.terms.rule as Rule, t, fmt.money)}
            </Descriptions.Item>
            <Descriptions.Item label={t("common.status")}>
              <StatusTag status={p.status} />
            </Descriptions.Item>
            <Descriptions.Item label={t("topup.version")}>{p.version}</Descriptions.Item>
          </Descriptions>
        </Card>
      ) : null}
      <FilterBar<Draft>
        name="topup-plan-topup-filters"
        initialValues={{ ...filters, range }}
        onSearch={({ range: r, ...rest }) => setFilters({ ...rest, ...dayRangeBounds(r) })}
      >
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 210 }}
            options={STATUSES.map((s) => ({ value: s, label: t(`topup.topupStatus.${s}`) }))}
          />
        </Form.Item>
        <Form.Item name="channel" label={t("topup.channel")}>
          <Select
            allowClear
            style={{ width: 100 }}
            options={(["pos", "online"] as const).map((c) => ({ value: c, label: t(`topup.channel.${c}`) }))}
          />
        </Form.Item>
        <Form.Item name="first_topup" label={t("topup.detail.firstTopup")}>
          <Select allowClear style={{ width: 80 }} options={yesNo} />
        </Form.Item>
        <Form.Item name="member_id" label={t("topup.detail.memberId")}>
          <Input allowClear placeholder="mbr_…" style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name="store_id" label={t("topup.detail.store")}>
          <Select
            allowClear
            style={{ width: 180 }}
            options={[...storeNames].map(([value, label]) => ({ value, label }))}
          />
        </Form.Item>
        {can("GET /v1/topup-plans/{id}/recharge-codes") ? (
          <Form.Item name="recharge_code_id" label={t("topup.code")}>
            <Select
              allowClear
              style={{ width: 150 }}
              options={(codes.data?.data ?? []).map((c) => ({ value: c.id, label: c.code }))}
            />
          </Form.Item>
        ) : null}
        <Form.Item name="range" label={t("common.time")}>
          <DatePicker.RangePicker />
        </Form.Item>
      </FilterBar>
      <Card>
        <CursorTable<Topup>
          queryKey={[LIST, id, filters]}
          fetchPage={(cursor) =>
            unwrap(
              api.GET("/v1/topup-plans/{id}/top-ups", {
                params: { path: { id }, query: { ...cursor, ...filters } as never },
              }),
            )
          }
          columns={[
            {
              title: t("common.time"),
              dataIndex: "created_at",
              render: (v) => <span style={{ whiteSpace: "nowrap" }}>{fmt.dateTime(v)}</span>,
            },
            {
              title: t("topup.detail.member"),
              key: "member",
              render: (_, r) => {
                // The member by name, the card number beneath (the id on hover).
                const shown = r.member_name ?? r.card_number ?? r.member_id;
                const beneath = r.member_name ? r.card_number : r.card_number ? r.member_id : null;
                return (
                  <Space orientation="vertical" size={0}>
                    {can("GET /v1/members/{id}") ? (
                      <Link to={`/members/${r.member_id}`} title={r.member_id} style={CLIPPED}>
                        {shown}
                      </Link>
                    ) : (
                      <span title={r.member_id} style={CLIPPED}>
                        {shown}
                      </span>
                    )}
                    {beneath ? (
                      <Typography.Text
                        type="secondary"
                        title={r.member_id}
                        style={{ ...CLIPPED, fontSize: 12 }}
                      >
                        {beneath}
                      </Typography.Text>
                    ) : null}
                  </Space>
                );
              },
            },
            {
              onHeaderCell: oneLineHeader,
              title: t("topup.amount"),
              dataIndex: "amount",
              align: "right",
              render: (v: number) => fmt.money(v),
            },
            {
              onHeaderCell: oneLineHeader,
              title: t("topup.bonusAmount"),
              dataIndex: "bonus_amount",
              align: "right",
              render: (v: number) => fmt.money(v),
            },
            {
              onHeaderCell: oneLineHeader,
              title: t("topup.detail.points"),
              dataIndex: "points",
              align: "right",
              render: (v: number) => fmt.number(v),
            },
            {
              onHeaderCell: oneLineHeader,
              title: t("topup.detail.gift"),
              key: "gift",
              render: (_, r) =>
                r.gift.length === 0
                  ? "—"
                  : r.gift.map((g) => (
                      <Tag key={g.grant_id}>
                        {t(`topup.gift.${g.perk}` as MessageKey, { n: g.voucher_ids.length })}
                      </Tag>
                    )),
            },
            {
              onHeaderCell: oneLineHeader,
              title: t("topup.detail.firstTopup"),
              dataIndex: "first_topup",
              render: (v: boolean) =>
                v ? <Tag color="gold">{t("topup.detail.yes")}</Tag> : t("topup.detail.no"),
            },
            {
              title: t("topup.detail.where"),
              key: "where",
              render: (_, r) =>
                [
                  t(`topup.channel.${r.channel}`),
                  r.store_id ? (storeNames.get(r.store_id) ?? r.store_id) : null,
                  r.recharge_code_id ? (codeNames.get(r.recharge_code_id) ?? r.recharge_code_id) : null,
                ]
                  .filter(Boolean)
                  .join(" · "),
            },
            {
              title: t("common.status"),
              dataIndex: "status",
              render: (s: TopupStatus, r) => {
                const reason = s === "refund_due" ? unfulfilledReason(r) : undefined;
                const reference = s === "refunded" ? refundReference(r) : undefined;
                const note = reason
                  ? t(`topup.unfulfilled.${reason}`)
                  : reference
                    ? t("topup.refundReference", { reference })
                    : null;
                return (
                  <Space orientation="vertical" size={0}>
                    <Tag color={COLORS[s]}>{t(`topup.topupStatus.${s}`)}</Tag>
                    {/* A part refunded at the provider leaves the top-up credited: the tag says how much came back. */}
                    <ProviderRefunded
                      amount={r.refunded_amount}
                      count={r.refund_count}
                      shortfall={r.refund_shortfall}
                      pointsTaken={r.refund_points_taken}
                      pointsShortfall={r.refund_points_shortfall}
                    />
                    {note ? (
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {note}
                      </Typography.Text>
                    ) : null}
                  </Space>
                );
              },
            },
            {
              title: t("common.actions"),
              key: "actions",
              render: (_, r) =>
                r.status === "refund_due" && can("POST /v1/topups/{id}/record-refund") ? (
                  <RecordRefundButton
                    subject={`${fmt.money(r.amount)} · ${r.card_number ?? r.member_id}`}
                    refresh={[LIST]}
                    send={(body, key) =>
                      unwrap(
                        api.POST("/v1/topups/{id}/record-refund", {
                          params: { path: { id: r.id } },
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
    </>
  );
}
