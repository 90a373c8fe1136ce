import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { lockUsableMember } from "../members/index.js";
import { spendSources } from "./lot-sources.js";
import { paymentLegs } from "./lots.repository.js";
import { isRealCurrency } from "./provider-registry.js";
import { planSpend, type SpendLine } from "./spend-plan.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import {
  logChange,
  type MemberBalance,
  memberBalance,
  openMemberAccounts,
  openSystem,
  type UnitOfWork,
} from "./wallets.ledger.js";
import {
  assertWithinCap,
  type ExternalMethod,
  findPayment,
  loadSettings,
  type PaymentRow,
  type SpendOrder,
} from "./wallets.repository.js";

export const MAX_ORDER_LINES = 100;

export interface OrderLine {
  sku?: string;
  name: string;
  quantity: number;
  unit_amount: number;
}

export interface PaymentInput {
  memberId: string;
  orderId: string;
  currency: string;
  lines: OrderLine[];
  amountDue: number;
  /** What balance pays; the rest (`amountDue − balanceAmount`) is paid externally. Default: all of it. */
  balanceAmount?: number;
  /** How the rest is paid: nothing left (`none`), online (balance held until it succeeds), offline (balance taken now). */
  externalMethod: ExternalMethod;
  timeoutSeconds?: number;
  /**
   * What each order line still costs (after discounts and vouchers), for lots restricted to
   * items; `amountDue` minus their sum is not on a line. They may add up to more than
   * `amountDue` when another tender (a gift card) paid part of the cart: that tender is taken
   * to pay what the balance may not, first. Default: `lines` when given.
   */
  spendLines?: SpendLine[];
}

/** How `amount` splits over principal and bonus, in the tenant's spending order. */
export function splitSpend(
  amount: number,
  balance: Pick<MemberBalance, "principal_available" | "bonus_available">,
  order: SpendOrder,
): { principal: number; bonus: number } {
  if (order === "bonus_first") {
    const bonus = Math.min(amount, balance.bonus_available);
    return { principal: amount - bonus, bonus };
  }
  const principal = Math.min(amount, balance.principal_available);
  return { principal, bonus: amount - principal };
}

/**
 * Pays an order by balance, wholly or partly. Only in the balance asset. With an online
 * rest, the balance part is a hold (posted when the external payment succeeds, voided when
 * it fails or times out); with an offline rest or none, it is taken at once.
 */
export async function payWithBalance(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: PaymentInput,
  now: Date,
): Promise<PaymentRow> {
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  if (!settings.balance_payment_enabled) {
    throw new WalletsError("balance_payment_disabled", "Balance payment is turned off for this tenant");
  }
  if (input.currency !== settings.asset) {
    throw new WalletsError(
      "currency_mismatch",
      `The order is in ${input.currency}; the balance is in ${settings.asset}. Balance pays only orders in its own currency`,
    );
  }
  // Seed 004: balance + online payment only in a real currency: the online rest of an
  // order in the tenant's own coins could never be paid by a provider.
  if (input.externalMethod === "online" && !isRealCurrency(settings.asset)) {
    throw new WalletsError(
      "house_currency_not_purchasable",
      `${settings.asset} is the tenant's own currency: an order in it is paid by balance alone or with an offline rest, never partly online`,
    );
  }
  if (input.lines.length > MAX_ORDER_LINES) {
    throw new WalletsError("limit_exceeded", `An order has at most ${MAX_ORDER_LINES} lines`);
  }
  if (input.lines.length > 0) {
    const sum = input.lines.reduce((s, l) => s + l.quantity * l.unit_amount, 0);
    if (sum !== input.amountDue) {
      throw new WalletsError(
        "amount_mismatch",
        `The lines add up to ${sum}, not to amount_due ${input.amountDue}`,
      );
    }
  }
  const balanceAmount = input.balanceAmount ?? input.amountDue;
  if (balanceAmount > input.amountDue) {
    throw new WalletsError("validation_failed", "balance_amount cannot exceed amount_due");
  }
  if (input.externalMethod === "none" && balanceAmount !== input.amountDue) {
    throw new WalletsError(
      "validation_failed",
      "With no external payment, balance pays the whole amount_due",
    );
  }
  if (input.externalMethod !== "none" && balanceAmount === input.amountDue) {
    throw new WalletsError(
      "validation_failed",
      "With an external payment, balance_amount must be below amount_due",
    );
  }
  assertWithinCap(settings, balanceAmount, "balance_amount");
  await lockUsableMember(uow.trx, ctx.actor, input.memberId);
  if (await findPayment(uow.trx, uow.tenantId, { order_id: input.orderId })) {
    throw new WalletsError("payment_exists", `Order ${input.orderId} already has a balance payment`);
  }
  await openMemberAccounts(uow, input.memberId, settings.asset);
  const before = await memberBalance(uow, input.memberId);
  if (balanceAmount > before.available) {
    throw new WalletsError(
      "insufficient_balance",
      input.externalMethod === "none"
        ? "会员余额不足,无法完成支付 (the balance is too low to pay this order)"
        : "The balance is too low for the balance part",
      { extra: { available: before.available, shortfall: balanceAmount - before.available } },
    );
  }
  const spendLines =
    input.spendLines ??
    (input.lines.length > 0
      ? input.lines.map((l) => ({ sku: l.sku ?? "", amount: l.quantity * l.unit_amount }))
      : null);
  const rest = spendLines ? Math.max(0, input.amountDue - spendLines.reduce((s, l) => s + l.amount, 0)) : 0;
  const sources = await spendSources(uow, input.memberId, settings.spend_order, now);
  const plan = planSpend(balanceAmount, sources, spendLines, rest);
  if (plan.total < balanceAmount) {
    throw new WalletsError(
      "insufficient_balance",
      "Part of the balance cannot pay this order (restricted to other items, or not usable on its top-up day)",
      { extra: { available: before.available, usable: plan.total, shortfall: balanceAmount - plan.total } },
    );
  }
  const split = {
    principal: plan.legs.filter((l) => l.kind === "principal").reduce((s, l) => s + l.amount, 0),
    bonus: plan.legs.filter((l) => l.kind === "bonus").reduce((s, l) => s + l.amount, 0),
  };
  const id = newId("wpay");
  const hold = input.externalMethod === "online";
  const timeoutSeconds = input.timeoutSeconds ?? settings.payment_hold_timeout_seconds;
  const sales = await openSystem(uow, "sales", settings.asset);
  const legs = plan.legs.map((l, seq) => ({
    ...l,
    seq,
    transferId: l.lotId === null ? `${id}_${l.kind === "principal" ? "p" : "b"}` : `${id}_l${seq}`,
  }));
  const results = await uow.transfers(
    legs.map((l) => ({
      id: l.transferId,
      debit_account_id: l.accountId,
      credit_account_id: sales,
      amount: l.amount,
      code: "payment",
      reference_module: "wallets",
      reference_id: id,
      memo: input.orderId,
      ...(hold ? { pending: true, timeout_seconds: timeoutSeconds } : {}),
    })),
  );
  const refusal = {
    insufficient_funds: () => new WalletsError("insufficient_balance", "The balance is too low"),
  };
  for (const r of results) expectTransfer(r, refusal);
  const untagged = (kind: "principal" | "bonus") =>
    legs.find((l) => l.lotId === null && l.kind === kind)?.transferId ?? null;
  const payment = await uow.trx
    .insertInto("wallet_payments")
    .values({
      tenant_id: uow.tenantId,
      id,
      member_id: input.memberId,
      order_id: input.orderId,
      currency: input.currency,
      lines: JSON.stringify(input.lines),
      amount_due: input.amountDue,
      balance_amount: balanceAmount,
      external_amount: input.amountDue - balanceAmount,
      external_method: input.externalMethod,
      status: hold ? "held" : "paid",
      principal_amount: split.principal,
      bonus_amount: split.bonus,
      principal_transfer_id: untagged("principal"),
      bonus_transfer_id: untagged("bonus"),
      timeout_at: hold ? new Date(now.getTime() + timeoutSeconds * 1000) : null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch((error: { code?: string }) => {
      // Another member's payment took this order id between our check and the insert.
      if (error.code === "23505")
        throw new WalletsError("payment_exists", `Order ${input.orderId} already has a balance payment`);
      throw error;
    });
  await uow.trx
    .insertInto("wallet_payment_legs")
    .values(
      legs.map((l) => ({
        tenant_id: uow.tenantId,
        payment_id: id,
        account_id: l.accountId,
        lot_id: l.lotId,
        kind: l.kind,
        amount: l.amount,
        transfer_id: l.transferId,
        seq: l.seq,
      })),
    )
    .execute();
  const eventData = {
    payment_id: id,
    order_id: input.orderId,
    member_id: input.memberId,
    asset: settings.asset,
    principal_amount: split.principal,
    bonus_amount: split.bonus,
  };
  if (hold) {
    await emitWalletEvent(
      uow,
      uow.tenantId,
      "wallet.payment_held",
      { ...eventData, timeout_at: payment.timeout_at!.toISOString() },
      now,
    );
  } else {
    await settlePayment(uow, ctx, payment, now);
  }
  await recordAudit(
    uow,
    ctx,
    {
      action: hold ? "wallet.payment_held" : "wallet.payment_succeeded",
      targetType: "wallet_payment",
      targetId: id,
      summary: {
        order_id: input.orderId,
        balance_amount: balanceAmount,
        external_method: input.externalMethod,
      },
    },
    now,
  );
  return payment;
}

/** The change-log row and event of a payment whose balance part has been taken. */
export async function settlePayment(
  uow: UnitOfWork,
  ctx: RequestContext,
  payment: PaymentRow,
  now: Date,
): Promise<void> {
  const after = await memberBalance(uow, payment.member_id);
  const lots = (await paymentLegs(uow.trx, uow.tenantId, payment.id)).flatMap((l) =>
    l.lot_id ? [{ lot_id: l.lot_id, kind: l.kind, amount: -l.amount }] : [],
  );
  logChange(
    uow,
    ctx.actor,
    {
      memberId: payment.member_id,
      account: "balance",
      kind: "payment",
      asset: payment.currency,
      amount: -payment.balance_amount,
      principalDelta: -payment.principal_amount,
      bonusDelta: -payment.bonus_amount,
      balanceAfter: after.total,
      orderId: payment.order_id,
      paymentId: payment.id,
      lots,
    },
    now,
  );
  await emitWalletEvent(
    uow,
    uow.tenantId,
    "wallet.payment_succeeded",
    {
      payment_id: payment.id,
      order_id: payment.order_id,
      member_id: payment.member_id,
      asset: payment.currency,
      principal_amount: payment.principal_amount,
      bonus_amount: payment.bonus_amount,
    },
    now,
  );
}
