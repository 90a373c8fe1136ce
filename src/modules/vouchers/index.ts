/**
 * The vouchers module's public surface: other modules import only this file.
 *
 * A voucher is a ledger account with a product scope, a validity and a status, funded from
 * a source account; deductions, refunds, withdrawal and expiry move value between those
 * accounts. Enterprise cash coupons and the coupons other modules give away reuse it.
 */
import type { AppDeps, ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, OPERATORS } from "../../platform/auth/permissions.js";
import { forEachTenant } from "../../platform/jobs/each-tenant.js";
import type { JobDefinition } from "../../platform/jobs/job-runner.js";
import { expireVouchers, tenantsWithDueVouchers } from "./expire-vouchers.js";
import { assertHoldersStayUnderIssuers, assertMemberStaysUnderIssuers } from "./holder-moves.js";
import { assertQuotasKeepTheirDistributor } from "./quota-distributor.js";
import { VOUCHERS_ERRORS } from "./vouchers.errors.js";
import { VOUCHERS_EVENTS } from "./vouchers.events.js";
import { vouchersRoutes } from "./vouchers.routes.js";

export { Bill, serializeBill } from "./bill-view.js";
export { type BillInput, type BillResult, deductBill, loadBillResult } from "./deduct-bill.js";
export {
  type BillLine,
  orderVouchers,
  planDeductions,
  planLineRefund,
  planTieredDeductions,
} from "./deduction-plan.js";
export { expireVouchers, tenantsWithDueVouchers } from "./expire-vouchers.js";
export {
  issueMemberVoucher,
  type MemberVoucherInput,
  TENANT_FUNDING_OWNER,
} from "./issue-member-voucher.js";
export { listMemberVouchers, type MemberVoucherListRow } from "./list-member-vouchers.js";
export {
  findVoucher,
  findVouchers,
  listVouchers,
  type VoucherFilters,
  type VoucherListRow,
  vouchersHeldBy,
} from "./list-vouchers.js";
export {
  MAX_VOUCHERS_BY_ID,
  type MemberVoucher,
  memberVouchersById,
  memberVouchersFromRows,
  memberVouchersRead,
} from "./member-vouchers.js";
export { type OpenVoucherInput, openVoucher } from "./open-voucher.js";
export { type RedeemInput, type Redemption, redeemVoucher } from "./redeem-voucher.js";
export { type RefundInput, type RefundResult, refundBill } from "./refund-bill.js";
export { type ReturnInput, returnVoucher, type VoucherReturn } from "./return-voucher.js";
export {
  assertScope,
  assertValidity,
  type ProductScope,
  scopeAllows,
  type Validity,
  validityWindow,
} from "./voucher-rules.js";
export { unitBalance } from "./voucher-views.js";
export { accountIds as voucherAccountIds, postedBalance } from "./vouchers.ledger.js";
export { VOUCHER_STATES, type VoucherRow } from "./vouchers.repository.js";
export { BillId, RefundBody } from "./vouchers.schemas.js";
export { withdrawMemberVoucher } from "./withdraw-member-voucher.js";
export { redeemedNet, type UnusedWithdrawal, withdrawUnusedVoucher } from "./withdraw-unused-voucher.js";
export { withdrawVoucher } from "./withdraw-voucher.js";

export const VOUCHER_EXPIRY_JOB = "vouchers.expire";

/**
 * Expires every tenant's due vouchers (one unit of work per tenant and batch of
 * EXPIRY_BATCH). Register with the job runner and schedule it every few minutes; tests
 * call it directly after moving the clock.
 */
export async function runVoucherExpiry(deps: Pick<AppDeps, "db" | "clock" | "ledger">): Promise<number> {
  const now = deps.clock.now();
  const done = await forEachTenant(
    VOUCHER_EXPIRY_JOB,
    await tenantsWithDueVouchers(deps.db, now),
    (tenantId) => expireTenantVouchers(deps, tenantId, now),
  );
  return done.reduce((sum, n) => sum + n, 0);
}

/** One tenant's vouchers due at `now`, a batch per unit of work. */
async function expireTenantVouchers(deps: Pick<AppDeps, "ledger">, tenantId: string, now: Date) {
  let total = 0;
  for (;;) {
    const expired = await deps.ledger.run(tenantId, (uow) => expireVouchers(uow, now));
    total += expired.length;
    if (expired.length === 0) return total;
  }
}

export function voucherExpiryJob(deps: Pick<AppDeps, "db" | "clock" | "ledger">): JobDefinition {
  return {
    name: VOUCHER_EXPIRY_JOB,
    policy: "singleton",
    handler: async () => ({ expired: await runVoucherExpiry(deps) }),
  };
}

/** Everything the vouchers module adds to the app. */
export const vouchersManifest: ModuleManifest = {
  name: "vouchers",
  routes: vouchersRoutes,
  permissions: {
    "vouchers.read": ALL_STAFF,
    "vouchers.manage": OPERATORS,
    "vouchers.bills": OPERATORS,
  },
  errors: VOUCHERS_ERRORS,
  events: VOUCHERS_EVENTS.types,
  // Redemption refuses a voucher past its end at once; the job returns its rest to its source.
  jobs: (deps) => [voucherExpiryJob(deps)],
  crons: [{ name: VOUCHER_EXPIRY_JOB, cron: "*/5 * * * *" }],
  // A reseller keeps its distributor while its quota holds value that distributor funded, and a
  // holder of a live voucher stays under the voucher's issuer.
  orgUnitMoveGuard: async (trx, tenantId, movedPath) => {
    await assertQuotasKeepTheirDistributor(trx, tenantId, movedPath);
    await assertHoldersStayUnderIssuers(trx, tenantId, movedPath);
  },
  // A member holding a live voucher an org unit issued stays under that unit.
  memberMoveGuard: assertMemberStaysUnderIssuers,
  timers: [
    {
      job: VOUCHER_EXPIRY_JOB,
      due: [{ table: "vouchers", at: "expires_at", where: "state = 'active'" }],
      run: expireTenantVouchers,
    },
  ],
};
