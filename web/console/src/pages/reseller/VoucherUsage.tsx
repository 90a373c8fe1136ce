import { useQuery } from "@tanstack/react-query";
import { Button, Card, Descriptions, Space, Tag } from "antd";
import { Link, useParams } from "react-router-dom";
import { api, type paths, unwrap } from "../../../../api/client";
import { CursorTable } from "../../components/CursorTable";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { usePartnerUnit } from "../../portals";
import { STATUS_COLORS } from "./VoucherList";

type Usage =
  paths["/v1/vouchers/{id}/usages"]["get"]["responses"][200]["content"]["application/json"]["data"][number];

/** Usage Details: each deduction and refund of one voucher, to view or download. */
export default function VoucherUsage() {
  const { t, fmt } = useI18n();
  const { id } = useParams<{ id: string }>();
  const unit = usePartnerUnit();
  const voucher = useQuery({
    queryKey: ["voucher", id],
    queryFn: () => unwrap(api.GET("/v1/vouchers/{id}", { params: { path: { id: id! } } })),
  });
  const v = voucher.data;
  return (
    <>
      <PageHeader
        title={t("partner.usageDetails")}
        extra={
          <Space>
            <Link to={`/${unit.portal}/vouchers`}>{t("partner.backToList")}</Link>
            {v ? (
              <Button href={`/v1/vouchers/${v.id}/usages/export?format=csv`} download>
                {t("partner.usage.download")}
              </Button>
            ) : null}
          </Space>
        }
      />
      <ProblemAlert error={voucher.error} />
      {v ? (
        <>
          <Card size="small" style={{ marginBottom: 16 }}>
            <Descriptions size="small" column={3}>
              <Descriptions.Item label={t("partner.voucher.id")}>{v.id}</Descriptions.Item>
              <Descriptions.Item label={t("partner.usage")}>
                {t(`partner.purpose.${v.purpose}` as MessageKey)}
              </Descriptions.Item>
              <Descriptions.Item label={t("common.status")}>
                <Tag color={STATUS_COLORS[v.status]}>{t(`partner.status.${v.status}` as MessageKey)}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label={t("partner.voucher.face")}>
                {fmt.money(v.face_value.amount)}
              </Descriptions.Item>
              <Descriptions.Item label={t("partner.voucher.balance")}>
                {fmt.money(v.balance)}
              </Descriptions.Item>
              <Descriptions.Item label={t("partner.voucher.expiresAt")}>
                {fmt.dateTime(v.expires_at)}
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <CursorTable<Usage>
            queryKey={["voucher-usages", v.id]}
            fetchPage={(cursor) =>
              unwrap(api.GET("/v1/vouchers/{id}/usages", { params: { path: { id: v.id }, query: cursor } }))
            }
            locale={{ emptyText: t("partner.usage.none") }}
            columns={[
              { title: t("common.time"), dataIndex: "created_at", render: (d: string) => fmt.dateTime(d) },
              {
                title: t("partner.usage.kind"),
                dataIndex: "kind",
                render: (k: string) => t(`partner.usage.kind.${k}` as MessageKey),
              },
              { title: t("partner.usage.bill"), dataIndex: "bill_id" },
              { title: t("partner.usage.product"), dataIndex: "product_code" },
              { title: t("partner.usage.amount"), dataIndex: "amount", render: (a: number) => fmt.money(a) },
            ]}
          />
        </>
      ) : null}
    </>
  );
}
