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
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { FormDialog } from "../components/FormDialog";
import { FilterBar, PageHeader } from "../components/Page";
import { ProblemAlert, useProblemText } from "../components/problems";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";

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
  [other: string]: unknown;
}
export interface Plan {
  id: string;
  name: string;
  kind: "package" | "custom";
  status: Status;
  currency: string;
  terms: { rule: Rule; description?: string | null; restrictions?: PlanRestrictions };
  updated_at: string;
}
interface SmartPlan {
  id: string;
  name: string;
  status: Status;
  terms: { rounding?: string; tiers: { type: "discount" | "gift" | "fixed" }[] };
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

function CreatePlan({ open, onClose }: { open: boolean; onClose(): void }) {
  const { t, fmt } = useI18n();
  const client = useQueryClient();
  const [form] = Form.useForm<PlanDraft>();
  const type = Form.useWatch("type", form) ?? "fixed";
  const [error, setError] = useState<unknown>();
  const save = async () => {
    const d = await form.validateFields().catch(() => undefined);
    if (!d) return;
    setError(undefined);
    try {
      const body = {
        kind: d.type === "custom" ? "custom" : "package",
        name: d.name,
        rule: ruleOf(d, fmt.toMinor),
      };
      await unwrap(
        api.POST("/v1/topup-plans", {
          body: body as never,
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      form.resetFields();
      onClose();
      await client.invalidateQueries({ queryKey: ["/v1/topup-plans"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <FormDialog open={open} title={t("topup.createPlan")} onSave={save} onCancel={onClose} error={error}>
      <Form
        name="topup-plan"
        form={form}
        layout="vertical"
        initialValues={{ type: "fixed", bonus_points: 0, points_min: 0, points_max: 0 }}
      >
        <Form.Item name="name" label={t("topup.name")} rules={[{ required: true, max: 100 }]}>
          <Input />
        </Form.Item>
        <RuleFields type={type} types={["fixed", "range", "custom"]} />
      </Form>
    </FormDialog>
  );
}

interface EditPlanDraft extends PlanDraft {
  description?: string;
  channels: ("pos" | "online")[];
  visibility: "shown" | "hidden";
  first_topup_only: boolean;
  stock_limit?: number | null;
  purchase_limit_per_member?: number | null;
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
  };
}

/**
 * Edit a top-up plan (seed 001 §2.3.3): its name, description, rule and the restrictions the
 * seed lists (channels, visibility, first top-up only, stock, purchases per member); the
 * restrictions it does not show here (eligible products, same-day limits) are kept. Later
 * top-ups follow the new terms; only what changed is sent.
 */
function EditPlan(props: { plan: Plan | undefined; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<EditPlanDraft>();
  const p = props.plan;
  const type = Form.useWatch("type", form) ?? p?.terms.rule.type ?? "fixed";
  const [error, setError] = useState<unknown>();
  const save = async () => {
    if (!p) return;
    const d = await form.validateFields().catch(() => undefined);
    if (!d) return;
    setError(undefined);
    const changes: Record<string, unknown> = {};
    if (d.name !== p.name) changes.name = d.name;
    if ((d.description || null) !== (p.terms.description ?? null))
      changes.description = d.description || null;
    const rule = ruleOf(d, fmt.toMinor);
    if (JSON.stringify(rule) !== JSON.stringify(p.terms.rule)) changes.rule = rule;
    const before = restrictionsOf(p.terms.restrictions);
    const after: PlanRestrictions = {
      ...before,
      channels: d.channels,
      visibility: d.visibility,
      first_topup_only: d.first_topup_only,
      stock_limit: d.stock_limit ?? null,
      purchase_limit_per_member: d.purchase_limit_per_member ?? null,
    };
    if (JSON.stringify(after) !== JSON.stringify(before)) changes.restrictions = after;
    try {
      if (Object.keys(changes).length > 0) {
        await unwrap(
          api.PATCH("/v1/topup-plans/{id}", { params: { path: { id: p.id } }, body: changes as never }),
        );
        await client.invalidateQueries({ queryKey: ["/v1/topup-plans"] });
      }
      message.success(t("topup.saved"));
      props.onClose();
    } catch (e) {
      setError(e);
    }
  };
  const r = restrictionsOf(p?.terms.restrictions);
  return (
    <FormDialog
      open={p !== undefined}
      title={p ? t("topup.editTitle", { name: p.name }) : ""}
      onSave={save}
      onCancel={props.onClose}
      error={error}
      width={640}
    >
      {p ? (
        <Form<EditPlanDraft>
          name="topup-plan-edit"
          form={form}
          layout="vertical"
          initialValues={{
            ...draftOf(p.terms.rule, fmt.toMajor),
            name: p.name,
            description: p.terms.description ?? undefined,
            channels: r.channels,
            visibility: r.visibility,
            first_topup_only: r.first_topup_only,
            stock_limit: r.stock_limit,
            purchase_limit_per_member: r.purchase_limit_per_member,
          }}
        >
          <Form.Item name="name" label={t("topup.name")} rules={[{ required: true, max: 100 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="description" label={t("topup.description")}>
            <Input.TextArea rows={2} maxLength={4000} />
          </Form.Item>
          <RuleFields type={type} types={p.kind === "custom" ? ["custom"] : ["fixed", "range"]} />
          <Space wrap>
            <Form.Item name="channels" label={t("topup.channels")} rules={[{ required: true }]}>
              <Select
                mode="multiple"
                style={{ minWidth: 180 }}
                options={(["pos", "online"] as const).map((v) => ({
                  value: v,
                  label: t(`topup.channel.${v}`),
                }))}
              />
            </Form.Item>
            <Form.Item name="visibility" label={t("topup.visibility")}>
              <Select
                style={{ width: 140 }}
                options={(["shown", "hidden"] as const).map((v) => ({
                  value: v,
                  label: t(`topup.visibility.${v}`),
                }))}
              />
            </Form.Item>
            <Form.Item name="first_topup_only" label={t("topup.firstTopupOnly")} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Space>
          <Space wrap>
            <Form.Item name="stock_limit" label={t("topup.stockLimit")}>
              <InputNumber min={0} precision={0} style={{ width: 180 }} />
            </Form.Item>
            <Form.Item name="purchase_limit_per_member" label={t("topup.purchaseLimit")}>
              <InputNumber min={1} precision={0} style={{ width: 180 }} />
            </Form.Item>
          </Space>
        </Form>
      ) : null}
    </FormDialog>
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
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Plan>();
  const { filters, setFilters } = useUrlFilters(["q", "status"] as const);
  return (
    <>
      {can("POST /v1/topup-plans") ? (
        <Button icon={<PlusOutlined />} style={{ marginBottom: 12 }} onClick={() => setCreating(true)}>
          {t("topup.createPlan")}
        </Button>
      ) : null}
      <FilterBar name="topup-plan-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
        <Form.Item name="q" label={t("topup.name")}>
          <Input allowClear style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 120 }}
            options={(["active", "inactive", "archived"] as const).map((v) => ({
              value: v,
              label: t(`topup.status.${v}`),
            }))}
          />
        </Form.Item>
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
          { title: t("common.status"), dataIndex: "status", render: (s: Status) => <StatusTag status={s} /> },
          { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, p) => (
              <Space>
                {can("GET /v1/topup-plans/{id}/top-ups") ? (
                  <Button size="small" onClick={() => navigate(`/topup/plans/${p.id}`)}>
                    {t("topup.details")}
                  </Button>
                ) : null}
                {p.status !== "archived" && can("PATCH /v1/topup-plans/{id}") ? (
                  <Button size="small" onClick={() => setEditing(p)}>
                    {t("topup.edit")}
                  </Button>
                ) : null}
                <StatusButtons base="/v1/topup-plans" id={p.id} name={p.name} status={p.status} />
              </Space>
            ),
          },
        ]}
      />
      <CreatePlan open={creating} onClose={() => setCreating(false)} />
      <EditPlan plan={editing} onClose={() => setEditing(undefined)} />
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
}

function tierOf(d: TierDraft, toMinor: (s: string) => number | undefined) {
  if (d.type === "fixed")
    return {
      type: "fixed",
      amount: toMinor(d.amount ?? "") ?? 0,
      bonus_amount: toMinor(d.bonus_amount ?? "0") ?? 0,
      bonus_points: d.bonus_points ?? 0,
    };
  const common = { multiplier_bps: times(d.multiplier), bonus_bps: bps(d.bonus_percent) };
  return d.type === "gift"
    ? { type: "gift", ...common, points_bps: bps(d.points_percent) }
    : { type: "discount", ...common };
}

function CreateSmartPlan({ open, onClose }: { open: boolean; onClose(): void }) {
  const { t, fmt } = useI18n();
  const client = useQueryClient();
  const [form] = Form.useForm<{
    name: string;
    rounding: string;
    min_topup_amount?: string;
    tiers: TierDraft[];
  }>();
  const tiers = Form.useWatch("tiers", form) ?? [];
  const [error, setError] = useState<unknown>();
  const save = async () => {
    const d = await form.validateFields();
    setError(undefined);
    try {
      const body = {
        name: d.name,
        rounding: d.rounding,
        ...(d.min_topup_amount ? { min_topup_amount: fmt.toMinor(d.min_topup_amount) } : {}),
        tiers: d.tiers.map((tier) => tierOf(tier, fmt.toMinor)),
      };
      await unwrap(
        api.POST("/v1/smart-topup-plans", {
          body: body as never,
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      form.resetFields();
      onClose();
      await client.invalidateQueries({ queryKey: ["/v1/smart-topup-plans"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      open={open}
      title={t("topup.createSmartPlan")}
      onOk={save}
      onCancel={onClose}
      okText={t("common.save")}
      cancelText={t("common.cancel")}
      width={720}
      destroyOnHidden
    >
      <ProblemAlert error={error} />
      <Form
        name="smart-plan"
        form={form}
        layout="vertical"
        initialValues={{
          rounding: "1",
          tiers: [{ type: "discount", multiplier: "1.2", bonus_percent: "8" }],
        }}
      >
        <Space wrap>
          <Form.Item name="name" label={t("topup.name")} rules={[{ required: true, max: 100 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="rounding" label={t("topup.rounding")}>
            <Select
              style={{ width: 100 }}
              options={["0.1", "1", "10", "100"].map((v) => ({ value: v, label: v }))}
            />
          </Form.Item>
          <Form.Item name="min_topup_amount" label={t("topup.minTopup")}>
            <Input inputMode="decimal" />
          </Form.Item>
        </Space>
        <Form.List name="tiers">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field, i) => {
                const type = tiers[i]?.type ?? "discount";
                return (
                  <Space key={field.key} wrap align="end">
                    <Form.Item name={[field.name, "type"]} label={t("topup.tier", { n: i + 1 })}>
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
                        <Form.Item
                          name={[field.name, "amount"]}
                          label={t("topup.amount")}
                          rules={[{ required: true }]}
                        >
                          <Input inputMode="decimal" style={{ width: 110 }} />
                        </Form.Item>
                        <Form.Item name={[field.name, "bonus_amount"]} label={t("topup.bonusAmount")}>
                          <Input inputMode="decimal" style={{ width: 110 }} />
                        </Form.Item>
                        <Form.Item name={[field.name, "bonus_points"]} label={t("topup.bonusPoints")}>
                          <InputNumber min={0} precision={0} />
                        </Form.Item>
                      </>
                    ) : (
                      <>
                        <Form.Item
                          name={[field.name, "multiplier"]}
                          label={t("topup.multiplier")}
                          rules={[{ required: true }]}
                        >
                          <Input inputMode="decimal" suffix="×" style={{ width: 110 }} />
                        </Form.Item>
                        <Form.Item name={[field.name, "bonus_percent"]} label={t("topup.bonusPercent")}>
                          <Input inputMode="decimal" suffix="%" style={{ width: 110 }} />
                        </Form.Item>
                        {type === "gift" ? (
                          <Form.Item name={[field.name, "points_percent"]} label={t("topup.pointsPercent")}>
                            <Input inputMode="decimal" suffix="%" style={{ width: 110 }} />
                          </Form.Item>
                        ) : null}
                      </>
                    )}
                    {fields.length > 1 ? (
                      <Form.Item>
                        <Button onClick={() => remove(field.name)}>{t("common.delete")}</Button>
                      </Form.Item>
                    ) : null}
                  </Space>
                );
              })}
              {fields.length < 9 ? (
                <Button icon={<PlusOutlined />} onClick={() => add({ type: "discount" })}>
                  {t("topup.addTier")}
                </Button>
              ) : null}
            </>
          )}
        </Form.List>
      </Form>
    </Modal>
  );
}

function SmartPlans() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const [creating, setCreating] = useState(false);
  return (
    <>
      {can("POST /v1/smart-topup-plans") ? (
        <Button icon={<PlusOutlined />} style={{ marginBottom: 12 }} onClick={() => setCreating(true)}>
          {t("topup.createSmartPlan")}
        </Button>
      ) : null}
      <CursorTable<SmartPlan>
        queryKey={["/v1/smart-topup-plans"]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/smart-topup-plans", { params: { query: cursor } })) as unknown as Promise<
            Page<SmartPlan>
          >
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
          { title: t("common.status"), dataIndex: "status", render: (s: Status) => <StatusTag status={s} /> },
          { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, p) => (
              <Space>
                <StatusButtons base="/v1/smart-topup-plans" id={p.id} name={p.name} status={p.status} />
              </Space>
            ),
          },
        ]}
      />
      <CreateSmartPlan open={creating} onClose={() => setCreating(false)} />
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
