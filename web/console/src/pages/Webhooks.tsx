import { PlusOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Drawer, Form, Input, Modal, Select, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { CursorTable } from "../components/CursorTable";
import { PageHeader } from "../components/Page";
import { ProblemAlert, useProblemText } from "../components/problems";
import { useI18n } from "../i18n/i18n";

type Endpoint = components["schemas"]["WebhookEndpoint"];
type Delivery = components["schemas"]["WebhookDelivery"];

function Deliveries({ endpoint, onClose }: { endpoint?: Endpoint; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const problemText = useProblemText();
  const deliveries = useQuery({
    queryKey: ["deliveries", endpoint?.id],
    enabled: Boolean(endpoint),
    queryFn: () =>
      unwrap(
        api.GET("/v1/webhook-endpoints/{id}/deliveries", {
          params: { path: { id: endpoint!.id }, query: { limit: 50 } },
        }),
      ),
  });
  const resend = async (d: Delivery) => {
    try {
      await unwrap(api.POST("/v1/webhook-deliveries/{id}/resend", { params: { path: { id: d.id } } }));
      message.success(t("webhooks.resent"));
      await deliveries.refetch();
    } catch (e) {
      message.error(problemText(e));
    }
  };
  return (
    <Drawer open={Boolean(endpoint)} onClose={onClose} size={760} title={endpoint?.url}>
      <ProblemAlert error={deliveries.error} />
      <Table<Delivery>
        rowKey="id"
        size="small"
        loading={deliveries.isFetching}
        dataSource={deliveries.data?.data ?? []}
        pagination={false}
        columns={[
          { title: t("webhooks.event"), dataIndex: "event_type" },
          { title: t("common.status"), dataIndex: "status", render: (s) => <Tag>{s}</Tag> },
          { title: t("webhooks.attempts"), dataIndex: "attempts" },
          { title: t("webhooks.lastCode"), dataIndex: "last_status_code", render: (v) => v ?? "—" },
          { title: t("common.time"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          {
            key: "resend",
            render: (_, d) => (
              <Button size="small" onClick={() => resend(d)}>
                {t("webhooks.resend")}
              </Button>
            ),
          },
        ]}
      />
    </Drawer>
  );
}

export default function Webhooks() {
  const { t, fmt } = useI18n();
  const client = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const [viewing, setViewing] = useState<Endpoint>();
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<{ url: string; description?: string; event_types?: string[] }>();
  const types = useQuery({ queryKey: ["event-types"], queryFn: () => unwrap(api.GET("/v1/event-types")) });
  const create = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      const created = await unwrap(
        api.POST("/v1/webhook-endpoints", {
          body: {
            url: v.url,
            ...(v.description ? { description: v.description } : {}),
            event_types: v.event_types ?? [],
          },
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      setCreating(false);
      form.resetFields();
      setSecret(created.secret);
      await client.invalidateQueries({ queryKey: ["webhooks"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <PageHeader
        title={t("nav.webhooks")}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t("webhooks.create")}
          </Button>
        }
      />
      <CursorTable<Endpoint>
        queryKey={["webhooks"]}
        fetchPage={(cursor) => unwrap(api.GET("/v1/webhook-endpoints", { params: { query: cursor } }))}
        columns={[
          { title: "URL", dataIndex: "url" },
          {
            title: t("webhooks.events"),
            dataIndex: "event_types",
            render: (v: string[]) =>
              v.length === 0 ? t("webhooks.allEvents") : v.map((e) => <Tag key={e}>{e}</Tag>),
          },
          {
            title: t("common.status"),
            dataIndex: "enabled",
            render: (on: boolean) =>
              on ? <Tag color="green">{t("webhooks.enabled")}</Tag> : <Tag>{t("webhooks.disabled")}</Tag>,
          },
          { title: t("common.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          {
            key: "deliveries",
            render: (_, e) => (
              <Button size="small" onClick={() => setViewing(e)}>
                {t("webhooks.deliveries")}
              </Button>
            ),
          },
        ]}
      />
      <Modal
        open={creating}
        title={t("webhooks.create")}
        onOk={create}
        onCancel={() => setCreating(false)}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
      >
        <ProblemAlert error={error} />
        <Form name="webhook-create" form={form} layout="vertical">
          <Form.Item name="url" label="URL" rules={[{ required: true, type: "url" }]}>
            <Input placeholder="https://" />
          </Form.Item>
          <Form.Item name="description" label={t("webhooks.description")}>
            <Input />
          </Form.Item>
          <Form.Item name="event_types" label={t("webhooks.events")}>
            <Select
              mode="multiple"
              allowClear
              options={(types.data?.data ?? []).map((e) => ({ value: e.type, label: e.type }))}
            />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        open={Boolean(secret)}
        title={t("webhooks.secretTitle")}
        onCancel={() => setSecret(undefined)}
        footer={null}
      >
        <Alert type="warning" showIcon title={t("apiKeys.secretOnce")} style={{ marginBottom: 12 }} />
        <Typography.Paragraph copyable code>
          {secret}
        </Typography.Paragraph>
      </Modal>
      <Deliveries endpoint={viewing} onClose={() => setViewing(undefined)} />
    </>
  );
}
