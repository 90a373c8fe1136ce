import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Form, Input, Modal, Segmented } from "antd";
import { type ReactNode, useState } from "react";
import { api, unwrap } from "../../../../api/client";
import { useConfirmedSend } from "../../components/ValueDialog";
import { type MessageKey, useI18n } from "../../i18n/i18n";

/**
 * Merchant names by deposit account, for the desk's queues (the first 100 accounts and
 * merchants: the queues name the rest by account id).
 */
export function useMerchantNames(): (accountId: string | null) => string {
  const names = useQuery({
    queryKey: ["desk-merchant-names"],
    staleTime: 60_000,
    queryFn: async () => {
      const [accounts, units] = await Promise.all([
        unwrap(api.GET("/v1/deposit-accounts", { params: { query: { limit: 100 } } })),
        unwrap(api.GET("/v1/org-units", { params: { query: { kind: "merchant", limit: 100 } } })),
      ]);
      const unitName = new Map(units.data.map((u) => [u.id, u.name]));
      return new Map(accounts.data.map((a) => [a.id, unitName.get(a.merchant_id) ?? a.merchant_id]));
    },
  });
  return (accountId) => (accountId ? (names.data?.get(accountId) ?? accountId) : "—");
}

/**
 * A desk action: confirm, send once with an Idempotency-Key, refresh the queue; a refusal
 * shows its problem above the queue.
 */
export function useDeskAction(queryKey: unknown[]) {
  const client = useQueryClient();
  const { error, confirmThenSend } = useConfirmedSend();
  const act = (content: ReactNode, send: (key: string) => Promise<unknown>) =>
    confirmThenSend(content, async (key) => {
      await send(key);
      await client.invalidateQueries({ queryKey });
    });
  return { error, act };
}

/** A queue's status filter, the first status being the one to work on. */
export function StatusFilter<S extends string>(props: {
  value: S;
  statuses: readonly S[];
  prefix: string;
  onChange(value: S): void;
}) {
  const { t } = useI18n();
  return (
    <Segmented<S>
      value={props.value}
      onChange={props.onChange}
      style={{ marginBottom: 12 }}
      options={props.statuses.map((s) => ({ value: s, label: t(`${props.prefix}${s}` as MessageKey) }))}
    />
  );
}

/** Asks for the one text an action needs (invoice number, tracking number, reason, note). */
export function TextDialog(props: {
  open: boolean;
  title: string;
  label: string;
  required?: boolean;
  max?: number;
  onClose(): void;
  onSubmit(text: string | undefined): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ text?: string }>();
  return (
    <Modal
      open={props.open}
      title={props.title}
      okText={t("common.next")}
      cancelText={t("common.cancel")}
      onCancel={props.onClose}
      destroyOnHidden
      onOk={async () => {
        const { text } = await form.validateFields();
        props.onClose();
        props.onSubmit(text || undefined);
      }}
    >
      <Form form={form} layout="vertical" name="desk-text" preserve={false}>
        <Form.Item name="text" label={props.label} rules={[{ required: props.required }]}>
          <Input maxLength={props.max ?? 500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The text dialog's state: which action on which row is asking. */
export function useTextDialog<A extends string, T>() {
  const [asking, setAsking] = useState<{ action: A; item: T }>();
  return {
    asking,
    ask: (action: A, item: T) => setAsking({ action, item }),
    close: () => setAsking(undefined),
  };
}
