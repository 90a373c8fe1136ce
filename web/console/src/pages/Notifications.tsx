import { useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Input, Modal, Select, Table, Tabs, Tag, Typography } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { everyValueOf, type QueryValue } from "../../../api/enums";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { FilterBar, PageHeader } from "../components/Page";
import { ProblemAlert, useProblemText } from "../components/problems";
import { CATALOGS, type Lang, type MessageKey, type Translate, useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type Template = components["schemas"]["NotificationTemplate"];
type Delivery = components["schemas"]["NotificationDelivery"];
const FILTERS = ["tab", "notice_type", "locale", "channel", "status"] as const;
const CHANNELS = ["email", "sms", "inbox"] as const;
const STATUSES = everyValueOf<QueryValue<"/v1/notification-deliveries", "status">>()([
  "sent",
  "retrying",
  "failed",
  "capped",
]);
const STATUS_COLORS = { sent: "green", retrying: "orange", failed: "red", capped: "default" } as const;
const keyOf = (t: Template) => `${t.notice_type}/${t.locale}/${t.channel}`;

/** What a notice is, in the reader's language; a notice this console does not know yet keeps the API's words. */
function noticeDescription(t: Translate, lang: Lang, r: Template): string {
  const key = `notify.type.${r.notice_type}`;
  return key in CATALOGS[lang] ? t(key as MessageKey) : r.description;
}

function TemplateDialog(props: { template?: Template; onClose(): void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<{ subject: string; body: string }>();
  const [error, setError] = useState<unknown>();
  const tpl = props.template;
  const save = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      await unwrap(
        api.PUT("/v1/notification-templates/{notice_type}/{locale}/{channel}", {
          params: { path: { notice_type: tpl!.notice_type, locale: tpl!.locale, channel: tpl!.channel } },
          body: v,
        }),
      );
      message.success(t("settings.saved"));
      await client.invalidateQueries({ queryKey: ["notification-templates"] });
      props.onClose();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      open={Boolean(tpl)}
      destroyOnHidden
      width={640}
      title={
        tpl ? `${tpl.notice_type} · ${tpl.locale} · ${t(`notify.channel.${tpl.channel}` as MessageKey)}` : ""
      }
      onOk={save}
      onCancel={props.onClose}
      okText={t("common.save")}
      cancelText={t("common.cancel")}
    >
      <ProblemAlert error={error} />
      {tpl ? (
        <Form
          name="notification-template"
          form={form}
          layout="vertical"
          initialValues={{ subject: tpl.subject, body: tpl.body }}
        >
          <Typography.Paragraph type="secondary">{t("notify.variables")}</Typography.Paragraph>
          <Form.Item name="subject" label={t("notify.subject")} rules={[{ required: true, max: 200 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="body" label={t("notify.body")} rules={[{ required: true }]}>
            <Input.TextArea rows={6} />
          </Form.Item>
        </Form>
      ) : null}
    </Modal>
  );
}

function Templates() {
  const { t, lang } = useI18n();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const [editing, setEditing] = useState<Template>();
  // The API answers the whole catalog at once (every notice × locale × channel): a few dozen rows.
  const templates = useQuery({
    queryKey: ["notification-templates"],
    queryFn: () => unwrap(api.GET("/v1/notification-templates")),
  });
  const all = templates.data?.data ?? [];
  const rows = all.filter(
    (r) =>
      (!filters.notice_type || r.notice_type === filters.notice_type) &&
      (!filters.locale || r.locale === filters.locale) &&
      (!filters.channel || r.channel === filters.channel),
  );
  const types = [...new Set(all.map((r) => r.notice_type))];
  return (
    <>
      <FilterBar<Record<string, string>>
        name="template-filters"
        initialValues={filters}
        onSearch={(v) => setFilters({ ...v, tab: "templates" })}
      >
        <Form.Item name="notice_type" label={t("notify.noticeType")}>
          <Select allowClear style={{ width: 240 }} options={types.map((v) => ({ value: v, label: v }))} />
        </Form.Item>
        <Form.Item name="locale" label={t("settings.locale")}>
          <Select
            allowClear
            style={{ width: 120 }}
            options={[
              { value: "zh-CN", label: t("lang.zh-CN") },
              { value: "en", label: t("lang.en-US") },
            ]}
          />
        </Form.Item>
        <Form.Item name="channel" label={t("notify.channel")}>
          <Select
            allowClear
            style={{ width: 120 }}
            options={CHANNELS.map((c) => ({ value: c, label: t(`notify.channel.${c}`) }))}
          />
        </Form.Item>
      </FilterBar>
      <ProblemAlert error={templates.error} />
      <Table<Template>
        rowKey={keyOf}
        size="middle"
        loading={templates.isFetching}
        dataSource={rows}
        pagination={false}
        columns={[
          {
            title: t("notify.noticeType"),
            key: "type",
            render: (_, r) => (
              <>
                <Typography.Text code>{r.notice_type}</Typography.Text>
                <div>
                  <Typography.Text type="secondary">{noticeDescription(t, lang, r)}</Typography.Text>
                </div>
              </>
            ),
          },
          {
            title: t("settings.locale"),
            dataIndex: "locale",
            render: (l: Template["locale"]) => t(l === "zh-CN" ? "lang.zh-CN" : "lang.en-US"),
          },
          {
            title: t("notify.channel"),
            dataIndex: "channel",
            render: (c: Template["channel"]) => t(`notify.channel.${c}`),
          },
          {
            title: t("notify.subject"),
            dataIndex: "subject",
            // The template is written in its own language, whichever the console reads in.
            render: (subject: string, r) => <span lang={r.locale}>{subject}</span>,
          },
          {
            title: t("common.status"),
            dataIndex: "customized",
            render: (c: boolean) =>
              c ? <Tag color="blue">{t("notify.customized")}</Tag> : <Tag>{t("notify.default")}</Tag>,
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, r) => (
              <Button
                size="small"
                onClick={() => setEditing(r)}
                aria-label={`${t("common.edit")} ${keyOf(r)}`}
              >
                {t("common.edit")}
              </Button>
            ),
          },
        ]}
      />
      <TemplateDialog template={editing} onClose={() => setEditing(undefined)} />
    </>
  );
}

/** The notices this console has words for, as filter options: what each is, then its code. */
function noticeOptions(lang: Lang) {
  const prefix = "notify.type.";
  return Object.entries(CATALOGS[lang])
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, text]) => ({
      value: key.slice(prefix.length),
      label: `${text} (${key.slice(prefix.length)})`,
    }));
}

function Deliveries() {
  const { t, fmt, lang } = useI18n();
  const { can } = useSession();
  const { modal, message } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const catalog: Readonly<Record<string, string>> = CATALOGS[lang];
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const { tab: _tab, locale: _locale, channel: _channel, ...query } = filters;
  const mayResend = can("POST /v1/notification-deliveries/{id}/resend");
  // One key per confirmed attempt: a double click cannot queue it twice (the API refuses a queued one too).
  // A failed delivery is queued again; one waiting for a later retry is brought forward to now.
  const resend = (d: Delivery) => {
    const early = d.status === "retrying";
    return modal.confirm({
      title: t(early ? "notify.sendNow" : "notify.resend"),
      content: early
        ? t("notify.sendNowConfirm", { recipient: d.recipient, at: fmt.dateTime(d.next_attempt_at ?? "") })
        : t("notify.resendConfirm", { recipient: d.recipient }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      onOk: async () => {
        try {
          await unwrap(
            api.POST("/v1/notification-deliveries/{id}/resend", {
              params: { path: { id: d.id } },
              headers: { "idempotency-key": idempotencyKey() },
            }),
          );
          message.success(t(early ? "notify.sentNow" : "notify.resent"));
        } catch (e) {
          message.error(problemText(e));
        }
        await client.invalidateQueries({ queryKey: ["notification-deliveries"] });
      },
    });
  };
  return (
    <>
      <FilterBar<Record<string, string>>
        name="delivery-filters"
        initialValues={filters}
        onSearch={(v) => setFilters({ ...v, tab: "deliveries" })}
      >
        <Form.Item name="notice_type" label={t("notify.noticeType")}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            style={{ width: 280 }}
            popupMatchSelectWidth={480}
            options={noticeOptions(lang)}
          />
        </Form.Item>
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 120 }}
            options={STATUSES.map((s) => ({ value: s, label: t(`notify.status.${s}`) }))}
          />
        </Form.Item>
      </FilterBar>
      <CursorTable<Delivery>
        queryKey={["notification-deliveries", query]}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/notification-deliveries", {
              params: { query: { ...cursor, ...query } as { limit: number } },
            }),
          )
        }
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("notify.noticeType"),
            dataIndex: "notice_type",
            width: 320,
            render: (type: string) => {
              const words = catalog[`notify.type.${type}`];
              return words ? (
                <>
                  <div>{words}</div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {type}
                  </Typography.Text>
                </>
              ) : (
                type
              );
            },
          },
          {
            title: t("notify.channel"),
            dataIndex: "channel",
            render: (c: Delivery["channel"]) => t(`notify.channel.${c}`),
          },
          { title: t("notify.recipient"), dataIndex: "recipient" },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Delivery["status"], d) => (
              <>
                <Tag color={STATUS_COLORS[s]}>{t(`notify.status.${s}`)}</Tag>
                {/* A retry to come says when; a delivery settled after retries says how many tries it took. */}
                {s === "retrying" && d.next_attempt_at ? (
                  <div>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t("notify.retry.next", { attempts: d.attempts, at: fmt.dateTime(d.next_attempt_at) })}
                    </Typography.Text>
                  </div>
                ) : d.attempts > 1 ? (
                  <div>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t("notify.retry.attempts", { attempts: d.attempts })}
                    </Typography.Text>
                  </div>
                ) : null}
              </>
            ),
          },
          {
            title: t("notify.error"),
            key: "error",
            render: (_, d) =>
              d.error_code ? (
                <>
                  <div>{t(`notify.errorCode.${d.error_code}`)}</div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {d.error}
                  </Typography.Text>
                </>
              ) : (
                (d.error ?? "—")
              ),
          },
          ...(mayResend
            ? [
                {
                  title: t("common.actions"),
                  key: "actions",
                  // Only a failed email or SMS can be sent again, and a retrying one sent now (the server's
                  // clock, not the browser's, says whether its retry is due already); the API says why
                  // when it cannot.
                  render: (_: unknown, d: Delivery) => {
                    if (d.channel === "inbox") return null;
                    const label =
                      d.status === "failed"
                        ? t("notify.resend")
                        : d.status === "retrying"
                          ? t("notify.sendNow")
                          : null;
                    return label ? (
                      <Button size="small" onClick={() => resend(d)} aria-label={`${label} ${d.recipient}`}>
                        {label}
                      </Button>
                    ) : null;
                  },
                },
              ]
            : []),
        ]}
      />
    </>
  );
}

/** Notification templates (the tenant's own or the shipped default) and what was sent. */
export default function Notifications() {
  const { t } = useI18n();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const tab = filters.tab === "deliveries" ? "deliveries" : "templates";
  return (
    <>
      <PageHeader title={t("nav.notifications")} />
      <Tabs
        activeKey={tab}
        onChange={(key) => setFilters({ tab: key })}
        destroyOnHidden
        items={[
          { key: "templates", label: t("notify.templates"), children: <Templates /> },
          { key: "deliveries", label: t("notify.deliveries"), children: <Deliveries /> },
        ]}
      />
    </>
  );
}
