import { DateTime } from "luxon";
import type { AppDeps } from "../../app-types.js";
import type { Database, Tx } from "../../db/database.js";
import { type NoticeDefinition, noticeDefinition } from "../../platform/notify/notices.js";
import { type Notifier, takeCap } from "../../platform/notify/notifier.js";
import { newId } from "../../shared/ids.js";
import { formatMinor } from "../../shared/money.js";
import type { AccountRow, NoticeDelivery } from "./deposits.repository.js";

/**
 * Notices of the circuit breaker, the balance warning and a campaign's start. The decision and its record
 * (a `deposit_notices` row; for warnings, the platform's daily cap counter) commit with the
 * change that caused them; delivery by email, SMS and in-app inbox happens after commit.
 */
export type NoticeKind = "suspended" | "resumed" | "warning" | "started";

/** The platform's capped notice type: at most 4 a day per account in the tenant's calendar. */
export const WARNING_CAP_TYPE = "deposit.balance_low";
export const WARNINGS_PER_DAY = noticeDefinition(WARNING_CAP_TYPE)?.cap?.max ?? 4;

const NOTICE_TYPES: Record<NoticeKind, string> = {
  suspended: "deposit.campaigns_suspended",
  resumed: "deposit.campaigns_resumed",
  warning: "deposit.balance_warning",
  started: "deposit.campaign_started",
};

/** The notices the deposits module sends (its manifest declares them). */
export const DEPOSIT_NOTICES: NoticeDefinition[] = [
  {
    type: NOTICE_TYPES.suspended,
    description:
      "A deposit account's available balance fell below the suspension threshold: campaigns suspended",
    templates: {
      en: {
        subject: "Campaigns suspended",
        body: "Available balance {{available}} is below {{threshold}}: {{count}} campaigns are suspended until you top up.",
      },
      "zh-CN": {
        subject: "活动已中止",
        body: "可用余额 {{available}} 低于 {{threshold}}，{{count}} 个活动已中止，请尽快充值。",
      },
    },
  },
  {
    type: NOTICE_TYPES.resumed,
    description:
      "A deposit account's available balance is above the suspension threshold again: campaigns resumed",
    templates: {
      en: {
        subject: "Campaigns resumed",
        body: "Available balance {{available}} is above {{threshold}}: {{count}} campaigns are running again.",
      },
      "zh-CN": {
        subject: "活动已恢复",
        body: "可用余额 {{available}} 已高于 {{threshold}}，{{count}} 个活动已恢复。",
      },
    },
  },
  {
    type: NOTICE_TYPES.warning,
    description:
      "A deposit account's available balance is below its warning value (delivery of deposit.balance_low)",
    templates: {
      en: {
        subject: "Deposit balance low",
        body: "Available balance {{available}} is below your warning value {{threshold}}. Please top up.",
      },
      "zh-CN": {
        subject: "预存账户余额不足",
        body: "可用余额 {{available}} 已低于预警值 {{threshold}}，请及时充值。",
      },
    },
  },
  {
    type: NOTICE_TYPES.started,
    description: "One of the merchant's campaigns started running (once per campaign)",
    templates: {
      en: {
        subject: "Campaign started",
        body: "Your campaign {{campaign}} has started. Available balance: {{available}}.",
      },
      "zh-CN": {
        subject: "活动已开始",
        body: "您的活动 {{campaign}} 已开始，当前可用余额 {{available}}。",
      },
    },
  },
];

export interface PendingNotice {
  /** The `deposit_notices` row: delivery claims it, so it is sent once. */
  id: string;
  kind: NoticeKind;
  tenantId: string;
  accountId: string;
  emails: string[];
  phones: string[];
  inbox: string;
  vars: Record<string, string | number>;
}

/** Start of the tenant's calendar day containing `now` (the warning cap's window). */
export function dayWindowStart(now: Date, zone: string): Date {
  return DateTime.fromJSDate(now, { zone }).startOf("day").toJSDate();
}

/**
 * Takes one warning from today's allowance (atomically, in the caller's transaction):
 * false when the account already had its 4 warnings today.
 */
export async function takeWarningAllowance(
  trx: Tx,
  tenantId: string,
  accountId: string,
  now: Date,
  zone: string,
): Promise<boolean> {
  return takeCap(trx, tenantId, accountId, WARNING_CAP_TYPE, dayWindowStart(now, zone), WARNINGS_PER_DAY);
}

/**
 * Records a notice decision in the transaction, with what it will send: the row is the
 * notice's outbox entry. Returns what to deliver after commit.
 */
export async function recordNotice(
  trx: Tx,
  account: AccountRow,
  kind: NoticeKind,
  amounts: { available: number; threshold: number; count?: number },
  now: Date,
  campaign?: { id: string; name: string },
): Promise<PendingNotice> {
  const recipients = [...account.warning_emails, ...account.warning_phones, account.opener_inbox];
  const delivery: NoticeDelivery = {
    emails: account.warning_emails,
    phones: account.warning_phones,
    inbox: account.opener_inbox,
    vars: {
      available: formatMinor(amounts.available, 2),
      threshold: formatMinor(amounts.threshold, 2),
      count: amounts.count ?? 0,
      ...(campaign ? { campaign: campaign.name } : {}),
    },
  };
  const id = newId("dnt");
  await trx
    .insertInto("deposit_notices")
    .values({
      tenant_id: account.tenant_id,
      id,
      account_id: account.id,
      kind,
      campaign_id: campaign?.id ?? null,
      available: amounts.available,
      recipients: JSON.stringify(recipients),
      delivery: JSON.stringify(delivery),
      delivered_at: null,
      claimed_until: null,
      created_at: now,
    })
    .execute();
  return { id, kind, tenantId: account.tenant_id, accountId: account.id, ...delivery };
}

/** The notifier, when the process has one (server, worker); tests may pass their own. */
export function notifierOf(deps: Pick<AppDeps, "notifier">): Notifier | undefined {
  return deps.notifier;
}

/** What delivering needs: the database (to claim each notice) and the notifier. */
export interface NoticeSender {
  db: Database;
  notifier?: Notifier | undefined;
}

/** A sender that stops while sending leaves the notice to be taken again after this long. */
export const NOTICE_CLAIM_SECONDS = 300;
/** Notices left unsent that one re-check run sends. */
export const MAX_PENDING_NOTICES_PER_RUN = 1000;

/**
 * Delivers committed notices: every email, every phone and the opener's inbox. Each notice is
 * claimed first (a conditional update of its row), so whichever sender takes it — the request
 * or import that decided it, or the re-check sending what was left — sends it once; it is
 * marked sent after the notifier has recorded each channel's outcome. Never throws: a notice it
 * could not send stays for the re-check.
 */
export async function deliverNotices(
  sender: NoticeSender,
  notices: PendingNotice[],
  now: Date,
): Promise<void> {
  const { notifier } = sender;
  if (!notifier) return;
  for (const notice of notices) {
    try {
      const claimed = await sender.db.tenantTx(notice.tenantId, (trx) =>
        trx
          .updateTable("deposit_notices")
          .set({ claimed_until: new Date(now.getTime() + NOTICE_CLAIM_SECONDS * 1000) })
          .where("tenant_id", "=", notice.tenantId)
          .where("id", "=", notice.id)
          .where("delivered_at", "is", null)
          .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<", now)]))
          .returning("id")
          .executeTakeFirst(),
      );
      if (!claimed) continue;
      await send(notifier, notice, now);
      await sender.db.tenantTx(notice.tenantId, (trx) =>
        trx
          .updateTable("deposit_notices")
          .set({ delivered_at: now, claimed_until: null })
          .where("tenant_id", "=", notice.tenantId)
          .where("id", "=", notice.id)
          .execute(),
      );
    } catch {
      // Left claimed: the re-check takes it again once the claim has lapsed.
    }
  }
}

async function send(notifier: Notifier, notice: PendingNotice, now: Date): Promise<void> {
  const type = NOTICE_TYPES[notice.kind];
  const count = Math.max(notice.emails.length, notice.phones.length, 1);
  for (let i = 0; i < count; i++) {
    const to = {
      ...(notice.emails[i] ? { email: notice.emails[i] } : {}),
      ...(notice.phones[i] ? { phone: notice.phones[i] } : {}),
      ...(i === 0 ? { inbox: notice.inbox } : {}),
    };
    if (Object.keys(to).length === 0) continue;
    await notifier
      .notify(notice.tenantId, { type, recipientKey: notice.accountId, to, vars: notice.vars }, now)
      .catch(() => {});
  }
}

/**
 * Sends the tenant's notices that were committed but never sent (their sender stopped first,
 * or had no notifier), oldest first, each once.
 */
export async function deliverPendingNotices(
  sender: NoticeSender,
  tenantId: string,
  now: Date,
  limit = MAX_PENDING_NOTICES_PER_RUN,
): Promise<number> {
  if (!sender.notifier) return 0;
  const rows = await sender.db.tenantTx(tenantId, (trx) =>
    trx
      .selectFrom("deposit_notices")
      .select(["id", "kind", "account_id", "delivery"])
      .where("tenant_id", "=", tenantId)
      .where("delivered_at", "is", null)
      .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<", now)]))
      .orderBy("created_at")
      .orderBy("id")
      .limit(limit)
      .execute(),
  );
  const notices = rows
    .filter((r) => r.delivery !== null)
    .map((r) => ({ id: r.id, kind: r.kind, tenantId, accountId: r.account_id, ...r.delivery! }));
  await deliverNotices(sender, notices, now);
  return notices.length;
}

/** A value route's `after`: the notices its operation decided, delivered once its unit committed. */
export function deliverAfterCommit(deps: Pick<AppDeps, "db" | "notifier">) {
  return (result: { notices?: PendingNotice[] }, _ctx: unknown, now: Date) =>
    deliverNotices(deps, result.notices ?? [], now);
}
