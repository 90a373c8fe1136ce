import { defineErrors } from "../../shared/errors.js";

/** Refusals of sandbox tenants and their test clocks. */
export const SANDBOX_ERRORS = defineErrors({
  /** A live tenant's time is real time: it has no test clock to read or move. */
  live_tenant: 403,
  /** Sandboxes are created from a live tenant, not from another sandbox. */
  sandbox_tenant: 403,
  /** A test clock moves forward only. */
  clock_backwards: 422,
  /** One advance moves at most two years. */
  advance_too_far: 422,
});
export const SandboxError = SANDBOX_ERRORS.Error;
