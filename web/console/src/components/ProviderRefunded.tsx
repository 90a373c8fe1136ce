import { Tag } from "antd";
import { useI18n } from "../i18n/i18n";

/**
 * What the provider has refunded of a payment, once it has refunded anything: a part refund
 * shows on the row without reading the audit (nothing when none).
 */
export function ProviderRefunded(props: { amount: number; count: number }) {
  const { t, fmt } = useI18n();
  if (props.amount <= 0) return null;
  const amount = fmt.money(props.amount);
  return (
    <Tag color="purple" data-testid="provider-refunded" style={{ whiteSpace: "nowrap" }}>
      {props.count > 1
        ? t("refundDue.providerRefundedParts", { amount, count: props.count })
        : t("refundDue.providerRefunded", { amount })}
    </Tag>
  );
}
