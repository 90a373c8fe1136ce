import { Button, Space } from "antd";
import { useState } from "react";
import { api, type components, unwrap } from "../../../../api/client";
import { everyValueOf, type QueryValue } from "../../../../api/enums";
import { CursorTable } from "../../components/CursorTable";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { StatusFilter, TextDialog, useDeskAction, useMerchantNames, useTextDialog } from "./desk";

type Withdrawal = components["schemas"]["DepositWithdrawal"];
type Status = Withdrawal["status"];
type Action = "approve" | "reject" | "pay" | "fail";
const STATUSES = everyValueOf<QueryValue<"/v1/deposit-withdrawals", "status">>()([
  "requested",
  "approved",
  "failed",
  "paid",
  "rejected",
]);
/** What finance may do with a withdrawal in each status. */
const ACTIONS: Record<Status, Action[]> = {
  requested: ["approve", "reject"],
  approved: ["pay", "fail", "reject"],
  failed: ["pay", "reject"],
  paid: [],
  rejected: [],
};

/** Withdrawal approval: approve or reject requests, then record the payout paid or failed. */
export default function FinanceWithdrawals() {
  const { t, fmt } = useI18n();
  const [status, setStatus] = useState<Status>("requested");
  const merchant = useMerchantNames();
  const queryKey = ["desk-withdrawals", status];
  const { error, act } = useDeskAction(["desk-withdrawals"]);
  const dialog = useTextDialog<Action, Withdrawal>();
  const send = (action: Action, w: Withdrawal, reason?: string) =>
    act(
      t(`desk.wd.confirm.${action}` as MessageKey, {
        amount: fmt.money(w.amount),
        merchant: merchant(w.account_id),
      }),
      (key) =>
        unwrap(
          api.POST(`/v1/deposit-withdrawals/{id}/${action}`, {
            params: { path: { id: w.id } },
            body: reason ? { reason } : {},
            headers: { "idempotency-key": key },
          }),
        ),
    );
  return (
    <>
      <PageHeader title={t("desk.wd.title")} />
      <ProblemAlert error={error} />
      <StatusFilter<typeof status> value={status} statuses={STATUSES} prefix="dep.wd." onChange={setStatus} />
      <CursorTable<Withdrawal>
        queryKey={queryKey}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/deposit-withdrawals", { params: { query: { ...cursor, status } } }))
        }
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
          { title: t("desk.merchant"), dataIndex: "account_id", render: merchant },
          { title: t("dep.amount"), dataIndex: "amount", render: (v: number) => fmt.money(v) },
          {
            title: t("desk.wd.bank"),
            dataIndex: "bank_account",
            render: (b: Withdrawal["bank_account"]) =>
              b ? `${b.company_name} · ${b.bank_name} · ${b.account_number}` : "—",
          },
          { title: t("desk.wd.reason"), dataIndex: "reason", render: (v: string | null) => v ?? "—" },
          {
            title: t("desk.wd.decision_reason"),
            dataIndex: "decision_reason",
            render: (v: string | null) => v ?? "—",
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, w) => (
              <Space>
                {ACTIONS[w.status].map((action) => (
                  <Button
                    key={action}
                    size="small"
                    danger={action === "reject" || action === "fail"}
                    type={action === "approve" || action === "pay" ? "primary" : "default"}
                    onClick={() =>
                      action === "reject" || action === "fail" ? dialog.ask(action, w) : send(action, w)
                    }
                  >
                    {t(`desk.wd.${action}` as MessageKey)}
                  </Button>
                ))}
              </Space>
            ),
          },
        ]}
      />
      <TextDialog
        open={Boolean(dialog.asking)}
        title={dialog.asking ? t(`desk.wd.${dialog.asking.action}` as MessageKey) : ""}
        label={t("wallet.reason")}
        onClose={dialog.close}
        onSubmit={(reason) => {
          if (dialog.asking) send(dialog.asking.action, dialog.asking.item, reason);
        }}
      />
    </>
  );
}
