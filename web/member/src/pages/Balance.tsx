import { Selector } from "antd-mobile";
import { useState } from "react";
import { api, type components, unwrap } from "../../../api/client";
import { CursorList, Row } from "../components";
import { useMember } from "../context";
import { changeReason, memberOrderRef } from "../format";
import { useI18n } from "../i18n";
import type { MessageKey } from "../messages";

type Change = components["schemas"]["BalanceChange"];
type Kind = Change["kind"];

/** The filters the seed names: by type, and by date. */
const TYPES: Record<string, { label: MessageKey; kinds: Kind[] }> = {
  topup: { label: "filter.topup", kinds: ["topup_offline", "topup_online"] },
  payment: { label: "filter.payment", kinds: ["payment"] },
  refund: { label: "filter.refund", kinds: ["refund"] },
  reward: { label: "filter.reward", kinds: ["reward"] },
  exchange: { label: "filter.exchange", kinds: ["exchange_in", "exchange_out"] },
  withdrawal: { label: "filter.withdrawal", kinds: ["withdrawal"] },
};
const PERIODS = ["7", "30", "90", "all"] as const;
/** One line of a change log: what, when, why, how much, and the balance right after. */
export function ChangeRow(props: { change: Change; unit: "money" | "points" }) {
  const { t, fmt } = useI18n();
  const c = props.change;
  const after = props.unit === "money" ? fmt.money(c.balance_after) : fmt.number(c.balance_after);
  const detail = [
    fmt.dateTime(c.created_at),
    changeReason(c, t, fmt),
    memberOrderRef(c.order_id) ? t("balance.order", { id: c.order_id! }) : null,
    t("balance.after", { amount: after }),
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <Row
      testId="change"
      title={t(`kind.${c.kind}` as MessageKey)}
      detail={detail}
      extra={
        <span style={{ color: c.amount >= 0 ? "var(--adm-color-success)" : "var(--adm-color-text)" }}>
          {fmt.signed(c.amount, props.unit)}
        </span>
      }
    />
  );
}

/** The balance change log (seed 004): every change with its reason, order and the balance after. */
export default function Balance() {
  const { t } = useI18n();
  const { visit, branding } = useMember();
  const [type, setType] = useState<string>("all");
  const [period, setPeriod] = useState<(typeof PERIODS)[number]>("30");
  if (branding.hide_balance) return <p style={{ padding: 24 }}>{t("balance.hidden")}</p>;
  const id = visit.memberId;
  // A rolling window back from now (a day boundary would need the tenant zone; a window does not).
  const from =
    period === "all" ? undefined : new Date(Date.now() - Number(period) * 86_400_000).toISOString();
  const kinds = type === "all" ? undefined : TYPES[type]!.kinds;
  return (
    <div>
      <div style={{ background: "#fff", padding: "12px 12px 4px" }}>
        <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginBottom: 6 }}>
          {t("balance.type")}
        </div>
        <Selector
          columns={4}
          value={[type]}
          onChange={(v) => v[0] && setType(v[0])}
          options={[
            { label: t("common.all"), value: "all" },
            ...Object.entries(TYPES).map(([value, x]) => ({ label: t(x.label), value })),
          ]}
        />
        <div style={{ fontSize: 13, color: "var(--adm-color-weak)", margin: "10px 0 6px" }}>
          {t("balance.period")}
        </div>
        <Selector
          columns={4}
          value={[period]}
          onChange={(v) => v[0] && setPeriod(v[0])}
          options={PERIODS.map((p) => ({ label: t(`period.${p}`), value: p }))}
        />
      </div>
      <CursorList
        testId="balance-changes"
        queryKey={["changes", id, "balance", type, period]}
        fetchPage={(startingAfter) =>
          unwrap(
            api.GET("/v1/members/{id}/balance-changes", {
              params: {
                path: { id },
                query: { account: "balance", kind: kinds, from, limit: 20, starting_after: startingAfter },
              },
            }),
          )
        }
        idOf={(c) => c.id}
        render={(c) => <ChangeRow change={c} unit="money" />}
      />
    </div>
  );
}
