import { Form, Input, Select, Space, Tag } from "antd";
import { Link } from "react-router-dom";
import { api, type components, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { CLIPPED, oneLineCell, oneLineHeader } from "../components/cells";
import { FilterBar, PageHeader } from "../components/Page";
import { ProviderRefunded } from "../components/ProviderRefunded";
import { RecordRefundButton } from "../components/RecordRefundButton";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type CashierOrder = components["schemas"]["CashierOrder"];
type Attempt = CashierOrder["payments"][number];
// The filters' options, checked against the API's statuses.
const STATUSES = [
  "open",
  "pending_payment",
  "paid",
  "partially_refunded",
  "refunded",
  "cancelled",
  "expired",
] as const satisfies readonly CashierOrder["status"][];
const ATTEMPT_STATUSES = [
  "pending",
  "succeeded",
  "failed",
  "expired",
  "refund_due",
  "refunded",
] as const satisfies readonly Attempt["status"][];
const FILTERS = ["status", "payment_status", "member_id"] as const;
const STATUS_COLOR: Record<CashierOrder["status"], string> = {
  open: "blue",
  pending_payment: "orange",
  paid: "green",
  partially_refunded: "gold",
  refunded: "purple",
  cancelled: "default",
  expired: "default",
};

/**
 * The orders merchants' backends handed over to the member center's cashier, newest first,
 * by status, attempt status and member: how each was paid and its payment attempts. Finance
 * records here the refund of an online part the provider collected too late (`refund_due`). A
 * paid order whose money was given back, in part or whole, says so in its status.
 */
export default function CashierOrders() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const attempt = (o: CashierOrder, p: Attempt) => {
    const label = `${t(`cashier.paidBy.${p.kind}`)} · ${t(`cashier.attempt.${p.status}`)}`;
    // The provider may refund an owed attempt in parts: finance sees how much is back and what is left.
    const progress =
      p.status === "refund_due" && p.refunded_amount > 0 ? (
        <span data-testid="cashier-refund-progress" style={{ whiteSpace: "nowrap" }}>
          {t("cashier.refundProgress", {
            refunded: fmt.money(p.refunded_amount),
            outstanding: fmt.money(p.refund_outstanding),
          })}
        </span>
      ) : (
        <ProviderRefunded amount={p.refunded_amount} count={p.refund_count} />
      );
    if (p.status !== "refund_due" || !can("POST /v1/cashier-orders/{id}/payments/{payment_id}/record-refund"))
      return (
        <Space key={p.id} size={4}>
          {p.status === "refund_due" ? <Tag color="magenta">{label}</Tag> : label}
          {progress}
        </Space>
      );
    return (
      <Space key={p.id} size={4}>
        <Tag color="magenta">{`${label} · ${fmt.money(p.online_amount)}`}</Tag>
        {progress}
        <RecordRefundButton
          subject={`${fmt.money(p.online_amount)} · ${o.merchant_order_ref}`}
          refresh={["cashier-orders"]}
          send={(body, key) =>
            unwrap(
              api.POST("/v1/cashier-orders/{id}/payments/{payment_id}/record-refund", {
                params: { path: { id: o.id, payment_id: p.id } },
                headers: { "idempotency-key": key },
                body,
              }),
            )
          }
        />
      </Space>
    );
  };
  return (
    <>
      <PageHeader title={t("nav.cashierOrders")} />
      <FilterBar name="cashier-order-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 140 }}
            options={STATUSES.map((s) => ({ value: s, label: t(`cashier.status.${s}`) }))}
          />
        </Form.Item>
        <Form.Item name="payment_status" label={t("cashier.attemptStatus")}>
          <Select
            allowClear
            style={{ width: 140 }}
            options={ATTEMPT_STATUSES.map((s) => ({ value: s, label: t(`cashier.attempt.${s}`) }))}
          />
        </Form.Item>
        <Form.Item name="member_id" label={t("cashier.member")}>
          <Input allowClear style={{ width: 240 }} />
        </Form.Item>
      </FilterBar>
      <CursorTable<CashierOrder>
        queryKey={["cashier-orders", filters]}
        // Wider than the page on a laptop: the table scrolls inside its card, the page stays put.
        scroll={{ x: "max-content" }}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/cashier-orders", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          {
            title: t("cashier.ref"),
            dataIndex: "merchant_order_ref",
            onHeaderCell: oneLineHeader,
            onCell: oneLineCell,
          },
          {
            title: t("cashier.member"),
            key: "member",
            render: (_, o) => (
              <Link to={`/members/${o.member_id}`} title={o.member_id} style={CLIPPED}>
                {o.member_name ?? o.member_id}
              </Link>
            ),
          },
          {
            title: t("cashier.total"),
            dataIndex: "total",
            onHeaderCell: oneLineHeader,
            onCell: oneLineCell,
            render: (v: number) => fmt.money(v),
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            onCell: oneLineCell,
            render: (s: CashierOrder["status"], o) => (
              <Space size={4}>
                <Tag color={STATUS_COLOR[s]}>{t(`cashier.status.${s}`)}</Tag>
                {/* Part of a paid order's money given back: how much of its total. */}
                {s === "partially_refunded" ? (
                  <span data-testid="cashier-order-refunded" style={{ whiteSpace: "nowrap" }}>
                    {t("cashier.orderRefunded", {
                      refunded: fmt.money(o.refunded_amount),
                      total: fmt.money(o.total),
                    })}
                  </span>
                ) : null}
              </Space>
            ),
          },
          {
            title: t("cashier.paidBy"),
            dataIndex: "paid_by",
            onHeaderCell: oneLineHeader,
            onCell: oneLineCell,
            render: (v: CashierOrder["paid_by"]) => (v ? t(`cashier.paidBy.${v}`) : "—"),
          },
          {
            title: t("cashier.payments"),
            key: "payments",
            render: (_, o) =>
              o.payments.length === 0 ? (
                "—"
              ) : (
                <Space orientation="vertical" size={2}>
                  {o.payments.map((p) => attempt(o, p))}
                </Space>
              ),
          },
          {
            title: t("cashier.created"),
            dataIndex: "created_at",
            onHeaderCell: oneLineHeader,
            onCell: oneLineCell,
            render: (v: string) => fmt.dateTime(v),
          },
          {
            title: t("cashier.expires"),
            dataIndex: "expires_at",
            onHeaderCell: oneLineHeader,
            onCell: oneLineCell,
            render: (v: string) => fmt.dateTime(v),
          },
        ]}
      />
    </>
  );
}
