import { Tag } from "antd";
import { useI18n } from "../i18n/i18n";

/**
 * What the provider has refunded of a payment, once it has refunded anything: a part refund
 * shows on the row without reading the audit (nothing when none). A refund of something already
 * delivered that the member had partly used up shows what could not be taken back
 * (`shortfall`), for an operator to settle; a top-up also shows the points its refunds took
 * back and those the member no longer held.
 */
export function ProviderRefunded(props: {
  amount: number;
  count: number;
  shortfall?: number;
  pointsTaken?: number;
  pointsShortfall?: number;
}) {
  const { t, fmt } = useI18n();
  if (props.amount <= 0) return null;
  const amount = fmt.money(props.amount);
  return (
    <>
      <Tag color="purple" data-testid="provider-refunded" style={{ whiteSpace: "nowrap" }}>
        {props.count > 1
          ? t("refundDue.providerRefundedParts", { amount, count: props.count })
          : t("refundDue.providerRefunded", { amount })}
      </Tag>
      {props.shortfall ? (
        <Tag color="red" data-testid="refund-shortfall" style={{ whiteSpace: "nowrap" }}>
          {t("refundDue.shortfall", { amount: fmt.money(props.shortfall) })}
        </Tag>
      ) : null}
      {props.pointsTaken ? (
        <Tag data-testid="refund-points-taken" style={{ whiteSpace: "nowrap" }}>
          {t("refundDue.pointsTaken", { points: fmt.number(props.pointsTaken) })}
        </Tag>
      ) : null}
      {props.pointsShortfall ? (
        <Tag color="red" data-testid="refund-points-shortfall" style={{ whiteSpace: "nowrap" }}>
          {t("refundDue.pointsShortfall", { points: fmt.number(props.pointsShortfall) })}
        </Tag>
      ) : null}
    </>
  );
}
