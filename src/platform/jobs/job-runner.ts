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

/**
 * Errors after which the statement did nothing (cancelled, a serialization failure or a
 * deadlock's victim, a lock not taken): asking again cannot record a job's outcome twice.
 */
const STATEMENT_UNDONE = new Set(["57014", "40001", "40P01", "55P03"]);
/** Times a job's outcome is asked to be recorded before it is left to expire and run again. */
const RECORD_ATTEMPTS = 5;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  /** The running work loops (see `workLoop`), waited for by `stop`. */
  private readonly loops: Promise<void>[] = [];
  /** Wakes the loops that wait for their next poll, so `stop` need not wait it out. */
  private readonly sleepers = new Set<() => void>();
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
        for (let i = 0; i < Math.min(def.concurrency ?? 1, 16); i++) this.loops.push(this.workLoop(def));
      }
    }
  }

  /**
   * Fetches the queue's next job, runs it, and records its outcome, until stopped. pg-boss's
   * own `work` records the outcome without waiting for it: a statement that failed there (an
   * operator's cancel, a statement timeout) was a rejection nobody handled, which ends the
   * process. Here the outcome is asked again while the statement did nothing
   * (`STATEMENT_UNDONE`), and otherwise left to the job's expiry, which runs it again.
   */
  private async workLoop(def: JobDefinition<object>): Promise<void> {
    while (this.working) {
      let job: PgBoss.JobWithMetadata<object> | undefined;
      try {
        [job] = await this.boss.fetch<object>(def.name, { batchSize: 1, includeMetadata: true });
      } catch (error) {
        this.log(`job queue ${def.name}: fetching failed`, error);
      }
      if (!job) {
        await this.idle();
        continue;
      }
      const info = { id: job.id, name: job.name, retryCount: job.retryCount };
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await this.withinExpiry(def, def.handler(job.data, info)) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      await this.record(def.name, job.id, outcome);
    }
  }

  /** The handler's result, or a refusal once it runs past the job's expiry (pg-boss's rule). */
  private async withinExpiry<T>(def: JobDefinition<object>, running: Promise<T>): Promise<T> {
    const ms = Math.max(1, def.expireInSeconds ?? 900) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`handler execution exceeded ${ms}ms`)), ms);
    });
    try {
      return await Promise.race([running, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async record(
    name: string,
    id: string,
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // pg-boss keeps a value that is not an object as `{ value }`, as its own worker does.
        if (outcome.ok) await this.boss.complete(name, id, (outcome.value ?? undefined) as object);
        else await this.boss.fail(name, id, outcome.error as object);
        return;
      } catch (error) {
        const code = (error as { code?: string } | undefined)?.code ?? "";
        if (!STATEMENT_UNDONE.has(code) || attempt >= RECORD_ATTEMPTS || !this.started) {
          this.log(
            `job ${name} ${id}: its outcome could not be recorded; it runs again once it expires`,
            error,
          );
          return;
        }
        await pause(50 * 2 ** attempt);
      }
    }
  }

  /** Waits for the next poll, or until `stop`. */
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.pollingIntervalSeconds * 1000);
      this.sleepers.add(wake);
    });
  }

  /** Waits for running handlers (up to `timeoutSeconds`), then disconnects. */
  async stop(timeoutSeconds = 30): Promise<void> {
    if (!this.started) return;
    this.working = false;
    for (const wake of [...this.sleepers]) wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.loops.splice(0)),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutSeconds * 1000);
      }),
    ]);
    clearTimeout(timer);
    this.started = false;
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
