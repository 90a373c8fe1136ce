import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { merchantInScope } from "./deposits.repository.js";

export interface BankBindingInput {
  companyName: string;
  bankName: string;
  branch: string;
  accountNumber: string;
  status: "effective" | "ineffective";
}

/** Binds or changes the merchant's wire-transfer bank account (audited with before/after). */
export async function setBankBinding(
  trx: Tx,
  context: RequestContext,
  merchantId: string,
  input: BankBindingInput,
  now: Date,
) {
  const merchant = await merchantInScope(trx, context.actor, merchantId);
  const tenantId = context.actor.tenantId;
  const before = await trx
    .selectFrom("deposit_bank_bindings")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("merchant_id", "=", merchant.id)
    .forUpdate()
    .executeTakeFirst();
  const values = {
    company_name: input.companyName.trim(),
    bank_name: input.bankName.trim(),
    branch: input.branch.trim(),
    account_number: input.accountNumber.trim(),
    status: input.status,
    updated_at: now,
  };
  const after = await trx
    .insertInto("deposit_bank_bindings")
    .values({ tenant_id: tenantId, merchant_id: merchant.id, ...values, created_at: now })
    .onConflict((oc) => oc.columns(["tenant_id", "merchant_id"]).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  const fields = ["company_name", "bank_name", "branch", "account_number", "status"] as const;
  await recordAudit(
    trx,
    context,
    {
      action: before ? "deposit_bank_binding.changed" : "deposit_bank_binding.bound",
      targetType: "org_unit",
      targetId: merchant.id,
      summary: before ? changeSummary(before, after, [...fields]) : { after: values },
    },
    now,
  );
  return after;
}
