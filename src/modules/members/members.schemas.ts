import { Type } from "typebox";
import {
  IdParam,
  ListQuery,
  Metadata,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { AudienceRule } from "./audience.js";
import { IMPORT_COLUMNS, MAX_IMPORT_BYTES } from "./import-members.js";
import { MAX_MEMBERS_PER_CHANGE } from "./labels.js";
import { FIELD_RULES } from "./member-input.js";
import {
  birthdayText,
  type CardPlanRow,
  type CardTierRow,
  type Catalog,
  factsOf,
  type LabelRow,
  type MemberRow,
} from "./members.repository.js";

export const Code = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: "^[A-Za-z0-9_.-]+$",
  examples: ["gold"],
});
export const Name = Type.String(FIELD_RULES.name);
export const Birthday = Type.String({
  maxLength: 10,
  pattern: "^([0-9]{4}-)?[0-9]{2}-[0-9]{2}$",
  description: "MM-DD, or YYYY-MM-DD when the year is known",
  examples: ["03-15", "1990-03-15"],
});
export const STATUSES = ["active", "frozen", "closed"] as const;
export const TIER_REASONS = ["manual", "topup_upgrade", "package"] as const;

export const Validity = Type.Union(
  [
    Obj({ kind: Type.Literal("permanent") }),
    Obj({ kind: Type.Literal("relative"), days: Type.Integer({ minimum: 1, maximum: 36_600 }) }),
  ],
  {
    description:
      "Card validity: permanent, or N calendar days from issue in the tenant's time zone (at the local time it was issued)",
    examples: [{ kind: "relative", days: 365 }],
  },
);
export const TierIn = Obj({
  code: Code,
  name: Name,
  rank: Type.Integer({ minimum: 1, maximum: 1000, description: "Higher is better" }),
});

export const Tier = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  rank: Type.Integer(),
});
export const CardPlan = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("card_plan"),
    code: Type.String(),
    name: Type.String(),
    validity: Type.Object({
      kind: StringEnum(["permanent", "relative"] as const),
      days: Nullable(Type.Integer()),
    }),
    tiers: Type.Array(Tier, { description: "Lowest rank first" }),
    archived: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "CardPlan" },
);
export const Label = (object: "member_group" | "member_tag") =>
  Type.Object({
    id: Type.String(),
    object: Type.Literal(object),
    code: Type.String(),
    name: Type.String(),
    created_at: Timestamp,
    updated_at: Timestamp,
  });

export const Member = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("member"),
    external_ref: Nullable(Type.String()),
    name: Type.String(),
    phone: Nullable(Type.String()),
    email: Nullable(Type.String()),
    birthday: Nullable(Type.String()),
    card_plan: Nullable(Type.String({ description: "Card plan code" })),
    tier: Nullable(Type.String({ description: "Tier code" })),
    card_number: Nullable(Type.String()),
    card_issued_at: Nullable(Timestamp),
    card_expires_at: Nullable(Type.String({ description: "Null: permanent card (or no card)" })),
    student: Type.Boolean(),
    groups: Type.Array(Type.String()),
    tags: Type.Array(Type.String()),
    status: StringEnum(STATUSES),
    org_unit_id: Nullable(Type.String()),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    balance: Type.Optional(
      Type.Object(
        { principal: Type.Integer(), bonus: Type.Integer(), total: Type.Integer() },
        {
          description: "In lists: the member's balance in the balance asset's minor units (posted)",
          examples: [{ principal: 30000, bonus: 3000, total: 33000 }],
        },
      ),
    ),
    registered_at: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Member" },
);

export const MemberFields = {
  external_ref: Type.Optional(Nullable(Type.String(FIELD_RULES.external_ref))),
  phone: Type.Optional(Nullable(Type.String(FIELD_RULES.phone))),
  email: Type.Optional(Nullable(Type.String(FIELD_RULES.email))),
  birthday: Type.Optional(Nullable(Birthday)),
  card_number: Type.Optional(Nullable(Type.String(FIELD_RULES.card_number))),
  student: Type.Optional(Type.Boolean()),
  groups: Type.Optional(Type.Array(Code, { maxItems: 100, uniqueItems: true })),
  tags: Type.Optional(Type.Array(Code, { maxItems: 100, uniqueItems: true })),
  org_unit_id: Type.Optional(Nullable(IdParam)),
  metadata: Type.Optional(Metadata),
};
export const MemberCreate = Obj(
  {
    name: Name,
    ...MemberFields,
    card_plan: Type.Optional(Nullable(Code)),
    tier: Type.Optional(Nullable(Code)),
    registered_at: Type.Optional(Timestamp),
  },
  {
    examples: [
      {
        name: "林小姐",
        external_ref: "crm-1001",
        phone: "13800000000",
        birthday: "03-15",
        tier: "gold",
        groups: ["vip"],
        tags: ["coffee"],
      },
    ],
  },
);

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeMember(row: MemberRow, catalog: Catalog) {
  const facts = factsOf(row, catalog);
  return {
    id: row.id,
    object: "member" as const,
    external_ref: row.external_ref,
    name: row.name,
    phone: row.phone,
    email: row.email,
    birthday: birthdayText(row),
    card_plan: facts.cardPlan,
    tier: facts.tier,
    card_number: row.card_number,
    card_issued_at: iso(row.card_issued_at),
    card_expires_at: iso(row.card_expires_at),
    student: row.student,
    groups: [...facts.groups],
    tags: [...facts.tags],
    status: row.status,
    org_unit_id: row.org_unit_id,
    metadata: row.metadata,
    registered_at: row.registered_at.toISOString(),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function serializePlan(plan: CardPlanRow, tiers: CardTierRow[]) {
  return {
    id: plan.id,
    object: "card_plan" as const,
    code: plan.code,
    name: plan.name,
    validity: { kind: plan.validity_kind, days: plan.validity_days },
    tiers: tiers
      .filter((t) => t.card_plan_id === plan.id)
      .sort((a, b) => a.rank - b.rank)
      .map((t) => ({ id: t.id, code: t.code, name: t.name, rank: t.rank })),
    archived: plan.archived_at !== null,
    created_at: plan.created_at.toISOString(),
    updated_at: plan.updated_at.toISOString(),
  };
}

export const serializeLabel = (object: "member_group" | "member_tag") => (row: LabelRow) => ({
  id: row.id,
  object,
  code: row.code,
  name: row.name,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export const IdParams = Obj({ id: IdParam });

export const CardPlanBody = Obj(
  {
    code: Code,
    name: Name,
    validity: Validity,
    tiers: Type.Array(TierIn, { maxItems: 20, description: "e.g. silver 1 < gold 2 < platinum 3" }),
  },
  {
    examples: [
      {
        code: "standard",
        name: "Standard",
        validity: { kind: "relative", days: 365 },
        tiers: [
          { code: "silver", name: "Silver", rank: 1 },
          { code: "gold", name: "Gold", rank: 2 },
          { code: "platinum", name: "Platinum", rank: 3 },
        ],
      },
    ],
  },
);

export const CardPlanPatch = Obj(
  {
    name: Type.Optional(Name),
    validity: Type.Optional(Validity),
    archived: Type.Optional(Type.Boolean()),
    add_tiers: Type.Optional(Type.Array(TierIn, { maxItems: 20 })),
    rename_tiers: Type.Optional(Type.Array(Obj({ code: Code, name: Name }), { maxItems: 20 })),
  },
  { minProperties: 1 },
);

export const LabelMembersBody = Obj(
  {
    add: Type.Optional(Type.Array(IdParam, { maxItems: MAX_MEMBERS_PER_CHANGE })),
    remove: Type.Optional(Type.Array(IdParam, { maxItems: MAX_MEMBERS_PER_CHANGE })),
  },
  { minProperties: 1 },
);

export const MembershipChange = Type.Object({
  object: Type.Literal("membership_change"),
  added: Type.Integer({ description: "Members put in (those already in are not counted)" }),
  removed: Type.Integer({ description: "Members taken out (those not in are not counted)" }),
  skipped: Type.Array(
    Type.Object({
      member_id: Type.String(),
      reason: StringEnum(["member_closed"], {
        description: "member_closed: a closed member is final, its groups and tags stay as they were",
      }),
    }),
    {
      maxItems: MAX_MEMBERS_PER_CHANGE,
      description:
        "Named members the change left alone, in the order named, with why (a member already in the group or tag, or not in it, is not listed: it is only not counted)",
    },
  ),
});

export const MemberQuery = Obj({
  ...ListQuery,
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: "Prefix of name, phone, email, card number or external reference",
    }),
  ),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  phone: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  card_plan: Type.Optional(Code),
  tier: Type.Optional(Code),
  min_tier: Type.Optional(Code),
  group: Type.Optional(Code),
  tag: Type.Optional(Code),
  status: Type.Optional(StringEnum(STATUSES)),
  registered_from: Type.Optional(Timestamp),
  registered_to: Type.Optional(Timestamp),
  balance_min: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: "Balance (principal + bonus) at least, minor units",
    }),
  ),
  balance_max: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: "Balance (principal + bonus) at most, minor units",
    }),
  ),
  sort: Type.Optional(
    StringEnum(["balance_asc", "balance_desc"] as const, {
      description: "Default id order; by balance, equal balances in id order (the cursor stays exact)",
    }),
  ),
});

export const MemberPatch = Obj(
  { name: Type.Optional(Name), ...MemberFields, status: Type.Optional(StringEnum(STATUSES)) },
  { minProperties: 1 },
);

export const ChangeTierBody = Obj({
  card_plan: Type.Optional(Code),
  tier: Type.Optional(Code),
  reason: StringEnum(TIER_REASONS),
  reference: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, description: "e.g. the top-up or package id" }),
  ),
});

export const TierChange = Type.Object({
  id: Type.String(),
  object: Type.Literal("tier_change"),
  from_card_plan: Nullable(Type.String()),
  from_tier: Nullable(Type.String()),
  to_card_plan: Nullable(Type.String()),
  to_tier: Nullable(Type.String()),
  reason: Type.String(),
  reference: Nullable(Type.String()),
  actor_type: Type.String(),
  actor_id: Type.String(),
  created_at: Timestamp,
});

/** A tier change with the plans' and tiers' codes (a removed one answers null). */
export const serializeTierChange =
  (catalog: Catalog) =>
  (r: {
    id: string;
    from_plan_id: string | null;
    from_tier_id: string | null;
    to_plan_id: string | null;
    to_tier_id: string | null;
    reason: string;
    reference: string | null;
    actor_type: string;
    actor_id: string;
    created_at: Date;
  }) => {
    const code = (id: string | null, map: Map<string, { code: string }>) =>
      id ? (map.get(id)?.code ?? null) : null;
    return {
      id: r.id,
      object: "tier_change" as const,
      from_card_plan: code(r.from_plan_id, catalog.plans),
      from_tier: code(r.from_tier_id, catalog.tiers),
      to_card_plan: code(r.to_plan_id, catalog.plans),
      to_tier: code(r.to_tier_id, catalog.tiers),
      reason: r.reason,
      reference: r.reference,
      actor_type: r.actor_type,
      actor_id: r.actor_id,
      created_at: r.created_at.toISOString(),
    };
  };

export const ImportBody = Obj({
  format: StringEnum(["xlsx", "csv"] as const),
  content_base64: Type.String({
    minLength: 4,
    maxLength: Math.ceil((MAX_IMPORT_BYTES * 4) / 3) + 4,
    contentEncoding: "base64",
  }),
});

export const ImportAnswer = Type.Object({
  object: Type.Literal("member_import"),
  created: Type.Integer(),
  member_ids: Type.Array(Type.String()),
});

/** The import's header row, for its description. */
export const IMPORT_HEADER = IMPORT_COLUMNS.join(", ");

export const AudienceCheckBody = Obj({
  rule: AudienceRule,
  member_ids: Type.Array(IdParam, { minItems: 1, maxItems: 100 }),
});

export const AudienceCheck = Type.Object({
  object: Type.Literal("audience_check"),
  results: Type.Array(Type.Object({ member_id: Type.String(), matches: Type.Boolean() })),
});
