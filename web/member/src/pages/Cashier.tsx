import { useQuery } from "@tanstack/react-query";
import { Button, Input } from "antd-mobile";
import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { decimalToMinor } from "../../../console/src/i18n/format";
import { Card, Problem } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";
import { CashierOrder } from "./CashierOrder";
import { loadOffer, SmartPopup } from "./SmartTiers";

/**
 * The cashier. With `?order=` (a cashier order the merchant's backend handed over) the member
 * pays it here (CashierOrder.tsx). Without, a balance check for an amount due (`?amount=`):
 * whether the balance covers it, and when it does not, the smart top-up tiers (seed 001 §2.4)
 * to accept at the till.
 */
export default function Cashier() {
  const [params] = useSearchParams();
  const orderId = params.get("order");
  return orderId ? <CashierOrder orderId={orderId} /> : <AmountCheck />;
}

function AmountCheck() {
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
      <SmartPopup
        open={open}
        onClose={() => setOpen(false)}
        planName={offer.data?.plan_name}
        coverImageId={offer.data?.plan_cover_image_id}
        line={t("cashier.smartLine", { amount: fmt.money(amount ?? 0) })}
        tiers={tiers}
        footer={
          <div style={{ fontSize: 12, color: "var(--adm-color-weak)", marginTop: 12 }}>
            {t("cashier.atTill")}
          </div>
        }
      />
    </div>
  );
}
