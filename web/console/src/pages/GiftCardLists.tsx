import { PlusOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Card, Form, Input, Modal, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, type components, unwrap } from "../../../api/client";
import { ActorName } from "../components/ActorName";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { ExportButton } from "../components/ExportButton";
import { ImportButton } from "../components/ImportDialog";
import { FilterBar } from "../components/Page";
import { ProviderRefunded } from "../components/ProviderRefunded";
import { ProblemAlert } from "../components/problems";
import { RecordRefundButton } from "../components/RecordRefundButton";
import { useAmountRule, useConfirmedSend } from "../components/ValueDialog";
import { giftcardsEnUS } from "../i18n/giftcards";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";

export type GiftCard = components["schemas"]["GiftCard"];
export type Activity = components["schemas"]["GiftCardActivity"];
type Plan = components["schemas"]["GiftCardPlan"];
const STATUSES = Object.keys(giftcardsEnUS)
  .filter((key) => key.startsWith("gc.status."))
  .map((key) => key.slice("gc.status.".length) as GiftCard["status"]);
const CARD_FILTERS = ["number", "buyer_phone", "plan_id", "card_type", "status", "channel"] as const;
const STATUS_COLOR: Partial<Record<GiftCard["status"], string>> = {
  active: "green",
  frozen: "blue",
  pending: "orange",
  expired: "default",
  refunded: "purple",
  cancelled: "red",
  refund_due: "magenta",
};

export function CardStatus({ status }: { status: GiftCard["status"] }) {
  const { t } = useI18n();
  return <Tag color={STATUS_COLOR[status] ?? "default"}>{t(`gc.status.${status}`)}</Tag>;
}

/** The tenant's plans, for filters and the sale (at most 100: the API's page). */
export function usePlans() {
  return useQuery({
    queryKey: ["gift-card-plans", "all"],
    queryFn: () => unwrap(api.GET("/v1/gift-card-plans", { params: { query: { limit: 100 } } })),
  });
}

interface SaleDraft {
  plan_id: string;
  amount: string;
  card_number?: string;
  buyer_name?: string;
  buyer_phone?: string;
  method: "offline" | "balance";
  ref?: string;
  member_id?: string;
}

/** Selling a card at the till: offline payment, or from a member's balance (who then holds it). */
function SellCard(props: { open: boolean; onClose(): void }) {
  const { t, fmt } = useI18n();
  const client = useQueryClient();
  const plans = usePlans();
  const [form] = Form.useForm<SaleDraft>();
  const planId = Form.useWatch("plan_id", form);
  const method = Form.useWatch("method", form);
  const { error, confirmThenSend } = useConfirmedSend();
  const [sold, setSold] = useState<{ card: GiftCard; pin: string | null }>();
  const onSale = (plans.data?.data ?? []).filter((p) => p.status === "active" && p.channels.includes("POS"));
  const plan: Plan | undefined = onSale.find((p) => p.id === planId);
  const submit = async () => {
    const d = await form.validateFields();
    const amount = fmt.toMinor(d.amount);
    if (amount === undefined || !plan) return;
    confirmThenSend(t("gc.sell.confirm", { amount: fmt.money(amount), plan: plan.name }), async (key) => {
      const member = d.member_id || undefined;
      const result = await unwrap(
        api.POST("/v1/gift-cards", {
          body: {
            plan_id: d.plan_id,
            amount,
            channel: "POS",
            ...(d.card_number ? { card_number: d.card_number } : {}),
            buyer: {
              ...(d.buyer_name ? { name: d.buyer_name } : {}),
              ...(d.buyer_phone ? { phone: d.buyer_phone } : {}),
            },
            ...(member ? { buyer_member_id: member, holder_member_id: member } : {}),
            payment:
              d.method === "balance"
                ? { method: "balance", member_id: member }
                : { method: "offline", ...(d.ref ? { ref: d.ref } : {}) },
          },
          headers: { "idempotency-key": key },
        }),
      );
      form.resetFields();
      props.onClose();
      setSold({ card: result.card, pin: result.pin });
      await client.invalidateQueries({ queryKey: ["gift-cards"] });
    });
  };
  const amountRule = useAmountRule();
  return (
    <>
      <Modal
        open={props.open}
        title={t("gc.sell")}
        okText={t("common.next")}
        cancelText={t("common.cancel")}
        onOk={submit}
        onCancel={props.onClose}
        destroyOnHidden
      >
        <ProblemAlert error={error} />
        <Form<SaleDraft>
          name="gift-card-sale"
          form={form}
          layout="vertical"
          initialValues={{ method: "offline" }}
        >
          <Form.Item name="plan_id" label={t("gc.plan")} rules={[{ required: true }]}>
            <Select
              options={onSale.map((p) => ({ value: p.id, label: p.name }))}
              notFoundContent={t("gc.sell.noPlan")}
            />
          </Form.Item>
          <Form.Item
            name="amount"
            label={`${t("gc.sell.amount")} (${fmt.currency})`}
            rules={[{ required: true }, amountRule]}
            extra={
              plan ? (
                <Space wrap size={4}>
                  {plan.denominations.map((d) => (
                    <Tag
                      key={d.amount}
                      style={{ cursor: "pointer" }}
                      onClick={() => form.setFieldValue("amount", fmt.toMajor(d.amount))}
                    >
                      {fmt.money(d.amount)}
                    </Tag>
                  ))}
                  {plan.custom_amount
                    ? t("gc.plan.customRange", {
                        min: fmt.money(plan.custom_amount.min),
                        max: fmt.money(plan.custom_amount.max),
                      })
                    : null}
                </Space>
              ) : null
            }
          >
            <Input inputMode="decimal" />
          </Form.Item>
          {plan?.card_type === "physical" ? (
            <Form.Item name="card_number" label={t("gc.sell.stockNumber")}>
              <Input inputMode="numeric" />
            </Form.Item>
          ) : null}
          <Space wrap>
            <Form.Item name="buyer_name" label={t("gc.buyerName")}>
              <Input maxLength={100} />
            </Form.Item>
            <Form.Item name="buyer_phone" label={t("gc.buyerPhone")}>
              <Input maxLength={20} />
            </Form.Item>
          </Space>
          <Form.Item name="method" label={t("gc.sell.payment")}>
            <Select
              options={(["offline", "balance"] as const).map((m) => ({
                value: m,
                label: t(`gc.sell.payment.${m}`),
              }))}
            />
          </Form.Item>
          {method === "offline" ? (
            <Form.Item name="ref" label={t("gc.sell.receipt")}>
              <Input maxLength={128} />
            </Form.Item>
          ) : null}
          <Form.Item
            name="member_id"
            label={t("gc.sell.member")}
            rules={[{ required: method === "balance" }]}
          >
            <Input />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        open={Boolean(sold)}
        title={t("gc.sold")}
        onCancel={() => setSold(undefined)}
        footer={
          <Space>
            {sold ? (
              <Link to={`/gift-cards/cards/${sold.card.id}`} onClick={() => setSold(undefined)}>
                {t("gc.sold.open")}
              </Link>
            ) : null}
            <Button onClick={() => setSold(undefined)}>{t("common.close")}</Button>
          </Space>
        }
      >
        {sold ? (
          <Space orientation="vertical">
            <Typography.Text>
              {t("gc.number")}:{" "}
              <Typography.Text code data-testid="sold-number">
                {sold.card.number}
              </Typography.Text>
            </Typography.Text>
            {sold.pin ? (
              <>
                <Typography.Text>
                  PIN:{" "}
                  <Typography.Text code copyable>
                    {sold.pin}
                  </Typography.Text>
                </Typography.Text>
                <Typography.Text type="warning">{t("gc.sold.pin")}</Typography.Text>
              </>
            ) : null}
          </Space>
        ) : null}
      </Modal>
    </>
  );
}

/** The Sold Gift Cards tab: filters in the URL, export of the list as filtered, import of physical stock. */
export function SoldGiftCards() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const plans = usePlans();
  const { filters, setFilters } = useUrlFilters(CARD_FILTERS);
  const [selling, setSelling] = useState(false);
  const planName = new Map((plans.data?.data ?? []).map((p) => [p.id, p.name]));
  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        {can("POST /v1/gift-cards") ? (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setSelling(true)}>
            {t("gc.sell")}
          </Button>
        ) : null}
        <ImportButton type="gift_cards" />
        <ExportButton type="gift_cards" filters={filters} />
      </Space>
      <FilterBar name="gift-card-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
        <Form.Item name="number" label={t("gc.number")}>
          <Input allowClear style={{ width: 180 }} />
        </Form.Item>
        <Form.Item name="buyer_phone" label={t("gc.buyerPhone")}>
          <Input allowClear style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="plan_id" label={t("gc.plan")}>
          <Select
            allowClear
            style={{ width: 180 }}
            options={(plans.data?.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
          />
        </Form.Item>
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 120 }}
            options={STATUSES.map((s) => ({ value: s, label: t(`gc.status.${s}`) }))}
          />
        </Form.Item>
        <Form.Item name="card_type" label={t("gc.type")}>
          <Select
            allowClear
            style={{ width: 110 }}
            options={(["electronic", "physical"] as const).map((v) => ({
              value: v,
              label: t(`gc.type.${v}`),
            }))}
          />
        </Form.Item>
      </FilterBar>
      <CursorTable<GiftCard>
        queryKey={["gift-cards", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/gift-cards", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          {
            title: t("gc.number"),
            dataIndex: "number",
            render: (n: string, c) => <Link to={`/gift-cards/cards/${c.id}`}>{n}</Link>,
          },
          { title: t("gc.plan"), dataIndex: "plan_id", render: (id: string) => planName.get(id) ?? id },
          {
            title: t("gc.type"),
            dataIndex: "card_type",
            render: (v: GiftCard["card_type"]) => t(`gc.type.${v}`),
          },
          { title: t("gc.face"), dataIndex: "face_amount", render: (v) => fmt.money(v) },
          { title: t("gc.balance"), dataIndex: "balance", render: (v) => fmt.money(v) },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: GiftCard["status"], c) => (
              <>
                <CardStatus status={s} />
                <ProviderRefunded
                  amount={c.refunded_amount}
                  count={c.refund_count}
                  shortfall={c.refund_shortfall}
                />
              </>
            ),
          },
          { title: t("gc.buyerPhone"), key: "phone", render: (_, c) => c.buyer.phone ?? "—" },
          { title: t("gc.soldAt"), key: "sold", render: (_, c) => fmt.dateTime(c.sale?.sold_at) },
          { title: t("gc.expires"), dataIndex: "expires_at", render: (v) => fmt.date(v) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, c) =>
              c.status === "refund_due" && can("POST /v1/gift-cards/{id}/record-refund") ? (
                <RecordRefundButton
                  subject={c.number}
                  refresh={["gift-cards"]}
                  send={(body, key) =>
                    unwrap(
                      api.POST("/v1/gift-cards/{id}/record-refund", {
                        params: { path: { id: c.id } },
                        headers: { "idempotency-key": key },
                        body,
                      }),
                    )
                  }
                />
              ) : null,
          },
        ]}
      />
      <SellCard open={selling} onClose={() => setSelling(false)} />
    </>
  );
}

/** The activity columns the card detail and the Transaction Details tab share. */
export function useActivityColumns() {
  const { t, fmt } = useI18n();
  return [
    { title: t("common.time"), dataIndex: "created_at", render: (v: string) => fmt.dateTime(v) },
    {
      title: t("gc.activity.type"),
      dataIndex: "type",
      render: (v: Activity["type"]) => t(`gc.activity.${v}` as MessageKey),
    },
    { title: t("gc.activity.amount"), dataIndex: "amount", render: (v: number) => fmt.money(v) },
    { title: t("gc.activity.balanceAfter"), dataIndex: "balance_after", render: (v: number) => fmt.money(v) },
    {
      title: t("gc.activity.operator"),
      key: "operator",
      render: (_: unknown, a: Activity) => (
        <ActorName type={a.operator.type} id={a.operator.id} label={a.operator.label} />
      ),
    },
    {
      title: t("gc.activity.reason"),
      key: "reason",
      render: (_: unknown, a: Activity) =>
        a.reason ?? (a.reference ? `${a.reference.module ?? ""}:${a.reference.id}` : (a.payment_ref ?? "—")),
    },
  ];
}

/** The activity types the catalogs name (the API's enum). */
const ACTIVITY_TYPES = Object.keys(giftcardsEnUS)
  .filter((key) => /^gc\.activity\.[A-Z_]+$/.test(key))
  .map((key) => key.slice("gc.activity.".length) as Activity["type"]);

/** The Transaction Details tab: every activity, filtered, exported with every field. */
export function GiftCardActivities() {
  const { t } = useI18n();
  const { filters, setFilters } = useUrlFilters(["card_number", "type", "channel"] as const);
  const columns = useActivityColumns();
  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <ExportButton type="gift_card_activities" filters={filters} />
      </Space>
      <FilterBar name="gift-card-activity-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
        <Form.Item name="card_number" label={t("gc.number")}>
          <Input allowClear style={{ width: 180 }} />
        </Form.Item>
        <Form.Item name="type" label={t("gc.activity.type")}>
          <Select
            allowClear
            style={{ width: 150 }}
            options={ACTIVITY_TYPES.map((v) => ({ value: v, label: t(`gc.activity.${v}` as MessageKey) }))}
          />
        </Form.Item>
        <Form.Item name="channel" label={t("gc.channel")}>
          <Select
            allowClear
            style={{ width: 110 }}
            options={(["POS", "ONLINE"] as const).map((c) => ({
              value: c,
              label: t(`checkout.channel.${c}`),
            }))}
          />
        </Form.Item>
      </FilterBar>
      <CursorTable<Activity>
        queryKey={["gift-card-activities", filters]}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/gift-card-activities", {
              params: {
                query: { ...cursor, ...filters, type: filters.type ? [filters.type] : undefined } as never,
              },
            }),
          )
        }
        columns={[
          {
            title: t("gc.number"),
            dataIndex: "card_number",
            render: (n: string, a: Activity) => <Link to={`/gift-cards/cards/${a.card_id}`}>{n}</Link>,
          },
          ...columns,
        ]}
      />
    </>
  );
}

/** A member's gift cards (held or bought), for the member detail page (the newest 100). */
export function MemberGiftCards({ memberId }: { memberId: string }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const allowed = can("GET /v1/members/{member_id}/gift-cards");
  const cards = useQuery({
    queryKey: ["gift-cards", "member", memberId],
    enabled: allowed,
    queryFn: () =>
      unwrap(
        api.GET("/v1/members/{member_id}/gift-cards", {
          params: { path: { member_id: memberId }, query: { limit: 100 } },
        }),
      ),
  });
  if (!allowed) return null;
  return (
    <Card title={t("gc.memberCards")} style={{ marginTop: 16 }}>
      <ProblemAlert error={cards.error} />
      <Table<GiftCard>
        rowKey="id"
        size="small"
        pagination={false}
        loading={cards.isPending}
        dataSource={cards.data?.data ?? []}
        columns={[
          {
            title: t("gc.number"),
            dataIndex: "number",
            render: (n: string, c) => <Link to={`/gift-cards/cards/${c.id}`}>{n}</Link>,
          },
          { title: t("gc.balance"), dataIndex: "balance", render: (v) => fmt.money(v) },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: GiftCard["status"]) => <CardStatus status={s} />,
          },
          { title: t("gc.expires"), dataIndex: "expires_at", render: (v) => fmt.date(v) },
        ]}
      />
    </Card>
  );
}
