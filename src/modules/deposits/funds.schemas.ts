import { Type } from "typebox";
import { Nullable, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import {
  WITHDRAWAL_STATUSES,
  type WithdrawalBankAccount,
  type WithdrawalRow,
} from "./deposits.repository.js";
import { iso } from "./deposits.schemas.js";

/** Money leaving the account: withdrawals (with where they are paid) and the account ledger's lines. */

export const Withdrawal = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("deposit_withdrawal"),
    account_id: Type.String(),
    amount: Type.Integer(),
    status: StringEnum(WITHDRAWAL_STATUSES),
    reason: Nullable(Type.String({ description: "The merchant's, given with the request" })),
    decision_reason: Nullable(
      Type.String({
        description:
          "Finance's, given with the decision that led to the current status (approve, reject, pay, fail)",
      }),
    ),
    bank_account: Type.Union([
      Type.Object(
        {
          company_name: Type.String(),
          bank_name: Type.String(),
          branch: Type.String(),
          account_number: Type.String(),
          account_number_masked: Type.String({
            description: "Every digit but the last four starred, for display",
            examples: ["**** **** 1111"],
          }),
        },
        { description: "The bound bank account it is paid to (the merchant's current binding)" },
      ),
      Type.Null(),
    ]),
    created_at: Timestamp,
    approved_at: Nullable(Timestamp),
    paid_at: Nullable(Timestamp),
    rejected_at: Nullable(Timestamp),
    failed_at: Nullable(Timestamp),
  },
  {
    $id: "DepositWithdrawal",
    examples: [
      {
        id: "dwd_01jd8x3c4d5e6f7g8h9j0k1m2n",
        object: "deposit_withdrawal",
        account_id: "dpa_01jd8x1m2k3n4p5q6r7s8t9v0w",
        amount: 250000,
        status: "requested",
        reason: "campaign season over",
        decision_reason: null,
        bank_account: {
          company_name: "Acme Trading Ltd",
          bank_name: "ICBC",
          branch: "Chaoyang",
          account_number: "6222 0000 1111",
          account_number_masked: "**** **** 1111",
        },
        created_at: "2026-12-01T05:05:00.000Z",
        approved_at: null,
        paid_at: null,
        rejected_at: null,
        failed_at: null,
      },
    ],
  },
);
/** A bank account number for display: every digit but the last four starred, spacing kept. */
export function maskAccountNumber(number: string): string {
  let keep = 4;
  return [...number]
    .reverse()
    .map((c) => (/\d/.test(c) ? (keep-- > 0 ? c : "*") : c))
    .reverse()
    .join("");
}

export const serializeWithdrawal = (w: WithdrawalRow, bank: WithdrawalBankAccount | undefined) => ({
  id: w.id,
  object: "deposit_withdrawal" as const,
  account_id: w.account_id,
  amount: w.amount,
  status: w.status,
  reason: w.reason,
  decision_reason: w.decision_reason,
  bank_account: bank
    ? {
        company_name: bank.company_name,
        bank_name: bank.bank_name,
        branch: bank.branch,
        account_number: bank.account_number,
        account_number_masked: maskAccountNumber(bank.account_number),
      }
    : null,
  created_at: w.created_at.toISOString(),
  approved_at: iso(w.approved_at),
  paid_at: iso(w.paid_at),
  rejected_at: iso(w.rejected_at),
  failed_at: iso(w.failed_at),
});

export const LedgerLine = Type.Object(
  {
    transfer_id: Type.String(),
    direction: StringEnum(["income", "expense"] as const, {
      description: "expense (shown red) or income (shown green)",
    }),
    amount: Type.Integer(),
    code: Type.String({
      description:
        "deposit_topup, deposit_settle, deposit_settled_refund, deposit_withdrawal (requested: processing), deposit_withdrawal_rejected (returned)",
    }),
    reference_id: Nullable(Type.String()),
    balance: Type.Integer({
      description: "Running balance less withdrawals in progress (available + frozen) after this line",
    }),
    created_at: Timestamp,
  },
  {
    examples: [
      {
        transfer_id: "tr_dwd_01jd8x3c4d5e6f7g8h9j0k1m2n",
        direction: "expense",
        amount: 250000,
        code: "deposit_withdrawal",
        reference_id: "dwd_01jd8x3c4d5e6f7g8h9j0k1m2n",
        balance: 50000,
        created_at: "2026-12-01T05:05:00.000Z",
      },
    ],
  },
);
