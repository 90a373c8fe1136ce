/**
 * Every input from outside has a stated limit. This walks every operation's request inputs in
 * the published OpenAPI document (JSON bodies, query, path and header parameters), through
 * objects, arrays, unions and $refs, and fails naming the operation and the JSON pointer of:
 *
 *   - a string with no `maxLength` (an `enum` or `const` is bound enough; a `format` is not,
 *     RFC 3339 allows any number of fractional digits; nor is a `pattern`: the rule is one
 *     keyword a reader can see, so patterned strings state their length too),
 *   - an array with no `maxItems`,
 *   - an object open to further keys (`additionalProperties` not false, `patternProperties`)
 *     with no `maxProperties`, or whose keys have no `propertyNames` with a `maxLength` or a
 *     closed set,
 *   - an integer or number without both a minimum and a maximum,
 *   - a schema that takes any value at all (no type).
 *
 * A benefit's `config` is published as a free object and validated against its kind's schema
 * (KIND_CONFIG), so those schemas are walked here as well. Uploads (images, files) are raw
 * bodies outside the document: each route states its own bodyLimit. TypeBox's Record checks and
 * publishes its values, not its key schema: a key's limits go in `propertyNames` (`KeyedRecord`).
 *
 * ALLOWED lists the few inputs bounded somewhere other than their schema, each with what
 * bounds it; an entry that no longer matches a finding fails too, so the list stays true.
 */
import { describe, expect, it } from "vitest";
import { publishedDocument } from "../scripts/openapi.js";
import { KIND_CONFIG } from "../src/modules/benefits/benefit-types.js";

type Schema = Record<string, unknown>;
type Kind = "string" | "array" | "object" | "object keys" | "number" | "any";

/** An open object's keys are bounded by `propertyNames` with a length or a closed set. */
function boundedKeys(propertyNames: unknown): boolean {
  if (typeof propertyNames !== "object" || propertyNames === null) return false;
  const p = propertyNames as Schema;
  return typeof p.maxLength === "number" || "enum" in p || "const" in p;
}

interface Finding {
  where: string;
  pointer: string;
  kind: Kind;
}

/** `${where} ${pointer}` → what bounds it, when its schema does not. */
const ALLOWED: Record<string, string> = {
  // Metadata values: free JSON by design; the whole object is at most 4 KiB as JSON, checked
  // before anything is written (org.schemas.ts checkMetadata, members' member-input.ts, the
  // ledger engine's metadata_too_large), and at most 50 keys by its schema.
  "POST /v1/org-units /body/properties/metadata/additionalProperties": "4 KiB of JSON (org)",
  "PATCH /v1/org-units/{id} /body/properties/metadata/additionalProperties": "4 KiB of JSON (org)",
  "POST /v1/members /body/properties/metadata/additionalProperties": "4 KiB of JSON (members)",
  "PATCH /v1/members/{id} /body/properties/metadata/additionalProperties": "4 KiB of JSON (members)",
  "POST /v1/ledger/accounts /body/properties/metadata/additionalProperties": "4 KiB of JSON (ledger)",
  "POST /v1/ledger/transfers /body/properties/metadata/anyOf/0/additionalProperties":
    "4 KiB of JSON (ledger)",
  "POST /v1/ledger/transfers/batch /body/properties/transfers/items/properties/metadata/anyOf/0/additionalProperties":
    "4 KiB of JSON (ledger)",
  "POST /v1/ledger/transfers/{id}/post /body/properties/metadata/anyOf/0/additionalProperties":
    "4 KiB of JSON (ledger)",
  "POST /v1/ledger/transfers/{id}/void /body/properties/metadata/anyOf/0/additionalProperties":
    "4 KiB of JSON (ledger)",
  // A benefit's config values: validated against KIND_CONFIG[kind] (benefit-rules.ts) before
  // anything is written; those schemas are walked below as "benefit config <kind>".
  "POST /v1/benefits /body/properties/config/additionalProperties": "KIND_CONFIG",
  "PATCH /v1/benefits/{id} /body/properties/config/additionalProperties": "KIND_CONFIG",
};

const METHODS = ["get", "post", "put", "patch", "delete"];

function typesOf(schema: Schema): string[] {
  const type = schema.type;
  return Array.isArray(type) ? (type as string[]) : typeof type === "string" ? [type] : [];
}

/** The findings in `schema` (and below it), resolving $refs into `components`. */
function unbounded(
  where: string,
  pointer: string,
  schema: unknown,
  components: Record<string, Schema>,
  seen: ReadonlySet<string> = new Set(),
): Finding[] {
  if (schema === true) return [{ where, pointer, kind: "any" }];
  if (typeof schema !== "object" || schema === null) return [];
  const s = schema as Schema;
  if (typeof s.$ref === "string") {
    const name = s.$ref.replace(/^#\/components\/schemas\//, "").replace(/#$/, "");
    if (seen.has(name)) return [];
    const target = components[name];
    if (!target) return [{ where, pointer, kind: "any" }];
    return unbounded(where, pointer, target, components, new Set([...seen, name]));
  }
  const found: Finding[] = [];
  const add = (kind: Kind) => found.push({ where, pointer, kind });
  const below = (at: string, sub: unknown) => found.push(...unbounded(where, at, sub, components, seen));

  const unions = ["anyOf", "oneOf", "allOf"].filter((k) => Array.isArray(s[k]));
  for (const key of unions) {
    for (const [i, sub] of (s[key] as unknown[]).entries()) below(`${pointer}/${key}/${i}`, sub);
  }
  const closedSet = "enum" in s || "const" in s;
  const types = typesOf(s);
  if (types.length === 0 && unions.length === 0 && !closedSet && !("properties" in s)) add("any");

  if (types.includes("string") && !closedSet && typeof s.maxLength !== "number") add("string");
  if (types.includes("array")) {
    if (typeof s.maxItems !== "number") add("array");
    if ("items" in s) below(`${pointer}/items`, s.items);
    for (const [i, sub] of ((s.prefixItems ?? []) as unknown[]).entries()) {
      below(`${pointer}/prefixItems/${i}`, sub);
    }
  }
  if (types.includes("object") || "properties" in s) {
    for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
      below(`${pointer}/properties/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`, sub);
    }
    const extra = s.additionalProperties;
    const patterns = (s.patternProperties ?? {}) as Record<string, unknown>;
    const open = extra !== false || Object.keys(patterns).length > 0;
    if (open && typeof s.maxProperties !== "number") add("object");
    if (open && !boundedKeys(s.propertyNames)) add("object keys");
    if (typeof extra === "object" && extra !== null) below(`${pointer}/additionalProperties`, extra);
    for (const [pattern, sub] of Object.entries(patterns)) {
      below(`${pointer}/patternProperties/${pattern.replaceAll("~", "~0").replaceAll("/", "~1")}`, sub);
    }
  }
  if ((types.includes("integer") || types.includes("number")) && !closedSet) {
    const low = typeof s.minimum === "number" || typeof s.exclusiveMinimum === "number";
    const high = typeof s.maximum === "number" || typeof s.exclusiveMaximum === "number";
    if (!low || !high) add("number");
  }
  return found;
}

interface Operation {
  parameters?: { in: string; name: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

async function findings(): Promise<Finding[]> {
  const doc = (await publishedDocument()) as {
    paths: Record<string, Record<string, Operation>>;
    components?: { schemas?: Record<string, Schema> };
  };
  const components = doc.components?.schemas ?? {};
  const all: Finding[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters ?? [])
        all.push(...unbounded(where, `/${p.in}/${p.name}`, p.schema, components));
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        const pointer = type.includes("json") ? "/body" : `/body(${type})`;
        all.push(...unbounded(where, pointer, media.schema ?? true, components));
      }
    }
  }
  for (const [kind, schema] of Object.entries(KIND_CONFIG)) {
    all.push(...unbounded(`benefit config ${kind}`, "/body/config", schema, components));
  }
  return all;
}

describe("request inputs", () => {
  it("flag what a walk should flag", () => {
    const found = unbounded(
      "POST /probe",
      "/body",
      {
        type: "object",
        properties: {
          name: { type: "string", format: "date-time", pattern: "^[a-z]{1,3}$" },
          kind: { type: "string", enum: ["a"] },
          ids: { type: "array", items: { $ref: "#/components/schemas/Id" } },
          tags: { type: "object", additionalProperties: { type: "integer", minimum: 0 } },
          keyed: {
            type: "object",
            maxProperties: 5,
            propertyNames: { maxLength: 8 },
            additionalProperties: { type: "string", maxLength: 9 },
          },
          any: {},
          ok: { anyOf: [{ type: "integer", minimum: 1, maximum: 9 }, { type: "null" }] },
        },
      },
      { Id: { type: "string" } },
    );
    expect(found.map((f) => `${f.kind} ${f.pointer}`)).toEqual([
      "string /body/properties/name",
      "array /body/properties/ids",
      "string /body/properties/ids/items",
      "object /body/properties/tags",
      "object keys /body/properties/tags",
      "number /body/properties/tags/additionalProperties",
      "any /body/properties/any",
      "object /body",
      "object keys /body",
    ]);
  });

  it("all state their limits: strings, arrays, open objects and numbers", async () => {
    const all = await findings();
    const keys = new Set(all.map((f) => `${f.where} ${f.pointer}`));
    const stale = Object.keys(ALLOWED).filter((key) => !keys.has(key));
    expect(stale, "allow-list entries that no longer match anything").toEqual([]);
    const open = all
      .filter((f) => !(`${f.where} ${f.pointer}` in ALLOWED))
      .map((f) => `${f.kind.padEnd(6)} ${f.where} ${f.pointer}`);
    expect(open, `${open.length} unbounded inputs`).toEqual([]);
  });
});
