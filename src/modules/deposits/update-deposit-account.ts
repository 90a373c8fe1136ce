import type { UnitOfWork } from "../../ledger/index.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { recheckBreaker } from "./check-account.js";
import { activateAccount, hasActivatingTopup } from "./credit-topup.js";
import { DepositsError } from "./deposits.errors.js";
import { depositBalances } from "./deposits.ledger.js";
import { type AccountStatus, assertPlatform, loadAccount, loadSettings } from "./deposits.repository.js";

export interface AccountChange {
  accountId: string;
  status?: "abnormal" | "active" | "closed";
  /** `null` drops the merchant's override (the platform's threshold applies again). */
  suspensionThreshold?: number | null;
}

/**
 * The platform marks an account abnormal, active or closed, or overrides its suspension
 * threshold; the breaker is re-checked at once (without warning again).
 */
export async function updateDepositAccount(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: AccountChange,
  now: Date,
) {
  const { trx } = uow;
  assertPlatform(ctx.actor);
  const before = await loadAccount(trx, ctx.actor, input.accountId, { lock: true });
  let status: AccountStatus | undefined = input.status;
  if (status === "active" && before.activated_at === null) {
    if (before.status !== "abnormal") {
      throw new DepositsError("account_not_active", "An account becomes active by its first top-up");
    }
    // Lifting abnormal from an account never activated: back to where its setup stood, or it
    // could never be topped up (abnormal refuses top-ups) and so never become active.
    status = before.configured_at ? "pending_activation" : "pending_configuration";
  }
  const settings = await loadSettings(trx, before.tenant_id, now);
  if (input.status === "closed") {
    const balances = await depositBalances(uow, before);
    if (balances.balance !== 0 || balances.arrears !== 0) {
      throw new DepositsError(
        "account_closed",
        "Only an account with no balance and no arrears can be closed",
      );
    }
  }
  // A closed account can neither spend nor pay out: a wire for one of its applications must
  // wait in the unmatched queue to be returned, not be credited to it.
  const cancelled =
    input.status === "closed" && before.status !== "closed"
      ? await trx
          .updateTable("deposit_topups")
          .set({ status: "cancelled" })
          .where("tenant_id", "=", before.tenant_id)
          .where("id", "in", (eb) =>
            eb
              .selectFrom("deposit_topups")
              .select("id")
              .where("tenant_id", "=", before.tenant_id)
              .where("account_id", "=", before.id)
              .where("status", "=", "open")
              // One being matched right now is left to its matcher, which finds the account closed.
              .forUpdate()
              .skipLocked(),
          )
          .returning("id")
          .execute()
      : [];
  const account = await trx
    .updateTable("deposit_accounts")
    .set({
      ...(status ? { status } : {}),
      ...(input.suspensionThreshold !== undefined ? { threshold_override: input.suspensionThreshold } : {}),
      updated_at: now,
    })
    .where("tenant_id", "=", before.tenant_id)
    .where("id", "=", before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  // A top-up credited while the account was abnormal did not activate it (only a pending one
  // is activated): it does now, or the merchant would have to wire the minimum again.
  if (
    account.status === "pending_activation" &&
    before.status === "abnormal" &&
    (await hasActivatingTopup(trx, account, settings.min_topup_amount))
  ) {
    await activateAccount(trx, account, now);
  }
  await recordAudit(
    trx,
    ctx,
    {
      action: "deposit_account.updated",
      targetType: "deposit_account",
      targetId: before.id,
      summary: {
        ...changeSummary(before, account, ["status", "threshold_override"]),
        ...(cancelled.length > 0 ? { topups_cancelled: cancelled.map((t) => t.id) } : {}),
      },
    },
    now,
  );
  const notices = await recheckBreaker(trx, uow, account, settings, now);
  return { account, settings, notices };
}
