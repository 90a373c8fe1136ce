import type { Tx } from "../db/database.js";
import { type AssetInput, createAsset } from "./queries.js";

/** ISO currencies whose minor unit is not 1/100 (every other code, house currencies too, uses 2). */
const ISO_SCALES: Record<string, number> = {
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  BHD: 3,
  KWD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
};

/** The minor-unit digits a currency code gets when it is set up without being told. */
export const defaultScale = (code: string) => ISO_SCALES[code] ?? 2;

function currencyName(code: string): string {
  try {
    return new Intl.DisplayNames(["en"], { type: "currency" }).of(code) ?? code;
  } catch {
    // A house currency ("COINS") is no ISO code: its code is its name.
    return code;
  }
}

/** Creates the asset unless its code exists; an existing asset keeps its scale (returned). */
export async function ensureAsset(trx: Tx, tenantId: string, input: AssetInput, now: Date): Promise<number> {
  const existing = await trx
    .selectFrom("ledger_assets")
    .select("scale")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", input.code)
    .executeTakeFirst();
  return existing?.scale ?? (await createAsset(trx, tenantId, input, now)).asset.scale;
}

/**
 * Sets up a currency as a ledger asset unless it exists (in its ISO minor unit, else 2), so
 * value in the tenant's own currency can move from the tenant's first minute.
 */
export function ensureCurrencyAsset(trx: Tx, tenantId: string, code: string, now: Date): Promise<number> {
  return ensureAsset(trx, tenantId, { code, scale: defaultScale(code), name: currencyName(code) }, now);
}
