/**
 * Why the system made a change to a member's balance or points, as a code with its values, so
 * each reader says it in its own language (the member center and the console translate
 * `reason_code`). `reason` keeps the English sentence for API clients, exports and the ledger's
 * memo, which the points a refund takes back are found by.
 */
const SENTENCES = {
  order_points: (p: { order: string }) => `order ${p.order}`,
  order_refunded: (p: { order: string }) => `order ${p.order} refunded`,
  topup_points: (p: { topup: string; plan: string }) => `top-up ${p.topup} (${p.plan})`,
  topup_refunded_by_provider: (p: { topup: string }) => `top-up ${p.topup} refunded by the payment provider`,
  gift_card_refunded: (p: { card: string }) => `gift card ${p.card} refunded`,
  points_exchanged: (p: { ratio: string | number }) => `exchanged at ${p.ratio} per unit`,
  points_exchanged_in: (p: { points: number; kind: string; ratio: string | number }) =>
    `${p.points} ${p.kind.replace("_", " ")} at ${p.ratio} per unit`,
  points_expired: (_: Record<string, never>) => "expired",
} as const;

export type SystemReasonCode = keyof typeof SENTENCES;
export const SYSTEM_REASON_CODES = Object.keys(SENTENCES) as SystemReasonCode[];

/** A reason the system gives: its code and the values its sentence names. */
export type SystemReason = {
  [C in SystemReasonCode]: { code: C; params: Parameters<(typeof SENTENCES)[C]>[0] };
}[SystemReasonCode];

/** A person's own words, or the system's coded reason. */
export type ChangeReason = string | SystemReason;

export function systemReason<C extends SystemReasonCode>(
  code: C,
  params: Parameters<(typeof SENTENCES)[C]>[0],
): SystemReason {
  return { code, params } as SystemReason;
}

/** The English sentence of a reason (a person's words as they are). */
export function reasonText(reason: ChangeReason | null | undefined): string | null {
  if (reason === null || reason === undefined) return null;
  if (typeof reason === "string") return reason;
  return (SENTENCES[reason.code] as (p: unknown) => string)(reason.params);
}

/** The change log's columns for a reason. */
export function reasonColumns(reason: ChangeReason | null | undefined) {
  const coded = reason !== null && typeof reason === "object";
  return {
    reason: reasonText(reason),
    reason_code: coded ? reason.code : null,
    reason_params: coded ? JSON.stringify(reason.params) : null,
  };
}
