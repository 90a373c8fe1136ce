import { PlusOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Input, Modal, Switch } from "antd";
import { useState } from "react";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import { ProblemAlert } from "../components/problems";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

export function MemberCreateButton() {
  const { t } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [key, setKey] = useState(idempotencyKey);
  const [form] = Form.useForm<{ name: string; phone?: string; student?: boolean }>();
  if (!can("POST /v1/members")) return null;
  const submit = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      await unwrap(
        api.POST("/v1/members", {
          body: { name: v.name, phone: v.phone || null, student: v.student ?? false },
          headers: { "idempotency-key": key },
        }),
      );
      message.success(t("members.created"));
      setOpen(false);
      form.resetFields();
      setKey(idempotencyKey());
      await client.invalidateQueries({ queryKey: ["members"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>
        {t("members.create")}
      </Button>
      <Modal
        open={open}
        title={t("members.create")}
        onOk={submit}
        onCancel={() => setOpen(false)}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
      >
        <ProblemAlert error={error} />
        <Form name="member-create" form={form} layout="vertical">
          <Form.Item name="name" label={t("members.name")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="phone" label={t("members.phone")}>
            <Input />
          </Form.Item>
          <Form.Item name="student" label={t("members.student")} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
