import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Row,
  Select,
  Space,
  Statistic,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { useParams } from "react-router-dom";
import { api, type components, unwrap } from "../../../api/client";
import { ActorName } from "../components/ActorName";
import { useSegmentLabels } from "../components/AudienceFields";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { DetailTitle } from "../components/Page";
import { ProblemAlert, useProblemText } from "../components/problems";
import { RecordLink } from "../components/RecordLink";
import { ValueDialog } from "../components/ValueDialog";
import { enUS } from "../i18n/en-US";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { MemberGiftCards } from "./GiftCardLists";
import { MemberVouchers } from "./MemberVouchers";
import { MemberPackagePeriods } from "./PackageDetail";
import { PointsExchange } from "./PointsExchange";

type Change = components["schemas"]["BalanceChange"];
/** The change kinds the catalogs name (the API's enum; a test keeps the catalogs complete). */
const KINDS = Object.keys(enUS)
  .filter((key) => key.startsWith("wallet.kind."))
  .map((key) => key.slice("wallet.kind.".length) as Change["kind"]);

export default function MemberDetail() {
  const { id = "" } = useParams();
  const { t, fmt } = useI18n();
  const labels = useSegmentLabels();
  const { can } = useSession();
  const { message, modal } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const [dialog, setDialog] = useState<"topup" | "withdraw" | "exchange" | null>(null);
  const { filters, setFilters } = useUrlFilters(["account", "kind"] as const);
  const member = useQuery({
    queryKey: ["member", id],
    queryFn: () => unwrap(api.GET("/v1/members/{id}", { params: { path: { id } } })),
  });
  const balance = useQuery({
    queryKey: ["balance", id],
    queryFn: () => unwrap(api.GET("/v1/members/{id}/balance", { params: { path: { id } } })),
  });
  const rewards = useQuery({
    queryKey: ["reward-totals", id],
    queryFn: () => unwrap(api.GET("/v1/members/{id}/reward-totals", { params: { path: { id } } })),
  });
  const refresh = async () => {
    await Promise.all(
      [["balance", id], ["balance-changes", id], ["wallet-totals"]].map((queryKey) =>
        client.invalidateQueries({ queryKey }),
      ),
    );
  };
  // Closing is final and refused while the member holds a balance; the API's refusal shows in words.
  const changeStatus = (status: "active" | "frozen" | "closed") =>
    modal.confirm({
      title: t(
        status === "closed" ? "members.close" : status === "frozen" ? "members.freeze" : "members.unfreeze",
      ),
      content: t(`members.confirm.${status}`, { name: m?.name ?? id }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      okButtonProps: status === "closed" ? { danger: true } : {},
      onOk: async () => {
        try {
          await unwrap(api.PATCH("/v1/members/{id}", { params: { path: { id } }, body: { status } }));
          message.success(t("wallet.done"));
        } catch (e) {
          message.error(problemText(e));
        }
        await Promise.all([client.invalidateQueries({ queryKey: ["member", id] }), refresh()]);
      },
    });
  const m = member.data;
  const b = balance.data;
  const title = (
    <Typography.Title level={3}>
      <DetailTitle list={t("members.title")} to="/members" name={m?.name ?? "…"} />
    </Typography.Title>
  );
  // A member the caller cannot see (missing, or outside its subtree) is said once, not by every section.
  if (member.error) {
    return (
      <>
        {title}
        <ProblemAlert error={member.error} />
      </>
    );
  }
  return (
    <>
      {title}
      <ProblemAlert error={balance.error} />
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={14}>
          <Card
            title={t("wallet.balance")}
            extra={
              // A frozen or closed member's balance cannot move: the actions would only be refused.
              m?.status !== "active" ? null : (
                <Space>
                  {can("POST /v1/members/{id}/top-ups") ? (
                    <Button type="primary" onClick={() => setDialog("topup")}>
                      {t("wallet.topup")}
                    </Button>
                  ) : null}
                  {can("POST /v1/members/{id}/exchanges") ? (
                    <Button onClick={() => setDialog("exchange")}>{t("exchange.title")}</Button>
                  ) : null}
                  {can("POST /v1/members/{id}/withdrawals") ? (
                    <Button danger onClick={() => setDialog("withdraw")}>
                      {t("wallet.withdraw")}
                    </Button>
                  ) : null}
                </Space>
              )
            }
          >
            <Row gutter={16}>
              <Col span={8}>
                <Statistic
                  title={t("wallet.total")}
                  value={fmt.money(b?.total)}
                  data-testid="balance-total"
                />
              </Col>
              <Col span={8}>
                <Statistic title={t("wallet.principal")} value={fmt.money(b?.principal)} />
              </Col>
              <Col span={8}>
                <Statistic title={t("wallet.bonus")} value={fmt.money(b?.bonus)} />
              </Col>
              <Col span={8} style={{ marginTop: 16 }}>
                <Statistic title={t("wallet.available")} value={fmt.money(b?.available)} />
              </Col>
              <Col span={8} style={{ marginTop: 16 }}>
                <Statistic title={t("members.points")} value={fmt.number(b?.points)} />
              </Col>
              <Col span={8} style={{ marginTop: 16 }}>
                <Statistic title={t("wallet.referralPoints")} value={fmt.number(b?.referral_points)} />
              </Col>
            </Row>
          </Card>
        </Col>
        <Col span={10}>
          <Card
            title={t("members.card")}
            loading={member.isPending}
            extra={
              m && m.status !== "closed" && can("PATCH /v1/members/{id}") ? (
                <Space>
                  <Button
                    size="small"
                    onClick={() => changeStatus(m.status === "frozen" ? "active" : "frozen")}
                  >
                    {t(m.status === "frozen" ? "members.unfreeze" : "members.freeze")}
                  </Button>
                  <Button size="small" danger onClick={() => changeStatus("closed")}>
                    {t("members.close")}
                  </Button>
                </Space>
              ) : null
            }
          >
            {m ? (
              <Descriptions column={1} size="small">
                <Descriptions.Item label={t("members.phone")}>{m.phone ?? "—"}</Descriptions.Item>
                <Descriptions.Item label={t("members.tier")}>
                  {m.tier ? labels.tier(m.card_plan, m.tier) : "—"}
                </Descriptions.Item>
                <Descriptions.Item label={t("members.cardNumber")}>{m.card_number ?? "—"}</Descriptions.Item>
                <Descriptions.Item label={t("members.cardExpires")}>
                  {fmt.date(m.card_expires_at)}
                </Descriptions.Item>
                <Descriptions.Item label={t("members.tags")}>
                  {m.student ? <Tag color="green">{t("members.student")}</Tag> : null}
                  {m.tags.map((tag) => (
                    <Tag key={tag} title={tag}>
                      {labels.tag(tag)}
                    </Tag>
                  ))}
                </Descriptions.Item>
                <Descriptions.Item label={t("common.status")}>
                  {t(`members.status.${m.status}`)}
                </Descriptions.Item>
              </Descriptions>
            ) : null}
          </Card>
        </Col>
      </Row>
      {rewards.data && rewards.data.data.length > 0 ? (
        <Card title={t("rewards.title")} style={{ marginBottom: 16 }}>
          <Descriptions size="small" column={3}>
            {rewards.data.data.map((r) => (
              <Descriptions.Item
                key={`${r.account}-${r.source}`}
                label={`${
                  `wallet.account.${r.account}` in enUS
                    ? t(`wallet.account.${r.account}` as MessageKey)
                    : r.account
                } · ${r.source}`}
              >
                {r.account === "balance" ? fmt.money(r.total) : fmt.number(r.total)} (
                {t("rewards.times", { count: r.count })})
              </Descriptions.Item>
            ))}
          </Descriptions>
        </Card>
      ) : null}
      <Card title={t("wallet.changeLog")}>
        <Form
          name="change-filters"
          layout="inline"
          style={{ marginBottom: 12 }}
          initialValues={filters}
          onValuesChange={(_, all) => setFilters(all)}
        >
          <Form.Item name="account" label={t("wallet.account")}>
            <Select
              allowClear
              style={{ width: 140 }}
              options={(["balance", "points", "referral_points"] as const).map((a) => ({
                value: a,
                label: t(`wallet.account.${a}`),
              }))}
            />
          </Form.Item>
          <Form.Item name="kind" label={t("wallet.kind")}>
            <Select
              allowClear
              style={{ width: 160 }}
              options={KINDS.map((k) => ({ value: k, label: t(`wallet.kind.${k}` as MessageKey) }))}
            />
          </Form.Item>
        </Form>
        <CursorTable<Change>
          queryKey={["balance-changes", id, filters]}
          fetchPage={(cursor) =>
            unwrap(
              api.GET("/v1/members/{id}/balance-changes", {
                params: { path: { id }, query: { ...cursor, ...filters } as never },
              }),
            )
          }
          expandable={{
            rowExpandable: (c) => Boolean(c.order_id || c.payment_id || c.source || c.note),
            expandedRowRender: (c) => (
              <Descriptions size="small" column={2}>
                <Descriptions.Item label={t("wallet.orderId")}>
                  <RecordLink value={c.order_id} memberId={id} testId="change-order-link" />
                </Descriptions.Item>
                <Descriptions.Item label={t("wallet.paymentId")}>
                  <RecordLink value={c.payment_id} memberId={id} testId="change-payment-link" />
                </Descriptions.Item>
                <Descriptions.Item label={t("wallet.source")}>
                  {c.source ? (
                    <Space size={4}>
                      {c.source}
                      {c.source_ref ? (
                        <RecordLink value={c.source_ref} memberId={id} testId="change-source-link" />
                      ) : null}
                    </Space>
                  ) : (
                    "—"
                  )}
                </Descriptions.Item>
                <Descriptions.Item label={t("wallet.note")}>{c.note ?? "—"}</Descriptions.Item>
                <Descriptions.Item label={t("wallet.operator")}>
                  <ActorName type={c.actor_type} id={c.actor_id} label={c.actor_label} />
                </Descriptions.Item>
              </Descriptions>
            ),
          }}
          columns={[
            { title: t("common.time"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
            {
              title: t("wallet.kind"),
              dataIndex: "kind",
              render: (k: Change["kind"]) => t(`wallet.kind.${k}` as MessageKey),
            },
            {
              title: t("wallet.amount"),
              key: "amount",
              align: "right",
              render: (_, c) => (
                <Typography.Text type={c.amount < 0 ? "danger" : "success"}>
                  {c.account === "balance" ? fmt.money(c.amount) : fmt.number(c.amount)}
                </Typography.Text>
              ),
            },
            {
              title: t("wallet.balanceAfter"),
              key: "after",
              align: "right",
              render: (_, c) =>
                c.account === "balance" ? fmt.money(c.balance_after) : fmt.number(c.balance_after),
            },
            {
              title: t("wallet.reason"),
              key: "reason",
              // The system's reasons in the reader's language, a person's own as written.
              render: (_, c) =>
                c.reason_code
                  ? t(`wallet.systemReason.${c.reason_code}`, {
                      ...(c.reason_params ?? {}),
                      unit: fmt.money(10 ** fmt.scale),
                    })
                  : (c.reason ?? "—"),
            },
          ]}
        />
      </Card>
      <MemberPackagePeriods memberId={id} />
      <MemberVouchers memberId={id} />
      <MemberGiftCards memberId={id} />
      <PointsExchange
        memberId={id}
        open={dialog === "exchange"}
        onClose={() => setDialog(null)}
        onDone={refresh}
      />
      <ValueDialog
        open={dialog === "topup"}
        title={t("wallet.topup")}
        amounts={[
          { name: "amount", label: t("wallet.amount"), required: true },
          { name: "bonus_amount", label: t("wallet.bonusAmount") },
        ]}
        confirmText={(v) =>
          t("wallet.confirmTopup", {
            amount: fmt.money(v.amount),
            bonus: fmt.money(v.bonus_amount ?? 0),
            name: m?.name ?? id,
          })
        }
        submit={async (v, text, key) => {
          await unwrap(
            api.POST("/v1/members/{id}/top-ups", {
              params: { path: { id } },
              body: {
                amount: v.amount!,
                ...(v.bonus_amount ? { bonus_amount: v.bonus_amount } : {}),
                ...text,
              },
              headers: { "idempotency-key": key },
            }),
          );
          message.success(t("wallet.done"));
          await refresh();
        }}
        onClose={() => setDialog(null)}
      />
      <ValueDialog
        open={dialog === "withdraw"}
        title={t("wallet.withdraw")}
        amounts={[{ name: "amount", label: t("wallet.amount"), required: true }]}
        confirmText={(v) => t("wallet.confirmWithdraw", { amount: fmt.money(v.amount), name: m?.name ?? id })}
        submit={async (v, text, key) => {
          await unwrap(
            api.POST("/v1/members/{id}/withdrawals", {
              params: { path: { id } },
              body: { amount: v.amount!, ...text },
              headers: { "idempotency-key": key },
            }),
          );
          message.success(t("wallet.done"));
          await refresh();
        }}
        onClose={() => setDialog(null)}
      />
    </>
  );
}
