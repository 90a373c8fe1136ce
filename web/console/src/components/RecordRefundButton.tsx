import { useQueryClient } from "@tanstack/react-query";
import { Button, Form, Input, Modal } from "antd";
import { useState } from "react";
import { useI18n } from "../i18n/i18n";
import { ProblemAlert } from "./problems";
import { refreshQueries } from "./refreshQueries";
import { useConfirmedSend } from "./ValueDialog";

export interface RefundRecord {
  reference?: string;
  note?: string;
}

/**
 * Finance records that a payment kept `refund_due` (paid late, no longer deliverable) was
 * refunded at the provider: the provider's refund id and a note, confirmed, sent once.
 */
export function RecordRefundButton(props: {
  /** What the dialog names ("CN¥100.00 from Alice"). */
  subject: string;
  send(body: RefundRecord, key: string): Promise<unknown>;
  /** The list queries to refresh once it is recorded. */
  refresh: readonly string[];
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<RefundRecord>();
  const { error, confirmThenSend } = useConfirmedSend();
  const onOk = async () => {
    const raw = await form.validateFields();
    confirmThenSend(t("refundDue.confirm", { subject: props.subject }), async (key) => {
      await props.send({ reference: raw.reference || undefined, note: raw.note || undefined }, key);
      form.resetFields();
      setOpen(false);
      await refreshQueries(queryClient, props.refresh);
    });
  };
  return (
    <>
      <Button size="small" onClick={() => setOpen(true)}>
        {t("refundDue.record")}
      </Button>
      <Modal
        open={open}
        title={t("refundDue.title")}
        okText={t("common.next")}
        cancelText={t("common.cancel")}
        onOk={onOk}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <p>{t("refundDue.explain", { subject: props.subject })}</p>
        <ProblemAlert error={error} />
        <Form name="record-refund" form={form} layout="vertical">
          <Form.Item name="reference" label={t("refundDue.reference")}>
            <Input maxLength={200} placeholder="re_…" />
          </Form.Item>
          <Form.Item name="note" label={t("wallet.note")}>
            <Input.TextArea maxLength={500} rows={2} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
