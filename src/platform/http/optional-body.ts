/**
 * A POST, PUT or PATCH whose body has no required field may be sent without a body: its
 * fields all take their defaults (`POST /v1/gift-cards/{id}/refund` with no reason), as
 * Stripe's API allows. Fastify would otherwise validate the missing body as `undefined` and
 * refuse it with "/body must be object", and @fastify/swagger marks every body required.
 */

interface BodySchema {
  type?: unknown;
  required?: unknown;
  $ref?: unknown;
}

/** True when the schema is an object schema with no required property. */
export function bodyMayBeOmitted(schema: unknown): boolean {
  if (schema === null || typeof schema !== "object") return false;
  const body = schema as BodySchema;
  return body.type === "object" && (!Array.isArray(body.required) || body.required.length === 0);
}

interface OpenApiDocument {
  paths?: Record<
    string,
    Record<
      string,
      { requestBody?: { required?: boolean; content?: Record<string, { schema?: BodySchema }> } }
    >
  >;
  components?: { schemas?: Record<string, BodySchema> };
}

/** Marks each operation's request body optional where the route accepts none (see above). */
export function markOmittableBodies<T>(document: T): T {
  const doc = document as OpenApiDocument;
  const resolve = (schema: BodySchema | undefined): BodySchema | undefined => {
    const ref = schema?.$ref;
    if (typeof ref !== "string") return schema;
    return doc.components?.schemas?.[ref.replace("#/components/schemas/", "")];
  };
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const body = operation?.requestBody;
      if (!body?.content) continue;
      const schemas = Object.values(body.content).map((media) => resolve(media.schema));
      if (schemas.length > 0 && schemas.every(bodyMayBeOmitted)) body.required = false;
    }
  }
  return document;
}
