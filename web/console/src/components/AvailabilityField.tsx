import { DatePicker, Input, Select, Space, Typography } from "antd";
import dayjs from "dayjs";
import { type MessageKey, useI18n } from "../i18n/i18n";

type Day = number | "last";
type Window = { start: string; end: string };
type Time =
  | { kind: "all_day" }
  | { kind: "unified"; window: Window }
  | { kind: "per_date"; windows: ({ day: Day } & Window)[] };
type Frequency = "daily" | "weekly" | "monthly";

/** When a plan is open (the API's `availability`): inclusive local dates and a schedule of days and hours. */
export type Availability = {
  from_date?: string;
  until_date?: string;
  schedule?: { frequency: Frequency; days?: Day[]; time: Time };
};

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
const MONTH_DAYS: Day[] = [...Array.from({ length: 31 }, (_, i) => i + 1), "last"];

/** Why an availability cannot be saved as it stands, or undefined when it can. */
export function availabilityProblem(v: Availability | undefined): MessageKey | undefined {
  const s = v?.schedule;
  if (v?.from_date && v.until_date && v.from_date > v.until_date) return "availability.problem.dates";
  if (!s) return undefined;
  if (s.frequency !== "daily" && !s.days?.length) return "availability.problem.days";
  const windows =
    s.time.kind === "unified" ? [s.time.window] : s.time.kind === "per_date" ? s.time.windows : [];
  if (windows.some((w) => !HHMM.test(w.start) || !HHMM.test(w.end))) return "availability.problem.time";
  return undefined;
}

/**
 * A purchase period as the seed describes it (§2.2.1): from and until a date, on every day or on
 * chosen weekdays or days of the month, all day, in one time window, or a window per date. Every
 * rule runs in the tenant's time zone. Nothing chosen: always open.
 */
export function AvailabilityField(props: { value?: Availability; onChange?: (v: Availability) => void }) {
  const { t } = useI18n();
  const v = props.value ?? {};
  const s = v.schedule;
  const emit = (next: Availability) => {
    const out: Availability = {};
    if (next.from_date) out.from_date = next.from_date;
    if (next.until_date) out.until_date = next.until_date;
    if (next.schedule) out.schedule = next.schedule;
    props.onChange?.(out);
  };
  const setSchedule = (schedule: Availability["schedule"]) => emit({ ...v, schedule });
  const dayLabel = (d: Day) =>
    s?.frequency === "weekly"
      ? t(`availability.weekday.${d}` as MessageKey)
      : d === "last"
        ? t("availability.lastDay")
        : t("availability.monthDay", { day: d });
  const setFrequency = (f: Frequency | "any") =>
    setSchedule(
      f === "any"
        ? undefined
        : f === "daily"
          ? { frequency: f, time: s?.time.kind === "unified" ? s.time : { kind: "all_day" } }
          : { frequency: f, days: [], time: s?.time.kind === "unified" ? s.time : { kind: "all_day" } },
    );
  const setDays = (days: Day[]) => {
    if (!s) return;
    const sorted = [...days].sort((a, b) => (a === "last" ? 99 : a) - (b === "last" ? 99 : b));
    const time: Time =
      s.time.kind === "per_date"
        ? {
            kind: "per_date",
            windows: sorted.map(
              (day) =>
                (s.time.kind === "per_date" ? s.time.windows.find((w) => w.day === day) : undefined) ?? {
                  day,
                  start: "",
                  end: "",
                },
            ),
          }
        : s.time;
    setSchedule({ ...s, days: sorted, time });
  };
  const setTimeKind = (kind: Time["kind"]) => {
    if (!s) return;
    const time: Time =
      kind === "all_day"
        ? { kind }
        : kind === "unified"
          ? { kind, window: { start: "", end: "" } }
          : { kind, windows: (s.days ?? []).map((day) => ({ day, start: "", end: "" })) };
    setSchedule({ ...s, time });
  };
  const timeInput = (label: string, value: string, set: (text: string) => void) => (
    <Input
      aria-label={label}
      placeholder="10:00"
      value={value}
      maxLength={5}
      style={{ width: 80 }}
      onChange={(e) => set(e.target.value.trim())}
    />
  );
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <Space wrap>
        <DatePicker
          aria-label={t("availability.from")}
          placeholder={t("availability.from")}
          value={v.from_date ? dayjs(v.from_date) : null}
          onChange={(d) => emit({ ...v, from_date: d ? d.format("YYYY-MM-DD") : undefined })}
        />
        <DatePicker
          aria-label={t("availability.until")}
          placeholder={t("availability.until")}
          value={v.until_date ? dayjs(v.until_date) : null}
          onChange={(d) => emit({ ...v, until_date: d ? d.format("YYYY-MM-DD") : undefined })}
        />
      </Space>
      <Space wrap>
        <Select
          aria-label={t("availability.frequency")}
          style={{ width: 140 }}
          value={s?.frequency ?? "any"}
          onChange={setFrequency}
          options={(["any", "daily", "weekly", "monthly"] as const).map((f) => ({
            value: f,
            label: t(`availability.frequency.${f}`),
          }))}
        />
        {s && s.frequency !== "daily" ? (
          <Select
            mode="multiple"
            aria-label={t("availability.days")}
            placeholder={t("availability.days")}
            style={{ minWidth: 240 }}
            value={s.days ?? []}
            onChange={setDays}
            options={(s.frequency === "weekly" ? [...WEEKDAYS] : MONTH_DAYS).map((d) => ({
              value: d,
              label: dayLabel(d),
            }))}
          />
        ) : null}
        {s ? (
          <Select
            aria-label={t("availability.time")}
            style={{ width: 160 }}
            value={s.time.kind}
            onChange={setTimeKind}
            options={(s.frequency === "daily"
              ? (["all_day", "unified"] as const)
              : (["all_day", "unified", "per_date"] as const)
            ).map((k) => ({ value: k, label: t(`availability.time.${k}`) }))}
          />
        ) : null}
        {s?.time.kind === "unified" ? (
          <Space>
            {timeInput(
              t("availability.start"),
              s.time.window.start,
              (start) =>
                s.time.kind === "unified" &&
                setSchedule({ ...s, time: { ...s.time, window: { ...s.time.window, start } } }),
            )}
            <Typography.Text>–</Typography.Text>
            {timeInput(
              t("availability.end"),
              s.time.window.end,
              (end) =>
                s.time.kind === "unified" &&
                setSchedule({ ...s, time: { ...s.time, window: { ...s.time.window, end } } }),
            )}
          </Space>
        ) : null}
      </Space>
      {s?.time.kind === "per_date"
        ? s.time.windows.map((w, i) => {
            const set = (patch: Partial<Window>) =>
              s.time.kind === "per_date" &&
              setSchedule({
                ...s,
                time: {
                  kind: "per_date",
                  windows: s.time.windows.map((x, j) => (j === i ? { ...x, ...patch } : x)),
                },
              });
            return (
              <Space key={String(w.day)}>
                <Typography.Text style={{ display: "inline-block", minWidth: 72 }}>
                  {dayLabel(w.day)}
                </Typography.Text>
                {timeInput(`${dayLabel(w.day)} ${t("availability.start")}`, w.start, (start) =>
                  set({ start }),
                )}
                <Typography.Text>–</Typography.Text>
                {timeInput(`${dayLabel(w.day)} ${t("availability.end")}`, w.end, (end) => set({ end }))}
              </Space>
            );
          })
        : null}
      <Typography.Text type="secondary">{t("availability.hint")}</Typography.Text>
    </Space>
  );
}
