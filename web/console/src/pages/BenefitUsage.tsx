import { useQuery } from "@tanstack/react-query";
import { Col, Modal, Row, Statistic } from "antd";
import { api, unwrap } from "../../../api/client";
import { ProblemAlert } from "../components/problems";
import { useI18n } from "../i18n/i18n";

/** A benefit's usage: orders it applied to, distinct members, discount given (refunds excluded). */
export function BenefitUsage(props: { benefit?: { id: string; name: string }; onClose(): void }) {
  const { t, fmt } = useI18n();
  const id = props.benefit?.id;
  const usage = useQuery({
    queryKey: ["benefit-usage", id],
    enabled: Boolean(id),
    queryFn: () => unwrap(api.GET("/v1/benefits/{id}/usage", { params: { path: { id: id! } } })),
  });
  const d = usage.data;
  return (
    <Modal
      open={Boolean(id)}
      destroyOnHidden
      title={t("benefits.usageTitle", { name: props.benefit?.name ?? "" })}
      onCancel={props.onClose}
      footer={null}
    >
      <ProblemAlert error={usage.error} />
      <Row gutter={16} data-testid="benefit-usage">
        <Col span={8}>
          <Statistic title={t("benefits.usageOrders")} value={d ? fmt.number(d.orders) : "…"} />
        </Col>
        <Col span={8}>
          <Statistic title={t("benefits.usageMembers")} value={d ? fmt.number(d.members) : "…"} />
        </Col>
        <Col span={8}>
          <Statistic title={t("benefits.usageDiscount")} value={d ? fmt.money(d.discount_total) : "…"} />
        </Col>
      </Row>
      <p style={{ marginTop: 16, color: "rgba(0,0,0,.45)" }}>{t("benefits.usageNote")}</p>
    </Modal>
  );
}
