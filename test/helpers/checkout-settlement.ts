import { createAsset, type LedgerOps } from "../../src/ledger/index.js";
import {
  type CheckoutSettlement,
  membersModuleFacts,
  type SettleContext,
  type VoucherFacts,
} from "../../src/modules/checkout/index.js";
import { DomainError } from "../../src/shared/errors.js";
import type { TestApp } from "./app.js";

/**
 * Members from the real members module; a stand-in for the wallets and vouchers modules on
 * the real ledger until they publish balance payment, points and member vouchers through
 * their index.ts: voucher terms live in memory, every balance (member balance, points, each
 * voucher) is a ledger account and every movement a transfer in the order's transaction.
 */
export class LedgerTestSettlement implements CheckoutSettlement {
  readonly voucherTerms = new Map<string, Omit<VoucherFacts, "balance">>();

  /** Set once the app and the tenant exist (the app is built with this settlement in its deps). */
  t!: TestApp;
  tenantId = "";

  attach(t: TestApp, tenantId: string): this {
    this.t = t;
    this.tenantId = tenantId;
    return this;
  }

  static accounts(tenantId: string) {
    const short = tenantId.slice(-8);
    return {
      funding: `t-${short}-funding`,
      sales: `t-${short}-sales`,
      pointsIssued: `t-${short}-points`,
      balance: (memberId: string) => `b-${memberId}`,
      points: (memberId: string) => `p-${memberId}`,
      voucher: (id: string) => `v-${id}`,
    };
  }

  private get ids() {
    return LedgerTestSettlement.accounts(this.tenantId);
  }

  private run<T>(fn: (ops: LedgerOps) => Promise<T>): Promise<T> {
    return this.t.deps.db.tenantTx(this.tenantId, (trx) => fn(this.t.deps.ledger.within(trx, this.tenantId)));
  }

  async setUp(): Promise<void> {
    const now = this.t.clock.now();
    await this.t.deps.db.tenantTx(this.tenantId, async (trx) => {
      await createAsset(trx, this.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, now);
      await createAsset(trx, this.tenantId, { code: "POINTS", scale: 0, name: "Points" }, now);
    });
    await this.run(async (ops) => {
      await ops.createAccount({ id: this.ids.funding, asset: "CNY", kind: "funding" });
      await ops.createAccount({ id: this.ids.sales, asset: "CNY", kind: "sales" });
      await ops.createAccount({ id: this.ids.pointsIssued, asset: "POINTS", kind: "points_issued" });
    });
  }

  /** Opens the member's balance and points accounts, with an opening balance. */
  async addWallet(memberId: string, balance: number): Promise<void> {
    const facts = { id: memberId };
    await this.run(async (ops) => {
      await ops.createAccount({
        id: this.ids.balance(facts.id),
        asset: "CNY",
        kind: "member_balance",
        debits_must_not_exceed_credits: true,
      });
      await ops.createAccount({
        id: this.ids.points(facts.id),
        asset: "POINTS",
        kind: "member_points",
        debits_must_not_exceed_credits: true,
      });
      if (balance > 0) {
        must(
          await ops.transfer({
            debit_account_id: this.ids.funding,
            credit_account_id: this.ids.balance(facts.id),
            amount: balance,
            code: "topup",
          }),
        );
      }
    });
  }

  async addVoucher(terms: Omit<VoucherFacts, "balance">, amount: number): Promise<void> {
    this.voucherTerms.set(terms.id, terms);
    await this.run(async (ops) => {
      await ops.createAccount({
        id: this.ids.voucher(terms.id),
        asset: terms.asset,
        kind: "voucher",
        debits_must_not_exceed_credits: true,
      });
      must(
        await ops.transfer({
          debit_account_id: this.ids.funding,
          credit_account_id: this.ids.voucher(terms.id),
          amount,
          code: "voucher_issue",
        }),
      );
    });
  }

  async balanceOf(account: string): Promise<number> {
    return this.run(async (ops) => {
      const b = await ops.balances(account);
      return b ? b.credits_posted - b.debits_posted - b.debits_pending : 0;
    });
  }

  memberFacts(ctx: SettleContext, memberId: string) {
    return membersModuleFacts(ctx, memberId);
  }

  async balanceAvailable(ctx: SettleContext, memberId: string, currency: string) {
    if (currency !== "CNY") return 0;
    const b = await ctx.ledger.balances(this.ids.balance(memberId));
    return b ? b.credits_posted - b.debits_posted - b.debits_pending : 0;
  }

  async vouchers(ctx: SettleContext, ids: readonly string[]) {
    const out: VoucherFacts[] = [];
    for (const id of ids) {
      const terms = this.voucherTerms.get(id);
      if (!terms) continue;
      const b = await ctx.ledger.balances(this.ids.voucher(id));
      out.push({ ...terms, balance: b ? b.credits_posted - b.debits_posted - b.debits_pending : 0 });
    }
    return out;
  }

  async payByBalance(ctx: SettleContext, p: { orderId: string; memberId: string; amount: number }) {
    const id = `${p.orderId}-bal`;
    must(
      await ctx.ledger.transfer({
        id,
        debit_account_id: this.ids.balance(p.memberId),
        credit_account_id: this.ids.sales,
        amount: p.amount,
        code: "payment",
        reference_module: "checkout",
        reference_id: p.orderId,
      }),
    );
    return { ref: id };
  }

  async redeemVoucher(ctx: SettleContext, p: { orderId: string; voucherId: string; amount: number }) {
    const id = `${p.orderId}-v-${p.voucherId.slice(-6)}`;
    must(
      await ctx.ledger.transfer({
        id,
        debit_account_id: this.ids.voucher(p.voucherId),
        credit_account_id: this.ids.sales,
        amount: p.amount,
        code: "voucher_use",
        reference_module: "checkout",
        reference_id: p.orderId,
      }),
    );
    return { ref: id };
  }

  async awardPoints(ctx: SettleContext, p: { orderId: string; memberId: string; points: number }) {
    const id = `${p.orderId}-pts`;
    must(
      await ctx.ledger.transfer({
        id,
        debit_account_id: this.ids.pointsIssued,
        credit_account_id: this.ids.points(p.memberId),
        amount: p.points,
        code: "points_earn",
        reference_module: "checkout",
        reference_id: p.orderId,
      }),
    );
    return { ref: id };
  }

  async refundBalance(
    ctx: SettleContext,
    p: { refundId: string; payment: { ref: string }; amount: number; orderId: string },
  ) {
    // Back to the account that paid (the funding trace of the payment transfer).
    const original = await ctx.trx
      .selectFrom("ledger_transfers")
      .select(["debit_account_id"])
      .where("id", "=", p.payment.ref)
      .executeTakeFirstOrThrow();
    must(
      await ctx.ledger.transfer({
        id: `${p.refundId}-bal`,
        debit_account_id: this.ids.sales,
        credit_account_id: original.debit_account_id,
        amount: p.amount,
        code: "refund",
        reference_module: "checkout",
        reference_id: p.orderId,
      }),
    );
  }

  async returnVoucher(
    ctx: SettleContext,
    p: { refundId: string; voucherId: string; amount: number; orderId: string },
  ) {
    must(
      await ctx.ledger.transfer({
        id: `${p.refundId}-v-${p.voucherId.slice(-6)}`,
        debit_account_id: this.ids.sales,
        credit_account_id: this.ids.voucher(p.voucherId),
        amount: p.amount,
        code: "voucher_return",
        reference_module: "checkout",
        reference_id: p.orderId,
      }),
    );
  }

  async reversePoints(
    ctx: SettleContext,
    p: { refundId: string; memberId: string; points: number; orderId: string },
  ) {
    must(
      await ctx.ledger.transfer({
        id: `${p.refundId}-pts`,
        debit_account_id: this.ids.points(p.memberId),
        credit_account_id: this.ids.pointsIssued,
        amount: p.points,
        code: "points_reverse",
        reference_module: "checkout",
        reference_id: p.orderId,
      }),
    );
  }
}

function must(result: { ok: boolean; code: string; detail?: string }) {
  if (!result.ok) {
    throw new DomainError(
      result.code === "insufficient_funds" ? "insufficient_balance" : "settlement_failed",
      result.detail ?? result.code,
    );
  }
  return result;
}
