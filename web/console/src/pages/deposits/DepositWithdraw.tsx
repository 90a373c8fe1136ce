import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Descriptions, Form, Input, Space, Table } from "antd";
import { api, type components, unwrap } from "../../../../api/client";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { useAmountRule, useConfirmedSend } from "../../components/ValueDialog";
import type { MessageKey } from "../../i18n/i18n";
import { useI18n } from "../../i18n/i18n";
import { useSession } from "../../session";
import { type DepositAccount, useMyAccount, WithAccount } from "./account";
import { Progress } from "./DepositTopup";

type Withdrawal = components["schemas"]["DepositWithdrawal"];

export const WITHDRAWAL_STEPS: MessageKey[] = ["dep.step.requested", "dep.step.approved", "dep.step.paid"];
export function withdrawalAt(status: Withdrawal["status"]) {
  return { requested: 0, approved: 1, failed: 1, paid: 2, rejected: 0 }[status];
}

/** Withdraw to the bound bank account: held at once, paid after the platform approves. */
export default function DepositWithdrawPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("dep.withdraw.title")} />
      <WithAccount>{(account) => <WithdrawForm account={account} />}</WithAccount>
    </>
  );
}

/** Where a withdrawal is paid: account name, bank and the masked number. */
function paidTo(b: Withdrawal["bank_account"]) {
  return b ? `${b.company_name} · ${b.bank_name} · ${b.account_number_masked}` : "—";
}

export function WithdrawalTable(props: { rows: Withdrawal[]; loading: boolean }) {
  const { t, fmt } = useI18n();
  return (
    <Table<Withdrawal>
      rowKey="id"
      size="small"
      loading={props.loading}
      dataSource={props.rows}
      pagination={false}
      columns={[
        { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
        { title: t("dep.amount"), dataIndex: "amount", render: (v: number) => fmt.money(v) },
        { title: t("dep.withdraw.to"), dataIndex: "bank_account", render: paidTo },
        {
          title: t("common.status"),
          dataIndex: "status",
          render: (s: string) => t(`dep.wd.${s}` as MessageKey),
        },
        {
          title: t("dep.progress"),
          key: "progress",
          render: (_, r) => (
            <Progress
              steps={WITHDRAWAL_STEPS}
              at={withdrawalAt(r.status)}
              failed={r.status === "failed" || r.status === "rejected"}
            />
          ),
        },
      ]}
    />
  );
}

function WithdrawForm({ account }: { account: DepositAccount }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const [form] = Form.useForm<{ amount: string; reason?: string }>();
  const amountRule = useAmountRule();
  const { error, confirmThenSend } = useConfirmedSend();
  const client = useQueryClient();
  const { refresh } = useMyAccount();
  const list = useQuery({
    queryKey: ["deposit-withdrawals", account.id],
    queryFn: () =>
      unwrap(api.GET("/v1/deposit-accounts/{id}/withdrawals", { params: { path: { id: account.id } } })),
  });
  const submit = async () => {
    const { amount, reason } = await form.validateFields();
    const minor = fmt.toMinor(amount)!;
    confirmThenSend(t("dep.withdraw.confirm", { amount: fmt.money(minor) }), async (key) => {
      await unwrap(
        api.POST("/v1/deposit-accounts/{id}/withdrawals", {
          params: { path: { id: account.id } },
          body: { amount: minor, ...(reason ? { reason } : {}) },
          headers: { "idempotency-key": key },
        }),
      );
      form.resetFields();
      await client.invalidateQueries({ queryKey: ["deposit-withdrawals", account.id] });
      await refresh();
    });
  };
  const bank = list.data?.data.find((w) => w.bank_account)?.bank_account;
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <ProblemAlert error={error ?? list.error} />
      {account.arrears > 0 ? <Alert type="error" showIcon title={t("dep.withdraw.arrears")} /> : null}
      {can("POST /v1/deposit-accounts/{id}/withdrawals") ? (
        <Card title={t("dep.withdraw.apply")}>
          <Descriptions size="small" column={2} style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t("dep.available")}>{fmt.money(account.available)}</Descriptions.Item>
            {bank ? <Descriptions.Item label={t("dep.withdraw.to")}>{paidTo(bank)}</Descriptions.Item> : null}
          </Descriptions>
          <Form form={form} layout="inline" name="withdraw">
            <Form.Item
              name="amount"
              label={`${t("dep.amount")} (${fmt.currency})`}
              rules={[{ required: true }, amountRule]}
            >
              <Input inputMode="decimal" style={{ width: 180 }} />
            </Form.Item>
            <Form.Item name="reason" label={t("wallet.reason")}>
              <Input maxLength={500} style={{ width: 240 }} />
            </Form.Item>
            <Button type="primary" onClick={submit}>
              {t("dep.withdraw.submit")}
            </Button>
          </Form>
        </Card>
      ) : null}
      <Card title={t("dep.withdraw.records")}>
        <WithdrawalTable rows={list.data?.data ?? []} loading={list.isFetching} />
      </Card>
    </Space>
  );
}
