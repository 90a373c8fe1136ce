import { type MessageKey, useI18n } from "../i18n/i18n";
import { type Audience, type AudienceOptions, useAudienceOptions } from "./AudienceFields";

type Translate = ReturnType<typeof useI18n>["t"];
type Labelled = { value: string; label: string };

/**
 * Who a rule reaches, in words, one term a line: the card plans, tiers, groups and tags by the
 * names the audience pickers show (a code nothing names any more stays a code), then what it
 * excludes. An empty rule reaches every member.
 */
export function audienceSummary(rule: Audience | undefined, o: AudienceOptions, t: Translate): string[] {
  const a = rule ?? {};
  const tiers = o.tiers.flatMap((plan) => plan.options);
  const names = (codes: string[] | undefined, options: Labelled[]) =>
    codes?.length ? codes.map((c) => options.find((x) => x.value === c)?.label ?? c).join(" / ") : undefined;
  const lines: string[] = [];
  const term = (label: MessageKey, values: string | undefined) => {
    if (values) lines.push(t("audience.term", { label: t(label), values }));
  };
  term("audience.cardPlans", names(a.card_plans, o.plans));
  term("audience.tiers", names(a.tiers, tiers));
  term("audience.minTier", names(a.min_tier ? [a.min_tier] : undefined, tiers));
  term("audience.groups", names(a.groups, o.groups));
  term("audience.tags", names(a.tags, o.tags));
  if (a.student) term("audience.student", t("audience.student.only"));
  term("audience.excludeCardPlans", names(a.exclude?.card_plans, o.plans));
  term("audience.excludeTiers", names(a.exclude?.tiers, tiers));
  term("audience.excludeGroups", names(a.exclude?.groups, o.groups));
  term("audience.excludeTags", names(a.exclude?.tags, o.tags));
  if (a.exclude?.student) term("audience.student", t("audience.student.exclude"));
  return lines.length > 0 ? lines : [t("audience.everyone")];
}

/** A rule in words (see audienceSummary), with the names loaded as the audience pickers load them. */
export function AudienceSummary(props: { rule: Audience | undefined; testId?: string }) {
  const { t } = useI18n();
  const options = useAudienceOptions();
  return (
    <div data-testid={props.testId}>
      {audienceSummary(props.rule, options, t).map((line) => (
        <div key={line}>{line}</div>
      ))}
    </div>
  );
}
