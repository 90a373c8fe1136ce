import { PlusOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Radio,
  Select,
  Space,
  Switch,
  Tabs,
  Tag,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { everyValueOf } from "../../../api/enums";
import type { operations } from "../../../api/openapi";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { changedFields, sameJson } from "../components/changes";
import { FormDialog } from "../components/FormDialog";
import { FormRows } from "../components/FormRows";
import { ImageField } from "../components/ImageField";
import { FilterBar, PageHeader } from "../components/Page";
import { useProblemText } from "../components/problems";
import { compactStoreScope, type StoreScope, StoreScopeField } from "../components/StoreScopeField";
import { useAmountRule } from "../components/ValueDialog";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import GiftCardDetail from "./GiftCardDetail";
import { GiftCardActivities, SoldGiftCards } from "./GiftCardLists";

type Plan = components["schemas"]["GiftCardPlan"];
type DesignTemplate = Extract<
  NonNullable<operations["createGiftCardPlan"]["requestBody"]>["content"]["application/json"]["design"],
  { kind: "template" }
>["template"];
const DESIGNS = everyValueOf<DesignTemplate>()([
  "classic",
  "celebration",
  "birthday",
  "thank_you",
  "festival",
  "minimal",
]);
const CHANNELS = everyValueOf<components["schemas"]["GiftCardPlan"]["channels"][number]>()(["POS", "ONLINE"]);
/** What a buyer is asked for ("Required Purchase Information"); a card number only for physical cards. */
const BUYER_FIELDS = ["name", "phone", "email", "card_number"] as const;
const FIELD_RULES = ["required", "optional", "off"] as const;
type BuyerInfo = Plan["buyer_info"];

interface Draft {
  name: string;
  card_type: Plan["card_type"];
  store_scope?: StoreScope;
  design_kind: Design["kind"];
  template: (typeof DESIGNS)[number];
  image_id?: string | null;
  denominations?: { amount?: string; discount?: string }[];
  custom?: boolean;
  custom_min?: string;
  custom_max?: string;
  custom_discount_bps?: number;
  validity_kind: "after_purchase" | "fixed" | "none";
  years?: number;
  months?: number;
  days?: number;
  until?: Dayjs;
  channels: Plan["channels"];
  pos_recharge?: boolean;
  buyer_info: BuyerInfo;
  terms_agreement_id?: string | null;
}

type Validity =
  | { kind: "after_purchase"; years?: number; months?: number; days?: number }
  | { kind: "fixed"; until: string }
  | { kind: "none" };
type Design = { kind: "template"; template: (typeof DESIGNS)[number] } | { kind: "image"; image_id: string };

/** A validity in one shape, so an unchanged one compares equal to what the API holds. */
function normalValidity(v: Validity): Validity {
  return v.kind === "after_purchase"
    ? { kind: v.kind, years: v.years ?? 0, months: v.months ?? 0, days: v.days ?? 0 }
    : v;
}

function validityOf(d: Pick<Draft, "validity_kind" | "years" | "months" | "days" | "until">): Validity {
  return d.validity_kind === "after_purchase"
    ? { kind: "after_purchase", years: d.years ?? 0, months: d.months ?? 0, days: d.days ?? 0 }
    : d.validity_kind === "fixed"
      ? { kind: "fixed", until: d.until!.format("YYYY-MM-DD") }
      : { kind: "none" };
}

function validityDraft(v: Validity) {
  return {
    validity_kind: v.kind,
    ...(v.kind === "after_purchase" ? { years: v.years ?? 0, months: v.months ?? 0, days: v.days ?? 0 } : {}),
    ...(v.kind === "fixed" ? { until: dayjs(v.until) } : {}),
  };
}

type DesignDraft = Pick<Draft, "design_kind" | "template" | "image_id">;

/** A plan's design as the design fields hold it. */
function designDraft(design: Design): DesignDraft {
  return design.kind === "template"
    ? { design_kind: "template", template: design.template }
    : { design_kind: "image", image_id: design.image_id, template: "classic" };
}

function designOf(d: DesignDraft): Design {
  return d.design_kind === "image"
    ? { kind: "image", image_id: d.image_id! }
    : { kind: "template", template: d.template };
}

/** The design: a built-in template, or an image uploaded for it. */
function DesignFields() {
  const { t } = useI18n();
  const designKind = Form.useWatch("design_kind", Form.useFormInstance());
  return (
    <Space wrap align="start">
      <Form.Item name="design_kind" label={t("gc.plan.design")}>
        <Radio.Group
          optionType="button"
          options={(["template", "image"] as const).map((v) => ({
            value: v,
            label: t(`gc.plan.design.${v}`),
          }))}
        />
      </Form.Item>
      {designKind === "image" ? (
        <Form.Item
          name="image_id"
          label={t("gc.plan.designImage")}
          rules={[{ required: true, message: t("gc.plan.designImageNeeded") }]}
        >
          <ImageField
            purpose="card_design"
            uploadLabel={t("gc.plan.uploadDesign")}
            previewTestId="card-design-preview"
          />
        </Form.Item>
      ) : (
        <Form.Item name="template" label={t("gc.plan.template")}>
          <Select
            style={{ width: 140 }}
            options={DESIGNS.map((v) => ({ value: v, label: t(`gc.design.${v}`) }))}
          />
        </Form.Item>
      )}
    </Space>
  );
}

/** A plan as the form shows it: amounts in major units. */
function draftOf(p: Plan, toMajor: (minor: number) => string): Partial<Draft> {
  const design = p.design as Design;
  return {
    name: p.name,
    card_type: p.card_type,
    store_scope: compactStoreScope(p.store_scope as StoreScope),
    ...designDraft(design),
    denominations: p.denominations.map((d) => ({ amount: toMajor(d.amount), discount: toMajor(d.discount) })),
    custom: p.custom_amount !== null,
    ...(p.custom_amount
      ? {
          custom_min: toMajor(p.custom_amount.min),
          custom_max: toMajor(p.custom_amount.max),
          custom_discount_bps: p.custom_amount.discount_bps,
        }
      : {}),
    ...validityDraft(p.validity as Validity),
    channels: p.channels,
    pos_recharge: p.pos_recharge,
    buyer_info: p.buyer_info,
    // A select shows its placeholder ("None") only for undefined, not for null.
    terms_agreement_id: p.terms_agreement_id ?? undefined,
  };
}

/** The tenant's active gift card terms, to pick the plan's "Terms of Use" from. */
function useGiftCardTerms(enabled: boolean) {
  return useQuery({
    queryKey: ["agreements", "gift_card_terms"],
    enabled,
    queryFn: () =>
      unwrap(
        api.GET("/v1/agreements", {
          params: { query: { type: "gift_card_terms", status: "active", limit: 100 } },
        }),
      ),
  });
}

/** How long a card stays valid: after purchase, until a date, or no expiry. */
function ValidityFields(props: { kind: Draft["validity_kind"] | undefined }) {
  const { t } = useI18n();
  return (
    <Space wrap>
      <Form.Item name="validity_kind" label={t("gc.plan.validity")}>
        <Select
          style={{ width: 160 }}
          options={(["after_purchase", "fixed", "none"] as const).map((v) => ({
            value: v,
            label: t(`gc.plan.validity.${v}`),
          }))}
        />
      </Form.Item>
      {props.kind === "after_purchase" ? (
        <>
          <Form.Item name="years" label={t("gc.plan.years")}>
            <InputNumber min={0} max={10} />
          </Form.Item>
          <Form.Item name="months" label={t("gc.plan.months")}>
            <InputNumber min={0} max={120} />
          </Form.Item>
          <Form.Item name="days" label={t("gc.plan.days")}>
            <InputNumber min={0} max={3660} />
          </Form.Item>
        </>
      ) : null}
      {props.kind === "fixed" ? (
        <Form.Item name="until" label={t("gc.plan.until")} rules={[{ required: true }]}>
          <DatePicker />
        </Form.Item>
      ) : null}
    </Space>
  );
}

/**
 * The plan form, to create a plan or edit one (seed 001 §2.5.2, §2.5.3 "Edit Gift Card"):
 * amounts in major units, turned into minor units exactly; the design a built-in template or an
 * uploaded image. An edit sends only what changed.
 */
function PlanForm(props: { open: boolean; plan?: Plan; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Draft>();
  const validityKind = Form.useWatch("validity_kind", form);
  const custom = Form.useWatch("custom", form);
  const cardType = Form.useWatch("card_type", form);
  const [error, setError] = useState<unknown>();
  const minor = (text?: string) => (text ? (fmt.toMinor(text) ?? Number.NaN) : 0);
  const amountRule = useAmountRule();
  const terms = useGiftCardTerms(props.open);
  const editing = props.plan;
  const submit = async () => {
    const d = await form.validateFields().catch(() => undefined);
    if (!d) return;
    const denominations = (d.denominations ?? [])
      .filter((x) => x.amount)
      .map((x) => ({ amount: minor(x.amount), discount: minor(x.discount) }));
    if (denominations.length === 0 && !d.custom) {
      setError(new Error(t("gc.plan.needAmount")));
      return;
    }
    setError(undefined);
    const validity = validityOf(d);
    const design = designOf(d);
    const body: Record<string, unknown> = {
      name: d.name,
      card_type: d.card_type,
      store_scope: compactStoreScope(d.store_scope),
      design,
      denominations,
      custom_amount: d.custom
        ? {
            min: minor(d.custom_min),
            max: minor(d.custom_max),
            discount_bps: d.custom_discount_bps ?? 0,
          }
        : null,
      // Only a physical card is sold by its number: an electronic plan never asks for one.
      buyer_info: {
        ...d.buyer_info,
        card_number: d.card_type === "physical" ? d.buyer_info.card_number : "off",
      },
      validity,
      channels: d.channels,
      pos_recharge: d.pos_recharge ?? false,
      terms_agreement_id: d.terms_agreement_id ?? null,
    };
    try {
      if (editing) {
        const before: Record<string, unknown> = {
          name: editing.name,
          card_type: editing.card_type,
          store_scope: compactStoreScope(editing.store_scope as StoreScope),
          design: editing.design,
          denominations: editing.denominations.map((x) => ({ amount: x.amount, discount: x.discount })),
          custom_amount: editing.custom_amount
            ? {
                min: editing.custom_amount.min,
                max: editing.custom_amount.max,
                discount_bps: editing.custom_amount.discount_bps,
              }
            : null,
          buyer_info: editing.buyer_info,
          validity: normalValidity(editing.validity as Validity),
          channels: editing.channels,
          pos_recharge: editing.pos_recharge,
          terms_agreement_id: editing.terms_agreement_id,
        };
        const changes = changedFields(body, before);
        if (Object.keys(changes).length > 0) {
          await unwrap(
            api.PATCH("/v1/gift-card-plans/{id}", {
              params: { path: { id: editing.id } },
              body: changes as never,
            }),
          );
        }
        message.success(t("gc.plan.saved"));
      } else {
        await unwrap(
          api.POST("/v1/gift-card-plans", {
            body: body as never,
            headers: { "idempotency-key": idempotencyKey() },
          }),
        );
        message.success(t("gc.plan.created"));
        form.resetFields();
      }
      props.onClose();
      await client.invalidateQueries({ queryKey: ["gift-card-plans"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <FormDialog
      open={props.open}
      title={editing ? t("gc.plan.editTitle", { name: editing.name }) : t("gc.plan.create")}
      onSave={submit}
      onCancel={props.onClose}
      error={error}
      width={720}
      scrollBody
    >
      <Form<Draft>
        name="gift-card-plan"
        form={form}
        layout="vertical"
        initialValues={
          editing
            ? draftOf(editing, fmt.toMajor)
            : {
                card_type: "electronic",
                design_kind: "template",
                template: "classic",
                validity_kind: "after_purchase",
                years: 1,
                channels: ["POS", "ONLINE"],
                denominations: [{}],
                pos_recharge: true,
                buyer_info: { name: "optional", phone: "optional", email: "off", card_number: "off" },
              }
        }
      >
        <Form.Item name="name" label={t("gc.plan.name")} rules={[{ required: true, max: 200 }]}>
          <Input />
        </Form.Item>
        <Space wrap>
          <Form.Item name="card_type" label={t("gc.type")}>
            <Select
              style={{ width: 140 }}
              options={(["electronic", "physical"] as const).map((v) => ({
                value: v,
                label: t(`gc.type.${v}`),
              }))}
            />
          </Form.Item>
          <Form.Item name="channels" label={t("gc.plan.channels")} rules={[{ required: true }]}>
            <Select
              mode="multiple"
              style={{ minWidth: 180 }}
              options={CHANNELS.map((c) => ({ value: c, label: t(`checkout.channel.${c}`) }))}
            />
          </Form.Item>
        </Space>
        <Form.Item name="store_scope" label={t("gc.plan.stores")}>
          <StoreScopeField />
        </Form.Item>
        <DesignFields />
        <FormRows
          name="denominations"
          label={`${t("gc.plan.denominations")} (${fmt.currency})`}
          max={6}
          addLabel={t("gc.plan.addDenomination")}
          row={(field, i) => (
            <>
              <Form.Item name={[field.name, "amount"]} rules={[amountRule]}>
                <Input aria-label={`${t("gc.face")} ${i + 1}`} placeholder={t("gc.face")} />
              </Form.Item>
              <Form.Item name={[field.name, "discount"]} rules={[amountRule]}>
                <Input aria-label={`${t("gc.plan.discount")} ${i + 1}`} placeholder={t("gc.plan.discount")} />
              </Form.Item>
            </>
          )}
        />
        <Form.Item name="custom" label={t("gc.plan.custom")} valuePropName="checked">
          <Switch />
        </Form.Item>
        {custom ? (
          <Space wrap>
            <Form.Item
              name="custom_min"
              label={t("gc.plan.customMin")}
              rules={[{ required: true }, amountRule]}
            >
              <Input inputMode="decimal" />
            </Form.Item>
            <Form.Item
              name="custom_max"
              label={t("gc.plan.customMax")}
              rules={[{ required: true }, amountRule]}
            >
              <Input inputMode="decimal" />
            </Form.Item>
            <Form.Item name="custom_discount_bps" label={t("gc.plan.customDiscount")}>
              <InputNumber min={0} max={9999} />
            </Form.Item>
          </Space>
        ) : null}
        <Form.Item label={t("gc.plan.buyerInfo")} style={{ marginBottom: 0 }}>
          <Space wrap>
            {BUYER_FIELDS.filter((f) => f !== "card_number" || cardType === "physical").map((f) => (
              <Form.Item key={f} name={["buyer_info", f]} label={t(`gc.plan.buyer.${f}`)}>
                <Select
                  style={{ width: 120 }}
                  options={FIELD_RULES.map((r) => ({ value: r, label: t(`gc.plan.fieldRule.${r}`) }))}
                />
              </Form.Item>
            ))}
          </Space>
        </Form.Item>
        <ValidityFields kind={validityKind} />
        <Space wrap>
          <Form.Item name="pos_recharge" label={t("gc.plan.posRecharge")} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="terms_agreement_id" label={t("gc.plan.terms")}>
            <Select
              allowClear
              style={{ width: 260 }}
              loading={terms.isFetching}
              placeholder={t("gc.plan.noTerms")}
              options={(terms.data?.data ?? []).map((a) => ({
                value: a.id,
                label: `${a.title} (v${a.version})`,
              }))}
            />
          </Form.Item>
        </Space>
      </Form>
    </FormDialog>
  );
}

interface CopyDraft extends DesignDraft {
  name: string;
  validity_kind: Draft["validity_kind"];
  years?: number;
  months?: number;
  days?: number;
  until?: Dayjs;
}

/**
 * Copy a plan (seed 001 §2.5.3): every setting kept, a new name, and the validity and design
 * changed where wanted. The copy is inactive until activated.
 */
function CopyPlan(props: { plan: Plan | undefined; onClose(): void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<CopyDraft>();
  const validityKind = Form.useWatch("validity_kind", form);
  const [error, setError] = useState<unknown>();
  // One key per dialog: a retry after a lost answer makes one copy, not two.
  const [key, setKey] = useState(idempotencyKey);
  const p = props.plan;
  const submit = async () => {
    if (!p) return;
    const d = await form.validateFields().catch(() => undefined);
    if (!d) return;
    setError(undefined);
    const validity = validityOf(d);
    const body = {
      name: d.name,
      ...(JSON.stringify(validity) !== JSON.stringify(normalValidity(p.validity as Validity))
        ? { validity }
        : {}),
      ...(sameJson(designOf(d), p.design) ? {} : { design: designOf(d) }),
    };
    try {
      await unwrap(
        api.POST("/v1/gift-card-plans/{id}/copy", {
          params: { path: { id: p.id } },
          body,
          headers: { "idempotency-key": key },
        }),
      );
      message.success(t("gc.plan.copied"));
      setKey(idempotencyKey());
      props.onClose();
      await client.invalidateQueries({ queryKey: ["gift-card-plans"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <FormDialog
      open={p !== undefined}
      title={p ? t("gc.plan.copyTitle", { name: p.name }) : ""}
      onSave={submit}
      onCancel={props.onClose}
      error={error}
      width={560}
    >
      {p ? (
        <Form<CopyDraft>
          name="gift-card-plan-copy"
          form={form}
          layout="vertical"
          initialValues={{
            ...designDraft(p.design as Design),
            ...validityDraft(p.validity as Validity),
          }}
        >
          <Form.Item
            name="name"
            label={t("gc.plan.copyName")}
            rules={[{ required: true, max: 200 }]}
            extra={t("gc.plan.copyHint")}
          >
            <Input placeholder={p.name} />
          </Form.Item>
          <DesignFields />
          <ValidityFields kind={validityKind} />
        </Form>
      ) : null}
    </FormDialog>
  );
}

function Plans() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { modal, message } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const { filters, setFilters } = useUrlFilters(["status", "card_type"] as const);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Plan>();
  const [editOpen, setEditOpen] = useState(false);
  // A form per opening: its values start from the plan as it is now, never from an earlier opening.
  const [opening, setOpening] = useState(0);
  const [copying, setCopying] = useState<Plan>();
  const setStatus = async (p: Plan, to: "activate" | "deactivate") => {
    try {
      const init = { params: { path: { id: p.id } }, headers: { "idempotency-key": idempotencyKey() } };
      await unwrap(
        to === "activate"
          ? api.POST("/v1/gift-card-plans/{id}/activate", init)
          : api.POST("/v1/gift-card-plans/{id}/deactivate", init),
      );
      message.success(t(to === "activate" ? "gc.plan.activated" : "gc.plan.deactivated"));
      await client.invalidateQueries({ queryKey: ["gift-card-plans"] });
    } catch (e) {
      message.error(problemText(e));
    }
  };
  const confirmDeactivate = (p: Plan) =>
    modal.confirm({
      title: t("gc.plan.deactivateConfirm", { name: p.name }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      okButtonProps: { danger: true },
      onOk: () => setStatus(p, "deactivate"),
    });
  return (
    <>
      <Space style={{ justifyContent: "space-between", width: "100%" }}>
        <FilterBar name="plan-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
          <Form.Item name="status" label={t("common.status")}>
            <Select
              allowClear
              style={{ width: 120 }}
              options={(["active", "inactive"] as const).map((s) => ({
                value: s,
                label: t(`gc.plan.status.${s}`),
              }))}
            />
          </Form.Item>
          <Form.Item name="card_type" label={t("gc.type")}>
            <Select
              allowClear
              style={{ width: 120 }}
              options={(["electronic", "physical"] as const).map((v) => ({
                value: v,
                label: t(`gc.type.${v}`),
              }))}
            />
          </Form.Item>
        </FilterBar>
        {can("POST /v1/gift-card-plans") ? (
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => {
              setOpening((n) => n + 1);
              setCreating(true);
            }}
            style={{ marginBottom: 16 }}
          >
            {t("gc.plan.create")}
          </Button>
        ) : null}
      </Space>
      <CursorTable<Plan>
        queryKey={["gift-card-plans", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/gift-card-plans", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          { title: t("gc.plan.name"), dataIndex: "name" },
          {
            title: t("gc.type"),
            dataIndex: "card_type",
            render: (v: Plan["card_type"]) => t(`gc.type.${v}`),
          },
          {
            title: t("gc.plan.amounts"),
            key: "amounts",
            render: (_, p) => (
              <Space wrap size={4}>
                {p.denominations.map((d) => (
                  <Tag key={d.amount}>
                    {d.discount
                      ? t("gc.plan.denomination", {
                          amount: fmt.money(d.amount),
                          discount: fmt.money(d.discount),
                        })
                      : fmt.money(d.amount)}
                  </Tag>
                ))}
                {p.custom_amount ? (
                  <Tag color="blue">
                    {t("gc.plan.customRange", {
                      min: fmt.money(p.custom_amount.min),
                      max: fmt.money(p.custom_amount.max),
                    })}
                  </Tag>
                ) : null}
              </Space>
            ),
          },
          {
            title: t("gc.plan.channels"),
            dataIndex: "channels",
            render: (cs: Plan["channels"]) =>
              cs.map((c) => t(`checkout.channel.${c}` as MessageKey)).join(" / "),
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Plan["status"]) => (
              <Tag color={s === "active" ? "green" : "default"}>{t(`gc.plan.status.${s}`)}</Tag>
            ),
          },
          { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, p) => (
              <Space>
                {can("PATCH /v1/gift-card-plans/{id}") ? (
                  <Button
                    size="small"
                    onClick={() => {
                      setEditing(p);
                      setOpening((n) => n + 1);
                      setEditOpen(true);
                    }}
                  >
                    {t("gc.plan.edit")}
                  </Button>
                ) : null}
                {can("POST /v1/gift-card-plans/{id}/copy") ? (
                  <Button size="small" onClick={() => setCopying(p)}>
                    {t("gc.plan.copy")}
                  </Button>
                ) : null}
                {p.status === "inactive" && can("POST /v1/gift-card-plans/{id}/activate") ? (
                  <Button size="small" onClick={() => setStatus(p, "activate")}>
                    {t("gc.plan.activate")}
                  </Button>
                ) : p.status === "active" && can("POST /v1/gift-card-plans/{id}/deactivate") ? (
                  <Button size="small" danger onClick={() => confirmDeactivate(p)}>
                    {t("gc.plan.deactivate")}
                  </Button>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      <PlanForm key={`create-${opening}`} open={creating} onClose={() => setCreating(false)} />
      <PlanForm key={`edit-${opening}`} open={editOpen} plan={editing} onClose={() => setEditOpen(false)} />
      <CopyPlan plan={copying} onClose={() => setCopying(undefined)} />
    </>
  );
}

const TABS = [
  { key: "/gift-cards", label: "gc.tab.plans", needs: "GET /v1/gift-card-plans" },
  { key: "/gift-cards/cards", label: "gc.tab.cards", needs: "GET /v1/gift-cards" },
  { key: "/gift-cards/activities", label: "gc.tab.activities", needs: "GET /v1/gift-card-activities" },
] as const;

/** Gift cards: the plans, the sold cards (and one card), the transaction details; the tab follows the URL. */
export default function GiftCards() {
  const { t } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const cardId = /^\/gift-cards\/cards\/([^/]+)$/.exec(pathname)?.[1];
  if (cardId) return <GiftCardDetail id={cardId} />;
  const tab = TABS.find((x) => x.key === pathname)?.key ?? "/gift-cards";
  return (
    <>
      <PageHeader title={t("gc.title")} />
      <Tabs
        activeKey={tab}
        onChange={(key) => navigate(key)}
        items={TABS.filter((x) => can(x.needs)).map((x) => ({ key: x.key, label: t(x.label) }))}
      />
      {tab === "/gift-cards" ? (
        <Plans />
      ) : tab === "/gift-cards/cards" ? (
        <SoldGiftCards />
      ) : (
        <GiftCardActivities />
      )}
    </>
  );
}
