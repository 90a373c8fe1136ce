import { Button, Card, DatePicker, Form, Input, Select, Tag } from "antd";
import type { Dayjs } from "dayjs";
import { Link } from "react-router-dom";
import { api, type components, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { dayRangeBounds, dayRangeOf } from "../components/dayRange";
import { ExportButton } from "../components/ExportButton";
import { PageHeader } from "../components/Page";
import { ProviderRefunded } from "../components/ProviderRefunded";
import { RecordRefundButton } from "../components/RecordRefundButton";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type Intent = components["schemas"]["TopupIntentListItem"];
const FILTERS = ["status", "source", "provider", "member_id", "created_from", "created_to"] as const;
const STATUSES = ["pending", "succeeded", "failed", "expired", "refund_due", "refunded"] as const;
const SOURCES = ["balance", "plan", "smart"] as const;
const COLORS: Record<Intent["status"], string> = {
  pending: "blue",
  succeeded: "green",
  failed: "red",
  expired: "default",
  refund_due: "magenta",
  refunded: "purple",
};

/**
 * Seed 004: the online top-up orders of every member, filtered and exported: balance top-ups
 * and those bought through a top-up plan or a smart top-up, told apart by what bought them.
 */
export default function TopupIntents() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const range = dayRangeOf(filters.created_from, filters.created_to);
  return (
    <>
      <PageHeader
        title={t("topupIntents.title")}
        extra={<ExportButton type="topup_intents" filters={filters} />}
      />
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form
          name="topup-intent-filters"
          layout="inline"
          initialValues={{ ...filters, range }}
          onFinish={(v: Record<string, string> & { range?: [Dayjs, Dayjs] }) => {
            const { range: r, ...rest } = v;
            const bounds = dayRangeBounds(r);
            setFilters({ ...rest, created_from: bounds.from, created_to: bounds.to });
          }}
        >
          <Form.Item name="status" label={t("common.status")}>
            <Select
              allowClear
              style={{ width: 130 }}
              options={STATUSES.map((s) => ({ value: s, label: t(`topupIntents.status.${s}`) }))}
            />
          </Form.Item>
          <Form.Item name="source" label={t("topupIntents.source")}>
            <Select
              allowClear
              style={{ width: 130 }}
              options={SOURCES.map((s) => ({ value: s, label: t(`topupIntents.source.${s}`) }))}
            />
          </Form.Item>
          <Form.Item name="provider" label={t("topupIntents.provider")}>
            <Input allowClear style={{ width: 130 }} />
          </Form.Item>
          <Form.Item name="member_id" label={t("topupIntents.member")}>
            <Input allowClear placeholder="mbr_…" style={{ width: 200 }} />
          </Form.Item>
          <Form.Item name="range" label={t("common.time")}>
            <DatePicker.RangePicker />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t("common.search")}
          </Button>
        </Form>
      </Card>
      <CursorTable<Intent>
        queryKey={["topup-intents", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/topup-intents", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          { title: t("topupIntents.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("topupIntents.member"),
            key: "member",
            render: (_, i) => <Link to={`/members/${i.member_id}`}>{i.member_name}</Link>,
          },
          {
            title: t("topupIntents.source"),
            key: "source",
            render: (_, i) => (
              <>
                <Tag>{t(`topupIntents.source.${i.source}`)}</Tag>
                {i.source === "plan" && i.plan_id && can("GET /v1/topup-plans/{id}/top-ups") ? (
                  <Link to={`/topup/plans/${i.plan_id}`}>{i.plan_name}</Link>
                ) : (
                  i.plan_name
                )}
              </>
            ),
          },
          {
            title: t("topupIntents.amount"),
            dataIndex: "amount",
            align: "right",
            render: (v) => fmt.money(v),
          },
          {
            title: t("topupIntents.bonus"),
            key: "bonus",
            align: "right",
            render: (_, i) =>
              i.source === "balance" ? null : (
                <>
                  {fmt.money(i.bonus_amount)}
                  {i.points > 0 ? (
                    <div style={{ color: "rgba(0,0,0,0.45)" }}>
                      {t("topupIntents.points", { points: fmt.number(i.points) })}
                    </div>
                  ) : null}
                </>
              ),
          },
          { title: t("topupIntents.provider"), dataIndex: "provider" },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Intent["status"], i) => (
              <>
                <Tag color={COLORS[s]}>{t(`topupIntents.status.${s}`)}</Tag>
                <ProviderRefunded
                  amount={i.refunded_amount}
                  count={i.refund_count}
                  shortfall={i.refund_shortfall}
                />
              </>
            ),
          },
          { title: t("topupIntents.completedAt"), dataIndex: "completed_at", render: (v) => fmt.dateTime(v) },
          { title: "ID", dataIndex: "id" },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, i) =>
              i.status !== "refund_due" ? null : i.object === "topup" ? (
                can("POST /v1/topups/{id}/record-refund") ? (
                  <RecordRefundButton
                    subject={`${fmt.money(i.amount)} · ${i.member_name}`}
                    refresh={["topup-intents"]}
                    send={(body, key) =>
                      unwrap(
                        api.POST("/v1/topups/{id}/record-refund", {
                          params: { path: { id: i.id } },
                          headers: { "idempotency-key": key },
                          body,
                        }),
                      )
                    }
                  />
                ) : null
              ) : can("POST /v1/topup-intents/{id}/record-refund") ? (
                <RecordRefundButton
                  subject={`${fmt.money(i.amount)} · ${i.member_name}`}
                  refresh={["topup-intents"]}
                  send={(body, key) =>
                    unwrap(
                      api.POST("/v1/topup-intents/{id}/record-refund", {
                        params: { path: { id: i.id } },
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
    </>
  );
}
