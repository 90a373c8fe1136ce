import { recordAudit } from "../platform/audit/audit.js";
import type { RequestContext } from "../platform/auth/actor.js";
import { refuse } from "./ledger.schemas.js";
import type { AccountUpdate, UnitOfWork } from "./types.js";

/** Freezes, unfreezes or closes an account (audited as the verb). */
export async function changeLedgerAccount(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { id: string; verb: "freeze" | "unfreeze" | "close"; update: AccountUpdate },
  now: Date,
) {
  const r = await uow.updateAccount(input.id, input.update);
  if (!r.ok) refuse(r);
  await recordAudit(
    uow,
    ctx,
    { action: `ledger_account.${input.verb}`, targetType: "ledger_account", targetId: input.id },
    now,
  );
  return r.account;
}
