import { fullFormats } from "ajv-formats/dist/formats.js";
import { assertMetadataSize } from "../../platform/org/org.schemas.js";
import { normalizePhone, PHONE_TYPED } from "../../shared/phone.js";
import { MembersError } from "./members.errors.js";
import { type Catalog, codesToIds, findByCode } from "./members.repository.js";

/** What a caller may set on a member (API body, import row): codes, not ids. */
export interface MemberInput {
  external_ref?: string | null;
  name?: string;
  phone?: string | null;
  email?: string | null;
  /** `MM-DD` or `YYYY-MM-DD`. */
  birthday?: string | null;
  card_plan?: string | null;
  tier?: string | null;
  card_number?: string | null;
  student?: boolean;
  groups?: string[];
  tags?: string[];
  org_unit_id?: string | null;
  metadata?: Record<string, unknown>;
}

/**
 * The text fields' bounds, for the API schema and for each import row alike: an import must
 * not store what `POST /v1/members` refuses.
 */
export const FIELD_RULES = {
  name: { minLength: 1, maxLength: 200 },
  external_ref: { minLength: 1, maxLength: 128 },
  phone: { minLength: 3, maxLength: 32, pattern: PHONE_TYPED.source },
  email: { maxLength: 254, format: "email" },
  card_number: { minLength: 1, maxLength: 64 },
} as const;

const EMAIL = fullFormats.email as RegExp;

/** Each text field of `input` that breaks FIELD_RULES, with why (empty: all fine). */
export function fieldProblems(input: MemberInput): { field: keyof typeof FIELD_RULES; message: string }[] {
  const problems: { field: keyof typeof FIELD_RULES; message: string }[] = [];
  for (const field of Object.keys(FIELD_RULES) as (keyof typeof FIELD_RULES)[]) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    const rule: { minLength?: number; maxLength: number } = FIELD_RULES[field];
    if (value.length < (rule.minLength ?? 0) || value.length > rule.maxLength) {
      problems.push({ field, message: `must be ${rule.minLength ?? 0}-${rule.maxLength} characters` });
    } else if (field === "phone" && !PHONE_TYPED.test(value)) {
      problems.push({ field, message: "must be digits, spaces, ( ) - and an optional leading +" });
    } else if (field === "phone" && normalizePhone(value).replace("+", "").length < 3) {
      problems.push({ field, message: "must have at least 3 digits" });
    } else if (field === "email" && !EMAIL.test(value)) {
      problems.push({ field, message: "must be an email address" });
    }
  }
  return problems;
}

/** A member is in at most this many groups, and holds at most this many tags (as the API's lists). */
export const MAX_LABELS_PER_MEMBER = 100;

/**
 * An import cell's group or tag codes (separated by , ; or |), each once: the API refuses a
 * list naming a code twice, so an import never stores one member twice in a group.
 */
export function labelCodes(text: string | null | undefined): string[] | undefined {
  if (!text) return undefined;
  const codes = text
    .split(/[,;|]/)
    .map((s) => s.trim())
    .filter(Boolean);
  return [...new Set(codes)];
}

/** What an import's student cell may say (case aside); anything else is refused, not read as no. */
export const STUDENT_YES = ["1", "true", "yes", "y", "是"];
export const STUDENT_NO = ["0", "false", "no", "n", "否", ""];

const BIRTHDAY = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function parseBirthday(text: string): { year: number | null; month: number; day: number } {
  const m = BIRTHDAY.exec(text);
  const refuse = () =>
    new MembersError("invalid_birthday", `Birthday ${text} is not MM-DD or YYYY-MM-DD`, {
      errors: [{ field: "/body/birthday", message: "must be MM-DD or YYYY-MM-DD" }],
    });
  if (!m) throw refuse();
  const year = m[1] ? Number(m[1]) : null;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) throw refuse();
  if (year !== null) {
    if (year < 1900 || year > 2100) throw refuse();
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    if (month === 2 && day === 29 && !leap) throw refuse();
  }
  return { year, month, day };
}

export interface ResolvedCard {
  card_plan_id: string | null;
  tier_id: string | null;
}

/**
 * Resolves plan and tier codes. A tier alone implies its plan; a plan alone starts at its
 * lowest tier; a tier of another plan is refused. An archived plan issues no new card, whether
 * named by its code or by one of its tiers (unless `archived` is "allow", for a caller that
 * decides itself); the member who holds it (`heldPlanId`) still moves between its tiers.
 */
export function resolveCard(
  catalog: Catalog,
  planCode: string | null | undefined,
  tierCode: string | null | undefined,
  options: { heldPlanId?: string | null; archived?: "refuse" | "allow" } = {},
): ResolvedCard {
  const plan = planCode ? findByCode(catalog.plans, planCode) : undefined;
  if (planCode && !plan) throw new MembersError("card_plan_not_found", `No card plan with code ${planCode}`);
  const tier = tierCode ? findByCode(catalog.tiers, tierCode) : undefined;
  if (tierCode && !tier) throw new MembersError("card_tier_not_found", `No tier with code ${tierCode}`);
  if (plan && tier && tier.card_plan_id !== plan.id) {
    throw new MembersError("tier_not_in_plan", `Tier ${tierCode} is not a tier of card plan ${planCode}`);
  }
  const target = plan ?? (tier ? catalog.plans.get(tier.card_plan_id) : undefined);
  if (target?.archived_at && target.id !== (options.heldPlanId ?? null) && options.archived !== "allow") {
    throw new MembersError("card_plan_not_found", `Card plan ${target.code} is archived`);
  }
  if (tier) return { card_plan_id: tier.card_plan_id, tier_id: tier.id };
  if (plan) {
    const lowest = [...catalog.tiers.values()]
      .filter((t) => t.card_plan_id === plan.id)
      .sort((a, b) => a.rank - b.rank)[0];
    return { card_plan_id: plan.id, tier_id: lowest?.id ?? null };
  }
  return { card_plan_id: null, tier_id: null };
}

/** The column values of the fields present in `input` (absent fields stay as they are). */
export function memberColumns(catalog: Catalog, input: MemberInput) {
  const out: Record<string, unknown> = {};
  for (const key of [
    "external_ref",
    "name",
    "phone",
    "email",
    "card_number",
    "student",
    "org_unit_id",
  ] as const) {
    if (input[key] !== undefined) out[key] = input[key];
  }
  // Kept as digits (and a leading +), however it was typed: searches by phone then find it.
  if (typeof input.phone === "string") {
    out.phone = normalizePhone(input.phone);
    if ((out.phone as string).replace("+", "").length < 3) {
      throw new MembersError("validation_failed", "The phone must have at least 3 digits", {
        errors: [{ field: "/body/phone", message: "must have at least 3 digits" }],
      });
    }
  }
  if (input.metadata !== undefined) {
    // The schema bounds keys, not values: the documented 4 KiB is held here, for create and change.
    assertMetadataSize(input.metadata);
    out.metadata = JSON.stringify(input.metadata);
  }
  if (input.birthday !== undefined) {
    const b = input.birthday === null ? null : parseBirthday(input.birthday);
    out.birth_year = b?.year ?? null;
    out.birth_month = b?.month ?? null;
    out.birth_day = b?.day ?? null;
  }
  if (input.groups !== undefined) out.group_ids = codesToIds(catalog.groups, input.groups, "member_group");
  if (input.tags !== undefined) out.tag_ids = codesToIds(catalog.tags, input.tags, "member_tag");
  return out;
}
