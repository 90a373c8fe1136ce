import { isDeepStrictEqual } from "node:util";
import { isSqlValue } from "../db/database.js";
import { assert } from "../shared/assert.js";
import type { Clock } from "../shared/clock.js";
import { newId } from "../shared/ids.js";
import { MAX_AMOUNT } from "../shared/money.js";
import type { TransferKind } from "./ledger.schema.js";
import {
  type Account,
  type AccountErrorCode,
  type AccountInput,
  type AccountResult,
  type AccountUpdate,
  type Balances,
  type BatchItem,
  CLIENT_ID,
  type Failure,
  type LedgerOps,
  MAX_METADATA_BYTES,
  MAX_TIMEOUT_SECONDS,
  type ResolveInput,
  type Transfer,
  type TransferErrorCode,
  type TransferInput,
  type TransferResult,
} from "./types.js";

/** Runs SQL for the engine (not the unit's own SQL): on the batch connection or a transaction. */
export interface Executor {
  query<R>(text: string, params: unknown[]): Promise<R[]>;
  /** The statement and then COMMIT in one round trip, where the connection can (a batch's). */
  queryThenCommit?<R>(text: string, params: unknown[]): Promise<R[]>;
}

interface AccountState extends Account {
  /** Created in this session and not yet inserted. */
  isNew: boolean;
  /** Changed since loaded or last written. */
  dirty: boolean;
  /**
   * Taken from a batch still committing, not from a locked row: what this session decided
   * holds only if the row, once that batch commits, is exactly this (checked by the write).
   */
  expected?: Account;
  /**
   * The innermost open layer that saved what the account held before its writes (see
   * `Layer.writable`); any other value (a layer since closed, none) means no open layer has.
   */
  writer?: Layer | undefined;
}

/**
 * What the tenant's batches still committing will have written (ADR 0009): the next batch
 * decides on it instead of waiting for their row locks, and its write checks the decision.
 */
export interface CarriedState {
  account(id: string): Account | undefined;
  resolution(pendingId: string): ResolutionStep | undefined;
}

/** A carried decision met a row that is not what it was decided on: the batch must run again. */
export class StaleCarryError extends Error {
  constructor(stale: number) {
    super(`${stale} carried account(s) changed before the batch wrote them; the batch runs again`);
  }
}

/**
 * A unit of a batch needs a row another transaction holds. The batch does not wait for it
 * while it holds rows of its earlier units (another process's batch may be waiting for one
 * of those: a deadlock, which PostgreSQL finds only after `deadlock_timeout`); the unit runs
 * first in the next batch instead, where it may wait.
 */
export class RowBusyError extends Error {
  constructor() {
    super("an account this unit needs is locked by another transaction; the unit runs in the next batch");
  }
}

const fail = <C extends string>(code: C, detail: string): Failure<C> => ({ ok: false, code, detail });

/**
 * What a layer's write may change of an account it does not own, saved before its first
 * write (see `Layer.writable`), and the layer that had saved the account before (its `writer`).
 */
class Saved {
  readonly writer: Layer | undefined;
  readonly dirty: boolean;
  readonly debits_posted: number;
  readonly credits_posted: number;
  readonly debits_pending: number;
  readonly credits_pending: number;
  readonly frozen_debits: boolean;
  readonly frozen_credits: boolean;
  readonly closed: boolean;
  readonly expires_at: Date | null;
  readonly overdraft_limit: number;
  readonly updated_at: Date;
  constructor(readonly account: AccountState) {
    this.writer = account.writer;
    this.dirty = account.dirty;
    this.debits_posted = account.debits_posted;
    this.credits_posted = account.credits_posted;
    this.debits_pending = account.debits_pending;
    this.credits_pending = account.credits_pending;
    this.frozen_debits = account.frozen_debits;
    this.frozen_credits = account.frozen_credits;
    this.closed = account.closed;
    this.expires_at = account.expires_at;
    this.overdraft_limit = account.overdraft_limit;
    this.updated_at = account.updated_at;
  }
  restore(): void {
    const a = this.account;
    a.writer = this.writer;
    a.dirty = this.dirty;
    a.debits_posted = this.debits_posted;
    a.credits_posted = this.credits_posted;
    a.debits_pending = this.debits_pending;
    a.credits_pending = this.credits_pending;
    a.frozen_debits = this.frozen_debits;
    a.frozen_credits = this.frozen_credits;
    a.closed = this.closed;
    a.expires_at = this.expires_at;
    a.overdraft_limit = this.overdraft_limit;
    a.updated_at = this.updated_at;
  }
}

/**
 * A layer of uncommitted ledger state: the batch (root), a unit of work on top of it, a
 * linked chain on top of the unit. Reads fall through to the parent; a layer's changes
 * reach its parent only when it succeeds (`merge`), so a failing unit or chain leaves no trace.
 */
export class Layer {
  /** Accounts created while this layer was open (and, in the root, every account loaded). */
  readonly accounts = new Map<string, AccountState>();
  transfers: Transfer[] = [];
  transferById = new Map<string, Transfer>();
  /** Each hold's latest resolution made in this layer (a hold may be voided in steps). */
  resolutions = new Map<string, Transfer>();
  readonly appended: [string, Record<string, unknown>][] = [];
  /**
   * What the accounts this layer changed in place held before: `discard` puts it back. A
   * copy of each account per layer, and a map of them, was for a bulk unit that writes some
   * 8,000 as many objects of twenty-odd fields, and a map's worth, for the collector.
   */
  private readonly saved: Saved[] = [];
  closed = false;
  constructor(readonly parent: Layer | null) {}

  account(id: string): AccountState | undefined {
    return this.accounts.get(id) ?? this.parent?.account(id);
  }
  transfer(id: string): Transfer | undefined {
    return this.transferById.get(id) ?? this.parent?.transfer(id);
  }
  resolution(pendingId: string): Transfer | undefined {
    return this.resolutions.get(pendingId) ?? this.parent?.resolution(pendingId);
  }
  /**
   * The account as this layer may change it. An account of an outer layer is changed where
   * it is, what it held saved first, so that `discard` can put it back; reads through the
   * outer layers see the change meanwhile, which is safe because a session evaluates one
   * layer at a time (a unit, or a chain inside it) and merges or discards it before the next.
   */
  writable(id: string): AccountState {
    assert(!this.closed, "a closed layer is not written");
    const own = this.accounts.get(id);
    if (own) {
      own.dirty = true;
      return own;
    }
    const inherited = this.parent?.account(id);
    assert(inherited, `account ${id} must be loaded before it is written`);
    if (inherited.writer !== this) {
      this.saved.push(new Saved(inherited));
      inherited.writer = this;
    }
    inherited.dirty = true;
    return inherited;
  }
  addTransfer(t: Transfer): void {
    this.transfers.push(t);
    this.transferById.set(t.id, t);
    if (t.pending_id) this.resolutions.set(t.pending_id, t);
  }
  get transferCount(): number {
    return this.transfers.length + (this.parent?.transferCount ?? 0);
  }
  merge(): void {
    const parent = this.parent;
    assert(parent && !this.closed, "only an open child layer merges");
    for (const [id, a] of this.accounts) parent.accounts.set(id, a);
    // What this layer saved becomes the parent's to put back if the parent is discarded,
    // unless the parent saved the account itself (earlier, so with older values) or is the
    // root, which is never discarded.
    for (const saved of this.saved) {
      if (parent.parent === null) saved.account.writer = undefined;
      else {
        saved.account.writer = parent;
        if (saved.writer !== parent) parent.saved.push(saved);
      }
    }
    if (parent.transfers.length === 0 && parent.transferById.size === 0 && parent.resolutions.size === 0) {
      // The parent has none yet (a batch's first unit, a bulk one among them): it takes this
      // layer's own instead of adding each of thousands to a list and a map of its own again.
      parent.transfers = this.transfers;
      parent.transferById = this.transferById;
      parent.resolutions = this.resolutions;
    } else for (const t of this.transfers) parent.addTransfer(t);
    for (const row of this.appended) parent.appended.push(row);
    this.closed = true;
  }
  discard(): void {
    if (this.closed) return;
    for (let i = this.saved.length - 1; i >= 0; i--) this.saved[i]!.restore();
    this.saved.length = 0;
    this.closed = true;
  }
}

export interface LoadObserver {
  /** Called with ids just locked from the database (a unit may need to forget them on rollback). */
  onLocked(ids: string[]): void;
}

function metadataTooLarge(metadata: Record<string, unknown> | null | undefined): boolean {
  return metadata != null && Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES;
}

/** The checks every transfer-like input shares: its client id and its metadata. */
function invalidInput(input: {
  id?: string | undefined;
  metadata?: Record<string, unknown> | null | undefined;
}): Failure<TransferErrorCode> | undefined {
  if (input.id !== undefined && !CLIENT_ID.test(input.id)) {
    return fail("invalid_id", "A transfer id is 1-64 characters A-Z a-z 0-9 _ -");
  }
  if (metadataTooLarge(input.metadata)) {
    return fail("metadata_too_large", `metadata may hold at most ${MAX_METADATA_BYTES} bytes of JSON`);
  }
  return undefined;
}

const isAmount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n > 0;

/** The normal side's posted net and what is available, per the account's limit flag. */
export function balancesOf(a: Account): Balances {
  const debitNormal = a.credits_must_not_exceed_debits;
  const posted = debitNormal ? a.debits_posted - a.credits_posted : a.credits_posted - a.debits_posted;
  const available = debitNormal ? posted - a.credits_pending : posted - a.debits_pending;
  return {
    account_id: a.id,
    asset: a.asset,
    debits_posted: a.debits_posted,
    credits_posted: a.credits_posted,
    debits_pending: a.debits_pending,
    credits_pending: a.credits_pending,
    posted,
    available,
  };
}

export function publicAccount(a: Account): Account {
  return {
    id: a.id,
    asset: a.asset,
    kind: a.kind,
    owner_module: a.owner_module,
    owner_id: a.owner_id,
    debits_must_not_exceed_credits: a.debits_must_not_exceed_credits,
    credits_must_not_exceed_debits: a.credits_must_not_exceed_debits,
    overdraft_limit: a.overdraft_limit,
    frozen_debits: a.frozen_debits,
    frozen_credits: a.frozen_credits,
    closed: a.closed,
    expires_at: a.expires_at,
    metadata: a.metadata,
    debits_posted: a.debits_posted,
    credits_posted: a.credits_posted,
    debits_pending: a.debits_pending,
    credits_pending: a.credits_pending,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

const ACCOUNT_COLUMNS =
  "id, asset, kind, owner_module, owner_id, debits_must_not_exceed_credits, credits_must_not_exceed_debits, overdraft_limit, frozen_debits, frozen_credits, closed, expires_at, metadata, debits_posted, credits_posted, debits_pending, credits_pending, created_at, updated_at";
export const TRANSFER_COLUMNS =
  "id, kind, debit_account_id, credit_account_id, amount, asset, code, reference_module, reference_id, memo, metadata, pending_id, pending_before, timeout_seconds, timeout_at, debit_balance, credit_balance, created_at";

/** The part of a resolution that says what it left of its hold. */
export type ResolutionStep = Pick<Transfer, "kind" | "amount" | "pending_before">;

export interface HoldProgress {
  state: "pending" | "posted" | "voided";
  /** What is still pending: the hold's amount less what was voided; 0 once posted or voided. */
  pending: number;
}

/**
 * A hold's state after its latest resolution (none: all of it is pending). A post resolves
 * the hold (the rest is released with it); a void releases its amount, and only the void that
 * releases everything left resolves it.
 */
export function holdProgress(
  hold: Pick<Transfer, "amount">,
  latest: ResolutionStep | undefined,
): HoldProgress {
  if (!latest) return { state: "pending", pending: hold.amount };
  if (latest.kind === "post_pending") return { state: "posted", pending: 0 };
  assert(latest.pending_before !== null, "a resolution records what was pending before it");
  const pending = latest.pending_before - latest.amount;
  return { state: pending === 0 ? "voided" : "pending", pending };
}

/**
 * The ledger's decisions for one session (a group-commit batch, or one transaction): locks
 * accounts in id order and caches them, evaluates operations in memory against the layer
 * they run in, and writes everything set-based in `flush`.
 */
export class Session {
  readonly root = new Layer(null);
  /** Transfers known to be in the database (immutable, so safe to cache). */
  private readonly stored = new Map<string, Transfer>();
  private readonly assets = new Map<string, boolean>();

  /** Whether a lock waits for rows another transaction holds (see `beginUnit`). */
  private waitForLocks = true;
  private busy = false;

  constructor(
    readonly tenantId: string,
    readonly exec: Executor,
    readonly clock: Clock,
    private readonly carried?: CarriedState,
  ) {}

  /**
   * A batch's next unit begins. Only its first may wait for a row another transaction holds;
   * a later one skips such rows and, if it needed one, is refused with `RowBusyError`.
   */
  beginUnit(first: boolean): void {
    this.waitForLocks = first;
    this.busy = false;
  }

  /** Whether a lock of the current unit found a row busy (its later locks fail too). */
  get rowBusy(): boolean {
    return this.busy;
  }

  /**
   * Loads every account not yet held by this session. Without a carried state it locks them
   * (SELECT … FOR UPDATE, in id order). With one (ADR 0009) it locks nothing: an account a
   * committing batch carries is taken as that batch left it, any other is read as committed,
   * and the write checks both (`expected`), so the batch holds no row lock until it writes.
   */
  async lock(ids: Iterable<string>, observer?: LoadObserver): Promise<void> {
    let missing = [...new Set(ids)].filter((id) => !this.root.account(id)).sort();
    if (missing.length === 0) return;
    if (this.busy) throw new RowBusyError();
    const carried = this.carried;
    if (carried) {
      missing = missing.filter((id) => {
        const a = carried.account(id);
        if (a) this.root.accounts.set(id, { ...a, isNew: false, dirty: false, expected: a });
        return !a;
      });
      if (missing.length === 0) return;
    }
    const wait = this.waitForLocks;
    const rows = await this.exec.query<Account>(
      `select ${ACCOUNT_COLUMNS} from ledger_accounts where tenant_id = $1 and id = any($2::text[]) order by id${carried ? "" : wait ? " for update" : " for update skip locked"}`,
      [this.tenantId, missing],
    );
    for (const row of rows) {
      // Another operation of the same unit may have created or loaded it meanwhile.
      if (this.root.account(row.id)) continue;
      // The row becomes the session's state as it is (a bulk batch locks thousands: a copy of
      // each showed in its profile); a carried decision keeps the row as read apart.
      const state = (carried ? { ...row, expected: row } : row) as AccountState;
      state.isNew = false;
      state.dirty = false;
      state.writer = undefined;
      this.root.accounts.set(row.id, state);
    }
    if (carried) return;
    observer?.onLocked(rows.map((r) => r.id));
    if (!wait && rows.length < missing.length) {
      // Skipped: locked by another transaction, or no such account (the operation says so).
      const got = new Set(rows.map((r) => r.id));
      const held = await this.exec.query<{ id: string }>(
        "select id from ledger_accounts where tenant_id = $1 and id = any($2::text[])",
        [this.tenantId, missing.filter((id) => !got.has(id))],
      );
      if (held.length > 0) {
        this.busy = true;
        throw new RowBusyError();
      }
    }
  }

  /**
   * An account as committed, without locking it (reads: quotes, GETs). It is not cached:
   * a later operation that decides on it locks and reads it again.
   */
  async peek(id: string): Promise<Account | undefined> {
    const rows = await this.exec.query<Account>(
      `select ${ACCOUNT_COLUMNS} from ledger_accounts where tenant_id = $1 and id = $2`,
      [this.tenantId, id],
    );
    return rows[0];
  }

  /**
   * What the next batch may decide on while this one commits: every account this batch
   * changed or took from a carried state, as it leaves them, and its holds' resolutions.
   */
  carryState(): { accounts: Account[]; resolutions: Transfer[] } {
    const accounts: Account[] = [];
    for (const a of this.root.accounts.values()) {
      if (a.dirty || a.isNew || a.expected) accounts.push(publicAccount(a));
    }
    return { accounts, resolutions: [...this.root.resolutions.values()] };
  }

  /**
   * A row the flush writes that exists only if the session committed: a new transfer, or
   * else a new account (none when it only changed accounts). Read after a COMMIT whose answer
   * was lost, it tells whether the session committed.
   */
  commitWitness(): { table: "ledger_transfers" | "ledger_accounts"; id: string } | undefined {
    const transfer = this.root.transfers[0];
    if (transfer) return { table: "ledger_transfers", id: transfer.id };
    for (const a of this.root.accounts.values()) if (a.isNew) return { table: "ledger_accounts", id: a.id };
    return undefined;
  }

  /** Forgets accounts whose row locks were lost with a rolled-back savepoint. */
  forget(ids: string[]): void {
    for (const id of ids) {
      const a = this.root.accounts.get(id);
      if (a && !a.isNew && !a.dirty) this.root.accounts.delete(id);
    }
  }

  async findTransfers(layer: Layer, ids: string[]): Promise<void> {
    const missing = ids.filter((id) => !layer.transfer(id) && !this.stored.has(id));
    if (missing.length === 0) return;
    const rows = await this.exec.query<Transfer>(
      `select ${TRANSFER_COLUMNS} from ledger_transfers where tenant_id = $1 and id = any($2::text[])`,
      [this.tenantId, [...new Set(missing)]],
    );
    for (const row of rows) this.stored.set(row.id, row);
  }

  private knownTransfer(layer: Layer, id: string): Transfer | undefined {
    return layer.transfer(id) ?? this.stored.get(id);
  }

  private async assetExists(code: string): Promise<boolean> {
    const known = this.assets.get(code);
    if (known !== undefined) return known;
    const rows = await this.exec.query<{ code: string }>(
      "select code from ledger_assets where tenant_id = $1 and code = $2",
      [this.tenantId, code],
    );
    this.assets.set(code, rows.length > 0);
    return rows.length > 0;
  }

  // ---- accounts -------------------------------------------------------------------------

  async createAccount(layer: Layer, input: AccountInput, observer?: LoadObserver): Promise<AccountResult> {
    const check = validateAccount(input);
    if (check) return check;
    const id = input.id ?? newId("acc");
    if (input.id !== undefined) await this.lock([id], observer);
    const existing = layer.account(id);
    if (existing) return compareAccount(existing, input);
    if (!(await this.assetExists(input.asset))) {
      return fail("asset_not_found", `Asset ${input.asset} does not exist`);
    }
    if (layer.closed) throw new Error("the unit of work has already finished");
    const raced = layer.account(id);
    if (raced) return compareAccount(raced, input);
    const now = this.clock.now();
    const account: AccountState = {
      id,
      asset: input.asset,
      kind: input.kind,
      owner_module: input.owner_module ?? null,
      owner_id: input.owner_id ?? null,
      debits_must_not_exceed_credits: input.debits_must_not_exceed_credits ?? false,
      credits_must_not_exceed_debits: input.credits_must_not_exceed_debits ?? false,
      overdraft_limit: input.overdraft_limit ?? 0,
      frozen_debits: input.frozen_debits ?? false,
      frozen_credits: input.frozen_credits ?? false,
      closed: false,
      expires_at: input.expires_at ?? null,
      metadata: input.metadata ?? {},
      debits_posted: 0,
      credits_posted: 0,
      debits_pending: 0,
      credits_pending: 0,
      created_at: now,
      updated_at: now,
      isNew: true,
      dirty: true,
    };
    layer.accounts.set(id, account);
    return { ok: true, code: "created", account: publicAccount(account) };
  }

  async updateAccount(
    layer: Layer,
    id: string,
    update: AccountUpdate,
    observer?: LoadObserver,
  ): Promise<AccountResult> {
    if (
      update.overdraft_limit !== undefined &&
      !(Number.isSafeInteger(update.overdraft_limit) && update.overdraft_limit >= 0)
    ) {
      return fail("invalid_amount", "overdraft_limit must be a non-negative integer");
    }
    await this.lock([id], observer);
    if (layer.closed) throw new Error("the unit of work has already finished");
    const current = layer.account(id);
    if (!current) return fail("account_not_found", `Account ${id} not found`);
    if (current.closed) return fail("account_closed", `Account ${id} is closed`);
    if (update.closed && (current.debits_pending > 0 || current.credits_pending > 0)) {
      return fail("account_has_pending", `Account ${id} has holds; post or void them before closing`);
    }
    const a = layer.writable(id);
    if (update.frozen_debits !== undefined) a.frozen_debits = update.frozen_debits;
    if (update.frozen_credits !== undefined) a.frozen_credits = update.frozen_credits;
    if (update.closed) a.closed = true;
    if (update.expires_at !== undefined) a.expires_at = update.expires_at;
    if (update.overdraft_limit !== undefined) a.overdraft_limit = update.overdraft_limit;
    a.updated_at = this.clock.now();
    return { ok: true, code: "updated", account: publicAccount(a) };
  }

  // ---- transfers ------------------------------------------------------------------------

  /** Evaluates items in order; a chain (`linked`) succeeds or fails as one. */
  async batch(layer: Layer, items: BatchItem[], observer?: LoadObserver): Promise<TransferResult[]> {
    // Everything the batch needs from the database, in two queries.
    const accountIds: string[] = [];
    const ids: string[] = [];
    for (const item of items) {
      if (typeof item.debit_account_id === "string") accountIds.push(item.debit_account_id);
      if (typeof item.credit_account_id === "string") accountIds.push(item.credit_account_id);
      if (item.id !== undefined) ids.push(item.id);
    }
    await this.lock(accountIds, observer);
    await this.findTransfers(
      layer,
      ids.filter((id) => CLIENT_ID.test(id)),
    );
    if (layer.closed) throw new Error("the unit of work has already finished");
    // One instant for the whole call: its items are decided together, with no await between
    // them, and a batch of thousands then shares one timestamp instead of making one each.
    const now = this.clock.now();

    const results: TransferResult[] = new Array(items.length);
    let start = 0;
    while (start < items.length) {
      let end = start;
      while (end < items.length - 1 && items[end]!.linked) end++;
      if (end === items.length - 1 && items[end]!.linked) {
        for (let i = start; i <= end; i++) {
          results[i] = fail("linked_chain_open", "The last item of a batch must not be linked");
        }
        break;
      }
      const chain = end > start ? new Layer(layer) : layer;
      let failedAt = -1;
      for (let i = start; i <= end; i++) {
        const r = this.applyTransfer(chain, items[i]!, now);
        results[i] = r;
        if (!r.ok) {
          failedAt = i;
          break;
        }
      }
      if (chain !== layer) {
        if (failedAt >= 0) {
          chain.discard();
          for (let i = start; i <= end; i++) {
            if (i !== failedAt) {
              results[i] = fail("linked_transfer_failed", `Linked transfer ${failedAt - start} failed`);
            }
          }
        } else {
          chain.merge();
        }
      }
      start = end + 1;
    }
    return results;
  }

  /** Synchronous: every check and the effect happen with no await in between. */
  private applyTransfer(layer: Layer, input: TransferInput, now: Date): TransferResult {
    const invalid = invalidInput(input);
    if (invalid) return invalid;
    if (!isAmount(input.amount)) return fail("invalid_amount", "amount must be a positive integer");
    if (input.amount > MAX_AMOUNT) {
      return fail("overflow", `amount ${input.amount} is above the maximum of ${MAX_AMOUNT} minor units`);
    }
    if (input.debit_account_id === input.credit_account_id) {
      return fail("accounts_must_be_different", "A transfer needs two different accounts");
    }
    const pending = input.pending === true;
    const timeout = input.timeout_seconds ?? null;
    if (
      timeout !== null &&
      (!pending || !Number.isSafeInteger(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT_SECONDS)
    ) {
      return fail("invalid_timeout", "timeout_seconds is a positive number of seconds, for holds only");
    }
    if (input.id !== undefined) {
      const existing = this.knownTransfer(layer, input.id);
      if (existing) return compareTransfer(existing, input);
    }
    const dr = layer.account(input.debit_account_id);
    if (!dr) return fail("account_not_found", `Debit account ${input.debit_account_id} not found`);
    const cr = layer.account(input.credit_account_id);
    if (!cr) return fail("account_not_found", `Credit account ${input.credit_account_id} not found`);
    if (dr.asset !== cr.asset || (input.asset !== undefined && input.asset !== dr.asset)) {
      return fail(
        "asset_mismatch",
        `The transfer and both accounts must have one asset (${dr.asset}, ${cr.asset})`,
      );
    }
    if (dr.closed) return fail("account_closed", `Debit account ${dr.id} is closed`);
    if (cr.closed) return fail("account_closed", `Credit account ${cr.id} is closed`);
    if (dr.frozen_debits) return fail("account_frozen", `Debit account ${dr.id} is frozen for debits`);
    if (cr.frozen_credits) return fail("account_frozen", `Credit account ${cr.id} is frozen for credits`);
    if (dr.expires_at && dr.expires_at.getTime() <= now.getTime()) {
      return fail("account_expired", `Debit account ${dr.id} expired at ${dr.expires_at.toISOString()}`);
    }
    const amount = input.amount;
    const drDebits = dr.debits_posted + dr.debits_pending + amount;
    const crCredits = cr.credits_posted + cr.credits_pending + amount;
    if (!Number.isSafeInteger(drDebits) || !Number.isSafeInteger(crCredits)) {
      return fail("overflow", "The transfer would overflow an account balance");
    }
    if (dr.debits_must_not_exceed_credits && drDebits > dr.credits_posted + dr.overdraft_limit) {
      return fail("insufficient_funds", `Account ${dr.id} has ${available(dr)} available, ${amount} needed`);
    }
    if (cr.credits_must_not_exceed_debits && crCredits > cr.debits_posted + cr.overdraft_limit) {
      return fail("credit_limit_exceeded", `Account ${cr.id} can take at most ${available(cr)} more`);
    }

    const [d, c] = move(layer, dr.id, cr.id, pending ? 0 : amount, pending ? amount : 0, now);
    const transfer: Transfer = {
      id: input.id ?? newId("tr"),
      kind: pending ? "pending" : "posted",
      debit_account_id: dr.id,
      credit_account_id: cr.id,
      amount,
      asset: dr.asset,
      code: input.code ?? "transfer",
      reference_module: input.reference_module ?? null,
      reference_id: input.reference_id ?? null,
      memo: input.memo ?? null,
      metadata: input.metadata ?? null,
      pending_id: null,
      pending_before: null,
      timeout_seconds: timeout,
      timeout_at: timeout === null ? null : new Date(now.getTime() + timeout * 1000),
      debit_balance: d.credits_posted - d.debits_posted,
      credit_balance: c.credits_posted - c.debits_posted,
      created_at: now,
    };
    layer.addTransfer(transfer);
    return { ok: true, code: "created", transfer };
  }

  /**
   * Posts or voids a hold, all of what is still pending or part of it. A post of part releases
   * the rest at once (TigerBeetle); a void of part leaves the rest pending, to be voided or
   * posted later. `expiring` is the timeout job's void.
   */
  async resolve(
    layer: Layer,
    kind: "post_pending" | "void_pending",
    input: ResolveInput,
    observer?: LoadObserver,
    expiring = false,
  ): Promise<TransferResult> {
    const invalid = invalidInput(input);
    if (invalid) return invalid;
    if (input.amount !== undefined && !isAmount(input.amount)) {
      return fail("invalid_amount", "amount must be a positive integer");
    }
    await this.findTransfers(layer, [input.pending_id, ...(input.id !== undefined ? [input.id] : [])]);
    if (input.id !== undefined) {
      const existing = this.knownTransfer(layer, input.id);
      if (existing) return compareResolution(existing, kind, input);
    }
    const p = this.knownTransfer(layer, input.pending_id);
    if (!p) return fail("pending_transfer_not_found", `Transfer ${input.pending_id} not found`);
    if (p.kind !== "pending") {
      return fail("pending_transfer_not_pending", `Transfer ${p.id} is not a pending transfer`);
    }
    // Lock before reading what is left of the hold: every resolver of this hold holds these
    // rows, so once they are ours no one else can resolve any of it until we commit.
    await this.lock([p.debit_account_id, p.credit_account_id], observer);
    const stored =
      layer.resolution(p.id) ?? this.carried?.resolution(p.id) ?? (await this.storedResolution(p.id));
    if (layer.closed) throw new Error("the unit of work has already finished");
    const hold = holdProgress(p, layer.resolution(p.id) ?? stored);
    if (input.id !== undefined) {
      const raced = this.knownTransfer(layer, input.id);
      if (raced) return compareResolution(raced, kind, input);
    }
    if (hold.state === "posted") return fail("pending_already_posted", `Hold ${p.id} was already posted`);
    if (hold.state === "voided") return fail("pending_already_voided", `Hold ${p.id} was already voided`);
    const now = this.clock.now();
    if (!expiring && p.timeout_at && p.timeout_at.getTime() <= now.getTime()) {
      return fail("pending_expired", `Hold ${p.id} expired at ${p.timeout_at.toISOString()}`);
    }
    const posting = kind === "post_pending";
    const amount = input.amount ?? hold.pending;
    if (amount > hold.pending) {
      return fail(
        "exceeds_pending_amount",
        `Hold ${p.id} has ${hold.pending} pending; ${amount} cannot be ${posting ? "posted" : "voided"}`,
      );
    }
    const dr = layer.account(p.debit_account_id);
    const cr = layer.account(p.credit_account_id);
    assert(dr && cr, "a hold's accounts exist");
    if (posting) {
      if (dr.closed) return fail("account_closed", `Debit account ${dr.id} is closed`);
      if (cr.closed) return fail("account_closed", `Credit account ${cr.id} is closed`);
    }
    assert(
      dr.debits_pending >= hold.pending && cr.credits_pending >= hold.pending,
      "what is left of a hold is pending on its accounts",
    );
    // A post releases everything left of the hold; a void only its amount.
    const [d, c] = move(layer, dr.id, cr.id, posting ? amount : 0, posting ? -hold.pending : -amount, now);
    const transfer: Transfer = {
      id: input.id ?? newId("tr"),
      kind,
      debit_account_id: p.debit_account_id,
      credit_account_id: p.credit_account_id,
      amount,
      asset: p.asset,
      code: input.code ?? (posting ? p.code : expiring ? "hold_expired" : p.code),
      reference_module: p.reference_module,
      reference_id: p.reference_id,
      memo: input.memo ?? null,
      metadata: input.metadata ?? null,
      pending_id: p.id,
      pending_before: hold.pending,
      timeout_seconds: null,
      timeout_at: null,
      debit_balance: d.credits_posted - d.debits_posted,
      credit_balance: c.credits_posted - c.debits_posted,
      created_at: now,
    };
    layer.addTransfer(transfer);
    return { ok: true, code: "created", transfer };
  }

  /** The hold's latest stored resolution: each step starts from less than the one before. */
  private async storedResolution(pendingId: string): Promise<ResolutionStep | undefined> {
    const rows = await this.exec.query<ResolutionStep>(
      "select kind, amount, pending_before from ledger_transfers where tenant_id = $1 and pending_id = $2 order by pending_before limit 1",
      [this.tenantId, pendingId],
    );
    return rows[0];
  }

  // ---- writing --------------------------------------------------------------------------

  /**
   * Writes the root layer set-based: new accounts, journal rows, one update per account,
   * appended rows. With `commit`, it commits the transaction with its last statement when
   * the executor can send both at once, and says whether it did. With `last`, nothing reads
   * the session after it (a batch's session ends with its flush), so what it would note for
   * later operations (the accounts as written, the transfers as stored) is left unnoted: for
   * a bulk batch that was some 8,000 accounts and 8,000 transfers gone over once more.
   */
  async flush(options: { commit?: boolean; last?: boolean } = {}): Promise<boolean> {
    const root = this.root;
    const now = this.clock.now();
    const created: AccountState[] = [];
    const changed: AccountState[] = [];
    for (const a of root.accounts.values()) {
      if (a.isNew) created.push(a);
      // A carried account is written even if unchanged: the write is what checks it.
      else if (a.dirty || a.expected) changed.push(a);
    }
    if (created.length > 0) await this.insertAccounts(created);
    // The account updates, the journal rows and the appended rows in as few statements as
    // the parameter limit allows: usually one round trip for the whole batch. The update
    // comes first and is the statement's only referenced part, so it runs (and takes the
    // rows' locks) before the journal rows are numbered: `seq` follows commit order per account.
    const writes: Write[] = [];
    // In id order, as the lock query takes rows, so two writers lock in the same order. A
    // batch whose rows came from one lock query has them in that order already.
    if (!inIdOrder(changed)) changed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (changed.length > 0) writes.push(accountUpdate(this.tenantId, changed, now));
    if (root.transfers.length > 0) writes.push(transferInsert(this.tenantId, root.transfers));
    writes.push(...(await this.appendedInserts(root.appended)));
    let updated = 0;
    let committed = false;
    const groups = groupWrites(writes);
    for (const [g, group] of groups.entries()) {
      const params: unknown[] = [];
      const parts = group.map((w, i) => {
        const offset = params.length;
        for (const p of w.params) params.push(encodeParam(p));
        const text =
          typeof w.sql === "function"
            ? w.sql(offset)
            : w.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
        return `w${i} as (${text})`;
      });
      const counted = group.findIndex((w) => w.countsAccounts);
      const thenCommit =
        options.commit === true &&
        g === groups.length - 1 &&
        this.exec.queryThenCommit !== undefined &&
        params.every(isSqlValue);
      let n = "0";
      if (counted >= 0) {
        n = `(select count(*)::int from w${counted} where applied)`;
        if (thenCommit) {
          // The COMMIT goes with this statement, before its answer is read, so the check that
          // every changed account was updated once is made by the statement itself: a short
          // count divides by zero, and PostgreSQL skips the COMMIT.
          params.push(changed.length);
          n = `${n} / (${n} = $${params.length}::int)::int`;
        }
      }
      const text = `with ${parts.join(", ")} select ${n} as n`;
      const rows = thenCommit
        ? await this.exec.queryThenCommit!<{ n: number }>(text, params)
        : await this.exec.query<{ n: number }>(text, params);
      committed ||= thenCommit;
      updated += rows[0]?.n ?? 0;
    }
    if (updated !== changed.length) {
      assert(
        changed.some((a) => a.expected),
        "every changed account is updated exactly once",
      );
      throw new StaleCarryError(changed.length - updated);
    }
    if (options.last) return committed;
    for (const a of created) a.isNew = false;
    for (const a of [...created, ...changed]) {
      a.dirty = false;
      // Written under its row lock: from here on the session holds it like a locked row.
      if (a.expected !== undefined) a.expected = undefined;
    }
    for (const t of root.transfers) this.stored.set(t.id, t);
    root.transfers.length = 0;
    root.transferById.clear();
    root.resolutions.clear();
    root.appended.length = 0;
    return committed;
  }

  private async insertAccounts(accounts: AccountState[]): Promise<void> {
    const col = <K extends keyof AccountState>(k: K) => accounts.map((a) => a[k]);
    await this.exec.query(
      `insert into ledger_accounts (tenant_id, id, asset, kind, owner_module, owner_id,
         debits_must_not_exceed_credits, credits_must_not_exceed_debits, overdraft_limit, frozen_debits,
         frozen_credits, closed, expires_at, metadata, debits_posted, credits_posted, debits_pending,
         credits_pending, created_at, updated_at)
       select $1, * from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[],
         $8::bool[], $9::int8[], $10::bool[], $11::bool[], $12::bool[], $13::timestamptz[], $14::jsonb[],
         $15::int8[], $16::int8[], $17::int8[], $18::int8[], $19::timestamptz[], $20::timestamptz[])`,
      [
        this.tenantId,
        col("id"),
        col("asset"),
        col("kind"),
        col("owner_module"),
        col("owner_id"),
        col("debits_must_not_exceed_credits"),
        col("credits_must_not_exceed_debits"),
        col("overdraft_limit"),
        col("frozen_debits"),
        col("frozen_credits"),
        col("closed"),
        col("expires_at"),
        accounts.map((a) => JSON.stringify(a.metadata)),
        col("debits_posted"),
        col("credits_posted"),
        col("debits_pending"),
        col("credits_pending"),
        col("created_at"),
        col("updated_at"),
      ],
    );
  }

  /**
   * Appended rows (audit, idempotency, outbox), one statement per table: a column per array
   * when every row names the same columns (a batch of single transfers appends one audit row
   * each, and binding their values one parameter at a time showed in its profile), otherwise
   * a multi-row insert.
   */
  private async appendedInserts(appended: [string, Record<string, unknown>][]): Promise<Write[]> {
    const byTable = new Map<string, Record<string, unknown>[]>();
    for (const [table, row] of appended) {
      const rows = byTable.get(table);
      if (rows) rows.push(row);
      else byTable.set(table, [row]);
    }
    const writes: Write[] = [];
    for (const [table, rows] of byTable) {
      const columns = columnsOf(rows);
      const types = rows.length > 1 ? await this.arrayTypes(table, columns) : undefined;
      if (types && rows.every((row) => columns.every((c) => sendsAsElement(row[c])))) {
        writes.push(columnsInsert(table, columns, types, rows));
        continue;
      }
      const chunk = Math.max(1, Math.floor(MAX_PARAMS / Math.max(1, columns.length)));
      for (let i = 0; i < rows.length; i += chunk) writes.push(rowsInsert(table, rows.slice(i, i + chunk)));
    }
    return writes;
  }

  /**
   * The SQL type of each named column of `table`, for sending it as an array; undefined when a
   * column holds arrays itself (unnest would flatten them). Read from the catalog once per
   * table and process, and again if a column is not known yet (a migration added it).
   */
  private async arrayTypes(table: string, columns: readonly string[]): Promise<string[] | undefined> {
    let known = columnTypes.get(table);
    if (!known || columns.some((c) => !known!.has(c))) {
      const rows = await this.exec.query<{ name: string; type: string }>(
        `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
         where attrelid = $1::text::regclass and attnum > 0 and not attisdropped`,
        [table],
      );
      known = new Map(rows.map((r) => [r.name, r.type]));
      columnTypes.set(table, known);
    }
    const types = columns.map((c) => known!.get(c));
    return types.every((t): t is string => t !== undefined && !t.endsWith("]") && t !== "bytea")
      ? types
      : undefined;
  }
}

/**
 * Whether a value can be one element of a column's array literal: named (a left-out column
 * takes its default, which unnest cannot give one row), and not an array or bytes, which
 * node-postgres sends in forms of their own.
 */
const sendsAsElement = (v: unknown) => v !== undefined && !Array.isArray(v) && !Buffer.isBuffer(v);

/** Column types of the tables rows are appended to, by table (see `Session.arrayTypes`). */
const columnTypes = new Map<string, Map<string, string>>();

/**
 * Rows that all name the same columns as one INSERT … SELECT FROM unnest, one array literal per
 * column: each element reads as the same value sent alone would (dates as ISO instants, objects
 * as their JSON, as node-postgres sends them).
 */
function columnsInsert(
  table: string,
  columns: readonly string[],
  types: readonly string[],
  rows: readonly Record<string, unknown>[],
): Write {
  const params = columns.map((column) =>
    arrayLiteral(
      rows.map((row) => {
        const v = row[column];
        if (v instanceof Date) return v.toISOString();
        if (v !== null && typeof v === "object") return JSON.stringify(v);
        return v as Plain;
      }),
    ),
  );
  const arrays = types.map((type, i) => `$${i + 1}::${type}[]`);
  return {
    countsAccounts: false,
    params,
    sql: `insert into ${quoteIdent(table)} (${columns.map(quoteIdent).join(", ")}) select * from unnest(${arrays.join(", ")})`,
  };
}

/** The columns a set of rows names, in the order they first appear (a row may leave some out). */
function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (row[key] !== undefined) seen.add(key);
  return [...seen];
}

/**
 * One multi-row INSERT, as Kysely's `insertInto(table).values(rows)` would compile it (a value
 * a row leaves out is the column's DEFAULT), but numbered from the flush's offset as it is
 * built: compiling through Kysely and renumbering every placeholder afterwards showed in the
 * profile of single transfers, whose batches append an audit row and more per request.
 */
function rowsInsert(table: string, rows: readonly Record<string, unknown>[]): Write {
  const columns = columnsOf(rows);
  const params: unknown[] = [];
  // Each cell: the parameter's number counted from 1, or 0 for the column's DEFAULT.
  const cells = rows.map((row) =>
    columns.map((column) => {
      const value = row[column];
      if (value === undefined) return 0;
      params.push(value);
      return params.length;
    }),
  );
  const head = `insert into ${quoteIdent(table)} (${columns.map(quoteIdent).join(", ")}) values `;
  return {
    countsAccounts: false,
    params,
    sql: (offset) =>
      head +
      cells
        .map((row) => `(${row.map((n) => (n === 0 ? "default" : `$${n + offset}`)).join(", ")})`)
        .join(", "),
  };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** One data-modifying statement of a flush; `countsAccounts` marks the account update. */
interface Write {
  /** The statement's text, its parameters numbered from `$1`, or built for where they start. */
  sql: string | ((offset: number) => string);
  params: unknown[];
  countsAccounts: boolean;
}

/** PostgreSQL takes at most 65,535 parameters per statement; stay well below. */
const MAX_PARAMS = 60_000;

/** Whether the accounts are in ascending id order (the order `Session.lock` takes rows in). */
function inIdOrder(accounts: readonly AccountState[]): boolean {
  for (let i = 1; i < accounts.length; i++) if (!(accounts[i - 1]!.id < accounts[i]!.id)) return false;
  return true;
}

/** Packs writes into statements of at most MAX_PARAMS parameters, in order. */
function groupWrites(writes: Write[]): Write[][] {
  const groups: Write[][] = [];
  let size = Number.POSITIVE_INFINITY;
  for (const w of writes) {
    if (size + w.params.length > MAX_PARAMS) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1]!.push(w);
    size += w.params.length;
  }
  return groups;
}

/** Adds `posted` to both sides' posted balances and `pending` (negative to release) to their pending ones. */
function move(
  layer: Layer,
  debitId: string,
  creditId: string,
  posted: number,
  pending: number,
  now: Date,
): [AccountState, AccountState] {
  const d = layer.writable(debitId);
  const c = layer.writable(creditId);
  d.debits_posted += posted;
  c.credits_posted += posted;
  d.debits_pending += pending;
  c.credits_pending += pending;
  d.updated_at = now;
  c.updated_at = now;
  return [d, c];
}

/** One journal column of the insert: its SQL type, how a value is sent, how the row reads it. */
interface JournalColumn {
  name: string;
  /** The parameter's element type. */
  type: "text" | "int8" | "int4" | "jsonb";
  value: (t: Transfer) => string | number | null;
  /** The column's value from `x` (the parameter or the unnested element). */
  expr?: (x: string) => string;
}

const epochMs = (x: string) => `'epoch'::timestamptz + ${x} * interval '1 millisecond'`;
const JOURNAL_COLUMNS: JournalColumn[] = [
  { name: "id", type: "text", value: (t) => t.id },
  { name: "kind", type: "text", value: (t) => t.kind },
  { name: "debit_account_id", type: "text", value: (t) => t.debit_account_id },
  { name: "credit_account_id", type: "text", value: (t) => t.credit_account_id },
  { name: "amount", type: "int8", value: (t) => t.amount },
  { name: "asset", type: "text", value: (t) => t.asset },
  { name: "code", type: "text", value: (t) => t.code },
  { name: "reference_module", type: "text", value: (t) => t.reference_module },
  { name: "reference_id", type: "text", value: (t) => t.reference_id },
  { name: "memo", type: "text", value: (t) => t.memo },
  {
    name: "metadata",
    type: "jsonb",
    value: (t) => (t.metadata === null ? null : JSON.stringify(t.metadata)),
  },
  { name: "pending_id", type: "text", value: (t) => t.pending_id },
  { name: "pending_before", type: "int8", value: (t) => t.pending_before },
  { name: "timeout_seconds", type: "int4", value: (t) => t.timeout_seconds },
  {
    name: "timeout_at",
    type: "int8",
    value: (t) => (t.timeout_at === null ? null : t.timeout_at.getTime()),
    expr: epochMs,
  },
  { name: "debit_balance", type: "int8", value: (t) => t.debit_balance },
  { name: "credit_balance", type: "int8", value: (t) => t.credit_balance },
  { name: "created_at", type: "int8", value: (t) => t.created_at.getTime(), expr: epochMs },
];

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

type Plain = string | number | boolean | null;

/**
 * A PostgreSQL array literal of plain values, built in one pass: node-postgres escapes every
 * element separately, which showed in the bulk profile (arrays of 8,190). It reads exactly as
 * node-postgres's own literal would (every text element quoted, so none reads as NULL).
 */
function arrayLiteral(values: readonly Plain[]): string {
  const joined = joinedLiteral(values);
  if (joined !== undefined) return joined;
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = "NULL";
    else if (typeof v === "number") parts[i] = String(v);
    else if (typeof v === "boolean") parts[i] = v ? "true" : "false";
    else parts[i] = NEEDS_ESCAPE.test(v) ? `"${v.replace(ESCAPED, "\\$&")}"` : `"${v}"`;
  }
  return `{${parts.join(",")}}`;
}

/**
 * The literal of an array whose values are all numbers, or all text needing no escape, with
 * no null: one `join`, with no string made per element (a bulk batch builds some ten arrays of
 * 8,000 and more, and each element's own quoted string was garbage for the collector). Others
 * answer undefined.
 */
function joinedLiteral(values: readonly Plain[]): string | undefined {
  if (values.length === 0) return "{}";
  const kind = typeof values[0];
  if (kind !== "number" && kind !== "string") return undefined;
  for (let i = 1; i < values.length; i++) if (typeof values[i] !== kind) return undefined;
  if (kind === "number") return `{${values.join(",")}}`;
  for (const v of values) if (NEEDS_ESCAPE.test(v as string)) return undefined;
  return `{"${values.join('","')}"}`;
}

/**
 * A statement parameter with an array of plain values turned into its literal (see
 * `arrayLiteral`); anything else, dates and objects among them, goes to node-postgres as it is.
 */
export function encodeParam(param: unknown): unknown {
  if (!Array.isArray(param)) return param;
  for (const v of param) {
    const type = typeof v;
    if (v !== null && type !== "string" && type !== "number" && type !== "boolean") return param;
  }
  return arrayLiteral(param as Plain[]);
}

/**
 * The journal rows as one INSERT … SELECT FROM unnest (timestamps as epoch milliseconds). A
 * column with one value in every row (a bulk batch's kind, asset, code, the nulls of fields it
 * does not use) is sent once as a scalar rather than as an array of 8,190 copies: less to
 * encode here and less for PostgreSQL to parse.
 */
export function transferInsert(tenantId: string, transfers: Transfer[]): Write & { sql: string } {
  const params: unknown[] = [tenantId];
  const select: string[] = [];
  const arrays: string[] = [];
  const aliases: string[] = [];
  for (const column of JOURNAL_COLUMNS) {
    // Most columns of a bulk batch are uniform: found so before any array is made for them.
    const first = transfers.length > 0 ? column.value(transfers[0]!) : null;
    let uniform = true;
    for (let i = 1; i < transfers.length && uniform; i++) uniform = column.value(transfers[i]!) === first;
    const expr = column.expr ?? ((x: string) => x);
    if (uniform) {
      params.push(first);
      select.push(expr(`$${params.length}::${column.type}`));
    } else {
      const values = new Array<Plain>(transfers.length);
      for (let i = 0; i < transfers.length; i++) values[i] = column.value(transfers[i]!);
      params.push(arrayLiteral(values));
      const alias = `c${aliases.length}`;
      arrays.push(`$${params.length}::${column.type}[]`);
      aliases.push(alias);
      select.push(expr(`t.${alias}`));
    }
  }
  // One row per transfer even if every column is uniform (a batch of one transfer).
  const from =
    arrays.length > 0
      ? `unnest(${arrays.join(", ")}) as t(${aliases.join(", ")})`
      : `generate_series(1, ${transfers.length})`;
  return {
    countsAccounts: false,
    sql: `insert into ledger_transfers (tenant_id, ${JOURNAL_COLUMNS.map((c) => c.name).join(", ")})
     select $1, ${select.join(", ")} from ${from}`,
    params,
  };
}

const millisOf = (d: Date | null) => (d === null ? null : d.getTime());

/**
 * Each changed account's final state in one UPDATE … FROM unnest: one write per account per
 * batch. A carried account (`expected`) is written only if the row holds what the batch
 * decided on; otherwise the row answers `applied` false (a short count is stale, and the batch
 * rolls back). The check cannot sit in WHERE, nor raise an error: both are first evaluated on
 * the row version the statement's snapshot sees, which may lack the committing batch's write,
 * so the row would be skipped or refused without waiting for that batch. SET and RETURNING are
 * what PostgreSQL computes again on the row's latest version once it holds the row's lock
 * (READ COMMITTED), so the check marks the outcome there: `updated_at` -infinity, which no
 * clock gives, stands for "not applied" until the rollback.
 */
function accountUpdate(tenantId: string, accounts: AccountState[], now: Date): Write {
  const col = <K extends keyof AccountState>(k: K) => accounts.map((a) => a[k]);
  const carried = accounts.filter((a) => a.expected);
  const exp = <K extends keyof Account>(k: K) => carried.map((a) => a.expected![k]);
  return {
    countsAccounts: true,
    sql: `update ledger_accounts a
     set debits_posted = v.dp, credits_posted = v.cp, debits_pending = v.dpe, credits_pending = v.cpe,
       frozen_debits = v.fd, frozen_credits = v.fc, closed = v.cl,
       expires_at = ${epochMs("v.ex")}, overdraft_limit = v.ol,
       updated_at = case when e.id is null or (a.debits_posted = e.dp and a.credits_posted = e.cp
         and a.debits_pending = e.dpe and a.credits_pending = e.cpe and a.frozen_debits = e.fd
         and a.frozen_credits = e.fc and a.closed = e.cl and a.overdraft_limit = e.ol
         and date_trunc('milliseconds', a.expires_at)
           is not distinct from ${epochMs("e.ex")})
         then $2::timestamptz else '-infinity'::timestamptz end
     from unnest($3::text[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::bool[], $9::bool[],
       $10::bool[], $11::int8[], $12::int8[]) as v(id, dp, cp, dpe, cpe, fd, fc, cl, ex, ol)
     left join unnest($13::text[], $14::int8[], $15::int8[], $16::int8[], $17::int8[], $18::bool[],
       $19::bool[], $20::bool[], $21::int8[], $22::int8[]) as e(id, dp, cp, dpe, cpe, fd, fc, cl, ex, ol)
       on e.id = v.id
     where a.tenant_id = $1 and a.id = v.id
     returning a.updated_at <> '-infinity'::timestamptz as applied`,
    params: [
      tenantId,
      now,
      col("id"),
      col("debits_posted"),
      col("credits_posted"),
      col("debits_pending"),
      col("credits_pending"),
      col("frozen_debits"),
      col("frozen_credits"),
      col("closed"),
      accounts.map((a) => millisOf(a.expires_at)),
      col("overdraft_limit"),
      carried.map((a) => a.id),
      exp("debits_posted"),
      exp("credits_posted"),
      exp("debits_pending"),
      exp("credits_pending"),
      exp("frozen_debits"),
      exp("frozen_credits"),
      exp("closed"),
      carried.map((a) => millisOf(a.expected!.expires_at)),
      exp("overdraft_limit"),
    ],
  };
}

function available(a: Account): number {
  return balancesOf(a).available;
}

function validateAccount(input: AccountInput): Failure<AccountErrorCode> | undefined {
  if (input.id !== undefined && !CLIENT_ID.test(input.id)) {
    return fail("invalid_id", "An account id is 1-64 characters A-Z a-z 0-9 _ -");
  }
  if (input.debits_must_not_exceed_credits && input.credits_must_not_exceed_debits) {
    return fail(
      "invalid_flags",
      "debits_must_not_exceed_credits and credits_must_not_exceed_debits exclude each other",
    );
  }
  const limit = input.overdraft_limit ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    return fail("invalid_amount", "overdraft_limit must be a non-negative integer");
  }
  if (metadataTooLarge(input.metadata)) {
    return fail("metadata_too_large", `metadata may hold at most ${MAX_METADATA_BYTES} bytes of JSON`);
  }
  return undefined;
}

function compareAccount(existing: Account, input: AccountInput): AccountResult {
  const same =
    existing.asset === input.asset &&
    existing.kind === input.kind &&
    existing.owner_module === (input.owner_module ?? null) &&
    existing.owner_id === (input.owner_id ?? null) &&
    existing.debits_must_not_exceed_credits === (input.debits_must_not_exceed_credits ?? false) &&
    existing.credits_must_not_exceed_debits === (input.credits_must_not_exceed_debits ?? false);
  if (!same) {
    return fail("exists_with_different_fields", `Account ${existing.id} exists with different fields`);
  }
  return { ok: true, code: "exists", account: publicAccount(existing) };
}

const sameMetadata = (a: Record<string, unknown> | null, b: Record<string, unknown> | null | undefined) =>
  isDeepStrictEqual(a ?? null, b ?? null);

function compareTransfer(existing: Transfer, input: TransferInput): TransferResult {
  const differences: string[] = [];
  const expectKind = input.pending ? "pending" : "posted";
  if (existing.kind !== expectKind) differences.push("pending");
  if (existing.debit_account_id !== input.debit_account_id) differences.push("debit_account_id");
  if (existing.credit_account_id !== input.credit_account_id) differences.push("credit_account_id");
  if (existing.amount !== input.amount) differences.push("amount");
  if (input.asset !== undefined && existing.asset !== input.asset) differences.push("asset");
  if (existing.code !== (input.code ?? "transfer")) differences.push("code");
  if (existing.reference_module !== (input.reference_module ?? null)) differences.push("reference_module");
  if (existing.reference_id !== (input.reference_id ?? null)) differences.push("reference_id");
  if (existing.memo !== (input.memo ?? null)) differences.push("memo");
  if (!sameMetadata(existing.metadata, input.metadata)) differences.push("metadata");
  if (existing.timeout_seconds !== (input.timeout_seconds ?? null)) differences.push("timeout_seconds");
  if (differences.length > 0) {
    return fail(
      "exists_with_different_fields",
      `Transfer ${existing.id} exists with different ${differences.join(", ")}`,
    );
  }
  return { ok: true, code: "exists", transfer: existing };
}

function compareResolution(existing: Transfer, kind: TransferKind, input: ResolveInput): TransferResult {
  const differences: string[] = [];
  if (existing.kind !== kind) differences.push("kind");
  if (existing.pending_id !== input.pending_id) differences.push("pending_id");
  if (input.amount !== undefined && existing.amount !== input.amount) differences.push("amount");
  if (input.code !== undefined && existing.code !== input.code) differences.push("code");
  if (existing.memo !== (input.memo ?? null)) differences.push("memo");
  if (!sameMetadata(existing.metadata, input.metadata)) differences.push("metadata");
  if (differences.length > 0) {
    return fail(
      "exists_with_different_fields",
      `Transfer ${existing.id} exists with different ${differences.join(", ")}`,
    );
  }
  return { ok: true, code: "exists", transfer: existing };
}

/** The operations bound to one layer, one at a time (a unit's concurrent calls queue up). */
export class LayerOps implements LedgerOps {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(
    protected readonly session: Session,
    protected readonly layer: Layer,
    protected readonly observer: LoadObserver | undefined,
    /** Runs after each operation (a plain transaction writes at once). */
    private readonly after: (() => Promise<void>) | undefined = undefined,
  ) {}

  protected serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      if (this.layer.closed) throw new Error("the unit of work has already finished");
      const result = await fn();
      if (this.after) await this.after();
      return result;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  createAccount(input: AccountInput) {
    return this.serial(() => this.session.createAccount(this.layer, input, this.observer));
  }
  updateAccount(id: string, update: AccountUpdate) {
    return this.serial(() => this.session.updateAccount(this.layer, id, update, this.observer));
  }
  transfer(input: TransferInput) {
    return this.serial(
      async () => (await this.session.batch(this.layer, [{ ...input, linked: false }], this.observer))[0]!,
    );
  }
  transfers(inputs: TransferInput[]) {
    return this.serial(() =>
      this.session.batch(
        this.layer,
        inputs.map((input, i) => ({ ...input, linked: i < inputs.length - 1 })),
        this.observer,
      ),
    );
  }
  batch(items: BatchItem[]) {
    return this.serial(() => this.session.batch(this.layer, items, this.observer));
  }
  hold(input: Omit<TransferInput, "pending">) {
    return this.transfer({ ...input, pending: true });
  }
  post(input: ResolveInput) {
    return this.serial(() => this.session.resolve(this.layer, "post_pending", input, this.observer));
  }
  void(input: ResolveInput) {
    return this.serial(() => this.session.resolve(this.layer, "void_pending", input, this.observer));
  }
  /** The expiry job's void: allowed after the timeout that refuses everyone else. */
  voidExpired(pendingId: string) {
    return this.serial(() =>
      this.session.resolve(this.layer, "void_pending", { pending_id: pendingId }, this.observer, true),
    );
  }
  balances(accountId: string) {
    return this.serial(async () => {
      await this.session.lock([accountId], this.observer);
      const a = this.layer.account(accountId);
      return a ? balancesOf(a) : undefined;
    });
  }
  balancesMany(accountIds: readonly string[]) {
    return this.serial(async () => {
      await this.session.lock(accountIds, this.observer);
      return accountIds.map((id) => {
        const a = this.layer.account(id);
        return a ? balancesOf(a) : undefined;
      });
    });
  }
  unwrittenAccounts(ownerModule: string, ownerId: string) {
    return this.serial(async () => {
      const ids = new Set<string>();
      for (let layer: Layer | null = this.layer; layer; layer = layer.parent) {
        for (const a of layer.accounts.values()) {
          if ((a.dirty || a.isNew) && a.owner_module === ownerModule && a.owner_id === ownerId) ids.add(a.id);
        }
      }
      return [...ids];
    });
  }
  peekBalances(accountId: string) {
    return this.serial(async () => {
      // What this unit already holds (and may have changed) wins over the committed row.
      const a = this.layer.account(accountId) ?? (await this.session.peek(accountId));
      return a ? balancesOf(a) : undefined;
    });
  }
  getAccount(accountId: string) {
    return this.serial(async () => {
      await this.session.lock([accountId], this.observer);
      const a = this.layer.account(accountId);
      return a ? publicAccount(a) : undefined;
    });
  }
}
