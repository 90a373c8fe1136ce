import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { parseDecimalRate } from "../../shared/money.js";
import { WalletsError } from "./wallets.errors.js";
import {
  defaultCap,
  ensureAssets,
  loadSettings,
  type SpendOrder,
  type WalletSettings,
} from "./wallets.repository.js";

export interface SettingsInput {
  /** The balance asset: an ISO currency or the tenant's own (any symbol, even a house currency). */
  asset?: { code: string; scale: number; symbol?: string | null; name: string };
  spend_order?: SpendOrder;
  hide_balance_in_member_center?: boolean;
  balance_payment_enabled?: boolean;
  online_topup_enabled?: boolean;
  max_single_amount?: number;
  points_per_unit?: string;
  points_validity_days?: number | null;
  payment_hold_timeout_seconds?: number;
  topup_intent_ttl_seconds?: number;
  payment_provider?: string;
}

/**
 * Changes the tenant's balance settings. The balance asset can change only while no
 * member holds a balance account in the old one (balances are never converted).
 */
export async function updateWalletSettings(
  trx: Tx,
  ctx: RequestContext,
  { patch: input, knownProviders }: { patch: SettingsInput; knownProviders: readonly string[] },
  now: Date,
): Promise<WalletSettings> {
  if (ctx.actor.orgUnitId)
    throw new WalletsError("forbidden", "Only tenant-wide staff change balance settings");
  const tenantId = ctx.actor.tenantId;
  await loadSettings(trx, tenantId, now);
  const before = await trx
    .selectFrom("wallet_settings")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (input.points_per_unit !== undefined && parseDecimalRate(input.points_per_unit).numerator === 0n) {
    throw new WalletsError("validation_failed", "points_per_unit must be positive");
  }
  if (input.payment_provider !== undefined && !knownProviders.includes(input.payment_provider)) {
    throw new WalletsError("payment_provider_unknown", `No payment provider ${input.payment_provider}`);
  }
  const { asset, ...rest } = input;
  const set: Record<string, unknown> = { ...rest, updated_at: now };
  if (asset && asset.code !== before.asset) {
    const used = await trx
      .selectFrom("ledger_accounts")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("asset", "=", before.asset)
      .where("kind", "in", ["member_principal", "member_bonus"])
      .limit(1)
      .executeTakeFirst();
    if (used) {
      throw new WalletsError(
        "balance_asset_locked",
        "Members already hold balances in the current asset; it cannot change",
      );
    }
    const scale = await ensureAssets(trx, tenantId, asset, now);
    if (scale !== asset.scale) {
      throw new WalletsError("validation_failed", `Asset ${asset.code} exists with scale ${scale}`);
    }
    set.asset = asset.code;
    if (input.max_single_amount === undefined) set.max_single_amount = defaultCap(scale);
  } else if (asset) {
    await ensureAssets(trx, tenantId, asset, now);
  }
  const after = await trx
    .updateTable("wallet_settings")
    .set(set)
    .where("tenant_id", "=", tenantId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "wallet_settings.updated",
      targetType: "wallet_settings",
      targetId: tenantId,
      summary: changeSummary(
        before,
        after,
        Object.keys(set).filter((k) => k !== "updated_at") as (keyof WalletSettings)[],
      ),
    },
    now,
  );
  return after;
}
