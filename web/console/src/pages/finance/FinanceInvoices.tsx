import { Button, Space } from "antd";
import { useState } from "react";
import { api, type components, unwrap } from "../../../../api/client";
import { everyValueOf, type QueryValue } from "../../../../api/enums";
import { CursorTable } from "../../components/CursorTable";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { InvoiceStatus } from "../deposits/DepositInvoicing";
import { StatusFilter, TextDialog, useDeskAction, useMerchantNames, useTextDialog } from "./desk";

type InvoiceRequest = components["schemas"]["DepositInvoiceRequest"];
type Status = InvoiceRequest["status"];
type Action = "issue" | "mail" | "reject";
const STATUSES = everyValueOf<QueryValue<"/v1/deposit-invoice-requests", "status">>()([
  "requested",
  "issued",
  "mailed",
  "rejected",
]);
const NEXT: Record<Status, Action[]> = {
  requested: ["issue", "reject"],
  issued: ["mail"],
  mailed: [],
  rejected: [],
};
const FIELD = { issue: "invoice_number", mail: "tracking_number", reject: "reason" } as const;
const LABEL: Record<Action, MessageKey> = {
  issue: "dep.inv.number",
  mail: "dep.inv.tracking",
  reject: "wallet.reason",
};

/** Invoice issue and mailing: issue with the invoice number, mail with the tracking number. */
export default function FinanceInvoices() {
  const { t, fmt } = useI18n();
  const [status, setStatus] = useState<Status>("requested");
  const merchant = useMerchantNames();
  const { error, act } = useDeskAction(["desk-invoices"]);
  const dialog = useTextDialog<Action, InvoiceRequest>();
  const address = (a: Record<string, unknown>) =>
    [a.recipient, a.phone, a.address].filter((x) => typeof x === "string").join(" · ");
  return (
    <>
      <PageHeader title={t("desk.inv.title")} />
      <ProblemAlert error={error} />
      <StatusFilter<typeof status>
        value={status}
        statuses={STATUSES}
        prefix="dep.inv.req."
        onChange={setStatus}
      />
      <CursorTable<InvoiceRequest>
        queryKey={["desk-invoices", status]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/deposit-invoice-requests", { params: { query: { ...cursor, status } } }))
        }
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
          { title: t("desk.merchant"), dataIndex: "account_id", render: merchant },
          { title: t("dep.inv.net"), dataIndex: "net_amount", render: (v: number) => fmt.money(v) },
          { title: t("dep.inv.count"), dataIndex: "entry_count" },
          { title: t("dep.inv.mailTo"), dataIndex: "address", render: address },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Status) => <InvoiceStatus status={s} />,
          },
          { title: t("dep.inv.number"), dataIndex: "invoice_number", render: (v: string | null) => v ?? "—" },
          {
            title: t("dep.inv.tracking"),
            dataIndex: "tracking_number",
            render: (v: string | null) => v ?? "—",
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, r) => (
              <Space>
                {NEXT[r.status].map((action) => (
                  <Button
                    key={action}
                    size="small"
                    danger={action === "reject"}
                    type={action === "reject" ? "default" : "primary"}
                    onClick={() => dialog.ask(action, r)}
                  >
                    {t(`desk.inv.${action}` as MessageKey)}
                  </Button>
                ))}
              </Space>
            ),
          },
        ]}
      />
      <TextDialog
        open={Boolean(dialog.asking)}
        title={dialog.asking ? t(`desk.inv.${dialog.asking.action}` as MessageKey) : ""}
        label={dialog.asking ? t(LABEL[dialog.asking.action]) : ""}
        required={dialog.asking?.action !== "reject"}
        max={dialog.asking?.action === "reject" ? 500 : 64}
        onClose={dialog.close}
        onSubmit={(text) => {
          if (!dialog.asking) return;
          const { action, item } = dialog.asking;
          act(t(`desk.inv.confirm.${action}` as MessageKey, { amount: fmt.money(item.net_amount) }), () =>
            unwrap(
              api.POST(`/v1/deposit-invoice-requests/{id}/${action}`, {
                params: { path: { id: item.id } },
                body: text ? { [FIELD[action]]: text } : {},
              }),
            ),
          );
        }}
      />
    </>
  );
}
