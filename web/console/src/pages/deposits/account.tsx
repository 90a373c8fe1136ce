import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Spin, Tag } from "antd";
import type { ReactNode } from "react";
import { useNavigate } from "react-router-dom";
import { api, type components, unwrap } from "../../../../api/client";
import { ProblemAlert } from "../../components/problems";
import { type MessageKey, useI18n } from "../../i18n/i18n";
import { useSession } from "../../session";

export type DepositAccount = components["schemas"]["DepositAccount"];

const STATUS_COLOR: Record<DepositAccount["status"], string> = {
  pending_configuration: "orange",
  pending_activation: "gold",
  active: "green",
  abnormal: "red",
  closed: "default",
};

/** The signed-in merchant's deposit account: null before it is opened. */
export function useMyAccount() {
  const { user } = useSession();
  const merchantId = user.org_unit_id ?? "";
  const query = useQuery({
    queryKey: ["deposit-account", merchantId],
    queryFn: async () => {
      const list = await unwrap(
        api.GET("/v1/deposit-accounts", { params: { query: { merchant_id: merchantId, limit: 1 } } }),
      );
      return list.data[0] ?? null;
    },
  });
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: ["deposit-account", merchantId] });
  return { merchantId, account: query.data, query, refresh };
}

export function AccountStatus({ status }: { status: DepositAccount["status"] }) {
  const { t } = useI18n();
  return <Tag color={STATUS_COLOR[status]}>{t(`dep.status.${status}` as MessageKey)}</Tag>;
}

/** A page of the deposit center that needs the opened account; before that it points home. */
export function WithAccount(props: { children(account: DepositAccount): ReactNode }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { account, query } = useMyAccount();
  if (query.isPending) return <Spin />;
  if (query.error) return <ProblemAlert error={query.error} />;
  if (!account)
    return (
      <Alert
        type="info"
        showIcon
        title={t("dep.notOpened")}
        action={<Button onClick={() => navigate("/deposits")}>{t("dep.openNow")}</Button>}
      />
    );
  return <>{props.children(account)}</>;
}
