import { useQuery } from "@tanstack/react-query";
import { Form, Select, Space } from "antd";
import { api, unwrap } from "../../../api/client";
import { compact } from "../components/changes";
import { ROW } from "../components/layout";
import { type MessageKey, useI18n } from "../i18n/i18n";

export type AudienceRule = {
  card_plans?: string[];
  tiers?: string[];
  min_tier?: string;
  groups?: string[];
  tags?: string[];
  [other: string]: unknown;
};

/** Percent in the form (10 = 10%) ↔ the API's basis points (1000). */
export const toBps = (percent: number | null | undefined) =>
  percent === null || percent === undefined ? undefined : Math.round(percent * 100);
export const toPercent = (bps: number | null | undefined) =>
  bps === null || bps === undefined ? undefined : bps / 100;

/** The pickers' choices, each loaded once from the API (one page of the largest it serves). */
export function usePlanChoices(enabled: boolean) {
  const cardPlans = useQuery({
    queryKey: ["/v1/card-plans", "picker"],
    enabled,
    queryFn: () => unwrap(api.GET("/v1/card-plans", { params: { query: { limit: 100 } as never } })),
  });
  const groups = useQuery({
    queryKey: ["/v1/member-groups", "picker"],
    enabled,
    queryFn: () => unwrap(api.GET("/v1/member-groups", { params: { query: { limit: 100 } as never } })),
  });
  const tags = useQuery({
    queryKey: ["/v1/member-tags", "picker"],
    enabled,
    queryFn: () => unwrap(api.GET("/v1/member-tags", { params: { query: { limit: 100 } } })),
  });
  const benefits = useQuery({
    queryKey: ["/v1/benefits", "picker"],
    enabled,
    queryFn: () =>
      unwrap(api.GET("/v1/benefits", { params: { query: { status: "active", limit: 100 } as never } })),
  });
  const agreements = useQuery({
    queryKey: ["agreements", "topup_agreement"],
    enabled,
    queryFn: () => unwrap(api.GET("/v1/agreements", { params: { query: { status: "active", limit: 100 } } })),
  });
  const plans = cardPlans.data?.data ?? [];
  type Named = { id: string; name: string };
  return {
    cardPlans: plans.filter((p) => !p.archived).map((p) => ({ value: p.code, label: p.name })),
    tiers: plans
      .filter((p) => !p.archived)
      .flatMap((p) => p.tiers.map((tier) => ({ value: tier.code, label: `${p.name} · ${tier.name}` }))),
    groups: ((groups.data?.data ?? []) as { code: string; name: string }[]).map((g) => ({
      value: g.code,
      label: g.name,
    })),
    tags: (tags.data?.data ?? []).map((g) => ({ value: g.code, label: g.name })),
    benefits: ((benefits.data?.data ?? []) as Named[]).map((b) => ({ value: b.id, label: b.name })),
    agreements: (agreements.data?.data ?? [])
      .filter((a) => a.type === "topup_agreement")
      .map((a) => ({ value: a.id, label: `${a.title} (v${a.version})` })),
    loading:
      cardPlans.isFetching ||
      groups.isFetching ||
      tags.isFetching ||
      benefits.isFetching ||
      agreements.isFetching,
  };
}
export type PlanChoices = ReturnType<typeof usePlanChoices>;

/** User scope (card plans, tiers or "that tier and above", groups, tags), under `audience`. */
export function AudienceFields(props: { choices: PlanChoices }) {
  const { t } = useI18n();
  const c = props.choices;
  const multi = (key: keyof AudienceRule, label: MessageKey, options: { value: string; label: string }[]) => (
    <Form.Item name={["audience", key]} label={t(label)}>
      <Select
        mode="multiple"
        allowClear
        style={{ minWidth: 240 }}
        optionFilterProp="label"
        loading={c.loading}
        options={options}
      />
    </Form.Item>
  );
  return (
    <>
      <Space wrap align="start" style={ROW}>
        {multi("card_plans", "topupForm.audience.cardPlans", c.cardPlans)}
        {multi("tiers", "topupForm.audience.tiers", c.tiers)}
        <Form.Item name={["audience", "min_tier"]} label={t("topupForm.audience.minTier")}>
          <Select allowClear style={{ width: 220 }} optionFilterProp="label" options={c.tiers} />
        </Form.Item>
      </Space>
      <Space wrap align="start" style={ROW}>
        {multi("groups", "topupForm.audience.groups", c.groups)}
        {multi("tags", "topupForm.audience.tags", c.tags)}
      </Space>
    </>
  );
}

/** The audience the form shows, merged over what it does not (exclusions, student status). */
export function audienceOf(
  d: AudienceRule | undefined,
  before: AudienceRule | undefined,
): AudienceRule | undefined {
  const { card_plans, tiers, min_tier, groups, tags, ...hidden } = before ?? {};
  void card_plans;
  void tiers;
  void min_tier;
  void groups;
  void tags;
  return compact({
    ...hidden,
    card_plans: d?.card_plans,
    tiers: d?.tiers,
    min_tier: d?.min_tier,
    groups: d?.groups,
    tags: d?.tags,
  });
}

/** The agreement members accept, among the tenant's active top-up agreements. */
export function AgreementField(props: { choices: PlanChoices }) {
  const { t } = useI18n();
  return (
    <Form.Item name="agreement_id" label={t("topupForm.agreement")}>
      <Select
        allowClear
        style={{ width: 320 }}
        loading={props.choices.loading}
        options={props.choices.agreements}
      />
    </Form.Item>
  );
}
