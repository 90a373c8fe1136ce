import { useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Col, Form, Input, Row, Select, Switch, Typography } from "antd";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import { ProblemAlert } from "../components/problems";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { RateField } from "./PointsExchange";

interface TenantDraft {
  name: string;
  timezone: string;
  default_currency: string;
  locale: "zh-CN" | "en";
}
interface WalletDraft {
  symbol?: string;
  hide_balance_in_member_center: boolean;
  online_topup_enabled: boolean;
  balance_payment_enabled: boolean;
  spend_order: "bonus_first" | "principal_first";
  points_per_unit: string;
}

/** Tenant settings (name, time zone, currency, locale) and the member balance settings. */
export default function Settings() {
  const { t } = useI18n();
  const { tenant, can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [tenantError, setTenantError] = useState<unknown>();
  const [walletError, setWalletError] = useState<unknown>();
  const wallet = useQuery({
    queryKey: ["wallet-settings"],
    queryFn: () => unwrap(api.GET("/v1/wallet-settings")),
  });
  const saveTenant = async (v: TenantDraft) => {
    setTenantError(undefined);
    try {
      await unwrap(api.PATCH("/v1/tenant", { body: v }));
      message.success(t("settings.saved"));
      await client.invalidateQueries({ queryKey: ["session"] });
    } catch (e) {
      setTenantError(e);
    }
  };
  const saveWallet = async (v: WalletDraft) => {
    setWalletError(undefined);
    const asset = wallet.data!.asset;
    const symbol = v.symbol || null;
    try {
      await unwrap(
        api.PATCH("/v1/wallet-settings", {
          body: {
            ...(symbol !== asset.symbol
              ? { asset: { code: asset.code, scale: asset.scale, name: asset.name, symbol } }
              : {}),
            hide_balance_in_member_center: v.hide_balance_in_member_center,
            online_topup_enabled: v.online_topup_enabled,
            balance_payment_enabled: v.balance_payment_enabled,
            spend_order: v.spend_order,
            points_per_unit: v.points_per_unit,
          },
        }),
      );
      message.success(t("settings.saved"));
      await wallet.refetch();
    } catch (e) {
      setWalletError(e);
    }
  };
  const readOnlyTenant = !can("PATCH /v1/tenant");
  const readOnlyWallet = !can("PATCH /v1/wallet-settings");
  const w = wallet.data;
  return (
    <>
      <Typography.Title level={3}>{t("nav.settings")}</Typography.Title>
      <Row gutter={16}>
        <Col span={12}>
          <Card title={t("settings.tenant")}>
            <ProblemAlert error={tenantError} />
            <Form<TenantDraft>
              name="tenant-settings"
              layout="vertical"
              disabled={readOnlyTenant}
              initialValues={{
                name: tenant.name,
                timezone: tenant.timezone,
                default_currency: tenant.default_currency,
                locale: tenant.locale,
              }}
              onFinish={saveTenant}
            >
              <Form.Item name="name" label={t("settings.name")} rules={[{ required: true }]}>
                <Input />
              </Form.Item>
              <Form.Item name="timezone" label={t("settings.timezone")} rules={[{ required: true }]}>
                <Input placeholder="Asia/Shanghai" />
              </Form.Item>
              <Form.Item name="default_currency" label={t("settings.currency")} rules={[{ required: true }]}>
                <Input placeholder="CNY" />
              </Form.Item>
              <Form.Item name="locale" label={t("settings.locale")}>
                <Select
                  options={[
                    { value: "zh-CN", label: t("lang.zh-CN") },
                    { value: "en", label: t("lang.en-US") },
                  ]}
                />
              </Form.Item>
              <Button type="primary" htmlType="submit">
                {t("common.save")}
              </Button>
            </Form>
          </Card>
        </Col>
        <Col span={12}>
          <Card title={t("settings.wallet")} loading={wallet.isPending}>
            <ProblemAlert error={walletError ?? wallet.error} />
            {w ? (
              <Form<WalletDraft>
                name="wallet-settings"
                layout="vertical"
                disabled={readOnlyWallet}
                initialValues={{
                  symbol: w.asset.symbol ?? "",
                  hide_balance_in_member_center: w.hide_balance_in_member_center,
                  online_topup_enabled: w.online_topup_enabled,
                  balance_payment_enabled: w.balance_payment_enabled,
                  spend_order: w.spend_order,
                  points_per_unit: w.points_per_unit,
                }}
                onFinish={saveWallet}
              >
                <Form.Item name="symbol" label={t("settings.symbol", { asset: w.asset.code })}>
                  <Input maxLength={8} />
                </Form.Item>
                <Form.Item
                  name="hide_balance_in_member_center"
                  label={t("settings.hideBalance")}
                  valuePropName="checked"
                >
                  <Switch />
                </Form.Item>
                <Form.Item
                  name="online_topup_enabled"
                  label={t("settings.onlineTopup")}
                  valuePropName="checked"
                >
                  <Switch />
                </Form.Item>
                <Form.Item
                  name="balance_payment_enabled"
                  label={t("settings.balancePayment")}
                  valuePropName="checked"
                >
                  <Switch />
                </Form.Item>
                <Form.Item name="spend_order" label={t("settings.spendOrder")}>
                  <Select
                    options={[
                      { value: "bonus_first", label: t("settings.spendOrder.bonus_first") },
                      { value: "principal_first", label: t("settings.spendOrder.principal_first") },
                    ]}
                  />
                </Form.Item>
                <RateField />
                <Button type="primary" htmlType="submit">
                  {t("common.save")}
                </Button>
              </Form>
            ) : null}
          </Card>
        </Col>
      </Row>
    </>
  );
}
