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
