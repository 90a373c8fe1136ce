/** Invariant checks: a failure here is a bug in Vouchsafe, never a user error. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}

export function assertNever(value: never, message = "unexpected value"): never {
  throw new Error(`${message}: ${String(value)}`);
}
