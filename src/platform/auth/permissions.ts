import type { Role } from "./actor.js";

/**
 * The permission table: each route names one permission; this maps it to the roles
 * allowed. Modules add their rows once at import time; a route whose permission is
 * not in the table refuses to start.
 */
const table = new Map<string, readonly Role[]>();

export const ALL_STAFF: readonly Role[] = ["owner", "admin", "operator", "finance", "viewer"];
export const MANAGERS: readonly Role[] = ["owner", "admin"];
export const OPERATORS: readonly Role[] = ["owner", "admin", "operator"];
export const FINANCE: readonly Role[] = ["owner", "admin", "finance"];

export function definePermissions(rows: Record<string, readonly Role[]>): void {
  for (const [permission, roles] of Object.entries(rows)) {
    const existing = table.get(permission);
    if (existing && existing.join() !== roles.join()) {
      throw new Error(`permission ${permission} defined twice with different roles`);
    }
    table.set(permission, roles);
  }
}

export function rolesFor(permission: string): readonly Role[] | undefined {
  return table.get(permission);
}

export function permissionTable(): ReadonlyMap<string, readonly Role[]> {
  return table;
}
