import { CompiledQuery } from "kysely";
import PgBoss from "pg-boss";
import type { Tx } from "../../db/database.js";
import { assert } from "../../shared/assert.js";

/** What a handler learns about the job it runs. */
export interface JobInfo {
  id: string;
  name: string;
  /** 0 on the first attempt. */
  retryCount: number;
}

export interface JobDefinition<T extends object = Record<string, unknown>> {
  name: string;
  handler: (data: T, job: JobInfo) => Promise<unknown>;
  /** Attempts after the first; default 3. */
  retryLimit?: number;
  /** Seconds before the first retry; with backoff each later retry waits about twice as long. */
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  /**
   * pg-boss queue policy: `standard` (default); `short` (one queued job per singleton key);
   * `singleton` (one active job per key); `stately` (one queued and one active per key).
   */
  policy?: "standard" | "short" | "singleton" | "stately";
  /** A handler running longer than this is failed (and retried). Default 15 minutes. */
  expireInSeconds?: number;
  /** Jobs that exhaust their retries are copied to `<name>.dead`; default on. */
  deadLetter?: boolean;
  /** Jobs of this type one process handles at once (each worker polls on its own); default 1. */
  concurrency?: number;
  /**
   * The job's data names one tenant (a business schedule's run, `data.tenantId`): it runs at
   * that tenant's time, a sandbox's test clock included, and advancing a sandbox's clock runs it.
   */
  perTenant?: boolean;
}

export interface SendOptions {
  /** With `uniqueSeconds`: at most one job per key in each slot of that many seconds. */
  singletonKey?: string;
  uniqueSeconds?: number;
  startAfter?: Date;
  /** Enqueue inside this transaction (it must have the owner's rights: `systemTx`). */
  trx?: Tx;
}

export interface FailedJob {
  id: string;
  name: string;
  data: Record<string, unknown>;
  error: string;
  retry_count: number;
  created_at: Date;
  failed_at: Date | null;
}

export const MAX_FAILED_LIST = 100;

export function deadLetterQueue(name: string): string {
  return `${name}.dead`;
}

/**
 * Background jobs on pg-boss, in the `pgboss` schema of the service's own database.
 * pg-boss connects with the owner's connection string (the app pool runs as the
 * row-level-security role and may not touch the queue tables); handlers open tenant
 * transactions themselves. Several runners on one database never run a job twice:
 * pg-boss fetches with `FOR UPDATE SKIP LOCKED`.
 */
export class JobRunner {
  private readonly boss: PgBoss;
  private readonly definitions = new Map<string, JobDefinition<object>>();
  private started = false;
  private working = false;
  private readonly log: (message: string, error?: unknown) => void;
  private readonly pollingIntervalSeconds: number;

  constructor(options: {
    connectionString: string;
    log?: (message: string, error?: unknown) => void;
    /** How often idle workers look for jobs; pg-boss's minimum is 0.5. */
    pollingIntervalSeconds?: number;
    poolSize?: number;
  }) {
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      application_name: "vouchsafe-jobs",
      max: options.poolSize ?? 4,
      // Installed by migration 0200; a newer pg-boss must come with a new migration.
      migrate: false,
      // pg-boss cron is for system housekeeping only; business schedules use our clock.
      schedule: true,
      supervise: true,
      // Sweeps run every few seconds: move finished jobs out of the queue tables within the
      // hour; failed ones stay listable (admin API) for two weeks.
      archiveCompletedAfterSeconds: 3600,
      archiveFailedAfterSeconds: 14 * 86_400,
    });
    this.log = options.log ?? (() => {});
    this.pollingIntervalSeconds = options.pollingIntervalSeconds ?? 2;
    this.boss.on("error", (error) => this.log("job queue error", error));
  }

  /** Declares a job type; every process that sends or works it defines it the same way. */
  define<T extends object>(definition: JobDefinition<T>): void {
    assert(!this.definitions.has(definition.name), `job ${definition.name} defined twice`);
    this.definitions.set(definition.name, definition as unknown as JobDefinition<object>);
  }

  has(name: string): boolean {
    return this.definitions.has(name);
  }

  /** Connects and creates every defined queue; with `work`, also starts handling jobs. */
  async start(options: { work: boolean }): Promise<void> {
    if (!this.started) {
      await this.boss.start();
      this.started = true;
      for (const def of this.definitions.values()) {
        const dead = def.deadLetter !== false ? deadLetterQueue(def.name) : undefined;
        if (dead) await this.boss.createQueue(dead, { name: dead, policy: "standard", retryLimit: 0 });
        const queue: PgBoss.Queue = {
          name: def.name,
          policy: def.policy ?? "standard",
          retryLimit: def.retryLimit ?? 3,
          retryDelay: def.retryDelaySeconds ?? 10,
          retryBackoff: def.retryBackoff ?? true,
          expireInSeconds: def.expireInSeconds ?? 900,
          ...(dead ? { deadLetter: dead } : {}),
        };
        await this.boss.createQueue(def.name, queue);
        // createQueue keeps an existing queue as it was: bring its options up to date.
        await this.boss.updateQueue(def.name, queue);
      }
    }
    if (options.work && !this.working) {
      this.working = true;
      for (const def of this.definitions.values()) {
        for (let i = 0; i < Math.min(def.concurrency ?? 1, 16); i++) {
          await this.boss.work<object>(
            def.name,
            { pollingIntervalSeconds: this.pollingIntervalSeconds, batchSize: 1, includeMetadata: true },
            async ([job]) => {
              if (!job) return;
              return def.handler(job.data, { id: job.id, name: job.name, retryCount: job.retryCount });
            },
          );
        }
      }
    }
  }

  /** Waits for running handlers (up to `timeoutSeconds`), then disconnects. */
  async stop(timeoutSeconds = 30): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.working = false;
    await this.boss.stop({ graceful: true, wait: true, close: true, timeout: timeoutSeconds * 1000 });
  }

  /** Enqueues a job; null when a singleton/unique key refused it as a duplicate. */
  async send(name: string, data: object, options: SendOptions = {}): Promise<string | null> {
    assert(this.definitions.has(name), `job ${name} is not defined`);
    const sendOptions: PgBoss.SendOptions = {};
    if (options.singletonKey !== undefined) sendOptions.singletonKey = options.singletonKey;
    if (options.uniqueSeconds !== undefined) sendOptions.singletonSeconds = options.uniqueSeconds;
    if (options.startAfter !== undefined) sendOptions.startAfter = options.startAfter;
    if (options.trx) sendOptions.db = txExecutor(options.trx);
    return this.boss.send(name, data, sendOptions);
  }

  /** A pg-boss cron schedule (UTC unless `tz`): system housekeeping, not business rules. */
  async cron(name: string, cron: string, data: object = {}, tz = "UTC"): Promise<void> {
    assert(this.definitions.has(name), `job ${name} is not defined`);
    await this.boss.schedule(name, cron, data, { tz });
  }

  /** Failed jobs whose data names this tenant (pass null for every tenant), newest first. */
  async failedJobs(tenantId: string | null, limit = MAX_FAILED_LIST): Promise<FailedJob[]> {
    return listFailedJobs(this.boss.getDb(), tenantId, limit);
  }

  async getJob(name: string, id: string) {
    return this.boss.getJobById<Record<string, unknown>>(name, id);
  }

  /** Puts a failed job back in the queue; false when no failed job of this tenant has that id. */
  async retry(tenantId: string | null, id: string): Promise<boolean> {
    return retryFailedJob(this.boss.getDb(), tenantId, id);
  }

  /** For tests and the admin API: counts by state of one queue. */
  async queueSize(name: string): Promise<number> {
    return this.boss.getQueueSize(name);
  }
}

/**
 * Failed jobs whose data names this tenant (null: every tenant), newest first. Plain SQL on
 * pg-boss's tables (installed by migration), so the admin API answers in processes that
 * run no job runner too.
 */
export async function listFailedJobs(
  db: PgBoss.Db,
  tenantId: string | null,
  limit = MAX_FAILED_LIST,
): Promise<FailedJob[]> {
  const rows = await db.executeSql(
    `select id, name, data, output, retry_count, created_on, completed_on
       from pgboss.job
      where state = 'failed' and ($1::text is null or data->>'tenantId' = $1)
      order by completed_on desc nulls last, id
      limit $2`,
    [tenantId, Math.min(limit, MAX_FAILED_LIST + 1)],
  );
  return rows.rows.map(toFailedJob);
}

/** What pg-boss's `retry` does (state retry, one more attempt allowed), confined to the tenant. */
export async function retryFailedJob(db: PgBoss.Db, tenantId: string | null, id: string): Promise<boolean> {
  const result = await db.executeSql(
    `update pgboss.job set state = 'retry', retry_limit = retry_limit + 1
      where id = $1::uuid and state = 'failed' and ($2::text is null or data->>'tenantId' = $2)
      returning id`,
    [id, tenantId],
  );
  return result.rows.length > 0;
}

function toFailedJob(row: Record<string, unknown>): FailedJob {
  const output = row.output as { message?: string; value?: string } | null;
  return {
    id: String(row.id),
    name: String(row.name),
    data: (row.data ?? {}) as Record<string, unknown>,
    error: output?.message ?? output?.value ?? JSON.stringify(output ?? null),
    retry_count: Number(row.retry_count),
    created_at: row.created_on as Date,
    failed_at: (row.completed_on as Date | null) ?? null,
  };
}

/** Lets pg-boss write its job row through one of our transactions (enqueue atomically). */
export function txExecutor(trx: Tx): PgBoss.Db {
  return {
    executeSql: async (text: string, values: unknown[]) => {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows as unknown[] as Record<string, unknown>[] };
    },
  };
}
