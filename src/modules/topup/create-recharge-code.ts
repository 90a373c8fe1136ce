import { randomBytes } from "node:crypto";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { storeInScope } from "../catalog/index.js";
import { restrictionsOf, type TopupChannel } from "./plan-terms.js";
import { TopupError } from "./topup.errors.js";
import { findPlan, type RechargeCodeRow } from "./topup.repository.js";

/** A plan has at most this many recharge codes. */
export const MAX_CODES_PER_PLAN = 1000;
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/** 12 characters without look-alikes (0/O, 1/I/L): ~59 bits, typed or scanned at the till. */
export function newRechargeCode(): string {
  const bytes = randomBytes(12);
  return [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join("");
}

/** What a QR code carries: the tenant and the code; the member app resolves the rest. */
export function qrPayload(tenantId: string, code: string): string {
  return `vouchsafe:topup?tenant=${encodeURIComponent(tenantId)}&code=${code}`;
}

/**
 * A recharge code bound to a plan, a scenario (free text: "counter poster", "receipt"),
 * optionally a store, and a channel. Top-ups started from it are attributed to it.
 */
export async function createRechargeCode(
  trx: Tx,
  ctx: RequestContext,
  input: { planId: string; scenario: string; storeId: string | null; channel: TopupChannel },
  now: Date,
): Promise<RechargeCodeRow> {
  const tenantId = ctx.actor.tenantId;
  const plan = await findPlan(trx, tenantId, input.planId, { lock: true });
  if (plan.status === "archived")
    throw new TopupError("plan_archived", "An archived plan takes no new codes");
  if (!restrictionsOf(plan.terms).channels.includes(input.channel))
    throw new TopupError("channel_not_allowed", `The plan is not offered on ${input.channel}`);
  if (input.storeId) {
    const store = await trx
      .selectFrom("org_units")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", input.storeId)
      .where("kind", "=", "store")
      .executeTakeFirst();
    if (!store) throw new TopupError("store_not_in_scope", `No store ${input.storeId}`);
    if (plan.terms.store_scope && !(await storeInScope(trx, tenantId, plan.terms.store_scope, input.storeId)))
      throw new TopupError("store_not_in_scope", "The plan does not apply at this store");
  }
  const count = await trx
    .selectFrom("recharge_codes")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("tenant_id", "=", tenantId)
    .where("plan_id", "=", plan.id)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_CODES_PER_PLAN)
    throw new TopupError("limit_exceeded", `A plan has at most ${MAX_CODES_PER_PLAN} recharge codes`);
  const row = await trx
    .insertInto("recharge_codes")
    .values({
      tenant_id: tenantId,
      id: newId("rcc"),
      code: newRechargeCode(),
      plan_id: plan.id,
      scenario: input.scenario,
      store_id: input.storeId,
      channel: input.channel,
      status: "active",
      created_by: ctx.actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "recharge_code.created",
      targetType: "recharge_code",
      targetId: row.id,
      summary: {
        plan_id: plan.id,
        scenario: input.scenario,
        store_id: input.storeId,
        channel: input.channel,
      },
    },
    now,
  );
  return row;
}

/** A disabled code starts no more top-ups; its counts stay. */
export async function disableRechargeCode(
  trx: Tx,
  ctx: RequestContext,
  id: string,
  now: Date,
): Promise<RechargeCodeRow> {
  const row = await trx
    .updateTable("recharge_codes")
    .set({ status: "disabled", updated_at: now })
    .where("tenant_id", "=", ctx.actor.tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new TopupError("recharge_code_not_found", "Recharge code not found");
  await recordAudit(
    trx,
    ctx,
    { action: "recharge_code.disabled", targetType: "recharge_code", targetId: id },
    now,
  );
  return row;
}
