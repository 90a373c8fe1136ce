import { DatePicker, Form, Select, Space, TimePicker } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { type MessageKey, useI18n } from "../i18n/i18n";
import { ROW } from "./layout";

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
/** When a plan is open (the API's `availability`): inclusive local dates and a schedule of days and hours. */
export type Availability = { from_date?: string; until_date?: string; schedule?: PlanSchedule };

const HHMM = "HH:mm";
function TimeRange(props: { label: string; value?: Window; onChange?: (w: Window) => void }) {
  const { t } = useI18n();
  const w = props.value ?? { start: "", end: "" };
  const at = (s: string) => (s ? dayjs(`2000-01-01T${s === "24:00" ? "23:59" : s}`) : null);
  const picker = (end: "start" | "end") => (
    <TimePicker
      aria-label={`${props.label} · ${t(`availability.${end}`)}`}
      placeholder={t(`availability.${end}`)}
      format={HHMM}
      minuteStep={5}
      needConfirm={false}
      value={at(w[end])}
      onChange={(v: Dayjs | null) => props.onChange?.({ ...w, [end]: v ? v.format(HHMM) : "" })}
    />
  );
  return (
    <Space>
      {picker("start")}
      {picker("end")}
    </Space>
  );
}

export type Frequency = "always" | "daily" | "weekly" | "monthly";
const FREQUENCIES: readonly Frequency[] = ["always", "daily", "weekly", "monthly"];
type TimeKind = "all_day" | "unified" | "per_date";
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

/**
 * Effective dates and time (seed §2.2.1, §2.3.2): every day, weekdays or days of the month; all
 * day, one window for every chosen day, or a window per chosen day, in the tenant's time zone.
 * "Always" sends no schedule. `frequencies` narrows the choice to what the field's owner takes
 * (a benefit's member day is weekly or monthly); without "always" nothing is chosen at first.
 */
export function ScheduleField(props: {
  value?: PlanSchedule;
  onChange?: (s: PlanSchedule | undefined) => void;
  frequencies?: readonly Frequency[];
  testId?: string;
}) {
  const { t } = useI18n();
  const s = props.value;
  const offered = props.frequencies ?? FREQUENCIES;
  const frequency: Frequency | undefined =
    s?.frequency ?? (offered.includes("always") ? "always" : undefined);
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
      ? t(`availability.weekday.${d}` as MessageKey)
      : d === "last"
        ? t("availability.lastDay")
        : t("availability.monthDay", { n: d });
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
    <Space orientation="vertical" style={{ width: "100%" }} data-testid={props.testId}>
      <Space wrap style={ROW}>
        <Select
          aria-label={t("availability.frequency")}
          style={{ width: 140 }}
          value={frequency}
          placeholder={t("availability.frequency")}
          onChange={(f: Frequency) => emit(f, [], "all_day")}
          options={offered.map((f) => ({
            value: f,
            label: t(`availability.frequency.${f}`),
          }))}
        />
        {frequency === "weekly" || frequency === "monthly" ? (
          <Select
            mode="multiple"
            aria-label={t("availability.days")}
            placeholder={t("availability.days")}
            style={{ minWidth: 240 }}
            value={days}
            onChange={(d: Day[]) => emit(frequency, d, kind, window, windows)}
            options={dayOptions}
          />
        ) : null}
        {frequency && frequency !== "always" ? (
          <Select
            aria-label={t("availability.time")}
            style={{ width: 150 }}
            value={kind}
            onChange={(k: TimeKind) => emit(frequency, days, k, window, windows)}
            options={kinds.map((k) => ({ value: k, label: t(`availability.time.${k}`) }))}
          />
        ) : null}
      </Space>
      {frequency && frequency !== "always" && kind === "unified" ? (
        <TimeRange
          label={t("availability.window")}
          value={window}
          onChange={(w) => emit(frequency, days, kind, w, windows)}
        />
      ) : null}
      {frequency && kind === "per_date"
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
      if (s.frequency !== "daily" && s.days.length === 0) throw new Error(t("availability.needDays"));
      const ws =
        s.time.kind === "unified" ? [s.time.window] : s.time.kind === "per_date" ? s.time.windows : [];
      if (ws.some((w) => !w.start || !w.end)) throw new Error(t("availability.needWindow"));
    },
  };
}

/** A local date (`YYYY-MM-DD`) held as text in the form and shown in a date picker. */
const dateProps = {
  getValueProps: (v: string | undefined) => ({ value: v ? dayjs(v) : null }),
  normalize: (v: Dayjs | null) => (v ? v.format("YYYY-MM-DD") : undefined),
};

/**
 * From and until a local date (inclusive), each a date picker holding `YYYY-MM-DD`; until may
 * not be before from. `from` and `until` are where the form keeps them.
 */
export function DateBoundsFields(props: {
  from: string | (string | number)[];
  until: string | (string | number)[];
  fromLabel?: string;
  untilLabel?: string;
}) {
  const { t } = useI18n();
  return (
    <Space wrap style={ROW}>
      <Form.Item name={props.from} label={props.fromLabel ?? t("availability.from")} {...dateProps}>
        <DatePicker />
      </Form.Item>
      <Form.Item
        name={props.until}
        label={props.untilLabel ?? t("availability.until")}
        dependencies={[props.from]}
        {...dateProps}
        rules={[
          ({ getFieldValue }) => ({
            validator: async (_: unknown, until: string | undefined) => {
              const from = getFieldValue(props.from) as string | undefined;
              if (from && until && until < from) throw new Error(t("availability.untilBeforeFrom"));
            },
          }),
        ]}
      >
        <DatePicker />
      </Form.Item>
    </Space>
  );
}

/**
 * When a plan is open, under `availability`: from and until a date (inclusive) and its effective
 * dates and time. Nothing chosen: always open. The labels name what the period means on each form
 * (a package's purchase period, a top-up plan's validity); they default to the latter.
 */
export function AvailabilityFields(props: {
  fromLabel?: string;
  untilLabel?: string;
  scheduleLabel?: string;
}) {
  const { t } = useI18n();
  const scheduleRule = useScheduleRule();
  return (
    <>
      <DateBoundsFields
        from={["availability", "from_date"]}
        until={["availability", "until_date"]}
        fromLabel={props.fromLabel}
        untilLabel={props.untilLabel}
      />
      <Form.Item
        name={["availability", "schedule"]}
        label={props.scheduleLabel ?? t("availability.schedule")}
        extra={t("availability.hint")}
        rules={[scheduleRule]}
      >
        <ScheduleField />
      </Form.Item>
    </>
  );
}
