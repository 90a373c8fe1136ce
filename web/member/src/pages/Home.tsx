import { useQuery } from "@tanstack/react-query";
import { Button, Grid, List } from "antd-mobile";
import { Link, useNavigate } from "react-router-dom";
import { api, unwrap } from "../../../api/client";
import { Loading, Problem } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";
import type { MessageKey } from "../messages";

const card: React.CSSProperties = {
  margin: 12,
  padding: 20,
  borderRadius: 14,
  color: "#fff",
  background: "linear-gradient(135deg, var(--brand), #1f2937)",
  boxShadow: "0 6px 18px rgba(0,0,0,0.15)",
};

/** The member card with the balance under it (seed 004), points, and cumulative rewards. */
export function Home() {
  const { t, fmt } = useI18n();
  const { visit, branding } = useMember();
  const navigate = useNavigate();
  const id = visit.memberId;
  const me = useQuery({
    queryKey: ["me"],
    queryFn: () => unwrap(api.GET("/v1/member-center/me")),
  });
  const balance = useQuery({
    queryKey: ["balance", id],
    enabled: !branding.hide_balance,
    queryFn: () => unwrap(api.GET("/v1/members/{id}/balance", { params: { path: { id } } })),
  });
  const vouchers = useQuery({
    queryKey: ["vouchers", id, "unused", "count"],
    queryFn: () =>
      unwrap(
        api.GET("/v1/members/{member_id}/vouchers", {
          params: { path: { member_id: id }, query: { status: "unused", limit: 100 } },
        }),
      ),
  });
  const rewards = useQuery({
    queryKey: ["rewards", id],
    queryFn: () => unwrap(api.GET("/v1/members/{id}/reward-totals", { params: { path: { id } } })),
  });
  // Seed 004: the cumulative rewards per kind (balance, points, referral points), all sources together.
  const totals = new Map<string, number>();
  for (const r of rewards.data?.data ?? []) totals.set(r.account, (totals.get(r.account) ?? 0) + r.total);
  if (me.isPending) return <Loading />;
  if (me.error) return <Problem error={me.error} />;
  const m = me.data;
  return (
    <div>
      <section style={card} data-testid="member-card">
        <div style={{ display: "flex", alignItems: "center", gap: 10 }}>
          {branding.logo_url ? (
            <img
              src={branding.logo_url}
              alt=""
              style={{ width: 32, height: 32, borderRadius: 8, background: "#fff" }}
            />
          ) : null}
          <div style={{ fontSize: 14, opacity: 0.9 }}>{branding.name}</div>
          <div
            data-testid="tier"
            style={{
              marginLeft: "auto",
              fontSize: 12,
              padding: "2px 10px",
              borderRadius: 999,
              background: "rgba(255,255,255,0.2)",
            }}
          >
            {m.tier ?? t("home.noTier")}
          </div>
        </div>
        <div style={{ fontSize: 22, fontWeight: 600, marginTop: 18 }}>{m.name}</div>
        <div style={{ fontSize: 13, opacity: 0.8, marginTop: 4 }}>
          {m.card_number ? t("home.cardNumber", { number: m.card_number }) : t("home.card")}
          {m.card_expires_at ? ` · ${t("common.until", { date: fmt.date(m.card_expires_at) })}` : ""}
        </div>
      </section>

      {branding.hide_balance ? null : (
        <section
          data-testid="balance"
          style={{ margin: 12, padding: 16, borderRadius: 12, background: "#fff" }}
        >
          <div style={{ display: "flex", alignItems: "flex-end" }}>
            <div style={{ flex: 1 }}>
              <div style={{ fontSize: 13, color: "var(--adm-color-weak)" }}>{t("home.balance")}</div>
              <div data-testid="balance-total" style={{ fontSize: 28, fontWeight: 700, marginTop: 4 }}>
                {balance.data ? fmt.money(balance.data.total) : "—"}
              </div>
              {balance.data ? (
                <div style={{ fontSize: 12, color: "var(--adm-color-weak)", marginTop: 4 }}>
                  {t("home.principal")} {fmt.money(balance.data.principal)} · {t("home.bonus")}{" "}
                  {fmt.money(balance.data.bonus)}
                </div>
              ) : null}
            </div>
            {branding.online_topup_enabled ? (
              <Button color="primary" shape="rounded" size="small" onClick={() => navigate("/topup")}>
                {t("home.topup")}
              </Button>
            ) : null}
          </div>
          {balance.error ? <Problem error={balance.error} /> : null}
        </section>
      )}

      <Grid columns={2} gap={12} style={{ margin: 12 }}>
        <Grid.Item>
          <Link to="/points" className="member-tile-link">
            <Tile label={t("home.points")} value={fmt.number(m.points)} testId="points" />
          </Link>
        </Grid.Item>
        <Grid.Item>
          <Link to="/vouchers" className="member-tile-link">
            <Tile
              label={t("nav.vouchers")}
              value={vouchers.data ? `${vouchers.data.data.length}${vouchers.data.has_more ? "+" : ""}` : "—"}
              testId="voucher-count"
            />
          </Link>
        </Grid.Item>
      </Grid>

      <List header={t("home.rewards")} data-testid="rewards">
        {totals.size > 0 ? (
          [...totals].map(([account, total]) => (
            <List.Item key={account} extra={account === "balance" ? fmt.money(total) : fmt.number(total)}>
              {t(`reward.${account}` as MessageKey)}
            </List.Item>
          ))
        ) : (
          <List.Item>
            <span style={{ color: "var(--adm-color-weak)" }}>{t("home.rewardsNone")}</span>
          </List.Item>
        )}
      </List>

      <List style={{ marginTop: 12 }}>
        <NavRow to="/benefits">{t("nav.benefits")}</NavRow>
        {branding.hide_balance ? null : <NavRow to="/balance">{t("nav.balance")}</NavRow>}
        <NavRow to="/points">{t("nav.points")}</NavRow>
        <NavRow to="/gift-cards">{t("nav.giftCards")}</NavRow>
        <NavRow to="/packages">{t("nav.packages")}</NavRow>
        <NavRow to="/gift-cards/buy">{t("nav.buyGiftCard")}</NavRow>
        <NavRow to="/student">{t("nav.student")}</NavRow>
        {branding.hide_balance ? null : <NavRow to="/cashier">{t("nav.cashier")}</NavRow>}
      </List>
    </div>
  );
}

/**
 * A row of the home page's menu. antd-mobile's clickable row is an anchor without an address,
 * which neither the keyboard nor a screen reader takes for a link: the row holds a real link
 * instead, stretched over the whole row (index.html), with the row's arrow.
 */
function NavRow(props: { to: string; children: React.ReactNode }) {
  return (
    <List.Item arrowIcon className="member-nav-row">
      <Link to={props.to} className="member-nav-link">
        {props.children}
      </Link>
    </List.Item>
  );
}

function Tile(props: { label: string; value: string; testId?: string }) {
  return (
    <div style={{ background: "#fff", borderRadius: 12, padding: 14 }}>
      <div style={{ fontSize: 13, color: "var(--adm-color-weak)" }}>{props.label}</div>
      <div data-testid={props.testId} style={{ fontSize: 20, fontWeight: 600, marginTop: 4 }}>
        {props.value}
      </div>
    </div>
  );
}
