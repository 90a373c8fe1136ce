import type { AppDeps, ModuleManifest } from "../app-types.js";
import { registerErrorStatuses } from "../shared/errors.js";
import { setMemberTokenGuard } from "./auth/member-tokens.js";
import { definePermissions } from "./auth/permissions.js";
import { defineEventType } from "./events/outbox.js";
import { registerExport, registerImport } from "./files/registry.js";
import type { JobRunner } from "./jobs/job-runner.js";
import { defineNotice } from "./notify/notices.js";
import { addBalancePaymentListener } from "./payment-outcomes.js";

/**
 * Puts every manifest's declarations into the process's tables (permissions, error statuses,
 * event, notice and file types, the member token guard, balance payment listeners). Installing the same manifests again
 * (every app a test builds) changes nothing; two manifests that disagree refuse to start.
 */
export function installManifests(manifests: readonly ModuleManifest[]): void {
  for (const m of manifests) {
    if (m.permissions) definePermissions(m.permissions);
    if (m.errors) registerErrorStatuses(m.errors.statuses);
    for (const event of m.events ?? []) defineEventType(event);
    for (const notice of m.notices ?? []) defineNotice(notice);
    for (const definition of m.imports ?? []) registerImport(definition);
    for (const definition of m.exports ?? []) registerExport(definition);
    if (m.memberTokenGuard) setMemberTokenGuard(m.memberTokenGuard);
    if (m.onBalancePaymentResolved) addBalancePaymentListener(m.onBalancePaymentResolved);
  }
}

/** Defines every manifest's jobs on the runner; returns their housekeeping crons. */
export function defineManifestJobs(
  manifests: readonly ModuleManifest[],
  runner: JobRunner,
  deps: AppDeps,
): { name: string; cron: string }[] {
  for (const m of manifests) for (const job of m.jobs?.(deps) ?? []) runner.define(job);
  return manifests.flatMap((m) => m.crons ?? []);
}
