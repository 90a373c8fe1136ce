import { Type } from "typebox";
import type { Tx } from "../../db/database.js";
import { defineEvents } from "../../platform/events/outbox.js";
import type { BenefitRow } from "./benefits.repository.js";

export const BENEFITS_EVENTS = defineEvents({
  "benefit.changed": {
    description: "A benefit was created, edited, activated or deactivated (tills re-price with it at once)",
    schema: Type.Object({
      benefit_id: Type.String(),
      kind: Type.String(),
      status: Type.String(),
      version: Type.Integer(),
      change: Type.String({ description: "created, updated, activated or deactivated" }),
    }),
  },
});

/** Written in the change's transaction, like its audit event. */
export async function emitBenefitChanged(
  trx: Tx,
  row: BenefitRow,
  change: "created" | "updated" | "activated" | "deactivated",
  now: Date,
): Promise<void> {
  await BENEFITS_EVENTS.emit(
    trx,
    row.tenant_id,
    "benefit.changed",
    { benefit_id: row.id, kind: row.kind, status: row.status, version: row.version, change },
    now,
  );
}
