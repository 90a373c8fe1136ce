import type { RouteOptions } from "fastify";
import { knownErrorCodes, statusForCode } from "../../shared/errors.js";

/**
 * A route's `config.errors` lists the refusals its operation can answer with. Each status's
 * OpenAPI response then names its codes, so a client sees every precise result it must
 * handle. A code no manifest declares refuses to start (a typo would go unnoticed otherwise).
 */
export function checkRouteErrors(route: RouteOptions): void {
  const codes = route.config?.errors;
  if (!codes || codes.length === 0) return;
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    if (!knownErrorCodes().has(code)) {
      throw new Error(`route ${route.method} ${route.url} lists unknown error code ${code}`);
    }
    const status = statusForCode(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const schema = (route.schema ?? {}) as { response?: Record<string, unknown> };
  const response: Record<string, unknown> = { ...(schema.response ?? {}) };
  for (const [status, list] of byStatus) {
    response[status] = {
      $ref: "Problem#",
      description: `RFC 9457 problem details; \`code\` is one of: ${list.sort().join(", ")}`,
    };
  }
  route.schema = { ...schema, response };
}
