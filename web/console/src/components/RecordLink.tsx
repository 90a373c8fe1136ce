import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../../api/client";
import { useSession } from "../session";

/** The record an id names: the part of a reference like `topup:tup_…:perk` with a known prefix. */
const ID = /\b(gc|gcs|pko|pkg|tup|tpp|wtopi|cso|csp|mbr)_[0-9a-z]+\b/i;

type Resolved = { to: string } | { lookup: "package_order" | "topup" | "gift_card_sale"; id: string } | null;

/**
 * Where the console shows the record `ref` names. Ids with a page of their own link there;
 * a package order or a plan top-up is shown on its package's or plan's page, found by asking
 * for the record; online top-up orders and cashier orders are shown in their lists, narrowed
 * to the member. Anything else (checkout orders, wallet payments, provider references) has no
 * console page and stays text.
 */
function resolve(ref: string, memberId: string, can: (permission: string) => boolean): Resolved {
  const match = ID.exec(ref);
  if (!match) return null;
  const id = match[0];
  const member = encodeURIComponent(memberId);
  switch (match[1]!.toLowerCase()) {
    case "gc":
      return can("GET /v1/gift-cards") ? { to: `/gift-cards/cards/${id}` } : null;
    case "gcs":
      return can("GET /v1/gift-cards") ? { lookup: "gift_card_sale", id } : null;
    case "pkg":
      return can("GET /v1/packages/{id}") ? { to: `/packages/${id}` } : null;
    case "pko":
      return can("GET /v1/packages/{id}") && can("GET /v1/package-orders/{id}")
        ? { lookup: "package_order", id }
        : null;
    case "tpp":
      return can("GET /v1/topup-plans/{id}/top-ups") ? { to: `/topup/plans/${id}` } : null;
    case "tup":
      return can("GET /v1/topup-plans/{id}/top-ups") && can("GET /v1/topups/{id}")
        ? { lookup: "topup", id }
        : null;
    case "wtopi":
      return can("GET /v1/topup-intents") ? { to: `/topup-orders?member_id=${member}` } : null;
    case "cso":
    case "csp":
      return can("GET /v1/cashier-orders") ? { to: `/cashier-orders?member_id=${member}` } : null;
    case "mbr":
      return id === memberId || !can("GET /v1/members/{id}") ? null : { to: `/members/${id}` };
    default:
      return null;
  }
}

/** The page a looked-up record is shown on, or null when it has none (a smart top-up's offer). */
async function lookUp(kind: "package_order" | "topup" | "gift_card_sale", id: string, memberId: string) {
  switch (kind) {
    case "package_order": {
      const order = await unwrap(api.GET("/v1/package-orders/{id}", { params: { path: { id } } }));
      return `/packages/${order.package_id}`;
    }
    case "topup": {
      const topup = await unwrap(api.GET("/v1/topups/{id}", { params: { path: { id } } }));
      return topup.source === "plan" ? `/topup/plans/${topup.plan_id}` : null;
    }
    case "gift_card_sale": {
      // A sale is known by its card; the member's cards name their sale.
      const cards = await unwrap(
        api.GET("/v1/gift-cards", { params: { query: { holder_member_id: memberId, limit: 100 } } }),
      );
      const card = cards.data.find((c) => c.sale?.id === id);
      return card ? `/gift-cards/cards/${card.id}` : null;
    }
  }
}

/** An id or reference in a member's change log, linked to the console page that shows it. */
export function RecordLink(props: { value: string | null; memberId: string; testId?: string }) {
  const { can } = useSession();
  const target = props.value ? resolve(props.value, props.memberId, can as (p: string) => boolean) : null;
  const lookup = target && "lookup" in target ? target : null;
  const found = useQuery({
    queryKey: ["record-link", lookup?.lookup, lookup?.id, props.memberId],
    enabled: lookup !== null,
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
    queryFn: () => lookUp(lookup!.lookup, lookup!.id, props.memberId),
  });
  if (!props.value) return <>—</>;
  const to = target && "to" in target ? target.to : (found.data ?? null);
  if (!to) return <>{props.value}</>;
  return (
    <Link to={to} data-testid={props.testId}>
      {props.value}
    </Link>
  );
}
