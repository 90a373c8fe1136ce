import { PlusOutlined } from "@ant-design/icons";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import {
  App,
  Button,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Select,
  Space,
  Switch,
  Tag,
  Typography,
} from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import {
  type AudienceDraft,
  AudienceFields,
  audienceToDraft,
  draftToAudience,
} from "../components/AudienceFields";
import { type Availability, AvailabilityFields } from "../components/AvailabilityField";
import { CursorTable, useUrlFilters } from "../components/CursorTable";
import { changedFields, compact } from "../components/changes";
import { FormDialog } from "../components/FormDialog";
import { FormRows } from "../components/FormRows";
import { ImageField } from "../components/ImageField";
import { FilterBar, PageHeader } from "../components/Page";
import { ProblemAlert, useProblemText } from "../components/problems";
import { compactStoreScope, type StoreScope, StoreScopeField } from "../components/StoreScopeField";
import { useAmountRule } from "../components/ValueDialog";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { useSession } from "../session";
import { type PerkDraft, PerkRows, perkDraft, perkOf } from "./PackagePerks";

export type Package = components["schemas"]["Package"];
const PRICES = ["original", "first", "repeat", "renewal"] as const;
const PRICE_FIELD = {
  original: "original_price",
  first: "first_purchase_price",
  repeat: "repeat_purchase_price",
  renewal: "early_renewal_price",
} as const;
/** The rule row's column headings and widths (the inputs below use the same widths). */
const RULE_COLUMNS: [MessageKey, number][] = [
  ["pkg.rule.key", 110],
  ["pkg.rule.days", 80],
  ...PRICES.map((p): [MessageKey, number] => [`pkg.rule.${p}`, 110]),
];
const AGREEMENTS = [
  ["purchase_agreement_id", "purchase_agreement", "pkg.agreement.purchase"],
  ["terms_agreement_id", "terms_of_use", "pkg.agreement.terms"],
  ["faq_agreement_id", "faq", "pkg.agreement.faq"],
] as const;

interface RuleDraft {
  key: string;
  duration_days: number;
  original?: string;
  first?: string;
  repeat?: string;
  renewal?: string;
}
interface Draft {
  name: string;
  tags?: string[];
  description?: string;
  channels: ("POS" | "ONLINE")[];
  audience?: AudienceDraft;
  refund_restriction?: boolean;
  purchase_agreement_id?: string;
  terms_agreement_id?: string;
  faq_agreement_id?: string;
  rules: RuleDraft[];
  cover_image_id?: string | null;
  store_scope?: StoreScope;
  availability?: Availability;
  perks?: PerkDraft[];
}

type Rule = { key: string; duration_days: number; limited_time?: unknown } & Partial<
  Record<(typeof PRICE_FIELD)[keyof typeof PRICE_FIELD], number>
>;

function draftOf(p: Package | null, fmt: { toMajor(n: number): string }): Partial<Draft> {
  if (!p)
    return {
      channels: ["POS", "ONLINE"],
      rules: [{ key: "quarterly", duration_days: 90 }],
      availability: {},
      audience: audienceToDraft(),
      perks: [],
    };
  const major = (n: unknown) => (typeof n === "number" ? fmt.toMajor(n) : undefined);
  return {
    name: p.name,
    tags: p.tags,
    description: p.description ?? undefined,
    cover_image_id: p.cover_image_id ?? undefined,
    store_scope: compactStoreScope(p.store_scope as StoreScope),
    availability: p.availability as Availability,
    channels: p.channels,
    audience: audienceToDraft(p.audience),
    refund_restriction: p.refund_restriction,
    purchase_agreement_id: p.purchase_agreement_id ?? undefined,
    terms_agreement_id: p.terms_agreement_id ?? undefined,
    faq_agreement_id: p.faq_agreement_id ?? undefined,
    rules: (p.sales_rules as unknown as Rule[]).map((r) => ({
      key: r.key,
      duration_days: r.duration_days,
      original: major(r.original_price),
      first: major(r.first_purchase_price),
      repeat: major(r.repeat_purchase_price),
      renewal: major(r.early_renewal_price),
    })),
    perks: p.perks.map(perkDraft),
  };
}

/**
 * Create or edit a package (seed 001 §2.2.1): pricing rules, purchase period, stores, audience,
 * cover, channels, agreements and its perks. An edit sends only what changed, and keeps what the
 * form does not show (a rule's limited-time price). The form
 * starts afresh at each opening, from the package as it is then.
 */
export function PackageForm(props: { open: boolean; editing: Package | null; onClose(): void }) {
  const [opening, setOpening] = useState(0);
  const [wasOpen, setWasOpen] = useState(props.open);
  if (props.open !== wasOpen) {
    setWasOpen(props.open);
    if (props.open) setOpening((n) => n + 1);
  }
  return <PackageFormDialog key={opening} {...props} />;
}

function PackageFormDialog(props: { open: boolean; editing: Package | null; onClose(): void }) {
  const { t, fmt } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [form] = Form.useForm<Draft>();
  const [error, setError] = useState<unknown>();
  const agreements = useQuery({
    queryKey: ["agreements", "active"],
    enabled: props.open,
    queryFn: () => unwrap(api.GET("/v1/agreements", { params: { query: { status: "active", limit: 100 } } })),
  });
  const amountRule = useAmountRule();
  const editing = props.editing;
  const submit = async () => {
    const d = await form.validateFields().catch(() => undefined);
    if (!d) return;
    setError(undefined);
    const sales_rules = d.rules.map((r) => {
      const rule: Record<string, unknown> = { key: r.key, duration_days: r.duration_days };
      for (const p of PRICES) if (r[p]) rule[PRICE_FIELD[p]] = fmt.toMinor(r[p]);
      // The form does not show a limited-time price: a rule keeps its own.
      const was = (editing?.sales_rules as unknown as Rule[] | undefined)?.find((x) => x.key === r.key);
      if (was?.limited_time) rule.limited_time = was.limited_time;
      return rule;
    });
    const body: Record<string, unknown> = {
      name: d.name,
      tags: d.tags ?? [],
      description: d.description || null,
      cover_image_id: d.cover_image_id ?? null,
      audience: draftToAudience(d.audience, editing?.audience),
      availability: compact({ ...d.availability }) ?? {},
      store_scope: compactStoreScope(d.store_scope),
      channels: d.channels,
      refund_restriction: d.refund_restriction ?? false,
      purchase_agreement_id: d.purchase_agreement_id ?? null,
      terms_agreement_id: d.terms_agreement_id ?? null,
      faq_agreement_id: d.faq_agreement_id ?? null,
      sales_rules,
      perks: (d.perks ?? []).map(perkOf),
    };
    try {
      if (editing) {
        const changes = changedFields(body, {
          name: editing.name,
          tags: editing.tags,
          description: editing.description,
          cover_image_id: editing.cover_image_id,
          audience: editing.audience,
          availability: editing.availability,
          store_scope: compactStoreScope(editing.store_scope as StoreScope),
          channels: editing.channels,
          refund_restriction: editing.refund_restriction,
          purchase_agreement_id: editing.purchase_agreement_id,
          terms_agreement_id: editing.terms_agreement_id,
          faq_agreement_id: editing.faq_agreement_id,
          sales_rules: editing.sales_rules,
          // Read as the form reads them, so an untouched perk compares equal.
          perks: editing.perks.map((p) => perkOf(perkDraft(p))),
        });
        if (Object.keys(changes).length > 0) {
          await unwrap(
            api.PATCH("/v1/packages/{id}", {
              params: { path: { id: editing.id } },
              body: changes as never,
              headers: { "idempotency-key": idempotencyKey() },
            }),
          );
        }
        message.success(t("pkg.saved"));
      } else {
        await unwrap(
          api.POST("/v1/packages", { body: body as never, headers: { "idempotency-key": idempotencyKey() } }),
        );
        message.success(t("pkg.created"));
      }
      props.onClose();
      await client.invalidateQueries({ queryKey: ["packages"] });
      await client.invalidateQueries({ queryKey: ["package"] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <FormDialog
      open={props.open}
      title={editing ? t("pkg.edit") : t("pkg.create")}
      onSave={submit}
      onCancel={props.onClose}
      error={error}
      width={900}
      scrollBody
    >
      <Form<Draft> name="package" form={form} layout="vertical" initialValues={draftOf(editing, fmt)}>
        <Form.Item name="name" label={t("pkg.name")} rules={[{ required: true, max: 100 }]}>
          <Input />
        </Form.Item>
        <Space wrap>
          <Form.Item name="tags" label={t("pkg.tags")}>
            <Select mode="tags" style={{ minWidth: 220 }} maxCount={10} open={false} />
          </Form.Item>
          <Form.Item name="channels" label={t("pkg.channels")} rules={[{ required: true }]}>
            <Select
              mode="multiple"
              style={{ minWidth: 180 }}
              options={(["POS", "ONLINE"] as const).map((c) => ({
                value: c,
                label: t(`checkout.channel.${c}`),
              }))}
            />
          </Form.Item>
        </Space>
        <Form.Item name="description" label={t("pkg.description")}>
          <Input.TextArea rows={2} maxLength={5000} />
        </Form.Item>
        <Form.Item name="cover_image_id" label={t("pkg.cover")}>
          <ImageField
            purpose="package_cover"
            uploadLabel={t("pkg.uploadCover")}
            previewTestId="package-cover-preview"
          />
        </Form.Item>
        <FormRows
          name="rules"
          label={`${t("pkg.rules")} (${fmt.currency})`}
          required
          max={5}
          addLabel={t("pkg.rule.add")}
          header={
            <Space aria-hidden style={{ marginBottom: 4 }}>
              {RULE_COLUMNS.map(([key, width]) => (
                <Typography.Text key={key} type="secondary" style={{ display: "inline-block", width }}>
                  {t(key)}
                </Typography.Text>
              ))}
            </Space>
          }
          row={(field, i) => (
            <>
              <Form.Item
                name={[field.name, "key"]}
                rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{1,32}$/ }]}
              >
                <Input
                  aria-label={`${t("pkg.rule.key")} ${i + 1}`}
                  placeholder={t("pkg.rule.key")}
                  style={{ width: 110 }}
                />
              </Form.Item>
              <Form.Item name={[field.name, "duration_days"]} rules={[{ required: true }]}>
                <InputNumber
                  aria-label={`${t("pkg.rule.days")} ${i + 1}`}
                  placeholder={t("pkg.rule.days")}
                  min={1}
                  max={3650}
                  style={{ width: 80 }}
                />
              </Form.Item>
              {PRICES.map((p) => (
                <Form.Item
                  key={p}
                  name={[field.name, p]}
                  rules={[...(p === "original" ? [{ required: true }] : []), amountRule]}
                >
                  <Input
                    aria-label={`${t(`pkg.rule.${p}`)} ${i + 1}`}
                    placeholder={t(`pkg.rule.${p}`)}
                    inputMode="decimal"
                    style={{ width: 110 }}
                  />
                </Form.Item>
              ))}
            </>
          )}
        />
        <AvailabilityFields
          fromLabel={t("pkg.availability.from")}
          untilLabel={t("pkg.availability.until")}
          scheduleLabel={t("pkg.availability")}
        />
        <Form.Item name="store_scope" label={t("pkg.stores")}>
          <StoreScopeField />
        </Form.Item>
        <AudienceFields />
        <Form.Item name="refund_restriction" label={t("pkg.refundRestriction")} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Space wrap>
          {AGREEMENTS.map(([name, type, label]) => (
            <Form.Item key={name} name={name} label={t(label)}>
              <Select
                allowClear
                style={{ width: 220 }}
                options={(agreements.data?.data ?? [])
                  .filter((a) => a.type === type)
                  .map((a) => ({ value: a.id, label: `${a.title} (v${a.version})` }))}
              />
            </Form.Item>
          ))}
        </Space>
        <PerkRows />
      </Form>
    </FormDialog>
  );
}

export function PackageStatus({ status }: { status: Package["status"] }) {
  const { t } = useI18n();
  const color = { active: "green", inactive: "default", archived: "purple" }[status];
  return <Tag color={color}>{t(`pkg.status.${status}`)}</Tag>;
}

/** Activate / deactivate / archive, as the status and the role allow. */
export function PackageActions({ pkg }: { pkg: Package }) {
  const { t } = useI18n();
  const { can } = useSession();
  const { modal, message } = App.useApp();
  const problemText = useProblemText();
  const client = useQueryClient();
  const moves = (
    [
      ["activate", "inactive"],
      ["deactivate", "active"],
      ["archive", "inactive"],
    ] as const
  ).filter(([to, from]) => pkg.status === from && can(`POST /v1/packages/{id}/${to}`));
  const move = (to: (typeof moves)[number][0]) =>
    modal.confirm({
      title: t("pkg.confirm", { action: t(`pkg.${to}`), name: pkg.name }),
      okText: t("common.confirm"),
      cancelText: t("common.cancel"),
      okButtonProps: { danger: to !== "activate" },
      onOk: async () => {
        const init = { params: { path: { id: pkg.id } }, headers: { "idempotency-key": idempotencyKey() } };
        try {
          await unwrap(
            to === "activate"
              ? api.POST("/v1/packages/{id}/activate", init)
              : to === "deactivate"
                ? api.POST("/v1/packages/{id}/deactivate", init)
                : api.POST("/v1/packages/{id}/archive", init),
          );
          message.success(t("pkg.changed"));
          await client.invalidateQueries({ queryKey: ["packages"] });
          await client.invalidateQueries({ queryKey: ["package", pkg.id] });
        } catch (e) {
          message.error(problemText(e));
        }
      },
    });
  return (
    <Space>
      {moves.map(([to]) => (
        <Button key={to} size="small" danger={to !== "activate"} onClick={() => move(to)}>
          {t(`pkg.${to}` as MessageKey)}
        </Button>
      ))}
    </Space>
  );
}

/** The lowest original price among the rules, e.g. "90 days · ¥199.00". */
export function RulesSummary({ pkg }: { pkg: Package }) {
  const { t, fmt } = useI18n();
  return (
    <Space wrap size={4}>
      {(pkg.sales_rules as unknown as Rule[]).map((r) => (
        <Tag key={r.key}>
          {t("pkg.rule.summary", { days: r.duration_days, price: fmt.money(r.original_price) })}
        </Tag>
      ))}
    </Space>
  );
}

const VALIDITY_MODES = ["immediate", "purchase_day", "next_day"] as const;

/**
 * Global Package Settings (seed 001 §2.2.2): how every package's validity period is placed
 * after purchase. Later sales follow it; periods already sold keep theirs.
 */
function PackageSettings(props: { open: boolean; onClose(): void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const client = useQueryClient();
  const [mode, setMode] = useState<(typeof VALIDITY_MODES)[number]>();
  const [error, setError] = useState<unknown>();
  const settings = useQuery({
    queryKey: ["package-settings"],
    enabled: props.open,
    queryFn: () => unwrap(api.GET("/v1/package-settings")),
  });
  const chosen = mode ?? settings.data?.validity_mode;
  const save = async () => {
    if (!chosen) return;
    setError(undefined);
    try {
      await unwrap(api.PUT("/v1/package-settings", { body: { validity_mode: chosen } }));
      message.success(t("pkg.settings.saved"));
      await client.invalidateQueries({ queryKey: ["package-settings"] });
      setMode(undefined);
      props.onClose();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Modal
      open={props.open}
      title={t("pkg.settings.title")}
      onOk={save}
      onCancel={() => {
        setMode(undefined);
        props.onClose();
      }}
      okText={t("common.save")}
      cancelText={t("common.cancel")}
      okButtonProps={{ disabled: !chosen }}
      destroyOnHidden
    >
      <ProblemAlert error={error ?? settings.error} />
      <Typography.Paragraph type="secondary">{t("pkg.settings.intro")}</Typography.Paragraph>
      <Radio.Group
        aria-label={t("pkg.settings.title")}
        value={chosen}
        onChange={(e) => setMode(e.target.value)}
        style={{ display: "flex", flexDirection: "column", gap: 12 }}
      >
        {VALIDITY_MODES.map((m) => (
          <Radio key={m} value={m}>
            <div>{t(`pkg.settings.${m}`)}</div>
            <Typography.Text type="secondary">{t(`pkg.settings.${m}.example`)}</Typography.Text>
          </Radio>
        ))}
      </Radio.Group>
    </Modal>
  );
}

export default function Packages() {
  const { t, fmt } = useI18n();
  const { can } = useSession();
  const { filters, setFilters } = useUrlFilters(["name", "status", "tag"] as const);
  const [creating, setCreating] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  return (
    <>
      <PageHeader
        title={t("pkg.title")}
        extra={
          <Space>
            {can("PUT /v1/package-settings") ? (
              <Button onClick={() => setSettingsOpen(true)}>{t("pkg.settings.title")}</Button>
            ) : null}
            {can("POST /v1/packages") ? (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
                {t("pkg.create")}
              </Button>
            ) : null}
          </Space>
        }
      />
      <PackageSettings open={settingsOpen} onClose={() => setSettingsOpen(false)} />
      <FilterBar name="package-filters" initialValues={filters} onSearch={(v) => setFilters(v)}>
        <Form.Item name="name" label={t("pkg.name")}>
          <Input allowClear />
        </Form.Item>
        <Form.Item name="tag" label={t("pkg.tags")}>
          <Input allowClear style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="status" label={t("common.status")}>
          <Select
            allowClear
            style={{ width: 120 }}
            options={(["active", "inactive", "archived"] as const).map((s) => ({
              value: s,
              label: t(`pkg.status.${s}`),
            }))}
          />
        </Form.Item>
      </FilterBar>
      <CursorTable<Package>
        queryKey={["packages", filters]}
        fetchPage={(cursor) =>
          unwrap(api.GET("/v1/packages", { params: { query: { ...cursor, ...filters } as never } }))
        }
        columns={[
          {
            title: t("pkg.name"),
            dataIndex: "name",
            render: (name: string, p) => <Link to={`/packages/${p.id}`}>{name}</Link>,
          },
          {
            title: t("pkg.tags"),
            dataIndex: "tags",
            render: (tags: string[]) => tags.map((x) => <Tag key={x}>{x}</Tag>),
          },
          { title: t("pkg.rule.list"), key: "rules", render: (_, p) => <RulesSummary pkg={p} /> },
          {
            title: t("pkg.channels"),
            dataIndex: "channels",
            render: (cs: Package["channels"]) =>
              cs.map((c) => t(`checkout.channel.${c}` as MessageKey)).join(" / "),
          },
          {
            title: t("common.status"),
            dataIndex: "status",
            render: (s: Package["status"]) => <PackageStatus status={s} />,
          },
          { title: t("common.updatedAt"), dataIndex: "updated_at", render: (v) => fmt.dateTime(v) },
          { title: t("common.actions"), key: "actions", render: (_, p) => <PackageActions pkg={p} /> },
        ]}
      />
      <PackageForm open={creating} editing={null} onClose={() => setCreating(false)} />
    </>
  );
}
