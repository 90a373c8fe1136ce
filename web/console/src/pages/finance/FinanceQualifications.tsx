import { Button, Space } from "antd";
import { useState } from "react";
import { api, type components, unwrap } from "../../../../api/client";
import { everyValueOf, type QueryValue } from "../../../../api/enums";
import { CursorTable } from "../../components/CursorTable";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { useI18n } from "../../i18n/i18n";
import { ProfileStatus } from "../deposits/DepositInvoicing";
import { StatusFilter, TextDialog, useDeskAction, useTextDialog } from "./desk";

type Profile = components["schemas"]["DepositInvoiceProfile"];
type Status = Profile["status"];
const STATUSES = everyValueOf<QueryValue<"/v1/deposit-invoice-profiles", "status">>()([
  "verifying",
  "verified",
  "rejected",
  "draft",
]);

/** Qualification review: verify a merchant's invoice qualification, or reject it with a reason. */
export default function FinanceQualifications() {
  const { t } = useI18n();
  const [status, setStatus] = useState<Status>("verifying");
  const { error, act } = useDeskAction(["desk-profiles"]);
  const dialog = useTextDialog<"reject", Profile>();
  const decide = (p: Profile, action: "verify" | "reject", reason?: string) =>
    act(
      t(action === "verify" ? "desk.q.confirmVerify" : "desk.q.confirmReject", { company: p.company_name }),
      () =>
        unwrap(
          api.POST(`/v1/deposit-accounts/{id}/invoice-profile/${action}`, {
            params: { path: { id: p.account_id } },
            body: reason ? { reason } : {},
          }),
        ),
    );
  return (
    <>
      <PageHeader title={t("desk.q.title")} />
      <ProblemAlert error={error} />
      <StatusFilter<typeof status>
        value={status}
        statuses={STATUSES}
        prefix="dep.inv.status."
        onChange={setStatus}
      />
      <CursorTable<Profile & { id: string }>
        queryKey={["desk-profiles", status]}
        fetchPage={async (cursor) => {
          const page = await unwrap(
            api.GET("/v1/deposit-invoice-profiles", { params: { query: { ...cursor, status } } }),
          );
          return { ...page, data: page.data.map((p) => ({ ...p, id: p.account_id })) };
        }}
        columns={[
          { title: t("dep.bank.company"), dataIndex: "company_name" },
          { title: t("dep.inv.taxId"), dataIndex: "tax_id" },
          { title: t("dep.inv.companyAddress"), dataIndex: "company_address" },
          { title: t("dep.inv.companyPhone"), dataIndex: "company_phone" },
          {
            title: t("dep.bank.number"),
            key: "bank",
            render: (_, p) => `${p.bank_name ?? "—"} · ${p.bank_account ?? "—"}`,
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Status) => <ProfileStatus status={s} />,
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, p) =>
              p.status === "verifying" ? (
                <Space>
                  <Button size="small" type="primary" onClick={() => decide(p, "verify")}>
                    {t("desk.q.verify")}
                  </Button>
                  <Button size="small" danger onClick={() => dialog.ask("reject", p)}>
                    {t("desk.q.reject")}
                  </Button>
                </Space>
              ) : null,
          },
        ]}
      />
      <TextDialog
        open={Boolean(dialog.asking)}
        title={t("desk.q.reject")}
        label={t("dep.inv.rejectReason")}
        required
        onClose={dialog.close}
        onSubmit={(reason) => dialog.asking && decide(dialog.asking.item, "reject", reason)}
      />
    </>
  );
}
