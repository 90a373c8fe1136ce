import { Button, Popup, Tag } from "antd-mobile";
import type { ReactNode } from "react";
import { api, unwrap } from "../../../api/client";
import { CoverImage } from "../components";
import { useI18n } from "../i18n";

/**
 * The smart top-up offer (seed 001 §2.4) for an amount the member's balance does not cover.
 * For a cashier order, naming it counts only the balance its payment may use, so every tier
 * shown can be accepted for it.
 */
export const loadOffer = (memberId: string, orderAmount: number, cashierOrderId?: string) =>
  unwrap(
    api.GET("/v1/smart-topup/offers", {
      params: {
        query: {
          member_id: memberId,
          channel: "online",
          order_amount: orderAmount,
          ...(cashierOrderId ? { cashier_order_id: cashierOrderId } : {}),
        },
      },
    }),
  );
export type Tier = Awaited<ReturnType<typeof loadOffer>>["tiers"][number];

/** One tier of the offer: the top-up, the balance after it, bonus, points and gift. */
export function TierRow(props: { tier: Tier; action?: ReactNode }) {
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
      {props.action}
    </div>
  );
}

/** The smart top-up pop-up: the plan, a line on what happens, its offered tiers, and close. */
export function SmartPopup(props: {
  open: boolean;
  onClose: () => void;
  planName: string | null | undefined;
  coverImageId: string | null | undefined;
  line: string;
  tiers: Tier[];
  action?: (tier: Tier) => ReactNode;
  footer?: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Popup
      visible={props.open}
      onMaskClick={props.onClose}
      bodyStyle={{ borderTopLeftRadius: 12, borderTopRightRadius: 12, maxHeight: "80vh", overflowY: "auto" }}
    >
      <div data-testid="smart-popup" style={{ padding: 16 }}>
        <CoverImage imageId={props.coverImageId} testId="smart-cover" aspectRatio="3 / 1" />
        <div style={{ fontWeight: 600, fontSize: 17 }}>{props.planName}</div>
        <div style={{ fontSize: 13, color: "var(--adm-color-weak)", margin: "4px 0 8px" }}>{props.line}</div>
        {props.tiers.map((tier) => (
          <TierRow key={tier.index} tier={tier} action={props.action?.(tier)} />
        ))}
        {props.footer}
        <Button block style={{ marginTop: 12 }} onClick={props.onClose}>
          {t("action.close")}
        </Button>
      </div>
    </Popup>
  );
}
