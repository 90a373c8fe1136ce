import { Type } from "typebox";
import { Nullable, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { INVOICE_STATUSES, PROFILE_STATUSES } from "./deposits.repository.js";
import type { AddressRow, InvoiceRequestRow, ProfileRow } from "./invoicing.js";

/** Invoicing representations: the qualification, mailing addresses and invoice requests. */

export const Profile = Type.Object(
  {
    object: Type.Literal("deposit_invoice_profile"),
    account_id: Type.String(),
    company_name: Type.String({ description: "From the account's bank binding" }),
    tax_rate_bps: Type.Integer({ description: "From the tenant's settings (600 = 6%)" }),
    company_address: Nullable(Type.String()),
    company_phone: Nullable(Type.String()),
    bank_name: Nullable(Type.String()),
    bank_account: Nullable(Type.String()),
    tax_id: Nullable(Type.String()),
    status: StringEnum(PROFILE_STATUSES),
    reject_reason: Nullable(Type.String()),
    updated_at: Timestamp,
  },
  { $id: "DepositInvoiceProfile" },
);
export const serializeProfile = (p: ProfileRow) => ({
  object: "deposit_invoice_profile" as const,
  account_id: p.account_id,
  company_name: p.company_name,
  tax_rate_bps: p.tax_rate_bps,
  company_address: p.company_address,
  company_phone: p.company_phone,
  bank_name: p.bank_name,
  bank_account: p.bank_account,
  tax_id: p.tax_id,
  status: p.status,
  reject_reason: p.reject_reason,
  updated_at: p.updated_at.toISOString(),
});

export const Address = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_mail_address"),
    recipient: Type.String(),
    phone: Type.String(),
    address: Type.String(),
    created_at: Timestamp,
  },
  { $id: "DepositMailAddress" },
);
export const serializeAddress = (a: AddressRow) => ({
  id: a.id,
  object: "deposit_mail_address" as const,
  recipient: a.recipient,
  phone: a.phone,
  address: a.address,
  created_at: a.created_at.toISOString(),
});

export const InvoiceRequest = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_invoice_request"),
    account_id: Type.String(),
    status: StringEnum(INVOICE_STATUSES),
    settled_amount: Type.Integer(),
    refunded_amount: Type.Integer(),
    net_amount: Type.Integer({ description: "settled − settled refunds" }),
    entry_count: Type.Integer(),
    address: Type.Record(Type.String(), Type.Unknown()),
    invoice_number: Nullable(Type.String()),
    tracking_number: Nullable(Type.String()),
    reject_reason: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "DepositInvoiceRequest" },
);
export const serializeRequest = (r: InvoiceRequestRow) => ({
  id: r.id,
  object: "deposit_invoice_request" as const,
  account_id: r.account_id,
  status: r.status,
  settled_amount: r.settled_amount,
  refunded_amount: r.refunded_amount,
  net_amount: r.net_amount,
  entry_count: r.entry_count,
  address: r.address,
  invoice_number: r.invoice_number,
  tracking_number: r.tracking_number,
  reject_reason: r.reject_reason,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});
