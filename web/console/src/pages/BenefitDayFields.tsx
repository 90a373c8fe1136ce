import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Card, Checkbox, Form, Input, InputNumber, Radio, Space } from "antd";
import {
  type AudienceDraft,
  AudienceFields,
  audienceToDraft,
  draftToAudience,
  useAudienceOptions,
} from "../components/AudienceFields";
import {
  DateBoundsFields,
  type PlanSchedule,
  ScheduleField,
  useScheduleRule,
} from "../components/AvailabilityField";
import { compact } from "../components/changes";
import { nextDate, zonedDate, zonedDayStart } from "../components/dayRange";
import { ROW } from "../components/layout";
import { useI18n } from "../i18n/i18n";

type Config = Record<string, unknown>;
/** The kinds with a day (a member day, a birthday), a discount, a points multiplier and tier perks. */
export const DAY_KINDS = ["member_day", "birthday"] as const;
type DayKind = (typeof DAY_KINDS)[number];
export const isDayKind = (kind: string | undefined): kind is DayKind =>
  (DAY_KINDS as readonly string[]).includes(kind ?? "");

/** A benefit's member day repeats weekly or monthly only (the API's `Schedule`). */
const BENEFIT_FREQUENCIES = ["weekly", "monthly"] as const;
/** A multiplier's schedule is optional: "always" takes it away. */
const OPTIONAL_FREQUENCIES = ["always", ...BENEFIT_FREQUENCIES] as const;
const PERIODS = ["day", "week", "month"] as const;
/** The API's cap on a benefit's tier perks. */
const MAX_PERKS = 10;

/** A tier perk as the form holds it; a number input that was cleared holds null. */
interface PerkDraft {
  audience?: AudienceDraft;
  discount_percent?: number | null;
  extra_discount_percent?: number | null;
  points_multiplier?: string;
  extra_points_percent?: number | null;
  free_shipping?: boolean;
}
type Perk = { audience: Record<string, unknown> } & Omit<PerkDraft, "audience">;

/** The member day's or birthday's own fields; its discount is the form's `discount_percent`. */
export interface DayDraft {
  schedule?: PlanSchedule;
  period?: (typeof PERIODS)[number];
  points_multiplier?: string;
  perks?: PerkDraft[];
}

export function dayToDraft(c: Config): DayDraft {
  return {
    schedule: c.schedule as PlanSchedule | undefined,
    period: c.period as DayDraft["period"],
    points_multiplier: c.points_multiplier as string | undefined,
    perks: (c.perks as Perk[] | undefined)?.map((p) => ({ ...p, audience: audienceToDraft(p.audience) })),
  };
}

/**
 * Puts the day fields onto `next` (a copy of the benefit's config): an emptied field removes
 * its key. A perk's audience keeps what the perk in its place had and the pickers do not show.
 */
export function applyDay(
  kind: DayKind,
  d: DayDraft & { discount_percent?: number | null },
  next: Config,
): void {
  const set = (key: string, value: unknown) => {
    if (value === undefined || value === null || value === "") delete next[key];
    else next[key] = value;
  };
  if (kind === "member_day") set("schedule", d.schedule);
  else set("period", d.period);
  set("discount_percent", d.discount_percent);
  set("points_multiplier", d.points_multiplier?.trim());
  const before = (next.perks as Perk[] | undefined) ?? [];
  const perks = (d.perks ?? []).map(({ audience, ...p }, i) => ({
    audience: draftToAudience(audience, before[i]?.audience),
    ...compact({
      ...p,
      points_multiplier: p.points_multiplier?.trim(),
      free_shipping: p.free_shipping || undefined,
    }),
  }));
  set("perks", perks.length > 0 ? perks : undefined);
}

/** A points multiplier's dates as the form holds them: inclusive local dates in the tenant's zone. */
export interface PeriodDraft {
  valid_from_date?: string;
  valid_until_date?: string;
}

/** The API's instants as the days they fall on; `valid_until` is exclusive, so its day is the one before. */
export function periodToDraft(c: Config, timeZone: string): PeriodDraft {
  const from = c.valid_from as string | undefined;
  const until = c.valid_until as string | undefined;
  return {
    valid_from_date: from ? zonedDate(from, timeZone) : undefined,
    valid_until_date: until ? zonedDate(new Date(Date.parse(until) - 1).toISOString(), timeZone) : undefined,
  };
}

/**
 * Puts a multiplier's dates and schedule onto `next` (a copy of the benefit's config): from the
 * start of the from-day up to the start of the day after the until-day, in the tenant's zone. A
 * day that is what the stored instant already reads as keeps that instant, so an untouched date
 * is no change even when it was not set at a midnight.
 */
export function applyPeriod(d: PeriodDraft & { schedule?: PlanSchedule }, next: Config, timeZone: string) {
  const before = periodToDraft(next, timeZone);
  const set = (key: string, value: unknown) => {
    if (value === undefined) delete next[key];
    else next[key] = value;
  };
  if (d.valid_from_date !== before.valid_from_date)
    set("valid_from", d.valid_from_date && zonedDayStart(d.valid_from_date, timeZone));
  if (d.valid_until_date !== before.valid_until_date)
    set("valid_until", d.valid_until_date && zonedDayStart(nextDate(d.valid_until_date), timeZone));
  set("schedule", d.schedule);
}

/** When a points multiplier applies: between two dates and, if chosen, on weekly or monthly days. */
export function PeriodFields() {
  const { t } = useI18n();
  const scheduleRule = useScheduleRule();
  return (
    <>
      <DateBoundsFields from="valid_from_date" until="valid_until_date" />
      <Form.Item
        name="schedule"
        label={t("availability.schedule")}
        extra={t("availability.hint")}
        rules={[scheduleRule]}
      >
        <ScheduleField frequencies={OPTIONAL_FREQUENCIES} testId="benefit-schedule" />
      </Form.Item>
    </>
  );
}

/** Form rule: an exact multiplier as the API takes it, "2" or "1.5". */
function useMultiplierRule() {
  const { t } = useI18n();
  return { pattern: /^([1-9]|10)(\.[0-9]{1,2})?$/, message: t("benefits.multiplierInvalid") };
}

/** When (the member day's schedule, the birthday's period), the discount and multiplier, the tier perks. */
export function DayFields({ kind }: { kind: DayKind }) {
  const { t } = useI18n();
  const scheduleRule = useScheduleRule();
  const multiplierRule = useMultiplierRule();
  return (
    <>
      {kind === "member_day" ? (
        <Form.Item
          name="schedule"
          label={t("availability.schedule")}
          rules={[{ required: true, message: t("availability.needDays") }, scheduleRule]}
        >
          <ScheduleField frequencies={BENEFIT_FREQUENCIES} testId="benefit-schedule" />
        </Form.Item>
      ) : (
        <Form.Item name="period" label={t("benefits.period")} rules={[{ required: true }]}>
          <Radio.Group options={PERIODS.map((p) => ({ value: p, label: t(`benefits.period.${p}`) }))} />
        </Form.Item>
      )}
      <Space wrap style={ROW}>
        <Form.Item name="discount_percent" label={t("benefits.discountPercent")}>
          <InputNumber min={1} max={99} precision={0} />
        </Form.Item>
        <Form.Item name="points_multiplier" label={t("benefits.multiplier")} rules={[multiplierRule]}>
          <Input placeholder="2" style={{ width: 120 }} />
        </Form.Item>
      </Space>
      <PerkRows />
    </>
  );
}

/** Tier-specific perks: who gets each (the audience editor) and what it gives them. */
function PerkRows() {
  const { t } = useI18n();
  const options = useAudienceOptions();
  const multiplierRule = useMultiplierRule();
  const percent = (name: number, key: keyof PerkDraft, label: string, max = 99) => (
    <Form.Item name={[name, key]} label={label}>
      <InputNumber min={1} max={max} precision={0} />
    </Form.Item>
  );
  return (
    <Form.List name="perks">
      {(fields, { add, remove }) => (
        <Form.Item label={t("benefits.perks")} extra={t("benefits.perksHint")}>
          {fields.map((field, i) => (
            <Card
              key={field.key}
              size="small"
              data-testid={`perk-${i + 1}`}
              title={t("benefits.perk", { n: i + 1 })}
              extra={
                <Button
                  size="small"
                  type="text"
                  icon={<DeleteOutlined />}
                  aria-label={`${t("common.delete")} ${t("benefits.perk", { n: i + 1 })}`}
                  onClick={() => remove(field.name)}
                />
              }
              style={{ marginBottom: 12 }}
            >
              <AudienceFields
                options={options}
                name={[field.name, "audience"]}
                path={["perks", field.name, "audience"]}
                testId={`perk-${i + 1}-audience`}
                title={t("benefits.perk.audience")}
              />
              <Space wrap style={ROW}>
                {percent(field.name, "discount_percent", t("benefits.perk.discount"))}
                {percent(field.name, "extra_discount_percent", t("benefits.perk.extraDiscount"))}
                <Form.Item
                  name={[field.name, "points_multiplier"]}
                  label={t("benefits.perk.multiplier")}
                  rules={[multiplierRule]}
                >
                  <Input placeholder="2" style={{ width: 120 }} />
                </Form.Item>
                {percent(field.name, "extra_points_percent", t("benefits.perk.extraPoints"), 1000)}
                <Form.Item name={[field.name, "free_shipping"]} valuePropName="checked" label=" ">
                  <Checkbox>{t("benefits.perk.freeShipping")}</Checkbox>
                </Form.Item>
              </Space>
            </Card>
          ))}
          <Button
            type="dashed"
            disabled={fields.length >= MAX_PERKS}
            onClick={() => add({ audience: audienceToDraft() })}
            icon={<PlusOutlined />}
          >
            {t("benefits.addPerk")}
          </Button>
        </Form.Item>
      )}
    </Form.List>
  );
}
