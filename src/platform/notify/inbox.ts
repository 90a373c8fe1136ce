import type { QueryCreator } from "kysely";
import { appendRow, type RowTarget, type Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { newId } from "../../shared/ids.js";
import "./notify.schema.js";

/** Messages for every staff member of the tenant (API keys and users alike). */
export const TENANT_INBOX = "tenant";

export interface InboxMessageInput {
  tenantId: string;
  recipient: string;
  noticeType: string;
  title: string;
  body: string;
  data?: Record<string, unknown>;
}

/** Stores an in-app message in the caller's transaction; returns its id (`msg_…`). */
export async function postInbox(target: RowTarget, input: InboxMessageInput, now: Date): Promise<string> {
  const id = newId("msg");
  await appendRow(target, "inbox_messages", {
    tenant_id: input.tenantId,
    id,
    recipient: input.recipient,
    notice_type: input.noticeType,
    title: input.title,
    body: input.body,
    data: JSON.stringify(input.data ?? {}),
    read_at: null,
    created_at: now,
  });
  return id;
}

/** The recipients an actor reads: itself and the tenant-wide inbox. */
export function inboxRecipients(actorId: string): string[] {
  return [actorId, TENANT_INBOX];
}

/** How many of the recipients' messages are unread: one row, its `n`. */
export function unreadCountQuery(qc: QueryCreator<DB>, tenantId: string, recipients: string[]) {
  return qc
    .selectFrom("inbox_messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("recipient", "in", recipients)
    .where("read_at", "is", null);
}

export async function unreadCount(trx: Tx, tenantId: string, recipients: string[]): Promise<number> {
  const row = await unreadCountQuery(trx, tenantId, recipients).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Marks messages read (only the actor's own); returns how many changed. */
export async function markRead(
  trx: Tx,
  tenantId: string,
  recipients: string[],
  ids: string[] | "all",
  now: Date,
): Promise<number> {
  let query = trx
    .updateTable("inbox_messages")
    .set({ read_at: now })
    .where("tenant_id", "=", tenantId)
    .where("recipient", "in", recipients)
    .where("read_at", "is", null);
  if (ids !== "all") {
    if (ids.length === 0) return 0;
    query = query.where("id", "in", ids);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
