import { describe, expect, it } from "vitest";
import { VersionedTenantCache } from "./versioned-cache.js";

describe("VersionedTenantCache", () => {
  it("answers only for the version held, and an older version never replaces a newer one", () => {
    const cache = new VersionedTenantCache<string>(10);
    expect(cache.holds("ten_a")).toBe(false);
    cache.put("ten_a", 2, "two");
    expect(cache.at("ten_a", 2)).toBe("two");
    expect(cache.at("ten_a", 3)).toBeUndefined();
    cache.put("ten_a", 1, "one");
    expect(cache.at("ten_a", 2)).toBe("two");
    cache.put("ten_a", 3, "three");
    expect(cache.at("ten_a", 3)).toBe("three");
  });

  it("drops a value only when it is older than the version seen", () => {
    const cache = new VersionedTenantCache<string>(10);
    cache.put("ten_a", 5, "five");
    cache.dropOlderThan("ten_a", 4);
    expect(cache.at("ten_a", 5)).toBe("five");
    cache.dropOlderThan("ten_a", 6);
    expect(cache.holds("ten_a")).toBe(false);
  });

  it("keeps at most its bound of tenants, the least recently used going first", () => {
    const cache = new VersionedTenantCache<number>(2);
    cache.put("ten_a", 1, 1);
    cache.put("ten_b", 1, 2);
    expect(cache.at("ten_a", 1)).toBe(1); // ten_b is now the least recently used
    cache.put("ten_c", 1, 3);
    expect([cache.holds("ten_a"), cache.holds("ten_b"), cache.holds("ten_c")]).toEqual([true, false, true]);
  });
});
