/**
 * The served /openapi.json as the tests that walk every operation read it: the route
 * walk (tenancy) and the API fuzz run (no 5xx, documented responses).
 */
import type { FastifyInstance } from "fastify";

export type Schema = Record<string, unknown>;
export interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema: Schema;
}
export interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  security?: unknown[];
}
export interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}
export interface Route {
  method: string;
  path: string;
  operation: Operation;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

export async function loadOpenApi(app: FastifyInstance): Promise<{ doc: OpenApi; routes: Route[] }> {
  const response = await app.inject({ url: "/openapi.json" });
  const doc = JSON.parse(response.body) as OpenApi;
  const routes = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
  return { doc, routes };
}

/** `schema` with every `$ref` into components replaced by its target (cycles cut at depth 20). */
export function resolveSchema(doc: OpenApi, schema: Schema, depth = 0): Schema {
  if (depth > 20) return {};
  const ref = schema.$ref;
  if (typeof ref === "string") {
    const name = ref.replace(/^#\/components\/schemas\//, "").replace(/#$/, "");
    return resolveSchema(doc, doc.components?.schemas?.[name] ?? {}, depth + 1);
  }
  const out: Schema = { ...schema };
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    if (Array.isArray(schema[key])) {
      out[key] = (schema[key] as Schema[]).map((s) => resolveSchema(doc, s, depth + 1));
    }
  }
  if (schema.items) out.items = resolveSchema(doc, schema.items as Schema, depth + 1);
  if (schema.properties) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties as Record<string, Schema>).map(([k, v]) => [
        k,
        resolveSchema(doc, v, depth + 1),
      ]),
    );
  }
  return out;
}
