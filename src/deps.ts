import { MANIFESTS } from "./app.js";
import type { AppDeps } from "./app-types.js";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import { Ledger } from "./ledger/index.js";
import { startPlatformServices } from "./platform/jobs/worker.js";
import { defineManifestJobs, installManifests } from "./platform/manifests.js";
import type { Clock } from "./shared/clock.js";

export interface Services {
  deps: AppDeps;
  /** Stops long-lived services in reverse order of start (after the HTTP server closed). */
  stop(): Promise<void>;
}

/**
 * Builds everything route handlers need, once per process (server, worker, CLI, tests
 * that want the full set). Modules with long-lived services (the ledger's batcher, the job
 * runner) add them here and register how to stop them.
 */
export async function buildServices(
  config: Config,
  db: Database,
  clock: Clock,
  options: { ownerUrl: string },
): Promise<Services> {
  installManifests(MANIFESTS);
  const stops: (() => Promise<void>)[] = [];
  const ledger = new Ledger(db, {
    clock,
    batching: config.ledgerBatching,
    carryForward: config.ledgerCarryForward,
  });
  stops.push(() => ledger.drainAll());
  const deps: AppDeps = { config, db, clock, ledger };
  // Jobs and notifications; handles jobs here too unless VOUCHSAFE_RUN_WORKER=false.
  const platform = await startPlatformServices(deps, {
    ownerUrl: options.ownerUrl,
    work: config.runWorker,
    defineJobs: (jobs, full) => defineManifestJobs(MANIFESTS, jobs, full),
  });
  deps.jobs = platform.jobs;
  deps.notifier = platform.notifier;
  stops.push(() => platform.stop());
  return {
    deps,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
