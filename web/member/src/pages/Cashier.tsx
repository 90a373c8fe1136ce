import { useQuery } from "@tanstack/react-query";
import { Button, Input, Popup, Tag } from "antd-mobile";
import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, unwrap } from "../../../api/client";
import { decimalToMinor } from "../../../console/src/i18n/format";
import { Card, Problem } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";

const loadOffer = (memberId: string, orderAmount: number) =>
  unwrap(
    api.GET("/v1/smart-topup/offers", {
      params: { query: { member_id: memberId, channel: "online", order_amount: orderAmount } },
    }),
  );
type Tier = Awaited<ReturnType<typeof loadOffer>>["tiers"][number];

/**
 * The cashier's balance check for an amount due (a checkout quote's total, `?amount=` in the
 * link): whether the balance covers it, and when it does not, the smart top-up tiers (seed 001
 * §2.4) in a pop-up. There is no member-facing order or payment API yet, so the order itself is
 * not paid here and a tier is accepted at the till (POST /v1/smart-topup/accept is staff-only).
 */
export default function Cashier() {
  const { t, fmt } = useI18n();
  const { visit, branding } = useMember();
  const [params] = useSearchParams();
  const [text, setText] = useState(params.get("amount") ?? "");
  const [open, setOpen] = useState(false);
  const amount = decimalToMinor(text, fmt.scale);
  const offer = useQuery({
    queryKey: ["smart-offer", visit.memberId, amount],
    enabled: Boolean(amount) && !branding.hide_balance,
    queryFn: () => loadOffer(visit.memberId, amount!),
  });
  const short = offer.data && offer.data.reason !== "balance_covers_order";
  const tiers = offer.data?.tiers.filter((tier) => tier.offered) ?? [];
  return (
    <div>
      <Card testId="cashier">
        <div style={{ fontSize: 13, color: "var(--adm-color-weak)" }}>{t("cashier.due")}</div>
        <Input
          inputMode="decimal"
          placeholder={t("topup.amountHint")}
          value={text}
          onChange={setText}
          clearable
          style={
            { fontSize: 24, fontWeight: 700, marginTop: 4, "--font-size": "24px" } as React.CSSProperties
          }
        />
        {offer.data ? (
          <div data-testid="cashier-balance" style={{ marginTop: 8, fontSize: 14 }}>
            {t("cashier.available", { amount: fmt.money(offer.data.available) })}
          </div>
        ) : null}
      </Card>
      {branding.hide_balance ? (
        <Card>
          <span style={{ color: "var(--adm-color-weak)" }}>{t("balance.hidden")}</span>
        </Card>
      ) : null}
      {offer.error ? <Problem error={offer.error} /> : null}
      {offer.data && !short ? <Card testId="cashier-covered">{t("cashier.covered")}</Card> : null}
      {short ? (
        <Card testId="cashier-short">
          <div style={{ color: "var(--adm-color-danger)", fontWeight: 600 }}>{t("cashier.insufficient")}</div>
          {tiers.length > 0 ? (
            <Button block color="primary" style={{ marginTop: 12 }} onClick={() => setOpen(true)}>
              {t("cashier.smart", { plan: offer.data.plan_name ?? "" })}
            </Button>
          ) : (
            <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 6 }}>
              {t("cashier.noOffer")}
            </div>
          )}
        </Card>
      ) : null}
      <Popup
        visible={open}
        onMaskClick={() => setOpen(false)}
        bodyStyle={{
          borderTopLeftRadius: 12,
          borderTopRightRadius: 12,
          maxHeight: "80vh",
          overflowY: "auto",
        }}
      >
        <div data-testid="smart-popup" style={{ padding: 16 }}>
          <div style={{ fontWeight: 600, fontSize: 17 }}>{offer.data?.plan_name}</div>
          <div style={{ fontSize: 13, color: "var(--adm-color-weak)", margin: "4px 0 8px" }}>
            {t("cashier.smartLine", { amount: fmt.money(amount ?? 0) })}
          </div>
          {tiers.map((tier) => (
            <TierRow key={tier.index} tier={tier} />
          ))}
          <div style={{ fontSize: 12, color: "var(--adm-color-weak)", marginTop: 12 }}>
            {t("cashier.atTill")}
          </div>
          <Button block style={{ marginTop: 12 }} onClick={() => setOpen(false)}>
            {t("action.close")}
          </Button>
        </div>
      </Popup>
    </div>
  );
}

function TierRow(props: { tier: Tier }) {
  const { t, fmt } = useI18n();
  const tier = props.tier;
  return (
    <div
      data-testid="smart-tier"
      style={{ border: "1px solid var(--adm-color-border)", borderRadius: 10, padding: 12, marginTop: 8 }}
    >
      <div style={{ display: "flex", alignItems: "baseline" }}>
        <div style={{ flex: 1, fontWeight: 600 }}>
          {t("cashier.tierTopup", { amount: fmt.money(tier.amount) })}
        </div>
        <div style={{ color: "var(--brand)", fontWeight: 600 }}>
          {t("cashier.tierUsable", { amount: fmt.money(tier.usable_after) })}
        </div>
      </div>
      <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 4 }}>
        {t("cashier.tierBonus", { bonus: fmt.money(tier.bonus_amount), points: fmt.number(tier.points) })}
        {tier.gift ? (
          <Tag color="warning" fill="outline" style={{ marginLeft: 6 }}>
            {t("cashier.gift")}
          </Tag>
        ) : null}
      </div>
    </div>
  );
}
