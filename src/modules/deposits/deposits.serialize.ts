import { Type } from "typebox";
import { Nullable, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { ENTRY_TYPES, type EntryRow } from "./deposits.repository.js";

/** An account transaction (freeze, release, settle, …), shared by the lists and invoicing. */
export const Entry = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_transaction"),
    type: StringEnum(ENTRY_TYPES),
    amount: Type.Integer(),
    order_id: Nullable(Type.String()),
    campaign_id: Nullable(Type.String()),
    transfer_id: Nullable(Type.String()),
    invoice_request_id: Nullable(Type.String()),
    created_at: Timestamp,
  },
  { $id: "DepositTransaction" },
);
export const serializeEntry = (e: EntryRow) => ({
  id: e.id,
  object: "deposit_transaction" as const,
  type: e.type,
  amount: e.amount,
  order_id: e.order_id,
  campaign_id: e.campaign_id,
  transfer_id: e.transfer_id,
  invoice_request_id: e.invoice_request_id,
  created_at: e.created_at.toISOString(),
});
