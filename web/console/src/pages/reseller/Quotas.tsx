import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  Card,
  Col,
  Drawer,
  Form,
  Input,
  Modal,
  Radio,
  Row,
  Statistic,
  Table,
  Typography,
} from "antd";
import { useState } from "react";
import { api, type paths, unwrap } from "../../../../api/client";
import { ActorName } from "../../components/ActorName";
import { CursorTable } from "../../components/CursorTable";
import { PageHeader } from "../../components/Page";
import { type OrgUnit, useKeyedSend, useUnitsBelow } from "../../components/partner-data";
import { ProblemAlert } from "../../components/problems";
import { useAmountRule } from "../../components/ValueDialog";
import { useI18n } from "../../i18n/i18n";
import { usePartnerUnit } from "../../portals";
import { useSession } from "../../session";

type Quota =
  paths["/v1/voucher-quotas"]["get"]["responses"][200]["content"]["application/json"]["data"][number];
type Change =
  paths["/v1/voucher-quotas/{id}/changes"]["get"]["responses"][200]["content"]["application/json"]["data"][number];

function useQuotas() {
  return useQuery({
    queryKey: ["voucher-quotas"],
    queryFn: () => unwrap(api.GET("/v1/voucher-quotas")),
  });
}

/** A reseller sees its quota and its history; a distributor allocates quota to its resellers. */
export default function Quotas() {
  const unit = usePartnerUnit();
  return unit.portal === "distributor" ? <Allocation /> : <MyQuota />;
}

function MyQuota() {
  const { t, fmt } = useI18n();
  const quotas = useQuotas();
  const quota = quotas.data?.data.find((q) => q.asset === fmt.currency);
  return (
    <>
      <PageHeader title={t("nav.voucherQuota")} />
      <Typography.Paragraph type="secondary">{t("partner.quota.intro")}</Typography.Paragraph>
      <ProblemAlert error={quotas.error} />
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={8}>
          <Card size="small">
            <Statistic title={t("partner.quota.allocated")} value={fmt.money(quota?.allocated ?? 0)} />
          </Card>
        </Col>
        <Col span={8}>
          <Card size="small">
            <Statistic title={t("partner.quota.available")} value={fmt.money(quota?.available ?? 0)} />
          </Card>
        </Col>
        <Col span={8}>
          <Card size="small">
            <Statistic
              title={t("partner.quota.outstanding")}
              value={fmt.money((quota?.allocated ?? 0) - (quota?.available ?? 0))}
            />
          </Card>
        </Col>
      </Row>
      <Typography.Title level={5}>{t("partner.quota.history")}</Typography.Title>
      {quota ? (
        <QuotaHistory quota={quota} />
      ) : (
        <Typography.Text type="secondary">{t("partner.quota.none")}</Typography.Text>
      )}
    </>
  );
}

function QuotaHistory({ quota }: { quota: Quota }) {
  const { t, fmt } = useI18n();
  return (
    <CursorTable<Change>
      queryKey={["voucher-quota-changes", quota.id]}
      fetchPage={(cursor) =>
        unwrap(
          api.GET("/v1/voucher-quotas/{id}/changes", { params: { path: { id: quota.id }, query: cursor } }),
        )
      }
      columns={[
        { title: t("common.time"), dataIndex: "created_at", render: (d: string) => fmt.dateTime(d) },
        {
          title: t("partner.quota.delta"),
          dataIndex: "delta",
          render: (d: number) => (
            <Typography.Text type={d < 0 ? "danger" : "success"}>
              {d > 0 ? "+" : ""}
              {fmt.money(d)}
            </Typography.Text>
          ),
        },
        { title: t("partner.quota.reason"), dataIndex: "reason" },
        {
          title: t("partner.quota.actor"),
          key: "actor",
          render: (_, c) => <ActorName type={c.actor_type} id={c.actor_id} label={c.actor_label} />,
        },
      ]}
    />
  );
}

/** Allocate Voucher Limit: the distributor's resellers with their quotas. */
function Allocation() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const unit = usePartnerUnit();
  const resellers = useUnitsBelow(unit.id, "reseller");
  const quotas = useQuotas();
  const [allocating, setAllocating] = useState<OrgUnit>();
  const [history, setHistory] = useState<Quota>();
  const quotaOf = (id: string) =>
    quotas.data?.data.find((q) => q.reseller_id === id && q.asset === fmt.currency);
  return (
    <>
      <PageHeader title={t("nav.voucherQuotas")} />
      <Typography.Paragraph type="secondary">{t("partner.allocate.intro")}</Typography.Paragraph>
      <ProblemAlert error={resellers.error ?? quotas.error} />
      <Table<OrgUnit>
        rowKey="id"
        size="middle"
        loading={resellers.isPending || quotas.isPending}
        dataSource={resellers.data ?? []}
        pagination={false}
        columns={[
          { title: t("partner.reseller"), dataIndex: "name" },
          { title: t("partner.code"), dataIndex: "code" },
          {
            title: t("partner.quota.allocated"),
            key: "allocated",
            render: (_, r) => fmt.money(quotaOf(r.id)?.allocated ?? 0),
          },
          {
            title: t("partner.quota.available"),
            key: "available",
            render: (_, r) => (
              <span data-testid={`quota-${r.code}`}>{fmt.money(quotaOf(r.id)?.available ?? 0)}</span>
            ),
          },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, r) => (
              <>
                {can("POST /v1/voucher-quotas/adjustments") ? (
                  <Button size="small" type="link" onClick={() => setAllocating(r)}>
                    {t("partner.allocate")}
                  </Button>
                ) : null}
                {quotaOf(r.id) ? (
                  <Button size="small" type="link" onClick={() => setHistory(quotaOf(r.id))}>
                    {t("partner.history")}
                  </Button>
                ) : null}
              </>
            ),
          },
        ]}
      />
      {allocating ? <AllocateDialog reseller={allocating} onClose={() => setAllocating(undefined)} /> : null}
      <Drawer
        open={Boolean(history)}
        size="large"
        title={t("partner.quota.history")}
        onClose={() => setHistory(undefined)}
      >
        {history ? <QuotaHistory quota={history} /> : null}
      </Drawer>
    </>
  );
}

function AllocateDialog(props: { reseller: OrgUnit; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const amountRule = useAmountRule();
  const [form] = Form.useForm<{ direction: "raise" | "lower"; amount: string; reason: string }>();
  const { error, send } = useKeyedSend();
  const submit = async () => {
    const v = await form.validateFields();
    const amount = fmt.toMinor(v.amount)!;
    await send(async (key) => {
      await unwrap(
        api.POST("/v1/voucher-quotas/adjustments", {
          headers: { "idempotency-key": key },
          body: {
            reseller_id: props.reseller.id,
            asset: fmt.currency,
            delta: v.direction === "lower" ? -amount : amount,
            reason: v.reason,
          },
        }),
      );
      message.success(t("partner.allocated"));
      await client.invalidateQueries({ queryKey: ["voucher-quotas"] });
      await client.invalidateQueries({ queryKey: ["voucher-quota-changes"] });
      props.onClose();
    });
  };
  return (
    <Modal
      open
      title={t("partner.allocateTitle", { name: props.reseller.name })}
      okText={t("common.confirm")}
      cancelText={t("common.cancel")}
      onOk={submit}
      onCancel={props.onClose}
    >
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" name="allocate-quota" initialValues={{ direction: "raise" }}>
        <Form.Item name="direction">
          <Radio.Group
            options={[
              { value: "raise", label: t("partner.allocate.raise") },
              { value: "lower", label: t("partner.allocate.lower") },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="amount"
          label={t("partner.allocate.amount")}
          rules={[{ required: true, message: t("common.badAmount") }, amountRule]}
        >
          <Input prefix={fmt.currency} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name="reason" label={t("partner.quota.reason")} rules={[{ required: true, max: 500 }]}>
          <Input />
        </Form.Item>
      </Form>
    </Modal>
  );
}
