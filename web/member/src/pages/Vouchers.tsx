import { Tabs, Tag } from "antd-mobile";
import { useState } from "react";
import { api, type components, unwrap } from "../../../api/client";
import { everyValueOf, type QueryValue } from "../../../api/enums";
import { CursorList } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";

type Voucher = components["schemas"]["MemberVoucher"];
/** Every status a member's voucher can have: a withdrawn one (say, a refunded package's gift) is shown too, not lost. */
const STATUSES = everyValueOf<QueryValue<"/v1/members/{member_id}/vouchers", "status">>()([
  "unused",
  "partly_used",
  "used_up",
  "expired",
  "withdrawn",
]);

/** Grey that white text still reads on (4.5:1, the least WCAG AA allows for body text). */
const SPENT_GREY = "#767676";

/** The member's own vouchers by status, each with its rules (minimum bill, products, validity). */
export default function Vouchers() {
  const { t } = useI18n();
  const { visit } = useMember();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>("unused");
  const id = visit.memberId;
  return (
    <div>
      <Tabs activeKey={status} onChange={(k) => setStatus(k as typeof status)} style={{ background: "#fff" }}>
        {STATUSES.map((s) => (
          <Tabs.Tab key={s} title={t(`voucher.${s}`)} />
        ))}
      </Tabs>
      <CursorList
        testId="vouchers"
        queryKey={["vouchers", id, status]}
        fetchPage={(startingAfter) =>
          unwrap(
            api.GET("/v1/members/{member_id}/vouchers", {
              params: {
                path: { member_id: id },
                query: { status, limit: 20, starting_after: startingAfter },
              },
            }),
          )
        }
        idOf={(v) => v.id}
        render={(v) => <VoucherCard voucher={v} />}
      />
    </div>
  );
}

function VoucherCard(props: { voucher: Voucher }) {
  const { t, fmt } = useI18n();
  const v = props.voucher;
  const spendable = v.status === "unused" || v.status === "partly_used";
  const codes = v.scope.product_codes.join(", ");
  const scope =
    v.scope.kind === "all"
      ? t("voucher.scope.all")
      : t(v.scope.kind === "allow" ? "voucher.scope.allow" : "voucher.scope.deny", { codes });
  return (
    <div data-testid="voucher" style={{ display: "flex", gap: 14, alignItems: "stretch" }}>
      <div
        style={{
          width: 96,
          borderRadius: 8,
          // A voucher that can no longer be spent is grey, so it does not read as one that can.
          background: spendable ? "var(--brand)" : SPENT_GREY,
          color: "#fff",
          display: "flex",
          flexDirection: "column",
          justifyContent: "center",
          alignItems: "center",
          padding: "10px 4px",
        }}
      >
        <div style={{ fontSize: 20, fontWeight: 700 }}>{fmt.money(v.face_value.amount)}</div>
        {v.balance !== v.face_value.amount ? (
          <div style={{ fontSize: 11, opacity: 0.9 }}>
            {t("voucher.left", { amount: fmt.money(v.balance) })}
          </div>
        ) : null}
      </div>
      <div style={{ flex: 1, minWidth: 0, fontSize: 13, lineHeight: 1.6 }}>
        <div style={{ fontWeight: 600, fontSize: 15 }}>
          {v.min_bill_amount > 0
            ? t("voucher.minBill", { amount: fmt.money(v.min_bill_amount) })
            : t("voucher.noMin")}
        </div>
        <div style={{ color: "var(--adm-color-weak)" }}>{scope}</div>
        <div style={{ color: "var(--adm-color-weak)" }}>
          {t("voucher.valid", { from: fmt.date(v.starts_at), to: fmt.date(v.expires_at) })}
        </div>
        <Tag color={spendable ? "primary" : "default"} fill="outline">
          {t(`voucher.${v.status}`)}
        </Tag>
      </div>
    </div>
  );
}
