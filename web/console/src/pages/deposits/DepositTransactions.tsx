import { useQuery } from "@tanstack/react-query";
import { Card, Segmented, Space, Tabs, Tag } from "antd";
import { useState } from "react";
import { api, type components, unwrap } from "../../../../api/client";
import { CursorTable } from "../../components/CursorTable";
import { ExportButton } from "../../components/ExportButton";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { type DepositAccount, WithAccount } from "./account";
import { TopupTable } from "./DepositTopup";
import { WithdrawalTable } from "./DepositWithdraw";

type Entry = components["schemas"]["DepositTransaction"];
type EntryType = Entry["type"];
/** The seed's second tab: freeze, refund (release), settled, settled refund, pending payment (arrears). */
const TYPES: EntryType[] = [
  "freeze",
  "release",
  "settle",
  "settled_refund",
  "arrears",
  "arrears_repaid",
  "arrears_cancelled",
];

/** Transaction records: top-ups and withdrawals with their progress; the account's transactions. */
export default function DepositTransactions() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("dep.tx.title")} />
      <WithAccount>
        {(account) => (
          <Tabs
            items={[
              { key: "funds", label: t("dep.tx.funds"), children: <Funds account={account} /> },
              { key: "entries", label: t("dep.tx.entries"), children: <Entries account={account} /> },
            ]}
          />
        )}
      </WithAccount>
    </>
  );
}

function Funds({ account }: { account: DepositAccount }) {
  const { t } = useI18n();
  const path = { params: { path: { id: account.id } } };
  const topups = useQuery({
    queryKey: ["deposit-topups", account.id],
    queryFn: () => unwrap(api.GET("/v1/deposit-accounts/{id}/topups", path)),
  });
  const withdrawals = useQuery({
    queryKey: ["deposit-withdrawals", account.id],
    queryFn: () => unwrap(api.GET("/v1/deposit-accounts/{id}/withdrawals", path)),
  });
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      <ProblemAlert error={topups.error ?? withdrawals.error} />
      <Card title={t("dep.topup.records")} size="small">
        <TopupTable rows={topups.data?.data ?? []} loading={topups.isFetching} />
      </Card>
      <Card title={t("dep.withdraw.records")} size="small">
        <WithdrawalTable rows={withdrawals.data?.data ?? []} loading={withdrawals.isFetching} />
      </Card>
    </Space>
  );
}

function Entries({ account }: { account: DepositAccount }) {
  const { t, fmt } = useI18n();
  const [type, setType] = useState<EntryType | "all">("all");
  return (
    <>
      <Space style={{ marginBottom: 12, width: "100%", justifyContent: "space-between" }} wrap>
        <Segmented<EntryType | "all">
          value={type}
          onChange={setType}
          options={[
            { value: "all", label: t("dep.tx.all") },
            ...TYPES.map((k) => ({ value: k, label: t(`dep.entry.${k}` as MessageKey) })),
          ]}
        />
        <ExportButton
          type="deposit_account_transactions"
          filters={{ account_id: account.id, type: type === "all" ? undefined : type }}
          scoped
        />
      </Space>
      <CursorTable<Entry>
        queryKey={["deposit-entries", account.id, type]}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/deposit-accounts/{id}/transactions", {
              params: { path: { id: account.id }, query: { ...cursor, ...(type === "all" ? {} : { type }) } },
            }),
          )
        }
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
          {
            title: t("dep.tx.type"),
            dataIndex: "type",
            render: (v: EntryType) => <Tag>{t(`dep.entry.${v}` as MessageKey)}</Tag>,
          },
          { title: t("dep.amount"), dataIndex: "amount", render: (v: number) => fmt.money(v) },
          { title: t("dep.tx.order"), dataIndex: "order_id", render: (v: string | null) => v ?? "—" },
        ]}
      />
    </>
  );
}
