import { PlusOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { App, Button, Divider, Form, Input, InputNumber, Select, Space, Switch, Tag } from "antd";
import { useState } from "react";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import {
  type AudienceDraft,
  AudienceFields,
  audienceToDraft,
  draftToAudience,
} from "../components/AudienceFields";
import { AudienceSummary } from "../components/AudienceSummary";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { sameJson } from "../components/changes";
import { useConfirmedAction } from "../components/confirmed-action";
import { FormDialog } from "../components/FormDialog";
import { ImageField } from "../components/ImageField";
import { FilterBar, PageHeader } from "../components/Page";
import { useProblemText } from "../components/problems";
import { enUS } from "../i18n/en-US";
import type { Format } from "../i18n/format";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { BenefitCampaigns, useLinkableCampaigns } from "./BenefitCampaigns";
import {
  applyDay,
  applyPeriod,
  type DayDraft,
  DayFields,
  dayToDraft,
  isDayKind,
  type PeriodDraft,
  PeriodFields,
  periodToDraft,
} from "./BenefitDayFields";
import { DetailImagesField } from "./BenefitDetailImages";
import {
  applyRules,
  CHANNEL_KINDS,
  PriceRows,
  RuleFields,
  type RulesDraft,
  rulesToDraft,
} from "./BenefitFields";
import { BenefitUsage } from "./BenefitUsage";

type Benefit = components["schemas"]["Benefit"];
type Kind = Benefit["kind"];
type Config = Record<string, unknown>;
/** The benefit kinds the catalogs name (the API's enum; a test keeps the catalogs complete). */
export const KINDS = Object.keys(enUS)
  .filter((key) => key.startsWith("benefits.kind."))
  .map((key) => key.slice("benefits.kind.".length) as Kind);
const FILTERS = ["name", "kind", "status", "operator"] as const;

/** What the create and edit forms share: the words members read, who it reaches, the kind's fields. */
interface Draft extends RulesDraft, DayDraft, PeriodDraft {
  name: string;
  brief?: string;
  description?: string;
  icon?: string | null;
  stackable?: boolean;
  audience?: AudienceDraft;
  discount_percent?: number | null;
  campaign_id?: string;
  reduction_min?: string;
  reduction_amount?: string;
  multiplier?: string;
  extension_days?: number;
  detail_images?: string[];
}

/**
 * The kind's config from the form, on top of `base` (the benefit's config when editing) so that
 * what the form does not show is kept.
 */
function configOf(kind: Kind, d: Draft, base: Config, fmt: Format): Config {
  const next: Config = { ...base };
  if (isDayKind(kind)) applyDay(kind, d, next);
  switch (kind) {
    case "member_discount":
      next.discount_percent = d.discount_percent;
      break;
    case "promotional":
      next.campaign_id = d.campaign_id;
      if (d.reduction_amount)
        next.order_reduction = {
          min_amount: fmt.toMinor(d.reduction_min || "0"),
          amount: fmt.toMinor(d.reduction_amount),
        };
      else delete next.order_reduction;
      break;
    case "marketing":
      next.campaign_id = d.campaign_id;
      break;
    case "multiplier_points":
      next.multiplier = d.multiplier;
      applyPeriod(d, next, fmt.timeZone);
      break;
    case "card_extension":
      next.extension_days = d.extension_days;
      break;
    case "exclusive_services":
      if (d.detail_images?.length) next.detail_images = d.detail_images;
      else delete next.detail_images;
      break;
    default:
  }
  return applyRules(kind, d, next, fmt);
}

/** The edit form's values: the benefit's own, each in its control. */
function draftOf(b: Benefit, fmt: Format): Draft {
  const c = b.config as Config;
  const reduction = c.order_reduction as { min_amount: number; amount: number } | undefined;
  return {
    name: b.name,
    brief: b.brief ?? undefined,
    description: b.description ?? undefined,
    icon: b.icon,
    stackable: b.stackable,
    audience: audienceToDraft(b.audience),
    ...rulesToDraft(c, fmt),
    ...dayToDraft(c),
    ...periodToDraft(c, fmt.timeZone),
    discount_percent: c.discount_percent as number | undefined,
    campaign_id: c.campaign_id as string | undefined,
    reduction_min: reduction ? fmt.toMajor(reduction.min_amount) : undefined,
    reduction_amount: reduction ? fmt.toMajor(reduction.amount) : undefined,
    multiplier: c.multiplier as string | undefined,
    extension_days: c.extension_days as number | undefined,
    detail_images: c.detail_images as string[] | undefined,
  };
}

/** The kind's own fields (seed 001 §2.1.2), then its channels, restriction rules and available items. */
function KindFields({ kind }: { kind: Kind | undefined }) {
  const { t } = useI18n();
  const campaigns = useLinkableCampaigns(kind === "promotional" || kind === "marketing" ? kind : undefined);
  if (!kind) return null;
  return (
    <>
      <Divider titlePlacement="start" plain>
        {t(`benefits.kind.${kind}` as MessageKey)}
      </Divider>
      {kind === "member_discount" ? (
        <Form.Item name="discount_percent" label={t("benefits.discountPercent")} rules={[{ required: true }]}>
          <InputNumber min={1} max={99} />
        </Form.Item>
      ) : null}
      {kind === "member_pricing" ? <PriceRows /> : null}
      {isDayKind(kind) ? <DayFields kind={kind} /> : null}
      {kind === "promotional" || kind === "marketing" ? (
        <Form.Item
          name="campaign_id"
          label={t("benefits.campaign")}
          rules={[{ required: true }]}
          extra={kind === "promotional" ? t("benefits.campaignExclusiveHint") : undefined}
        >
          <Select
            showSearch
            optionFilterProp="label"
            loading={campaigns.isFetching}
            options={(campaigns.data?.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
          />
        </Form.Item>
      ) : null}
      {kind === "promotional" ? (
        <Space>
          <Form.Item name="reduction_min" label={t("benefits.reductionMin")}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item name="reduction_amount" label={t("benefits.reductionAmount")}>
            <Input inputMode="decimal" />
          </Form.Item>
        </Space>
      ) : null}
      {kind === "multiplier_points" ? (
        <Form.Item name="multiplier" label={t("benefits.multiplier")} rules={[{ required: true }]}>
          <Input placeholder="2" />
        </Form.Item>
      ) : null}
      {kind === "multiplier_points" ? <PeriodFields /> : null}
      {kind === "card_extension" ? (
        <Form.Item name="extension_days" label={t("benefits.extensionDays")} rules={[{ required: true }]}>
          <InputNumber min={1} max={3650} />
        </Form.Item>
      ) : null}
      {kind === "exclusive_services" ? <DetailImagesField /> : null}
      {CHANNEL_KINDS.includes(kind) ? (
        <Form.Item name="channels" label={t("benefits.channels")}>
          <Select
            mode="multiple"
            allowClear
            options={[
              { value: "POS", label: t("checkout.channel.POS") },
              { value: "ONLINE", label: t("checkout.channel.ONLINE") },
            ]}
          />
        </Form.Item>
      ) : null}
      <RuleFields kind={kind} />
    </>
  );
}

function CreateBenefit(props: { open: boolean; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Draft & { kind: Kind }>();
  const kind = Form.useWatch("kind", form);
  const [error, setError] = useState<unknown>();
  const submit = async () => {
    const d = await form.validateFields().catch(() => undefined);
    if (!d) return;
    setError(undefined);
    try {
      await unwrap(
        api.POST("/v1/benefits", {
          body: {
            kind: d.kind,
            name: d.name,
            brief: d.brief || null,
            description: d.description || null,
            ...(d.icon ? { icon: d.icon } : {}),
            stackable: d.stackable ?? false,
            audience: draftToAudience(d.audience),
            config: configOf(d.kind, d, {}, fmt),
          },
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      message.success(t("benefits.created"));
      form.resetFields();
      props.onClose();
      await client.invalidateQueries({ queryKey: ["benefits"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <FormDialog
      open={props.open}
      title={t("benefits.create")}
      onSave={submit}
      onCancel={props.onClose}
      error={error}
      width={720}
      scrollBody
    >
      <Form<Draft & { kind: Kind }>
        name="benefit-create"
        form={form}
        layout="vertical"
        initialValues={{
          kind: "member_discount",
          audience: audienceToDraft(),
          items_kind: "all",
          prices: [{}],
          period: "day",
        }}
      >
        <Form.Item name="kind" label={t("benefits.kind")} rules={[{ required: true }]}>
          <Select options={KINDS.map((k) => ({ value: k, label: t(`benefits.kind.${k}` as MessageKey) }))} />
        </Form.Item>
        <BenefitTextFields />
        <AudienceFields />
        <KindFields kind={kind} />
        <Form.Item name="stackable" label={t("benefits.stackable")} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
    </FormDialog>
  );
}

/**
 * Edit a benefit (seed 001 §2.1.3): its kind stays; everything else in the same controls as
 * creating it, filled from the benefit. Only what changed is sent, and the config keeps every
 * key the form does not show, so a benefit made through the API with more than this form
 * offers loses none of it.
 */
export function EditBenefit(props: { benefit: Benefit | undefined; onClose(): void }) {
  // A form of its own for each benefit: a form's store outlives its fields, and one benefit's
  // values would otherwise show in the next one's dialog.
  return <EditBenefitDialog key={props.benefit?.id ?? ""} {...props} />;
}

function EditBenefitDialog(props: { benefit: Benefit | undefined; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Draft>();
  const [error, setError] = useState<unknown>();
  const b = props.benefit;
  const submit = async () => {
    if (!b) return;
    // The form shows what is wrong beside the field; nothing is sent.
    const d = await form.validateFields().catch(() => undefined);
    if (!d) return;
    setError(undefined);
    const before = draftOf(b, fmt);
    const audience = draftToAudience(d.audience, b.audience);
    const config = configOf(b.kind, d, b.config as Config, fmt);
    const changes: Record<string, unknown> = {};
    if (d.name !== b.name) changes.name = d.name;
    if ((d.brief || null) !== b.brief) changes.brief = d.brief || null;
    if ((d.description || null) !== b.description) changes.description = d.description || null;
    if ((d.icon ?? null) !== b.icon) changes.icon = d.icon ?? null;
    if (d.stackable !== b.stackable) changes.stackable = d.stackable;
    // Compared with the benefit as the form reads it too, so a value the form only spells
    // differently (an empty list, keys in another order) is no change.
    if (!sameJson(audience, b.audience) && !sameJson(audience, draftToAudience(before.audience, b.audience)))
      changes.audience = audience;
    if (!sameJson(config, b.config) && !sameJson(config, configOf(b.kind, before, b.config as Config, fmt)))
      changes.config = config;
    try {
      if (Object.keys(changes).length > 0) {
        await unwrap(
          api.PATCH("/v1/benefits/{id}", { params: { path: { id: b.id } }, body: changes as never }),
        );
        await client.invalidateQueries({ queryKey: ["benefits"] });
      }
      message.success(t("benefits.saved"));
      props.onClose();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <FormDialog
      open={b !== undefined}
      title={b ? t("benefits.editTitle", { name: b.name }) : ""}
      onSave={submit}
      onCancel={props.onClose}
      error={error}
      width={720}
      scrollBody
    >
      {b ? (
        <Form<Draft> name="benefit-edit" form={form} layout="vertical" initialValues={draftOf(b, fmt)}>
          <Form.Item label={t("benefits.kind")}>
            <Tag data-testid="benefit-edit-kind">{t(`benefits.kind.${b.kind}` as MessageKey)}</Tag>
          </Form.Item>
          <BenefitTextFields />
          <AudienceFields />
          <KindFields kind={b.kind} />
          <Form.Item name="stackable" label={t("benefits.stackable")} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Form>
      ) : null}
    </FormDialog>
  );
}

export default function Benefits() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const confirmed = useConfirmedAction();
  const { filters, setFilters } = useUrlFilters(FILTERS);
  const [creating, setCreating] = useState(false);
  const [usageOf, setUsageOf] = useState<Benefit>();
  const [editing, setEditing] = useState<Benefit>();
  const [campaignsOpen, setCampaignsOpen] = useState(false);
  const deactivate = (b: Benefit) =>
    confirmed({
      title: t("benefits.deactivateConfirm", { name: b.name }),
      run: () =>
        unwrap(
          api.POST("/v1/benefits/{id}/deactivate", {
            params: { path: { id: b.id } },
            headers: { "idempotency-key": idempotencyKey() },
          }),
        ),
      done: t("benefits.deactivated"),
      queryKey: ["benefits"],
    });
  const activate = async (b: Benefit) => {
    try {
      await unwrap(
        api.POST("/v1/benefits/{id}/activate", {
          params: { path: { id: b.id } },
          headers: { "idempotency-key": idempotencyKey() },
        }),
      );
      message.success(t("benefits.activated"));
      await client.invalidateQueries({ queryKey: ["benefits"] });
    } catch (e) {
      message.error(problemText(e));
    }
  };
  return (
    <>
      <PageHeader
        title={t("benefits.title")}
        extra={
          <Space>
            {can("GET /v1/benefit-campaigns") ? (
              <Button onClick={() => setCampaignsOpen(true)}>{t("campaigns.title")}</Button>
            ) : null}
            {can("POST /v1/benefits") ? (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
                {t("benefits.create")}
              </Button>
            ) : null}
          </Space>
        }
      />
      <FilterBar name="benefit-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
        <Form.Item name="name" label={t("benefits.name")}>
          <Input allowClear />
        </Form.Item>
        <Form.Item name="kind" label={t("benefits.kind")}>
          <Select
            allowClear
            style={{ width: 160 }}
            options={KINDS.map((k) => ({ value: k, label: t(`benefits.kind.${k}` as MessageKey) }))}
          />
        </Form.Item>
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 120 }}
            options={[
              { value: "active", label: t("benefits.status.active") },
              { value: "inactive", label: t("benefits.status.inactive") },
            ]}
          />
        </Form.Item>
        <Form.Item name="operator" label={t("benefits.operator")}>
          <Input allowClear style={{ width: 160 }} />
        </Form.Item>
      </FilterBar>
      <CursorTable<Benefit>
        queryKey={["benefits", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/benefits", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          { title: t("benefits.name"), dataIndex: "name" },
          {
            title: t("benefits.kind"),
            dataIndex: "kind",
            render: (k: Kind) => t(`benefits.kind.${k}` as MessageKey),
          },
          {
            title: t("benefits.reaches"),
            key: "audience",
            render: (_, b) => <AudienceSummary rule={b.audience} compact testId="benefit-audience" />,
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Benefit["status"]) => (
              <Tag color={s === "active" ? "green" : "default"}>{t(`benefits.status.${s}`)}</Tag>
            ),
          },
          {
            title: t("benefits.operator"),
            key: "operator",
            render: (_, b) => <span title={b.updated_by}>{b.updated_by_name ?? b.updated_by}</span>,
          },
          { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, b) => (
              <Space>
                {can("GET /v1/benefits/{id}/usage") ? (
                  <Button size="small" onClick={() => setUsageOf(b)}>
                    {t("benefits.usage")}
                  </Button>
                ) : null}
                {can("PATCH /v1/benefits/{id}") ? (
                  <Button size="small" onClick={() => setEditing(b)}>
                    {t("benefits.edit")}
                  </Button>
                ) : null}
                {b.status === "inactive" && can("POST /v1/benefits/{id}/activate") ? (
                  <Button size="small" onClick={() => activate(b)}>
                    {t("benefits.activate")}
                  </Button>
                ) : null}
                {b.status === "active" && can("POST /v1/benefits/{id}/deactivate") ? (
                  <Button size="small" danger onClick={() => deactivate(b)}>
                    {t("benefits.deactivate")}
                  </Button>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      <CreateBenefit open={creating} onClose={() => setCreating(false)} />
      <EditBenefit benefit={editing} onClose={() => setEditing(undefined)} />
      <BenefitUsage benefit={usageOf} onClose={() => setUsageOf(undefined)} />
      <BenefitCampaigns open={campaignsOpen} onClose={() => setCampaignsOpen(false)} />
    </>
  );
}

/** What members read of a benefit, the same in its create and edit forms: name, brief, description, icon. */
function BenefitTextFields() {
  const { t } = useI18n();
  return (
    <>
      <Form.Item name="name" label={t("benefits.name")} rules={[{ required: true, max: 100 }]}>
        <Input />
      </Form.Item>
      <Form.Item name="brief" label={t("benefits.brief")}>
        <Input maxLength={200} />
      </Form.Item>
      <Form.Item name="description" label={t("benefits.description")}>
        <Input.TextArea rows={3} maxLength={5000} />
      </Form.Item>
      <Form.Item name="icon" label={t("benefits.icon")}>
        <ImageField
          purpose="benefit_icon"
          uploadLabel={t("benefits.iconUpload")}
          previewTestId="benefit-icon-preview"
        />
      </Form.Item>
    </>
  );
}
