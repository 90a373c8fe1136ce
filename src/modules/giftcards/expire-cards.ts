import { sql } from "kysely";
import type { Database } from "../../db/database.js";
import { liveTenantOnly } from "../../db/sandbox.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { type RequestContext, systemActor } from "../../platform/auth/actor.js";
import { cardBalance, moveValue, openSystemAccount, type UnitOfWork } from "./giftcards.ledger.js";
import { type ActivityRow, type CardRow, updateCard } from "./giftcards.repository.js";
import { newActivityId, recordActivity } from "./record-activity.js";

/** One unit of work expires at most this many cards; the next takes the rest. */
export const EXPIRY_BATCH = 200;

/**
 * Expires a tenant's cards whose expiry has passed at `now` (active and frozen alike: the
 * expiry is a term of the card). The remaining balance goes to the breakage account and is
 * recorded as an EXPIRE activity; the card account is closed. Rows another run holds are
 * skipped, so runs may overlap. Redemptions refuse a card past its expiry even before this.
 */
export async function expireCards(uow: UnitOfWork, now: Date, limit = EXPIRY_BATCH) {
  const context = { actor: systemActor(uow.tenantId, "giftcards.expire"), requestId: null };
  const due = (await uow.trx
    .selectFrom("gift_cards")
    .selectAll()
    .where("tenant_id", "=", uow.tenantId)
    .where("status", "in", ["active", "frozen"])
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .orderBy("id")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()) as CardRow[];
  const expired: { cardId: string; breakage: number }[] = [];
  for (const card of due) {
    const { activity } = await expireCard(uow, context, card, now);
    expired.push({ cardId: card.id, breakage: activity.amount });
  }
  return expired;
}

/**
 * Expires one card the caller holds locked: its rest goes to breakage as an EXPIRE activity
 * of the expiry job's actor (`context` carries the request it happens in), the account
 * closes, and the card is `expired`. The job runs it for cards past their expiry; restoring a
 * frozen card past its expiry runs it too, so the card is left as the job would leave it.
 */
export async function expireCard(
  uow: UnitOfWork,
  context: RequestContext,
  card: CardRow,
  now: Date,
): Promise<{ card: CardRow; activity: ActivityRow }> {
  const account = card.account_id!;
  // The ledger refuses debits of an expired or frozen account: lift both to move the rest out.
  const opened = await uow.updateAccount(account, { expires_at: null, frozen_debits: false });
  if (!opened.ok) throw new Error(`ledger refused to reopen ${account}: ${opened.code}`);
  const balance = await cardBalance(uow, account);
  const breakage = await openSystemAccount(uow, "breakage", card.asset);
  const id = newActivityId();
  await moveValue(uow, { id, cardId: card.id }, [
    { debit_account_id: account, credit_account_id: breakage, amount: balance, code: "gift_card_breakage" },
  ]);
  const closed = await uow.updateAccount(account, { closed: true });
  if (!closed.ok) throw new Error(`ledger refused to close ${account}: ${closed.code}`);
  const updated = await updateCard(uow.trx, uow.tenantId, card.id, {
    status: "expired",
    closed_at: now,
    updated_at: now,
  });
  const job = { actor: systemActor(uow.tenantId, "giftcards.expire"), requestId: context.requestId };
  const activity = await recordActivity(
    uow,
    job,
    updated,
    { id, type: "EXPIRE", amount: balance, balanceAfter: 0 },
    now,
  );
  return { card: updated, activity };
}

/**
 * Online sales whose payment window closed unpaid: the payment is `expired` and its card
 * `cancelled` (it never held value), audited as the job's. A success arriving later activates
 * the card then, or keeps it `refund_due` (activate-late-sale.ts); both lock the payment row
 * first, so the job skips a payment being confirmed and a confirmation waits for the job.
 */
export async function expireOnlineSales(uow: UnitOfWork, now: Date, limit = EXPIRY_BATCH): Promise<number> {
  const context = { actor: systemActor(uow.tenantId, "giftcards.expire"), requestId: null };
  const due = await uow.trx
    .selectFrom("gift_card_payments")
    .select(["id", "card_id"])
    .where("tenant_id", "=", uow.tenantId)
    .where("status", "=", "pending")
    .where("expires_at", "<=", now)
    .orderBy("expires_at")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  for (const p of due) {
    await uow.trx
      .updateTable("gift_card_payments")
      .set({ status: "expired", completed_at: now })
      .where("tenant_id", "=", uow.tenantId)
      .where("id", "=", p.id)
      .execute();
    await updateCard(uow.trx, uow.tenantId, p.card_id, {
      status: "cancelled",
      closed_at: now,
      updated_at: now,
    });
    // As a failed payment's cancellation is (confirmOnlineSale): the card changed, so it is audited.
    await recordAudit(
      uow,
      context,
      {
        action: "gift_card.online_sale_cancelled",
        targetType: "gift_card",
        targetId: p.card_id,
        summary: { payment_id: p.id, outcome: "expired" },
      },
      now,
    );
  }
  return due.length;
}

/** Tenants with cards or online sales due (the job's fan-out; crosses tenants, reads ids only). */
export async function tenantsWithDueCards(db: Database, now: Date): Promise<string[]> {
  return db.systemTx(async (trx) => {
    const result = await sql<{ tenant_id: string }>`
      select tenant_id from gift_cards g where status in ('active', 'frozen') and expires_at <= ${now}
        and ${liveTenantOnly("g.tenant_id")}
      union
      select tenant_id from gift_card_payments p where status = 'pending' and expires_at <= ${now}
        and ${liveTenantOnly("p.tenant_id")}
      limit 1000`.execute(trx);
    return result.rows.map((r) => r.tenant_id);
  });
}
