import type { Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { tenantZone } from "../../platform/tenants.js";
import { newId } from "../../shared/ids.js";
import { invoiceCutoff, invoiceNetAllowed, invoiceTotals, MAX_MAIL_ADDRESSES } from "./deposit-rules.js";
import { DepositsError } from "./deposits.errors.js";
import {
  type AccountRow,
  assertPlatform,
  type DepositInvoiceProfilesTable,
  type DepositInvoiceRequestsTable,
  type DepositMailAddressesTable,
  type EntryRow,
  loadAccount,
  loadSettings,
} from "./deposits.repository.js";

export type ProfileRow = Selectable<DepositInvoiceProfilesTable>;
export type AddressRow = Selectable<DepositMailAddressesTable>;
export type InvoiceRequestRow = Selectable<DepositInvoiceRequestsTable>;

/** Transactions one invoice request may cover; narrow the time range for more. */
export const MAX_INVOICE_ENTRIES = 10_000;

export interface ProfileInput {
  companyAddress?: string;
  companyPhone?: string;
  bankName?: string;
  bankAccount?: string;
  taxId?: string;
}

async function bindingName(trx: Tx, account: AccountRow): Promise<string> {
  const binding = await trx
    .selectFrom("deposit_bank_bindings")
    .select("company_name")
    .where("tenant_id", "=", account.tenant_id)
    .where("merchant_id", "=", account.merchant_id)
    .executeTakeFirstOrThrow();
  return binding.company_name;
}

export async function loadProfile(trx: Tx, account: AccountRow): Promise<ProfileRow | undefined> {
  return trx
    .selectFrom("deposit_invoice_profiles")
    .selectAll()
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .executeTakeFirst();
}

/**
 * The invoice qualification: tax rate and company name come from the account (settings and
 * bank binding); the merchant completes address, phone, bank, account and tax id. Editing a
 * submitted or decided qualification returns it to `draft`.
 */
export async function saveProfile(
  trx: Tx,
  context: RequestContext,
  accountId: string,
  input: ProfileInput,
  now: Date,
): Promise<ProfileRow> {
  const account = await loadAccount(trx, context.actor, accountId, { lock: true });
  const settings = await loadSettings(trx, account.tenant_id, now);
  const values = {
    company_name: await bindingName(trx, account),
    tax_rate_bps: settings.tax_rate_bps,
    ...(input.companyAddress !== undefined ? { company_address: input.companyAddress } : {}),
    ...(input.companyPhone !== undefined ? { company_phone: input.companyPhone } : {}),
    ...(input.bankName !== undefined ? { bank_name: input.bankName } : {}),
    ...(input.bankAccount !== undefined ? { bank_account: input.bankAccount } : {}),
    ...(input.taxId !== undefined ? { tax_id: input.taxId } : {}),
    status: "draft" as const,
    reject_reason: null,
    updated_at: now,
  };
  const row = await trx
    .insertInto("deposit_invoice_profiles")
    .values({ tenant_id: account.tenant_id, account_id: account.id, ...values, created_at: now })
    .onConflict((oc) => oc.columns(["tenant_id", "account_id"]).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_invoice_profile.saved",
      targetType: "deposit_account",
      targetId: account.id,
      summary: { ...input },
    },
    now,
  );
  return row;
}

export const PROFILE_ACTIONS = ["submit", "verify", "reject"] as const;
export type ProfileAction = (typeof PROFILE_ACTIONS)[number];

/** submit (merchant: complete → verifying); verify / reject (platform finance: verifying → …). */
export async function decideProfile(
  trx: Tx,
  context: RequestContext,
  accountId: string,
  action: ProfileAction,
  reason: string | null,
  now: Date,
): Promise<ProfileRow> {
  if (action !== "submit") assertPlatform(context.actor);
  const account = await loadAccount(trx, context.actor, accountId, { lock: true });
  const profile = await loadProfile(trx, account);
  if (!profile) throw new DepositsError("profile_incomplete", "Complete the invoice qualification first");
  const from = action === "submit" ? ["draft", "rejected"] : ["verifying"];
  if (!from.includes(profile.status)) {
    throw new DepositsError("profile_state", `A ${profile.status} qualification cannot be ${action}ed`);
  }
  if (action === "submit") {
    const missing = (
      ["company_address", "company_phone", "bank_name", "bank_account", "tax_id"] as const
    ).filter((f) => !profile[f]);
    if (missing.length > 0) {
      throw new DepositsError("profile_incomplete", `Complete ${missing.join(", ")} before submitting`);
    }
  }
  if (action === "reject" && !reason)
    throw new DepositsError("validation_failed", "A rejection needs a reason");
  const status = ({ submit: "verifying", verify: "verified", reject: "rejected" } as const)[action];
  const row = await trx
    .updateTable("deposit_invoice_profiles")
    .set({ status, reject_reason: action === "reject" ? reason : null, updated_at: now })
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: `deposit_invoice_profile.${status}`,
      targetType: "deposit_account",
      targetId: account.id,
      summary: { before: profile.status, after: status, reason },
    },
    now,
  );
  return row;
}

/** A mailing address for paper invoices; at most 3 per account. */
export async function addAddress(
  trx: Tx,
  context: RequestContext,
  accountId: string,
  input: { recipient: string; phone: string; address: string },
  now: Date,
): Promise<AddressRow> {
  const account = await loadAccount(trx, context.actor, accountId, { lock: true });
  const count = await trx
    .selectFrom("deposit_mail_addresses")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_MAIL_ADDRESSES) {
    throw new DepositsError(
      "too_many_addresses",
      `At most ${MAX_MAIL_ADDRESSES} mailing addresses; remove one first`,
    );
  }
  const row = await trx
    .insertInto("deposit_mail_addresses")
    .values({
      tenant_id: account.tenant_id,
      id: newId("dad"),
      account_id: account.id,
      ...input,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_mail_address.added",
      targetType: "deposit_account",
      targetId: account.id,
      summary: { ...input },
    },
    now,
  );
  return row;
}

export async function removeAddress(
  trx: Tx,
  context: RequestContext,
  accountId: string,
  addressId: string,
  now: Date,
): Promise<void> {
  const account = await loadAccount(trx, context.actor, accountId, { lock: true });
  const removed = await trx
    .deleteFrom("deposit_mail_addresses")
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .where("id", "=", addressId)
    .executeTakeFirst();
  if (Number(removed.numDeletedRows) === 0) throw new DepositsError("address_not_found", "Address not found");
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_mail_address.removed",
      targetType: "deposit_account",
      targetId: account.id,
      summary: { id: addressId },
    },
    now,
  );
}

export interface CandidateFilter {
  type?: "settle" | "settled_refund";
  createdGte?: Date;
  createdLt?: Date;
}

/**
 * Invoice candidates: settlements and settled refunds at least 15 days old (tenant calendar)
 * not yet invoiced, within the filter. The merchant takes all of them (no picking).
 */
export async function candidates(
  trx: Tx,
  account: AccountRow,
  filter: CandidateFilter,
  now: Date,
  options: { lock?: boolean; limit?: number } = {},
): Promise<EntryRow[]> {
  let q = (await candidateQuery(trx, account, filter, now)).selectAll();
  q = q.orderBy("id").limit((options.limit ?? MAX_INVOICE_ENTRIES) + 1);
  if (options.lock) q = q.forUpdate();
  return q.execute();
}

/**
 * Every candidate of the filter counted and summed, however many: what a request for them would
 * take, though one request takes at most MAX_INVOICE_ENTRIES.
 */
export async function candidateTotals(
  trx: Tx,
  account: AccountRow,
  filter: CandidateFilter,
  now: Date,
): Promise<{ count: number; settled: number; refunded: number; net: number }> {
  const row = await (await candidateQuery(trx, account, filter, now))
    .select((eb) => [
      eb.fn.countAll<string>().as("count"),
      eb.fn
        .sum<string | null>(eb.case().when("type", "=", "settle").then(eb.ref("amount")).else(0).end())
        .as("settled"),
      eb.fn
        .sum<string | null>(
          eb.case().when("type", "=", "settled_refund").then(eb.ref("amount")).else(0).end(),
        )
        .as("refunded"),
    ])
    .executeTakeFirstOrThrow();
  const settled = Number(row.settled ?? 0);
  const refunded = Number(row.refunded ?? 0);
  return { count: Number(row.count), settled, refunded, net: settled - refunded };
}

async function candidateQuery(trx: Tx, account: AccountRow, filter: CandidateFilter, now: Date) {
  const settings = await loadSettings(trx, account.tenant_id, now);
  const cutoff = invoiceCutoff(now, settings.invoice_wait_days, await tenantZone(trx, account.tenant_id));
  let q = trx
    .selectFrom("deposit_entries")
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .where("type", "in", filter.type ? [filter.type] : ["settle", "settled_refund"])
    .where("invoice_request_id", "is", null)
    .where("created_at", "<=", cutoff);
  if (filter.createdGte) q = q.where("created_at", ">=", filter.createdGte);
  if (filter.createdLt) q = q.where("created_at", "<", filter.createdLt);
  return q;
}

/**
 * Requests an invoice for every candidate of the filter: only with a verified qualification and
 * a chosen address, and only when the net (settled − settled refunds) reaches the tenant's
 * minimum (100.00 by default). Each transaction is invoiced at most once.
 */
export async function requestInvoice(
  trx: Tx,
  context: RequestContext,
  accountId: string,
  input: { addressId: string; filter: CandidateFilter },
  now: Date,
): Promise<InvoiceRequestRow> {
  const account = await loadAccount(trx, context.actor, accountId, { lock: true });
  const profile = await loadProfile(trx, account);
  if (profile?.status !== "verified") {
    throw new DepositsError("profile_not_verified", "The invoice qualification must be verified first");
  }
  const address = await trx
    .selectFrom("deposit_mail_addresses")
    .selectAll()
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .where("id", "=", input.addressId)
    .executeTakeFirst();
  if (!address) throw new DepositsError("address_not_found", "Address not found");
  const entries = await candidates(trx, account, input.filter, now, { lock: true });
  if (entries.length === 0)
    throw new DepositsError("no_invoice_candidates", "No transaction of this filter can be invoiced yet");
  if (entries.length > MAX_INVOICE_ENTRIES) {
    throw new DepositsError(
      "validation_failed",
      `At most ${MAX_INVOICE_ENTRIES} transactions per request; narrow the time range`,
    );
  }
  const totals = invoiceTotals(entries);
  const settings = await loadSettings(trx, account.tenant_id, now);
  if (!invoiceNetAllowed(totals.net, settings.invoice_min_net_amount)) {
    throw new DepositsError(
      "invoice_below_minimum",
      `The net amount ${totals.net} must be greater than ${settings.invoice_min_net_amount}`,
    );
  }
  const id = newId("dir");
  const row = await trx
    .insertInto("deposit_invoice_requests")
    .values({
      tenant_id: account.tenant_id,
      id,
      account_id: account.id,
      status: "requested",
      settled_amount: totals.settled,
      refunded_amount: totals.refunded,
      net_amount: totals.net,
      entry_count: entries.length,
      profile: JSON.stringify(profile),
      address: JSON.stringify({
        recipient: address.recipient,
        phone: address.phone,
        address: address.address,
      }),
      filter: JSON.stringify({
        type: input.filter.type ?? null,
        created_gte: input.filter.createdGte?.toISOString() ?? null,
        created_lt: input.filter.createdLt?.toISOString() ?? null,
      }),
      invoice_number: null,
      tracking_number: null,
      reject_reason: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const marked = await trx
    .updateTable("deposit_entries")
    .set({ invoice_request_id: id })
    .where("tenant_id", "=", account.tenant_id)
    .where(
      "id",
      "in",
      entries.map((e) => e.id),
    )
    .where("invoice_request_id", "is", null)
    .executeTakeFirst();
  if (Number(marked.numUpdatedRows) !== entries.length)
    throw new Error("invoice candidates changed under the lock");
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_invoice.requested",
      targetType: "deposit_invoice_request",
      targetId: id,
      summary: { account_id: account.id, net_amount: totals.net, entries: entries.length },
    },
    now,
  );
  return row;
}

export const INVOICE_ACTIONS = ["issue", "mail", "reject"] as const;
export type InvoiceAction = (typeof INVOICE_ACTIONS)[number];

/** Platform finance: requested → issued (invoice number) → mailed (tracking number), or rejected. */
export async function decideInvoice(
  trx: Tx,
  context: RequestContext,
  requestId: string,
  action: InvoiceAction,
  input: { invoiceNumber?: string; trackingNumber?: string; reason?: string },
  now: Date,
): Promise<InvoiceRequestRow> {
  assertPlatform(context.actor);
  const tenantId = context.actor.tenantId;
  const current = await trx
    .selectFrom("deposit_invoice_requests")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", requestId)
    .forUpdate()
    .executeTakeFirst();
  if (!current) throw new DepositsError("invoice_not_found", "Invoice request not found");
  const rule = {
    issue: { from: "requested", to: "issued", needs: input.invoiceNumber },
    mail: { from: "issued", to: "mailed", needs: input.trackingNumber },
    reject: { from: "requested", to: "rejected", needs: input.reason },
  }[action];
  if (current.status !== rule.from) {
    throw new DepositsError("invoice_state", `A ${current.status} invoice request cannot be ${rule.to}`);
  }
  if (!rule.needs) {
    throw new DepositsError(
      "validation_failed",
      {
        issue: "invoice_number is required",
        mail: "tracking_number is required",
        reject: "reason is required",
      }[action],
    );
  }
  const row = await trx
    .updateTable("deposit_invoice_requests")
    .set({
      status: rule.to as InvoiceRequestRow["status"],
      ...(action === "issue" ? { invoice_number: input.invoiceNumber } : {}),
      ...(action === "mail" ? { tracking_number: input.trackingNumber } : {}),
      ...(action === "reject" ? { reject_reason: input.reason } : {}),
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (action === "reject") {
    // A rejected request frees its transactions for a new request.
    await trx
      .updateTable("deposit_entries")
      .set({ invoice_request_id: null })
      .where("tenant_id", "=", tenantId)
      .where("invoice_request_id", "=", current.id)
      .execute();
  }
  await recordAudit(
    trx,
    context,
    {
      action: `deposit_invoice.${rule.to}`,
      targetType: "deposit_invoice_request",
      targetId: current.id,
      summary: { ...input },
    },
    now,
  );
  return row;
}
