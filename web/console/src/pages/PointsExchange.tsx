import { App, Form, Input, InputNumber, Modal, Select } from "antd";
import { api, unwrap } from "../../../api/client";
import { ProblemAlert } from "../components/problems";
import { useConfirmedSend } from "../components/ValueDialog";
import { useI18n } from "../i18n/i18n";

interface Draft {
  from: "points" | "referral_points";
  points: number;
  points_per_unit: string;
  note?: string;
}

/** Points per one unit of balance, an exact decimal as the API takes it ("100"). */
export function RateField() {
  const { t } = useI18n();
  return (
    <Form.Item
      name="points_per_unit"
      label={t("exchange.rate")}
      rules={[{ required: true, pattern: /^[0-9]{1,9}(\.[0-9]{1,4})?$/ }]}
    >
      <Input inputMode="decimal" />
    </Form.Item>
  );
}

/** Points or referral points → balance (bonus), at a stated rate; confirmed and sent once. */
export function PointsExchange(props: {
  memberId: string;
  open: boolean;
  onClose(): void;
  onDone(): Promise<void>;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Draft>();
  const { error, confirmThenSend } = useConfirmedSend();
  const onOk = async () => {
    const d = await form.validateFields();
    const content = t("exchange.confirm", {
      points: d.points,
      from: t(`wallet.account.${d.from}`),
      rate: d.points_per_unit,
    });
    confirmThenSend(content, async (key) => {
      await unwrap(
        api.POST("/v1/members/{id}/exchanges", {
          params: { path: { id: props.memberId } },
          body: {
            from: d.from,
            points: d.points,
            points_per_unit: d.points_per_unit,
            ...(d.note ? { note: d.note } : {}),
          },
          headers: { "idempotency-key": key },
        }),
      );
      message.success(t("wallet.done"));
      form.resetFields();
      props.onClose();
      await props.onDone();
    });
  };
  return (
    <Modal
      open={props.open}
      title={t("exchange.title")}
      okText={t("common.next")}
      cancelText={t("common.cancel")}
      onOk={onOk}
      onCancel={props.onClose}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      <Form<Draft>
        name="exchange"
        form={form}
        layout="vertical"
        initialValues={{ from: "points", points_per_unit: "100" }}
      >
        <Form.Item name="from" label={t("exchange.from")} rules={[{ required: true }]}>
          <Select
            options={(["points", "referral_points"] as const).map((a) => ({
              value: a,
              label: t(`wallet.account.${a}`),
            }))}
          />
        </Form.Item>
        <Form.Item name="points" label={t("exchange.points")} rules={[{ required: true }]}>
          <InputNumber min={1} max={1_000_000_000} precision={0} style={{ width: "100%" }} />
        </Form.Item>
        <RateField />
        <Form.Item name="note" label={t("wallet.note")}>
          <Input maxLength={500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
