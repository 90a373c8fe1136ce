import { useQuery } from "@tanstack/react-query";
import { Button, List, Tag } from "antd-mobile";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, type components, unwrap } from "../../../api/client";
import { CursorList, Loading, Problem, Row } from "../components";
import { useMember } from "../context";
import { useI18n } from "../i18n";

type GiftCard = components["schemas"]["GiftCard"];
type Activity = components["schemas"]["GiftCardActivity"];

/** Activities whose amount left the card (the API gives every amount unsigned). */
const OUT: ReadonlySet<Activity["type"]> = new Set(["REDEEM", "ADJUST_DECREMENT", "EXPIRE", "CARD_REFUND"]);

/** The member's own gift cards with their balances; each opens its activity. */
export default function GiftCards() {
  const { t } = useI18n();
  const { visit } = useMember();
  const navigate = useNavigate();
  const id = visit.memberId;
  return (
    <div>
      <div style={{ margin: 12 }}>
        <Button block color="primary" fill="outline" onClick={() => navigate("/gift-cards/buy")}>
          {t("nav.buyGiftCard")}
        </Button>
      </div>
      <CursorList
        testId="gift-cards"
        queryKey={["gift-cards", id]}
        fetchPage={(startingAfter) =>
          unwrap(
            api.GET("/v1/members/{member_id}/gift-cards", {
              params: { path: { member_id: id }, query: { limit: 20, starting_after: startingAfter } },
            }),
          )
        }
        idOf={(c) => c.id}
        render={(c) => <CardItem card={c} />}
      />
    </div>
  );
}

function CardItem(props: { card: GiftCard }) {
  const { t, fmt } = useI18n();
  const [open, setOpen] = useState(false);
  const c = props.card;
  return (
    <div data-testid="gift-card">
      <Row
        title={
          <span>
            {c.number}{" "}
            <Tag color={c.status === "active" ? "success" : "default"} fill="outline">
              {t(`gift.status.${c.status}`)}
            </Tag>
          </span>
        }
        detail={c.expires_at ? t("common.until", { date: fmt.date(c.expires_at) }) : t("common.noExpiry")}
        extra={fmt.money(c.balance)}
      />
      <Button
        size="mini"
        fill="none"
        color="primary"
        onClick={() => setOpen(!open)}
        style={{ paddingLeft: 0 }}
      >
        {open ? t("gift.hide") : t("gift.activities")}
      </Button>
      {open ? <Activities cardId={c.id} /> : null}
    </div>
  );
}

function Activities(props: { cardId: string }) {
  const { t, fmt } = useI18n();
  const query = useQuery({
    queryKey: ["gift-card-activities", props.cardId],
    queryFn: () =>
      unwrap(
        api.GET("/v1/gift-cards/{id}/activities", {
          params: { path: { id: props.cardId }, query: { limit: 50 } },
        }),
      ),
  });
  if (query.isPending) return <Loading />;
  if (query.error) return <Problem error={query.error} />;
  return (
    <List style={{ "--border-top": "none" } as React.CSSProperties}>
      {query.data.data.map((a) => (
        <List.Item
          key={a.id}
          extra={fmt.signed(OUT.has(a.type) ? -a.amount : a.amount, "money")}
          description={fmt.dateTime(a.created_at)}
        >
          {t(`gift.type.${a.type}`)}
        </List.Item>
      ))}
    </List>
  );
}
