import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { DepositsError } from "./deposits.errors.js";
import { merchantInScope } from "./deposits.repository.js";

export interface BankBindingInput {
  companyName: string;
  bankName: string;
  branch: string;
  accountNumber: string;
  status: "effective" | "ineffective";
}

/** The index that keeps an effectively bound company name to one merchant (migration 1665). */
const NAME_KEY_INDEX = "deposit_bank_bindings_company_key";

/** Bank records and bindings compare company names by this key (see migration 1665). */
export const companyKey = (name: unknown) => sql<string>`deposit_company_key(${name})`;

const nameTaken = (companyName: string) =>
  new DepositsError(
    "bank_binding_name_taken",
    `Another merchant has bound the company name "${companyName}"; ask the platform if it is yours`,
    { errors: [{ field: "/body/company_name", message: "bound by another merchant" }] },
  );

/**
 * Binds or changes the merchant's wire-transfer bank account (audited with before/after).
 * Wires are credited by payer name, so an effective binding's company name (compared by
 * `deposit_company_key`: width, case and spacing aside) may not be another merchant's of the
 * tenant: `bank_binding_name_taken`, nothing written. The database's unique index decides
 * between two merchants binding it at once. A change clears the mark the migration left on a
 * name already shared.
 */
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
    legacy_duplicate_name: false,
    updated_at: now,
  };
  if (input.status === "effective") {
    const other = await trx
      .selectFrom("deposit_bank_bindings")
      .select("merchant_id")
      .where("tenant_id", "=", tenantId)
      .where("merchant_id", "<>", merchant.id)
      .where("status", "=", "effective")
      .where(companyKey(sql.ref("company_name")), "=", companyKey(values.company_name))
      .executeTakeFirst();
    if (other) throw nameTaken(values.company_name);
  }
  const after = await trx
    .insertInto("deposit_bank_bindings")
    .values({ tenant_id: tenantId, merchant_id: merchant.id, ...values, created_at: now })
    .onConflict((oc) => oc.columns(["tenant_id", "merchant_id"]).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch((error: { code?: string; constraint?: string }) => {
      // Another merchant bound it meanwhile and committed first.
      if (error.code === "23505" && error.constraint === NAME_KEY_INDEX) throw nameTaken(values.company_name);
      throw error;
    });
  const fields = ["company_name", "bank_name", "branch", "account_number", "status"] as const;
  const { legacy_duplicate_name: _cleared, ...bound } = values;
  await recordAudit(
    trx,
    context,
    {
      action: before ? "deposit_bank_binding.changed" : "deposit_bank_binding.bound",
      targetType: "org_unit",
      targetId: merchant.id,
      summary: before ? changeSummary(before, after, [...fields]) : { after: bound },
    },
    now,
  );
  return after;
}
