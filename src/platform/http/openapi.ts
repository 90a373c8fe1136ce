import type { RouteAccess } from "../../app-types.js";
import { rolesFor } from "../auth/permissions.js";

/**
 * Names every operation of the OpenAPI document in one place, so generated clients and
 * linters get a unique operationId and a summary without each route spelling them out.
 * A route that sets its own operationId or summary keeps it.
 */

const METHOD_VERB: Record<string, string> = {
  get: "get",
  post: "post",
  put: "put",
  patch: "patch",
  delete: "delete",
  head: "head",
  options: "options",
};

const capital = (word: string) => (word ? word[0]!.toUpperCase() + word.slice(1) : word);
const camel = (segment: string) =>
  segment
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word, i) => (i === 0 ? word : capital(word)))
    .join("");

/**
 * `GET /v1/members/:id/balance-changes` → `getMembersByIdBalanceChanges`. Method and path
 * shape identify a route in the router, so the result is unique by construction; the
 * `/v1` prefix is left out because every API path has it.
 */
export function operationIdFor(method: string, url: string): string {
  const verb = METHOD_VERB[method.toLowerCase()] ?? method.toLowerCase();
  const parts = url
    .split("?")[0]!
    .split("/")
    .filter((segment, i) => segment !== "" && !(i === 1 && segment === "v1"));
  const words = parts.map((segment) => {
    const param = /^[:{]([^}]+)}?$/.exec(segment);
    return param ? `By${capital(camel(param[1]!))}` : capital(camel(segment));
  });
  return verb + (words.join("") || "Root");
}

/** A readable fallback summary: `GET /v1/members/{id}` → "GET /v1/members/{id}". */
export function summaryFor(method: string, url: string): string {
  return `${method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`;
}

interface TransformInput {
  schema?: object;
  url: string;
  route: { method: string | string[]; config?: unknown };
}

/** Who may call a route, as OpenAPI extensions (the console offers only what it may call). */
function accessExtensions(access: RouteAccess | undefined): Record<string, unknown> {
  if (!access || access.public) return { "x-access": "public" };
  const roles = access.permission ? [...(rolesFor(access.permission) ?? [])] : [];
  return {
    "x-access": access.member ? (roles.length > 0 ? "staff_or_member" : "member") : "staff",
    ...(access.permission ? { "x-permission": access.permission, "x-roles": roles } : {}),
    ...(access.tenantWide ? { "x-tenant-wide": true } : {}),
  };
}

/**
 * @fastify/swagger's per-route transform: adds operationId and summary where missing, and
 * the route's access rule as `x-access`, `x-permission`, `x-roles` and `x-tenant-wide`.
 */
export function describeOperation({ schema, url, route }: TransformInput) {
  const method = [route.method].flat()[0] ?? "get";
  const given = (schema ?? {}) as Record<string, unknown>;
  return {
    url,
    schema: {
      ...given,
      operationId: (given.operationId as string | undefined) ?? operationIdFor(method, url),
      summary: (given.summary as string | undefined) ?? summaryFor(method, url),
      ...(url.startsWith("/v1") ? accessExtensions(route.config as RouteAccess | undefined) : {}),
    },
  };
}

type PathItems = Record<string, Record<string, Record<string, unknown>>>;

/** Webhook operations are named after their event type: `member.created` → `onMemberCreated`. */
export function nameWebhookOperations<T extends PathItems>(webhooks: T): T {
  const named: PathItems = {};
  for (const [event, item] of Object.entries(webhooks)) {
    named[event] = {};
    for (const [method, operation] of Object.entries(item)) {
      named[event][method] = { operationId: `on${capital(camel(event))}`, ...operation };
    }
  }
  return named as T;
}
