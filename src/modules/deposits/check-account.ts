import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import { tenantZone } from "../../platform/tenants.js";
import { breakerDecision, scheduledStatus, warningDue } from "./deposit-rules.js";
import { emitDepositEvent } from "./deposits.events.js";
import { type DepositBalances, depositBalances, type LedgerOps } from "./deposits.ledger.js";
import { type PendingNotice, recordNotice, takeWarningAllowance } from "./deposits.notices.js";
import { type AccountRow, type SettingsRow, thresholdOf } from "./deposits.repository.js";

export interface CheckInput {
  /** The account row, locked by the caller (FOR UPDATE) in this transaction. */
  account: AccountRow;
  /** Balances read under the ledger lock, after the change being checked. */
  balances: DepositBalances;
  settings: SettingsRow;
  zone: string;
  /** Also send a balance warning if one is due (the schedule, or a change that crossed the value). */
  warn: boolean;
}

/**
 * Whether a change of available crossed the account's warning value downwards: such a change
 * warns at once; the schedule repeats the warning (4 a day at most).
 */
export function crossedWarning(account: AccountRow, before: number, after: number): boolean {
  return account.warning_value !== null && before >= account.warning_value && after < account.warning_value;
}

/**
 * The circuit breaker and the balance warning for one account, in the caller's transaction:
 * suspends every not-started and running campaign when available < threshold; resumes exactly
 * the campaigns it suspended when available > threshold (those whose end passed become
 * `ended`); warns at most 4 times a day. Returns the notices to deliver after commit.
 * A closed account can fund no campaign again (it takes no top-up): the breaker suspends its
 * campaigns whatever its threshold, and never resumes them while it stays closed.
 */
export async function checkAccount(trx: Tx, input: CheckInput, now: Date): Promise<PendingNotice[]> {
  const { account, balances, settings } = input;
  const closed = account.status === "closed";
  if (account.status !== "active" && account.status !== "abnormal" && !closed) return [];
  const notices: PendingNotice[] = [];
  const threshold = thresholdOf(account, settings);
  const decision = closed
    ? account.breaker_tripped
      ? "none"
      : "suspend"
    : breakerDecision({ tripped: account.breaker_tripped, available: balances.available, threshold });
  if (decision === "suspend") {
    const suspended = await trx
      .updateTable("deposit_campaigns")
      .set({ status: "suspended", suspended_by_breaker: true, updated_at: now })
      .where("tenant_id", "=", account.tenant_id)
      .where("account_id", "=", account.id)
      .where("status", "in", ["not_started", "running"])
      .returning("id")
      .execute();
    notices.push(
      await breakerChanged(trx, account, "suspended", suspended, balances.available, threshold, now),
    );
  } else if (decision === "resume") {
    const campaigns = await trx
      .selectFrom("deposit_campaigns")
      .select(["id", "starts_at", "ends_at"])
      .where("tenant_id", "=", account.tenant_id)
      .where("account_id", "=", account.id)
      .where("suspended_by_breaker", "=", true)
      .forUpdate()
      .execute();
    for (const c of campaigns) {
      await trx
        .updateTable("deposit_campaigns")
        .set({ status: scheduledStatus(c, now), suspended_by_breaker: false, updated_at: now })
        .where("tenant_id", "=", account.tenant_id)
        .where("id", "=", c.id)
        .execute();
    }
    notices.push(
      await breakerChanged(trx, account, "resumed", campaigns, balances.available, threshold, now),
    );
  }

  if (closed) return notices;
  // Resumed campaigns that never ran before are starting now.
  notices.push(...(await announceStarts(trx, account, balances.available, now)));

  if (input.warn && warningDue(balances.available, account.warning_value)) {
    if (await takeWarningAllowance(trx, account.tenant_id, account.id, now, input.zone)) {
      await emitDepositEvent(
        trx,
        account,
        "deposit.balance_warning",
        { available: balances.available, warning_value: account.warning_value },
        now,
      );
      notices.push(
        await recordNotice(
          trx,
          account,
          "warning",
          { available: balances.available, threshold: account.warning_value ?? 0 },
          now,
        ),
      );
    }
  }
  return notices;
}

/**
 * The breaker re-checked at once after a change that is no reason to warn (a new threshold, a
 * rejected withdrawal): reads the balances under the ledger's lock.
 */
export async function recheckBreaker(
  trx: Tx,
  ops: LedgerOps,
  account: AccountRow,
  settings: SettingsRow,
  now: Date,
): Promise<PendingNotice[]> {
  const balances = await depositBalances(ops, account);
  const zone = await tenantZone(trx, account.tenant_id);
  return checkAccount(trx, { account, balances, settings, zone, warn: false }, now);
}

/** Records a breaker change: the account's flag, the webhook event, the audit entry, the notice. */
async function breakerChanged(
  trx: Tx,
  account: AccountRow,
  kind: "suspended" | "resumed",
  campaigns: { id: string }[],
  available: number,
  threshold: number,
  now: Date,
): Promise<PendingNotice> {
  const tripped = kind === "suspended";
  await trx
    .updateTable("deposit_accounts")
    .set({ breaker_tripped: tripped, breaker_changed_at: now, updated_at: now })
    .where("tenant_id", "=", account.tenant_id)
    .where("id", "=", account.id)
    .execute();
  account.breaker_tripped = tripped;
  const ids = campaigns.map((c) => c.id);
  const summary = { available, threshold, campaign_ids: ids };
  await emitDepositEvent(trx, account, `deposit.campaigns_${kind}`, summary, now);
  await recordAudit(
    trx,
    systemActor(account.tenant_id, "deposits.breaker"),
    {
      action: `deposit_account.campaigns_${kind}`,
      targetType: "deposit_account",
      targetId: account.id,
      summary,
    },
    now,
  );
  return recordNotice(trx, account, kind, { available, threshold, count: ids.length }, now);
}

/** Moves campaigns the breaker does not hold along their schedule (not started → running → ended). */
export async function advanceCampaigns(
  trx: Tx,
  tenantId: string,
  accountId: string,
  now: Date,
): Promise<void> {
  await trx
    .updateTable("deposit_campaigns")
    .set({ status: "ended", updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("account_id", "=", accountId)
    .where("status", "in", ["not_started", "running"])
    .where("ends_at", "<=", now)
    .execute();
  await trx
    .updateTable("deposit_campaigns")
    .set({ status: "running", updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("account_id", "=", accountId)
    .where("status", "=", "not_started")
    .where("starts_at", "<=", now)
    .execute();
}

/**
 * Announces each of the account's campaigns that runs for the first time (the seed's 活動開始
 * notice): `started_at` marks it, so a start is announced once, whichever path started it
 * (creation, the schedule's re-check, the breaker resuming a campaign that had not run yet).
 */
export async function announceStarts(
  trx: Tx,
  account: AccountRow,
  available: number,
  now: Date,
): Promise<PendingNotice[]> {
  const started = await trx
    .updateTable("deposit_campaigns")
    .set({ started_at: now, updated_at: now })
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .where("status", "=", "running")
    .where("started_at", "is", null)
    .returning(["id", "name"])
    .execute();
  const notices: PendingNotice[] = [];
  for (const campaign of started) {
    await emitDepositEvent(
      trx,
      account,
      "deposit.campaign_started",
      { campaign_id: campaign.id, name: campaign.name },
      now,
    );
    notices.push(await recordNotice(trx, account, "started", { available, threshold: 0 }, now, campaign));
  }
  return notices;
}
