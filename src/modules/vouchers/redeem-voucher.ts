import { createHash } from "node:crypto";
import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { scopeAllows } from "./voucher-rules.js";
import { VouchersError } from "./vouchers.errors.js";
import { emitVoucherEvent, holderRef } from "./vouchers.events.js";
import { openAccount, postedBalance, type UnitOfWork } from "./vouchers.ledger.js";

/** At most this many bill lines per redemption. */
export const MAX_REDEEM_LINES = 200;

export interface RedeemInput {
  voucherId: string;
  /** The member paying: the voucher must be this member's. */
  memberId: string;
  asset: string;
  amount: number;
  /**
   * The bill the voucher pays part of, line by line (amounts before vouchers): its scope
   * picks the lines it may pay, whose total must reach its minimum bill amount and cover
   * the amount.
   */
  lines: { productCode: string; amount: number }[];
  /** What it pays (e.g. a checkout order): one redemption per voucher and reference. */
  reference: { module: string; id: string };
}

export interface Redemption {
  id: string;
  voucherId: string;
  amount: number;
  replayed: boolean;
}

/** What a redemption stands for under its voucher and reference: everything it was asked. */
function redemptionHash(input: RedeemInput): string {
  const lines = input.lines.map((l) => [l.productCode, l.amount]);
  return createHash("sha256")
    .update(JSON.stringify([input.memberId, input.asset, input.amount, lines]))
    .digest("hex");
}

const notUsable = (voucherId: string, reason: string, message: string) =>
  new VouchersError("voucher_not_usable", `Voucher ${voucherId} cannot be used: ${message}`, {
    extra: { voucher_id: voucherId, reason },
  });

/**
 * Spends `amount` of a member's voucher by id, in the caller's unit of work (the order's):
 * the voucher row is locked before anything about it is read, so concurrent redemptions
 * of one voucher run one after the other and each sees what the previous one left. The
 * voucher must be the member's, active (not withdrawn or expired, within its validity at
 * `now`), in the asset, with lines in its scope whose total reaches its minimum and covers
 * the amount, and a balance of at least the amount (the ledger refuses a voucher account
 * going below zero as well). The value moves to the asset's voucher settlement account.
 * The same voucher and reference again replays the first redemption if it asks the same
 * (member, asset, amount, lines); anything else under them is `redemption_reused`.
 */
export async function redeemVoucher(
  uow: UnitOfWork,
  context: RequestContext,
  input: RedeemInput,
  now: Date,
): Promise<Redemption> {
  const { actor } = context;
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new VouchersError("invalid_amount", "A redemption amount is a positive integer in minor units");
  }
  if (input.lines.length === 0 || input.lines.length > MAX_REDEEM_LINES) {
    throw new VouchersError("limit_exceeded", `A redemption names 1-${MAX_REDEEM_LINES} lines`);
  }
  if (input.lines.some((l) => !Number.isSafeInteger(l.amount) || l.amount < 0)) {
    throw new VouchersError("invalid_amount", "Line amounts are non-negative integers in minor units");
  }
  const voucher = await uow.trx
    .selectFrom("vouchers")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", input.voucherId)
    .forUpdate()
    .executeTakeFirst();
  const visible =
    voucher?.member_id != null &&
    voucher.member_id === input.memberId &&
    (actor.type !== "member" || actor.memberId === voucher.member_id);
  if (!voucher || !visible) throw new VouchersError("voucher_not_found", "Voucher not found");

  const existing = await uow.trx
    .selectFrom("voucher_redemptions")
    .select(["id", "amount", "request_hash"])
    .where("tenant_id", "=", actor.tenantId)
    .where("voucher_id", "=", voucher.id)
    .where("kind", "=", "redemption")
    .where("reference_module", "=", input.reference.module)
    .where("reference_id", "=", input.reference.id)
    .executeTakeFirst();
  const requestHash = redemptionHash(input);
  if (existing) {
    // Another asset or other lines under the reference would have been refused, or have paid
    // another bill, had they come first: answering the first redemption would confirm them.
    const same =
      existing.amount === input.amount &&
      (existing.request_hash === null || existing.request_hash === requestHash);
    if (!same) {
      throw new VouchersError(
        "redemption_reused",
        "This voucher already paid this reference with another amount, asset or lines",
      );
    }
    return { id: existing.id, voucherId: voucher.id, amount: existing.amount, replayed: true };
  }

  if (voucher.state !== "active") throw notUsable(voucher.id, voucher.state, `it has been ${voucher.state}`);
  if (now.getTime() < voucher.starts_at.getTime())
    throw notUsable(voucher.id, "not_started", "not valid yet");
  if (now.getTime() >= voucher.expires_at.getTime()) throw notUsable(voucher.id, "expired", "it has expired");
  if (voucher.asset !== input.asset) throw notUsable(voucher.id, "currency", `it is in ${voucher.asset}`);
  const scope = { kind: voucher.scope_kind, productCodes: voucher.product_codes };
  const inScope = input.lines.filter((l) => scopeAllows(scope, l.productCode));
  const scopeTotal = inScope.reduce((s, l) => s + l.amount, 0);
  if (inScope.length === 0) throw notUsable(voucher.id, "no_eligible_item", "no line is in its scope");
  if (scopeTotal < voucher.min_bill_amount) {
    throw notUsable(
      voucher.id,
      "below_min_amount",
      `the lines it covers total less than ${voucher.min_bill_amount}`,
    );
  }
  if (input.amount > scopeTotal) {
    throw notUsable(voucher.id, "exceeds_eligible_amount", `the lines it covers total ${scopeTotal}`);
  }
  const balance = await postedBalance(uow, voucher.account_id!);
  const insufficient = () =>
    new VouchersError("voucher_balance_insufficient", `Voucher ${voucher.id} has ${balance} left`, {
      extra: { voucher_id: voucher.id, balance },
    });
  if (input.amount > balance) throw insufficient();

  const id = newId("vrd");
  const transferId = `tr_${id}`;
  const settlement = await openAccount.settlement(uow, voucher.asset);
  expectTransfer(
    await uow.transfer({
      id: transferId,
      debit_account_id: voucher.account_id!,
      credit_account_id: settlement,
      amount: input.amount,
      code: "voucher_redemption",
      reference_module: input.reference.module,
      reference_id: input.reference.id,
      metadata: { voucher_id: voucher.id },
    }),
    { insufficient_funds: insufficient },
  );
  await uow.trx
    .insertInto("voucher_redemptions")
    .values({
      tenant_id: actor.tenantId,
      id,
      voucher_id: voucher.id,
      kind: "redemption",
      redemption_id: null,
      reference_module: input.reference.module,
      reference_id: input.reference.id,
      amount: input.amount,
      returned_to: null,
      transfer_id: transferId,
      request_hash: requestHash,
      created_at: now,
    })
    .execute();
  await recordAudit(
    uow,
    context,
    {
      action: "voucher.redeemed",
      targetType: "voucher",
      targetId: voucher.id,
      summary: {
        redemption_id: id,
        amount: input.amount,
        balance_after: balance - input.amount,
        reference: `${input.reference.module}:${input.reference.id}`,
      },
    },
    now,
  );
  await emitVoucherEvent(
    uow,
    actor.tenantId,
    "voucher.redeemed",
    {
      voucher_id: voucher.id,
      ...holderRef(voucher),
      asset: voucher.asset,
      redemption_id: id,
      reference_module: input.reference.module,
      reference_id: input.reference.id,
      amount: input.amount,
    },
    now,
  );
  return { id, voucherId: voucher.id, amount: input.amount, replayed: false };
}
