import { Form, Input, Select, Tag } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { FilterBar, PageHeader } from "../components/Page";
import { useI18n } from "../i18n/i18n";

type CashierOrder = components["schemas"]["CashierOrder"];
const STATUSES = ["open", "pending_payment", "paid", "cancelled", "expired"] as const;
const FILTERS = ["status", "member_id"] as const;
const STATUS_COLOR: Record<CashierOrder["status"], string> = {
  open: "blue",
  pending_payment: "orange",
  paid: "green",
  cancelled: "default",
  expired: "default",
};

/**
 * The orders merchants' backends handed over to the member center's cashier, newest first,
 * by status and member: how each was paid and its payment attempts.
 */
export default function CashierOrders() {
  const { t, fmt } = useI18n();
  const { filters, setFilters } = useUrlFilters(FILTERS);
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
        <Form.Item name="member_id" label={t("cashier.member")}>
          <Input allowClear style={{ width: 240 }} />
        </Form.Item>
      </FilterBar>
      <CursorTable<CashierOrder>
        queryKey={["cashier-orders", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/cashier-orders", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          { title: t("cashier.ref"), dataIndex: "merchant_order_ref" },
          { title: t("cashier.member"), dataIndex: "member_id" },
          { title: t("cashier.total"), dataIndex: "total", render: (v: number) => fmt.money(v) },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: CashierOrder["status"]) => (
              <Tag color={STATUS_COLOR[s]}>{t(`cashier.status.${s}`)}</Tag>
            ),
          },
          {
            title: t("cashier.paidBy"),
            dataIndex: "paid_by",
            render: (v: CashierOrder["paid_by"]) => (v ? t(`cashier.paidBy.${v}`) : "—"),
          },
          {
            title: t("cashier.payments"),
            key: "payments",
            render: (_, o) =>
              o.payments.length === 0
                ? "—"
                : o.payments
                    .map((p) => `${t(`cashier.paidBy.${p.kind}`)} · ${t(`cashier.attempt.${p.status}`)}`)
                    .join("; "),
          },
          { title: t("cashier.created"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
          { title: t("cashier.expires"), dataIndex: "expires_at", render: (v: string) => fmt.dateTime(v) },
        ]}
      />
    </>
  );
}
