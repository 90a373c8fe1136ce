import type { Tx } from "../../db/database.js";
import { CatalogError } from "./catalog.errors.js";
import { type AgreementType, findAgreement } from "./catalog.repository.js";

/** At most this many bytes of markdown in one agreement's body. */
export const MAX_AGREEMENT_BYTES = 64 * 1024;

export function assertBodySize(body: string): void {
  if (Buffer.byteLength(body, "utf8") > MAX_AGREEMENT_BYTES) {
    throw new CatalogError("validation_failed", "An agreement's body is at most 64 KiB of UTF-8", {
      errors: [{ field: "/body/body", message: "at most 65536 bytes" }],
    });
  }
}

/** A plan may name only an active agreement of the right type ("select a pre-configured …"). */
export async function assertAgreementOfType(
  trx: Tx,
  tenantId: string,
  id: string,
  type: AgreementType,
  field: string,
): Promise<void> {
  const agreement = await findAgreement(trx, tenantId, id).catch(() => null);
  if (!agreement || agreement.type !== type || agreement.status !== "active") {
    throw new CatalogError("invalid_agreement", `${id} is not an active ${type.replace(/_/g, " ")}`, {
      errors: [{ field, message: `must name an active ${type}` }],
    });
  }
}

export interface AcceptedAgreement {
  agreement_id: string;
  type: AgreementType;
  version: number;
}

/**
 * What a sale records as accepted: each named agreement's current version. When the buyer
 * says which version they were shown (`shown`), a newer one refuses the sale
 * (`agreement_version_changed`) so nobody is bound to text they did not see.
 */
export async function acceptAgreements(
  trx: Tx,
  tenantId: string,
  ids: readonly string[],
  shown: Readonly<Record<string, number>> = {},
): Promise<AcceptedAgreement[]> {
  const out: AcceptedAgreement[] = [];
  for (const id of ids) {
    const a = await findAgreement(trx, tenantId, id);
    const seen = shown[id];
    if (seen !== undefined && seen !== a.current_version) {
      throw new CatalogError(
        "agreement_version_changed",
        `Agreement ${id} is at version ${a.current_version}, not ${seen}: show the member the current text`,
        { extra: { agreement_id: id, current_version: a.current_version } },
      );
    }
    out.push({ agreement_id: id, type: a.type, version: a.current_version });
  }
  return out;
}
