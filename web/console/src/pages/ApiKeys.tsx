import { PlusOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { Button, Form, Input, Modal, Select, Tag, Typography } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { everyValueOf } from "../../../api/enums";
import { CursorTable } from "../components/CursorTable";
import { useConfirmedAction } from "../components/confirmed-action";
import { PageHeader } from "../components/Page";
import { ProblemAlert } from "../components/problems";
import { SecretOnceDialog } from "../components/SecretOnceDialog";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type ApiKey = components["schemas"]["ApiKey"];
export const ROLES = everyValueOf<components["schemas"]["ApiKey"]["role"]>()([
  "owner",
  "admin",
  "operator",
  "finance",
  "viewer",
]);

export default function ApiKeys() {
  const { t, fmt } = useI18n();
  const { user } = useSession();
  const confirmed = useConfirmedAction();
  const client = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<{ name: string; role: ApiKey["role"] }>();
  const create = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      const created = await unwrap(
        api.POST("/v1/api-keys", { body: v, headers: { "idempotency-key": idempotencyKey() } }),
      );
      setCreating(false);
      form.resetFields();
      setSecret(created.secret);
      await client.invalidateQueries({ queryKey: ["api-keys"] });
    } catch (e) {
      setError(e);
    }
  };
  const revoke = (k: ApiKey) =>
    confirmed({
      title: t("apiKeys.revokeConfirm", { name: k.name }),
      run: () => unwrap(api.POST("/v1/api-keys/{id}/revoke", { params: { path: { id: k.id } } })),
      done: t("apiKeys.revoked"),
      queryKey: ["api-keys"],
    });
  return (
    <>
      <PageHeader
        title={t("nav.apiKeys")}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t("apiKeys.create")}
          </Button>
        }
      />
      <CursorTable<ApiKey>
        queryKey={["api-keys"]}
        fetchPage={(cursor) => unwrap(api.GET("/v1/api-keys", { params: { query: cursor } }))}
        columns={[
          { title: t("apiKeys.name"), dataIndex: "name" },
          {
            title: t("apiKeys.prefix"),
            dataIndex: "prefix",
            render: (p) => <Typography.Text code>{p}…</Typography.Text>,
          },
          { title: t("users.role"), dataIndex: "role", render: (r) => t(`role.${r}` as MessageKey) },
          { title: t("apiKeys.lastUsed"), dataIndex: "last_used_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.status"),
            dataIndex: "revoked_at",
            render: (v) =>
              v ? <Tag>{t("apiKeys.revokedTag")}</Tag> : <Tag color="green">{t("apiKeys.activeTag")}</Tag>,
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, k) =>
              k.revoked_at ? null : (
                <Button size="small" danger onClick={() => revoke(k)}>
                  {t("apiKeys.revoke")}
                </Button>
              ),
          },
        ]}
      />
      <Modal
        open={creating}
        title={t("apiKeys.create")}
        onOk={create}
        onCancel={() => setCreating(false)}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
      >
        <ProblemAlert error={error} />
        <Form name="api-key-create" form={form} layout="vertical" initialValues={{ role: "operator" }}>
          <Form.Item name="name" label={t("apiKeys.name")} rules={[{ required: true, max: 100 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="role" label={t("users.role")} rules={[{ required: true }]}>
            <Select
              options={ROLES.filter((r) => r !== "owner" || user.role === "owner").map((r) => ({
                value: r,
                label: t(`role.${r}`),
              }))}
            />
          </Form.Item>
        </Form>
      </Modal>
      <SecretOnceDialog
        secret={secret}
        title={t("apiKeys.secretTitle")}
        warning={t("apiKeys.secretOnce")}
        done={t("apiKeys.secretDone")}
        testId="api-key-secret"
        onClose={() => setSecret(undefined)}
      />
    </>
  );
}
