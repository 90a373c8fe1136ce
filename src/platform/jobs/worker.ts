import type { AppDeps } from "../../app-types.js";
import { realNow } from "../../shared/clock.js";
import { dispatchEvents } from "../events/outbox.js";
import { pruneEvents } from "../events/prune.js";
import { deliverDue } from "../events/webhooks.js";
import { type FileDeps, pruneFiles, runFileJob } from "../files/file-jobs.js";
import { smsAdapterFor } from "../notify/aliyun-sms.js";
import "../files/builtin.js";
import { Notifier, type NotifyRequest } from "../notify/notifier.js";
import { JobRunner } from "./job-runner.js";
import { EXPIRED_PRUNE_JOB, pruneExpired } from "./prune-expired.js";
import { runDue } from "./schedules.js";

/** The platform's own jobs; modules define theirs on `deps.jobs` before the worker starts. */
export const PLATFORM_JOBS = {
  dispatchEvents: "events.dispatch",
  deliverWebhooks: "webhooks.deliver",
  runSchedules: "schedules.run_due",
  runFileJob: "files.run",
  pruneFiles: "files.prune",
  pruneEvents: "events.prune",
  pruneExpired: EXPIRED_PRUNE_JOB,
  notify: "notify.send",
  retryNotifications: "notify.retry",
} as const;

/** Webhooks go out within about this long of their event's commit. */
export const DEFAULT_TICK_SECONDS = 3;

export interface PlatformServices {
  jobs: JobRunner;
  notifier: Notifier;
  /** Graceful: stops the ticker, waits for running handlers, disconnects. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  /** The owner's connection string: pg-boss needs rights the app role lacks. */
  ownerUrl: string;
  /** Handle jobs in this process (the server with VOUCHSAFE_RUN_WORKER, or `npm run worker`). */
  work: boolean;
  /** How often due schedules, events, webhook and notification retries are looked for. */
  tickSeconds?: number;
  log?: (message: string, error?: unknown) => void;
  /** Defines module jobs; returns the housekeeping crons (UTC) to register once working. */
  defineJobs?: (jobs: JobRunner, deps: AppDeps) => { name: string; cron: string }[] | undefined;
}

export function fileDeps(deps: AppDeps): FileDeps {
  return {
    db: deps.db,
    dataDir: deps.config.dataDir,
    notifier: deps.notifier,
    maxExportRows: deps.config.exportMaxRows,
  };
}

/**
 * Defines every platform job on a new runner and starts it: sending only, or sending and
 * working. Working processes also run a short ticker that enqueues the clock-driven sweeps
 * (due schedules, undispatched events, due webhook and notification retries) into stately
 * queues, so however
 * many workers tick, at most one sweep of each kind is queued and one runs.
 */
export async function startPlatformServices(
  deps: AppDeps,
  options: WorkerOptions,
): Promise<PlatformServices> {
  const log = options.log ?? (() => {});
  const jobs = new JobRunner({ connectionString: options.ownerUrl, log });
  const notifier = new Notifier({
    db: deps.db,
    smtpUrl: deps.config.smtpUrl,
    sms: smsAdapterFor(deps.config),
    clock: deps.clock,
  });
  const full: AppDeps = { ...deps, jobs, notifier };
  const { db, clock } = deps;

  jobs.define({
    name: PLATFORM_JOBS.dispatchEvents,
    policy: "stately",
    retryLimit: 0,
    deadLetter: false,
    handler: async () => {
      const dispatched = await dispatchEvents(db, clock.now());
      if (dispatched > 0) await jobs.send(PLATFORM_JOBS.deliverWebhooks, {}, { singletonKey: "sweep" });
      return { dispatched };
    },
  });
  jobs.define({
    name: PLATFORM_JOBS.deliverWebhooks,
    policy: "stately",
    retryLimit: 0,
    deadLetter: false,
    handler: async () => {
      const outcomes = await deliverDue({ db, allowPrivate: deps.config.webhooksAllowPrivate }, clock.now());
      return { attempted: outcomes.length };
    },
  });
  jobs.define({
    name: PLATFORM_JOBS.runSchedules,
    policy: "stately",
    retryLimit: 0,
    deadLetter: false,
    handler: async () => {
      const runs = await runDue(
        db,
        (trx, name, data, key) => jobs.send(name, data, { trx, singletonKey: key, uniqueSeconds: 60 }),
        clock.now(),
      );
      return { enqueued: runs.length };
    },
  });
  jobs.define<{ tenantId: string; id: string }>({
    name: PLATFORM_JOBS.runFileJob,
    retryLimit: 1,
    retryDelaySeconds: 5,
    expireInSeconds: 3600,
    handler: async (data) => runFileJob(fileDeps(full), data.tenantId, data.id, () => clock.now()),
  });
  jobs.define({
    name: PLATFORM_JOBS.pruneFiles,
    policy: "stately",
    handler: async () => ({ pruned: await pruneFiles(fileDeps(full), clock.now()) }),
  });
  jobs.define({
    name: PLATFORM_JOBS.pruneEvents,
    policy: "stately",
    handler: async () => pruneEvents(db, clock.now(), deps.config.eventRetentionDays),
  });
  jobs.define({
    name: PLATFORM_JOBS.pruneExpired,
    policy: "stately",
    handler: async () => pruneExpired({ db, clock }),
  });
  jobs.define<{ tenantId: string; request: NotifyRequest }>({
    name: PLATFORM_JOBS.notify,
    retryLimit: 5,
    retryDelaySeconds: 30,
    handler: async (data) => notifier.notify(data.tenantId, data.request, clock.now()),
  });
  jobs.define({
    name: PLATFORM_JOBS.retryNotifications,
    policy: "stately",
    retryLimit: 0,
    deadLetter: false,
    // Real time, in sandboxes too: the mail server and the phone live in it.
    handler: async () => {
      const now = realNow(clock);
      const attempted = (await notifier.sendDueRetries(now)).length;
      return { attempted, forgotten: await notifier.forgetFailedBodies(now) };
    },
  });

  const moduleCrons = options.defineJobs?.(jobs, full) ?? [];
  await jobs.start({ work: options.work });
  let ticker: NodeJS.Timeout | undefined;
  if (options.work) {
    await jobs.cron(PLATFORM_JOBS.pruneFiles, "17 * * * *");
    await jobs.cron(PLATFORM_JOBS.pruneEvents, "37 * * * *");
    await jobs.cron(PLATFORM_JOBS.pruneExpired, "47 * * * *");
    for (const schedule of moduleCrons) await jobs.cron(schedule.name, schedule.cron);
    const tick = async () => {
      for (const name of [
        PLATFORM_JOBS.runSchedules,
        PLATFORM_JOBS.dispatchEvents,
        PLATFORM_JOBS.deliverWebhooks,
        PLATFORM_JOBS.retryNotifications,
      ]) {
        await jobs
          .send(name, {}, { singletonKey: "sweep" })
          .catch((error) => log(`enqueue ${name} failed`, error));
      }
    };
    ticker = setInterval(() => void tick(), (options.tickSeconds ?? DEFAULT_TICK_SECONDS) * 1000);
    ticker.unref();
  }
  return {
    jobs,
    notifier,
    stop: async () => {
      if (ticker) clearInterval(ticker);
      await jobs.stop();
      notifier.close();
    },
  };
}

let running: PlatformServices | undefined;

/** For server.ts: start handling jobs in this process (config.runWorker). */
export async function startWorker(
  deps: AppDeps,
  options: Omit<WorkerOptions, "work">,
): Promise<PlatformServices> {
  running = await startPlatformServices(deps, { ...options, work: true });
  return running;
}

export async function stopWorker(): Promise<void> {
  const r = running;
  running = undefined;
  await r?.stop();
}
