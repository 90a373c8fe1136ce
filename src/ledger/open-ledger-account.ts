import { recordAudit } from "../platform/audit/audit.js";
import type { RequestContext } from "../platform/auth/actor.js";
import { refuse } from "./ledger.schemas.js";
import type { AccountInput, UnitOfWork } from "./types.js";

/** Opens an account, or answers the existing one with the same id (audited when created). */
export async function openLedgerAccount(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: AccountInput,
  now: Date,
) {
  const r = await uow.createAccount(input);
  if (!r.ok) refuse(r);
  if (r.code === "created") {
    await recordAudit(
      uow,
      ctx,
      { action: "ledger_account.created", targetType: "ledger_account", targetId: r.account.id },
      now,
    );
  }
  return r;
}
