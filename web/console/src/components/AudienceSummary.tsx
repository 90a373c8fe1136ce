import { Typography } from "antd";
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

/**
 * A rule in words (see audienceSummary), with the names loaded as the audience pickers load them.
 * `compact` (a table cell): one line cut with an ellipsis, every term in its tooltip.
 */
export function AudienceSummary(props: { rule: Audience | undefined; testId?: string; compact?: boolean }) {
  const { t } = useI18n();
  const options = useAudienceOptions();
  const words = audienceSummary(props.rule, options, t);
  const lines = words.map((line) => <div key={line}>{line}</div>);
  if (props.compact)
    return (
      <Typography.Text
        data-testid={props.testId}
        style={{ maxWidth: 240, display: "block" }}
        ellipsis={{ tooltip: { title: lines } }}
      >
        {words.join(t("audience.separator"))}
      </Typography.Text>
    );
  return <div data-testid={props.testId}>{lines}</div>;
}
