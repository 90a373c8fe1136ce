import { App, Form, Input, Modal } from "antd";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { ProblemAlert } from "./problems";

export function PasswordDialog(props: { open: boolean; onClose(): void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ current_password: string; new_password: string }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const values = await form.validateFields();
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(api.POST("/v1/users/me/password", { body: values }));
      message.success(t("password.changed"));
      form.resetFields();
      props.onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={props.open}
      title={t("shell.changePassword")}
      okText={t("common.save")}
      cancelText={t("common.cancel")}
      confirmLoading={busy}
      onOk={submit}
      onCancel={props.onClose}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      <Form name="password" form={form} layout="vertical">
        <Form.Item name="current_password" label={t("password.current")} rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item name="new_password" label={t("password.new")} rules={[{ required: true, min: 8 }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
