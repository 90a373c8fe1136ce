import { Type } from "typebox";
import { Timestamp } from "../../platform/http/schemas.js";
import type { BillResult } from "./deduct-bill.js";

/** A bill's deductions as the API shows them (vouchers' and enterprise bills alike). */
export const Bill = Type.Object(
  {
    object: Type.Literal("voucher_bill"),
    id: Type.String(),
    bill_id: Type.String(),
    customer_id: Type.String(),
    asset: Type.String(),
    total_amount: Type.Integer(),
    deducted_amount: Type.Integer(),
    payable_amount: Type.Integer({ description: "What the vouchers did not offset" }),
    lines: Type.Array(
      Type.Object({
        index: Type.Integer(),
        product_code: Type.String(),
        amount: Type.Integer(),
        deducted: Type.Integer(),
        deductions: Type.Array(Type.Object({ voucher_id: Type.String(), amount: Type.Integer() })),
      }),
    ),
    created_at: Timestamp,
  },
  { $id: "VoucherBill" },
);

export function serializeBill(bill: BillResult) {
  return {
    object: "voucher_bill" as const,
    id: bill.billRef,
    bill_id: bill.billId,
    customer_id: bill.customerId,
    asset: bill.asset,
    total_amount: bill.totalAmount,
    deducted_amount: bill.deductedAmount,
    payable_amount: bill.totalAmount - bill.deductedAmount,
    lines: bill.lines.map((l) => ({
      index: l.index,
      product_code: l.productCode,
      amount: l.amount,
      deducted: l.deducted,
      deductions: l.deductions.map((d) => ({ voucher_id: d.voucherId, amount: d.amount })),
    })),
    created_at: bill.createdAt.toISOString(),
  };
}
