import type { QueryCreator } from "kysely";
import { DateTime } from "luxon";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import {
  type Account,
  type AccountInput,
  type Balances,
  balancesOf,
  type LedgerOps,
  openAccount,
  type UnitOfWork,
} from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assert } from "../../shared/assert.js";
import { newId } from "../../shared/ids.js";
import { type ChangeReason, reasonColumns } from "./change-reasons.js";
import {
  type LotMove,
  type LotRow,
  type LotTotals,
  lotTotalsOf,
  lotTotalsQuery,
  openLots,
} from "./lots.repository.js";
import { WalletsError } from "./wallets.errors.js";
import { type ChangeKind, POINTS_ASSET, type WalletAccount } from "./wallets.repository.js";

export type { UnitOfWork };

/**
 * The wallets module's ledger accounts. Ids derive from what they belong to, so opening one
 * twice is harmless ("exists").
 * - principal and bonus per member, in the tenant's balance asset: never below zero;
 * - points lots per member and expiry day (POINTS), ordinary and referral: never below zero;
 * - the tenant's side per purpose and asset (no limit): what came in from offline and online
 *   top-ups, went out by withdrawals, was granted as rewards or exchanges, was paid for orders
 *   (`sales`: its balance is the consumption paid by balance, net of refunds), expired.
 */
export const accountIds = {
  principal: (memberId: string) => `wprin_${memberId}`,
  bonus: (memberId: string) => `wbonus_${memberId}`,
  lot: (kind: "points" | "referral_points", memberId: string, expiryKey: string) =>
    `${kind === "points" ? "wpts" : "wrefp"}_${memberId}_${expiryKey}`,
  system: (purpose: SystemPurpose, asset: string) => `wsys_${purpose}_${asset}`,
};

export type SystemPurpose =
  | "topup_offline"
  | "topup_online"
  | "withdrawal"
  | "rewards"
  | "exchange"
  | "sales"
  | "points_issued"
  | "points_spent"
  | "points_expired"
  | "points_exchanged";

const open = (uow: UnitOfWork, input: AccountInput) =>
  openAccount(
    uow,
    { owner_module: "wallets", ...input },
    () => new WalletsError("asset_not_found", `Asset ${input.asset} is not set up in the ledger`),
  );

/**
 * The member's principal and bonus accounts in `asset` (the tenant's balance asset as the
 * caller read it), opened on first use. Opening them is what locks the balance asset (the
 * settings change refuses once member accounts exist), so a first opening takes the settings
 * row shared and checks the asset is still the one read: a change committed meanwhile would
 * otherwise leave this member's balance in the old asset.
 */
export async function openMemberAccounts(uow: UnitOfWork, memberId: string, asset: string) {
  const flags = { debits_must_not_exceed_credits: true, owner_id: memberId, asset, owner_module: "wallets" };
  let created = false;
  const openOne = async (id: string, kind: string) => {
    const result = await uow.createAccount({ id, kind, ...flags });
    if (!result.ok && result.code === "asset_not_found") {
      throw new WalletsError("asset_not_found", `Asset ${asset} is not set up in the ledger`);
    }
    if (!result.ok) throw new Error(`ledger refused account ${id}: ${result.code} ${result.detail}`);
    if (result.code === "created") created = true;
    return result.account.id;
  };
  const accounts = {
    principal: await openOne(accountIds.principal(memberId), "member_principal"),
    bonus: await openOne(accountIds.bonus(memberId), "member_bonus"),
  };
  if (created) {
    const settings = await uow.trx
      .selectFrom("wallet_settings")
      .select("asset")
      .where("tenant_id", "=", uow.tenantId)
      .forShare()
      .executeTakeFirst();
    if (settings && settings.asset !== asset) {
      throw new WalletsError(
        "balance_asset_changed",
        `The balance asset changed to ${settings.asset} while this operation ran; nothing was done, try again`,
        { retryLater: true },
      );
    }
  }
  return accounts;
}

export async function openSystem(uow: UnitOfWork, purpose: SystemPurpose, asset: string): Promise<string> {
  return open(uow, {
    id: accountIds.system(purpose, asset),
    asset,
    kind: `wallet_${purpose}`,
    owner_id: null,
  });
}

/**
 * The member's lot for points ending at `expiresAt`, keyed by that last local day. A lot of
 * the same day made before the tenant's time zone changed ends at another instant; points
 * merged into it would expire at the old zone's midnight (hours early, or late), so they go
 * to a lot of their own, keyed also by the instant.
 */
export async function openLot(
  uow: UnitOfWork,
  kind: "points" | "referral_points",
  memberId: string,
  expiresAt: Date | null,
  expiryKey: string,
  now: Date,
): Promise<string> {
  let id = accountIds.lot(kind, memberId, expiryKey);
  if (!(await claimLot(uow, kind, memberId, id, expiresAt, now))) {
    assert(expiresAt !== null, `never-expiring lot ${id} has an expiry`);
    id = accountIds.lot(
      kind,
      memberId,
      `${expiryKey}_${DateTime.fromJSDate(expiresAt, { zone: "utc" }).toFormat("yyyyLLddHHmm")}`,
    );
    assert(await claimLot(uow, kind, memberId, id, expiresAt, now), `lot ${id} ends at another instant`);
  }
  await open(uow, {
    id,
    asset: POINTS_ASSET,
    kind: `member_${kind}`,
    owner_id: memberId,
    debits_must_not_exceed_credits: true,
  });
  return id;
}

/** Makes the lot row unless it exists; answers whether the lot ends at `expiresAt`. */
async function claimLot(
  uow: UnitOfWork,
  kind: "points" | "referral_points",
  memberId: string,
  id: string,
  expiresAt: Date | null,
  now: Date,
): Promise<boolean> {
  const made = await uow.trx
    .insertInto("wallet_point_lots")
    .values({
      tenant_id: uow.tenantId,
      account_id: id,
      member_id: memberId,
      kind,
      expires_at: expiresAt,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "account_id"]).doNothing())
    .returning("account_id")
    .executeTakeFirst();
  if (made) return true;
  const lot = await uow.trx
    .selectFrom("wallet_point_lots")
    .select("expires_at")
    .where("tenant_id", "=", uow.tenantId)
    .where("account_id", "=", id)
    .executeTakeFirstOrThrow();
  return (lot.expires_at?.getTime() ?? null) === (expiresAt?.getTime() ?? null);
}

export interface MemberBalance {
  principal: number;
  bonus: number;
  /** Principal + bonus posted. */
  total: number;
  /** Held by pending balance payments. */
  held: number;
  /** What may be spent now: total minus held. */
  available: number;
  principal_available: number;
  bonus_available: number;
}

const zero = { posted: 0, available: 0 };

/**
 * How a read sees one account's balances: locked (`uow.balances`, for an operation that
 * decides) or peeked (`ledger.peekBalances`, for a quote that decides nothing). A unit of
 * work is a locking reader as it stands.
 */
export interface BalanceReader {
  trx: Tx;
  tenantId: string;
  balances(accountId: string): Promise<Balances | undefined>;
  /** Many accounts' balances at once (a unit of work locks them in one statement). */
  balancesMany?(accountIds: readonly string[]): Promise<(Balances | undefined)[]>;
  /** A unit of work's accounts of an owner changed and not yet written (see the ledger). */
  unwrittenAccounts?(ownerModule: string, ownerId: string): Promise<string[]>;
  /**
   * What a quote read beforehand with the rest of its facts, in the same snapshot: the
   * member's open lots (as `openLots` finds them) and the tenant's zone. Absent: read here.
   */
  prefetched?: { lots: readonly LotRow[]; zone: string };
}

/**
 * The member's open lots: prefetched when the reader has them, else read now. A unit of work
 * adds the member's accounts it has changed and not yet written, so a lot emptied in the
 * database and credited back earlier in the same batch is not missed.
 */
export async function readerLots(
  reader: BalanceReader,
  memberId: string,
  touched: readonly string[] = [],
): Promise<readonly LotRow[]> {
  if (reader.prefetched && touched.length === 0) return reader.prefetched.lots;
  const unwritten = (await reader.unwrittenAccounts?.("wallets", memberId)) ?? [];
  return openLots(reader.trx, reader.tenantId, memberId, [...new Set([...touched, ...unwritten])]);
}

/** The balances of `ids` as the reader sees them, in one lock where the reader can. */
export async function readerBalances(
  reader: BalanceReader,
  ids: readonly string[],
): Promise<(Balances | undefined)[]> {
  if (reader.balancesMany) return reader.balancesMany(ids);
  const out: (Balances | undefined)[] = [];
  for (const id of ids) out.push(await reader.balances(id));
  return out;
}

/**
 * A reader over balances already read (a quote's one snapshot): nothing is asked of the
 * database; an account not given has no balance yet.
 */
export function snapshotReader(
  tenantId: string,
  balances: ReadonlyMap<string, Balances>,
  prefetched: { lots: readonly LotRow[]; zone: string },
): BalanceReader {
  return {
    get trx(): Tx {
      throw new Error("a snapshot reader reads no database");
    },
    tenantId,
    balances: async (id) => balances.get(id),
    prefetched,
  };
}

/** A reader that never locks: reads over the caller's transaction for quotes. */
export function peekingReader(trx: Tx, ledger: LedgerOps, tenantId: string): BalanceReader {
  return { trx, tenantId, balances: (id) => ledger.peekBalances(id) };
}

/**
 * The member's principal and bonus as the reader sees them (a unit of work locks the
 * accounts): the untagged accounts plus every tagged lot holding money (`touched`: lots this
 * unit credited).
 */
export async function memberBalance(
  reader: BalanceReader,
  memberId: string,
  touched: readonly string[] = [],
): Promise<MemberBalance> {
  const p = { ...((await reader.balances(accountIds.principal(memberId))) ?? zero) };
  const b = { ...((await reader.balances(accountIds.bonus(memberId))) ?? zero) };
  const lots = await readerLots(reader, memberId, touched);
  const balances = await readerBalances(
    reader,
    lots.map((l) => l.id),
  );
  for (const [i, lot] of lots.entries()) {
    const l = balances[i] ?? zero;
    const into = lot.kind === "principal" ? p : b;
    into.posted += l.posted;
    into.available += l.available;
  }
  return summarise(p, b);
}

function summarise(
  p: { posted: number; available: number },
  b: { posted: number; available: number },
): MemberBalance {
  return {
    principal: p.posted,
    bonus: b.posted,
    total: p.posted + b.posted,
    held: p.posted - p.available + (b.posted - b.available),
    available: p.available + b.available,
    principal_available: p.available,
    bonus_available: b.available,
  };
}

/** The member's balance for reads (no lock): straight from the ledger's account rows. */
export async function readMemberBalance(trx: Tx, tenantId: string, memberId: string): Promise<MemberBalance> {
  const [accounts, lots] = memberBalanceQueries(trx, tenantId, memberId);
  return memberBalanceOf(memberId, await accounts.execute(), await lots.execute());
}

/**
 * What `readMemberBalance` reads, as queries none of which needs another's answer, for
 * `Database.tenantQueries`; `memberBalanceOf` reads their rows.
 */
export function memberBalanceQueries(qc: QueryCreator<DB>, tenantId: string, memberId: string) {
  return [
    qc
      .selectFrom("ledger_accounts")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("id", "in", [accountIds.principal(memberId), accountIds.bonus(memberId)]),
    lotTotalsQuery(qc, tenantId, memberId),
  ] as const;
}

export function memberBalanceOf(
  memberId: string,
  accounts: readonly Account[],
  lotRows: Parameters<typeof lotTotalsOf>[0],
): MemberBalance {
  const get = (id: string) => {
    const row = accounts.find((r) => r.id === id);
    return row ? balancesOf(row) : zero;
  };
  const p = get(accountIds.principal(memberId));
  const b = get(accountIds.bonus(memberId));
  const lots: LotTotals = lotTotalsOf(lotRows);
  return summarise(
    { posted: p.posted + lots.principal, available: p.available + lots.principalAvailable },
    { posted: b.posted + lots.bonus, available: b.available + lots.bonusAvailable },
  );
}

export interface PointsLot {
  account_id: string;
  expires_at: Date | null;
  balance: number;
}

/** A member's points lots of one kind with their balances, earliest expiry first (never-expiring last). */
export async function readLots(
  trx: Tx,
  tenantId: string,
  memberId: string,
  kind: "points" | "referral_points",
  now: Date,
): Promise<PointsLot[]> {
  return pointsLotsOf(await pointsLotsQuery(trx, tenantId, memberId, kind, now).execute());
}

/** What `readLots` reads, as a query for a transaction or for `Database.tenantQueries`. */
export function pointsLotsQuery(
  qc: QueryCreator<DB>,
  tenantId: string,
  memberId: string,
  kind: "points" | "referral_points",
  now: Date,
) {
  return qc
    .selectFrom("wallet_point_lots as l")
    .innerJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "l.tenant_id").onRef("a.id", "=", "l.account_id"),
    )
    .select(["l.account_id", "l.expires_at", "a.credits_posted", "a.debits_posted", "a.debits_pending"])
    .where("l.tenant_id", "=", tenantId)
    .where("l.member_id", "=", memberId)
    .where("l.kind", "=", kind)
    .where((eb) => eb.or([eb("l.expires_at", "is", null), eb("l.expires_at", ">", now)]))
    .orderBy(({ fn, ref }) => fn.coalesce(ref("l.expires_at"), ref("l.created_at")))
    .orderBy("l.account_id");
}

export function pointsLotsOf(
  rows: readonly {
    account_id: string;
    expires_at: Date | null;
    credits_posted: number;
    debits_posted: number;
    debits_pending: number;
  }[],
): PointsLot[] {
  return rows
    .map((r) => ({
      account_id: r.account_id,
      expires_at: r.expires_at,
      balance: r.credits_posted - r.debits_posted - r.debits_pending,
    }))
    .sort(
      (a, b) =>
        (a.expires_at?.getTime() ?? Number.MAX_SAFE_INTEGER) -
        (b.expires_at?.getTime() ?? Number.MAX_SAFE_INTEGER),
    )
    .filter((l) => l.balance > 0);
}

export interface ChangeInput {
  memberId: string;
  account: WalletAccount;
  kind: ChangeKind;
  asset: string;
  amount: number;
  principalDelta?: number;
  bonusDelta?: number;
  balanceAfter: number;
  reason?: ChangeReason | null;
  note?: string | null;
  source?: string | null;
  sourceRef?: string | null;
  orderId?: string | null;
  paymentId?: string | null;
  /** Tagged lots moved by this change. */
  lots?: LotMove[] | null;
}

/** One row of the member's change log, written with the unit's other rows. */
export function logChange(uow: UnitOfWork, actor: Actor, change: ChangeInput, now: Date): string {
  const id = newId("wchg");
  uow.append("wallet_changes", {
    tenant_id: uow.tenantId,
    id,
    member_id: change.memberId,
    account: change.account,
    kind: change.kind,
    asset: change.asset,
    amount: change.amount,
    principal_delta: change.principalDelta ?? 0,
    bonus_delta: change.bonusDelta ?? 0,
    balance_after: change.balanceAfter,
    ...reasonColumns(change.reason),
    note: change.note ?? null,
    source: change.source ?? null,
    source_ref: change.sourceRef ?? null,
    order_id: change.orderId ?? null,
    payment_id: change.paymentId ?? null,
    lots: change.lots?.length ? JSON.stringify(change.lots) : null,
    actor_type: actor.type,
    actor_id: actor.id,
    created_at: now,
  });
  return id;
}
