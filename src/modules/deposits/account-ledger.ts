import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { countTransfers, statement } from "../../ledger/index.js";
import type { AccountRow } from "./deposits.repository.js";

/**
 * The account ledger (the seed's 賬戶流水): the merchant's money coming in and going out.
 * A top-up, a settlement and a settled refund change it when they post; a withdrawal changes
 * it when it is requested (its hold: "提現的處理中"), not when finance pays it, and a rejected
 * withdrawal comes back in. Campaign-cost freezes and releases are not in it (they are the
 * transaction records); their settlement is.
 */
export const WITHDRAWAL_CODES = {
  held: "deposit_withdrawal",
  paid: "deposit_withdrawal_paid",
  rejected: "deposit_withdrawal_rejected",
} as const;

type StatementEntry = NonNullable<Awaited<ReturnType<typeof statement>>>["entries"][number];

export interface AccountLedgerLine {
  transfer_id: string;
  direction: "income" | "expense";
  amount: number;
  code: string;
  reference_id: string | null;
  /** The account's balance less the withdrawals in progress (available + frozen), after this line. */
  balance: number;
  created_at: Date;
}

/** Withdrawals held on the account by the transfers before `seq` (requested and not yet paid or rejected). */
async function withdrawalsHeldBefore(trx: Tx, account: AccountRow, seq: number): Promise<number> {
  const row = await trx
    .selectFrom("ledger_transfers")
    .select((eb) =>
      eb.fn
        .coalesce(
          eb.fn.sum<string>(
            eb
              .case()
              .when("kind", "=", "pending")
              .then(eb.ref("amount"))
              .else(eb.neg(eb.ref("amount")))
              .end(),
          ),
          eb.lit(0),
        )
        .as("held"),
    )
    .where("tenant_id", "=", account.tenant_id)
    .where("debit_account_id", "=", account.ledger_account_id)
    .where("seq", "<", seq)
    .where((eb) =>
      eb.or([
        eb.and([eb("kind", "=", "pending"), eb("code", "=", WITHDRAWAL_CODES.held)]),
        eb.and([
          eb("kind", "in", ["post_pending", "void_pending"]),
          eb("code", "in", [WITHDRAWAL_CODES.paid, WITHDRAWAL_CODES.rejected]),
        ]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.held);
}

/** One statement page as account-ledger lines, each income or expense, with the running balance. */
async function ledgerLines(
  trx: Tx,
  account: AccountRow,
  entries: StatementEntry[],
): Promise<AccountLedgerLine[]> {
  if (entries.length === 0) return [];
  let held = await withdrawalsHeldBefore(trx, account, entries[0]!.seq);
  const lines: AccountLedgerLine[] = [];
  const line = (e: StatementEntry, direction: "income" | "expense", amount: number) =>
    lines.push({
      transfer_id: e.transfer_id,
      direction,
      amount,
      code: e.code,
      reference_id: e.reference_id,
      balance: e.balance - held,
      created_at: e.created_at,
    });
  for (const e of entries) {
    if (e.kind === "pending" && e.code === WITHDRAWAL_CODES.held) {
      held += e.amount;
      line(e, "expense", e.amount);
    } else if (e.kind === "post_pending" && e.code === WITHDRAWAL_CODES.paid) {
      // Shown as an expense when it was requested; paying it changes nothing for the merchant.
      held -= e.amount;
    } else if (e.kind === "void_pending" && e.code === WITHDRAWAL_CODES.rejected) {
      held -= e.amount;
      line(e, "income", e.amount);
    } else if (e.posted_change !== 0) {
      line(e, e.posted_change > 0 ? "income" : "expense", Math.abs(e.posted_change));
    }
  }
  return lines;
}

/**
 * The transfers that are lines of the ledger, as `ledgerLines` decides (a held withdrawal, a
 * rejected one coming back, any other change to the posted balance; a paid withdrawal is not):
 * the two must agree, so an export is refused or run on the number of lines it writes.
 */
const IS_LINE = sql<boolean>`((kind = 'pending' and code = ${WITHDRAWAL_CODES.held})
  or (kind = 'void_pending' and code = ${WITHDRAWAL_CODES.rejected})
  or (kind in ('posted', 'post_pending') and amount <> 0
      and not (kind = 'post_pending' and code = ${WITHDRAWAL_CODES.paid})))`;

/** How many lines the account ledger has in the range (all pages of `accountLedgerPage`). */
export function countAccountLedgerLines(
  trx: Tx,
  account: AccountRow,
  range: { created_gte?: Date; created_lt?: Date },
): Promise<number> {
  return countTransfers(trx, account.tenant_id, { ...range, account_id: account.ledger_account_id }, IS_LINE);
}

/** Statement entries read per step while filling a page (freezes and releases are skipped). */
const STEP = 100;

/**
 * One page of the account ledger (keyset by transfer id, oldest first). Entries that are not
 * lines (a freeze, a paid withdrawal) are skipped and reading goes on until the page is full,
 * so a page ends on a line and its last transfer id is the next cursor.
 */
export async function accountLedgerPage(
  trx: Tx,
  account: AccountRow,
  query: { limit: number; starting_after?: string; created_gte?: Date; created_lt?: Date },
) {
  const lines: AccountLedgerLine[] = [];
  let after = query.starting_after;
  let more = true;
  while (lines.length < query.limit && more) {
    const page = await statement(trx, account.tenant_id, account.ledger_account_id, {
      ...query,
      limit: Math.max(query.limit, STEP),
      starting_after: after,
    });
    const entries = page?.entries ?? [];
    lines.push(...(await ledgerLines(trx, account, entries)));
    more = (page?.has_more ?? false) && entries.length > 0;
    after = entries[entries.length - 1]?.transfer_id;
  }
  return { lines: lines.slice(0, query.limit), hasMore: more || lines.length > query.limit };
}
