import { sql } from "kysely";
import type { OnlineTopupRow, OnlineTopupSource, OnlineTopupStatus } from "../../platform/online-topups.js";
import { TOPUP_ID_PREFIX } from "./topup.repository.js";

/**
 * The plan and smart top-ups a member paid online, as the wallets' list of online top-ups
 * shows them beside the balance's own (`GET /v1/topup-intents`). Statuses are read in that
 * list's words: waiting for its payment is `pending`, credited is `succeeded`; the rest are
 * the same. A smart top-up's payment is the cashier's, which names the provider, so its
 * provider here is null; completed is when it was credited.
 */
export const TOPUP_ONLINE_TOPUPS: OnlineTopupSource = {
  prefix: TOPUP_ID_PREFIX,
  sources: ["plan", "smart"],
  rows: (db, tenantId) =>
    db
      .selectFrom("topups as t")
      .where("t.tenant_id", "=", tenantId)
      .where("t.payment_method", "=", "online")
      .select([
        "t.id",
        sql<"topup">`'topup'::text`.as("object"),
        "t.source",
        "t.member_id",
        "t.currency as asset",
        "t.amount",
        "t.bonus_amount",
        "t.points",
        sql<string | null>`t.plan_id`.as("plan_id"),
        sql<string | null>`t.plan_name`.as("plan_name"),
        "t.provider",
        "t.provider_ref",
        sql<OnlineTopupStatus>`case t.status when 'pending_payment' then 'pending' when 'credited' then 'succeeded' else t.status end`.as(
          "status",
        ),
        "t.checkout",
        "t.payment_expires_at as expires_at",
        "t.credited_at as completed_at",
        sql<OnlineTopupRow["refund_record"]>`t.details -> 'refund_record'`.as("refund_record"),
        sql<OnlineTopupRow["refund_log"]>`t.details -> 'refund'`.as("refund_log"),
        "t.created_at",
      ])
      .as("s"),
};
