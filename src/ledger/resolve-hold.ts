import { recordAudit } from "../platform/audit/audit.js";
import type { RequestContext } from "../platform/auth/actor.js";
import { refuse } from "./ledger.schemas.js";
import type { ResolveInput, UnitOfWork } from "./types.js";

/** Posts (all or part of) or voids a hold (audited when it resolves it). */
export async function resolveHold(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: ResolveInput & { verb: "post" | "void" },
  now: Date,
) {
  const { verb, ...resolve } = input;
  const r = verb === "post" ? await uow.post(resolve) : await uow.void(resolve);
  if (!r.ok) refuse(r);
  if (r.code === "created") {
    await recordAudit(
      uow,
      ctx,
      {
        action: verb === "post" ? "ledger_hold.posted" : "ledger_hold.voided",
        targetType: "ledger_transfer",
        targetId: input.pending_id,
        summary: { amount: r.transfer.amount, resolution_id: r.transfer.id },
      },
      now,
    );
  }
  return r;
}
