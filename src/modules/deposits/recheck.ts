import type { AppDeps } from "../../app-types.js";
import { eachItem, type ItemFailure, ItemSweepError } from "../../platform/jobs/each-item.js";
import type { JobDefinition } from "../../platform/jobs/job-runner.js";
import { tenantZone } from "../../platform/tenants.js";
import { advanceCampaigns, checkAccount } from "./check-account.js";
import { RECHECK_JOB } from "./credit-topup.js";
import { depositBalances } from "./deposits.ledger.js";
import { deliverNotices, deliverPendingNotices, notifierOf, type PendingNotice } from "./deposits.notices.js";
import { accountById, loadSettings } from "./deposits.repository.js";

/** Accounts one run re-checks; a tenant with more continues on the next run (20 minutes later). */
export const MAX_ACCOUNTS_PER_RUN = 10_000;
const PAGE = 100;

/**
 * The 20-minute re-check of one tenant: moves campaigns along their schedule, trips or resets
 * the circuit breaker and sends due balance warnings (at most 4 a day per account). Each
 * account is checked in its own transaction, under its row lock and the ledger's. Accounts
 * whose check fails are named in the error thrown once every other account was checked and
 * the notices sent, so the job is recorded failed and retried. The run also sends the tenant's
 * notices that were committed but never sent.
 */
export async function recheckTenant(
  deps: Pick<AppDeps, "db" | "ledger" | "notifier">,
  tenantId: string,
  now: Date,
  notifier = notifierOf(deps),
): Promise<{ checked: number; notices: PendingNotice[] }> {
  const run = await recheckTenantReport(deps, tenantId, now, notifier);
  if (run.failures.length > 0) throw new ItemSweepError("deposit account check(s)", run.failures);
  return run;
}

/** The same re-check, answering the accounts whose check failed instead of throwing them. */
export async function recheckTenantReport(
  deps: Pick<AppDeps, "db" | "ledger" | "notifier">,
  tenantId: string,
  now: Date,
  notifier = notifierOf(deps),
): Promise<{ checked: number; notices: PendingNotice[]; failures: ItemFailure[] }> {
  let after = "";
  let checked = 0;
  const notices: PendingNotice[] = [];
  const failures: ItemFailure[] = [];
  try {
    while (checked + failures.length < MAX_ACCOUNTS_PER_RUN) {
      const ids = await deps.db.tenantTx(tenantId, (trx) =>
        trx
          .selectFrom("deposit_accounts")
          .select("id")
          .where("tenant_id", "=", tenantId)
          // A closed account is checked until its campaigns are suspended (one closed before
          // closing suspended them), then no more: nothing it has changes again.
          .where((eb) =>
            eb.or([
              eb("status", "in", ["active", "abnormal"]),
              eb.and([eb("status", "=", "closed"), eb("breaker_tripped", "=", false)]),
            ]),
          )
          .where("id", ">", after)
          .orderBy("id")
          .limit(PAGE)
          .execute(),
      );
      if (ids.length === 0) break;
      // One account that cannot be checked (its transaction rolls back) holds back none of the
      // others: their breakers and warnings are applied, and it is named in the run's failure.
      const found = await eachItem(
        ids,
        (row) => row.id,
        (row) => checkOne(deps, tenantId, row.id, now),
        failures,
      );
      for (const list of found) notices.push(...list);
      checked += found.length;
      after = ids[ids.length - 1]!.id;
      if (ids.length < PAGE) break;
    }
  } finally {
    // What committed is sent, even when the run fails part-way; then what earlier work
    // committed and never sent (a statement import that stopped after its commit).
    await deliverNotices({ db: deps.db, notifier }, notices, now);
    await deliverPendingNotices({ db: deps.db, notifier }, tenantId, now);
  }
  return { checked, notices, failures };
}

/** One account's re-check, in its own transaction under its row lock and the ledger's. */
async function checkOne(
  deps: Pick<AppDeps, "db" | "ledger">,
  tenantId: string,
  id: string,
  now: Date,
): Promise<PendingNotice[]> {
  return deps.db.tenantTx(tenantId, async (trx) => {
    const account = await accountById(trx, tenantId, id, { lock: true });
    if (!account) return [];
    const ops = deps.ledger.within(trx, tenantId);
    await advanceCampaigns(trx, tenantId, id, now);
    const settings = await loadSettings(trx, tenantId, now);
    return checkAccount(
      trx,
      {
        account,
        balances: await depositBalances(ops, account),
        settings,
        zone: await tenantZone(trx, tenantId),
        warn: true,
      },
      now,
    );
  });
}

/** The re-check job; its schedule (every 20 minutes) is set at activation. */
export function depositJobs(deps: AppDeps): JobDefinition<{ tenantId: string }>[] {
  return [
    {
      name: RECHECK_JOB,
      policy: "singleton",
      perTenant: true,
      handler: async (data) => recheckTenant(deps, data.tenantId, deps.clock.now()),
    },
  ];
}
