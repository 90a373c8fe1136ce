import { Type } from "typebox";
import { DomainError } from "../../shared/errors.js";
import { IdParam, ListQuery, Metadata, Obj, StringEnum, Timestamp } from "../http/schemas.js";
import { ORG_UNIT_KINDS, type OrgUnitRow } from "./org-units.js";

const MAX_METADATA_BYTES = 4096;
export const MAX_STORES_PER_GROUP = 500;

export const OrgUnit = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("org_unit"),
    parent_id: Type.Union([Type.String(), Type.Null()], { description: "null for the tenant's root unit" }),
    kind: StringEnum(ORG_UNIT_KINDS),
    name: Type.String(),
    code: Type.Union([Type.String(), Type.Null()], {
      description: "The tenant's own code, unique per tenant",
    }),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "OrgUnit" },
);

export const StoreGroup = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("store_group"),
    name: Type.String(),
    org_unit_id: Type.Union([Type.String(), Type.Null()], {
      description: "The unit that owns the group; its stores lie in that unit's subtree. null: tenant-wide",
    }),
    store_ids: Type.Array(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "StoreGroup" },
);

const Code = Type.String({ minLength: 1, maxLength: 64 });
const UnitName = Type.String({ minLength: 1, maxLength: 200 });
const StoreIds = Type.Array(IdParam, { maxItems: MAX_STORES_PER_GROUP, uniqueItems: true });

export const IdParams = Obj({ id: IdParam });

export const OrgUnitBody = Obj({
  parent_id: IdParam,
  kind: StringEnum(ORG_UNIT_KINDS),
  name: UnitName,
  code: Type.Optional(Type.Union([Code, Type.Null()])),
  metadata: Type.Optional(Metadata),
});

export const OrgUnitQuery = Obj({
  ...ListQuery,
  parent_id: Type.Optional(IdParam),
  subtree_of: Type.Optional(IdParam),
  kind: Type.Optional(StringEnum(ORG_UNIT_KINDS)),
});

export const OrgUnitPatch = Obj(
  {
    name: Type.Optional(UnitName),
    code: Type.Optional(Type.Union([Code, Type.Null()])),
    metadata: Type.Optional(Metadata),
  },
  { minProperties: 1 },
);

export const StoreGroupBody = Obj({
  name: UnitName,
  store_ids: StoreIds,
  org_unit_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
});

export const StoreGroupPatch = Obj(
  {
    name: Type.Optional(UnitName),
    store_ids: Type.Optional(StoreIds),
  },
  { minProperties: 1 },
);

export function serializeUnit(row: OrgUnitRow) {
  return {
    id: row.id,
    object: "org_unit" as const,
    parent_id: row.parent_id,
    kind: row.kind as (typeof ORG_UNIT_KINDS)[number],
    name: row.name,
    code: row.code,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export interface StoreGroupRow {
  id: string;
  name: string;
  org_unit_id: string | null;
  store_ids: string[];
  created_at: Date;
  updated_at: Date;
}

export function serializeGroup(row: StoreGroupRow) {
  return {
    id: row.id,
    object: "store_group" as const,
    name: row.name,
    org_unit_id: row.org_unit_id,
    store_ids: row.store_ids,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** A unit's metadata is small: refused past the limit before anything is written. */
export function assertMetadataSize(metadata: Record<string, unknown> | undefined): void {
  if (metadata && Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    throw new DomainError(
      "validation_failed",
      `metadata may hold at most ${MAX_METADATA_BYTES} bytes of JSON`,
      {
        errors: [{ field: "/body/metadata", message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` }],
      },
    );
  }
}
