import { Typography } from "antd";
import { api, type paths, unwrap } from "../../../../api/client";
import { CursorTable } from "../../components/CursorTable";
import { ExportButton } from "../../components/ExportButton";
import { PageHeader } from "../../components/Page";
import { CATALOGS, type MessageKey, useI18n } from "../../i18n/i18n";
import { WithAccount } from "./account";

type Ledger =
  paths["/v1/deposit-accounts/{id}/ledger"]["get"]["responses"][200]["content"]["application/json"];
type Line = Ledger["data"][number] & { id: string };

export const EXPENSE_RED = "#dc2626";
export const INCOME_GREEN = "#15803d";

/** The account ledger: every balance change, expenses in red and income in green; batch download. */
export default function DepositLedger() {
  const { t, fmt, lang } = useI18n();
  const codeLabel = (code: string) => {
    const key = `dep.code.${code}` as MessageKey;
    return key in CATALOGS[lang] ? t(key) : code;
  };
  return (
    <WithAccount>
      {(account) => (
        <>
          <PageHeader
            title={t("dep.ledger.title")}
            extra={<ExportButton type="deposit_account_ledger" filters={{ account_id: account.id }} scoped />}
          />
          <CursorTable<Line>
            queryKey={["deposit-ledger", account.id]}
            fetchPage={async (cursor) => {
              const page = await unwrap(
                api.GET("/v1/deposit-accounts/{id}/ledger", {
                  params: { path: { id: account.id }, query: cursor },
                }),
              );
              return { ...page, data: page.data.map((l) => ({ ...l, id: l.transfer_id })) };
            }}
            columns={[
              { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
              {
                title: t("dep.ledger.direction"),
                dataIndex: "direction",
                render: (d: Line["direction"]) =>
                  t(d === "income" ? "dep.ledger.income" : "dep.ledger.expense"),
              },
              {
                title: t("dep.amount"),
                dataIndex: "amount",
                render: (v: number, l) => (
                  <Typography.Text
                    data-direction={l.direction}
                    style={{ color: l.direction === "expense" ? EXPENSE_RED : INCOME_GREEN }}
                  >
                    {`${l.direction === "expense" ? "-" : "+"}${fmt.money(v)}`}
                  </Typography.Text>
                ),
              },
              { title: t("dep.balance"), dataIndex: "balance", render: (v: number) => fmt.money(v) },
              { title: t("dep.ledger.code"), dataIndex: "code", render: codeLabel },
            ]}
          />
        </>
      )}
    </WithAccount>
  );
}
