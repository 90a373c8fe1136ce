import { useQuery } from "@tanstack/react-query";
import { Card, Table, Tag } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { ProblemAlert } from "../components/problems";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type MemberVoucher = components["schemas"]["MemberVoucher"];

const STATUS_COLORS: Record<MemberVoucher["status"], string> = {
  unused: "green",
  partly_used: "blue",
  used_up: "default",
  expired: "default",
  withdrawn: "red",
};

/** The member's own vouchers on its detail page: what each is worth, has left, and until when. */
export function MemberVouchers({ memberId }: { memberId: string }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const allowed = can("GET /v1/members/{member_id}/vouchers");
  const vouchers = useQuery({
    queryKey: ["member-vouchers", memberId],
    enabled: allowed,
    queryFn: () =>
      unwrap(
        api.GET("/v1/members/{member_id}/vouchers", {
          params: { path: { member_id: memberId }, query: { limit: 100 } },
        }),
      ),
  });
  if (!allowed) return null;
  return (
    <Card title={t("members.vouchers")} style={{ marginTop: 16 }} data-testid="member-vouchers">
      <ProblemAlert error={vouchers.error} />
      <Table<MemberVoucher>
        rowKey="id"
        size="small"
        pagination={false}
        loading={vouchers.isPending}
        dataSource={vouchers.data?.data ?? []}
        columns={[
          {
            title: t("partner.voucher.face"),
            dataIndex: ["face_value", "amount"],
            render: (v) => fmt.money(v),
          },
          { title: t("partner.voucher.balance"), dataIndex: "balance", render: (v) => fmt.money(v) },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: MemberVoucher["status"]) => (
              <Tag color={STATUS_COLORS[s]}>{t(`partner.status.${s}`)}</Tag>
            ),
          },
          { title: t("partner.voucher.issuedAt"), dataIndex: "issued_at", render: (v) => fmt.dateTime(v) },
          { title: t("partner.voucher.expiresAt"), dataIndex: "expires_at", render: (v) => fmt.dateTime(v) },
        ]}
      />
    </Card>
  );
}
