import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Modal,
  Result,
  Row,
  Space,
  Spin,
  Statistic,
} from "antd";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, idempotencyKey, unwrap } from "../../../../api/client";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { useI18n } from "../../i18n/i18n";
import { useSession } from "../../session";
import { AccountStatus, type DepositAccount, useMyAccount } from "./account";

/** The deposit center's home: the open-account prompt, then balances, status and next steps. */
export default function DepositHome() {
  const { t } = useI18n();
  const { account, query } = useMyAccount();
  if (query.isPending) return <Spin />;
  return (
    <>
      <PageHeader title={t("dep.home.title")} />
      <ProblemAlert error={query.error} />
      {account ? <AccountHome account={account} /> : account === null ? <OpenAccount /> : null}
    </>
  );
}

function OpenAccount() {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const { merchantId, refresh } = useMyAccount();
  const [prompt, setPrompt] = useState(true);
  const [error, setError] = useState<unknown>();
  const [key] = useState(idempotencyKey);
  const [busy, setBusy] = useState(false);
  const open = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(
        api.POST("/v1/deposit-accounts", {
          body: { merchant_id: merchantId },
          headers: { "idempotency-key": key },
        }),
      );
      message.success(t("dep.opened"));
      setPrompt(false);
      await refresh();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const allowed = can("POST /v1/deposit-accounts");
  const openButton = allowed ? (
    <Button type="primary" loading={busy} onClick={open}>
      {t("dep.openNow")}
    </Button>
  ) : null;
  return (
    <>
      <ProblemAlert error={error} />
      <Result
        status="info"
        title={t("dep.prompt.title")}
        subTitle={t("dep.prompt.text")}
        extra={openButton}
      />
      <Modal
        open={prompt && allowed}
        title={t("dep.prompt.title")}
        onCancel={() => setPrompt(false)}
        footer={[
          <Button key="later" onClick={() => setPrompt(false)}>
            {t("dep.prompt.later")}
          </Button>,
          <Button key="open" type="primary" loading={busy} onClick={open}>
            {t("dep.openNow")}
          </Button>,
        ]}
      >
        <ProblemAlert error={error} />
        <p>{t("dep.prompt.text")}</p>
        <p>{t("dep.prompt.steps")}</p>
      </Modal>
    </>
  );
}

function AccountHome({ account }: { account: DepositAccount }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const money = (key: Parameters<typeof t>[0], value: number, color?: string) => (
    <Col span={6}>
      <Card size="small">
        <Statistic
          title={t(key)}
          value={fmt.money(value)}
          styles={color ? { content: { color } } : undefined}
        />
      </Card>
    </Col>
  );
  return (
    <Space orientation="vertical" size="middle" style={{ width: "100%" }}>
      {account.status === "pending_configuration" ? (
        <Alert
          type="warning"
          showIcon
          title={t("dep.next.configure")}
          action={<Button onClick={() => navigate("/deposits/warnings")}>{t("nav.depWarnings")}</Button>}
        />
      ) : null}
      {account.status === "pending_activation" ? (
        <Alert
          type="info"
          showIcon
          title={t("dep.next.activate")}
          action={<Button onClick={() => navigate("/deposits/topup")}>{t("dep.topup")}</Button>}
        />
      ) : null}
      {account.arrears > 0 ? <Alert type="error" showIcon title={t("dep.inArrears")} /> : null}
      {account.campaigns_suspended ? <Alert type="warning" showIcon title={t("dep.suspended")} /> : null}
      <Row gutter={16}>
        {money("dep.available", account.available, "#15803d")}
        {money("dep.frozen", account.frozen)}
        {money("dep.withdrawalHeld", account.withdrawal_held)}
        {money("dep.arrears", account.arrears, account.arrears > 0 ? "#dc2626" : undefined)}
      </Row>
      <Card
        data-testid="deposit-account"
        title={
          <Space>
            {t("dep.account")}
            <AccountStatus status={account.status} />
          </Space>
        }
        extra={
          <Space>
            {can("POST /v1/deposit-accounts/{id}/topups") ? (
              <Button type="primary" onClick={() => navigate("/deposits/topup")}>
                {t("dep.topup")}
              </Button>
            ) : null}
            {can("POST /v1/deposit-accounts/{id}/withdrawals") ? (
              <Button onClick={() => navigate("/deposits/withdraw")}>{t("dep.withdraw")}</Button>
            ) : null}
          </Space>
        }
      >
        <Descriptions column={2} size="small">
          <Descriptions.Item label={t("dep.balance")}>{fmt.money(account.balance)}</Descriptions.Item>
          <Descriptions.Item label={t("dep.totalToppedUp")}>
            {fmt.money(account.total_topped_up)}
          </Descriptions.Item>
          <Descriptions.Item label={t("dep.totalSettled")}>
            {fmt.money(account.total_settled)}
          </Descriptions.Item>
          <Descriptions.Item label={t("dep.totalWithdrawn")}>
            {fmt.money(account.total_withdrawn)}
          </Descriptions.Item>
          <Descriptions.Item label={t("dep.warningValue")}>
            {account.warning_value === null ? "—" : fmt.money(account.warning_value)}
          </Descriptions.Item>
          <Descriptions.Item label={t("dep.threshold")}>
            {fmt.money(account.suspension_threshold)}
          </Descriptions.Item>
          <Descriptions.Item label={t("dep.activatedAt")}>
            {fmt.dateTime(account.activated_at)}
          </Descriptions.Item>
          <Descriptions.Item label={t("common.createdAt")}>
            {fmt.dateTime(account.created_at)}
          </Descriptions.Item>
        </Descriptions>
      </Card>
    </Space>
  );
}
