import { App, Form, Input, Modal } from "antd";
import { type ReactNode, useState } from "react";
import { ApiError, idempotencyKey } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { ProblemAlert } from "./problems";

export interface AmountField {
  name: string;
  label: string;
  required?: boolean;
}

/**
 * Confirm, then send once: one Idempotency-Key per attempt, so a double click or a retry
 * after a lost answer cannot apply the operation twice; once the server has answered, a
 * corrected retry is a new attempt with a new key.
 */
export function useConfirmedSend() {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const [error, setError] = useState<unknown>();
  const [key, setKey] = useState(idempotencyKey);
  const confirmThenSend = (content: ReactNode, send: (key: string) => Promise<void>) =>
    modal.confirm({
      title: t("common.confirmTitle"),
      content,
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      onOk: async () => {
        setError(undefined);
        try {
          await send(key);
          setKey(idempotencyKey());
        } catch (e) {
          setError(e);
          if (e instanceof ApiError) setKey(idempotencyKey());
        }
      },
    });
  return { error, confirmThenSend };
}

/** A form rule for an amount typed in major units of the tenant's currency ("99.50"). */
export function useAmountRule() {
  const { t, fmt } = useI18n();
  return {
    validator: (_: unknown, value: string | undefined) =>
      !value || fmt.toMinor(value) !== undefined
        ? Promise.resolve()
        : Promise.reject(new Error(t("common.badAmount"))),
  };
}

/** A form rule for an amount that must move something: more than zero once read. */
function usePositiveAmountRule() {
  const { t, fmt } = useI18n();
  return {
    validator: (_: unknown, value: string | undefined) => {
      const minor = value ? fmt.toMinor(value) : undefined;
      return minor === undefined || minor > 0
        ? Promise.resolve()
        : Promise.reject(new Error(t("common.positiveAmount")));
    },
  };
}

/** A dialog for an operation that moves value: amounts typed in major units, converted exactly. */
export function ValueDialog(props: {
  open: boolean;
  title: string;
  amounts: AmountField[];
  confirmText(values: Record<string, number>): ReactNode;
  submit(
    values: Record<string, number>,
    text: { reason?: string; note?: string },
    key: string,
  ): Promise<void>;
  onClose(): void;
  /** The text fields to ask for (default both); `reason!` makes the reason required. */
  text?: ("reason" | "reason!" | "note")[];
}) {
  const { t, fmt } = useI18n();
  const [form] = Form.useForm();
  const text = props.text ?? ["reason", "note"];
  const { error, confirmThenSend } = useConfirmedSend();
  const onOk = async () => {
    const raw = await form.validateFields();
    const amounts: Record<string, number> = {};
    for (const f of props.amounts) {
      const text = raw[f.name] as string | undefined;
      if (!text) continue;
      const minor = fmt.toMinor(text);
      if (minor === undefined) return;
      amounts[f.name] = minor;
    }
    confirmThenSend(props.confirmText(amounts), async (key) => {
      await props.submit(amounts, { reason: raw.reason || undefined, note: raw.note || undefined }, key);
      form.resetFields();
      props.onClose();
    });
  };
  const amountRule = useAmountRule();
  const positiveRule = usePositiveAmountRule();
  return (
    <Modal
      open={props.open}
      title={props.title}
      okText={t("common.next")}
      cancelText={t("common.cancel")}
      onOk={onOk}
      onCancel={props.onClose}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      <Form name="value" form={form} layout="vertical">
        {props.amounts.map((f) => (
          <Form.Item
            key={f.name}
            name={f.name}
            label={`${f.label} (${fmt.currency})`}
            rules={[...(f.required ? [{ required: true }, positiveRule] : []), amountRule]}
          >
            <Input inputMode="decimal" />
          </Form.Item>
        ))}
        {text.some((f) => f.startsWith("reason")) ? (
          <Form.Item
            name="reason"
            label={t("wallet.reason")}
            rules={[{ required: text.includes("reason!") }]}
          >
            <Input maxLength={500} />
          </Form.Item>
        ) : null}
        {text.includes("note") ? (
          <Form.Item name="note" label={t("wallet.note")}>
            <Input.TextArea maxLength={500} rows={2} />
          </Form.Item>
        ) : null}
      </Form>
    </Modal>
  );
}
