import { defineErrors } from "../../shared/errors.js";

/** Refusals of sandbox tenants and their test clocks. */
export const SANDBOX_ERRORS = defineErrors({
  /** A live tenant's time is real time: it has no test clock to read or move. */
  live_tenant: 403,
  /** Sandboxes are created from a live tenant, not from another sandbox. */
  sandbox_tenant: 403,
  /** The sandbox is archived: its keys, sessions and member tokens no longer work. */
  sandbox_archived: 403,
  /** Not one of this live tenant's sandboxes (another tenant's are never revealed). */
  sandbox_not_found: 404,
  /** A live tenant has as many active sandboxes as it may; archiving one frees a place. */
  sandbox_limit_reached: 409,
  /** A test clock moves forward only. */
  clock_backwards: 422,
  /** One advance moves at most two years. */
  advance_too_far: 422,
});
export const SandboxError = SANDBOX_ERRORS.Error;
