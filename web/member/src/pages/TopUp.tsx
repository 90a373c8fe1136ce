import { Button, Form, Input, Result, Toast } from "antd-mobile";
import { useState } from "react";
import { ApiError, api, idempotencyKey, unwrap } from "../../../api/client";
import { decimalToMinor } from "../../../console/src/i18n/format";
import { useMember } from "../context";
import { useI18n } from "../i18n";

type Intent = Awaited<ReturnType<typeof startTopUp>>;

const startTopUp = (memberId: string, amount: number) =>
  unwrap(
    api.POST("/v1/members/{id}/topup-intents", {
      params: { path: { id: memberId } },
      headers: { "idempotency-key": idempotencyKey() },
      body: { amount },
    }),
  );

/**
 * An online top-up of a chosen amount through the tenant's payment provider: the balance is
 * credited when the provider confirms the payment, not here. (Top-up plans are their own page.)
 */
export default function TopUp() {
  const { t, fmt } = useI18n();
  const { visit, branding } = useMember();
  const [text, setText] = useState("");
  const [intent, setIntent] = useState<Intent>();
  const [busy, setBusy] = useState(false);
  const amount = decimalToMinor(text, fmt.scale);
  if (intent) {
    return (
      <Result
        status="waiting"
        title={`${fmt.money(intent.amount)} · ${t(`topup.state.${intent.status}`)}`}
        description={t("topup.started", { provider: intent.provider })}
      />
    );
  }
  const pay = async () => {
    if (!amount) return;
    setBusy(true);
    try {
      setIntent(await startTopUp(visit.memberId, amount));
    } catch (error) {
      Toast.show({ icon: "fail", content: error instanceof ApiError ? error.message : String(error) });
    } finally {
      setBusy(false);
    }
  };
  if (!branding.online_topup_enabled) return null;
  return (
    <Form
      layout="vertical"
      footer={
        <Button block color="primary" size="large" disabled={!amount || busy} loading={busy} onClick={pay}>
          {t("topup.pay", { amount: amount ? fmt.money(amount) : "—" })}
        </Button>
      }
    >
      <Form.Item
        label={t("topup.amount")}
        help={text && !amount ? t("topup.invalid", { scale: fmt.scale }) : undefined}
      >
        <Input
          inputMode="decimal"
          placeholder={t("topup.amountHint")}
          value={text}
          onChange={setText}
          clearable
        />
      </Form.Item>
    </Form>
  );
}
