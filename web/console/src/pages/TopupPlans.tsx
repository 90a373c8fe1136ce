import { PlusOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
} from "antd";
import type { ColumnsType } from "antd/es/table";
import { type ReactNode, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import {
  type Audience,
  type AudienceDraft,
  audienceToDraft,
  useAudienceOptions,
} from "../components/AudienceFields";
import { type Availability, AvailabilityFields } from "../components/AvailabilityField";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { compact, stableJson } from "../components/changes";
import { FormDialog } from "../components/FormDialog";
import { GiftField, type GiftSpec, giftOrUndefined, useGiftRule } from "../components/GiftField";
import { ROW } from "../components/layout";
import { FilterBar, PageHeader } from "../components/Page";
import { ProblemAlert, useProblemText } from "../components/problems";
import { compactStoreScope, type StoreScope } from "../components/StoreScopeField";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import {
  AgreementField,
  audienceOf,
  BasicFields,
  ChannelsField,
  CoverField,
  PlanSections,
  ScopeFields,
  type Section,
  section,
  toBps,
  toPercent,
  usePlanChoices,
  useSections,
} from "./topupFields";

type Status = "active" | "inactive" | "archived";
export type Rule =
  | { type: "fixed"; amount: number; bonus_amount: number; bonus_points: number }
  | { type: "range"; min_amount: number; max_amount: number; bonus_bps: number; points_bps: number }
  | {
      type: "custom";
      min_amount: number;
      max_amount: number;
      bonus_min: number;
      bonus_max: number;
      points_min: number;
      points_max: number;
    };
interface PlanRestrictions {
  channels?: ("pos" | "online")[];
  visibility?: "shown" | "hidden";
  first_topup_only?: boolean;
  stock_limit?: number | null;
  purchase_limit_per_member?: number | null;
  eligible_skus?: string[] | null;
  same_day_usable_bps?: number | null;
  no_bonus_on_topup_day?: boolean;
  [other: string]: unknown;
}
export interface Plan {
  id: string;
  name: string;
  kind: "package" | "custom";
  status: Status;
  currency: string;
  terms: PlanExtras & { rule: Rule };
  updated_at: string;
}
type TierGifts = { gift?: GiftSpec; first_topup_gift?: GiftSpec };
type SmartTier =
  | ({ type: "discount"; multiplier_bps: number; bonus_bps: number } & TierGifts)
  | ({
      type: "gift";
      multiplier_bps: number;
      bonus_bps: number;
      points_bps: number;
      first_topup_extra_bonus_bps?: number;
      first_topup_extra_points_bps?: number;
    } & TierGifts)
  | ({ type: "fixed"; amount: number; bonus_amount: number; bonus_points: number } & TierGifts);
interface SmartPlan {
  id: string;
  name: string;
  status: Status;
  currency: string;
  terms: {
    description?: string | null;
    agreement_id?: string | null;
    cover_image_id?: string | null;
    availability?: Availability;
    store_scope?: StoreScope;
    audience?: Audience;
    min_topup_amount?: number;
    rounding?: string;
    tiers: SmartTier[];
    first_topup_only?: boolean;
    gift_stock_limit?: number | null;
    channels?: ("pos" | "online")[];
  };
  updated_at: string;
}
interface RechargeCode {
  id: string;
  code: string;
  scenario: string;
  channel: "pos" | "online";
  status: "active" | "disabled";
  created_at: string;
}
type Page<T> = { data: T[]; has_more: boolean };

const STATUS_COLOR: Record<Status, string> = { active: "green", inactive: "default", archived: "red" };
/** "10" (percent) → 1000 basis points; "1.2" (times) → 12000. Both exact to the hundredth. */
const bps = (text: string | undefined) => Math.round(Number(text ?? "0") * 100);
const times = (text: string | undefined) => Math.round(Number(text ?? "0") * 10_000);

export function StatusTag({ status }: { status: Status }) {
  const { t } = useI18n();
  return <Tag color={STATUS_COLOR[status]}>{t(`topup.status.${status}` as MessageKey)}</Tag>;
}

/** A plan form's dialog: "Edit …" with the plan's name, or the title of a new one; long, so its body scrolls. */
function PlanDialog(props: {
  open: boolean;
  plan: { name: string } | undefined;
  createTitle: MessageKey;
  width: number;
  onSave(): void;
  onClose(): void;
  error: unknown;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const p = props.plan;
  return (
    <FormDialog
      open={props.open}
      title={p ? t("topup.editTitle", { name: p.name }) : t(props.createTitle)}
      onSave={props.onSave}
      onCancel={props.onClose}
      error={props.error}
      width={props.width}
      scrollBody
    >
      {props.children}
    </FormDialog>
  );
}

/** The status a plan list shows: without one, every plan but the archived ones. */
function StatusFilter(props: { name: string }) {
  const { t } = useI18n();
  return (
    <Form.Item name={props.name} label={t("common.status")}>
      <Select
        allowClear
        style={{ width: 120 }}
        options={(["active", "inactive", "archived"] as const).map((v) => ({
          value: v,
          label: t(`topup.status.${v}`),
        }))}
      />
    </Form.Item>
  );
}

/** Activate / deactivate buttons for a plan of either table, and Archive for an inactive one. */
function StatusButtons(props: {
  base: "/v1/topup-plans" | "/v1/smart-topup-plans";
  id: string;
  name: string;
  status: Status;
}) {
  const { t } = useI18n();
  const { can } = useSession();
  const { message, modal } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const action = props.status === "active" ? "deactivate" : props.status === "inactive" ? "activate" : null;
  const run = async (verb: "activate" | "deactivate" | "archive") => {
    try {
      await unwrap(
        api.POST(`${props.base}/{id}/${verb}` as "/v1/topup-plans/{id}/activate", {
          params: { path: { id: props.id } },
        }),
      );
      if (verb === "archive") message.success(t("topup.archived"));
      await client.invalidateQueries({ queryKey: [props.base] });
    } catch (e) {
      message.error(problemText(e));
    }
  };
  // Archiving is final: the plan leaves the active list and can no longer be edited or sold.
  const archive = () =>
    modal.confirm({
      title: t("topup.archiveConfirm", { name: props.name }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      okButtonProps: { danger: true },
      onOk: () => run("archive"),
    });
  return (
    <>
      {action && can(`POST ${props.base}/{id}/${action}`) ? (
        <Button size="small" danger={action === "deactivate"} onClick={() => run(action)}>
          {t(`topup.${action}`)}
        </Button>
      ) : null}
      {props.status === "inactive" && can(`POST ${props.base}/{id}/archive`) ? (
        <Button size="small" onClick={archive}>
          {t("topup.archive")}
        </Button>
      ) : null}
    </>
  );
}

interface PlanDraft {
  name: string;
  type: Rule["type"];
  amount?: string;
  bonus_amount?: string;
  bonus_points?: number;
  min_amount?: string;
  max_amount?: string;
  bonus_percent?: string;
  points_percent?: string;
  bonus_min?: string;
  bonus_max?: string;
  points_min?: number;
  points_max?: number;
}

/** A plan as both lists show it: enough for its status, its last change and its actions. */
type ListedPlan = { id: string; name: string; status: Status; updated_at: string };

/**
 * The columns both plan lists end with: status, last change, and the actions (what `extra`
 * adds, Edit while the plan is not archived and the caller may edit, then the status buttons).
 */
function useLifecycleColumns<P extends ListedPlan>(props: {
  base: "/v1/topup-plans" | "/v1/smart-topup-plans";
  onEdit: (plan: P) => void;
  extra?: (plan: P) => ReactNode;
}): ColumnsType<P> {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  return [
    { title: t("common.status"), dataIndex: "status", render: (s: Status) => <StatusTag status={s} /> },
    { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
    {
      title: t("common.actions"),
      key: "actions",
      render: (_, p) => (
        <Space>
          {props.extra?.(p)}
          {p.status !== "archived" && can(`PATCH ${props.base}/{id}`) ? (
            <Button size="small" onClick={() => props.onEdit(p)}>
              {t("topup.edit")}
            </Button>
          ) : null}
          <StatusButtons base={props.base} id={p.id} name={p.name} status={p.status} />
        </Space>
      ),
    },
  ];
}

/**
 * A list's create button and its two dialogs: one to create, and one per plan edited (a form
 * kept from the last plan would show that plan's terms).
 */
function usePlanDialogs<P extends { id: string }>(
  PlanDialogForm: (props: { open: boolean; plan: P | undefined; onClose(): void }) => ReactNode,
  create: { permission: boolean; label: string },
) {
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<P>();
  return {
    edit: setEditing,
    createButton: create.permission ? (
      <Button icon={<PlusOutlined />} style={{ marginBottom: 12 }} onClick={() => setCreating(true)}>
        {create.label}
      </Button>
    ) : null,
    dialogs: (
      <>
        <PlanDialogForm open={creating} plan={undefined} onClose={() => setCreating(false)} />
        <PlanDialogForm
          key={editing?.id ?? "none"}
          open={editing !== undefined}
          plan={editing}
          onClose={() => setEditing(undefined)}
        />
      </>
    ),
  };
}

function ruleOf(d: PlanDraft, toMinor: (s: string) => number | undefined): Rule {
  const m = (s: string | undefined) => toMinor(s ?? "") ?? 0;
  if (d.type === "fixed")
    return {
      type: "fixed",
      amount: m(d.amount),
      bonus_amount: m(d.bonus_amount),
      bonus_points: d.bonus_points ?? 0,
    };
  if (d.type === "range")
    return {
      type: "range",
      min_amount: m(d.min_amount),
      max_amount: m(d.max_amount),
      bonus_bps: bps(d.bonus_percent),
      points_bps: bps(d.points_percent),
    };
  return {
    type: "custom",
    min_amount: m(d.min_amount),
    max_amount: m(d.max_amount),
    bonus_min: m(d.bonus_min),
    bonus_max: m(d.bonus_max),
    points_min: d.points_min ?? 0,
    points_max: d.points_max ?? 0,
  };
}

/** The rule's fields (amounts in major units, rates in percent), for create and edit. */
function RuleFields(props: { type: Rule["type"]; types: readonly Rule["type"][] }) {
  const { t } = useI18n();
  // A top-up amount (not a bonus) is at least one minor unit: said here, not by the API's schema.
  const positive = new Set<keyof PlanDraft>(["amount", "min_amount", "max_amount"]);
  const amount = (name: keyof PlanDraft, label: MessageKey) => (
    <Form.Item
      name={name}
      label={t(label)}
      rules={[
        { required: true, pattern: /^\d+(\.\d{1,2})?$/ },
        ...(positive.has(name)
          ? [
              {
                validator: async (_: unknown, v: string | undefined) => {
                  if (v && Number(v) <= 0) throw new Error(t("topup.amountPositive"));
                },
              },
            ]
          : []),
      ]}
    >
      <Input inputMode="decimal" />
    </Form.Item>
  );
  const { type } = props;
  return (
    <>
      <Form.Item name="type" label={t("topup.ruleType")}>
        <Select
          disabled={props.types.length === 1}
          options={props.types.map((v) => ({ value: v, label: t(`topup.rule.${v}`) }))}
        />
      </Form.Item>
      {type === "fixed" ? (
        <Space wrap>
          {amount("amount", "topup.amount")}
          {amount("bonus_amount", "topup.bonusAmount")}
          <Form.Item name="bonus_points" label={t("topup.bonusPoints")}>
            <InputNumber min={0} precision={0} />
          </Form.Item>
        </Space>
      ) : (
        <Space wrap>
          {amount("min_amount", "topup.minAmount")}
          {amount("max_amount", "topup.maxAmount")}
        </Space>
      )}
      {type === "range" ? (
        <Space wrap>
          <Form.Item name="bonus_percent" label={t("topup.bonusPercent")} rules={[{ required: true }]}>
            <Input inputMode="decimal" suffix="%" />
          </Form.Item>
          <Form.Item name="points_percent" label={t("topup.pointsPercent")} rules={[{ required: true }]}>
            <Input inputMode="decimal" suffix="%" />
          </Form.Item>
        </Space>
      ) : null}
      {type === "custom" ? (
        <Space wrap>
          {amount("bonus_min", "topup.bonusMin")}
          {amount("bonus_max", "topup.bonusMax")}
          <Form.Item name="points_min" label={t("topup.pointsMin")}>
            <InputNumber min={0} precision={0} />
          </Form.Item>
          <Form.Item name="points_max" label={t("topup.pointsMax")}>
            <InputNumber min={0} precision={0} />
          </Form.Item>
        </Space>
      ) : null}
    </>
  );
}

/** The terms a top-up plan keeps besides its rule (seed 001 §2.3.2), as the API stores them. */
interface PlanExtras {
  description?: string | null;
  agreement_id?: string | null;
  cover_image_id?: string | null;
  availability?: Availability;
  store_scope?: StoreScope;
  audience?: Audience;
  tier_upgrade?: { tier: string } | null;
  gift?: GiftSpec;
  first_topup_bonus?: { extra_bonus_bps?: number; extra_points_bps?: number; gift?: GiftSpec } | null;
  bonus_benefits?: { benefit_ids: string[]; valid_days: number } | null;
  restrictions?: PlanRestrictions;
}

interface PlanFormDraft extends PlanDraft {
  description?: string;
  availability?: Availability;
  store_scope?: StoreScope;
  audience?: AudienceDraft;
  tier_upgrade?: string;
  gift?: GiftSpec;
  first_topup_on: boolean;
  first_bonus_percent?: number | null;
  first_points_percent?: number | null;
  first_gift?: GiftSpec;
  benefit_ids?: string[];
  benefit_days?: number | null;
  cover_image_id?: string | null;
  agreement_id?: string;
  channels: ("pos" | "online")[];
  visibility: "shown" | "hidden";
  first_topup_only: boolean;
  stock_limit?: number | null;
  purchase_limit_per_member?: number | null;
  eligible_skus?: string[];
  same_day_percent?: number | null;
  no_bonus_on_topup_day: boolean;
}

/** A plan's rule as the form shows it: amounts in major units, rates in percent. */
function draftOf(r: Rule, toMajor: (minor: number) => string): PlanDraft {
  if (r.type === "fixed")
    return {
      name: "",
      type: "fixed",
      amount: toMajor(r.amount),
      bonus_amount: toMajor(r.bonus_amount),
      bonus_points: r.bonus_points,
    };
  if (r.type === "range")
    return {
      name: "",
      type: "range",
      min_amount: toMajor(r.min_amount),
      max_amount: toMajor(r.max_amount),
      bonus_percent: String(r.bonus_bps / 100),
      points_percent: String(r.points_bps / 100),
    };
  return {
    name: "",
    type: "custom",
    min_amount: toMajor(r.min_amount),
    max_amount: toMajor(r.max_amount),
    bonus_min: toMajor(r.bonus_min),
    bonus_max: toMajor(r.bonus_max),
    points_min: r.points_min,
    points_max: r.points_max,
  };
}

/** The restrictions with the API's defaults filled in, so an unchanged form sends nothing. */
function restrictionsOf(r: PlanRestrictions | undefined): PlanRestrictions {
  return {
    ...r,
    channels: r?.channels ?? ["pos", "online"],
    visibility: r?.visibility ?? "shown",
    first_topup_only: r?.first_topup_only ?? false,
    stock_limit: r?.stock_limit ?? null,
    purchase_limit_per_member: r?.purchase_limit_per_member ?? null,
    eligible_skus: r?.eligible_skus ?? null,
    same_day_usable_bps: r?.same_day_usable_bps ?? null,
    no_bonus_on_topup_day: r?.no_bonus_on_topup_day ?? false,
  };
}

/** What each optional term is when it is cleared: PATCH sends this to take a saved value away. */
const CLEARED: Record<string, unknown> = {
  description: null,
  agreement_id: null,
  cover_image_id: null,
  availability: {},
  store_scope: {},
  audience: {},
  tier_upgrade: null,
  gift: { kind: "none" },
  first_topup_bonus: null,
  bonus_benefits: null,
  // A smart plan's minimum is not nullable: 0 is "no minimum".
  min_topup_amount: 0,
};

/** A term compared as the API means it: absent, null and its cleared form are one. */
const termKey = (key: string, v: unknown) =>
  v === undefined || v === null || (key in CLEARED && stableJson(v) === stableJson(CLEARED[key]))
    ? "∅"
    : stableJson(v);

/** Only the terms that differ from `before`, each cleared one as the API takes it. */
export function changedTerms(after: Record<string, unknown>, before: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(after)) {
    if (termKey(key, v) === termKey(key, before[key])) continue;
    out[key] = v === undefined || v === null ? (key in CLEARED ? CLEARED[key] : v) : v;
  }
  return out;
}

/** The plan's terms (all but name and rule) from the form; what the form does not show is kept. */
function planTermsOf(d: PlanFormDraft, before: PlanExtras | undefined): PlanExtras {
  const r = restrictionsOf(before?.restrictions);
  return {
    description: d.description || undefined,
    availability: compact({ ...d.availability }),
    store_scope: compact(compactStoreScope(d.store_scope)),
    audience: audienceOf(d.audience, before?.audience),
    tier_upgrade: d.tier_upgrade ? { tier: d.tier_upgrade } : undefined,
    gift: giftOrUndefined(d.gift),
    first_topup_bonus: d.first_topup_on
      ? (compact({
          extra_bonus_bps: toBps(d.first_bonus_percent),
          extra_points_bps: toBps(d.first_points_percent),
          gift: giftOrUndefined(d.first_gift),
        }) ?? {})
      : undefined,
    bonus_benefits: d.benefit_ids?.length
      ? { benefit_ids: d.benefit_ids, valid_days: d.benefit_days ?? 30 }
      : undefined,
    cover_image_id: d.cover_image_id || undefined,
    agreement_id: d.agreement_id || undefined,
    restrictions: {
      ...r,
      channels: d.channels,
      visibility: d.visibility,
      first_topup_only: d.first_topup_only,
      stock_limit: d.stock_limit ?? null,
      purchase_limit_per_member: d.purchase_limit_per_member ?? null,
      eligible_skus: d.eligible_skus?.length ? d.eligible_skus : null,
      same_day_usable_bps: toBps(d.same_day_percent) ?? null,
      no_bonus_on_topup_day: d.no_bonus_on_topup_day,
    },
  };
}

/** A saved plan as the form shows it. */
function planDraftOf(p: Plan, toMajor: (minor: number) => string): PlanFormDraft {
  const x = p.terms;
  const r = restrictionsOf(x.restrictions);
  return {
    ...draftOf(x.rule, toMajor),
    name: p.name,
    description: x.description ?? undefined,
    availability: x.availability,
    store_scope: x.store_scope,
    audience: audienceToDraft(x.audience),
    tier_upgrade: x.tier_upgrade?.tier,
    gift: x.gift,
    first_topup_on: !!x.first_topup_bonus,
    first_bonus_percent: toPercent(x.first_topup_bonus?.extra_bonus_bps),
    first_points_percent: toPercent(x.first_topup_bonus?.extra_points_bps),
    first_gift: x.first_topup_bonus?.gift,
    benefit_ids: x.bonus_benefits?.benefit_ids,
    benefit_days: x.bonus_benefits?.valid_days,
    cover_image_id: x.cover_image_id ?? undefined,
    agreement_id: x.agreement_id ?? undefined,
    channels: r.channels ?? ["pos", "online"],
    visibility: r.visibility ?? "shown",
    first_topup_only: r.first_topup_only ?? false,
    stock_limit: r.stock_limit,
    purchase_limit_per_member: r.purchase_limit_per_member,
    eligible_skus: r.eligible_skus ?? undefined,
    same_day_percent: toPercent(r.same_day_usable_bps),
    no_bonus_on_topup_day: r.no_bonus_on_topup_day ?? false,
  };
}

const NEW_PLAN: Partial<PlanFormDraft> = {
  type: "fixed",
  audience: audienceToDraft(),
  bonus_points: 0,
  points_min: 0,
  points_max: 0,
  first_topup_on: false,
  channels: ["pos", "online"],
  visibility: "shown",
  first_topup_only: false,
  no_bonus_on_topup_day: false,
};

/** Where each field lives, so a refused field's section opens. */
const SECTION_OF: Record<string, Section> = {
  name: "basic",
  description: "basic",
  availability: "schedule",
  store_scope: "scope",
  audience: "scope",
  tier_upgrade: "scope",
  gift: "perks",
  first_topup_on: "perks",
  first_bonus_percent: "perks",
  first_points_percent: "perks",
  first_gift: "perks",
  benefit_ids: "perks",
  benefit_days: "perks",
  cover_image_id: "perks",
  agreement_id: "more",
  tiers: "rule",
  min_topup_amount: "rule",
  rounding: "rule",
};
const sectionOf = (name: string | number | undefined) => SECTION_OF[String(name)] ?? "limits";

/**
 * Validates the form; on failure opens every section that holds a refused field, so nothing
 * that stops the save stays folded away.
 */
async function validateOpening<T>(
  form: ReturnType<typeof Form.useForm<T>>[0],
  open: (s: Section[]) => void,
  ruleFields: readonly string[],
): Promise<T | undefined> {
  try {
    return await form.validateFields();
  } catch (e) {
    const fields = (e as { errorFields?: { name: (string | number)[] }[] }).errorFields ?? [];
    open(
      fields.map((f) => {
        const top = String(f.name[0]);
        return ruleFields.includes(top) ? "rule" : sectionOf(top);
      }),
    );
    return undefined;
  }
}

const RULE_FIELDS = [
  "type",
  "amount",
  "bonus_amount",
  "bonus_points",
  "min_amount",
  "max_amount",
  "bonus_percent",
  "points_percent",
  "bonus_min",
  "bonus_max",
  "points_min",
  "points_max",
];

/**
 * Create or edit a top-up plan with every term the API takes (seed 001 §2.3.2), in folding
 * sections: basics, rule, validity and schedule, where and for whom, gifts and perks,
 * restrictions, agreement. Editing sends only what changed and keeps what the form does not show
 * (the audience's exclusions); later top-ups follow the new terms.
 */
function PlanForm(props: { open: boolean; plan: Plan | undefined; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<PlanFormDraft>();
  const p = props.plan;
  const type = Form.useWatch("type", form) ?? p?.terms.rule.type ?? "fixed";
  const firstOn = Form.useWatch("first_topup_on", form) ?? !!p?.terms.first_topup_bonus;
  const benefitIds = Form.useWatch("benefit_ids", form);
  const choices = usePlanChoices(props.open);
  const audience = useAudienceOptions(props.open);
  const giftRule = useGiftRule();
  const [error, setError] = useState<unknown>();
  const sections = useSections(["basic", "rule", "limits"]);
  const save = async () => {
    const d = await validateOpening(form, sections.open, RULE_FIELDS);
    if (!d) return;
    setError(undefined);
    const rule = ruleOf(d, fmt.toMinor);
    const terms = planTermsOf(d, p?.terms);
    try {
      if (p) {
        const changes: Record<string, unknown> = changedTerms(
          { ...terms, restrictions: terms.restrictions } as Record<string, unknown>,
          { ...p.terms, restrictions: restrictionsOf(p.terms.restrictions) } as Record<string, unknown>,
        );
        if (d.name !== p.name) changes.name = d.name;
        if (stableJson(rule) !== stableJson(p.terms.rule)) changes.rule = rule;
        if (Object.keys(changes).length > 0) {
          await unwrap(
            api.PATCH("/v1/topup-plans/{id}", { params: { path: { id: p.id } }, body: changes as never }),
          );
        }
        message.success(t("topup.saved"));
      } else {
        const { restrictions, ...rest } = terms;
        const body = {
          kind: d.type === "custom" ? "custom" : "package",
          name: d.name,
          rule,
          ...compact(rest as Record<string, unknown>),
          ...(stableJson(restrictions) !== stableJson(restrictionsOf(undefined)) ? { restrictions } : {}),
        };
        await unwrap(
          api.POST("/v1/topup-plans", {
            body: body as never,
            headers: { "idempotency-key": idempotencyKey() },
          }),
        );
        form.resetFields();
      }
      props.onClose();
      await client.invalidateQueries({ queryKey: ["/v1/topup-plans"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <PlanDialog {...props} onSave={save} error={error} createTitle="topup.createPlan" width={820}>
      <Form<PlanFormDraft>
        name={p ? "topup-plan-edit" : "topup-plan"}
        form={form}
        layout="vertical"
        initialValues={p ? planDraftOf(p, fmt.toMajor) : NEW_PLAN}
      >
        <PlanSections
          sections={sections}
          items={[
            section(
              "basic",
              "topupForm.section.basic",
              <BasicFields currency={p?.currency ?? fmt.currency} />,
            ),
            section(
              "rule",
              "topupForm.section.rule",
              <RuleFields
                type={type}
                types={
                  p ? (p.kind === "custom" ? ["custom"] : ["fixed", "range"]) : ["fixed", "range", "custom"]
                }
              />,
            ),
            section("schedule", "topupForm.section.schedule", <AvailabilityFields />),
            section(
              "scope",
              "topupForm.section.scope",
              <>
                <ScopeFields audience={audience} />
                <Form.Item name="tier_upgrade" label={t("topupForm.tierUpgrade")}>
                  <Select
                    allowClear
                    style={{ width: 260 }}
                    optionFilterProp="label"
                    loading={audience.loading}
                    options={audience.tiers}
                  />
                </Form.Item>
              </>,
            ),
            section(
              "perks",
              "topupForm.section.perks",
              <>
                <Form.Item name="gift" label={t("topupForm.gift")} rules={[giftRule]}>
                  <GiftField label={t("topupForm.gift")} />
                </Form.Item>
                <Form.Item name="first_topup_on" label={t("topupForm.firstBonus")} valuePropName="checked">
                  <Switch />
                </Form.Item>
                {firstOn ? (
                  <Space wrap align="start" style={ROW}>
                    <Form.Item name="first_bonus_percent" label={t("topupForm.firstBonusPercent")}>
                      <InputNumber min={0} max={100} precision={2} suffix="%" style={{ width: 140 }} />
                    </Form.Item>
                    <Form.Item name="first_points_percent" label={t("topupForm.firstPointsPercent")}>
                      <InputNumber min={0} max={1000} precision={2} suffix="%" style={{ width: 140 }} />
                    </Form.Item>
                    <Form.Item name="first_gift" label={t("topupForm.firstGift")} rules={[giftRule]}>
                      <GiftField label={t("topupForm.firstGift")} />
                    </Form.Item>
                  </Space>
                ) : null}
                <Space wrap align="start" style={ROW}>
                  <Form.Item name="benefit_ids" label={t("topupForm.benefits")}>
                    <Select
                      mode="multiple"
                      allowClear
                      style={{ minWidth: 320 }}
                      maxCount={20}
                      optionFilterProp="label"
                      loading={choices.loading}
                      options={choices.benefits}
                    />
                  </Form.Item>
                  {benefitIds?.length ? (
                    <Form.Item
                      name="benefit_days"
                      label={t("topupForm.benefitDays")}
                      rules={[{ required: true }]}
                      initialValue={30}
                    >
                      <InputNumber min={1} max={3660} precision={0} style={{ width: 140 }} />
                    </Form.Item>
                  ) : null}
                </Space>
                <CoverField />
              </>,
            ),
            section(
              "limits",
              "topupForm.section.limits",
              <>
                <Space wrap style={ROW}>
                  <ChannelsField />
                  <Form.Item name="visibility" label={t("topup.visibility")}>
                    <Select
                      style={{ width: 140 }}
                      options={(["shown", "hidden"] as const).map((v) => ({
                        value: v,
                        label: t(`topup.visibility.${v}`),
                      }))}
                    />
                  </Form.Item>
                  <Form.Item
                    name="first_topup_only"
                    label={t("topup.firstTopupOnly")}
                    valuePropName="checked"
                  >
                    <Switch />
                  </Form.Item>
                </Space>
                <Space wrap style={ROW}>
                  <Form.Item name="stock_limit" label={t("topup.stockLimit")}>
                    <InputNumber min={0} precision={0} style={{ width: 180 }} />
                  </Form.Item>
                  <Form.Item name="purchase_limit_per_member" label={t("topup.purchaseLimit")}>
                    <InputNumber min={1} precision={0} style={{ width: 180 }} />
                  </Form.Item>
                </Space>
                <Form.Item name="eligible_skus" label={t("topupForm.eligibleSkus")}>
                  <Select mode="tags" style={{ minWidth: 320 }} maxCount={100} open={false} />
                </Form.Item>
                <Space wrap style={ROW}>
                  <Form.Item name="same_day_percent" label={t("topupForm.sameDayPercent")}>
                    <InputNumber min={0} max={100} precision={2} suffix="%" style={{ width: 180 }} />
                  </Form.Item>
                  <Form.Item
                    name="no_bonus_on_topup_day"
                    label={t("topupForm.noBonusOnTopupDay")}
                    valuePropName="checked"
                  >
                    <Switch />
                  </Form.Item>
                </Space>
              </>,
            ),
            section("more", "topupForm.section.more", <AgreementField choices={choices} />),
          ]}
        />
      </Form>
    </PlanDialog>
  );
}

export function ruleText(r: Rule, t: ReturnType<typeof useI18n>["t"], money: (m: number) => string): string {
  if (r.type === "fixed")
    return t("topup.fixedText", {
      amount: money(r.amount),
      bonus: money(r.bonus_amount),
      points: r.bonus_points,
    });
  const range = `${money(r.min_amount)} – ${money(r.max_amount)}`;
  if (r.type === "range")
    return t("topup.rangeText", { range, bonus: r.bonus_bps / 100, points: r.points_bps / 100 });
  return t("topup.customText", { range, bonus: `${money(r.bonus_min)} – ${money(r.bonus_max)}` });
}

function Plans() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const { edit, createButton, dialogs } = usePlanDialogs(PlanForm, {
    permission: can("POST /v1/topup-plans"),
    label: t("topup.createPlan"),
  });
  const lifecycle = useLifecycleColumns<Plan>({
    base: "/v1/topup-plans",
    onEdit: edit,
    extra: (p) =>
      can("GET /v1/topup-plans/{id}/top-ups") ? (
        <Button size="small" onClick={() => navigate(`/topup/plans/${p.id}`)}>
          {t("topup.details")}
        </Button>
      ) : null,
  });
  const { filters, setFilters } = useUrlFilters(["q", "status"] as const);
  return (
    <>
      {createButton}
      <FilterBar name="topup-plan-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
        <Form.Item name="q" label={t("topup.name")}>
          <Input allowClear style={{ width: 200 }} />
        </Form.Item>
        <StatusFilter name="status" />
      </FilterBar>
      <CursorTable<Plan>
        queryKey={["/v1/topup-plans", filters]}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/topup-plans", { params: { query: { ...cursor, ...filters } as never } }),
          ) as unknown as Promise<Page<Plan>>
        }
        columns={[
          {
            title: t("topup.name"),
            dataIndex: "name",
            render: (name: string, p) =>
              can("GET /v1/topup-plans/{id}/top-ups") ? (
                <Link to={`/topup/plans/${p.id}`}>{name}</Link>
              ) : (
                name
              ),
          },
          { title: t("topup.kind"), dataIndex: "kind", render: (k: Plan["kind"]) => t(`topup.kind.${k}`) },
          {
            title: t("topup.terms"),
            dataIndex: ["terms", "rule"],
            render: (r: Rule) => ruleText(r, t, fmt.money),
          },
          ...lifecycle,
        ]}
      />
      {dialogs}
    </>
  );
}

interface TierDraft {
  type: "discount" | "gift" | "fixed";
  multiplier?: string;
  bonus_percent?: string;
  points_percent?: string;
  amount?: string;
  bonus_amount?: string;
  bonus_points?: number;
  gift?: GiftSpec;
  first_gift?: GiftSpec;
  first_bonus_percent?: number | null;
  first_points_percent?: number | null;
}

function tierOf(d: TierDraft, toMinor: (s: string) => number | undefined): SmartTier {
  const gifts = {
    ...(giftOrUndefined(d.gift) ? { gift: d.gift } : {}),
    ...(giftOrUndefined(d.first_gift) ? { first_topup_gift: d.first_gift } : {}),
  };
  if (d.type === "fixed")
    return {
      type: "fixed",
      amount: toMinor(d.amount ?? "") ?? 0,
      bonus_amount: toMinor(d.bonus_amount || "0") ?? 0,
      bonus_points: d.bonus_points ?? 0,
      ...gifts,
    };
  const common = { multiplier_bps: times(d.multiplier), bonus_bps: bps(d.bonus_percent) };
  if (d.type === "discount") return { type: "discount", ...common, ...gifts };
  const extraBonus = toBps(d.first_bonus_percent);
  const extraPoints = toBps(d.first_points_percent);
  return {
    type: "gift",
    ...common,
    points_bps: bps(d.points_percent),
    ...gifts,
    ...(extraBonus ? { first_topup_extra_bonus_bps: extraBonus } : {}),
    ...(extraPoints ? { first_topup_extra_points_bps: extraPoints } : {}),
  };
}

/** A saved tier as the form shows it (multiplier in times, rates in percent, amounts in major units). */
function tierDraftOf(tier: SmartTier, toMajor: (minor: number) => string): TierDraft {
  const gifts = { gift: tier.gift, first_gift: tier.first_topup_gift };
  if (tier.type === "fixed")
    return {
      type: "fixed",
      amount: toMajor(tier.amount),
      bonus_amount: toMajor(tier.bonus_amount),
      bonus_points: tier.bonus_points,
      ...gifts,
    };
  const common = {
    multiplier: String(tier.multiplier_bps / 10_000),
    bonus_percent: String(tier.bonus_bps / 100),
    ...gifts,
  };
  if (tier.type === "discount") return { type: "discount", ...common };
  return {
    type: "gift",
    ...common,
    points_percent: String(tier.points_bps / 100),
    first_bonus_percent: toPercent(tier.first_topup_extra_bonus_bps),
    first_points_percent: toPercent(tier.first_topup_extra_points_bps),
  };
}

interface SmartDraft {
  name: string;
  description?: string;
  availability?: Availability;
  store_scope?: StoreScope;
  audience?: AudienceDraft;
  rounding: string;
  min_topup_amount?: string;
  tiers: TierDraft[];
  first_topup_only: boolean;
  gift_stock_limit?: number | null;
  channels: ("pos" | "online")[];
  cover_image_id?: string | null;
  agreement_id?: string;
}

/** The smart plan's terms from the form; cleared values as the API takes them on an edit. */
function smartTermsOf(
  d: SmartDraft,
  before: SmartPlan["terms"] | undefined,
  toMinor: (s: string) => number | undefined,
) {
  return {
    name: d.name,
    description: d.description || undefined,
    availability: compact({ ...d.availability }),
    store_scope: compact(compactStoreScope(d.store_scope)),
    audience: audienceOf(d.audience, before?.audience),
    rounding: d.rounding,
    min_topup_amount: d.min_topup_amount ? toMinor(d.min_topup_amount) : undefined,
    tiers: d.tiers.map((tier) => tierOf(tier, toMinor)),
    first_topup_only: d.first_topup_only,
    gift_stock_limit: d.gift_stock_limit ?? null,
    channels: d.channels,
    cover_image_id: d.cover_image_id || undefined,
    agreement_id: d.agreement_id || undefined,
  };
}

const SMART_DEFAULTS = {
  first_topup_only: false,
  gift_stock_limit: null,
  channels: ["pos", "online"],
  rounding: "1",
};

function smartDraftOf(p: SmartPlan, toMajor: (minor: number) => string): SmartDraft {
  const x = p.terms;
  return {
    name: p.name,
    description: x.description ?? undefined,
    availability: x.availability,
    store_scope: x.store_scope,
    audience: audienceToDraft(x.audience),
    rounding: x.rounding ?? "1",
    min_topup_amount: x.min_topup_amount ? toMajor(x.min_topup_amount) : undefined,
    tiers: x.tiers.map((tier) => tierDraftOf(tier, toMajor)),
    first_topup_only: x.first_topup_only ?? false,
    gift_stock_limit: x.gift_stock_limit ?? null,
    channels: x.channels ?? ["pos", "online"],
    cover_image_id: x.cover_image_id ?? undefined,
    agreement_id: x.agreement_id ?? undefined,
  };
}

/** One tier's row: its type and rule, then its gift and what a first-time depositor gets. */
function TierFields(props: { name: number; index: number; type: TierDraft["type"]; onRemove?: () => void }) {
  const { t } = useI18n();
  const giftRule = useGiftRule();
  const { name, index: i, type } = props;
  const n = { n: i + 1 };
  return (
    <Card size="small" style={{ marginBottom: 8 }} data-testid={`smart-tier-${i + 1}`}>
      {/* The rule on one line, the tier's gifts below it. */}
      <Space wrap align="end" style={ROW}>
        <Form.Item name={[name, "type"]} label={t("topup.tier", n)}>
          <Select
            style={{ width: 140 }}
            options={(["discount", "gift", "fixed"] as const).map((v) => ({
              value: v,
              label: t(`topup.tierType.${v}`),
            }))}
          />
        </Form.Item>
        {type === "fixed" ? (
          <>
            <Form.Item name={[name, "amount"]} label={t("topup.amount")} rules={[{ required: true }]}>
              <Input inputMode="decimal" style={{ width: 110 }} />
            </Form.Item>
            <Form.Item name={[name, "bonus_amount"]} label={t("topup.bonusAmount")}>
              <Input inputMode="decimal" style={{ width: 110 }} />
            </Form.Item>
            <Form.Item name={[name, "bonus_points"]} label={t("topup.bonusPoints")}>
              <InputNumber min={0} precision={0} />
            </Form.Item>
          </>
        ) : (
          <>
            <Form.Item name={[name, "multiplier"]} label={t("topup.multiplier")} rules={[{ required: true }]}>
              <Input inputMode="decimal" suffix="×" style={{ width: 110 }} />
            </Form.Item>
            <Form.Item name={[name, "bonus_percent"]} label={t("topup.bonusPercent")}>
              <Input inputMode="decimal" suffix="%" style={{ width: 110 }} />
            </Form.Item>
            {type === "gift" ? (
              <Form.Item name={[name, "points_percent"]} label={t("topup.pointsPercent")}>
                <Input inputMode="decimal" suffix="%" style={{ width: 110 }} />
              </Form.Item>
            ) : null}
          </>
        )}
        {props.onRemove ? (
          <Form.Item>
            <Button onClick={props.onRemove}>{t("common.delete")}</Button>
          </Form.Item>
        ) : null}
      </Space>
      <Space wrap align="start" style={ROW}>
        <Form.Item name={[name, "gift"]} label={t("topupForm.tierGift", n)} rules={[giftRule]}>
          <GiftField label={t("topupForm.tierGift", n)} />
        </Form.Item>
        {type === "gift" ? (
          <>
            <Form.Item name={[name, "first_bonus_percent"]} label={t("topupForm.tierFirstBonus", n)}>
              <InputNumber min={0} max={100} precision={2} suffix="%" style={{ width: 120 }} />
            </Form.Item>
            <Form.Item name={[name, "first_points_percent"]} label={t("topupForm.tierFirstPoints", n)}>
              <InputNumber min={0} max={1000} precision={2} suffix="%" style={{ width: 120 }} />
            </Form.Item>
          </>
        ) : null}
        <Form.Item name={[name, "first_gift"]} label={t("topupForm.tierFirstGift", n)} rules={[giftRule]}>
          <GiftField label={t("topupForm.tierFirstGift", n)} />
        </Form.Item>
      </Space>
    </Card>
  );
}

/**
 * Create or edit a smart top-up plan (seed 001 §2.4.2): basics, validity, where and for whom,
 * the top-up settings and up to 9 tiers with their gifts, restrictions, cover and agreement.
 * Editing sends only what changed.
 */
function SmartPlanForm(props: { open: boolean; plan: SmartPlan | undefined; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const p = props.plan;
  const [form] = Form.useForm<SmartDraft>();
  const tiers = Form.useWatch("tiers", form) ?? [];
  const choices = usePlanChoices(props.open);
  const [error, setError] = useState<unknown>();
  const sections = useSections(["basic", "rule"]);
  const save = async () => {
    const d = await validateOpening(form, sections.open, []);
    if (!d) return;
    setError(undefined);
    const terms = smartTermsOf(d, p?.terms, fmt.toMinor);
    try {
      if (p) {
        const before = { ...SMART_DEFAULTS, ...p.terms, name: p.name } as Record<string, unknown>;
        const changes = changedTerms(terms, before);
        if (Object.keys(changes).length > 0)
          await unwrap(
            api.PATCH("/v1/smart-topup-plans/{id}", {
              params: { path: { id: p.id } },
              body: changes as never,
            }),
          );
        message.success(t("topup.saved"));
      } else {
        const body: Record<string, unknown> = { ...compact(terms as Record<string, unknown>) };
        for (const [key, v] of Object.entries(SMART_DEFAULTS))
          if (key !== "rounding" && stableJson(body[key]) === stableJson(v)) delete body[key];
        await unwrap(
          api.POST("/v1/smart-topup-plans", {
            body: body as never,
            headers: { "idempotency-key": idempotencyKey() },
          }),
        );
        form.resetFields();
      }
      props.onClose();
      await client.invalidateQueries({ queryKey: ["/v1/smart-topup-plans"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <PlanDialog {...props} onSave={save} error={error} createTitle="topup.createSmartPlan" width={860}>
      <Form<SmartDraft>
        name={p ? "smart-plan-edit" : "smart-plan"}
        form={form}
        layout="vertical"
        initialValues={
          p
            ? smartDraftOf(p, fmt.toMajor)
            : {
                ...SMART_DEFAULTS,
                audience: audienceToDraft(),
                tiers: [{ type: "discount", multiplier: "1.2", bonus_percent: "8" }],
              }
        }
      >
        <PlanSections
          sections={sections}
          items={[
            section(
              "basic",
              "topupForm.section.basic",
              <BasicFields currency={p?.currency ?? fmt.currency} />,
            ),
            section("schedule", "topupForm.section.schedule", <AvailabilityFields />),
            section("scope", "topupForm.section.scope", <ScopeFields />),
            section(
              "rule",
              "topupForm.section.smartRule",
              <>
                <Space wrap style={ROW}>
                  <Form.Item
                    name="min_topup_amount"
                    label={t("topup.minTopup")}
                    rules={[{ pattern: /^\d+(\.\d{1,2})?$/ }]}
                  >
                    <Input inputMode="decimal" style={{ width: 140 }} />
                  </Form.Item>
                  <Form.Item name="rounding" label={t("topup.rounding")}>
                    <Select
                      style={{ width: 100 }}
                      options={["0.1", "1", "10", "100"].map((v) => ({ value: v, label: v }))}
                    />
                  </Form.Item>
                </Space>
                <Form.List name="tiers">
                  {(fields, { add, remove }) => (
                    <>
                      {fields.map((field, i) => (
                        <TierFields
                          key={field.key}
                          name={field.name}
                          index={i}
                          type={tiers[i]?.type ?? "discount"}
                          onRemove={fields.length > 1 ? () => remove(field.name) : undefined}
                        />
                      ))}
                      {fields.length < 9 ? (
                        <Button icon={<PlusOutlined />} onClick={() => add({ type: "discount" })}>
                          {t("topup.addTier")}
                        </Button>
                      ) : null}
                    </>
                  )}
                </Form.List>
              </>,
            ),
            section(
              "limits",
              "topupForm.section.limits",
              <Space wrap style={ROW}>
                <Form.Item
                  name="first_topup_only"
                  label={t("topupForm.smartFirstOnly")}
                  valuePropName="checked"
                >
                  <Switch />
                </Form.Item>
                <Form.Item name="gift_stock_limit" label={t("topupForm.giftStock")}>
                  <InputNumber min={0} precision={0} style={{ width: 180 }} />
                </Form.Item>
                <ChannelsField />
              </Space>,
            ),
            section(
              "more",
              "topupForm.section.coverAgreement",
              <>
                <CoverField />
                <AgreementField choices={choices} />
              </>,
            ),
          ]}
        />
      </Form>
    </PlanDialog>
  );
}

function SmartPlans() {
  const { t } = useI18n();
  const { can } = useSession();
  const { edit, createButton, dialogs } = usePlanDialogs(SmartPlanForm, {
    permission: can("POST /v1/smart-topup-plans"),
    label: t("topup.createSmartPlan"),
  });
  const lifecycle = useLifecycleColumns<SmartPlan>({ base: "/v1/smart-topup-plans", onEdit: edit });
  // Its own key in the address: the plans tab beside it keeps its `status`.
  const { filters, setFilters } = useUrlFilters(["smart_status"] as const);
  const status = filters.smart_status as Status | undefined;
  return (
    <>
      {createButton}
      <FilterBar name="smart-topup-plan-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
        <StatusFilter name="smart_status" />
      </FilterBar>
      <CursorTable<SmartPlan>
        queryKey={["/v1/smart-topup-plans", status]}
        fetchPage={(cursor) =>
          unwrap(
            api.GET("/v1/smart-topup-plans", {
              params: { query: { ...cursor, ...(status ? { status } : {}) } },
            }),
          ) as unknown as Promise<Page<SmartPlan>>
        }
        columns={[
          { title: t("topup.name"), dataIndex: "name" },
          {
            title: t("topup.tiers"),
            dataIndex: ["terms", "tiers"],
            render: (tiers: SmartPlan["terms"]["tiers"]) =>
              tiers.map((tier) => t(`topup.tierType.${tier.type}`)).join(" / "),
          },
          { title: t("topup.rounding"), dataIndex: ["terms", "rounding"] },
          ...lifecycle,
        ]}
      />
      {dialogs}
    </>
  );
}

function RechargeCodes() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const client = useQueryClient();
  const [planId, setPlanId] = useState<string>();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<{ scenario: string; channel: "pos" | "online" }>();
  const plans = useQuery({
    queryKey: ["/v1/topup-plans", "choices"],
    queryFn: () =>
      unwrap(api.GET("/v1/topup-plans", { params: { query: { limit: 100 } } })) as unknown as Promise<
        Page<Plan>
      >,
  });
  const codes = useQuery({
    queryKey: ["recharge-codes", planId],
    enabled: planId !== undefined,
    queryFn: () =>
      unwrap(
        api.GET("/v1/topup-plans/{id}/recharge-codes", {
          params: { path: { id: planId! }, query: { limit: 100 } },
        }),
      ) as Promise<Page<RechargeCode>>,
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["recharge-codes", planId] });
  const create = async () => {
    const v = await form.validateFields();
    setError(undefined);
    try {
      await unwrap(
        api.POST("/v1/topup-plans/{id}/recharge-codes", {
          params: { path: { id: planId! } },
          body: v,
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      setOpen(false);
      form.resetFields();
      await refresh();
    } catch (e) {
      setError(e);
    }
  };
  const disable = async (id: string) => {
    await unwrap(api.POST("/v1/recharge-codes/{id}/disable", { params: { path: { id } } }));
    await refresh();
  };
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Select
          aria-label={t("topup.plan")}
          placeholder={t("topup.choosePlan")}
          style={{ width: 280 }}
          value={planId}
          onChange={setPlanId}
          options={(plans.data?.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
        />
        {planId && can("POST /v1/topup-plans/{id}/recharge-codes") ? (
          <Button icon={<PlusOutlined />} onClick={() => setOpen(true)}>
            {t("topup.createCode")}
          </Button>
        ) : null}
      </Space>
      <ProblemAlert error={plans.error ?? codes.error} />
      <Table<RechargeCode>
        rowKey="id"
        loading={codes.isFetching}
        pagination={false}
        dataSource={codes.data?.data ?? []}
        columns={[
          { title: t("topup.code"), dataIndex: "code", render: (c) => <Tag>{c}</Tag> },
          { title: t("topup.scenario"), dataIndex: "scenario" },
          {
            title: t("topup.channel"),
            dataIndex: "channel",
            render: (c: RechargeCode["channel"]) => t(`topup.channel.${c}`),
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: RechargeCode["status"]) => (
              <Tag color={s === "active" ? "green" : "default"}>{t(`topup.codeStatus.${s}`)}</Tag>
            ),
          },
          { title: t("common.createdAt"), dataIndex: "created_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, c) =>
              c.status === "active" && can("POST /v1/recharge-codes/{id}/disable") ? (
                <Button size="small" danger onClick={() => disable(c.id)}>
                  {t("topup.disable")}
                </Button>
              ) : null,
          },
        ]}
      />
      <Modal
        open={open}
        title={t("topup.createCode")}
        onOk={create}
        onCancel={() => setOpen(false)}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
        destroyOnHidden
      >
        <ProblemAlert error={error} />
        <Form name="recharge-code" form={form} layout="vertical" initialValues={{ channel: "pos" }}>
          <Form.Item name="scenario" label={t("topup.scenario")} rules={[{ required: true, max: 100 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="channel" label={t("topup.channel")}>
            <Select
              options={(["pos", "online"] as const).map((v) => ({
                value: v,
                label: t(`topup.channel.${v}`),
              }))}
            />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

/** Top-up plans (packages and custom), smart top-up plans and recharge codes. */
export default function TopupPlans() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("nav.topup")} />
      <Card>
        <Tabs
          items={[
            { key: "plans", label: t("topup.plans"), children: <Plans /> },
            { key: "smart", label: t("topup.smartPlans"), children: <SmartPlans /> },
            { key: "codes", label: t("topup.codes"), children: <RechargeCodes /> },
          ]}
        />
      </Card>
    </>
  );
}
