import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Result } from "antd-mobile";
import { useState } from "react";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import { decimalToMinor } from "../../../console/src/i18n/format";
import { ActionButton, AmountInput, Card, Loading, Problem, Refusal, useAction } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";
import { onlinePayment, PayCheckout } from "../PayCheckout";
import { loadOffer, SmartPopup } from "./SmartTiers";

const loadOrder = (id: string) =>
  unwrap(api.GET("/v1/member-center/cashier-orders/{id}", { params: { path: { id } } }));
type Order = Awaited<ReturnType<typeof loadOrder>>;

/**
 * A cashier order handed over by the merchant's backend: its items and total, the balance, and
 * "pay with member balance" — all of it, or a part with the rest online. When the balance is
 * short, the seed's words and the smart top-up tiers: accepting one pays the top-up online and,
 * once it is confirmed, the order from the balance. The page follows a payment under way until
 * the provider's confirmation decides it.
 */
export function CashierOrder(props: { orderId: string }) {
  const { t, fmt } = useI18n();
  const { visit, branding } = useMember();
  const queryClient = useQueryClient();
  const order = useQuery({
    queryKey: ["cashier-order", props.orderId],
    queryFn: () => loadOrder(props.orderId),
    refetchInterval: (q) => (q.state.data?.status === "pending_payment" ? 1_000 : false),
  });
  const status = order.data?.status;
  const balance = useQuery({
    queryKey: ["balance", visit.memberId, status],
    enabled: Boolean(order.data) && !branding.hide_balance,
    queryFn: () => unwrap(api.GET("/v1/members/{id}/balance", { params: { path: { id: visit.memberId } } })),
  });
  if (order.isPending) return <Loading />;
  if (order.error) return <Problem error={order.error} />;
  const o = order.data;
  const refresh = (next: Order) => {
    queryClient.setQueryData(["cashier-order", o.id], next);
    void queryClient.invalidateQueries({ queryKey: ["balance"] });
    void queryClient.invalidateQueries({ queryKey: ["smart-offer"] });
  };
  return (
    <div>
      <OrderCard order={o} />
      <LateRefunds order={o} />
      {o.status === "open" ? (
        branding.hide_balance ? (
          <Card>
            <span style={{ color: "var(--adm-color-weak)" }}>{t("balance.hidden")}</span>
          </Card>
        ) : balance.data ? (
          <PayOptions order={o} available={balance.data.available} onChanged={refresh} />
        ) : balance.error ? (
          <Problem error={balance.error} />
        ) : (
          <Loading />
        )
      ) : (
        <Outcome order={o} balanceAfter={status === "paid" ? balance.data?.total : undefined} />
      )}
      <div style={{ textAlign: "center", fontSize: 12, color: "var(--adm-color-weak)", margin: 12 }}>
        {o.status === "open" ? t("cashier.until", { time: fmt.dateTime(o.expires_at) }) : null}
      </div>
    </div>
  );
}

/** Online payments the provider collected too late to pay the order: owed back, or refunded. */
function LateRefunds(props: { order: Order }) {
  const { t, fmt } = useI18n();
  const late = props.order.payments.filter((p) => p.status === "refund_due" || p.status === "refunded");
  if (late.length === 0) return null;
  return (
    <Card testId="cashier-late-refunds">
      {late.map((p) => (
        <div key={p.id} style={{ color: "var(--adm-color-warning)", fontSize: 14 }}>
          {t(p.status === "refund_due" ? "cashier.lateRefund" : "cashier.lateRefunded", {
            amount: fmt.money(p.online_amount),
          })}
        </div>
      ))}
    </Card>
  );
}

function OrderCard(props: { order: Order }) {
  const { t, fmt } = useI18n();
  const o = props.order;
  return (
    <Card testId="cashier-order">
      <div style={{ fontSize: 12, color: "var(--adm-color-weak)" }}>
        {t("cashier.order", { ref: o.merchant_order_ref })}
      </div>
      {o.items.map((item, i) => (
        <div
          // Items have no id of their own; their place in the order is stable.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={i}
          data-testid="cashier-item"
          style={{ display: "flex", gap: 8, marginTop: 8, fontSize: 15 }}
        >
          <div style={{ flex: 1 }}>{item.name}</div>
          <div style={{ color: "var(--adm-color-weak)" }}>× {fmt.number(item.quantity)}</div>
          <div style={{ minWidth: 80, textAlign: "right" }}>
            {fmt.money(item.quantity * item.unit_amount)}
          </div>
        </div>
      ))}
      <div
        style={{
          display: "flex",
          alignItems: "baseline",
          borderTop: "1px solid var(--adm-color-border)",
          marginTop: 10,
          paddingTop: 10,
        }}
      >
        <div style={{ flex: 1 }}>{t("cashier.total")}</div>
        <div data-testid="cashier-total" style={{ fontSize: 24, fontWeight: 700 }}>
          {fmt.money(o.total)}
        </div>
      </div>
    </Card>
  );
}

/**
 * An open order: the balance, paying it all or a part, and the smart top-up when it is short.
 * "Covers" counts only what the order's payment may use: its items name no SKU, so money kept
 * for certain items (or not usable yet today) cannot pay it, and the pay route would refuse it.
 * The order-scoped offer (`cashier_order_id`) counts exactly that, by the rule the pay route and
 * the smart top-up use, so it is asked for every open order rather than only a short one.
 */
function PayOptions(props: { order: Order; available: number; onChanged: (o: Order) => void }) {
  const { visit } = useMember();
  const { order: o, available } = props;
  const offer = useQuery({
    queryKey: ["smart-offer", visit.memberId, o.id, o.total, available],
    queryFn: () => loadOffer(visit.memberId, o.total, o.id),
  });
  if (offer.error) return <Problem error={offer.error} />;
  if (!offer.data) return <Loading />;
  return <PayWith {...props} offer={offer.data} />;
}

function PayWith(props: {
  order: Order;
  available: number;
  offer: Awaited<ReturnType<typeof loadOffer>>;
  onChanged: (o: Order) => void;
}) {
  const { t, fmt } = useI18n();
  const { order: o, available, offer } = props;
  // The offer's figure stops at the total once the balance covers it; below, it is all the
  // order may use, and the rest of the available balance is what it may not.
  const usable = Math.min(offer.available, available);
  const covers = usable >= o.total;
  const restricted = covers ? 0 : available - usable;
  const maxPart = Math.min(usable, o.total - 1);
  const [text, setText] = useState(() => (maxPart > 0 ? (maxPart / 10 ** fmt.scale).toFixed(fmt.scale) : ""));
  const [open, setOpen] = useState(false);
  const part = decimalToMinor(text, fmt.scale);
  const partOk = part !== undefined && part >= 1 && part <= maxPart;
  // A tier's usable_after counts only what the order may use; the row says "balance after", so
  // the money kept for certain items is added back to match the balance shown above it.
  const tiers = covers
    ? []
    : offer.tiers
        .filter((tier) => tier.offered)
        .map((tier) => ({ ...tier, usable_after: tier.usable_after + restricted }));
  const pay = useAction(async (balanceAmount?: number) =>
    props.onChanged(
      await unwrap(
        api.POST("/v1/member-center/cashier-orders/{id}/pay", {
          params: { path: { id: o.id } },
          headers: { "idempotency-key": idempotencyKey() },
          // The balance paying it all pays nothing online: no scene or way back to tell.
          body: balanceAmount === undefined ? {} : { balance_amount: balanceAmount, ...onlinePayment() },
        }),
      ),
    ),
  );
  const topUp = useAction(async (tierIndex: number) => {
    const next = await unwrap(
      api.POST("/v1/member-center/cashier-orders/{id}/smart-topup", {
        params: { path: { id: o.id } },
        headers: { "idempotency-key": idempotencyKey() },
        body: { plan_id: offer.plan_id!, tier_index: tierIndex, ...onlinePayment() },
      }),
    );
    setOpen(false);
    props.onChanged(next);
  });
  const failed = o.payments.at(-1);
  const payAll = { ...pay, go: () => pay.go() };
  const paySplit = { ...pay, go: () => pay.go(part) };
  return (
    <>
      {failed && (failed.status === "failed" || failed.status === "expired") ? (
        <Card testId="cashier-retry">
          <span style={{ color: "var(--adm-color-warning)" }}>{t("cashier.retry")}</span>
        </Card>
      ) : null}
      <Card testId="cashier-pay">
        <div data-testid="cashier-balance" style={{ fontSize: 14 }}>
          {t("cashier.available", { amount: fmt.money(available) })}
        </div>
        {restricted > 0 ? (
          <div
            data-testid="cashier-restricted"
            style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 4 }}
          >
            {t("cashier.restricted", { amount: fmt.money(restricted), usable: fmt.money(usable) })}
          </div>
        ) : null}
        {covers ? (
          <ActionButton action={payAll}>{t("cashier.payAll", { amount: fmt.money(o.total) })}</ActionButton>
        ) : (
          <div data-testid="cashier-short" style={{ marginTop: 8 }}>
            <div style={{ color: "var(--adm-color-danger)", fontWeight: 600 }}>
              {t("cashier.insufficient")}
            </div>
            {tiers.length > 0 ? (
              <Button block color="primary" style={{ marginTop: 12 }} onClick={() => setOpen(true)}>
                {t("cashier.smart", { plan: offer.plan_name ?? "" })}
              </Button>
            ) : (
              <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 6 }}>
                {t("cashier.noOffer")}
              </div>
            )}
          </div>
        )}
      </Card>
      {maxPart > 0 ? (
        <Card testId="cashier-split">
          <div style={{ fontWeight: 600 }}>{t("cashier.split")}</div>
          <AmountInput
            placeholder={t("cashier.splitHint", { max: fmt.money(maxPart) })}
            value={text}
            onChange={setText}
            problem={
              text && !partOk ? t("cashier.splitOut", { min: fmt.money(1), max: fmt.money(maxPart) }) : null
            }
          />
          {partOk ? (
            <div data-testid="cashier-split-line" style={{ fontSize: 14, marginTop: 8 }}>
              {t("cashier.splitLine", { balance: fmt.money(part), online: fmt.money(o.total - part) })}
            </div>
          ) : null}
          <ActionButton action={paySplit} disabled={!partOk}>
            {t("cashier.splitPay")}
          </ActionButton>
        </Card>
      ) : null}
      <SmartPopup
        open={open}
        onClose={() => setOpen(false)}
        planName={offer.plan_name}
        coverImageId={offer.plan_cover_image_id}
        line={t("cashier.smartOnline")}
        tiers={tiers}
        action={(tier) => (
          <Button
            block
            color="primary"
            fill="outline"
            size="small"
            style={
              {
                marginTop: 8,
                "--border-color": "var(--brand)",
                "--text-color": "var(--brand)",
              } as React.CSSProperties
            }
            loading={topUp.busy}
            disabled={topUp.busy}
            onClick={() => void topUp.go(tier.index)}
          >
            {t("cashier.choose", { amount: fmt.money(tier.amount) })}
          </Button>
        )}
        footer={<Refusal error={topUp.error} />}
      />
    </>
  );
}

/**
 * A payment under way, the paid order (the result page; with what was given back of it, if
 * any), an order whose money all came back, or one that can no longer be paid.
 */
function Outcome(props: { order: Order; balanceAfter: number | undefined }) {
  const { t, fmt } = useI18n();
  const o = props.order;
  const last = o.payments.at(-1);
  if (o.status === "pending_payment" && last) {
    return (
      <div data-testid="cashier-waiting">
        <Result
          status="waiting"
          title={t("cashier.waiting")}
          description={
            last.kind === "smart_topup"
              ? t("cashier.waitingTopup", { amount: fmt.money(last.online_amount) })
              : t("cashier.waitingSplit", {
                  balance: fmt.money(last.balance_amount),
                  online: fmt.money(last.online_amount),
                })
          }
        />
        <PayCheckout checkout={last.checkout} amount={last.online_amount} />
      </div>
    );
  }
  if (o.status === "refunded") {
    return (
      <div data-testid="cashier-refunded">
        <Result
          status="info"
          title={`${t("cashier.refunded")} · ${fmt.money(o.refunded_amount)}`}
          description={t("cashier.refundedLine", { amount: fmt.money(o.refunded_amount) })}
        />
      </div>
    );
  }
  if ((o.status === "paid" || o.status === "partially_refunded") && last) {
    const line =
      o.paid_by === "smart_topup"
        ? t("cashier.paidTopup", { topup: fmt.money(last.online_amount), amount: fmt.money(o.total) })
        : o.paid_by === "balance_and_online"
          ? t("cashier.paidSplit", {
              balance: fmt.money(last.balance_amount),
              online: fmt.money(last.online_amount),
            })
          : t("cashier.paidBalance", { amount: fmt.money(o.total) });
    return (
      <div data-testid="cashier-paid">
        <Result status="success" title={`${t("cashier.paid")} · ${fmt.money(o.total)}`} description={line} />
        {o.status === "partially_refunded" ? (
          <Card testId="cashier-part-refunded">
            {t("cashier.partRefunded", { amount: fmt.money(o.refunded_amount), total: fmt.money(o.total) })}
          </Card>
        ) : null}
        {props.balanceAfter !== undefined ? (
          <Card testId="cashier-balance-after">
            {t("topup.balanceNow", { amount: fmt.money(props.balanceAfter) })}
          </Card>
        ) : null}
        {o.return_url ? (
          <div style={{ margin: 12 }}>
            <Button block color="primary" onClick={() => window.location.assign(o.return_url!)}>
              {t("cashier.back")}
            </Button>
          </div>
        ) : null}
      </div>
    );
  }
  return (
    <div data-testid="cashier-closed">
      <Result status="error" title={t(o.status === "cancelled" ? "cashier.cancelled" : "cashier.expired")} />
    </div>
  );
}
