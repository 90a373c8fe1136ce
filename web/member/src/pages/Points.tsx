import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../api/client";
import { CursorList } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";
import { ChangeRow } from "./Balance";

/** Points: the balance (shown even while the merchant hides the money balance) and their history. */
export default function Points() {
  const { t, fmt } = useI18n();
  const { visit } = useMember();
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
