import { createHash } from "node:crypto";
import { expectTransfers } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { voucherSourcesCredited } from "../../platform/voucher-source-returns.js";
import { newId } from "../../shared/ids.js";
import { planLineRefund } from "./deduction-plan.js";
import { holdersOutsideIssuers } from "./holder-moves.js";
import { VouchersError } from "./vouchers.errors.js";
import { emitVoucherEvent } from "./vouchers.events.js";
import { accountIds, returnAccountOf, type UnitOfWork } from "./vouchers.ledger.js";
import { lockBill, unitInScope } from "./vouchers.repository.js";

export interface RefundInput {
  billId: string;
  refundId: string;
  /** Bill amounts refunded per line; omitted: everything not yet refunded. */
  lines: { lineIndex: number; amount: number }[] | null;
  /**
   * Whether the bill's customer is one the caller's route answers for (an enterprise's own
   * member accounts); a bill of anyone else is refused as not found, before anything moves.
   */
  customerBelongs?: (customerId: string) => Promise<boolean>;
}

export interface RefundResult {
  refundRef: string;
  refundId: string;
  billId: string;
  returnedAmount: number;
  returns: { voucherId: string; lineIndex: number; amount: number; returnedTo: "voucher" | "source" }[];
  createdAt: Date;
}

/**
 * Returns the vouchers' share of a refunded bill amount to the vouchers it came from
 * (share: see planLineRefund). A voucher still usable gets the value back into its own
 * balance; one that has expired or been withdrawn since, or whose holder has left its
 * issuer's subtree (see holdersOutsideIssuers), follows the rule of its
 * remaining balance: the value goes to the voucher's source account (the reseller's quota
 * for customer_discount, the distributor's funding for product_trial), never back into a
 * voucher that can no longer be used. Idempotent by refund id per bill. Modules whose records
 * are such sources hear of it in the same unit of work (an enterprise's dead master coupon
 * passes the value on at once), whichever route refunds the bill; a replay tells them again,
 * which moves nothing twice.
 */
export async function refundBill(
  uow: UnitOfWork,
  context: RequestContext,
  input: RefundInput,
  now: Date,
): Promise<RefundResult> {
  const refund = await refundOnce(uow, context, input, now);
  const toSources = refund.returns.filter((r) => r.returnedTo === "source").map((r) => r.voucherId);
  await voucherSourcesCredited(uow, [...new Set(toSources)], now);
  return refund;
}

async function refundOnce(
  uow: UnitOfWork,
  context: RequestContext,
  input: RefundInput,
  now: Date,
): Promise<RefundResult> {
  const { actor } = context;
  const trx = uow.trx;
  await lockBill(trx, actor.tenantId, input.billId);
  const bill = await trx
    .selectFrom("voucher_bills")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("bill_id", "=", input.billId)
    .executeTakeFirst();
  if (!bill || (input.customerBelongs && !(await input.customerBelongs(bill.customer_id)))) {
    throw new VouchersError("voucher_bill_not_found", "Bill not found");
  }
  await unitInScope(trx, actor, bill.customer_id, "voucher_bill");
  const hash = createHash("sha256").update(JSON.stringify(input.lines)).digest("hex");
  const existing = await trx
    .selectFrom("voucher_bill_refunds")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("bill_ref", "=", bill.id)
    .where("refund_id", "=", input.refundId)
    .executeTakeFirst();
  if (existing) {
    if (existing.request_hash !== hash) {
      throw new VouchersError("refund_id_reused", "This refund id was already used with different content");
    }
    return loadRefundResult(uow, actor.tenantId, bill.bill_id, existing.id);
  }

  const previous = await trx
    .selectFrom("voucher_bill_refunds")
    .select("lines")
    .where("tenant_id", "=", actor.tenantId)
    .where("bill_ref", "=", bill.id)
    .execute();
  const refundedBefore = bill.lines.map(() => 0);
  for (const refund of previous) for (const l of refund.lines) refundedBefore[l.line_index]! += l.amount;
  const requested =
    input.lines ??
    bill.lines
      .map((line, i) => ({ lineIndex: i, amount: line.amount - refundedBefore[i]! }))
      .filter((l) => l.amount > 0);
  const perLine = bill.lines.map(() => 0);
  for (const l of requested) {
    if (l.lineIndex < 0 || l.lineIndex >= bill.lines.length) {
      throw new VouchersError("validation_failed", `The bill has no line ${l.lineIndex}`, {
        errors: [{ field: "/body/lines", message: "line_index out of range" }],
      });
    }
    perLine[l.lineIndex]! += l.amount;
  }
  perLine.forEach((amount, i) => {
    if (refundedBefore[i]! + amount > bill.lines[i]!.amount) {
      throw new VouchersError(
        "refund_exceeds_bill",
        `Line ${i} would be refunded beyond its amount (${bill.lines[i]!.amount}, already refunded ${refundedBefore[i]})`,
      );
    }
  });

  const usages = await trx
    .selectFrom("voucher_usages")
    .select(["voucher_id", "line_index", "kind", "amount"])
    .where("tenant_id", "=", actor.tenantId)
    .where("bill_ref", "=", bill.id)
    .orderBy("id")
    .execute();
  const voucherIds = [...new Set(usages.map((u) => u.voucher_id))];
  const vouchers =
    voucherIds.length === 0
      ? []
      : await trx
          .selectFrom("vouchers")
          .select([
            "id",
            "state",
            "expires_at",
            "account_id",
            "source_account_id",
            "issuer_id",
            "funded_by",
            "asset",
          ])
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "in", voucherIds)
          .orderBy("id")
          .forUpdate()
          .execute();
  const byId = new Map(vouchers.map((v) => [v.id, v]));
  const strayed = await holdersOutsideIssuers(trx, actor.tenantId, vouchers);

  const returns: RefundResult["returns"] = [];
  perLine.forEach((amount, lineIndex) => {
    if (amount === 0) return;
    const lineUsages = usages.filter((u) => u.line_index === lineIndex);
    const outstanding = new Map<string, number>();
    let deducted = 0;
    let returnedBefore = 0;
    for (const u of lineUsages) {
      const sign = u.kind === "deduction" ? 1 : -1;
      outstanding.set(u.voucher_id, (outstanding.get(u.voucher_id) ?? 0) + sign * u.amount);
      if (u.kind === "deduction") deducted += u.amount;
      else returnedBefore += u.amount;
    }
    if (deducted === 0) return;
    const parts = planLineRefund(
      {
        lineAmount: bill.lines[lineIndex]!.amount,
        deducted,
        refundedBefore: refundedBefore[lineIndex]!,
        returnedBefore,
        usages: [...outstanding].map(([voucherId, left]) => ({ voucherId, outstanding: left })),
      },
      amount,
    );
    for (const part of parts) {
      const v = byId.get(part.voucherId)!;
      const usable = v.state === "active" && v.expires_at.getTime() > now.getTime() && !strayed.has(v.id);
      returns.push({
        voucherId: part.voucherId,
        lineIndex,
        amount: part.outstanding,
        returnedTo: usable ? "voucher" : "source",
      });
    }
  });

  const refundRef = newId("vrf");
  const returnedAmount = returns.reduce((s, r) => s + r.amount, 0);
  await trx
    .insertInto("voucher_bill_refunds")
    .values({
      tenant_id: actor.tenantId,
      id: refundRef,
      bill_ref: bill.id,
      refund_id: input.refundId,
      request_hash: hash,
      returned_amount: returnedAmount,
      lines: JSON.stringify(
        perLine.map((amount, i) => ({ line_index: i, amount })).filter((l) => l.amount > 0),
      ),
      created_at: now,
    })
    .execute();
  if (returns.length > 0) {
    // A dead voucher's share goes where its rest went: the quota, or the distributor that
    // funded it once another took the quota over.
    const sourceOf = new Map<string, string>();
    for (const id of new Set(returns.filter((r) => r.returnedTo === "source").map((r) => r.voucherId))) {
      sourceOf.set(id, await returnAccountOf(uow, byId.get(id)!));
    }
    const rows = returns.map((r) => ({ ...r, usageId: newId("vus") }));
    expectTransfers(
      await uow.transfers(
        rows.map((r) => {
          const v = byId.get(r.voucherId)!;
          return {
            id: `tr_${r.usageId}`,
            debit_account_id: accountIds.settlement(bill.asset),
            credit_account_id: r.returnedTo === "voucher" ? v.account_id! : sourceOf.get(r.voucherId)!,
            amount: r.amount,
            code: "voucher_refund",
            reference_module: "vouchers",
            reference_id: refundRef,
            metadata: { bill_id: bill.bill_id, refund_id: input.refundId, voucher_id: r.voucherId },
          };
        }),
      ),
    );
    await trx
      .insertInto("voucher_usages")
      .values(
        rows.map((r) => ({
          tenant_id: actor.tenantId,
          id: r.usageId,
          voucher_id: r.voucherId,
          bill_ref: bill.id,
          bill_id: bill.bill_id,
          refund_ref: refundRef,
          line_index: r.lineIndex,
          product_code: bill.lines[r.lineIndex]!.product_code,
          kind: "refund" as const,
          amount: r.amount,
          returned_to: r.returnedTo,
          transfer_id: `tr_${r.usageId}`,
          created_at: now,
        })),
      )
      .execute();
  }
  await recordAudit(
    uow,
    context,
    {
      action: "voucher_bill.refunded",
      targetType: "voucher_bill",
      targetId: bill.id,
      summary: { bill_id: bill.bill_id, refund_id: input.refundId, returned_amount: returnedAmount },
    },
    now,
  );
  if (returnedAmount > 0) {
    await emitVoucherEvent(
      uow,
      actor.tenantId,
      "voucher.refunded",
      {
        bill_id: bill.bill_id,
        refund_id: input.refundId,
        returned_amount: returnedAmount,
        returns: returns.map((r) => ({
          voucher_id: r.voucherId,
          amount: r.amount,
          returned_to: r.returnedTo,
        })),
      },
      now,
    );
  }
  return {
    refundRef,
    refundId: input.refundId,
    billId: bill.bill_id,
    returnedAmount,
    returns,
    createdAt: now,
  };
}

async function loadRefundResult(
  uow: UnitOfWork,
  tenantId: string,
  billId: string,
  refundRef: string,
): Promise<RefundResult> {
  const refund = await uow.trx
    .selectFrom("voucher_bill_refunds")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", refundRef)
    .executeTakeFirstOrThrow();
  const rows = await uow.trx
    .selectFrom("voucher_usages")
    .select(["voucher_id", "line_index", "amount", "returned_to"])
    .where("tenant_id", "=", tenantId)
    .where("refund_ref", "=", refundRef)
    .orderBy("id")
    .execute();
  return {
    refundRef,
    refundId: refund.refund_id,
    billId,
    returnedAmount: refund.returned_amount,
    returns: rows.map((r) => ({
      voucherId: r.voucher_id,
      lineIndex: r.line_index,
      amount: r.amount,
      returnedTo: r.returned_to ?? "voucher",
    })),
    createdAt: refund.created_at,
  };
}
