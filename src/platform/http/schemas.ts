import { type TSchema, Type } from "typebox";
import { MAX_AMOUNT } from "../../shared/money.js";

/** Shared TypeBox pieces: every route's inputs are closed objects (`additionalProperties: false`). */
export const Obj = <T extends Record<string, TSchema>>(
  properties: T,
  options: Record<string, unknown> = {},
) => Type.Object(properties, { additionalProperties: false, ...options });

/** A field that may be null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Amount = Type.Integer({
  minimum: 1,
  maximum: MAX_AMOUNT,
  description: "Integer amount in minor units of the asset (e.g. cents)",
  examples: [12345],
});

export const AssetCode = Type.String({ maxLength: 16, pattern: "^[A-Z][A-Z0-9_]{1,15}$", examples: ["CNY"] });

export const Money = Obj({ amount: Amount, asset: AssetCode });

export const Id = (prefix: string) =>
  Type.String({
    maxLength: prefix.length + 27,
    pattern: `^${prefix}_[0-9a-z]{26}$`,
    examples: [`${prefix}_01jd3m2x4y5z6a7b8c9d0e1f2g`],
  });

/** Any id-like string: unknown ids answer 404, not 400, so path params stay loose. */
export const IdParam = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" });

/**
 * An RFC 3339 time. The format alone allows any number of fractional digits: 40 characters
 * hold nanoseconds and an offset ("2026-11-23T08:00:00.123456789+08:00" is 35).
 */
export const MAX_TIMESTAMP_LENGTH = 40;
export const Timestamp = Type.String({
  format: "date-time",
  maxLength: MAX_TIMESTAMP_LENGTH,
  examples: ["2026-11-23T08:00:00.000Z"],
});

/**
 * An object of free keys whose keys hold to `key`. TypeBox's Record with a key schema checks
 * only the values: a key's `maxLength` was dropped (its pattern became `patternProperties`,
 * which the published document leaves out), so the key's limits go in `propertyNames`, which
 * Ajv checks and the document shows.
 */
export const KeyedRecord = <V extends TSchema>(
  key: { maxLength: number; pattern?: string },
  value: V,
  options: { maxProperties: number; description?: string },
) => Type.Record(Type.String(), value, { ...options, propertyNames: key });

export const Metadata = KeyedRecord({ maxLength: 64 }, Type.Unknown(), {
  description: "Free key-value data: at most 50 keys of at most 64 characters, at most 4 KiB as JSON",
  maxProperties: 50,
});

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  starting_after: Type.Optional(Type.String({ maxLength: 64 })),
};

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({
    object: Type.Literal("list"),
    data: Type.Array(item),
    has_more: Type.Boolean(),
  });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: "Stable machine-readable error code" }),
    detail: Type.String(),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: "Problem", additionalProperties: true, description: "RFC 9457 problem details" },
);

const ProblemRef = Type.Unsafe({ $ref: "Problem#" });

/** The error responses every authenticated route can give; routes add their own. */
export function errorResponses(...extra: number[]) {
  const statuses = [400, 401, 403, 404, 413, 429, 500, 503, ...extra];
  return Object.fromEntries(statuses.map((s) => [s, ProblemRef]));
}

/** A closed set of strings (`enum` in JSON Schema), typed as the union of its values. */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
) => Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });
