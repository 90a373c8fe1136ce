/**
 * Domain errors carry a stable machine `code`. The HTTP status comes from one map
 * (`statusForCode`), so every module answers the same condition the same way.
 */
export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `/body/amount`. */
  field: string;
  message: string;
}

export class DomainError<C extends string = string> extends Error {
  readonly code: C;
  readonly extra: Record<string, unknown> | undefined;
  readonly errors: FieldError[] | undefined;
  /**
   * The refusal is about this moment, not the request (something else is under way on the same
   * object): the same request may succeed later, so an Idempotency-Key does not keep it, as
   * Stripe keeps no result for a request that conflicted with another one executing.
   */
  readonly retryLater: boolean;

  constructor(
    code: C,
    detail: string,
    options: { extra?: Record<string, unknown>; errors?: FieldError[]; retryLater?: boolean } = {},
  ) {
    super(detail);
    this.name = "DomainError";
    this.code = code;
    this.extra = options.extra;
    this.errors = options.errors;
    this.retryLater = options.retryLater ?? false;
  }
}

/** Codes any layer may answer with; a module's own codes come on top (see `defineErrors`). */
export const COMMON_ERROR_STATUSES = {
  validation_failed: 400,
  // A request Fastify or Node's parser refuses before any route sees it.
  bad_request: 400,
  malformed_json: 400,
  malformed_url: 400,
  invalid_encoding: 400,
  limit_exceeded: 400,
  amount_out_of_range: 422,
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  idempotency_request_in_progress: 409,
  idempotency_key_reused: 422,
  idempotency_replay_unavailable: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  account_locked: 423,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type CommonErrorCode = keyof typeof COMMON_ERROR_STATUSES;

/** A status a refusal may answer with (a 4xx, or 503 for a dependency that is down). */
export type ErrorStatus =
  | 400
  | 401
  | 403
  | 404
  | 405
  | 408
  | 409
  | 410
  | 413
  | 415
  | 422
  | 423
  | 429
  | 431
  | 500
  | 503;

/**
 * A module's error codes and their statuses, as one closed set. `Error` throws only these
 * codes and the common ones: a code no module declares does not compile. The statuses are
 * registered when the app installs the module's manifest, not at import time.
 */
export interface ErrorSet<C extends string> {
  readonly statuses: Readonly<Record<C, ErrorStatus>>;
  readonly codes: readonly C[];
  readonly Error: new (
    code: C | CommonErrorCode,
    detail: string,
    options?: { extra?: Record<string, unknown>; errors?: FieldError[]; retryLater?: boolean },
  ) => DomainError<C | CommonErrorCode>;
}

export function defineErrors<const S extends Record<string, ErrorStatus>>(
  statuses: S,
): ErrorSet<keyof S & string> {
  type C = keyof S & string;
  return {
    statuses,
    codes: Object.keys(statuses) as C[],
    Error: class extends DomainError<C | CommonErrorCode> {},
  };
}

const statusByCode = new Map<string, number>([...Object.entries(COMMON_ERROR_STATUSES)]);

/**
 * The app registers each module's statuses once, from its manifest.
 * A code registered twice with different statuses is a programming error.
 */
export function registerErrorStatuses(statuses: Record<string, number>): void {
  for (const [code, status] of Object.entries(statuses)) {
    const existing = statusByCode.get(code);
    if (existing !== undefined && existing !== status) {
      throw new Error(`error code ${code} registered as ${existing} and ${status}`);
    }
    statusByCode.set(code, status);
  }
}

/** Unregistered domain codes are business-rule refusals: 422. */
export function statusForCode(code: string): number {
  const known = statusByCode.get(code);
  if (known !== undefined) return known;
  if (code.endsWith("_not_found")) return 404;
  return 422;
}

export function knownErrorCodes(): ReadonlyMap<string, number> {
  return statusByCode;
}

export const notFound = (what: string) => new DomainError("not_found", `${what} not found`);
export const forbidden = (detail = "You are not allowed to do this") => new DomainError("forbidden", detail);
export const validationFailed = (detail: string, errors?: FieldError[]) =>
  new DomainError("validation_failed", detail, errors ? { errors } : {});
