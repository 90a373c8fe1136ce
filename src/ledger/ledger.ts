import { CompiledQuery, type Insertable, Kysely, PostgresDialect, sql } from "kysely";
import type pg from "pg";
import {
  appendRow,
  beginTenantQuery,
  type Database,
  isSqlValue,
  openingStatements,
  type PipelinedStatement,
  rowsOfStatements,
  type SqlValue,
  sendBeforeNextQuery,
  statementName,
  type Tx,
} from "../db/database.js";
import type { DB } from "../db/schema.js";
import {
  type Clock,
  type ClockScope,
  currentClockScope,
  runInClockScope,
  sameClockScope,
} from "../shared/clock.js";
import { countingInto, currentRoundTrips, type RoundTrips } from "../shared/round-trips.js";
import {
  type CarriedState,
  type Executor,
  Layer,
  LayerOps,
  type LoadObserver,
  type ResolutionStep,
  RowBusyError,
  Session,
  StaleCarryError,
} from "./engine.js";
import { type Account, type LedgerOps, MAX_BATCH_TRANSFERS, type UnitOfWork } from "./types.js";

export interface LedgerOptions {
  clock: Clock;
  /** Group commit: concurrent units of work of a tenant share one transaction. */
  batching: boolean;
  /** A batch stops admitting units once it holds this many transfers. */
  maxBatchTransfers?: number;
  maxBatchUnits?: number;
  /**
   * Batches of one tenant in flight at once (default 2): one evaluates while the others write
   * and commit. A batch that wants an account a committing batch holds waits on its row lock.
   */
  concurrentBatches?: number;
  /**
   * Carry forward (ADR 0009): the next batch decides on the accounts the committing batches
   * changed, as they left them, instead of waiting for their row locks; its write checks that
   * the rows it changes are what it decided on. Default off: on two cores it measured no faster
   * (ADR 0009).
   */
  carryForward?: boolean;
  /**
   * Every unit run here is ledger-only (`RunOptions.ledgerOnly` unless it says otherwise): for
   * callers that run nothing but ledger operations, as the engine bench and its tests do.
   */
  unitsAreLedgerOnly?: boolean;
}

export interface RunOptions {
  /** Accounts the unit will touch: locked up front for the whole batch, in one query in id order. */
  lock?: string[];
  /**
   * The unit decides only through the ledger (and appends rows): none of its own SQL relies
   * on the ledger's row locks to see what an earlier unit of the tenant wrote. Such units may
   * be evaluated on carried state (`carryForward`); others always lock the rows they read.
   */
  ledgerOnly?: boolean;
}

type UnitFn<T> = (uow: UnitOfWork) => Promise<T>;

interface Job {
  fn: UnitFn<unknown>;
  lock: string[] | undefined;
  ledgerOnly: boolean;
  /** The clock scope and round-trip counter of whoever queued the unit (see `pump`). */
  clockScope: ClockScope | undefined;
  roundTrips: RoundTrips | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Pipeline {
  queue: Job[];
  running: Set<Promise<void>>;
  /** A batch still gathering locks and running units (at most one: the others are committing). */
  evaluating: boolean;
  carry: Carry;
}

/** A carried entry and the batch that wrote it (the latest writer of the account). */
interface Carried<T> {
  value: T;
  batch: object;
}

/**
 * The state the tenant's committing batches leave (see `carryForward`). An entry lives until
 * the batch that wrote it last commits; any failure drops everything.
 */
class Carry implements CarriedState {
  private readonly accounts = new Map<string, Carried<Account>>();
  private readonly resolutions = new Map<string, Carried<ResolutionStep>>();
  /** Resolves once the last batch that published has written (and so holds its rows' locks). */
  private lastWrite: Promise<void> = Promise.resolve();

  account(id: string): Account | undefined {
    return this.accounts.get(id)?.value;
  }
  resolution(pendingId: string): ResolutionStep | undefined {
    return this.resolutions.get(pendingId)?.value;
  }
  written(): Promise<void> {
    return this.lastWrite;
  }

  /**
   * Adds a batch's state and gives it its turn to write: after the batch published before it
   * has written, since a carried batch holds no row lock until its write takes them.
   */
  publish(
    batch: object,
    state: ReturnType<Session["carryState"]>,
  ): { previous: Promise<void>; written(): void } {
    for (const a of state.accounts) this.accounts.set(a.id, { value: a, batch });
    for (const r of state.resolutions) this.resolutions.set(r.pending_id!, { value: r, batch });
    const previous = this.lastWrite;
    let written!: () => void;
    this.lastWrite = new Promise<void>((resolve) => {
      written = resolve;
    });
    return { previous, written };
  }
  /** The batch committed: its entries are the rows now (unless a later batch overwrote them). */
  committed(batch: object): void {
    for (const [id, c] of this.accounts) if (c.batch === batch) this.accounts.delete(id);
    for (const [id, c] of this.resolutions) if (c.batch === batch) this.resolutions.delete(id);
  }
  failed(): void {
    this.accounts.clear();
    this.resolutions.clear();
  }
}

const CARRY_PAUSE_MS = 1_000;

/** The part of a unit that decides whether its SQL needs a savepoint and what to forget. */
interface UnitState {
  savepoint: boolean;
  locked: string[];
}

const SAVEPOINT = "vs_unit";

/**
 * The engine's statements are few and repeat with every batch, so each pooled connection
 * prepares them once and PostgreSQL skips parsing and planning them again (measured with
 * `bench/engine.ts`: about 1.5-1.9× the transfers per second of unnamed statements). Texts that
 * vary with the number of appended rows are prepared too, up to a bound, past which a new text
 * runs unnamed, so neither this map nor a connection's prepared statements grow without end.
 * Large batches run unnamed: PostgreSQL soon plans a prepared statement once for any
 * parameters, and that plan, fit for a few rows, made batches of 8,190 transfers run at about
 * two thirds of the rate (`npm run bench -- --quick --only bulk`: 9,000 and 9,360/s prepared,
 * 14,802 and 14,211/s unnamed).
 */
const MAX_PREPARED = 256;
/** Parameters of at most this many characters (arrays counted by elements) make a small batch. */
const MAX_PREPARED_PARAMS_SIZE = 32_768;
/** The texts prepared so far (named by `statementName`, as the database's reads are). */
const preparedTexts = new Set<string>();

function paramsSize(params: unknown[]): number {
  let size = 0;
  for (const p of params) {
    if (typeof p === "string") size += p.length;
    else if (Array.isArray(p)) size += p.length * 16;
  }
  return size;
}

function preparedName(text: string, params: unknown[]): string | undefined {
  if (paramsSize(params) > MAX_PREPARED_PARAMS_SIZE) return undefined;
  if (!preparedTexts.has(text)) {
    if (preparedTexts.size >= MAX_PREPARED) return undefined;
    preparedTexts.add(text);
  }
  // node-postgres prepares this name itself: apart from the names a pipeline prepares on the
  // same connection for the same text (rowsOfStatements), which it does not know of.
  return `vq_${statementName(text).slice(3)}`;
}
/** Deadlock victims and serialization failures: run again, they usually succeed. */
const RETRYABLE = new Set(["40001", "40P01"]);
/** Lone runs of a unit before its deadlock or serialization failure is answered. */
const MAX_ATTEMPTS = 5;

function isRetryable(error: unknown): boolean {
  return RETRYABLE.has((error as { code?: string } | undefined)?.code ?? "");
}

/** How long the server may take to end a lost connection's transaction (see `transactionEnded`). */
const SETTLE_WAIT_MS = 5_000;

/** The server process a pooled connection talks to (its BackendKeyData), if it said. */
function backendOf(client: pg.PoolClient): number | undefined {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === "number" && pid > 0 ? pid : undefined;
}

/**
 * The connection was lost (a socket error, or the server ending the session: class 08,
 * 57P01-57P03), not a statement refused: a COMMIT sent before it may have committed.
 */
function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03";
}

/**
 * Before a deadlock's victim runs again. PostgreSQL gives a row its holder released to
 * whoever asks first, not to the session that waited for it; a victim that asks again at
 * once can take its rows back before the survivor wakes, and deadlock with it again. The
 * pause lets the survivor go first: at least half of 5·2^attempt ms (10, 20, 40, 80, 160) and
 * at most all of it, since on busy cores the survivor's backend may wait that long to run,
 * and the random half keeps two victims from coming back together.
 */
function pauseBeforeRetry(attempt: number): Promise<void> {
  const ceiling = 5 * 2 ** attempt;
  return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (Math.random() * ceiling) / 2));
}

class Unit extends LayerOps implements UnitOfWork {
  constructor(
    session: Session,
    layer: Layer,
    observer: LoadObserver | undefined,
    readonly tenantId: string,
    private readonly getTrx: () => Tx,
  ) {
    super(session, layer, observer);
  }
  get trx(): Tx {
    return this.getTrx();
  }
  append<T extends keyof DB & string>(table: T, row: Insertable<DB[T]>): void {
    if (this.layer.closed) throw new Error("the unit of work has already finished");
    this.layer.appended.push([table, row as Record<string, unknown>]);
  }
}

function txExecutor(trx: Tx): Executor {
  return {
    query: async <R>(text: string, params: unknown[]) =>
      (await trx.executeQuery<R>(CompiledQuery.raw(text, params))).rows,
  };
}

/**
 * One pooled connection for one batch. The unit's view of it (`uow.trx`) goes through a
 * hook that opens the unit's savepoint before the unit's first statement, so units that
 * only use the ledger pay no savepoint round trips, and a unit that fails rolls back just
 * its own SQL. The engine's own statements bypass the hook.
 */
class BatchConnection {
  unit: UnitState | null = null;
  broken = false;
  /** A pipeline of statements failed: what the connection has prepared is not known. */
  discard = false;
  /** The tenant of a transaction not begun yet: BEGIN goes with the batch's first statement. */
  private beginFor: string | undefined;
  /**
   * The unit's view of the batch transaction. Kysely over this one connection; BEGIN and
   * COMMIT are ours, so it is a Kysely typed as the transaction it is in.
   */
  readonly trx: Tx;
  readonly kysely: Kysely<DB>;
  readonly exec: Executor;

  constructor(readonly client: pg.PoolClient) {
    const hooked = {
      query: async (...args: unknown[]) => {
        // BEGIN, if not gone yet, and the unit's savepoint go with the unit's statement.
        const unit = this.unit;
        const savepoint = unit !== null && !unit.savepoint;
        if (unit && savepoint) unit.savepoint = true;
        const tenantId = this.beginFor;
        this.beginFor = undefined;
        if (tenantId !== undefined || savepoint)
          sendBeforeNextQuery(client, { tenantId, statements: savepoint ? [`savepoint ${SAVEPOINT}`] : [] });
        return (client.query as (...a: unknown[]) => unknown)(...args);
      },
      release: () => {},
    };
    this.kysely = new Kysely<DB>({
      dialect: new PostgresDialect({
        pool: { connect: async () => hooked, end: async () => {} } as unknown as pg.Pool,
      }),
    });
    this.trx = this.kysely as unknown as Tx;
    this.exec = {
      query: async <R>(text: string, params: unknown[]) => {
        try {
          const name = preparedName(text, params);
          if (this.beginFor !== undefined && params.every(isSqlValue)) {
            return (await this.pipelined([{ text, values: params, prepare: name !== undefined }])) as R[];
          }
          await this.begun();
          const result = name
            ? await client.query({ name, text, values: params })
            : await client.query(text, params);
          return result.rows as R[];
        } catch (error) {
          // An engine statement failed: the batch's state is no longer trustworthy.
          this.broken = true;
          throw error;
        }
      },
      queryThenCommit: async <R>(text: string, params: unknown[]) => {
        try {
          const prepare = preparedName(text, params) !== undefined;
          const commit = { text: "commit", values: [] };
          return (await this.pipelined([{ text, values: params as SqlValue[], prepare }, commit])) as R[];
        } catch (error) {
          this.broken = true;
          throw error;
        }
      },
    };
  }

  /** BEGIN will go with the first statement of the batch, saving it a round trip. */
  beginLater(tenantId: string): void {
    this.beginFor = tenantId;
  }

  /** Sends BEGIN now, if it has not gone yet (before a statement that cannot take it along). */
  async begun(): Promise<void> {
    const tenantId = this.beginFor;
    if (tenantId === undefined) return;
    this.beginFor = undefined;
    await this.client.query(beginTenantQuery(tenantId));
  }

  /**
   * Statements in one round trip, after BEGIN if it has not gone yet: the first statement's
   * rows. A failure leaves the connection to be discarded (see rowsOfStatements).
   */
  private async pipelined(statements: PipelinedStatement[]): Promise<Record<string, unknown>[]> {
    const opening = this.beginFor === undefined ? [] : openingStatements(this.beginFor);
    this.beginFor = undefined;
    try {
      const results = await rowsOfStatements(this.client, [...opening, ...statements]);
      return results[opening.length]!;
    } catch (error) {
      this.discard = true;
      throw error;
    }
  }
}

/** The ledger inside a transaction the caller holds (see `Ledger.within`). */
export function ledgerWithin(trx: Tx, tenantId: string, clock: Clock): LedgerOps {
  const session = new Session(tenantId, txExecutor(trx), clock);
  return new LayerOps(session, session.root, undefined, async () => {
    await session.flush();
  });
}

/** A unit of work over ledger operations already inside `trx` (see `Ledger.unitWithin`). */
export async function unitOver<T>(trx: Tx, tenantId: string, ops: LedgerOps, fn: UnitFn<T>): Promise<T> {
  const rows: [keyof DB & string, Insertable<DB[keyof DB]>][] = [];
  const uow: UnitOfWork = {
    tenantId,
    trx,
    append: (table, row) => {
      rows.push([table, row as Insertable<DB[keyof DB]>]);
    },
    createAccount: (input) => ops.createAccount(input),
    updateAccount: (id, update) => ops.updateAccount(id, update),
    transfer: (input) => ops.transfer(input),
    transfers: (inputs) => ops.transfers(inputs),
    batch: (items) => ops.batch(items),
    hold: (input) => ops.hold(input),
    post: (input) => ops.post(input),
    void: (input) => ops.void(input),
    balances: (id) => ops.balances(id),
    balancesMany: (ids) => ops.balancesMany(ids),
    unwrittenAccounts: (module, id) => ops.unwrittenAccounts(module, id),
    peekBalances: (id) => ops.peekBalances(id),
    getAccount: (id) => ops.getAccount(id),
  };
  const value = await fn(uow);
  for (const [table, row] of rows) await appendRow(trx, table, row);
  return value;
}

/**
 * The ledger. `run` executes a unit of work: with batching on, concurrent units of one tenant
 * are gathered while the previous batch commits and run in one transaction (group commit);
 * with it off, each unit has its own transaction. Domain code is the same either way.
 */
export class Ledger {
  readonly batching: boolean;
  private readonly clock: Clock;
  private readonly maxTransfers: number;
  private readonly maxUnits: number;
  private readonly concurrency: number;
  private readonly carryForward: boolean;
  private readonly unitsAreLedgerOnly: boolean;
  /**
   * Tenants whose carried batches failed lately: someone else (another process, a caller's
   * own transaction) writes their accounts too, so for a while their batches lock instead.
   */
  private readonly carryPausedUntil = new Map<string, number>();
  private readonly pipelines = new Map<string, Pipeline>();
  /** Counters for the bench and metrics. */
  readonly stats = {
    batches: 0,
    units: 0,
    retriedUnits: 0,
    failedBatches: 0,
    staleBatches: 0,
    /** Units left to the next batch because a row they needed was busy (RowBusyError). */
    deferredUnits: 0,
  };

  constructor(
    readonly db: Database,
    options: LedgerOptions,
  ) {
    this.batching = options.batching;
    this.clock = options.clock;
    this.maxTransfers = options.maxBatchTransfers ?? MAX_BATCH_TRANSFERS;
    this.maxUnits = options.maxBatchUnits ?? 1024;
    this.carryForward = options.carryForward ?? false;
    this.unitsAreLedgerOnly = options.unitsAreLedgerOnly ?? false;
    this.concurrency = Math.max(1, options.concurrentBatches ?? 2);
  }

  /** Runs `fn` as one unit of work of `tenantId`; its result arrives once its effects are committed. */
  run<T>(tenantId: string, fn: UnitFn<T>, options: RunOptions = {}): Promise<T> {
    if (!this.batching) return this.runAlone(tenantId, fn, options);
    return new Promise<T>((resolve, reject) => {
      let pipeline = this.pipelines.get(tenantId);
      if (!pipeline) {
        pipeline = { queue: [], running: new Set(), evaluating: false, carry: new Carry() };
        this.pipelines.set(tenantId, pipeline);
      }
      pipeline.queue.push({
        fn: fn as UnitFn<unknown>,
        lock: options.lock,
        ledgerOnly: options.ledgerOnly ?? this.unitsAreLedgerOnly,
        clockScope: currentClockScope(),
        roundTrips: currentRoundTrips(),
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.pump(tenantId, pipeline);
    });
  }

  /**
   * The ledger inside a transaction the caller already holds (`db.tenantTx`): each operation
   * writes at once, and commits or rolls back with the caller's transaction.
   */
  within(trx: Tx, tenantId: string): LedgerOps {
    return ledgerWithin(trx, tenantId, this.clock);
  }

  /**
   * A unit of work inside a transaction the caller already holds: the ledger writes at once,
   * and rows the unit appends are written when `fn` returns; all commit or roll back with the
   * caller's transaction. Operations written for `run` work here unchanged.
   */
  unitWithin<T>(trx: Tx, tenantId: string, fn: UnitFn<T>): Promise<T> {
    return unitOver(trx, tenantId, this.within(trx, tenantId), fn);
  }

  /** Waits until every queued unit has been committed or refused. */
  async drainAll(): Promise<void> {
    for (;;) {
      const running = [...this.pipelines.values()].flatMap((p) => [...p.running]);
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  }

  private async runAlone<T>(tenantId: string, fn: UnitFn<T>, options: RunOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.tenantTx(tenantId, async (trx) => {
          const session = new Session(tenantId, txExecutor(trx), this.clock);
          if (options.lock?.length) await session.lock(options.lock);
          const layer = new Layer(session.root);
          const value = await fn(new Unit(session, layer, undefined, tenantId, () => trx));
          layer.merge();
          await session.flush();
          return value;
        });
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
        await pauseBeforeRetry(attempt);
      }
    }
  }

  private carryAllowed(tenantId: string): boolean {
    const until = this.carryPausedUntil.get(tenantId);
    if (until === undefined) return true;
    if (Date.now() < until) return false;
    this.carryPausedUntil.delete(tenantId);
    return true;
  }

  /**
   * Starts the next batch once the previous one has stopped evaluating (it is writing or
   * committing): while one batch commits, the next gathers and runs.
   */
  private pump(tenantId: string, pipeline: Pipeline): void {
    if (pipeline.queue.length === 0 || pipeline.evaluating || pipeline.running.size >= this.concurrency)
      return;
    // A batch carries only if all its units may (see `RunOptions.ledgerOnly`), and it runs at
    // its first unit's clock: it takes the queue's longest prefix of units that fit both, so a
    // unit of another kind, or of another test clock, waits for a batch of its own.
    const leader = pipeline.queue[0]!;
    const carrying = this.carryForward && leader.ledgerOnly && this.carryAllowed(tenantId);
    const fits = (job: Job) =>
      (!carrying || job.ledgerOnly) && sameClockScope(job.clockScope, leader.clockScope);
    /** How many units at the queue's head fit the batch, up to `room` (and, with `named`, name their rows). */
    const fitting = (room: number, named: boolean) => {
      let take = 0;
      for (const job of pipeline.queue) {
        if (take >= room || !fits(job) || (named && !job.lock?.length)) break;
        take++;
      }
      return take;
    };
    const jobs = pipeline.queue.splice(0, fitting(this.maxUnits, false));
    pipeline.evaluating = true;
    let released = false;
    const release = (leftover: Job[]) => {
      if (released) return;
      released = true;
      if (leftover.length > 0) pipeline.queue.unshift(...leftover);
      pipeline.evaluating = false;
      this.pump(tenantId, pipeline);
    };
    const pipe = this.carryForward ? { carry: pipeline.carry, carrying } : undefined;
    /** The queued units that may join this batch once it holds its rows (see executeBatch). */
    const joining = () => pipeline.queue.splice(0, fitting(this.maxUnits - jobs.length, true));
    // A batch is started from wherever the previous one ended (its continuation), so it would
    // run in the async context of the request that began the chain. It runs in its first
    // unit's instead: that request's clock, and its round trips counted for it (ADR 0011).
    const batch: Promise<void> = runInClockScope(leader.clockScope, () =>
      countingInto(leader.roundTrips, () => this.executeBatch(tenantId, jobs, 0, release, pipe, joining)),
    )
      .then((leftover) => release(leftover))
      .catch((error) => {
        // executeBatch answers every job itself; this is a bug guard, not a path.
        for (const job of jobs) job.reject(error);
        release([]);
      })
      .finally(() => {
        pipeline.running.delete(batch);
        if (pipeline.queue.length > 0) this.pump(tenantId, pipeline);
        else if (pipeline.running.size === 0 && !pipeline.evaluating) this.pipelines.delete(tenantId);
      });
    pipeline.running.add(batch);
  }

  /**
   * One batch: units run one after another against the batch's in-memory state, each on its
   * own layer (and savepoint, if it runs SQL); then one flush and one commit. Returns the
   * units that did not fit (the transfer cap, or a row another transaction holds) unless
   * `committing` took them. If the batch cannot commit, its units are run
   * again one by one, so one bad unit cannot fail the others; a unit that fails alone on a
   * deadlock or a serialization failure (or whose own SQL does, in any batch) is run alone
   * again, up to `MAX_ATTEMPTS` times, as a unit without batching is.
   */
  private async executeBatch(
    tenantId: string,
    jobs: Job[],
    /** 0 for a batch; n for the n-th run of a single unit alone after its batch failed. */
    alone: number,
    /**
     * Called once the batch stops evaluating, with the units that did not fit: they are then the
     * caller's. Without it, they are returned.
     */
    committing?: (leftover: Job[]) => void,
    /**
     * The tenant's carried state, for a batch of the pipeline: it adds what it leaves, and
     * evaluates on it if `carrying`.
     */
    pipe?: { carry: Carry; carrying: boolean },
    /** Takes the queued units that may join the batch once it holds its named rows. */
    joining: () => Job[] = () => [],
  ): Promise<Job[]> {
    const carry = pipe?.carry;
    let client: pg.PoolClient;
    try {
      client = await this.db.pool.connect();
    } catch (error) {
      for (const job of jobs) job.reject(error);
      return [];
    }
    const conn = new BatchConnection(client);
    const token = {};
    const done: { job: Job; value: unknown }[] = [];
    /**
     * Units that threw (a refusal, mostly): answered only once the batch commits, since what
     * refused them may be an earlier unit's effect that never commits.
     */
    const refused: { job: Job; error: unknown }[] = [];
    const again: { job: Job; error: unknown }[] = [];
    let leftover: Job[] = [];
    /** The leftover units once `committing` took them: the pipeline's now, not this batch's. */
    let handedOver: Job[] = [];
    let failure: unknown;
    let destroy = false;
    /** COMMIT went to the server (alone, or with the batch's write): it may have committed. */
    let commitSent = false;
    const session = new Session(tenantId, conn.exec, this.clock, pipe?.carrying ? carry : undefined);
    try {
      conn.beginLater(tenantId);
      // A batch that locks must not lock a row before a carried batch ahead of it has taken
      // it with its write, or it would read the row without that batch's effect.
      if (carry && !pipe.carrying) await carry.written();
      const hinted = jobs.flatMap((j) => j.lock ?? []);
      if (hinted.length > 0) {
        await session.lock(hinted);
        // Units that named their rows and queued while the batch waited for its own join it,
        // their rows taken in one more query that waits for none. On a hot account the wait
        // is the previous batch's commit, and what queues during it are the next requests of
        // the clients that batch answered; left to the pump they would make a batch or two of
        // their own, each one more turn of the hot row (the bench's hot workload ran batches
        // of 47, 1 and 16 units in turn; now of 64).
        const joined = joining();
        if (joined.length > 0) {
          jobs.push(...joined);
          session.beginUnit(false);
          try {
            await session.lock(joined.flatMap((j) => j.lock ?? []));
          } catch (error) {
            // Another batch holds one of the rows: the unit that needs it finds it busy and
            // runs first in the next batch, as any later unit of a batch would.
            if (!(error instanceof RowBusyError)) throw error;
          }
        }
      }
      for (let i = 0; i < jobs.length; i++) {
        if (i > 0 && session.root.transferCount >= this.maxTransfers) {
          leftover = jobs.slice(i);
          break;
        }
        const job = jobs[i]!;
        // Only the first unit may wait for a row, as a transaction of its own would; a later
        // one would wait holding the earlier units' rows (ADR 0004).
        session.beginUnit(i === 0);
        const unit: UnitState = { savepoint: false, locked: [] };
        const layer = new Layer(session.root);
        const observer: LoadObserver = {
          // Row locks taken after the unit's savepoint are lost if it rolls back.
          onLocked: (ids) => {
            if (unit.savepoint) unit.locked.push(...ids);
          },
        };
        conn.unit = unit;
        try {
          const value = await job.fn(new Unit(session, layer, observer, tenantId, () => conn.trx));
          // It caught the RowBusyError and went on without what it asked for: it runs again.
          if (session.rowBusy) throw new RowBusyError();
          if (unit.savepoint) await client.query(`release savepoint ${SAVEPOINT}`);
          layer.merge();
          done.push({ job, value });
        } catch (error) {
          layer.discard();
          if (!conn.broken && unit.savepoint) {
            try {
              await client.query(`rollback to savepoint ${SAVEPOINT}`);
              await client.query(`release savepoint ${SAVEPOINT}`);
            } catch {
              conn.broken = true;
            }
            session.forget(unit.locked);
          }
          if (session.rowBusy && !conn.broken) {
            // It and the units after it run in the next batch, it first.
            leftover = jobs.slice(i);
            this.stats.deferredUnits++;
          } else if (conn.broken || isRetryable(error)) {
            // A deadlock's victim, or a serialization failure, is worth running again.
            again.push({ job, error });
          } else refused.push({ job, error });
        } finally {
          conn.unit = null;
        }
        if (leftover.length > 0) break;
        if (conn.broken) {
          for (const rest of jobs.slice(i + 1)) again.push({ job: rest, error: undefined });
          break;
        }
      }
      if (conn.broken) throw new Error("a ledger statement failed; the batch is retried unit by unit");
      const turn = carry?.publish(token, session.carryState());
      let committedWithWrite: boolean;
      // Once published, the batch gives up its turn whatever happens: every later batch of the
      // tenant waits for it.
      try {
        if (committing) {
          committing(leftover);
          handedOver = leftover;
          leftover = [];
        }
        // The previous batch takes its rows' locks with its write; ours must queue behind them.
        await turn?.previous;
        // A carried batch's write is checked before it commits (ADR 0009), so only a batch
        // that locked its rows sends its COMMIT with its write.
        commitSent = carry === undefined;
        committedWithWrite = await session.flush({ commit: carry === undefined, last: true });
      } finally {
        turn?.written();
      }
      if (!committedWithWrite) {
        await conn.begun();
        commitSent = true;
        const committed = await client.query("commit");
        // COMMIT of a transaction that an error aborted answers ROLLBACK, not an error.
        if (committed.command !== "COMMIT")
          throw new Error(`the batch did not commit (${committed.command})`);
      }
    } catch (error) {
      failure = error;
      try {
        await client.query("rollback");
      } catch {
        destroy = true;
      }
    } finally {
      client.release(destroy || conn.discard ? true : undefined);
    }
    this.stats.batches++;
    // The units this batch answers for when it fails: all it was given but those left to the
    // next batch (worked out only then, not on every batch).
    const own = () => {
      const notRun = new Set([...leftover, ...handedOver]);
      return jobs.filter((job) => !notRun.has(job));
    };
    if (failure !== undefined && commitSent && isConnectionLost(failure)) {
      // The answer to COMMIT was lost with the connection. Run again, the units would apply
      // twice if it did commit (a transfer without an id of its own gets a new one): the
      // database says which, by a row only the committed batch wrote.
      const committed = await this.committedBefore(tenantId, session.commitWitness(), backendOf(client));
      if (committed === undefined) {
        this.stats.failedBatches++;
        carry?.failed();
        for (const job of own()) job.reject(failure);
        return leftover;
      }
      if (committed) failure = undefined;
    }
    if (failure === undefined) {
      carry?.committed(token);
      this.stats.units += done.length;
      for (const { job, value } of done) job.resolve(value);
      for (const { job, error } of refused) job.reject(error);
      // Units whose own SQL failed on a deadlock or serialization failure (never a broken batch).
      if (again.length > 0) await pauseBeforeRetry(alone + 1);
      for (const { job, error } of again) await this.runAgainAlone(tenantId, job, error, alone);
      return leftover;
    }
    this.stats.failedBatches++;
    const stale = failure instanceof StaleCarryError;
    if (carry) {
      carry.failed();
      if (pipe.carrying) this.carryPausedUntil.set(tenantId, Date.now() + CARRY_PAUSE_MS);
    }
    // Every unit of the batch runs again, in its first order: the refused too, refused perhaps
    // on the effect of a unit that did not commit, and those that never ran (the batch failed
    // taking its named rows: a deadlock's victim), or their callers would wait for ever.
    const errors = new Map([...refused, ...again].map(({ job, error }) => [job, error]));
    const retry = own().map((job) => ({ job, error: errors.get(job) }));
    if (stale && alone === 0) {
      // Nothing was wrong with the units, only with what they were decided on: run them again
      // together, on locked rows.
      this.stats.staleBatches++;
      let rest = retry.map((r) => r.job);
      while (rest.length > 0) rest = await this.executeBatch(tenantId, rest, 0);
      return leftover;
    }
    if (isRetryable(failure) && alone < MAX_ATTEMPTS) await pauseBeforeRetry(alone + 1);
    for (const { job, error } of retry) await this.runAgainAlone(tenantId, job, error ?? failure, alone);
    return leftover;
  }

  /**
   * Whether a batch whose COMMIT's answer was lost committed, read from the row `witness`
   * names; undefined when it names none or the database cannot say (the units are then
   * refused with the lost connection's error: their callers retry with their keys).
   */
  private async committedBefore(
    tenantId: string,
    witness: { table: "ledger_transfers" | "ledger_accounts"; id: string } | undefined,
    backend: number | undefined,
  ): Promise<boolean | undefined> {
    if (!witness || backend === undefined) return undefined;
    try {
      // The server may still be committing (its WAL flush, deferred triggers) when the
      // client hears the connection is gone: a look before it is done would miss the
      // witness, and the units would run again on top of the batch's commit.
      if (!(await this.transactionEnded(backend))) return undefined;
      const found = await this.db.tenantTx(tenantId, (trx) =>
        trx
          .selectFrom(witness.table)
          .select("id")
          .where("tenant_id", "=", tenantId)
          .where("id", "=", witness.id)
          .executeTakeFirst(),
      );
      return found !== undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether the server process of a lost connection has ended the transaction it ran: it is
   * gone, or idle outside any transaction. Asked again every few milliseconds, each time in a
   * transaction of its own (`pg_stat_activity` is read once per transaction), for at most
   * `SETTLE_WAIT_MS`; false when it has not ended by then, or this session may not see its
   * state (another login role's process).
   */
  private async transactionEnded(backend: number): Promise<boolean> {
    const deadline = Date.now() + SETTLE_WAIT_MS;
    for (;;) {
      const { rows } = await this.db.systemTx((trx) =>
        sql<{ state: string | null }>`select state from pg_stat_activity where pid = ${backend}`.execute(trx),
      );
      const row = rows[0];
      if (row === undefined || row.state === "idle") return true;
      if (row.state === null || Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * After a failed batch, each of its units runs alone; a unit that failed alone runs again
   * only if what failed it may not fail it again (a deadlock, a serialization failure).
   */
  private async runAgainAlone(tenantId: string, job: Job, error: unknown, alone: number): Promise<void> {
    if (alone > 0 && (alone >= MAX_ATTEMPTS || !isRetryable(error))) {
      job.reject(error);
      return;
    }
    this.stats.retriedUnits++;
    const rest = await this.executeBatch(tenantId, [job], alone + 1);
    // A unit run alone waits for its rows and has no cap to pass, so nothing is left over;
    // were it ever, its caller must hear of it, not wait for ever.
    for (const left of rest) left.reject(new Error("a unit run alone was left over by its batch"));
  }
}
