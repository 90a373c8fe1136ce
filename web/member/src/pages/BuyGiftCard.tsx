import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Input, Result, Selector, Switch, TextArea } from "antd-mobile";
import { GiftOutline } from "antd-mobile-icons";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, type components, idempotencyKey, type paths, unwrap } from "../../../api/client";
import { decimalToMinor } from "../../../console/src/i18n/format";
import {
  ActionButton,
  AmountInput,
  inputBox as box,
  Card,
  CoverImage,
  Loading,
  Problem,
  useAction,
  useAgreement,
} from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";
import type { MessageKey } from "../messages";
import { onlinePayment, PayCheckout } from "../PayCheckout";

type Plan = components["schemas"]["GiftCardPlan"];
type Purchase =
  paths["/v1/members/{member_id}/gift-card-purchases"]["post"]["responses"][201]["content"]["application/json"];
type Field = "name" | "phone" | "email";
const FIELDS: Field[] = ["name", "phone", "email"];
const CUSTOM = -1;

/**
 * Buying a gift card online (seed 001 §2.5): the plans on sale online, a denomination or a
 * custom amount, the buyer fields the plan asks for, for oneself or as a gift, paid from the
 * balance (at once) or through the tenant's payment provider (active once paid).
 */
export default function BuyGiftCard() {
  const plans = useQuery({
    queryKey: ["gift-card-plans"],
    queryFn: () => unwrap(api.GET("/v1/gift-card-plans", { params: { query: { limit: 50 } } })),
  });
  const [chosen, setChosen] = useState<string>();
  const [bought, setBought] = useState<Purchase>();
  const { t } = useI18n();
  if (bought) return <Bought purchase={bought} />;
  if (plans.isPending) return <Loading />;
  if (plans.error) return <Problem error={plans.error} />;
  if (plans.data.data.length === 0) return <Card>{t("buyGift.none")}</Card>;
  return (
    <div>
      {plans.data.data.map((plan) => (
        <PlanCard
          key={plan.id}
          plan={plan}
          selected={chosen === plan.id}
          onSelect={() => setChosen(plan.id)}
          onBought={setBought}
        />
      ))}
    </div>
  );
}

/** A plan's card face: an uploaded image, or one of the built-in templates. */
type Design = { kind: "image"; image_id: string } | { kind: "template"; template: string };
const CARD_RATIO = "1.586 / 1";
/** The built-in templates' colours, drawn here as the card's face (the plan's name on it). */
const TEMPLATE_COLORS: Record<string, [string, string]> = {
  classic: ["#1f3a5f", "#3b6ea5"],
  celebration: ["#b3261e", "#f2994a"],
  birthday: ["#c2185b", "#f48fb1"],
  thank_you: ["#2e7d32", "#81c784"],
  festival: ["#8e2b12", "#e0a526"],
  minimal: ["#424242", "#9e9e9e"],
};

/** The card drawn from its template (or the tenant's colour) when it has no image or the image cannot be read. */
function CardFace(props: { template: string | undefined }) {
  const colors = props.template ? TEMPLATE_COLORS[props.template] : undefined;
  return (
    <div
      data-testid="gift-design-template"
      style={{
        aspectRatio: CARD_RATIO,
        borderRadius: 8,
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        color: "#fff",
        fontSize: 28,
        background: colors
          ? `linear-gradient(135deg, ${colors[0]}, ${colors[1]})`
          : "linear-gradient(135deg, var(--brand), #00000055), var(--brand)",
      }}
    >
      <GiftOutline />
    </div>
  );
}

/** What the buyer pays for `amount`: the denomination's discount, or the custom range's (rounded down). */
function priceOf(plan: Plan, amount: number): number {
  const denomination = plan.denominations.find((d) => d.amount === amount);
  if (denomination) return amount - denomination.discount;
  const bps = plan.custom_amount?.discount_bps ?? 0;
  return amount - Math.floor((amount * bps) / 10_000);
}

function PlanCard(props: {
  plan: Plan;
  selected: boolean;
  onSelect: () => void;
  onBought: (p: Purchase) => void;
}) {
  const { t, fmt } = useI18n();
  const { visit, branding } = useMember();
  const queryClient = useQueryClient();
  const { plan } = props;
  const design = plan.design as Design;
  const [pick, setPick] = useState<number | undefined>(plan.denominations[0]?.amount ?? CUSTOM);
  const [custom, setCustom] = useState("");
  const [buyer, setBuyer] = useState<Record<Field, string>>({ name: "", phone: "", email: "" });
  const [gift, setGift] = useState(false);
  const [recipient, setRecipient] = useState({ name: "", message: "" });
  const [method, setMethod] = useState<"balance" | "online">(branding.hide_balance ? "online" : "balance");
  const [key] = useState(idempotencyKey);
  const agreement = useAgreement(plan.terms_agreement_id, props.selected);
  const range = plan.custom_amount;
  const typed = decimalToMinor(custom, fmt.scale);
  const amount = pick === CUSTOM ? typed : pick;
  const amountOk =
    amount !== undefined &&
    (pick !== CUSTOM || (range !== null && amount >= range.min && amount <= range.max));
  const missing = FIELDS.some((f) => plan.buyer_info[f] === "required" && !buyer[f].trim());
  const buy = useAction(async () => {
    const given = Object.fromEntries(FIELDS.filter((f) => buyer[f].trim()).map((f) => [f, buyer[f].trim()]));
    const purchase = await unwrap(
      api.POST("/v1/members/{member_id}/gift-card-purchases", {
        params: { path: { member_id: visit.memberId } },
        headers: { "idempotency-key": key },
        body: {
          plan_id: plan.id,
          amount: amount!,
          payment_method: method,
          ...(method === "online" ? onlinePayment() : {}),
          ...(gift
            ? {
                gift: true,
                recipient: {
                  ...(recipient.name.trim() ? { name: recipient.name.trim() } : {}),
                  ...(recipient.message.trim() ? { message: recipient.message.trim() } : {}),
                },
              }
            : {}),
          ...(Object.keys(given).length ? { buyer: given } : {}),
          ...(agreement.version ? { agreement_versions: agreement.version } : {}),
        },
      }),
    );
    await queryClient.invalidateQueries();
    props.onBought(purchase);
  });
  const options = [
    ...plan.denominations.map((d) => ({ label: fmt.money(d.amount), value: d.amount })),
    ...(range ? [{ label: t("buyGift.custom"), value: CUSTOM }] : []),
  ];
  return (
    <Card
      testId="gift-plan"
      choice={{ label: plan.name, selected: props.selected, onSelect: props.onSelect }}
    >
      <div style={{ display: "flex", gap: 12, alignItems: "center" }}>
        <div style={{ width: 112, flex: "none" }}>
          <CoverImage
            imageId={design.kind === "image" ? design.image_id : null}
            testId="gift-design"
            aspectRatio={CARD_RATIO}
            marginBottom={0}
            fallback={<CardFace template={design.kind === "template" ? design.template : undefined} />}
          />
        </div>
        <div style={{ flex: 1, minWidth: 0 }}>
          <div style={{ fontWeight: 600, fontSize: 16 }}>{plan.name}</div>
          <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 4 }}>
            {[
              ...plan.denominations.map((d) =>
                d.discount
                  ? t("buyGift.denominationOff", { amount: fmt.money(d.amount), off: fmt.money(d.discount) })
                  : fmt.money(d.amount),
              ),
              ...(range
                ? [t("buyGift.range", { min: fmt.money(range.min), max: fmt.money(range.max) })]
                : []),
            ].join(" · ")}
          </div>
        </div>
      </div>
      {props.selected ? (
        <div style={{ marginTop: 12 }}>
          <Selector
            columns={3}
            options={options}
            value={pick === undefined ? [] : [pick]}
            onChange={(v) => setPick(v[0])}
          />
          {pick === CUSTOM && range ? (
            <AmountInput
              placeholder={t("topup.rangeHint", { min: fmt.money(range.min), max: fmt.money(range.max) })}
              value={custom}
              onChange={setCustom}
            />
          ) : null}
          {FIELDS.filter((f) => plan.buyer_info[f] !== "off").map((f) => (
            <Input
              key={f}
              placeholder={`${t(`buyGift.buyer.${f}` as MessageKey)}${plan.buyer_info[f] === "required" ? " *" : ""}`}
              value={buyer[f]}
              onChange={(v) => setBuyer({ ...buyer, [f]: v })}
              style={box}
            />
          ))}
          <div style={{ display: "flex", alignItems: "center", marginTop: 10 }}>
            <span style={{ flex: 1 }}>{t("buyGift.asGift")}</span>
            <Switch checked={gift} onChange={setGift} />
          </div>
          {gift ? (
            <>
              <Input
                placeholder={t("buyGift.recipient")}
                value={recipient.name}
                onChange={(v) => setRecipient({ ...recipient, name: v })}
                style={box}
              />
              <TextArea
                placeholder={t("buyGift.message")}
                value={recipient.message}
                onChange={(v) => setRecipient({ ...recipient, message: v })}
                rows={2}
                maxLength={500}
                style={box}
              />
            </>
          ) : null}
          <Selector
            style={{ marginTop: 10 }}
            columns={2}
            options={[
              ...(branding.hide_balance
                ? []
                : [{ label: t("buyGift.byBalance"), value: "balance" as const }]),
              { label: t("buyGift.online"), value: "online" as const },
            ]}
            value={[method]}
            onChange={(v) => v[0] && setMethod(v[0])}
          />
          {agreement.checkbox}
          <ActionButton action={buy} disabled={!amountOk || missing || agreement.pending}>
            {t("buyGift.pay", { amount: amountOk ? fmt.money(priceOf(plan, amount!)) : "—" })}
          </ActionButton>
        </div>
      ) : null}
    </Card>
  );
}

/** The card bought: its number and the PIN shown this once, or the gift code to pass on. */
function Bought(props: { purchase: Purchase }) {
  const { t, fmt } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const p = props.purchase;
  // Paid online, the card is pending until the provider confirms: followed until then.
  const card = useQuery({
    queryKey: ["gift-card", p.card.id],
    initialData: p.card,
    refetchInterval: (q) => (q.state.data?.status === "pending" ? 1_000 : false),
    queryFn: async () => {
      const next = await unwrap(api.GET("/v1/gift-cards/{id}", { params: { path: { id: p.card.id } } }));
      if (next.status !== "pending") await queryClient.invalidateQueries({ queryKey: ["gift-cards"] });
      return next;
    },
  }).data;
  const pending = card.status === "pending";
  const lost = card.status === "cancelled";
  return (
    <div data-testid="gift-bought">
      <Result
        status={pending ? "waiting" : lost ? "error" : "success"}
        title={
          pending
            ? t("buyGift.pending")
            : lost
              ? t("buyGift.cancelled")
              : t("buyGift.done", { amount: fmt.money(card.face_amount ?? card.balance) })
        }
        description={t("buyGift.number", { number: card.number })}
      />
      {pending && p.payment ? <PayCheckout checkout={p.payment.checkout} amount={p.payment.amount} /> : null}
      {p.gift_code ? (
        <Card testId="gift-code">
          {t("buyGift.giftCode")}
          <div style={{ fontFamily: "monospace", fontSize: 18, marginTop: 6 }}>{p.gift_code}</div>
        </Card>
      ) : p.pin ? (
        <Card testId="gift-pin">
          {t("buyGift.pin")}
          <div style={{ fontFamily: "monospace", fontSize: 18, marginTop: 6 }}>{p.pin}</div>
        </Card>
      ) : null}
      <div style={{ margin: 12 }}>
        <Button block onClick={() => navigate("/gift-cards")}>
          {t("buyGift.mine")}
        </Button>
      </div>
    </div>
  );
}
