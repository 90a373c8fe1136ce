import { AutoComplete, Button, Card, DatePicker, Form, Input, Select, Space, Tag, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import { api, type components, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { ExportButton } from "../components/ExportButton";
import { PageHeader } from "../components/Page";
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, auditActionLabel } from "../i18n/audit";
import { CATALOGS, type MessageKey, useI18n } from "../i18n/i18n";

type AuditEvent = components["schemas"]["AuditEvent"];
const FILTERS = ["actor_id", "action", "target_type", "target_id", "created_gte", "created_lt"] as const;

/** The console page that shows one object of a kind, where there is one. */
const DETAIL_PAGES: Partial<Record<string, (id: string) => string>> = {
  member: (id) => `/members/${id}`,
  gift_card: (id) => `/gift-cards/cards/${id}`,
  package: (id) => `/packages/${id}`,
  topup_plan: (id) => `/topup/plans/${id}`,
};

function linkTo(type: string, id: string | null, text: ReactNode): ReactNode {
  const page = id === null ? undefined : DETAIL_PAGES[type];
  return page && id !== null ? <Link to={page(id)}>{text}</Link> : text;
}

/** An id under the words that name it: kept whole for copying, small, and wrapped where it must. */
function Code(props: { children: ReactNode }) {
  return (
    <Typography.Text type="secondary" copyable style={{ fontSize: 12, wordBreak: "break-all" }}>
      {props.children}
    </Typography.Text>
  );
}

export default function AuditLog() {
  const { t, fmt, lang } = useI18n();
  const catalog: Readonly<Record<string, string>> = CATALOGS[lang];
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const range: [Dayjs, Dayjs] | undefined =
    filters.created_gte && filters.created_lt
      ? [dayjs(filters.created_gte), dayjs(filters.created_lt)]
      : undefined;
  const noun = (type: string) => catalog[`audit.noun.${type}`] ?? type;
  const actionOptions = AUDIT_ACTIONS.map((code) => ({
    value: code,
    label: `${auditActionLabel(catalog, code) ?? code} (${code})`,
  }));
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
            <Input allowClear style={{ width: 200 }} />
          </Form.Item>
          <Form.Item name="action" label={t("audit.action")}>
            <AutoComplete
              allowClear
              options={actionOptions}
              placeholder={t("audit.actionHint")}
              style={{ width: 260 }}
              popupMatchSelectWidth={420}
              filterOption={(input, option) =>
                (option?.label ?? "").toLowerCase().includes(input.trim().toLowerCase())
              }
            />
          </Form.Item>
          <Form.Item name="target_type" label={t("audit.object")}>
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              style={{ width: 180 }}
              options={AUDIT_TARGET_TYPES.map((type) => ({ value: type, label: noun(type) }))}
            />
          </Form.Item>
          <Form.Item name="target_id" label={t("audit.objectId")}>
            <Input allowClear style={{ width: 200 }} />
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
          expandedRowRender: (e) => (
            <Space orientation="vertical" size={4}>
              <Typography.Text strong>{t("audit.summary")}</Typography.Text>
              <pre style={{ margin: 0 }}>{JSON.stringify(e.summary, null, 2)}</pre>
              {e.request_id && (
                <span>
                  {t("audit.request")}: <Code>{e.request_id}</Code>
                </span>
              )}
            </Space>
          ),
        }}
        columns={[
          { title: t("common.time"), dataIndex: "created_at", width: 190, render: (v) => fmt.dateTime(v) },
          {
            title: t("audit.actor"),
            key: "actor",
            render: (_, e) => (
              <Space orientation="vertical" size={0}>
                <span>
                  <Tag>{t(`audit.actorType.${e.actor_type}` as MessageKey)}</Tag>
                  {e.actor_label ?? linkTo(e.actor_type, e.actor_id, e.actor_id)}
                </span>
                {e.actor_label && <Code>{e.actor_id}</Code>}
              </Space>
            ),
          },
          {
            title: t("audit.action"),
            key: "action",
            render: (_, e) => {
              const label = auditActionLabel(catalog, e.action);
              return (
                <Space orientation="vertical" size={0}>
                  <span>{label ?? e.action}</span>
                  {label && <Code>{e.action}</Code>}
                </Space>
              );
            },
          },
          {
            title: t("audit.object"),
            key: "object",
            render: (_, e) => (
              <Space orientation="vertical" size={0}>
                <span>{noun(e.target_type)}</span>
                {e.target_id && <Code>{linkTo(e.target_type, e.target_id, e.target_id)}</Code>}
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}
