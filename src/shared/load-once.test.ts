import { describe, expect, it } from "vitest";
import { loadOnce } from "./load-once.js";

describe("loadOnce", () => {
  it("loads once and shares the result with every caller, concurrent or later", async () => {
    let loads = 0;
    const load = loadOnce(async () => {
      loads += 1;
      return { loaded: loads };
    });
    const [a, b] = await Promise.all([load(), load()]);
    const c = await load();
    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
  });

  it("forgets a failed load, so the next call tries again", async () => {
    let loads = 0;
    const load = loadOnce(async () => {
      loads += 1;
      if (loads === 1) throw new Error("not yet");
      return "ready";
    });
    await expect(load()).rejects.toThrow("not yet");
    await expect(load()).resolves.toBe("ready");
    await expect(load()).resolves.toBe("ready");
    expect(loads).toBe(2);
  });
});
