import { App, Button, Card, Descriptions, Form, Input, Select } from "antd";
import { useState } from "react";
import { api, unwrap } from "../../../../api/client";
import { PageHeader } from "../../components/Page";
import { ProblemAlert } from "../../components/problems";
import { useAmountRule } from "../../components/ValueDialog";
import { useI18n } from "../../i18n/i18n";
import { useSession } from "../../session";
import { type DepositAccount, useMyAccount, WithAccount } from "./account";

interface Draft {
  warning_value: string;
  /** Empty: the platform's amount (or what finance set for this merchant). */
  suspension_threshold: string;
  emails: string[];
  phones: string[];
}

/**
 * The balance warning value and who is told (emails, mobile numbers; the API takes at most
 * three of each and says so), and the merchant's own suspension amount (商家可在此配置熔斷金額及
 * 預警金額); required before the account can be used.
 */
export default function DepositWarnings() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("dep.warn.title")} />
      <WithAccount>{(account) => <WarningForm account={account} />}</WithAccount>
    </>
  );
}

function WarningForm({ account }: { account: DepositAccount }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const { refresh } = useMyAccount();
  const [form] = Form.useForm<Draft>();
  const amountRule = useAmountRule();
  const [error, setError] = useState<unknown>();
  const save = async (draft: Draft) => {
    setError(undefined);
    try {
      await unwrap(
        api.PUT("/v1/deposit-accounts/{id}/warning-settings", {
          params: { path: { id: account.id } },
          body: {
            warning_value: fmt.toMinor(draft.warning_value)!,
            suspension_threshold: draft.suspension_threshold
              ? fmt.toMinor(draft.suspension_threshold)!
              : null,
            emails: draft.emails ?? [],
            phones: draft.phones ?? [],
          },
        }),
      );
      message.success(t("dep.warn.saved"));
      await refresh();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Card>
      <Descriptions size="small" column={1} style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t("dep.threshold")}>
          {fmt.money(account.suspension_threshold)}
        </Descriptions.Item>
      </Descriptions>
      <ProblemAlert error={error} />
      <Form<Draft>
        form={form}
        name="warnings"
        layout="vertical"
        style={{ maxWidth: 560 }}
        disabled={!can("PUT /v1/deposit-accounts/{id}/warning-settings")}
        initialValues={{
          warning_value: account.warning_value === null ? "" : fmt.toMajor(account.warning_value),
          suspension_threshold:
            account.merchant_threshold === null ? "" : fmt.toMajor(account.merchant_threshold),
          emails: account.warning_emails,
          phones: account.warning_phones,
        }}
        onFinish={save}
      >
        <Form.Item
          name="warning_value"
          label={`${t("dep.warningValue")} (${fmt.currency})`}
          extra={t("dep.warn.valueHelp")}
          rules={[{ required: true }, amountRule]}
        >
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item
          name="suspension_threshold"
          label={`${t("dep.warn.threshold")} (${fmt.currency})`}
          extra={t("dep.warn.thresholdHelp", { minimum: fmt.money(account.suspension_threshold_minimum) })}
          rules={[amountRule]}
        >
          <Input inputMode="decimal" placeholder={fmt.toMajor(account.suspension_threshold_minimum)} />
        </Form.Item>
        <Form.Item name="emails" label={t("dep.warn.emails")} extra={t("dep.warn.upToThree")}>
          <Select mode="tags" open={false} tokenSeparators={[",", " "]} aria-label={t("dep.warn.emails")} />
        </Form.Item>
        <Form.Item name="phones" label={t("dep.warn.phones")} extra={t("dep.warn.upToThree")}>
          <Select mode="tags" open={false} tokenSeparators={[",", " "]} aria-label={t("dep.warn.phones")} />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t("common.save")}
        </Button>
      </Form>
    </Card>
  );
}
