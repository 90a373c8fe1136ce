import { Button, Typography } from "antd";
import { useState } from "react";
import { api, unwrap } from "../../../../api/client";
import { everyValueOf, type QueryValue } from "../../../../api/enums";
import { CursorTable } from "../../components/CursorTable";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { CATALOGS, type MessageKey, useI18n } from "../../i18n/i18n";
import { StatusFilter, TextDialog, useDeskAction, useMerchantNames, useTextDialog } from "./desk";

type Item = Awaited<ReturnType<typeof fetchItems>>["data"][number];
const STATUSES = everyValueOf<QueryValue<"/v1/deposit-manual-items", "status">>()(["open", "resolved"]);

const fetchItems = (query: { limit: number; starting_after?: string; status: "open" | "resolved" }) =>
  unwrap(api.GET("/v1/deposit-manual-items", { params: { query } }));

/** The manual-handling list: freezes that could not be taken, failed payouts; resolved with a note. */
export default function FinanceManual() {
  const { t, fmt, lang } = useI18n();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>("open");
  const merchant = useMerchantNames();
  const { error, act } = useDeskAction(["desk-manual"]);
  const dialog = useTextDialog<"resolve", Item>();
  const kind = (k: string) => {
    const key = `desk.manual.kind.${k}` as MessageKey;
    return key in CATALOGS[lang] ? t(key) : k;
  };
  return (
    <>
      <PageHeader title={t("desk.manual.title")} />
      <ProblemAlert error={error} />
      <StatusFilter<typeof status>
        value={status}
        statuses={STATUSES}
        prefix="desk.manual.status."
        onChange={setStatus}
      />
      <CursorTable<Item>
        queryKey={["desk-manual", status]}
        fetchPage={(cursor) => fetchItems({ ...cursor, status })}
        columns={[
          { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
          { title: t("desk.merchant"), dataIndex: "account_id", render: merchant },
          { title: t("desk.manual.kind"), dataIndex: "kind", render: kind },
          {
            title: t("desk.manual.detail"),
            dataIndex: "detail",
            render: (d: Record<string, unknown>) => (
              <Typography.Text code style={{ fontSize: 12 }}>
                {JSON.stringify(d)}
              </Typography.Text>
            ),
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, item) =>
              item.status === "open" ? (
                <Button size="small" onClick={() => dialog.ask("resolve", item)}>
                  {t("desk.manual.resolve")}
                </Button>
              ) : null,
          },
        ]}
      />
      <TextDialog
        open={Boolean(dialog.asking)}
        title={t("desk.manual.resolve")}
        label={t("wallet.note")}
        required
        onClose={dialog.close}
        onSubmit={(note) =>
          dialog.asking &&
          act(t("desk.manual.confirm"), () =>
            unwrap(
              api.POST("/v1/deposit-manual-items/{id}/resolve", {
                params: { path: { id: dialog.asking!.item.id } },
                body: { note: note! },
              }),
            ),
          )
        }
      />
    </>
  );
}
