import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Card, Descriptions, Form, Input, Space, Steps, Table, Typography } from "antd";
import { useState } from "react";
import { api, type components, unwrap } from "../../../../api/client";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { useAmountRule, useConfirmedSend } from "../../components/ValueDialog";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { useSession } from "../../session";
import { type DepositAccount, useMyAccount, WithAccount } from "./account";

type Topup = components["schemas"]["DepositTopup"];
type Receiving = NonNullable<Topup["receiving_account"]>;

/** Apply for a top-up: the receiving bank account to wire to, the exact amount and reference. */
export default function DepositTopupPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("dep.topup.title")} />
      <WithAccount>{(account) => <TopupForm account={account} />}</WithAccount>
    </>
  );
}

export function ReceivingAccount({ receiving }: { receiving: Receiving }) {
  const { t } = useI18n();
  return (
    <Descriptions column={1} size="small" bordered>
      <Descriptions.Item label={t("dep.bank.company")}>{receiving.company_name ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("dep.bank.name")}>{receiving.bank_name ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("dep.bank.branch")}>{receiving.branch ?? "—"}</Descriptions.Item>
      <Descriptions.Item label={t("dep.bank.number")}>
        <Typography.Text copyable>{receiving.account_number ?? "—"}</Typography.Text>
      </Descriptions.Item>
    </Descriptions>
  );
}

/** A top-up's or withdrawal's progress, step by step. */
export function Progress(props: { steps: MessageKey[]; at: number; failed?: boolean }) {
  const { t } = useI18n();
  return (
    <Steps
      size="small"
      current={props.at}
      status={props.failed ? "error" : props.at >= props.steps.length - 1 ? "finish" : "process"}
      items={props.steps.map((s) => ({ title: t(s) }))}
      style={{ minWidth: 320 }}
    />
  );
}

export const TOPUP_STEPS: MessageKey[] = ["dep.step.applied", "dep.step.wired", "dep.step.credited"];
export const topupAt = (status: Topup["status"]) => (status === "completed" ? 2 : status === "open" ? 1 : 0);

/** Top-up applications with their progress. */
export function TopupTable(props: { rows: Topup[]; loading: boolean }) {
  const { t, fmt } = useI18n();
  return (
    <Table<Topup>
      rowKey="id"
      size="small"
      loading={props.loading}
      dataSource={props.rows}
      pagination={false}
      columns={[
        { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
        { title: t("dep.amount"), dataIndex: "amount", render: (v: number) => fmt.money(v) },
        { title: t("dep.reference"), dataIndex: "reference" },
        {
          title: t("dep.progress"),
          key: "progress",
          render: (_, r) => (
            <Progress steps={TOPUP_STEPS} at={topupAt(r.status)} failed={r.status === "cancelled"} />
          ),
        },
      ]}
    />
  );
}

function TopupForm({ account }: { account: DepositAccount }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const [form] = Form.useForm<{ amount: string }>();
  const amountRule = useAmountRule();
  const { error, confirmThenSend } = useConfirmedSend();
  const [applied, setApplied] = useState<Topup>();
  const client = useQueryClient();
  const { refresh } = useMyAccount();
  const settings = useQuery({
    queryKey: ["deposit-settings"],
    queryFn: () => unwrap(api.GET("/v1/deposit-settings")),
  });
  const topups = useQuery({
    queryKey: ["deposit-topups", account.id],
    queryFn: () =>
      unwrap(api.GET("/v1/deposit-accounts/{id}/topups", { params: { path: { id: account.id } } })),
  });
  const submit = async () => {
    const { amount } = await form.validateFields();
    const minor = fmt.toMinor(amount)!;
    confirmThenSend(t("dep.topup.confirm", { amount: fmt.money(minor) }), async (key) => {
      const topup = await unwrap(
        api.POST("/v1/deposit-accounts/{id}/topups", {
          params: { path: { id: account.id } },
          body: { amount: minor },
          headers: { "idempotency-key": key },
        }),
      );
      setApplied(topup);
      form.resetFields();
      await client.invalidateQueries({ queryKey: ["deposit-topups", account.id] });
      await refresh();
    });
  };
  const min = settings.data?.min_topup_amount;
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <ProblemAlert error={error ?? settings.error} />
      {applied ? (
        <Card title={t("dep.topup.applied")} role="region" aria-label={t("dep.topup.applied")}>
          <Typography.Paragraph>
            {t("dep.topup.wireExactly", { amount: fmt.money(applied.amount), reference: applied.reference })}
          </Typography.Paragraph>
          <ReceivingAccount receiving={applied.receiving_account ?? {}} />
        </Card>
      ) : null}
      {can("POST /v1/deposit-accounts/{id}/topups") ? (
        <Card title={t("dep.topup.apply")}>
          <Form form={form} layout="inline" name="topup">
            <Form.Item
              name="amount"
              label={`${t("dep.amount")} (${fmt.currency})`}
              rules={[{ required: true }, amountRule]}
              extra={min !== undefined ? t("dep.topup.minimum", { amount: fmt.money(min) }) : null}
            >
              <Input inputMode="decimal" style={{ width: 180 }} />
            </Form.Item>
            <Button type="primary" onClick={submit}>
              {t("dep.topup.submit")}
            </Button>
          </Form>
          <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
            {t("dep.topup.rules")}
          </Typography.Paragraph>
        </Card>
      ) : null}
      {settings.data && !applied ? (
        <Card title={t("dep.topup.receiving")}>
          <ReceivingAccount receiving={settings.data.receiving_account} />
        </Card>
      ) : null}
      <Card title={t("dep.topup.records")}>
        <ProblemAlert error={topups.error} />
        <TopupTable rows={topups.data?.data ?? []} loading={topups.isFetching} />
      </Card>
    </Space>
  );
}
