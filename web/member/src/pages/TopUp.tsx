import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Result, Tag } from "antd-mobile";
import { useState } from "react";
import { amountRange, type TopupRule, topupFigures } from "../../../../src/modules/topup/topup-rules";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import { decimalToMinor } from "../../../console/src/i18n/format";
import {
  ActionButton,
  AmountInput,
  Card,
  CoverImage,
  Loading,
  Problem,
  useAction,
  useAgreement,
} from "../components";
import { useMember } from "../context";
import { type Format, type Translate, useI18n } from "../i18n";
import { onlinePayment, PayCheckout, providerName } from "../PayCheckout";

const loadPlans = () => unwrap(api.GET("/v1/topup-plans", { params: { query: { limit: 50 } } }));
const loadTopup = (id: string) => unwrap(api.GET("/v1/topups/{id}", { params: { path: { id } } }));
const loadIntent = (id: string) => unwrap(api.GET("/v1/topup-intents/{id}", { params: { path: { id } } }));
type Plan = Awaited<ReturnType<typeof loadPlans>>["data"][number];
type Topup = Awaited<ReturnType<typeof loadTopup>>;
type Intent = Awaited<ReturnType<typeof startFreeTopUp>>;

/** The parts of a plan's saved terms this page shows (topup/plan-terms.ts is the whole). */
interface Terms {
  rule: TopupRule;
  description?: string | null;
  agreement_id?: string | null;
  cover_image_id?: string | null;
  gift?: { kind: "none" | "voucher" | "voucher_package"; quantity?: number };
  first_topup_bonus?: { extra_bonus_bps?: number; extra_points_bps?: number } | null;
  restrictions?: { channels?: ("pos" | "online")[]; first_topup_only?: boolean };
}
const termsOf = (plan: Plan) => plan.terms as unknown as Terms;
const onlineOk = (plan: Plan) => termsOf(plan).restrictions?.channels?.includes("online") ?? true;

const startFreeTopUp = (memberId: string, amount: number, key: string) =>
  unwrap(
    api.POST("/v1/members/{id}/topup-intents", {
      params: { path: { id: memberId } },
      headers: { "idempotency-key": key },
      body: { amount, ...onlinePayment() },
    }),
  );

/**
 * Top-up by plan (seed 001 §2.3): the plans this member may use online, the bonus and points
 * of the amount computed live with the server's own rules, paid through the tenant's provider.
 * The balance is credited when the provider confirms the payment; the result page follows it.
 * Without a plan, any amount can still be topped up (the wallets' online top-up).
 */
export default function TopUp() {
  const { t } = useI18n();
  const { branding } = useMember();
  const plans = useQuery({
    queryKey: ["topup-plans"],
    queryFn: loadPlans,
  });
  const [chosen, setChosen] = useState<string>();
  const [topup, setTopup] = useState<Topup>();
  if (topup) return <TopupResult topup={topup} />;
  if (plans.isPending) return <Loading />;
  if (plans.error) return <Problem error={plans.error} />;
  const open = plans.data.data.filter(onlineOk);
  return (
    <div>
      {open.map((plan) => (
        <PlanCard
          key={plan.id}
          plan={plan}
          selected={chosen === plan.id}
          onSelect={() => setChosen(plan.id)}
          onStarted={setTopup}
        />
      ))}
      {branding.online_topup_enabled ? (
        <FreeAmount selected={chosen === "free"} onSelect={() => setChosen("free")} />
      ) : null}
      {open.length === 0 && !branding.online_topup_enabled ? (
        <Card>
          <span style={{ color: "var(--adm-color-weak)" }}>{t("topup.noPlans")}</span>
        </Card>
      ) : null}
    </div>
  );
}

/** What a rule asks for, in one line: "¥100.00" or "¥100.00 – ¥500.00". */
function ruleAmount(rule: TopupRule, fmt: Format): string {
  const { min, max } = amountRange(rule);
  return min === max ? fmt.money(min) : `${fmt.money(min)} – ${fmt.money(max)}`;
}

function Perks(props: { terms: Terms; t: Translate }) {
  const { terms, t } = props;
  const first = terms.first_topup_bonus;
  const gift = terms.gift && terms.gift.kind !== "none" ? terms.gift : null;
  if (!gift && !first && !terms.restrictions?.first_topup_only) return null;
  return (
    <div style={{ display: "flex", gap: 4, flexWrap: "wrap", marginTop: 6 }}>
      {gift ? (
        <Tag color="warning" fill="outline">
          {gift.kind === "voucher"
            ? t("topup.giftVoucher", { count: gift.quantity ?? 1 })
            : t("topup.giftPackage")}
        </Tag>
      ) : null}
      {first ? (
        <Tag color="primary" fill="outline">
          {t("topup.firstBonus", {
            bonus: (first.extra_bonus_bps ?? 0) / 100,
            points: (first.extra_points_bps ?? 0) / 100,
          })}
        </Tag>
      ) : null}
      {terms.restrictions?.first_topup_only ? (
        <Tag color="default" fill="outline">
          {t("topup.firstOnly")}
        </Tag>
      ) : null}
    </div>
  );
}

function PlanCard(props: {
  plan: Plan;
  selected: boolean;
  onSelect: () => void;
  onStarted: (topup: Topup) => void;
}) {
  const { t, fmt } = useI18n();
  const { visit } = useMember();
  const { plan } = props;
  const terms = termsOf(plan);
  const rule = terms.rule;
  const fixed = rule.type === "fixed";
  const [text, setText] = useState("");
  // One key per attempt at this plan and amount: a retry after a lost answer reuses it.
  const [key, setKey] = useState(idempotencyKey);
  const typed = decimalToMinor(text, fmt.scale);
  const amount = fixed ? rule.amount : typed;
  const { min, max } = amountRange(rule);
  const inRange = amount !== undefined && amount >= min && amount <= max;
  // The first top-up extras are the server's to decide (it knows the member's history): shown apart.
  const figures = inRange ? topupFigures(rule, amount, fmt.scale, null) : null;
  const agreement = useAgreement(terms.agreement_id, props.selected);
  const pay = useAction(async () => {
    const topup = await unwrap(
      api.POST("/v1/topup-plans/{id}/top-ups", {
        params: { path: { id: plan.id } },
        headers: { "idempotency-key": key },
        body: {
          member_id: visit.memberId,
          channel: "online",
          payment_method: "online",
          ...onlinePayment(),
          ...(fixed ? {} : { amount }),
        },
      }),
    );
    props.onStarted(topup);
  });
  return (
    <Card
      testId="topup-plan"
      choice={{ label: plan.name, selected: props.selected, onSelect: props.onSelect }}
    >
      <CoverImage imageId={terms.cover_image_id} testId="topup-cover" aspectRatio="3 / 1" />
      <div style={{ display: "flex", alignItems: "baseline", gap: 8 }}>
        <div style={{ flex: 1, fontWeight: 600, fontSize: 16 }}>{plan.name}</div>
        <div style={{ color: "var(--brand)", fontWeight: 600 }}>{ruleAmount(rule, fmt)}</div>
      </div>
      <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 4 }}>
        {ruleLine(rule, t, fmt)}
      </div>
      {terms.description ? <div style={{ fontSize: 13, marginTop: 4 }}>{terms.description}</div> : null}
      <Perks terms={terms} t={t} />
      {props.selected ? (
        <div style={{ marginTop: 12 }}>
          {fixed ? null : (
            <AmountInput
              placeholder={t("topup.rangeHint", { min: fmt.money(min), max: fmt.money(max) })}
              value={text}
              onChange={(v) => {
                setText(v);
                setKey(idempotencyKey());
              }}
              problem={
                text && !inRange ? t("topup.outOfRange", { min: fmt.money(min), max: fmt.money(max) }) : null
              }
            />
          )}
          {figures ? (
            <div data-testid="topup-figures" style={{ marginTop: 8, fontSize: 14 }}>
              {t("topup.figures", {
                bonus: fmt.money(figures.bonus),
                points: fmt.number(figures.points),
                total: fmt.money(figures.amount + figures.bonus),
              })}
            </div>
          ) : null}
          {agreement.checkbox}
          <ActionButton action={pay} disabled={!inRange || agreement.pending}>
            {t("topup.pay", { amount: inRange ? fmt.money(amount) : "—" })}
          </ActionButton>
        </div>
      ) : null}
    </Card>
  );
}

function ruleLine(rule: TopupRule, t: Translate, fmt: Format): string {
  if (rule.type === "fixed")
    return t("topup.fixedLine", {
      bonus: fmt.money(rule.bonus_amount),
      points: fmt.number(rule.bonus_points),
    });
  if (rule.type === "range")
    return t("topup.rangeLine", { bonus: rule.bonus_bps / 100, points: rule.points_bps / 100 });
  return t("topup.customLine", {
    bonusMin: fmt.money(rule.bonus_min),
    bonusMax: fmt.money(rule.bonus_max),
    pointsMin: fmt.number(rule.points_min),
    pointsMax: fmt.number(rule.points_max),
  });
}

/** The paid top-up: followed until the provider's confirmation credits it. */
function TopupResult(props: { topup: Topup }) {
  const { t, fmt } = useI18n();
  const { visit, branding } = useMember();
  const queryClient = useQueryClient();
  const current = useQuery({
    queryKey: ["topup", props.topup.id],
    initialData: props.topup,
    refetchInterval: (q) => (q.state.data?.status === "pending_payment" ? 1_000 : false),
    queryFn: async () => {
      const next = await loadTopup(props.topup.id);
      if (next.status === "credited") await queryClient.invalidateQueries({ queryKey: ["balance"] });
      return next;
    },
  });
  const balance = useQuery({
    queryKey: ["balance", visit.memberId],
    enabled: current.data.status === "credited" && !branding.hide_balance,
    queryFn: () => unwrap(api.GET("/v1/members/{id}/balance", { params: { path: { id: visit.memberId } } })),
  });
  const tp = current.data;
  const credited = tp.status === "credited";
  return (
    <div data-testid="topup-result">
      <Result
        status={credited ? "success" : tp.status === "pending_payment" ? "waiting" : "error"}
        title={`${fmt.money(tp.amount)} · ${t(`topup.status.${tp.status}`)}`}
        description={
          credited
            ? t("topup.credited", {
                amount: fmt.money(tp.amount),
                bonus: fmt.money(tp.bonus_amount),
                points: fmt.number(tp.points),
              })
            : t("topup.started", { provider: providerName(t, tp.provider) })
        }
      />
      {tp.status === "pending_payment" ? <PayCheckout checkout={tp.checkout} amount={tp.amount} /> : null}
      {credited && balance.data ? (
        <Card testId="topup-balance">{t("topup.balanceNow", { amount: fmt.money(balance.data.total) })}</Card>
      ) : null}
    </div>
  );
}

/** Any amount, no plan: the wallets' online top-up (no bonus, no points). */
function FreeAmount(props: { selected: boolean; onSelect: () => void }) {
  const { t, fmt } = useI18n();
  const { visit } = useMember();
  const [text, setText] = useState("");
  const [intent, setIntent] = useState<Intent>();
  const [key, setKey] = useState(idempotencyKey);
  const amount = decimalToMinor(text, fmt.scale);
  const pay = useAction(async () => setIntent(await startFreeTopUp(visit.memberId, amount!, key)));
  if (intent) return <IntentResult intent={intent} />;
  return (
    <Card
      testId="topup-free"
      choice={{ label: t("topup.other"), selected: props.selected, onSelect: props.onSelect }}
    >
      <div style={{ fontWeight: 600, fontSize: 16 }}>{t("topup.other")}</div>
      <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 4 }}>{t("topup.otherLine")}</div>
      {props.selected ? (
        <div style={{ marginTop: 12 }}>
          <AmountInput
            placeholder={t("topup.amountHint")}
            value={text}
            onChange={(v) => {
              setText(v);
              setKey(idempotencyKey());
            }}
            problem={text && !amount ? t("topup.invalid", { scale: fmt.scale }) : null}
          />
          <ActionButton action={pay} disabled={!amount}>
            {t("topup.pay", { amount: amount ? fmt.money(amount) : "—" })}
          </ActionButton>
        </div>
      ) : null}
    </Card>
  );
}

/** The online top-up of any amount: followed until the provider's confirmation decides it. */
function IntentResult(props: { intent: Intent }) {
  const { t, fmt } = useI18n();
  const queryClient = useQueryClient();
  const current = useQuery({
    queryKey: ["topup-intent", props.intent.id],
    initialData: props.intent,
    refetchInterval: (q) => (q.state.data?.status === "pending" ? 1_000 : false),
    queryFn: async () => {
      const next = await loadIntent(props.intent.id);
      if (next.status === "succeeded") await queryClient.invalidateQueries({ queryKey: ["balance"] });
      return next;
    },
  });
  const intent = current.data;
  const pending = intent.status === "pending";
  return (
    <div data-testid="topup-intent">
      <Result
        status={intent.status === "succeeded" ? "success" : pending ? "waiting" : "error"}
        title={`${fmt.money(intent.amount)} · ${t(`topup.state.${intent.status}`)}`}
        description={pending ? t("topup.started", { provider: providerName(t, intent.provider) }) : undefined}
      />
      {pending ? <PayCheckout checkout={intent.checkout} amount={intent.amount} /> : null}
    </div>
  );
}
