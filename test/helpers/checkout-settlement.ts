import { createAsset, type LedgerOps } from "../../src/ledger/index.js";
import {
  type CheckoutSettlement,
  connectedSettlement,
  type SettleContext,
  type VoucherFacts,
} from "../../src/modules/checkout/index.js";
import { DomainError } from "../../src/shared/errors.js";
import type { TestApp } from "./app.js";

/**
 * The service's settlement (members and wallets modules) with a stand-in for member
 * vouchers on the real ledger, until the vouchers module holds vouchers for members:
 * voucher terms live in memory, each voucher is a ledger account funded from a funding
 * account, and each use or return is a transfer in the order's unit of work.
 */
export class VoucherStandInSettlement implements CheckoutSettlement {
  readonly voucherTerms = new Map<string, Omit<VoucherFacts, "balance">>();
  memberFacts = connectedSettlement.memberFacts;
  balanceAvailable = connectedSettlement.balanceAvailable;
  payByBalance = connectedSettlement.payByBalance;
  refundBalance = connectedSettlement.refundBalance;
  awardPoints = connectedSettlement.awardPoints;
  reversePoints = connectedSettlement.reversePoints;

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
      funding: `t-${short}-voucher-funding`,
      sales: `t-${short}-voucher-sales`,
      voucher: (id: string) => `v-${id}`,
    };
  }

  private get ids() {
    return VoucherStandInSettlement.accounts(this.tenantId);
  }

  private run<T>(fn: (ops: LedgerOps) => Promise<T>): Promise<T> {
    return this.t.deps.db.tenantTx(this.tenantId, (trx) => fn(this.t.deps.ledger.within(trx, this.tenantId)));
  }

  async setUp(): Promise<void> {
    const now = this.t.clock.now();
    await this.t.deps.db.tenantTx(this.tenantId, (trx) =>
      createAsset(trx, this.tenantId, { code: "CNY", scale: 2, name: "Yuan" }, now),
    );
    await this.run(async (ops) => {
      await ops.createAccount({ id: this.ids.funding, asset: "CNY", kind: "funding" });
      await ops.createAccount({ id: this.ids.sales, asset: "CNY", kind: "sales" });
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
}

function must(result: { ok: boolean; code: string; detail?: string }) {
  if (!result.ok) throw new DomainError("settlement_failed", result.detail ?? result.code);
  return result;
}
