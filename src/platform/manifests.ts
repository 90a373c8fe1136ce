import type { AppDeps, ModuleManifest } from "../app-types.js";
import { registerErrorStatuses } from "../shared/errors.js";
import { setMemberTokenGuard } from "./auth/member-tokens.js";
import { definePermissions } from "./auth/permissions.js";
import { addBalanceOrderLookup } from "./balance-orders.js";
import { defineEventType } from "./events/outbox.js";
import { addMemberImageLookup } from "./files/member-images.js";
import { registerExport, registerImport } from "./files/registry.js";
import type { JobDefinition, JobInfo, JobRunner } from "./jobs/job-runner.js";
import { defineExpiringRows } from "./jobs/prune-expired.js";
import { addMemberCloseGuard } from "./member-close-guards.js";
import { addMemberMoveGuard } from "./member-move-guards.js";
import { defineNotice } from "./notify/notices.js";
import { addOnlineTopupSource } from "./online-topups.js";
import { addOrgUnitMoveGuard } from "./org/move-guards.js";
import { addStoreScopeReferenceLookup } from "./org/store-scope-references.js";
import {
  addBalancePaymentListener,
  addBalancePaymentOwner,
  addBalancePaymentRefundListener,
  addTopupPaymentHolder,
} from "./payment-outcomes.js";
import { atTenantTime } from "./sandbox/tenant-clock.js";
import { defineTimer } from "./sandbox/timers.js";
import { addVoucherSourceReturnListener } from "./voucher-source-returns.js";

/**
 * Puts every manifest's declarations into the process's tables (permissions, error statuses,
 * event, notice and file types, the member token guard, balance payment listeners (resolved, refunded) and owners,
 * top-up payment holders, orders paid from the balance and online top-up sources, what shows images to members, org unit move, member move and member close checks,
 * what names units and store groups in store scopes, listeners to refunds that credit vouchers' sources).
 * Installing the same manifests again (every app a test builds) changes nothing; two manifests that disagree refuse to start.
 */
export function installManifests(manifests: readonly ModuleManifest[]): void {
  installed = manifests;
  for (const m of manifests) {
    if (m.permissions) definePermissions(m.permissions);
    if (m.errors) registerErrorStatuses(m.errors.statuses);
    for (const event of m.events ?? []) defineEventType(event);
    for (const notice of m.notices ?? []) defineNotice(notice);
    for (const definition of m.imports ?? []) registerImport(definition);
    for (const definition of m.exports ?? []) registerExport(definition);
    if (m.memberTokenGuard) setMemberTokenGuard(m.memberTokenGuard);
    if (m.onBalancePaymentResolved) addBalancePaymentListener(m.onBalancePaymentResolved);
    if (m.onBalancePaymentRefunded) addBalancePaymentRefundListener(m.onBalancePaymentRefunded);
    if (m.ownsBalancePayments) addBalancePaymentOwner(m.ownsBalancePayments);
    if (m.orgUnitMoveGuard) addOrgUnitMoveGuard(m.orgUnitMoveGuard);
    if (m.storeScopeReferences) addStoreScopeReferenceLookup(m.storeScopeReferences);
    if (m.memberCloseGuard) addMemberCloseGuard(m.memberCloseGuard);
    if (m.memberMoveGuard) addMemberMoveGuard(m.memberMoveGuard);
    if (m.onVoucherSourcesCredited) addVoucherSourceReturnListener(m.onVoucherSourcesCredited);
    if (m.holdsTopupPayments) addTopupPaymentHolder(m.holdsTopupPayments);
    if (m.balanceOrders) addBalanceOrderLookup(m.balanceOrders);
    if (m.listsOnlineTopups) addOnlineTopupSource(m.listsOnlineTopups);
    if (m.showsImagesToMembers) addMemberImageLookup(m.showsImagesToMembers);
    for (const timer of m.timers ?? []) defineTimer(timer);
    for (const rows of m.expiringRows ?? []) defineExpiringRows(rows);
  }
}

let installed: readonly ModuleManifest[] = [];

/** The manifests the process installed last (advancing a test clock runs their jobs). */
export function installedManifests(): readonly ModuleManifest[] {
  return installed;
}

/** Defines every manifest's jobs on the runner; returns their housekeeping crons. */
export function defineManifestJobs(
  manifests: readonly ModuleManifest[],
  runner: JobRunner,
  deps: AppDeps,
): { name: string; cron: string }[] {
  for (const job of manifestJobs(manifests, deps)) runner.define(job);
  return manifests.flatMap((m) => m.crons ?? []);
}

/**
 * Every manifest's jobs, each running at its tenant's time: a job whose data names a tenant
 * (a business schedule's run) sees a sandbox's test clock through every clock it reads.
 */
// biome-ignore lint/suspicious/noExplicitAny: each job has its own data type
export function manifestJobs(manifests: readonly ModuleManifest[], deps: AppDeps): JobDefinition<any>[] {
  return manifests.flatMap((m) =>
    (m.jobs?.(deps) ?? []).map((job) => ({
      ...job,
      handler: (data: { tenantId?: unknown }, info: JobInfo) =>
        typeof data?.tenantId === "string"
          ? atTenantTime(deps.db, data.tenantId, () => job.handler(data, info))
          : job.handler(data, info),
    })),
  );
}
