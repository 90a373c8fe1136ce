import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { requestFingerprint } from "./idempotency.js";

afterEach(() => vi.restoreAllMocks());

describe("request fingerprints", () => {
  it("fingerprint an upload by its bytes, without walking them as an object of one key per byte", () => {
    const image = Buffer.alloc(64 * 1024, 7);
    // Walking a 2 MiB image key by key (sorting two million keys) held the event loop for seconds.
    const keys = vi.spyOn(Object, "keys");
    const first = requestFingerprint("POST", "/v1/images", image, "api_key:key_1");
    expect(keys.mock.calls.some(([value]) => Buffer.isBuffer(value))).toBe(false);
    keys.mockRestore();

    expect(requestFingerprint("POST", "/v1/images", Buffer.from(image), "api_key:key_1")).toBe(first);
    const changed = Buffer.from(image);
    changed[changed.length - 1] = 8;
    expect(requestFingerprint("POST", "/v1/images", changed, "api_key:key_1")).not.toBe(first);
    expect(requestFingerprint("POST", "/v1/images", image, "api_key:key_2")).not.toBe(first);
  });

  it("keeps the fingerprint of a JSON body as it was, whatever its key order", () => {
    const a = requestFingerprint("POST", "/v1/x", { b: 1, a: [{ d: 2, c: 3 }] }, "user:usr_1");
    expect(requestFingerprint("POST", "/v1/x", { a: [{ c: 3, d: 2 }], b: 1 }, "user:usr_1")).toBe(a);
    // Keys stored before raw bodies were hashed as bytes still match their retries.
    const stored = createHash("sha256")
      .update('POST\n/v1/x\n{"a":[{"c":3,"d":2}],"b":1}\nuser:usr_1')
      .digest("hex");
    expect(a).toBe(stored);
  });
});
