import { PlusOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { Button, Form, Input, Tag, Typography } from "antd";
import { useState } from "react";
import { api, type components, unwrap } from "../../../api/client";
import { CursorTable } from "../components/CursorTable";
import { useConfirmedAction } from "../components/confirmed-action";
import { FormDialog } from "../components/FormDialog";
import { PageHeader } from "../components/Page";
import { SecretOnceDialog } from "../components/SecretOnceDialog";
import { useI18n } from "../i18n/i18n";

type SandboxSummary = components["schemas"]["SandboxSummary"];

/** The API's cap of active sandboxes per live tenant (MAX_ACTIVE_SANDBOXES), said in the intro. */
const MAX_ACTIVE = 10;

/** A live tenant's sandboxes: list, create (its owner key shown once), archive, restore. Owners only. */
export default function Sandboxes() {
  const { t, fmt } = useI18n();
  const confirmed = useConfirmedAction();
  const client = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<{ name: string; timezone?: string }>();
  const create = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      const created = await unwrap(
        api.POST("/v1/sandboxes", {
          body: { name: v.name, ...(v.timezone?.trim() ? { timezone: v.timezone.trim() } : {}) },
        }),
      );
      setCreating(false);
      form.resetFields();
      setSecret(created.api_key);
      await client.invalidateQueries({ queryKey: ["sandboxes"] });
    } catch (e) {
      setError(e);
    }
  };
  const archive = (s: SandboxSummary) =>
    confirmed({
      title: t("sandboxes.archiveConfirm", { name: s.name }),
      run: () => unwrap(api.POST("/v1/sandboxes/{id}/archive", { params: { path: { id: s.id } } })),
      done: t("sandboxes.archived"),
      queryKey: ["sandboxes"],
    });
  const restore = (s: SandboxSummary) =>
    confirmed({
      title: t("sandboxes.restoreConfirm", { name: s.name, max: MAX_ACTIVE }),
      run: () => unwrap(api.POST("/v1/sandboxes/{id}/restore", { params: { path: { id: s.id } } })),
      done: t("sandboxes.restored"),
      queryKey: ["sandboxes"],
      undoing: true,
    });
  return (
    <>
      <PageHeader
        title={t("nav.sandboxes")}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t("sandboxes.create")}
          </Button>
        }
      />
      <Typography.Paragraph type="secondary">
        {t("sandboxes.intro", { max: MAX_ACTIVE })}
      </Typography.Paragraph>
      <CursorTable<SandboxSummary>
        queryKey={["sandboxes"]}
        fetchPage={(cursor) => unwrap(api.GET("/v1/sandboxes", { params: { query: cursor } }))}
        columns={[
          {
            title: t("sandboxes.name"),
            dataIndex: "name",
            render: (name, s) => (
              <>
                <div>{name}</div>
                <Typography.Text type="secondary" copyable={{ text: s.id }} style={{ fontSize: 12 }}>
                  {s.id}
                </Typography.Text>
              </>
            ),
          },
          { title: t("sandboxes.timezone"), dataIndex: "timezone" },
          { title: t("common.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("sandboxes.clock"),
            key: "clock",
            render: (_, s) => fmt.dateTime(s.clock.now),
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (_, s) =>
              s.status === "archived" ? (
                <>
                  <Tag>{t("sandboxes.archivedTag")}</Tag>
                  <div>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t("sandboxes.archivedAt", { at: fmt.dateTime(s.archived_at) })}
                    </Typography.Text>
                  </div>
                </>
              ) : (
                <Tag color="green">{t("sandboxes.active")}</Tag>
              ),
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, s) =>
              s.status === "archived" ? (
                <Button size="small" onClick={() => restore(s)}>
                  {t("sandboxes.restore")}
                </Button>
              ) : (
                <Button size="small" danger onClick={() => archive(s)}>
                  {t("sandboxes.archive")}
                </Button>
              ),
          },
        ]}
      />
      <FormDialog
        open={creating}
        title={t("sandboxes.create")}
        onSave={create}
        onCancel={() => setCreating(false)}
        error={error}
      >
        <Form name="sandbox-create" form={form} layout="vertical">
          <Form.Item name="name" label={t("sandboxes.name")} rules={[{ required: true, max: 200 }]}>
            <Input />
          </Form.Item>
          <Form.Item
            name="timezone"
            label={t("sandboxes.timezone")}
            extra={t("sandboxes.timezoneHint")}
            rules={[{ max: 64 }]}
          >
            <Input placeholder="Asia/Shanghai" />
          </Form.Item>
        </Form>
      </FormDialog>
      <SecretOnceDialog
        secret={secret}
        title={t("sandboxes.keyTitle")}
        warning={t("sandboxes.keyOnce")}
        done={t("sandboxes.keyDone")}
        testId="sandbox-api-key"
        onClose={() => setSecret(undefined)}
      />
    </>
  );
}
