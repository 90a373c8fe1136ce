import { DateTime } from "luxon";
import { VouchersError } from "./vouchers.errors.js";
import type { ScopeKind, ValidityKind } from "./vouchers.repository.js";

/** At most this many product codes in an allow or deny list. */
export const MAX_PRODUCT_CODES = 200;
/** Relative validity: at most ten years. */
export const MAX_VALID_DAYS = 3650;

export interface Validity {
  kind: ValidityKind;
  validFrom: string | null;
  validUntil: string | null;
  validDays: number | null;
}

export interface ProductScope {
  kind: ScopeKind;
  productCodes: string[];
}

/** Checks a validity; fixed dates are inclusive calendar days in the tenant's time zone. */
export function assertValidity(v: Validity): void {
  if (v.kind === "fixed") {
    if (v.validDays !== null || !v.validFrom || !v.validUntil) {
      throw new VouchersError(
        "invalid_validity",
        "Fixed validity needs valid_from and valid_until, not valid_days",
      );
    }
    const from = DateTime.fromISO(v.validFrom, { zone: "UTC" });
    const until = DateTime.fromISO(v.validUntil, { zone: "UTC" });
    if (!from.isValid || !until.isValid) {
      throw new VouchersError(
        "invalid_validity",
        "valid_from and valid_until must be calendar dates (YYYY-MM-DD)",
      );
    }
    if (until < from) throw new VouchersError("invalid_validity", "valid_until is before valid_from");
    return;
  }
  if (v.validFrom !== null || v.validUntil !== null || v.validDays === null) {
    throw new VouchersError("invalid_validity", "Relative validity needs valid_days only");
  }
  if (!Number.isInteger(v.validDays) || v.validDays < 1 || v.validDays > MAX_VALID_DAYS) {
    throw new VouchersError("invalid_validity", `valid_days must be 1-${MAX_VALID_DAYS}`);
  }
}

/**
 * When a voucher issued at `issuedAt` is usable, in the tenant's zone:
 * - fixed: from the start of valid_from (or the issue time, if later) until the end of
 *   valid_until (the voucher expires at the following midnight);
 * - relative N days: from the issue time until the end of the N-th calendar day, the issue
 *   day counting as day 1 (expires at midnight starting day N+1).
 */
export function validityWindow(
  v: Validity,
  issuedAt: Date,
  timezone: string,
): { startsAt: Date; expiresAt: Date } {
  const issued = DateTime.fromJSDate(issuedAt, { zone: timezone });
  if (v.kind === "fixed") {
    const from = DateTime.fromISO(v.validFrom!, { zone: timezone }).startOf("day");
    const end = DateTime.fromISO(v.validUntil!, { zone: timezone }).startOf("day").plus({ days: 1 });
    const startsAt = from > issued ? from : issued;
    return { startsAt: startsAt.toJSDate(), expiresAt: end.toJSDate() };
  }
  const end = issued.startOf("day").plus({ days: v.validDays! });
  return { startsAt: issuedAt, expiresAt: end.toJSDate() };
}

/** A fixed window that has already ended cannot issue vouchers. */
export function assertIssuable(window: { startsAt: Date; expiresAt: Date }, now: Date): void {
  if (window.expiresAt.getTime() <= now.getTime()) {
    throw new VouchersError("invalid_validity", "The template's validity has already ended");
  }
}

export function assertScope(scope: ProductScope): void {
  if (scope.kind === "all" && scope.productCodes.length > 0) {
    throw new VouchersError("invalid_scope", "An all-products scope takes no product codes");
  }
  if (scope.kind !== "all" && scope.productCodes.length === 0) {
    throw new VouchersError("invalid_scope", `A ${scope.kind} scope needs at least one product code`);
  }
  if (scope.productCodes.length > MAX_PRODUCT_CODES) {
    throw new VouchersError("invalid_scope", `At most ${MAX_PRODUCT_CODES} product codes`);
  }
  if (new Set(scope.productCodes).size !== scope.productCodes.length) {
    throw new VouchersError("invalid_scope", "Product codes must not repeat");
  }
}

/** Whether a voucher with this scope may deduct a line of this product. */
export function scopeAllows(scope: ProductScope, productCode: string): boolean {
  switch (scope.kind) {
    case "all":
      return true;
    case "allow":
      return scope.productCodes.includes(productCode);
    case "deny":
      return !scope.productCodes.includes(productCode);
  }
}
