import { useQuery } from "@tanstack/react-query";
import { DatePicker, Form, InputNumber, Select, Space, TimePicker } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { api, unwrap } from "../../../api/client";
import { type MessageKey, useI18n } from "../i18n/i18n";

/** What a plan gives (the API's GiftSpec): nothing, a voucher template × quantity, or a voucher package. */
export type GiftSpec =
  | { kind: "none" }
  | { kind: "voucher"; template_id?: string; quantity?: number }
  | { kind: "voucher_package"; package_id?: string };

type Day = number | "last";
type Window = { start: string; end: string };
/** A plan's schedule as the API takes it (daily, weekly or monthly days; all day, one window or one per day). */
export type PlanSchedule =
  | { frequency: "daily"; time: { kind: "all_day" } | { kind: "unified"; window: Window } }
  | {
      frequency: "weekly" | "monthly";
      days: Day[];
      time:
        | { kind: "all_day" }
        | { kind: "unified"; window: Window }
        | { kind: "per_date"; windows: ({ day: Day } & Window)[] };
    };
export type Availability = { from_date?: string; until_date?: string; schedule?: PlanSchedule };
export type AudienceRule = {
  card_plans?: string[];
  tiers?: string[];
  min_tier?: string;
  groups?: string[];
  tags?: string[];
  [other: string]: unknown;
};

/** A row of fields on a line of its own: two rows in a row would otherwise flow into one line. */
export const ROW = { display: "flex" } as const;

/** JSON with its object keys sorted: two values the API stored in another key order still compare equal. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v ?? null);
}

/** An object without its undefined and empty-list entries, or undefined when nothing is left. */
export function compact<T extends Record<string, unknown>>(o: T | undefined | null): T | undefined {
  if (!o) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return Object.keys(out).length > 0 ? (out as T) : undefined;
}

/** Percent in the form (10 = 10%) ↔ the API's basis points (1000). */
export const toBps = (percent: number | null | undefined) =>
  percent === null || percent === undefined ? undefined : Math.round(percent * 100);
export const toPercent = (bps: number | null | undefined) =>
  bps === null || bps === undefined ? undefined : bps / 100;

/** A gift that gives something, or undefined for none (so an untouched form sends nothing). */
export const giftOrUndefined = (g: GiftSpec | undefined) => (g && g.kind !== "none" ? g : undefined);

const giftComplete = (g: GiftSpec | undefined) =>
  !g || g.kind === "none" || (g.kind === "voucher" ? !!g.template_id : !!g.package_id);

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
  const templates = useQuery({
    queryKey: ["/v1/gift-voucher-templates", "picker"],
    enabled,
    queryFn: () =>
      unwrap(api.GET("/v1/gift-voucher-templates", { params: { query: { limit: 100 } as never } })),
  });
  const packages = useQuery({
    queryKey: ["/v1/gift-voucher-packages", "picker"],
    enabled,
    queryFn: () =>
      unwrap(api.GET("/v1/gift-voucher-packages", { params: { query: { limit: 100 } as never } })),
  });
  const agreements = useQuery({
    queryKey: ["agreements", "topup_agreement"],
    enabled,
    queryFn: () => unwrap(api.GET("/v1/agreements", { params: { query: { status: "active", limit: 100 } } })),
  });
  const plans = cardPlans.data?.data ?? [];
  type Named = { id: string; name: string; status?: string };
  const active = (list: Named[] | undefined) =>
    (list ?? []).filter((x) => x.status === undefined || x.status === "active");
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
    templates: active(templates.data?.data as Named[] | undefined).map((x) => ({
      value: x.id,
      label: x.name,
    })),
    packages: active(packages.data?.data as Named[] | undefined).map((x) => ({ value: x.id, label: x.name })),
    agreements: (agreements.data?.data ?? [])
      .filter((a) => a.type === "topup_agreement")
      .map((a) => ({ value: a.id, label: `${a.title} (v${a.version})` })),
    loading:
      cardPlans.isFetching ||
      groups.isFetching ||
      tags.isFetching ||
      benefits.isFetching ||
      templates.isFetching ||
      packages.isFetching ||
      agreements.isFetching,
  };
}
export type PlanChoices = ReturnType<typeof usePlanChoices>;

/**
 * A gift (No Gift / Voucher / Voucher Package): the kind, then the template and quantity or the
 * package, chosen from what the catalog holds. `label` names each control for assistive technology.
 */
export function GiftField(props: {
  label: string;
  choices: PlanChoices;
  value?: GiftSpec;
  onChange?: (g: GiftSpec) => void;
}) {
  const { t } = useI18n();
  const g = props.value ?? { kind: "none" };
  const set = (next: GiftSpec) => props.onChange?.(next);
  return (
    <Space wrap>
      <Select
        aria-label={props.label}
        style={{ width: 150 }}
        value={g.kind}
        onChange={(kind: GiftSpec["kind"]) =>
          set(kind === "voucher" ? { kind, quantity: 1 } : kind === "voucher_package" ? { kind } : { kind })
        }
        options={(["none", "voucher", "voucher_package"] as const).map((k) => ({
          value: k,
          label: t(`topupForm.gift.${k}` as MessageKey),
        }))}
      />
      {g.kind === "voucher" ? (
        <>
          <Select
            aria-label={`${props.label} · ${t("topupForm.gift.template")}`}
            placeholder={t("topupForm.gift.template")}
            style={{ width: 220 }}
            showSearch
            optionFilterProp="label"
            value={g.template_id}
            options={props.choices.templates}
            onChange={(template_id: string) => set({ ...g, template_id })}
          />
          <InputNumber
            aria-label={`${props.label} · ${t("topupForm.gift.quantity")}`}
            prefix="×"
            min={1}
            max={100}
            precision={0}
            style={{ width: 110 }}
            value={g.quantity ?? 1}
            onChange={(q) => set({ ...g, quantity: q ?? 1 })}
          />
        </>
      ) : null}
      {g.kind === "voucher_package" ? (
        <Select
          aria-label={`${props.label} · ${t("topupForm.gift.package")}`}
          placeholder={t("topupForm.gift.package")}
          style={{ width: 220 }}
          showSearch
          optionFilterProp="label"
          value={g.package_id}
          options={props.choices.packages}
          onChange={(package_id: string) => set({ kind: "voucher_package", package_id })}
        />
      ) : null}
    </Space>
  );
}

/** Form rule: a voucher gift names its template, a package gift its package. */
export function useGiftRule() {
  const { t } = useI18n();
  return {
    validator: async (_: unknown, g: GiftSpec | undefined) => {
      if (!giftComplete(g)) throw new Error(t("topupForm.gift.incomplete"));
    },
  };
}

const HHMM = "HH:mm";
function TimeRange(props: { label: string; value?: Window; onChange?: (w: Window) => void }) {
  const { t } = useI18n();
  const w = props.value ?? { start: "", end: "" };
  const at = (s: string) => (s ? dayjs(`2000-01-01T${s === "24:00" ? "23:59" : s}`) : null);
  return (
    <Space>
      <TimePicker
        aria-label={`${props.label} · ${t("topupForm.schedule.start")}`}
        placeholder={t("topupForm.schedule.start")}
        format={HHMM}
        minuteStep={5}
        needConfirm={false}
        value={at(w.start)}
        onChange={(v: Dayjs | null) => props.onChange?.({ ...w, start: v ? v.format(HHMM) : "" })}
      />
      <TimePicker
        aria-label={`${props.label} · ${t("topupForm.schedule.end")}`}
        placeholder={t("topupForm.schedule.end")}
        format={HHMM}
        minuteStep={5}
        needConfirm={false}
        value={at(w.end)}
        onChange={(v: Dayjs | null) => props.onChange?.({ ...w, end: v ? v.format(HHMM) : "" })}
      />
    </Space>
  );
}

type Frequency = "always" | "daily" | "weekly" | "monthly";
type TimeKind = "all_day" | "unified" | "per_date";
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

/**
 * Effective dates and time (seed §2.3.2): every day, weekdays or days of the month; all day, one
 * window for every chosen day, or a window per chosen day. "Always" sends no schedule.
 */
export function ScheduleField(props: {
  value?: PlanSchedule;
  onChange?: (s: PlanSchedule | undefined) => void;
}) {
  const { t } = useI18n();
  const s = props.value;
  const frequency: Frequency = s?.frequency ?? "always";
  const days: Day[] = s && s.frequency !== "daily" ? s.days : [];
  const kind: TimeKind = s?.time.kind ?? "all_day";
  const window: Window | undefined = s?.time.kind === "unified" ? s.time.window : undefined;
  const windows = s && s.frequency !== "daily" && s.time.kind === "per_date" ? s.time.windows : [];
  const emit = (f: Frequency, d: Day[], k: TimeKind, w?: Window, ws?: ({ day: Day } & Window)[]) => {
    if (f === "always") return props.onChange?.(undefined);
    const unified = { kind: "unified" as const, window: w ?? { start: "", end: "" } };
    if (f === "daily")
      return props.onChange?.({ frequency: "daily", time: k === "unified" ? unified : { kind: "all_day" } });
    const time =
      k === "unified"
        ? unified
        : k === "per_date"
          ? {
              kind: "per_date" as const,
              windows: d.map((day) => ws?.find((x) => x.day === day) ?? { day, start: "", end: "" }),
            }
          : { kind: "all_day" as const };
    props.onChange?.({ frequency: f, days: d, time });
  };
  const dayLabel = (d: Day) =>
    frequency === "weekly"
      ? t(`topupForm.weekday.${d}` as MessageKey)
      : d === "last"
        ? t("topupForm.schedule.lastDay")
        : t("topupForm.schedule.monthDay", { n: d });
  const dayOptions =
    frequency === "weekly"
      ? WEEKDAYS.map((d) => ({ value: d, label: dayLabel(d) }))
      : [...Array.from({ length: 31 }, (_, i) => i + 1), "last" as const].map((d) => ({
          value: d,
          label: dayLabel(d),
        }));
  const kinds: TimeKind[] =
    frequency === "daily" ? ["all_day", "unified"] : ["all_day", "unified", "per_date"];
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <Space wrap style={ROW}>
        <Select
          aria-label={t("topupForm.schedule.frequency")}
          style={{ width: 140 }}
          value={frequency}
          onChange={(f: Frequency) => emit(f, [], "all_day")}
          options={(["always", "daily", "weekly", "monthly"] as const).map((f) => ({
            value: f,
            label: t(`topupForm.schedule.${f}`),
          }))}
        />
        {frequency === "weekly" || frequency === "monthly" ? (
          <Select
            mode="multiple"
            aria-label={t("topupForm.schedule.days")}
            placeholder={t("topupForm.schedule.days")}
            style={{ minWidth: 240 }}
            value={days}
            onChange={(d: Day[]) => emit(frequency, d, kind, window, windows)}
            options={dayOptions}
          />
        ) : null}
        {frequency !== "always" ? (
          <Select
            aria-label={t("topupForm.schedule.time")}
            style={{ width: 150 }}
            value={kind}
            onChange={(k: TimeKind) => emit(frequency, days, k, window, windows)}
            options={kinds.map((k) => ({ value: k, label: t(`topupForm.schedule.${k}`) }))}
          />
        ) : null}
      </Space>
      {frequency !== "always" && kind === "unified" ? (
        <TimeRange
          label={t("topupForm.schedule.window")}
          value={window}
          onChange={(w) => emit(frequency, days, kind, w, windows)}
        />
      ) : null}
      {kind === "per_date"
        ? windows.map((w) => (
            <Space key={String(w.day)}>
              <span style={{ display: "inline-block", minWidth: 64 }}>{dayLabel(w.day)}</span>
              <TimeRange
                label={dayLabel(w.day)}
                value={w}
                onChange={(next) =>
                  emit(
                    frequency,
                    days,
                    kind,
                    window,
                    windows.map((x) => (x.day === w.day ? { day: w.day, ...next } : x)),
                  )
                }
              />
            </Space>
          ))
        : null}
    </Space>
  );
}

/** Form rule: a schedule names its days and every window its start and end. */
export function useScheduleRule() {
  const { t } = useI18n();
  return {
    validator: async (_: unknown, s: PlanSchedule | undefined) => {
      if (!s) return;
      if (s.frequency !== "daily" && s.days.length === 0) throw new Error(t("topupForm.schedule.needDays"));
      const ws =
        s.time.kind === "unified" ? [s.time.window] : s.time.kind === "per_date" ? s.time.windows : [];
      if (ws.some((w) => !w.start || !w.end)) throw new Error(t("topupForm.schedule.needWindow"));
    },
  };
}

/** A local date (`YYYY-MM-DD`) held as text in the form and shown in a date picker. */
const dateProps = {
  getValueProps: (v: string | undefined) => ({ value: v ? dayjs(v) : null }),
  normalize: (v: Dayjs | null) => (v ? v.format("YYYY-MM-DD") : undefined),
};

/** Validity period (from / until, inclusive) and effective dates and time, under `availability`. */
export function AvailabilityFields() {
  const { t } = useI18n();
  const scheduleRule = useScheduleRule();
  return (
    <>
      <Space wrap style={ROW}>
        <Form.Item name={["availability", "from_date"]} label={t("topupForm.fromDate")} {...dateProps}>
          <DatePicker />
        </Form.Item>
        <Form.Item
          name={["availability", "until_date"]}
          label={t("topupForm.untilDate")}
          dependencies={[["availability", "from_date"]]}
          {...dateProps}
          rules={[
            ({ getFieldValue }) => ({
              validator: async (_: unknown, until: string | undefined) => {
                const from = getFieldValue(["availability", "from_date"]) as string | undefined;
                if (from && until && until < from) throw new Error(t("topupForm.untilBeforeFrom"));
              },
            }),
          ]}
        >
          <DatePicker />
        </Form.Item>
      </Space>
      <Form.Item name={["availability", "schedule"]} label={t("topupForm.schedule")} rules={[scheduleRule]}>
        <ScheduleField />
      </Form.Item>
    </>
  );
}

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
