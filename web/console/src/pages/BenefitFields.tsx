import { useQuery } from "@tanstack/react-query";
import { Checkbox, Collapse, Divider, Form, Input, Radio, Select, Space } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { FormRows } from "../components/FormRows";
import type { Format } from "../i18n/format";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

type Benefit = components["schemas"]["Benefit"];
type Kind = Benefit["kind"];
type Audience = components["schemas"]["AudienceRule"];
type Config = Record<string, unknown>;

/** Kinds whose price rules (restrictions, available items) the engine applies (seed 001 §2.1.2). */
export const RESTRICTED_KINDS: readonly Kind[] = [
  "member_pricing",
  "member_discount",
  "member_day",
  "birthday",
];
const ITEM_KINDS: readonly Kind[] = [...RESTRICTED_KINDS, "promotional"];
export const CHANNEL_KINDS: readonly Kind[] = [...ITEM_KINDS, "multiplier_points"];
/** Config keys the rule controls own; a JSON-edited config shows the rest. */
export const RULE_KEYS = ["channels", "restrictions", "items"] as const;

const RESTRICTIONS = [
  "balance_below_amount",
  "balance_below_outstanding",
  "balance_below_discounted_outstanding",
] as const;
type RestrictionKind = (typeof RESTRICTIONS)[number];
type Restriction = { kind: RestrictionKind; amount?: number };
type ItemsKind = "all" | "exclude_products" | "exclude_categories";

/** The audience as form fields: one picker per dimension, student status as one choice. */
export interface AudienceDraft {
  card_plans?: string[];
  tiers?: string[];
  min_tier?: string;
  groups?: string[];
  tags?: string[];
  student?: "any" | "only" | "exclude";
  exclude_card_plans?: string[];
  exclude_tiers?: string[];
  exclude_groups?: string[];
  exclude_tags?: string[];
}

/** The kind's rule fields shared by the create and edit forms. */
export interface RulesDraft {
  channels?: ("POS" | "ONLINE")[];
  restrictions?: RestrictionKind[];
  restriction_amount?: string;
  items_kind?: ItemsKind;
  items_codes?: string[];
  prices?: { sku?: string; price?: string }[];
}

const filled = (list: string[] | undefined) => (list && list.length > 0 ? list : undefined);

export function audienceToDraft(rule: Benefit["audience"]): AudienceDraft {
  const a = rule as Audience;
  return {
    card_plans: a.card_plans,
    tiers: a.tiers,
    min_tier: a.min_tier,
    groups: a.groups,
    tags: a.tags,
    student: a.student ? "only" : a.exclude?.student ? "exclude" : "any",
    exclude_card_plans: a.exclude?.card_plans,
    exclude_tiers: a.exclude?.tiers,
    exclude_groups: a.exclude?.groups,
    exclude_tags: a.exclude?.tags,
  };
}

/** The rule the API takes: empty dimensions left out, so an empty form reaches every member. */
export function draftToAudience(d: AudienceDraft | undefined): Audience {
  const rule: Record<string, unknown> = {};
  const exclude: Record<string, unknown> = {};
  const put = (target: Record<string, unknown>, key: string, value: unknown) => {
    if (value !== undefined && value !== "" && value !== null) target[key] = value;
  };
  put(rule, "card_plans", filled(d?.card_plans));
  put(rule, "tiers", filled(d?.tiers));
  put(rule, "min_tier", d?.min_tier);
  put(rule, "groups", filled(d?.groups));
  put(rule, "tags", filled(d?.tags));
  if (d?.student === "only") rule.student = true;
  put(exclude, "card_plans", filled(d?.exclude_card_plans));
  put(exclude, "tiers", filled(d?.exclude_tiers));
  put(exclude, "groups", filled(d?.exclude_groups));
  put(exclude, "tags", filled(d?.exclude_tags));
  if (d?.student === "exclude") exclude.student = true;
  if (Object.keys(exclude).length > 0) rule.exclude = exclude;
  return rule as Audience;
}

export function rulesToDraft(config: Config, fmt: Format): RulesDraft {
  const restrictions = (config.restrictions as Restriction[] | undefined) ?? [];
  const items = config.items as { kind: ItemsKind; skus?: string[]; categories?: string[] } | undefined;
  const prices = config.prices as { sku: string; price: number }[] | undefined;
  const amount = restrictions.find((r) => r.kind === "balance_below_amount")?.amount;
  return {
    channels: config.channels as RulesDraft["channels"],
    restrictions: restrictions.map((r) => r.kind),
    restriction_amount: amount === undefined ? undefined : fmt.toMajor(amount),
    items_kind: items?.kind ?? "all",
    items_codes: items?.skus ?? items?.categories,
    prices: prices?.map((p) => ({ sku: p.sku, price: fmt.toMajor(p.price) })),
  };
}

/** Same value, whatever the order of an object's keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .filter(([, x]) => x !== undefined)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, canon(x)]),
          )
        : v;
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

/**
 * Puts the rule fields the form shows for `kind` onto `base` (the benefit's config when editing):
 * a field left empty removes its key, every key the form does not show stays as it was.
 */
export function applyRules(kind: Kind, d: RulesDraft, base: Config, fmt: Format): Config {
  const next: Config = { ...base };
  const set = (key: string, value: unknown) => {
    if (value === undefined) delete next[key];
    else next[key] = value;
  };
  if (CHANNEL_KINDS.includes(kind)) set("channels", filled(d.channels));
  if (RESTRICTED_KINDS.includes(kind)) {
    const before = (base.restrictions as Restriction[] | undefined) ?? [];
    const chosen = RESTRICTIONS.filter((r) => d.restrictions?.includes(r)).map(
      (kind): Restriction =>
        kind === "balance_below_amount"
          ? { kind, amount: fmt.toMinor(d.restriction_amount ?? "") }
          : { kind },
    );
    // The same rules in another order are no change: keep the stored order then.
    const sort = (list: Restriction[]) => [...list].sort((x, y) => (x.kind < y.kind ? -1 : 1));
    set(
      "restrictions",
      chosen.length === 0 ? undefined : sameJson(sort(chosen), sort(before)) ? before : chosen,
    );
  }
  if (ITEM_KINDS.includes(kind)) {
    const codes = filled(d.items_codes);
    if (d.items_kind === "exclude_products" && codes) set("items", { kind: "exclude_products", skus: codes });
    else if (d.items_kind === "exclude_categories" && codes)
      set("items", { kind: "exclude_categories", categories: codes });
    // "No exclusions" is also what no `items` means; keep whichever the benefit had.
    else if ((base.items as { kind?: string } | undefined)?.kind !== "all") set("items", undefined);
  }
  if (kind === "member_pricing") {
    set(
      "prices",
      (d.prices ?? []).map((p) => ({ sku: p.sku?.trim(), price: fmt.toMinor(p.price ?? "") })),
    );
  }
  return next;
}

/** Card plans with their tiers, member groups and member tags, as picker options (codes are what a rule holds). */
function useAudienceOptions() {
  const { can } = useSession();
  const plans = useQuery({
    queryKey: ["card-plans"],
    enabled: can("GET /v1/card-plans"),
    queryFn: () => unwrap(api.GET("/v1/card-plans")),
  });
  // Every group or tag (a tenant has at most 1,000 of each), a page of 100 at a time.
  const labels = async (path: "/v1/member-tags" | "/v1/member-groups") => {
    const all: { value: string; label: string }[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const p = await unwrap(
        api.GET(path, { params: { query: { limit: 100, ...(after ? { starting_after: after } : {}) } } }),
      );
      const rows = p.data as { id: string; code: string; name: string }[];
      for (const l of rows) all.push({ value: l.code, label: `${l.name} (${l.code})` });
      if (!p.has_more || rows.length === 0) break;
      after = rows[rows.length - 1]!.id;
    }
    return all;
  };
  const groups = useQuery({
    queryKey: ["member-groups", "every-option"],
    enabled: can("GET /v1/member-groups"),
    queryFn: () => labels("/v1/member-groups"),
  });
  const tags = useQuery({
    queryKey: ["member-tags", "every-option"],
    enabled: can("GET /v1/member-tags"),
    queryFn: () => labels("/v1/member-tags"),
  });
  const list = (plans.data?.data ?? []).filter((p) => !p.archived);
  return {
    loading: plans.isFetching || groups.isFetching || tags.isFetching,
    plans: list.map((p) => ({ value: p.code, label: `${p.name} (${p.code})` })),
    tiers: list.map((p) => ({
      label: p.name,
      title: p.code,
      options: p.tiers.map((tier) => ({
        value: tier.code,
        label: `${p.name} · ${tier.name} (${tier.code})`,
      })),
    })),
    groups: groups.data ?? [],
    tags: tags.data ?? [],
  };
}

/** Who the benefit reaches: applicable card plans / tiers, member groups and tags, with exclusions. */
export function AudienceFields() {
  const { t } = useI18n();
  const o = useAudienceOptions();
  const form = Form.useFormInstance();
  const excluding = (["exclude_card_plans", "exclude_tiers", "exclude_groups", "exclude_tags"] as const).some(
    (key) => (form.getFieldValue(["audience", key]) as string[] | undefined)?.length,
  );
  const picker = (name: keyof AudienceDraft, label: string, options: unknown[], testId: string) => (
    <Form.Item name={["audience", name]} label={label}>
      <Select
        mode="multiple"
        allowClear
        showSearch
        optionFilterProp="label"
        loading={o.loading}
        options={options as never}
        data-testid={testId}
        placeholder={t("benefits.audience.any")}
      />
    </Form.Item>
  );
  return (
    <>
      <Divider titlePlacement="start" plain style={{ marginTop: 0 }}>
        {t("benefits.audience")}
      </Divider>
      <div style={{ display: "grid", gridTemplateColumns: "1fr 1fr", columnGap: 12 }}>
        {picker("card_plans", t("benefits.audience.cardPlans"), o.plans, "audience-card-plans")}
        {picker("tiers", t("benefits.audience.tiers"), o.tiers, "audience-tiers")}
        <Form.Item name={["audience", "min_tier"]} label={t("benefits.audience.minTier")}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            loading={o.loading}
            options={o.tiers}
            placeholder={t("benefits.audience.any")}
          />
        </Form.Item>
        <Form.Item name={["audience", "student"]} label={t("benefits.audience.student")}>
          <Select
            options={(["any", "only", "exclude"] as const).map((v) => ({
              value: v,
              label: t(`benefits.audience.student.${v}`),
            }))}
          />
        </Form.Item>
        {picker("groups", t("benefits.audience.groups"), o.groups, "audience-groups")}
        {picker("tags", t("benefits.audience.tags"), o.tags, "audience-tags")}
      </div>
      <Collapse
        size="small"
        ghost
        defaultActiveKey={excluding ? ["exclude"] : []}
        style={{ marginBottom: 12 }}
        items={[
          {
            key: "exclude",
            label: t("benefits.audience.exclusions"),
            // Mounted while folded, so the exclusions the benefit has stay in the form.
            forceRender: true,
            children: (
              <div style={{ display: "grid", gridTemplateColumns: "1fr 1fr", columnGap: 12 }}>
                {picker(
                  "exclude_tiers",
                  t("benefits.audience.excludeTiers"),
                  o.tiers,
                  "audience-exclude-tiers",
                )}
                {picker("exclude_tags", t("benefits.audience.excludeTags"), o.tags, "audience-exclude-tags")}
                {picker(
                  "exclude_card_plans",
                  t("benefits.audience.excludeCardPlans"),
                  o.plans,
                  "audience-exclude-plans",
                )}
                {picker(
                  "exclude_groups",
                  t("benefits.audience.excludeGroups"),
                  o.groups,
                  "audience-exclude-groups",
                )}
              </div>
            ),
          },
        ]}
      />
    </>
  );
}

/** Member prices: one row per SKU. */
export function PriceRows() {
  const { t, fmt } = useI18n();
  return (
    <FormRows
      name="prices"
      label={t("benefits.memberPrices")}
      max={500}
      required
      addLabel={t("benefits.addPrice")}
      row={(field, i) => (
        <>
          <Form.Item
            name={[field.name, "sku"]}
            rules={[{ required: true, whitespace: true, max: 64, message: t("benefits.skuRequired") }]}
          >
            <Input placeholder="SKU" aria-label={`SKU ${i + 1}`} style={{ width: 200 }} />
          </Form.Item>
          <Form.Item
            name={[field.name, "price"]}
            rules={[
              {
                validator: async (_: unknown, v: string | undefined) => {
                  if (fmt.toMinor(v ?? "") === undefined) throw new Error(t("benefits.priceInvalid"));
                },
              },
            ]}
          >
            <Input
              inputMode="decimal"
              aria-label={`${t("benefits.memberPrice")} ${i + 1}`}
              placeholder={`${t("benefits.memberPrice")} (${fmt.currency})`}
              style={{ width: 160 }}
            />
          </Form.Item>
        </>
      )}
    />
  );
}

/** Restriction rules and available items, for the kinds the engine applies them to. */
export function RuleFields({ kind }: { kind: Kind | undefined }) {
  const { t, fmt } = useI18n();
  const form = Form.useFormInstance();
  const restrictions = Form.useWatch("restrictions", form) as RestrictionKind[] | undefined;
  const itemsKind = Form.useWatch("items_kind", form) as ItemsKind | undefined;
  if (!kind) return null;
  return (
    <>
      {RESTRICTED_KINDS.includes(kind) ? (
        <Form.Item name="restrictions" label={t("benefits.restrictions")}>
          <Checkbox.Group style={{ display: "flex", flexDirection: "column", gap: 6 }}>
            <Space align="center" wrap>
              <Checkbox value="balance_below_amount">
                {t("benefits.restriction.balance_below_amount")}
              </Checkbox>
              <Form.Item
                name="restriction_amount"
                noStyle
                rules={[
                  {
                    validator: async (_: unknown, v: string | undefined) => {
                      if (!restrictions?.includes("balance_below_amount")) return;
                      if (!(Number(fmt.toMinor(v ?? "")) > 0)) throw new Error(t("benefits.priceInvalid"));
                    },
                  },
                ]}
              >
                <Input
                  inputMode="decimal"
                  aria-label={t("benefits.restrictionAmount")}
                  disabled={!restrictions?.includes("balance_below_amount")}
                  suffix={fmt.currency}
                  style={{ width: 160 }}
                />
              </Form.Item>
            </Space>
            <Checkbox value="balance_below_outstanding">
              {t("benefits.restriction.balance_below_outstanding")}
            </Checkbox>
            <Checkbox value="balance_below_discounted_outstanding">
              {t("benefits.restriction.balance_below_discounted_outstanding")}
            </Checkbox>
          </Checkbox.Group>
        </Form.Item>
      ) : null}
      {ITEM_KINDS.includes(kind) ? (
        <>
          <Form.Item name="items_kind" label={t("benefits.items")}>
            <Radio.Group
              options={(["all", "exclude_products", "exclude_categories"] as const).map((v) => ({
                value: v,
                label: t(`benefits.items.${v}`),
              }))}
            />
          </Form.Item>
          {itemsKind === "exclude_products" || itemsKind === "exclude_categories" ? (
            <Form.Item
              name="items_codes"
              label={t(
                itemsKind === "exclude_products" ? "benefits.items.skus" : "benefits.items.categories",
              )}
              extra={t("benefits.items.codesHint")}
              rules={[{ required: true, type: "array", min: 1 }]}
            >
              <Select mode="tags" tokenSeparators={[",", " "]} open={false} suffixIcon={null} />
            </Form.Item>
          ) : null}
        </>
      ) : null}
    </>
  );
}
