import { useQuery } from "@tanstack/react-query";
import { Collapse, Divider, Form, Select } from "antd";
import { api, type components, unwrap } from "../../../api/client";
import { useI18n } from "../i18n/i18n";
import { useSession } from "../session";

/** Who a benefit, a top-up plan, a smart top-up plan or a package reaches, as the API takes it. */
export type Audience = components["schemas"]["AudienceRule"];

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

/** The rule's terms the pickers show; any other a rule holds is kept as it was. */
const SHOWN = ["card_plans", "tiers", "min_tier", "groups", "tags", "student"] as const;
const SHOWN_EXCLUDED = ["card_plans", "tiers", "groups", "tags", "student"] as const;

const filled = (list: string[] | undefined) => (list && list.length > 0 ? list : undefined);

const without = (o: Record<string, unknown> | undefined, keys: readonly string[]) =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !keys.includes(k)));

/** A stored rule (or none, for a new form) as the pickers show it. */
export function audienceToDraft(rule?: Audience | Record<string, unknown> | null): AudienceDraft {
  const a = (rule ?? {}) as Audience;
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

/**
 * The rule the API takes: empty dimensions left out, so an empty form reaches every member.
 * Terms of `before` (the rule being edited) that the pickers do not show stay as they were.
 */
export function draftToAudience(
  d: AudienceDraft | undefined,
  before?: Audience | Record<string, unknown> | null,
): Audience {
  const b = (before ?? undefined) as Audience | undefined;
  const rule: Record<string, unknown> = without(b, [...SHOWN, "exclude"]);
  const exclude: Record<string, unknown> = without(b?.exclude, SHOWN_EXCLUDED);
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

type Option = { value: string; label: string; name: string };

/** Every group or tag (a tenant has at most 1,000 of each), a page of 100 at a time. */
async function everyLabel(path: "/v1/member-tags" | "/v1/member-groups"): Promise<Option[]> {
  const all: Option[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10; page++) {
    const p = await unwrap(
      api.GET(path, { params: { query: { limit: 100, ...(after ? { starting_after: after } : {}) } } }),
    );
    const rows = p.data as { id: string; code: string; name: string }[];
    for (const l of rows) all.push({ value: l.code, label: `${l.name} (${l.code})`, name: l.name });
    if (!p.has_more || rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
  }
  return all;
}

/**
 * Card plans with their tiers (grouped by plan), member groups and member tags, as picker
 * options: codes are what a rule holds. Loaded only while `enabled` (a dialog that is open).
 */
export function useAudienceOptions(enabled = true) {
  const { can } = useSession();
  const plans = useQuery({
    queryKey: ["card-plans"],
    enabled: enabled && can("GET /v1/card-plans"),
    queryFn: () => unwrap(api.GET("/v1/card-plans")),
  });
  const groups = useQuery({
    queryKey: ["member-groups", "every-option"],
    enabled: enabled && can("GET /v1/member-groups"),
    queryFn: () => everyLabel("/v1/member-groups"),
  });
  const tags = useQuery({
    queryKey: ["member-tags", "every-option"],
    enabled: enabled && can("GET /v1/member-tags"),
    queryFn: () => everyLabel("/v1/member-tags"),
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
export type AudienceOptions = ReturnType<typeof useAudienceOptions>;

/**
 * Names for the codes a member carries (its card plan and tier, its tags): a list shows
 * 金卡 rather than `vip · gold`. Shares the pickers' cached reads, asked again as a page
 * opens (a plan or tag may have been added through the API since); a code not known shows as
 * itself.
 */
export function useSegmentLabels() {
  const { can } = useSession();
  const plans = useQuery({
    queryKey: ["card-plans"],
    enabled: can("GET /v1/card-plans"),
    queryFn: () => unwrap(api.GET("/v1/card-plans")),
  });
  const tags = useQuery({
    queryKey: ["member-tags", "every-option"],
    enabled: can("GET /v1/member-tags"),
    queryFn: () => everyLabel("/v1/member-tags"),
  });
  const planList = plans.data?.data ?? [];
  const tagNames = new Map((tags.data ?? []).map((o) => [o.value, o.name]));
  return {
    /** The tier's name, after its plan's when the tenant has more than one plan. */
    tier(planCode: string | null | undefined, tierCode: string): string {
      const plan = planList.find((p) => p.code === planCode);
      const tier = plan?.tiers.find((x) => x.code === tierCode);
      if (!plan || !tier) return planCode ? `${planCode} · ${tierCode}` : tierCode;
      return planList.length > 1 ? `${plan.name} · ${tier.name}` : tier.name;
    },
    tag: (code: string) => tagNames.get(code) ?? code,
  };
}

const EXCLUDING = ["exclude_card_plans", "exclude_tiers", "exclude_groups", "exclude_tags"] as const;

/**
 * Who it reaches, under the form's `audience` field (an AudienceDraft): card plans, tiers,
 * "this tier and above", student status, member groups and tags, and the same excluded.
 * `options` lets a form that picks tiers elsewhere too share one loading. A rule nested in a
 * list (a benefit's tier perks) names its place: `name` within the list's row, `path` from the
 * form's root, `testId` to tell its pickers from the benefit's own, `title` for its heading.
 */
export function AudienceFields(props: {
  options?: AudienceOptions;
  name?: (string | number)[];
  path?: (string | number)[];
  testId?: string;
  title?: string;
}) {
  const { t } = useI18n();
  const own = useAudienceOptions(props.options === undefined);
  const o = props.options ?? own;
  const form = Form.useFormInstance();
  const name = props.name ?? ["audience"];
  const path = props.path ?? name;
  const ids = props.testId ?? "audience";
  const excluding = EXCLUDING.some(
    (key) => (form.getFieldValue([...path, key]) as string[] | undefined)?.length,
  );
  const picker = (key: keyof AudienceDraft, label: string, options: unknown[], testId: string) => (
    <Form.Item name={[...name, key]} label={label}>
      <Select
        mode="multiple"
        allowClear
        showSearch
        optionFilterProp="label"
        loading={o.loading}
        options={options as never}
        data-testid={`${ids}-${testId}`}
        placeholder={t("audience.any")}
      />
    </Form.Item>
  );
  return (
    <>
      <Divider titlePlacement="start" plain style={{ marginTop: 0 }}>
        {props.title ?? t("audience")}
      </Divider>
      <div style={{ display: "grid", gridTemplateColumns: "1fr 1fr", columnGap: 12 }}>
        {picker("card_plans", t("audience.cardPlans"), o.plans, "card-plans")}
        {picker("tiers", t("audience.tiers"), o.tiers, "tiers")}
        <Form.Item name={[...name, "min_tier"]} label={t("audience.minTier")}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            loading={o.loading}
            options={o.tiers}
            data-testid={`${ids}-min-tier`}
            placeholder={t("audience.any")}
          />
        </Form.Item>
        <Form.Item name={[...name, "student"]} label={t("audience.student")}>
          <Select
            options={(["any", "only", "exclude"] as const).map((v) => ({
              value: v,
              label: t(`audience.student.${v}`),
            }))}
          />
        </Form.Item>
        {picker("groups", t("audience.groups"), o.groups, "groups")}
        {picker("tags", t("audience.tags"), o.tags, "tags")}
      </div>
      <Collapse
        size="small"
        ghost
        defaultActiveKey={excluding ? ["exclude"] : []}
        style={{ marginBottom: 12 }}
        items={[
          {
            key: "exclude",
            label: t("audience.exclusions"),
            // Mounted while folded, so the exclusions the rule has stay in the form.
            forceRender: true,
            children: (
              <div style={{ display: "grid", gridTemplateColumns: "1fr 1fr", columnGap: 12 }}>
                {picker("exclude_tiers", t("audience.excludeTiers"), o.tiers, "exclude-tiers")}
                {picker("exclude_tags", t("audience.excludeTags"), o.tags, "exclude-tags")}
                {picker("exclude_card_plans", t("audience.excludeCardPlans"), o.plans, "exclude-plans")}
                {picker("exclude_groups", t("audience.excludeGroups"), o.groups, "exclude-groups")}
              </div>
            ),
          },
        ]}
      />
    </>
  );
}
