import { useQueryClient } from "@tanstack/react-query";
import { Button, Checkbox, Dialog, Tag, Toast } from "antd-mobile";
import { api, type components, idempotencyKey, unwrap } from "../../../api/client";
import { CoverImage, CursorList, useRefusalText } from "../components";
import { useMember } from "../context";
import { type Translate, useI18n } from "../i18n";

type Offer = components["schemas"]["PackageOffer"];
type Rule = Offer["rules"][number];

/** Packages on sale for this member, at the price each rule charges them and why; and their own periods. */
export default function Packages() {
  const { t, fmt } = useI18n();
  const { visit } = useMember();
  const id = visit.memberId;
  return (
    <div>
      <CursorList
        testId="package-offers"
        header={t("package.onSale")}
        queryKey={["package-offers", id]}
        fetchPage={(startingAfter) =>
          unwrap(
            api.GET("/v1/members/{member_id}/package-offers", {
              params: {
                path: { member_id: id },
                query: { channel: "ONLINE", limit: 20, starting_after: startingAfter },
              },
            }),
          )
        }
        idOf={(o) => o.package_id}
        render={(o) => <OfferCard offer={o} />}
      />
      <CursorList
        testId="package-periods"
        header={t("package.mine")}
        queryKey={["package-periods", id]}
        fetchPage={(startingAfter) =>
          unwrap(
            api.GET("/v1/members/{member_id}/package-periods", {
              params: { path: { member_id: id }, query: { limit: 20, starting_after: startingAfter } },
            }),
          )
        }
        idOf={(p) => p.id}
        render={(p) => (
          <div>
            <div style={{ fontWeight: 600 }}>
              {p.package_name}{" "}
              <Tag color={p.status === "active" ? "success" : "default"} fill="outline">
                {t(`package.period.${p.status}`)}
              </Tag>
            </div>
            <div style={{ fontSize: 12, color: "var(--adm-color-weak)" }}>
              {t("package.periodDates", { from: fmt.date(p.starts_at), to: fmt.date(p.ends_at) })}
            </div>
          </div>
        )}
      />
    </div>
  );
}

function OfferCard(props: { offer: Offer }) {
  const { t, fmt } = useI18n();
  const o = props.offer;
  return (
    <div data-testid="package-offer">
      <CoverImage imageId={o.cover_image_id} testId="package-cover" />
      <div style={{ fontWeight: 600, fontSize: 16 }}>{o.name}</div>
      {o.description ? (
        <div style={{ fontSize: 13, color: "var(--adm-color-weak)" }}>{o.description}</div>
      ) : null}
      {o.perks.length > 0 ? (
        <div style={{ margin: "6px 0", display: "flex", gap: 4, flexWrap: "wrap" }}>
          {o.perks.map((perk) => (
            <Tag key={perk.key} color="primary" fill="outline">
              {perk.name ?? perk.type}
            </Tag>
          ))}
        </div>
      ) : null}
      {o.rules.map((rule) => (
        <div key={rule.key} style={{ display: "flex", alignItems: "center", gap: 8, marginTop: 8 }}>
          <div style={{ flex: 1 }}>
            <div>
              {t("package.days", { days: rule.duration_days })} ·{" "}
              <b style={{ color: "var(--brand)" }}>{fmt.money(rule.price.amount)}</b>
            </div>
            <div style={{ fontSize: 12, color: "var(--adm-color-weak)" }}>
              {t(`package.price.${rule.price_kind}`)}
              {priceNote(rule, t, fmt.money)}
            </div>
          </div>
          <BuyButton offer={o} rule={rule} />
        </div>
      ))}
    </div>
  );
}

/** The original price struck through when this member pays another one. */
function priceNote(rule: Rule, t: Translate, money: (n: number) => string) {
  const original = rule.prices.find((p) => p.kind === "original");
  if (!original || rule.price_kind === "original" || original.amount === rule.price.amount) return null;
  return (
    <>
      {" · "}
      <s>
        {t("package.price.original")} {money(original.amount)}
      </s>
    </>
  );
}

function BuyButton(props: { offer: Offer; rule: Rule }) {
  const { t, fmt } = useI18n();
  const refusalText = useRefusalText();
  const { visit, branding } = useMember();
  const queryClient = useQueryClient();
  if (branding.hide_balance) return null;
  const buy = async () => {
    let accepted = props.offer.agreement_ids.length === 0;
    const ok = await Dialog.confirm({
      title: t("package.buyTitle", { name: props.offer.name }),
      content: (
        <div>
          <p>
            {t("package.buyConfirm", {
              amount: fmt.money(props.rule.price.amount),
              days: props.rule.duration_days,
            })}
          </p>
          {accepted ? null : (
            <Checkbox onChange={(checked) => (accepted = checked)}>{t("package.agree")}</Checkbox>
          )}
        </div>
      ),
      confirmText: t("action.confirm"),
      cancelText: t("action.cancel"),
    });
    if (!ok || !accepted) return;
    try {
      // The member accepts the agreements' current versions, as the sale records them.
      const versions: Record<string, number> = {};
      for (const agreementId of props.offer.agreement_ids) {
        const agreement = await unwrap(
          api.GET("/v1/agreements/{id}", { params: { path: { id: agreementId } } }),
        );
        versions[agreementId] = agreement.version;
      }
      await unwrap(
        api.POST("/v1/package-orders", {
          headers: { "idempotency-key": idempotencyKey() },
          body: {
            package_id: props.offer.package_id,
            member_id: visit.memberId,
            rule_key: props.rule.key,
            channel: "ONLINE",
            payment_method: "balance",
            ...(props.offer.agreement_ids.length ? { agreement_versions: versions } : {}),
          },
        }),
      );
      Toast.show({ icon: "success", content: t("package.bought") });
      await queryClient.invalidateQueries();
    } catch (error) {
      Toast.show({ icon: "fail", content: refusalText(error) });
    }
  };
  return (
    <Button size="small" color="primary" fill="outline" onClick={buy}>
      {t("package.buy")}
    </Button>
  );
}
