import SerializerSelector from "@fastify/fast-json-stringify-compiler";

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serializer = ReturnType<ReturnType<SerializerFactory>>;

/**
 * Compiled request validators and response serializers, kept by the schema's JSON text for the
 * life of the process.
 *
 * Compiling every route's schemas is most of what building the app costs (over a second of CPU;
 * some 500 distinct schemas). Many routes share a schema (ids in the path, the problem answer, list
 * pages), and a process that builds the app more than once (the test suite builds one per test
 * file) would otherwise compile them all again. Routes build their schemas afresh each time, so
 * the key is the schema's text, not its object. A compiled function is a pure closure over its
 * schema and the compiler's options: each cache is for one fixed set of options, and the text of
 * the schemas a `$ref` may name is part of a serializer's key.
 */
export class CompiledSchemas<F> {
  readonly #compiled = new Map<string, F>();

  /** The compiled function of `schema`, given `context`: the text of everything else it depends on. */
  get(schema: unknown, context: string, compile: () => F): F {
    // A schema its text does not describe (a function, a RegExp or a date in it) is not kept.
    const text = faithfulJson(schema);
    const key = text === undefined ? undefined : `${context}\n${text}`;
    const kept = key === undefined ? undefined : this.#compiled.get(key);
    if (kept !== undefined) return kept;
    compilations += 1;
    const fn = compile();
    if (key !== undefined) this.#compiled.set(key, fn);
    return fn;
  }

  get size(): number {
    return this.#compiled.size;
  }
}

/** Every compilation in this process, kept or not. */
let compilations = 0;

/** The JSON text of `value`, or undefined when the text would lose or change something in it. */
function faithfulJson(value: unknown): string | undefined {
  let faithful = true;
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key, converted) {
    const original = this[key];
    if (
      typeof original === "function" ||
      typeof original === "bigint" ||
      original instanceof RegExp ||
      original instanceof Date ||
      (original === undefined && key !== "")
    )
      faithful = false;
    return converted;
  });
  return faithful ? text : undefined;
}

/** How many times this process has compiled a schema, of every kind. */
export function compiledSchemaCount(): number {
  return compilations;
}

const serializers = new CompiledSchemas<Serializer>();
const fastJsonStringifyFactory = SerializerSelector();

/**
 * Fastify's own serializer factory (fast-json-stringify), remembering each response schema's
 * serializer under the shared schemas (`app.addSchema`) and options it was compiled with.
 */
export const rememberingSerializerFactory: SerializerFactory = (externalSchemas, options) => {
  const compile = fastJsonStringifyFactory(externalSchemas, options);
  const context = JSON.stringify([externalSchemas ?? null, options ?? null]);
  return (route) => serializers.get(route.schema, context, () => compile(route));
};
