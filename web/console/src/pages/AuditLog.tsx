import { Button, Card, DatePicker, Form, Input } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { api, type components, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { ExportButton } from "../components/ExportButton";
import { PageHeader } from "../components/Page";
import { useI18n } from "../i18n/i18n";

type AuditEvent = components["schemas"]["AuditEvent"];
const FILTERS = ["actor_id", "action", "target_type", "target_id", "created_gte", "created_lt"] as const;

export default function AuditLog() {
  const { t, fmt } = useI18n();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const range: [Dayjs, Dayjs] | undefined =
    filters.created_gte && filters.created_lt
      ? [dayjs(filters.created_gte), dayjs(filters.created_lt)]
      : undefined;
  return (
    <>
      <PageHeader
        title={t("nav.audit")}
        extra={
          <ExportButton
            type="audit_events"
            filters={{
              action: filters.action,
              created_gte: filters.created_gte,
              created_lt: filters.created_lt,
            }}
          />
        }
      />
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form
          name="audit-filters"
          layout="inline"
          initialValues={{ ...filters, range }}
          onFinish={(v: Record<string, string> & { range?: [Dayjs, Dayjs] }) => {
            const { range: r, ...rest } = v;
            setFilters({
              ...rest,
              created_gte: r?.[0]?.startOf("day").toISOString(),
              created_lt: r?.[1]?.endOf("day").toISOString(),
            });
          }}
        >
          <Form.Item name="actor_id" label={t("audit.actor")}>
            <Input allowClear />
          </Form.Item>
          <Form.Item name="action" label={t("audit.action")}>
            <Input allowClear placeholder="user.created" />
          </Form.Item>
          <Form.Item name="target_type" label={t("audit.object")}>
            <Input allowClear style={{ width: 120 }} />
          </Form.Item>
          <Form.Item name="range" label={t("common.time")}>
            <DatePicker.RangePicker />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t("common.search")}
          </Button>
        </Form>
      </Card>
      <CursorTable<AuditEvent>
        queryKey={["audit", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/audit-events", { params: { query: { ...cursor, ...filters } } }))
        }
        expandable={{
          expandedRowRender: (e) => <pre style={{ margin: 0 }}>{JSON.stringify(e.summary, null, 2)}</pre>,
        }}
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          { title: t("audit.actor"), key: "actor", render: (_, e) => `${e.actor_type} ${e.actor_id}` },
          { title: t("audit.action"), dataIndex: "action" },
          {
            title: t("audit.object"),
            key: "object",
            render: (_, e) => `${e.target_type} ${e.target_id ?? ""}`,
          },
        ]}
      />
    </>
  );
}
