import type { AliasedSelectQueryBuilder } from "kysely";
import type { Db } from "../db/database.js";
import { ONLINE_PAYMENT_STATUSES, type ProviderRefundLog, type RefundRecord } from "./http/record-refund.js";

/** An online top-up's status as the list across members shows it, whichever module holds it. */
export const ONLINE_TOPUP_STATUSES = ONLINE_PAYMENT_STATUSES;
export type OnlineTopupStatus = (typeof ONLINE_TOPUP_STATUSES)[number];

/**
 * What bought it: `balance` a plain top-up of the member's balance (the wallets' intents),
 * `plan` a top-up plan, `smart` a smart top-up paid at the member center's cashier.
 */
export const ONLINE_TOPUP_SOURCES = ["balance", "plan", "smart"] as const;
export type OnlineTopupSourceKind = (typeof ONLINE_TOPUP_SOURCES)[number];

/** One online top-up, in the columns every module's rows are listed in. */
export interface OnlineTopupRow {
  id: string;
  object: "topup_intent" | "topup";
  source: OnlineTopupSourceKind;
  member_id: string;
  asset: string;
  /** What the member paid (minor units); credited as principal. */
  amount: number;
  /** What the top-up credits beside it (minor units; 0 for a plain top-up). */
  bonus_amount: number;
  points: number;
  plan_id: string | null;
  plan_name: string | null;
  /** Null for a smart top-up: the cashier's payment holds the provider. */
  provider: string | null;
  provider_ref: string | null;
  status: OnlineTopupStatus;
  checkout: Record<string, unknown> | null;
  expires_at: Date | null;
  completed_at: Date | null;
  refund_record: RefundRecord | null;
  refund_log:
    | (ProviderRefundLog & { taken_principal?: number; taken_bonus?: number; shortfall?: number })
    | null;
  created_at: Date;
}

/**
 * A module's online top-ups as rows of one table, for the list across members to merge: its
 * rows all carry ids of one `prefix` (ids are time-ordered after it, so the list pages through
 * every source with one cursor), `sources` the kinds they can be, `rows` the tenant's rows
 * (unfiltered: the list filters and orders them by the columns above).
 */
export interface OnlineTopupSource {
  prefix: string;
  sources: readonly OnlineTopupSourceKind[];
  rows: (db: Db, tenantId: string) => AliasedSelectQueryBuilder<OnlineTopupRow, "s">;
}

const sources = new Map<string, OnlineTopupSource>();

/** Installed from module manifests (the top-up module's plan and smart top-ups). */
export function addOnlineTopupSource(source: OnlineTopupSource): void {
  sources.set(source.prefix, source);
}

/** Every installed source of online top-ups. */
export function onlineTopupSources(): OnlineTopupSource[] {
  return [...sources.values()];
}
