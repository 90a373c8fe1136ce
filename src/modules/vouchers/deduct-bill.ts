import { createHash } from "node:crypto";
import { sql } from "kysely";
import { expectTransfers } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import {
  type UsableVoucher as BaseUsableVoucher,
  type BillLine,
  planTieredDeductions,
} from "./deduction-plan.js";
import { VouchersError } from "./vouchers.errors.js";
import { emitVoucherEvent } from "./vouchers.events.js";
import { openAccount, postedBalance, type UnitOfWork } from "./vouchers.ledger.js";
import { assertAssetExists, lockBill, unitInScope } from "./vouchers.repository.js";

/** At most this many lines per bill, and this many of a customer's vouchers considered. */
export const MAX_BILL_LINES = 200;
export const MAX_VOUCHERS_PER_BILL = 500;

export interface BillInput {
  customerId: string;
  billId: string;
  asset: string;
  lines: BillLine[];
  /**
   * Holders whose vouchers are used after the customer's own, in this order (an enterprise
   * master's shared coupons for a member account).
   */
  sharedHolderIds?: string[];
}

export interface BillResult {
  billRef: string;
  billId: string;
  customerId: string;
  asset: string;
  totalAmount: number;
  deductedAmount: number;
  lines: {
    index: number;
    productCode: string;
    amount: number;
    deducted: number;
    deductions: { voucherId: string; amount: number }[];
  }[];
  createdAt: Date;
  /** The bill id was paid before: this is the first answer again, and nothing moved now. */
  replayed?: boolean;
}

const sha256 = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");

/**
 * What a bill id stands for: the customer, asset and lines, and whose vouchers pay after the
 * customer's own (the same bill with or without a master's shared coupons is another bill).
 */
export function billHash(input: BillInput): string {
  return sha256([
    input.customerId,
    input.asset,
    input.lines.map((l) => [l.product_code, l.amount]),
    input.sharedHolderIds ?? [],
  ]);
}

/**
 * The hash bills were stored under before the holders were part of it. Such a bill's holders
 * are unknown: it replays on its customer, asset and lines alone, as it always did.
 */
function legacyBillHash(input: BillInput): string {
  return sha256([input.customerId, input.asset, input.lines.map((l) => [l.product_code, l.amount])]);
}

/**
 * Offsets a customer's bill with its vouchers (order: see planDeductions). The bill id
 * makes it idempotent: the same bill again answers the first result; a different bill
 * under the same id (other lines, customer, asset or shared holders) is `bill_id_reused`. The customer's vouchers are locked before their
 * balances are read, so concurrent bills of one customer never spend a balance twice.
 */
export async function deductBill(
  uow: UnitOfWork,
  context: RequestContext,
  input: BillInput,
  now: Date,
): Promise<BillResult> {
  const { actor } = context;
  const trx = uow.trx;
  if (input.lines.length === 0 || input.lines.length > MAX_BILL_LINES) {
    throw new VouchersError("limit_exceeded", `A bill has 1-${MAX_BILL_LINES} lines`);
  }
  const customer = await unitInScope(trx, actor, input.customerId, "customer");
  if (customer.kind !== "customer" && customer.kind !== "member_account")
    throw new VouchersError("not_a_customer", `${customer.id} is not a customer`);
  // One bill id at a time, whatever the customer: the check below then sees every earlier one.
  await lockBill(trx, actor.tenantId, input.billId);
  const hash = billHash(input);
  const existing = await trx
    .selectFrom("voucher_bills")
    .select(["id", "request_hash"])
    .where("tenant_id", "=", actor.tenantId)
    .where("bill_id", "=", input.billId)
    .executeTakeFirst();
  if (existing) {
    if (existing.request_hash !== hash && existing.request_hash !== legacyBillHash(input)) {
      throw new VouchersError("bill_id_reused", "This bill id was already submitted with different content");
    }
    return { ...(await loadBillResult(uow, actor.tenantId, existing.id)), replayed: true };
  }
  // A bill in an asset the ledger does not have could never be offset or refunded: refuse it
  // rather than keep a bill no voucher can touch under its id.
  await assertAssetExists(trx, actor.tenantId, input.asset);

  const tiers = await usableVouchers(
    uow,
    actor.tenantId,
    [...new Set([customer.id, ...(input.sharedHolderIds ?? [])])],
    input.asset,
    now,
  );
  const usable = tiers.flat();
  const plan = planTieredDeductions(input.lines, tiers);
  const billRef = newId("vbl");
  const totalAmount = input.lines.reduce((sum, line) => sum + line.amount, 0);
  const deductedAmount = plan.reduce((sum, d) => sum + d.amount, 0);
  await trx
    .insertInto("voucher_bills")
    .values({
      tenant_id: actor.tenantId,
      id: billRef,
      bill_id: input.billId,
      customer_id: customer.id,
      asset: input.asset,
      total_amount: totalAmount,
      deducted_amount: deductedAmount,
      lines: JSON.stringify(input.lines),
      request_hash: hash,
      created_at: now,
    })
    .execute();
  if (plan.length > 0) {
    const settlement = await openAccount.settlement(uow, input.asset);
    const accountOf = new Map(usable.map((v) => [v.id, v.accountId]));
    const usages = plan.map((d) => ({ ...d, usageId: newId("vus") }));
    expectTransfers(
      await uow.transfers(
        usages.map((d) => ({
          id: `tr_${d.usageId}`,
          debit_account_id: accountOf.get(d.voucherId)!,
          credit_account_id: settlement,
          amount: d.amount,
          code: "voucher_deduction",
          reference_module: "vouchers",
          reference_id: billRef,
          metadata: { bill_id: input.billId, line_index: d.lineIndex },
        })),
      ),
    );
    await trx
      .insertInto("voucher_usages")
      .values(
        usages.map((d) => ({
          tenant_id: actor.tenantId,
          id: d.usageId,
          voucher_id: d.voucherId,
          bill_ref: billRef,
          bill_id: input.billId,
          line_index: d.lineIndex,
          product_code: input.lines[d.lineIndex]!.product_code,
          kind: "deduction" as const,
          amount: d.amount,
          transfer_id: `tr_${d.usageId}`,
          created_at: now,
        })),
      )
      .execute();
  }
  await recordAudit(
    uow,
    context,
    {
      action: "voucher_bill.deducted",
      targetType: "voucher_bill",
      targetId: billRef,
      summary: {
        bill_id: input.billId,
        customer_id: customer.id,
        total_amount: totalAmount,
        deducted_amount: deductedAmount,
        vouchers: [...new Set(plan.map((d) => d.voucherId))],
      },
    },
    now,
  );
  if (deductedAmount > 0) {
    await emitVoucherEvent(
      uow,
      actor.tenantId,
      "voucher.deducted",
      {
        bill_id: input.billId,
        customer_id: customer.id,
        asset: input.asset,
        deducted_amount: deductedAmount,
        deductions: plan.map((d) => ({ voucher_id: d.voucherId, line_index: d.lineIndex, amount: d.amount })),
      },
      now,
    );
  }
  return loadBillResult(uow, actor.tenantId, billRef);
}

/**
 * Each holder's usable vouchers in the asset (one tier per holder, in the holders' order),
 * locked, with their ledger balances. The at most MAX_VOUCHERS_PER_BILL considered per holder
 * are those with a stored balance, earliest expiry first, so vouchers spent to zero (still
 * active until they expire) never crowd usable ones out. Those of all holders are then locked
 * together in id order, and their balances read in that order, as a refund of the bill locks
 * them: a bill and a refund sharing vouchers of two holders never wait for each other in a
 * circle. What is spent never rests on the unlocked read.
 */
async function usableVouchers(
  uow: UnitOfWork,
  tenantId: string,
  holderIds: string[],
  asset: string,
  now: Date,
) {
  const candidateIds: string[] = [];
  for (const holderId of holderIds) {
    const candidates = await uow.trx
      .selectFrom("vouchers as v")
      .innerJoin("ledger_accounts as a", (j) =>
        j.onRef("a.tenant_id", "=", "v.tenant_id").onRef("a.id", "=", "v.account_id"),
      )
      .select("v.id")
      .where("v.tenant_id", "=", tenantId)
      .where("v.customer_id", "=", holderId)
      .where("v.asset", "=", asset)
      .where("v.state", "=", "active")
      .where("v.starts_at", "<=", now)
      .where("v.expires_at", ">", now)
      .where(sql<boolean>`a.credits_posted - a.debits_posted > 0`)
      .orderBy("v.expires_at")
      .orderBy("v.id")
      .limit(MAX_VOUCHERS_PER_BILL)
      .execute();
    candidateIds.push(...candidates.map((c) => c.id));
  }
  if (candidateIds.length === 0) return holderIds.map(() => []);
  const vouchers = await uow.trx
    .selectFrom("vouchers")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "in", candidateIds)
    .where("state", "=", "active")
    .where("expires_at", ">", now)
    .orderBy("id")
    .forUpdate()
    .execute();
  const tiers = new Map(holderIds.map((id) => [id, [] as UsableVoucher[]]));
  for (const v of vouchers) {
    const balance = await postedBalance(uow, v.account_id!);
    if (balance > 0) {
      tiers.get(v.customer_id!)?.push({
        id: v.id,
        accountId: v.account_id!,
        balance,
        expiresAt: v.expires_at,
        minBillAmount: v.min_bill_amount,
        scope: { kind: v.scope_kind, productCodes: v.product_codes },
      });
    }
  }
  return holderIds.map((id) => tiers.get(id)!);
}

type UsableVoucher = BaseUsableVoucher & { accountId: string };

/** The bill as first answered: its lines and every deduction on them. */
export async function loadBillResult(uow: { trx: UnitOfWork["trx"] }, tenantId: string, billRef: string) {
  const bill = await uow.trx
    .selectFrom("voucher_bills")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", billRef)
    .executeTakeFirst();
  if (!bill) throw new VouchersError("voucher_bill_not_found", "Bill not found");
  const usages = await uow.trx
    .selectFrom("voucher_usages")
    .select(["voucher_id", "line_index", "amount"])
    .where("tenant_id", "=", tenantId)
    .where("bill_ref", "=", billRef)
    .where("kind", "=", "deduction")
    .orderBy("id")
    .execute();
  return {
    billRef: bill.id,
    billId: bill.bill_id,
    customerId: bill.customer_id,
    asset: bill.asset,
    totalAmount: bill.total_amount,
    deductedAmount: bill.deducted_amount,
    lines: bill.lines.map((line, index) => {
      const deductions = usages
        .filter((u) => u.line_index === index)
        .map((u) => ({ voucherId: u.voucher_id, amount: u.amount }));
      return {
        index,
        productCode: line.product_code,
        amount: line.amount,
        deducted: deductions.reduce((s, d) => s + d.amount, 0),
        deductions,
      };
    }),
    createdAt: bill.created_at,
  } satisfies BillResult;
}
