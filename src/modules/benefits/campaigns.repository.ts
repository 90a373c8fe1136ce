import { type QueryCreator, type Selectable, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Timestamp } from "../../db/schema.js";
import { escapeLike } from "../../platform/org/org-units.js";
import { BenefitsError } from "./benefits.errors.js";

export const CAMPAIGN_KINDS = ["marketing", "promotional"] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

export interface BenefitCampaignsTable {
  tenant_id: string;
  id: string;
  name: string;
  kind: CampaignKind;
  member_exclusive: boolean;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    benefit_campaigns: BenefitCampaignsTable;
  }
}

export type CampaignRow = Selectable<BenefitCampaignsTable>;

export async function findCampaign(
  trx: Tx,
  tenantId: string,
  id: string,
  lock?: "update" | "share",
): Promise<CampaignRow> {
  let q = campaignByIdQuery(trx, tenantId, id);
  if (lock === "update") q = q.forUpdate();
  if (lock === "share") q = q.forShare();
  return requireCampaign(await q.executeTakeFirst(), id);
}

/** The campaign's row, as a query for a transaction or for `Database.tenantQuery`. */
export function campaignByIdQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("benefit_campaigns")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
}

export function requireCampaign(row: CampaignRow | undefined, id: string): CampaignRow {
  if (!row) throw new BenefitsError("campaign_not_found", `Campaign ${id} not found`);
  return row;
}

export interface CampaignFilter {
  name?: string;
  kind?: CampaignKind;
  member_exclusive?: boolean;
}

export function campaignQuery(qc: QueryCreator<DB>, tenantId: string, f: CampaignFilter) {
  let q = qc.selectFrom("benefit_campaigns").selectAll().where("tenant_id", "=", tenantId);
  if (f.name) q = q.where("name", "ilike", `%${escapeLike(f.name)}%`);
  if (f.kind) q = q.where("kind", "=", f.kind);
  if (f.member_exclusive !== undefined) q = q.where("member_exclusive", "=", f.member_exclusive);
  return q;
}

/** Active promotional benefits that link the campaign (what clearing its flag would orphan). */
export async function promotionalLinks(trx: Tx, tenantId: string, campaignId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom("benefits")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", "promotional")
    .where("status", "=", "active")
    .where(sql<boolean>`config->>'campaign_id' = ${campaignId}`)
    .orderBy("id")
    .limit(10)
    .execute();
  return rows.map((r) => r.id);
}
