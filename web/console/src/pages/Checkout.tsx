import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import {
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Descriptions,
  Input,
  InputNumber,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, type paths, unwrap } from "../../../api/client";
import type { QueryValue } from "../../../api/enums";
import { ProblemAlert } from "../components/problems";
import { CATALOGS, type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type Quote = components["schemas"]["CheckoutQuote"];
type Order = Awaited<ReturnType<typeof completeOrder>>;
type Channel = "POS" | "ONLINE";

interface Line {
  key: number;
  sku: string;
  category: string;
  quantity: number;
  price: string;
}

type OrderBody = paths["/v1/checkout/orders"]["post"]["requestBody"]["content"]["application/json"];

function completeOrder(body: OrderBody, key: string) {
  return unwrap(api.POST("/v1/checkout/orders", { body, headers: { "idempotency-key": key } }));
}

let nextKey = 1;
const newLine = (): Line => ({ key: nextKey++, sku: "", category: "", quantity: 1, price: "" });

/** The statuses of a member's voucher that still has something to spend. */
const USABLE_VOUCHER_STATUSES: readonly QueryValue<"/v1/members/{member_id}/vouchers", "status">[] = [
  "unused",
  "partly_used",
];

const ORDER_STATUS_COLORS = {
  pending_payment: "orange",
  completed: "green",
  refunded: "red",
  cancelled: "default",
} as const;

/** A POS-style page to try benefits on a cart before launching them: quote, complete, refund. */
export default function Checkout() {
  const { t, fmt, lang } = useI18n();
  const { can } = useSession();
  const { modal, message } = App.useApp();
  const [lines, setLines] = useState<Line[]>([
    { ...newLine(), sku: "SKU-1", category: "general", price: "100.00" },
  ]);
  const [memberQuery, setMemberQuery] = useState("");
  const [memberId, setMemberId] = useState<string>();
  const [voucherIds, setVoucherIds] = useState<string[]>([]);
  const [channel, setChannel] = useState<Channel>("POS");
  const [payWithBalance, setPayWithBalance] = useState(false);
  const [quote, setQuote] = useState<Quote>();
  const [order, setOrder] = useState<Order>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const members = useQuery({
    queryKey: ["checkout-members", memberQuery],
    queryFn: () =>
      unwrap(
        api.GET("/v1/members", {
          params: { query: { limit: 20, ...(memberQuery ? { q: memberQuery } : {}) } },
        }),
      ),
  });
  const vouchers = useQuery({
    queryKey: ["member-vouchers", memberId],
    enabled: Boolean(memberId) && can("GET /v1/members/{member_id}/vouchers"),
    queryFn: () =>
      unwrap(
        api.GET("/v1/members/{member_id}/vouchers", {
          params: { path: { member_id: memberId! }, query: { limit: 50 } },
        }),
      ).then((page) => ({
        ...page,
        // Only a voucher with something left to spend can pay an order.
        data: page.data.filter((v) => USABLE_VOUCHER_STATUSES.includes(v.status)),
      })),
  });

  const cart = () => {
    const out = [];
    for (const l of lines) {
      const unit = fmt.toMinor(l.price);
      if (!l.sku || !l.category || unit === undefined) throw new Error(t("checkout.lineIncomplete"));
      out.push({ sku: l.sku, category: l.category, quantity: l.quantity, unit_price: unit });
    }
    return {
      channel: channel as Channel,
      lines: out,
      member_id: memberId ?? null,
      currency: fmt.currency,
      pay_with_balance: payWithBalance,
      ...(voucherIds.length > 0 ? { voucher_ids: voucherIds } : {}),
    };
  };
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const priceIt = () =>
    run(async () => {
      setOrder(undefined);
      setQuote(await unwrap(api.POST("/v1/checkout/quotes", { body: cart() })));
    });
  const complete = () =>
    modal.confirm({
      title: t("checkout.confirmComplete", { total: fmt.money(quote?.total) }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      onOk: () =>
        run(async () => {
          const done = await completeOrder(
            {
              ...cart(),
              client_order_id: `console-${Date.now()}`,
              ...(quote ? { expected_total: quote.total } : {}),
            },
            idempotencyKey(),
          );
          setOrder(done);
          message.success(t("checkout.completed"));
        }),
    });
  const refund = () =>
    modal.confirm({
      title: t("checkout.confirmRefund", { total: fmt.money(order?.total) }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      okButtonProps: { danger: true },
      onOk: () =>
        run(async () => {
          const refunded = await unwrap(
            api.POST("/v1/checkout/orders/{id}/refund", {
              params: { path: { id: order!.id } },
              body: { reason: "console" },
              headers: { "idempotency-key": idempotencyKey() },
            }),
          );
          setOrder(refunded);
          message.success(t("checkout.refunded"));
        }),
    });
  const reason = (code: string) => {
    const key = `checkout.reason.${code}` as MessageKey;
    return key in CATALOGS[lang] ? t(key) : code;
  };
  const setLine = (key: number, patch: Partial<Line>) =>
    setLines((all) => all.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  return (
    <>
      <Typography.Title level={3}>{t("checkout.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("checkout.subtitle")}</Typography.Paragraph>
      <ProblemAlert error={error} />
      <Row gutter={16}>
        <Col span={12}>
          <Card title={t("checkout.cart")} style={{ marginBottom: 16 }}>
            <Table<Line>
              rowKey="key"
              size="small"
              pagination={false}
              dataSource={lines}
              columns={[
                {
                  title: "SKU",
                  render: (_, l, i) => (
                    <Input
                      aria-label={`SKU ${i + 1}`}
                      value={l.sku}
                      onChange={(e) => setLine(l.key, { sku: e.target.value })}
                    />
                  ),
                },
                {
                  title: t("checkout.category"),
                  render: (_, l, i) => (
                    <Input
                      aria-label={`${t("checkout.category")} ${i + 1}`}
                      value={l.category}
                      onChange={(e) => setLine(l.key, { category: e.target.value })}
                    />
                  ),
                },
                {
                  title: t("checkout.quantity"),
                  render: (_, l, i) => (
                    <InputNumber
                      aria-label={`${t("checkout.quantity")} ${i + 1}`}
                      min={1}
                      max={10000}
                      value={l.quantity}
                      onChange={(v) => setLine(l.key, { quantity: v ?? 1 })}
                    />
                  ),
                },
                {
                  title: `${t("checkout.unitPrice")} (${fmt.currency})`,
                  render: (_, l, i) => (
                    <Input
                      aria-label={`${t("checkout.unitPrice")} ${i + 1}`}
                      inputMode="decimal"
                      value={l.price}
                      onChange={(e) => setLine(l.key, { price: e.target.value })}
                    />
                  ),
                },
                {
                  render: (_, l) => (
                    <Button
                      aria-label={t("common.delete")}
                      icon={<DeleteOutlined />}
                      disabled={lines.length === 1}
                      onClick={() => setLines((all) => all.filter((x) => x.key !== l.key))}
                    />
                  ),
                },
              ]}
            />
            <Button
              icon={<PlusOutlined />}
              style={{ marginTop: 8 }}
              onClick={() => setLines((all) => [...all, newLine()])}
            >
              {t("checkout.addLine")}
            </Button>
          </Card>
          <Card title={t("checkout.customer")}>
            <Space orientation="vertical" style={{ width: "100%" }}>
              <Select
                aria-label={t("checkout.member")}
                showSearch
                allowClear
                filterOption={false}
                placeholder={t("checkout.memberHint")}
                style={{ width: "100%" }}
                value={memberId}
                onSearch={setMemberQuery}
                onChange={(v) => {
                  setMemberId(v);
                  setVoucherIds([]);
                }}
                options={(members.data?.data ?? []).map((m) => ({
                  value: m.id,
                  label: `${m.name}${m.phone ? ` · ${m.phone}` : ""}${m.tier ? ` · ${m.tier}` : ""}`,
                }))}
              />
              {vouchers.data && vouchers.data.data.length > 0 ? (
                <Checkbox.Group
                  value={voucherIds}
                  onChange={(v) => setVoucherIds(v as string[])}
                  options={vouchers.data.data.map((v) => ({
                    value: v.id,
                    label: `${t("checkout.voucher")} ${fmt.money(v.balance)}`,
                  }))}
                />
              ) : null}
              <Space>
                <Select<Channel>
                  aria-label={t("checkout.channel")}
                  value={channel}
                  onChange={setChannel}
                  options={[
                    { value: "POS", label: t("checkout.channel.POS") },
                    { value: "ONLINE", label: t("checkout.channel.ONLINE") },
                  ]}
                />
                <Switch
                  checked={payWithBalance}
                  onChange={setPayWithBalance}
                  disabled={!memberId}
                  aria-label={t("checkout.payWithBalance")}
                />
                <span>{t("checkout.payWithBalance")}</span>
              </Space>
              <Space>
                <Button type="primary" onClick={priceIt} loading={busy}>
                  {t("checkout.quote")}
                </Button>
                {quote && can("POST /v1/checkout/orders") && !order ? (
                  <Button onClick={complete} loading={busy}>
                    {t("checkout.complete")}
                  </Button>
                ) : null}
                {order && order.status === "completed" && can("POST /v1/checkout/orders/{id}/refund") ? (
                  <Button danger onClick={refund} loading={busy}>
                    {t("checkout.refund")}
                  </Button>
                ) : null}
              </Space>
            </Space>
          </Card>
        </Col>
        <Col span={12}>
          {quote ? (
            <Card title={t("checkout.quoteTitle")} data-testid="quote">
              <Descriptions column={2} size="small" bordered>
                <Descriptions.Item label={t("checkout.subtotal")}>
                  {fmt.money(quote.original_subtotal)}
                </Descriptions.Item>
                <Descriptions.Item label={t("checkout.memberDiscount")}>
                  {fmt.money(quote.member_discount_total)}
                </Descriptions.Item>
                <Descriptions.Item label={t("checkout.orderReduction")}>
                  {fmt.money(quote.order_reduction_total)}
                </Descriptions.Item>
                <Descriptions.Item label={t("checkout.vouchers")}>
                  {fmt.money(quote.voucher_total)}
                </Descriptions.Item>
                <Descriptions.Item label={t("checkout.balancePaid")}>
                  {fmt.money(quote.balance.amount)}
                </Descriptions.Item>
                <Descriptions.Item label={t("checkout.pointsEarned")}>
                  {fmt.number(quote.points.earned)}
                </Descriptions.Item>
                <Descriptions.Item label={t("checkout.total")} span={2}>
                  <Typography.Text strong data-testid="quote-total">
                    {fmt.money(quote.total)}
                  </Typography.Text>
                </Descriptions.Item>
              </Descriptions>
              <Typography.Title level={5} style={{ marginTop: 16 }}>
                {t("checkout.applied")}
              </Typography.Title>
              <Table
                rowKey="benefit_id"
                size="small"
                pagination={false}
                dataSource={quote.benefits_applied}
                locale={{ emptyText: t("checkout.none") }}
                columns={[
                  { title: t("benefits.name"), dataIndex: "name" },
                  {
                    title: t("benefits.kind"),
                    dataIndex: "kind",
                    render: (k) => t(`benefits.kind.${k}` as MessageKey),
                  },
                  {
                    title: t("checkout.discount"),
                    dataIndex: "discount_amount",
                    align: "right",
                    render: (v) => fmt.money(v),
                  },
                ]}
              />
              <Typography.Title level={5} style={{ marginTop: 16 }}>
                {t("checkout.refused")}
              </Typography.Title>
              <Table
                rowKey="benefit_id"
                size="small"
                pagination={false}
                dataSource={quote.benefits_not_applied}
                locale={{ emptyText: t("checkout.none") }}
                data-testid="refused"
                columns={[
                  { title: t("benefits.name"), dataIndex: "name" },
                  {
                    title: t("checkout.reason"),
                    dataIndex: "reason",
                    render: (r: string) => <Tag color="orange">{reason(r)}</Tag>,
                  },
                ]}
              />
              {quote.vouchers_not_applied.length > 0 ? (
                <Typography.Paragraph style={{ marginTop: 12 }}>
                  {quote.vouchers_not_applied.map((v) => (
                    <Tag key={v.voucher_id} color="orange">
                      {t("checkout.voucher")} {v.voucher_id}: {reason(v.reason)}
                    </Tag>
                  ))}
                </Typography.Paragraph>
              ) : null}
            </Card>
          ) : (
            <Card>
              <Typography.Text type="secondary">{t("checkout.empty")}</Typography.Text>
            </Card>
          )}
          {order ? (
            <Card title={t("checkout.order")} style={{ marginTop: 16 }} data-testid="order">
              <Descriptions column={1} size="small">
                <Descriptions.Item label="ID">{order.id}</Descriptions.Item>
                <Descriptions.Item label={t("common.status")}>
                  <Tag color={ORDER_STATUS_COLORS[order.status]}>{t(`checkout.status.${order.status}`)}</Tag>
                </Descriptions.Item>
                <Descriptions.Item label={t("checkout.total")}>{fmt.money(order.total)}</Descriptions.Item>
                <Descriptions.Item label={t("checkout.remaining")}>
                  {fmt.money(order.remaining_payable)}
                </Descriptions.Item>
              </Descriptions>
            </Card>
          ) : null}
        </Col>
      </Row>
    </>
  );
}
