import { expectTransfers } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { assertIssuable, validityWindow } from "./voucher-rules.js";
import { VouchersError } from "./vouchers.errors.js";
import { emitVoucherEvent } from "./vouchers.events.js";
import { accountIds, openAccount, type UnitOfWork } from "./vouchers.ledger.js";
import { loadTemplate, unitInScope, type VoucherRow } from "./vouchers.repository.js";

/** At most this many customers per issuance call. */
export const MAX_ISSUE_RECIPIENTS = 100;

export interface IssueRecipient {
  customerId: string;
  /** Defaults to the template's face amount. */
  amount?: number;
}

/**
 * Issues one voucher per recipient from a template, all or none. A reseller's
 * (customer_discount) vouchers are funded from its quota account, so the ledger refuses
 * the whole call with `quota_exceeded` once the quota would go below zero, whatever the
 * concurrency; a distributor's product_trial vouchers are funded by the distributor.
 * No approval: the vouchers are usable at once (or from a fixed validity's first day).
 */
export async function issueVouchers(
  uow: UnitOfWork,
  context: RequestContext,
  input: { templateId: string; recipients: IssueRecipient[]; timezone: string },
  now: Date,
): Promise<VoucherRow[]> {
  const { actor } = context;
  const trx = uow.trx;
  if (input.recipients.length === 0 || input.recipients.length > MAX_ISSUE_RECIPIENTS) {
    throw new VouchersError("limit_exceeded", `Issue to 1-${MAX_ISSUE_RECIPIENTS} customers per call`);
  }
  const ids = input.recipients.map((r) => r.customerId);
  if (new Set(ids).size !== ids.length) {
    throw new VouchersError("validation_failed", "A customer appears twice in one issuance", {
      errors: [{ field: "/body/recipients", message: "customer_id must be unique" }],
    });
  }
  // Locks the template: edits wait for this issuance and then see it in use.
  const template = await loadTemplate(trx, actor, input.templateId, { forUpdate: true });
  if (template.status !== "active") throw new VouchersError("template_archived", "The template is archived");
  const window = validityWindow(
    {
      kind: template.validity_kind,
      validFrom: template.valid_from,
      validUntil: template.valid_until,
      validDays: template.valid_days,
    },
    now,
    input.timezone,
  );
  assertIssuable(window, now);

  const sourceAccount =
    template.purpose === "customer_discount"
      ? accountIds.quota(template.owner_id, template.asset)
      : await openAccount.funding(uow, template.owner_id, template.asset);
  let fundedBy: string | null = null;
  if (template.purpose === "customer_discount") {
    // Shared lock: a hand-over of the quota to another distributor waits for this issuance
    // (and sweeps what is left), or this one sees the new distributor.
    const quota = await trx
      .selectFrom("voucher_quotas")
      .select("distributor_id")
      .where("tenant_id", "=", actor.tenantId)
      .where("reseller_id", "=", template.owner_id)
      .where("asset", "=", template.asset)
      .forShare()
      .executeTakeFirst();
    if (!quota)
      throw new VouchersError("quota_exceeded", `The reseller has no ${template.asset} voucher quota`);
    // All the quota holds is its distributor's: a hand-over returns the rest to the old one.
    fundedBy = quota.distributor_id;
  }

  const customers = [];
  for (const recipient of input.recipients) {
    const customer = await unitInScope(trx, actor, recipient.customerId, "customer");
    // A reseller issues to its own customers only; a distributor to customers below it.
    if (!customer.path.startsWith(template.owner_path)) {
      throw new VouchersError("customer_not_found", "Customer not found");
    }
    if (customer.kind !== "customer")
      throw new VouchersError("not_a_customer", `${customer.id} is not a customer`);
    customers.push({ customer, amount: recipient.amount ?? template.face_amount });
  }

  const batchId = newId("vib");
  const rows: VoucherRow[] = [];
  for (const { customer, amount } of customers) {
    const id = newId("vch");
    const accountId = await openAccount.voucher(uow, id, template.asset);
    rows.push({
      tenant_id: actor.tenantId,
      id,
      template_id: template.id,
      purpose: template.purpose,
      issuer_id: template.owner_id,
      customer_id: customer.id,
      member_id: null,
      face_amount: amount,
      asset: template.asset,
      scope_kind: template.scope_kind,
      product_codes: template.product_codes,
      min_bill_amount: template.min_bill_amount,
      starts_at: window.startsAt,
      expires_at: window.expiresAt,
      state: "active",
      account_id: accountId,
      source_account_id: sourceAccount,
      funded_by: fundedBy,
      issued_by: `${actor.type}:${actor.id}`,
      issue_batch_id: batchId,
      withdrawn_at: null,
      withdrawn_by: null,
      expired_at: null,
      created_at: now,
    });
  }
  const results = await uow.transfers(
    rows.map((row) => ({
      id: `tr_${row.id}_issue`,
      debit_account_id: sourceAccount,
      credit_account_id: row.account_id!,
      amount: row.face_amount,
      code: "voucher_issue",
      reference_module: "vouchers",
      reference_id: row.id,
    })),
  );
  expectTransfers(results, {
    insufficient_funds: () =>
      new VouchersError("quota_exceeded", "The issuance exceeds the reseller's available voucher quota"),
  });
  await trx
    .insertInto("vouchers")
    .values(rows.map((row) => ({ ...row, product_codes: JSON.stringify(row.product_codes) })))
    .execute();
  await trx
    .updateTable("voucher_templates")
    .set((eb) => ({ issued_count: eb("issued_count", "+", rows.length) }))
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", template.id)
    .execute();
  for (const row of rows) {
    await recordAudit(
      uow,
      context,
      {
        action: "voucher.issued",
        targetType: "voucher",
        targetId: row.id,
        summary: {
          template_id: template.id,
          customer_id: row.customer_id,
          amount: row.face_amount,
          asset: row.asset,
          batch_id: batchId,
        },
      },
      now,
    );
    await emitVoucherEvent(
      uow,
      actor.tenantId,
      "voucher.issued",
      {
        voucher_id: row.id,
        customer_id: row.customer_id,
        asset: row.asset,
        template_id: row.template_id,
        purpose: row.purpose,
        amount: row.face_amount,
        expires_at: row.expires_at.toISOString(),
      },
      now,
    );
  }
  return rows;
}
