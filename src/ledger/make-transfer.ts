import { recordAudit } from "../platform/audit/audit.js";
import type { RequestContext } from "../platform/auth/actor.js";
import { refuse } from "./ledger.schemas.js";
import type { BatchItem, TransferInput, UnitOfWork } from "./types.js";

/** One transfer or hold between two accounts, or the existing one with the same id (audited when created). */
export async function makeTransfer(uow: UnitOfWork, ctx: RequestContext, input: TransferInput, now: Date) {
  const r = await uow.transfer(input);
  if (!r.ok) refuse(r);
  if (r.code === "created") {
    await recordAudit(
      uow,
      ctx,
      {
        action: r.transfer.kind === "pending" ? "ledger_hold.created" : "ledger_transfer.created",
        targetType: "ledger_transfer",
        targetId: r.transfer.id,
        summary: { amount: r.transfer.amount, asset: r.transfer.asset, code: r.transfer.code },
      },
      now,
    );
  }
  return r;
}

/** Independent transfers and linked chains, each with its own result (one audit line for the batch). */
export async function makeTransfers(uow: UnitOfWork, ctx: RequestContext, items: BatchItem[], now: Date) {
  const results = await uow.batch(items);
  let created = 0;
  let failed = 0;
  const out = results.map((r, index) => {
    if (r.ok) {
      if (r.code === "created") created++;
      return { index, result: r.code, id: r.transfer.id };
    }
    failed++;
    return { index, result: r.code };
  });
  if (created > 0) {
    await recordAudit(
      uow,
      ctx,
      {
        action: "ledger_transfer.batch_created",
        targetType: "ledger_transfer",
        targetId: null,
        summary: { created, failed, items: items.length },
      },
      now,
    );
  }
  return { results: out, created, failed };
}
