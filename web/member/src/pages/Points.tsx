import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Input, Selector } from "antd-mobile";
import { useState } from "react";
import { api, idempotencyKey, unwrap } from "../../../api/client";
import { ActionButton, Card, CursorList, inputBox, useAction } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";
import { ChangeRow } from "./Balance";

type From = "points" | "referral_points";

/** Points: the balance (shown even while the merchant hides the money balance), the exchange into balance, and their history. */
export default function Points() {
  const { t, fmt } = useI18n();
  const { visit, branding } = useMember();
  const id = visit.memberId;
  const me = useQuery({ queryKey: ["me"], queryFn: () => unwrap(api.GET("/v1/member-center/me")) });
  return (
    <div>
      <section style={{ margin: 12, padding: 16, borderRadius: 12, background: "#fff" }}>
        <div style={{ fontSize: 13, color: "var(--adm-color-weak)" }}>{t("points.balance")}</div>
        <div data-testid="points-total" style={{ fontSize: 28, fontWeight: 700, marginTop: 4 }}>
          {me.data ? fmt.number(me.data.points) : "—"}
        </div>
        {me.data && me.data.referral_points > 0 ? (
          <div style={{ fontSize: 12, color: "var(--adm-color-weak)", marginTop: 4 }}>
            {t("points.referral", { points: fmt.number(me.data.referral_points) })}
          </div>
        ) : null}
      </section>
      {/* The exchange credits the balance: not offered while the merchant hides it. */}
      {branding.hide_balance || !me.data ? null : (
        <Exchange points={me.data.points} referral={me.data.referral_points} />
      )}
      <CursorList
        header={t("points.history")}
        queryKey={["changes", id, "points"]}
        fetchPage={(startingAfter) =>
          unwrap(
            api.GET("/v1/members/{id}/balance-changes", {
              params: {
                path: { id },
                query: { account: "points", limit: 20, starting_after: startingAfter },
              },
            }),
          )
        }
        idOf={(c) => c.id}
        render={(c) => <ChangeRow change={c} unit="points" />}
      />
    </div>
  );
}

function Exchange(props: { points: number; referral: number }) {
  const { t, fmt } = useI18n();
  const { visit, branding } = useMember();
  const queryClient = useQueryClient();
  const [from, setFrom] = useState<From>("points");
  const [text, setText] = useState("");
  const [key, setKey] = useState(idempotencyKey);
  const [credited, setCredited] = useState<number>();
  const points = /^\d{1,9}$/.test(text) ? Number(text) : undefined;
  const held = from === "points" ? props.points : props.referral;
  const exchange = useAction(async () => {
    const result = await unwrap(
      api.POST("/v1/members/{id}/exchanges", {
        params: { path: { id: visit.memberId } },
        headers: { "idempotency-key": key },
        body: { from, points: points! },
      }),
    );
    setCredited(result.credited);
    setText("");
    setKey(idempotencyKey());
    await queryClient.invalidateQueries();
  });
  return (
    <Card testId="points-exchange">
      <div style={{ fontWeight: 600 }}>{t("points.exchange")}</div>
      <div style={{ fontSize: 13, color: "var(--adm-color-weak)", marginTop: 4 }}>
        {t("points.ratio", { points: branding.points_per_unit, amount: fmt.money(10 ** fmt.scale) })}
      </div>
      {props.referral > 0 ? (
        <Selector
          style={{ marginTop: 8 }}
          columns={2}
          options={[
            { label: t("home.points"), value: "points" as const },
            { label: t("reward.referral_points"), value: "referral_points" as const },
          ]}
          value={[from]}
          onChange={(v) => v[0] && setFrom(v[0])}
        />
      ) : null}
      <Input
        inputMode="numeric"
        placeholder={t("points.howMany", { max: fmt.number(held) })}
        value={text}
        onChange={(v) => {
          setText(v);
          setCredited(undefined);
          setKey(idempotencyKey());
        }}
        clearable
        style={inputBox}
      />
      <ActionButton action={exchange} disabled={!points}>
        {t("points.exchangeGo")}
      </ActionButton>
      {credited !== undefined ? (
        <div data-testid="points-credited" style={{ marginTop: 8, color: "var(--adm-color-success)" }}>
          {t("points.credited", { amount: fmt.money(credited) })}
        </div>
      ) : null}
    </Card>
  );
}
