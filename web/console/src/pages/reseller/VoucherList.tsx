import { useQueryClient } from "@tanstack/react-query";
import { App, Button, Form, Select, Space, Tag, Typography } from "antd";
import { Link } from "react-router-dom";
import { api, type paths, unwrap } from "../../../../api/client";
import { CursorTable, useUrlFilters } from "../../components/CursorTable";
import { FilterBar, PageHeader } from "../../components/Page";
import { namer, useUnitsBelow } from "../../components/partner-data";
import { ProblemAlert } from "../../components/problems";
import { refreshQueries } from "../../components/refreshQueries";
import { useConfirmedSend } from "../../components/ValueDialog";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { usePartnerUnit } from "../../portals";
import { useSession } from "../../session";

export type Voucher = paths["/v1/vouchers/{id}"]["get"]["responses"][200]["content"]["application/json"];
type Status = Voucher["status"];
const STATUSES: Status[] = ["unused", "partly_used", "used_up", "expired", "withdrawn"];
const PURPOSES = ["customer_discount", "product_trial"] as const;
export const STATUS_COLORS: Record<Status, string> = {
  unused: "blue",
  partly_used: "gold",
  used_up: "default",
  expired: "default",
  withdrawn: "red",
};
const FILTERS = ["status", "customer_id", "purpose"] as const;

/**
 * Customer Voucher List (seed 002): statuses, balances and usage details of the customers'
 * vouchers; Withdraw for an unused, unexpired voucher the caller may withdraw.
 */
export default function VoucherList() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const unit = usePartnerUnit();
  const { message } = App.useApp();
  const client = useQueryClient();
  const customers = useUnitsBelow(unit.id, "customer");
  const customerName = namer(customers.data);
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const { error, confirmThenSend } = useConfirmedSend();
  // The seed: a reseller withdraws its "Customer Discount" vouchers; product trials are the distributor's.
  const mayWithdraw = (v: Voucher) =>
    can("POST /v1/vouchers/{id}/withdraw") &&
    v.status === "unused" &&
    (unit.portal === "distributor" || v.purpose === "customer_discount");
  const withdraw = (v: Voucher) =>
    confirmThenSend(
      t("partner.withdraw.confirm", { id: v.id, amount: fmt.money(v.balance) }),
      async (key) => {
        await unwrap(
          api.POST("/v1/vouchers/{id}/withdraw", {
            params: { path: { id: v.id } },
            headers: { "idempotency-key": key },
            body: {},
          }),
        );
        message.success(t("partner.withdrawn"));
        await refreshQueries(client, ["vouchers", "voucher-quotas"]);
      },
    );
  const query = new URLSearchParams({ format: "csv", ...filters });
  return (
    <>
      <PageHeader
        title={t("nav.customerVouchers")}
        extra={
          <Button href={`/v1/vouchers/export?${query}`} download>
            {t("partner.vouchers.download")}
          </Button>
        }
      />
      <FilterBar<Partial<Record<(typeof FILTERS)[number], string>>>
        name="voucher-filters"
        initialValues={filters}
        onSearch={(v) => setFilters(v)}
      >
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 140 }}
            options={STATUSES.map((s) => ({ value: s, label: t(`partner.status.${s}` as MessageKey) }))}
          />
        </Form.Item>
        <Form.Item name="customer_id" label={t("partner.customer")}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            style={{ width: 200 }}
            options={(customers.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
          />
        </Form.Item>
        <Form.Item name="purpose" label={t("partner.usage")}>
          <Select
            allowClear
            style={{ width: 180 }}
            options={PURPOSES.map((p) => ({ value: p, label: t(`partner.purpose.${p}` as MessageKey) }))}
          />
        </Form.Item>
      </FilterBar>
      <ProblemAlert error={error} />
      <CursorTable<Voucher>
        queryKey={["vouchers", filters]}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/vouchers", {
              params: {
                query: {
                  ...cursor,
                  ...filters,
                  status: filters.status as Status | undefined,
                  purpose: filters.purpose as (typeof PURPOSES)[number] | undefined,
                },
              },
            }),
          )
        }
        columns={[
          { title: t("partner.voucher.id"), dataIndex: "id" },
          { title: t("partner.customer"), dataIndex: "customer_id", render: customerName },
          {
            title: t("partner.usage"),
            dataIndex: "purpose",
            render: (p: string) => t(`partner.purpose.${p}` as MessageKey),
          },
          { title: t("partner.voucher.face"), key: "face", render: (_, v) => fmt.money(v.face_value.amount) },
          { title: t("partner.voucher.balance"), dataIndex: "balance", render: (b: number) => fmt.money(b) },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Status) => (
              <Tag color={STATUS_COLORS[s]}>{t(`partner.status.${s}` as MessageKey)}</Tag>
            ),
          },
          {
            title: t("partner.voucher.issuedAt"),
            dataIndex: "issued_at",
            render: (d: string) => fmt.dateTime(d),
          },
          {
            title: t("partner.voucher.expiresAt"),
            dataIndex: "expires_at",
            render: (d: string) => fmt.dateTime(d),
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, v) => (
              <Space>
                <Link to={`/${unit.portal}/vouchers/${v.id}`}>{t("partner.usageDetails")}</Link>
                {mayWithdraw(v) ? (
                  <Button size="small" type="link" danger onClick={() => withdraw(v)}>
                    {t("partner.withdraw")}
                  </Button>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
        {t("partner.withdraw.note")}
      </Typography.Paragraph>
    </>
  );
}
