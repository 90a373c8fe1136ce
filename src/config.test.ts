import os from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, defaultPoolSize, loadConfig } from "./config.js";

describe("the API process's database pool size", () => {
  it("defaults to two connections per core and one more", () => {
    expect([1, 2, 4, 16].map((cores) => defaultPoolSize(cores))).toEqual([3, 5, 9, 33]);
    expect(defaultPoolSize(0)).toBe(3);
    expect(loadConfig({}).poolSize).toBe(2 * os.availableParallelism() + 1);
  });

  it("takes VOUCHSAFE_DB_POOL_SIZE (2-200) over the default", () => {
    expect(loadConfig({ VOUCHSAFE_DB_POOL_SIZE: "12" }).poolSize).toBe(12);
    expect(loadConfig({ VOUCHSAFE_DB_POOL_SIZE: "2" }).poolSize).toBe(2);
    // One connection would leave an export waiting forever for the one its read holds.
    expect(() => loadConfig({ VOUCHSAFE_DB_POOL_SIZE: "1" })).toThrow(ConfigError);
    expect(() => loadConfig({ VOUCHSAFE_DB_POOL_SIZE: "201" })).toThrow(ConfigError);
  });
});

describe("the rows one export may write", () => {
  it("defaults to 1,000,000 and never exceeds what an Excel sheet holds below its header", () => {
    expect(loadConfig({}).exportMaxRows).toBe(1_000_000);
    expect(loadConfig({ VOUCHSAFE_EXPORT_MAX_ROWS: "1048575" }).exportMaxRows).toBe(1_048_575);
    expect(() => loadConfig({ VOUCHSAFE_EXPORT_MAX_ROWS: "1048576" })).toThrow(ConfigError);
    expect(() => loadConfig({ VOUCHSAFE_EXPORT_MAX_ROWS: "0" })).toThrow(ConfigError);
  });
});

describe("the proxies whose X-Forwarded-For is believed", () => {
  it("are none unless listed, and take IP addresses and CIDR ranges of either family", () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(loadConfig({ VOUCHSAFE_TRUSTED_PROXIES: " " }).trustedProxies).toEqual([]);
    expect(
      loadConfig({ VOUCHSAFE_TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8,fd00::/8 ,::1" }).trustedProxies,
    ).toEqual(["127.0.0.1", "10.0.0.0/8", "fd00::/8", "::1"]);
  });

  it.each([
    "10.0.0.0/33",
    "fd00::/129",
    "10.0.0.0/",
    "10.0.0.0/8/8",
    "proxy.internal",
    "10.0.0.256",
    "127.0.0.1,",
    "fe80::1%eth0",
    "10.0.0.0/-1",
  ])("refuse %s at start, naming the setting and the entry", (value) => {
    expect(() => loadConfig({ VOUCHSAFE_TRUSTED_PROXIES: value })).toThrow(
      /VOUCHSAFE_TRUSTED_PROXIES must be a comma-separated list of IP addresses and CIDR ranges/,
    );
  });
});

describe("the public address (VOUCHSAFE_PUBLIC_URL)", () => {
  it("is unset unless given, and keeps only the origin of an http(s) address", () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig({ VOUCHSAFE_PUBLIC_URL: "https://Pay.Example.com/" }).publicUrl).toBe(
      "https://pay.example.com",
    );
    expect(loadConfig({ VOUCHSAFE_PUBLIC_URL: "http://127.0.0.1:3000" }).publicUrl).toBe(
      "http://127.0.0.1:3000",
    );
  });

  it.each([
    "pay.example.com",
    "ftp://pay.example.com",
    "https://pay.example.com/vouchsafe",
    "https://pay.example.com/?a=1",
    "https://u:p@pay.example.com",
  ])("refuses %s at start", (value) => {
    expect(() => loadConfig({ VOUCHSAFE_PUBLIC_URL: value })).toThrow(
      /VOUCHSAFE_PUBLIC_URL must be an http\(s\) origin/,
    );
  });
});

describe("the demo's shop", () => {
  it("runs on the demo tenant's first start unless VOUCHSAFE_DEMO_CATALOG is false", () => {
    expect(loadConfig({}).demoCatalog).toBe(true);
    expect(loadConfig({ VOUCHSAFE_DEMO_CATALOG: "false" }).demoCatalog).toBe(false);
    expect(() => loadConfig({ VOUCHSAFE_DEMO_CATALOG: "maybe" })).toThrow(ConfigError);
  });
});
