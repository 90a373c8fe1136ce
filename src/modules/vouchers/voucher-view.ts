import { Type } from "typebox";
import { StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { SCOPE_KINDS, VOUCHER_STATUSES, type VoucherRow, type VoucherStatus } from "./vouchers.repository.js";

/**
 * What every voucher shows, whoever holds it (an org unit's customer or a member): its
 * value, what is left, where it applies and when. Holder-specific views add their own ids.
 */
export const VoucherTerms = {
  status: StringEnum(VOUCHER_STATUSES),
  face_value: Type.Object({ amount: Type.Integer(), asset: Type.String() }),
  balance: Type.Integer({ description: "What is left to spend (the voucher's ledger account)" }),
  scope: Type.Object({ kind: StringEnum(SCOPE_KINDS), product_codes: Type.Array(Type.String()) }),
  min_bill_amount: Type.Integer(),
  issued_at: Timestamp,
  starts_at: Timestamp,
  expires_at: Timestamp,
  withdrawn_at: Type.Union([Timestamp, Type.Null()]),
  expired_at: Type.Union([Timestamp, Type.Null()]),
};

export function serializeVoucherTerms(row: VoucherRow & { balance: number; status: VoucherStatus }) {
  return {
    status: row.status,
    face_value: { amount: row.face_amount, asset: row.asset },
    balance: Number(row.balance),
    scope: { kind: row.scope_kind, product_codes: row.product_codes },
    min_bill_amount: row.min_bill_amount,
    issued_at: row.created_at.toISOString(),
    starts_at: row.starts_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    withdrawn_at: row.withdrawn_at ? row.withdrawn_at.toISOString() : null,
    expired_at: row.expired_at ? row.expired_at.toISOString() : null,
  };
}
