/**
 * Per tenant, the value of one version of rows that change rarely (a benefit catalog, card
 * plans and tiers), in memory. A version only moves forward, so a slower reader of an older
 * version never replaces a newer value. At most `maxTenants` are held; the least recently
 * used goes first.
 */
export class VersionedTenantCache<T> {
  private readonly entries = new Map<string, { version: number; value: T }>();

  constructor(private readonly maxTenants: number) {}

  holds(tenantId: string): boolean {
    return this.entries.has(tenantId);
  }

  /** The value held for exactly `version` (now the most recently used), or undefined. */
  at(tenantId: string, version: number): T | undefined {
    const held = this.entries.get(tenantId);
    if (held?.version !== version) return undefined;
    this.entries.delete(tenantId);
    this.entries.set(tenantId, held);
    return held.value;
  }

  /** Keeps `value` as the tenant's, as of `version`, unless a newer version is held. */
  put(tenantId: string, version: number, value: T): void {
    const held = this.entries.get(tenantId);
    if (held && held.version > version) return;
    this.entries.delete(tenantId);
    this.entries.set(tenantId, { version, value });
    if (this.entries.size > this.maxTenants) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets the tenant's value if it is older than `version`. */
  dropOlderThan(tenantId: string, version: number): void {
    const held = this.entries.get(tenantId);
    if (held && held.version < version) this.entries.delete(tenantId);
  }
}
