import { useQuery, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Descriptions, Space, Statistic, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../../api/client";
import { CursorTable } from "../components/CursorTable";
import { DetailTitle } from "../components/Page";
import { ProviderRefunded } from "../components/ProviderRefunded";
import { ProblemAlert } from "../components/problems";
import { ValueDialog } from "../components/ValueDialog";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { type Activity, CardStatus, type GiftCard, useActivityColumns, usePlans } from "./GiftCardLists";

type Action = "load" | "redeem" | "freeze" | "restore" | "adjustUp" | "adjustDown" | "refundCard";

interface ActionSpec {
  needs: string;
  /** Card statuses the action applies to: offered only there. */
  when: GiftCard["status"][];
  amount: boolean;
  text: ("reason" | "reason!")[];
  danger?: boolean;
  send(id: string, amount: number, reason: string | undefined, key: string): Promise<unknown>;
}

const headers = (key: string) => ({ "idempotency-key": key });

function freezeAction(verb: "freeze" | "restore", when: GiftCard["status"][]): ActionSpec {
  return {
    needs: `POST /v1/gift-cards/{id}/${verb}`,
    when,
    amount: false,
    text: ["reason!"],
    danger: verb === "freeze",
    send: (id, _a, reason, key) => {
      const init = { params: { path: { id } }, body: { reason: reason! }, headers: headers(key) };
      return unwrap(
        verb === "freeze"
          ? api.POST("/v1/gift-cards/{id}/freeze", init)
          : api.POST("/v1/gift-cards/{id}/restore", init),
      );
    },
  };
}

/** Finance's adjustment, up or down, always with a reason. */
function adjustAction(direction: "increment" | "decrement"): ActionSpec {
  return {
    needs: "POST /v1/gift-cards/{id}/adjust",
    when: ["active", "frozen"],
    amount: true,
    text: ["reason!"],
    send: (id, amount, reason, key) =>
      unwrap(
        api.POST("/v1/gift-cards/{id}/adjust", {
          params: { path: { id } },
          body: { direction, amount, reason: reason! },
          headers: headers(key),
        }),
      ),
  };
}

/** Each action on a card: the operation it calls (offered only to roles that may call it). */
const ACTIONS: Record<Action, ActionSpec> = {
  load: {
    needs: "POST /v1/gift-cards/{id}/load",
    when: ["active"],
    amount: true,
    text: [],
    send: (id, amount, _r, key) =>
      unwrap(
        api.POST("/v1/gift-cards/{id}/load", {
          params: { path: { id } },
          body: { amount, payment: { method: "offline" } },
          headers: headers(key),
        }),
      ),
  },
  redeem: {
    needs: "POST /v1/gift-cards/{id}/redeem",
    when: ["active"],
    amount: true,
    text: [],
    send: (id, amount, _r, key) =>
      unwrap(
        api.POST("/v1/gift-cards/{id}/redeem", {
          params: { path: { id } },
          body: { amount, channel: "POS" },
          headers: headers(key),
        }),
      ),
  },
  freeze: freezeAction("freeze", ["active"]),
  restore: freezeAction("restore", ["frozen"]),
  adjustUp: adjustAction("increment"),
  adjustDown: adjustAction("decrement"),
  refundCard: {
    needs: "POST /v1/gift-cards/{id}/refund",
    when: ["active"],
    amount: false,
    text: ["reason"],
    danger: true,
    send: (id, _a, reason, key) =>
      unwrap(
        api.POST("/v1/gift-cards/{id}/refund", {
          params: { path: { id } },
          body: reason ? { reason } : {},
          headers: headers(key),
        }),
      ),
  },
};

const LABEL: Record<Action, MessageKey> = {
  load: "gc.action.load",
  redeem: "gc.action.redeem",
  freeze: "gc.action.freeze",
  restore: "gc.action.restore",
  adjustUp: "gc.action.adjustUp",
  adjustDown: "gc.action.adjustDown",
  refundCard: "gc.action.refundCard",
};

/** One card: balance, details, the actions the role may take on it, and its activity record. */
export default function GiftCardDetail({ id }: { id: string }) {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const client = useQueryClient();
  const plans = usePlans();
  const [action, setAction] = useState<Action | null>(null);
  const [refunding, setRefunding] = useState<Activity | null>(null);
  const columns = useActivityColumns();
  const card = useQuery({
    queryKey: ["gift-card", id],
    queryFn: () => unwrap(api.GET("/v1/gift-cards/{id}", { params: { path: { id } } })),
  });
  const c = card.data;
  const holderId = c?.holder_member_id ?? null;
  // The holder by name where the operator may read members; the id otherwise.
  const holder = useQuery({
    queryKey: ["member", holderId],
    enabled: holderId !== null && can("GET /v1/members/{id}"),
    queryFn: () => unwrap(api.GET("/v1/members/{id}", { params: { path: { id: holderId! } } })),
  });
  const refresh = async () => {
    await Promise.all(
      [["gift-card", id], ["gift-card-activities-of", id], ["gift-cards"]].map((queryKey) =>
        client.invalidateQueries({ queryKey }),
      ),
    );
    const after = client.getQueryData<GiftCard>(["gift-card", id]);
    if (after) message.success(t("gc.action.done", { balance: fmt.money(after.balance) }));
  };
  const offered = (Object.keys(ACTIONS) as Action[]).filter(
    (a) => c && ACTIONS[a].when.includes(c.status) && can(ACTIONS[a].needs),
  );
  const spec = action ? ACTIONS[action] : null;
  const planName = plans.data?.data.find((p) => p.id === c?.plan_id)?.name ?? c?.plan_id;
  return (
    <>
      <Typography.Title level={3}>
        <DetailTitle list={t("gc.tab.cards")} to="/gift-cards/cards" name={c?.number ?? "…"} />
      </Typography.Title>
      <ProblemAlert error={card.error} />
      <Card
        style={{ marginBottom: 16 }}
        loading={card.isPending}
        extra={
          <Space wrap>
            {offered.map((a) => (
              <Button
                key={a}
                danger={ACTIONS[a].danger}
                type={a === "redeem" ? "primary" : "default"}
                onClick={() => setAction(a)}
              >
                {t(LABEL[a])}
              </Button>
            ))}
          </Space>
        }
        title={
          <Space size={4}>
            <CardStatus status={c?.status ?? "active"} />
            {c ? (
              <ProviderRefunded
                amount={c.refunded_amount}
                count={c.refund_count}
                shortfall={c.refund_shortfall}
              />
            ) : null}
          </Space>
        }
      >
        {c ? (
          <Space size={48} align="start" wrap>
            <Statistic title={t("gc.balance")} value={fmt.money(c.balance)} data-testid="card-balance" />
            <Descriptions column={2} size="small" style={{ minWidth: 560 }}>
              <Descriptions.Item label={t("gc.number")}>{c.number}</Descriptions.Item>
              <Descriptions.Item label={t("gc.plan")}>{planName}</Descriptions.Item>
              <Descriptions.Item label={t("gc.type")}>{t(`gc.type.${c.card_type}`)}</Descriptions.Item>
              <Descriptions.Item label={t("gc.face")}>{fmt.money(c.face_amount)}</Descriptions.Item>
              <Descriptions.Item label={t("gc.paid")}>{fmt.money(c.paid_amount)}</Descriptions.Item>
              <Descriptions.Item label={t("gc.expires")}>{fmt.dateTime(c.expires_at)}</Descriptions.Item>
              <Descriptions.Item label={t("gc.buyer")}>
                {[c.buyer.name, c.buyer.phone].filter(Boolean).join(" ") || "—"}
              </Descriptions.Item>
              <Descriptions.Item label={t("gc.holder")}>
                {c.holder_member_id ? (
                  <Link to={`/members/${c.holder_member_id}`} title={c.holder_member_id}>
                    {holder.data?.name ?? c.holder_member_id}
                  </Link>
                ) : (
                  "—"
                )}
              </Descriptions.Item>
              <Descriptions.Item label={t("gc.soldAt")}>{fmt.dateTime(c.sale?.sold_at)}</Descriptions.Item>
              {c.frozen_reason ? (
                <Descriptions.Item label={t("gc.frozenReason")}>{c.frozen_reason}</Descriptions.Item>
              ) : null}
            </Descriptions>
          </Space>
        ) : null}
      </Card>
      <Card title={t("gc.detail.activities")}>
        <CursorTable<Activity>
          queryKey={["gift-card-activities-of", id]}
          fetchPage={(cursor) =>
            unwrap(api.GET("/v1/gift-cards/{id}/activities", { params: { path: { id }, query: cursor } }))
          }
          columns={[
            ...columns,
            {
              title: t("common.actions"),
              key: "actions",
              render: (_: unknown, a: Activity) =>
                a.type === "REDEEM" && can("POST /v1/gift-card-activities/{id}/refund") ? (
                  <Button size="small" onClick={() => setRefunding(a)}>
                    {t("gc.action.refundRedemption")}
                  </Button>
                ) : null,
            },
          ]}
        />
      </Card>
      {spec && action && c ? (
        <ValueDialog
          open
          title={t(LABEL[action])}
          amounts={spec.amount ? [{ name: "amount", label: t("gc.activity.amount"), required: true }] : []}
          text={spec.text}
          confirmText={(v) =>
            spec.amount
              ? t("gc.action.confirmAmount", {
                  action: t(LABEL[action]),
                  amount: fmt.money(v.amount),
                  number: c.number,
                })
              : t("gc.action.confirm", { action: t(LABEL[action]), number: c.number })
          }
          submit={async (v, text, key) => {
            const result = await spec.send(c.id, v.amount ?? 0, text.reason, key);
            if (action === "refundCard") {
              message.success(
                t("gc.refunded", { cash: fmt.money((result as { cash_amount: number }).cash_amount) }),
              );
            }
            await refresh();
          }}
          onClose={() => setAction(null)}
        />
      ) : null}
      {refunding && c ? (
        <ValueDialog
          open
          title={t("gc.action.refundRedemption")}
          amounts={[{ name: "amount", label: t("gc.activity.amount"), required: true }]}
          text={[]}
          confirmText={(v) =>
            t("gc.action.confirmAmount", {
              action: t("gc.action.refundRedemption"),
              amount: fmt.money(v.amount),
              number: c.number,
            })
          }
          submit={async (v, _text, key) => {
            await unwrap(
              api.POST("/v1/gift-card-activities/{id}/refund", {
                params: { path: { id: refunding.id } },
                body: { amount: v.amount! },
                headers: headers(key),
              }),
            );
            await refresh();
          }}
          onClose={() => setRefunding(null)}
        />
      ) : null}
    </>
  );
}
