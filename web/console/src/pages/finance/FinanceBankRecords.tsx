import { useQuery } from "@tanstack/react-query";
import { Button, Modal, Select, Space, Tag } from "antd";
import { useState } from "react";
import { api, type components, unwrap } from "../../../../api/client";
import { everyValueOf, type QueryValue } from "../../../../api/enums";
import { CursorTable } from "../../components/CursorTable";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { StatusFilter, TextDialog, useDeskAction, useMerchantNames, useTextDialog } from "./desk";

type BankRecord = components["schemas"]["DepositBankRecord"];
type Status = BankRecord["status"];
const STATUSES = everyValueOf<QueryValue<"/v1/deposit-bank-records", "status">>()([
  "unmatched",
  "matched",
  "returned",
]);

/** Unmatched bank records: match one to a top-up application by hand, or return it to the payer. */
export default function FinanceBankRecords() {
  const { t, fmt } = useI18n();
  const [status, setStatus] = useState<Status>("unmatched");
  const { error, act } = useDeskAction(["desk-bank-records"]);
  const dialog = useTextDialog<"return", BankRecord>();
  const [matching, setMatching] = useState<BankRecord>();
  const returnRecord = (r: BankRecord, note?: string) =>
    act(t("desk.bank.confirmReturn", { amount: fmt.money(r.amount), payer: r.payer_name }), (key) =>
      unwrap(
        api.POST("/v1/deposit-bank-records/{id}/return", {
          params: { path: { id: r.id } },
          body: note ? { note } : {},
          headers: { "idempotency-key": key },
        }),
      ),
    );
  return (
    <>
      <PageHeader title={t("desk.bank.title")} />
      <ProblemAlert error={error} />
      <StatusFilter<typeof status>
        value={status}
        statuses={STATUSES}
        prefix="desk.bank.status."
        onChange={setStatus}
      />
      <CursorTable<BankRecord>
        queryKey={["desk-bank-records", status]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/deposit-bank-records", { params: { query: { ...cursor, status } } }))
        }
        columns={[
          {
            title: t("desk.bank.received"),
            dataIndex: "received_at",
            render: (v: string) => fmt.dateTime(v),
          },
          { title: t("desk.bank.payer"), dataIndex: "payer_name" },
          { title: t("dep.amount"), dataIndex: "amount", render: (v: number) => fmt.money(v) },
          { title: t("dep.reference"), dataIndex: "reference", render: (v: string | null) => v ?? "—" },
          {
            title: t("desk.bank.reason"),
            dataIndex: "reason",
            render: (v: string | null) => (v ? <Tag>{t(`desk.bank.reason.${v}` as MessageKey)}</Tag> : "—"),
          },
          { title: t("desk.bank.txn"), dataIndex: "bank_transaction_id" },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, r) =>
              r.status === "unmatched" ? (
                <Space>
                  <Button size="small" type="primary" onClick={() => setMatching(r)}>
                    {t("desk.bank.match")}
                  </Button>
                  <Button size="small" danger onClick={() => dialog.ask("return", r)}>
                    {t("desk.bank.return")}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      <TextDialog
        open={Boolean(dialog.asking)}
        title={t("desk.bank.return")}
        label={t("wallet.note")}
        onClose={dialog.close}
        onSubmit={(note) => dialog.asking && returnRecord(dialog.asking.item, note)}
      />
      {matching ? (
        <MatchDialog
          record={matching}
          onClose={() => setMatching(undefined)}
          onMatch={(topupId) =>
            act(
              t("desk.bank.confirmMatch", { amount: fmt.money(matching.amount), payer: matching.payer_name }),
              (key) =>
                unwrap(
                  api.POST("/v1/deposit-bank-records/{id}/match", {
                    params: { path: { id: matching.id } },
                    body: { topup_id: topupId },
                    headers: { "idempotency-key": key },
                  }),
                ),
            )
          }
        />
      ) : null}
    </>
  );
}

/** Picks the open top-up application the record pays (only those of the same amount can match). */
function MatchDialog(props: { record: BankRecord; onClose(): void; onMatch(topupId: string): void }) {
  const { t, fmt } = useI18n();
  const merchant = useMerchantNames();
  const [topupId, setTopupId] = useState<string>();
  const open = useQuery({
    queryKey: ["desk-open-topups"],
    queryFn: () =>
      unwrap(api.GET("/v1/deposit-topups", { params: { query: { status: "open", limit: 100 } } })),
  });
  const candidates = (open.data?.data ?? []).filter((tp) => tp.amount === props.record.amount);
  return (
    <Modal
      open
      title={t("desk.bank.match")}
      okText={t("common.next")}
      cancelText={t("common.cancel")}
      okButtonProps={{ disabled: !topupId }}
      onCancel={props.onClose}
      onOk={() => {
        props.onClose();
        props.onMatch(topupId!);
      }}
    >
      <ProblemAlert error={open.error} />
      <p>
        {t("desk.bank.matchHelp", { amount: fmt.money(props.record.amount), payer: props.record.payer_name })}
      </p>
      {/* The choices render once, complete: a list that changes while open can swallow the pick. */}
      <Select
        style={{ width: "100%" }}
        aria-label={t("desk.bank.topup")}
        placeholder={t("desk.bank.topup")}
        disabled={!open.data}
        loading={!open.data}
        value={topupId}
        onChange={setTopupId}
        notFoundContent={t("desk.bank.noTopup")}
        options={candidates.map((tp) => ({
          value: tp.id,
          label: `${merchant(tp.account_id)} · ${fmt.money(tp.amount)} · ${tp.reference} · ${fmt.dateTime(tp.created_at)}`,
        }))}
      />
    </Modal>
  );
}
