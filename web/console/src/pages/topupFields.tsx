import { useQuery } from "@tanstack/react-query";
import { Collapse, Form, Input, Select, Space, Typography } from "antd";
import { type ReactNode, useState } from "react";
import { api, unwrap } from "../../../api/client";
import {
  type Audience,
  type AudienceDraft,
  AudienceFields,
  type AudienceOptions,
  draftToAudience,
} from "../components/AudienceFields";
import { ImageField } from "../components/ImageField";
import { ROW } from "../components/layout";
import { StoreScopeField } from "../components/StoreScopeField";
import { type MessageKey, useI18n } from "../i18n/i18n";

/** Percent in the form (10 = 10%) ↔ the API's basis points (1000). */
export const toBps = (percent: number | null | undefined) =>
  percent === null || percent === undefined ? undefined : Math.round(percent * 100);
export const toPercent = (bps: number | null | undefined) =>
  bps === null || bps === undefined ? undefined : bps / 100;

/** The benefit and agreement pickers' choices, each loaded once from the API (one page of the largest it serves). */
export function usePlanChoices(enabled: boolean) {
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
  type Named = { id: string; name: string };
  return {
    benefits: ((benefits.data?.data ?? []) as Named[]).map((b) => ({ value: b.id, label: b.name })),
    agreements: (agreements.data?.data ?? [])
      .filter((a) => a.type === "topup_agreement")
      .map((a) => ({ value: a.id, label: `${a.title} (v${a.version})` })),
    loading: benefits.isFetching || agreements.isFetching,
  };
}
export type PlanChoices = ReturnType<typeof usePlanChoices>;

/** A plan's audience from the form, merged over what it does not show; none when it reaches everyone. */
export function audienceOf(d: AudienceDraft | undefined, before: Audience | undefined): Audience | undefined {
  const rule = draftToAudience(d, before);
  return Object.keys(rule).length > 0 ? rule : undefined;
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

/** The folding sections a top-up plan form holds its fields in. */
export type Section = "basic" | "rule" | "schedule" | "scope" | "perks" | "limits" | "more";

/** Which sections are unfolded; `open` unfolds more (a refused field's) without folding any. */
export function useSections(initial: Section[]) {
  const [active, setActive] = useState<Section[]>(initial);
  const open = (s: Section[]) => setActive((now) => [...new Set([...now, ...s])]);
  return { active, setActive, open };
}

/** A plan form's sections, each rendered folded too, so its fields stay in the form. */
export function PlanSections(props: {
  sections: ReturnType<typeof useSections>;
  items: ReturnType<typeof section>[];
}) {
  const { t } = useI18n();
  return (
    <Collapse
      size="small"
      activeKey={props.sections.active}
      onChange={(keys) => props.sections.setActive(keys as Section[])}
      items={props.items.map((i) => ({ ...i, label: t(i.label), forceRender: true }))}
    />
  );
}

/** One section of a plan form: its key, its title and its fields. */
export const section = (key: Section, label: MessageKey, children: ReactNode) => ({ key, label, children });

/** Name, currency (fixed at creation) and the description members see. */
export function BasicFields(props: { currency: string }) {
  const { t } = useI18n();
  return (
    <>
      <Space wrap align="start" style={ROW}>
        <Form.Item name="name" label={t("topup.name")} rules={[{ required: true, max: 100 }]}>
          <Input style={{ width: 320 }} />
        </Form.Item>
        <Form.Item label={t("topupForm.currency")}>
          <Typography.Text data-testid="topup-plan-currency">{props.currency}</Typography.Text>
        </Form.Item>
      </Space>
      <Form.Item name="description" label={t("topup.description")}>
        <Input.TextArea rows={2} maxLength={4000} />
      </Form.Item>
    </>
  );
}

/** The stores and members a plan is for; `audience` shares the options a form loaded already. */
export function ScopeFields(props: { audience?: AudienceOptions }) {
  const { t } = useI18n();
  return (
    <>
      <Form.Item name="store_scope" label={t("topupForm.storeScope")}>
        <StoreScopeField />
      </Form.Item>
      <AudienceFields options={props.audience} />
    </>
  );
}

/** Where members may top up: at the till, online, or both. */
export function ChannelsField() {
  const { t } = useI18n();
  return (
    <Form.Item name="channels" label={t("topup.channels")} rules={[{ required: true }]}>
      <Select
        mode="multiple"
        style={{ minWidth: 180 }}
        options={(["pos", "online"] as const).map((v) => ({ value: v, label: t(`topup.channel.${v}`) }))}
      />
    </Form.Item>
  );
}

/** The picture members see the plan by. */
export function CoverField() {
  const { t } = useI18n();
  return (
    <Form.Item name="cover_image_id" label={t("topupForm.cover")}>
      <ImageField purpose="topup_cover" uploadLabel={t("topupForm.uploadCover")} />
    </Form.Item>
  );
}
