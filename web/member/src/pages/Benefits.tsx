import { Tag } from "antd-mobile";
import { StarFill } from "antd-mobile-icons";
import { api, type components, unwrap } from "../../../api/client";
import { CoverImage, CursorList, useImageUrl } from "../components";
import { useMember } from "../context";
import { type Lang, type Translate, useI18n } from "../i18n";
import type { MessageKey } from "../messages";

type Benefit = components["schemas"]["MemberBenefit"];
type Schedule = NonNullable<Benefit["terms"]["schedule"]>;
type PerkEffect = NonNullable<Benefit["terms"]["perks"]>[number];

/**
 * The benefits the member holds now (seed 001 §2.1): what the card plan, tier, groups and tags
 * give, and what a purchase gave until when; each with its icon, brief, description and figures.
 */
export default function Benefits() {
  const { t } = useI18n();
  const { visit } = useMember();
  const id = visit.memberId;
  return (
    <div>
      <div style={{ padding: "12px 16px 0", fontSize: 13, color: "var(--adm-color-weak)" }}>
        {t("benefit.intro")}
      </div>
      <CursorList
        testId="benefits"
        queryKey={["benefits", id]}
        fetchPage={(startingAfter) =>
          unwrap(
            api.GET("/v1/members/{member_id}/benefits", {
              params: { path: { member_id: id }, query: { limit: 50, starting_after: startingAfter } },
            }),
          )
        }
        idOf={(b) => b.id}
        render={(b) => <BenefitCard benefit={b} />}
      />
    </div>
  );
}

function BenefitCard(props: { benefit: Benefit }) {
  const { t, fmt, lang } = useI18n();
  const b = props.benefit;
  const lines = termLines(b, t, lang, fmt.money, fmt.date);
  const calendar = b.kind === "member_day" || b.kind === "birthday" || b.kind === "multiplier_points";
  return (
    <div data-testid="benefit" style={{ display: "flex", gap: 12, alignItems: "flex-start" }}>
      <Icon url={b.icon_url} />
      <div style={{ flex: 1, minWidth: 0, fontSize: 13, lineHeight: 1.6 }}>
        <div style={{ display: "flex", alignItems: "center", gap: 6, flexWrap: "wrap" }}>
          <span style={{ fontWeight: 600, fontSize: 15 }}>{b.name}</span>
          <Tag color="default" fill="outline">
            {t(`benefit.kind.${b.kind}` as MessageKey)}
          </Tag>
          {calendar ? (
            <Tag data-testid="benefit-now" color={b.in_effect ? "success" : "default"} fill="outline">
              {t(b.in_effect ? "benefit.now" : "benefit.notNow")}
            </Tag>
          ) : null}
        </div>
        {b.brief ? <div>{b.brief}</div> : null}
        {lines.map((line) => (
          <div key={line} data-testid="benefit-term" style={{ color: "var(--brand)", fontWeight: 500 }}>
            {line}
          </div>
        ))}
        {b.description ? (
          <div style={{ color: "var(--adm-color-weak)", whiteSpace: "pre-wrap" }}>{b.description}</div>
        ) : null}
        {b.held_through.type === "purchase" ? (
          <div data-testid="benefit-source" style={{ color: "var(--adm-color-weak)" }}>
            {t("benefit.fromPurchase", {
              name: b.held_through.source_name,
              date: fmt.date(b.held_through.valid_until),
            })}
          </div>
        ) : null}
        {(b.terms.detail_images ?? []).map((src) =>
          src.startsWith("https://") ? (
            <img key={src} src={src} alt="" style={{ width: "100%", borderRadius: 8, marginTop: 6 }} />
          ) : (
            // An uploaded image is read with the member's token, so it shows at its own proportions.
            <div key={src} style={{ marginTop: 6 }}>
              <CoverImage imageId={src} testId="benefit-detail-image" aspectRatio="auto" marginBottom={0} />
            </div>
          ),
        )}
      </div>
    </div>
  );
}

/** The benefit's icon, read with the member's token (an <img> could not send it). */
function Icon(props: { url: string | null }) {
  const id = props.url?.split("/").pop();
  const src = useImageUrl("benefit-icon", id, (iconId) =>
    api.GET("/v1/benefit-icons/{id}", { params: { path: { id: iconId } }, parseAs: "blob" }),
  );
  const box: React.CSSProperties = { width: 44, height: 44, borderRadius: 10, flex: "none" };
  if (src) return <img data-testid="benefit-icon" src={src} alt="" style={{ ...box, objectFit: "cover" }} />;
  return (
    <div
      style={{
        ...box,
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        background: "var(--brand)",
        color: "#fff",
        fontSize: 22,
      }}
    >
      <StarFill />
    </div>
  );
}

/**
 * "20% off" in English, "8折" in Chinese: English names what comes off, in percent; Chinese
 * what is paid, in tenths. One figure, `rate`, read as the language reads it.
 */
function discount(
  t: Translate,
  lang: Lang,
  percent: number,
  key: "benefit.discount" | "benefit.extraDiscount",
) {
  return t(key, { rate: lang === "en" ? String(percent) : String((100 - percent) / 10) });
}

function weekdayNames(days: Schedule["days"], lang: Lang): string {
  // 2024-01-01 was a Monday: ISO weekday n is n - 1 days later.
  const name = new Intl.DateTimeFormat(lang, { weekday: lang === "en" ? "long" : "short", timeZone: "UTC" });
  return days
    .map((d) => (typeof d === "number" ? name.format(new Date(Date.UTC(2024, 0, d))) : ""))
    .join(lang === "en" ? ", " : "、");
}

function scheduleText(s: Schedule, t: Translate, lang: Lang): string {
  const days =
    s.frequency === "weekly"
      ? t("benefit.weekly", { days: weekdayNames(s.days, lang) })
      : t("benefit.monthly", {
          days: s.days.map((d) => (d === "last" ? t("benefit.lastDay") : String(d))).join(", "),
        });
  const time =
    s.time.kind === "all_day"
      ? t("benefit.allDay")
      : s.time.kind === "unified"
        ? `${s.time.window.start}–${s.time.window.end}`
        : t("benefit.perDate");
  return `${days} · ${time}`;
}

function perkText(p: PerkEffect, t: Translate, lang: Lang): string {
  const parts: string[] = [];
  if (p.discount_percent) parts.push(discount(t, lang, p.discount_percent, "benefit.discount"));
  if (p.extra_discount_percent)
    parts.push(discount(t, lang, p.extra_discount_percent, "benefit.extraDiscount"));
  if (p.points_multiplier) parts.push(t("benefit.multiplier", { n: p.points_multiplier }));
  if (p.extra_points_percent) parts.push(t("benefit.extraPoints", { percent: p.extra_points_percent }));
  if (p.free_shipping) parts.push(t("benefit.freeShipping"));
  return t("benefit.yourPerk", { text: parts.join(" · ") });
}

/** The kind's figures as the member reads them, one line each. */
function termLines(
  b: Benefit,
  t: Translate,
  lang: Lang,
  money: (n: number) => string,
  date: (iso: string) => string,
): string[] {
  const x = b.terms;
  const lines: string[] = [];
  if (x.birthday_period) lines.push(t(`benefit.birthday.${x.birthday_period}`));
  if (x.schedule) lines.push(scheduleText(x.schedule, t, lang));
  if (x.discount_percent) lines.push(discount(t, lang, x.discount_percent, "benefit.discount"));
  if (x.multiplier) lines.push(t("benefit.multiplier", { n: x.multiplier }));
  if (x.member_price_count) lines.push(t("benefit.memberPrices", { count: x.member_price_count }));
  if (x.order_reduction)
    lines.push(
      t("benefit.reduction", {
        min: money(x.order_reduction.min_amount),
        amount: money(x.order_reduction.amount),
      }),
    );
  if (x.valid_until) lines.push(t("benefit.until", { date: date(x.valid_until) }));
  if (x.extension_days) lines.push(t("benefit.extension", { days: x.extension_days }));
  for (const perk of x.perks ?? []) lines.push(perkText(perk, t, lang));
  if (x.channels && x.channels.length === 1) {
    lines.push(t("benefit.channelOnly", { channel: t(`benefit.channel.${x.channels[0]!}`) }));
  }
  return lines;
}
