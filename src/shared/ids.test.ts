import { randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { encodeId, isId, newId } from "./ids.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** The encoding spelled out on one 128-bit integer: time then the random bits, base32. */
function reference(time: number, random: Uint8Array): string {
  let bits = BigInt(time);
  for (const byte of random) bits = (bits << 8n) | BigInt(byte);
  let out = "";
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(bits & 31n)]! + out;
    bits >>= 5n;
  }
  return out;
}

describe("ids", () => {
  it("encodes time and random bits as 26 base32 characters, as one big-endian number", () => {
    const edge = [
      Buffer.alloc(10, 0),
      Buffer.alloc(10, 0xff),
      Buffer.from([0x80, 0, 0, 0, 0, 0x80, 0, 0, 0, 1]),
    ];
    const cases = [...edge, ...Array.from({ length: 500 }, () => randomBytes(10))];
    for (const random of cases) {
      for (const time of [0, 1, Date.now(), 2 ** 48 - 1]) {
        expect(encodeId(time, random)).toBe(reference(time, random));
      }
    }
  });

  it("makes well-formed ids that sort in creation order", () => {
    const ids = Array.from({ length: 5000 }, () => newId("tr"));
    for (const id of ids) expect(isId(id, "tr")).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("draws fresh random bits for every new millisecond, past the pool's refills", () => {
    // 600 milliseconds use the pool of 256 draws more than twice over.
    let time = Date.now() + 1000;
    const now = vi.spyOn(Date, "now").mockImplementation(() => time++);
    try {
      const randomParts = Array.from({ length: 600 }, () => newId("tr").slice(3 + 10));
      expect(new Set(randomParts).size).toBe(randomParts.length);
    } finally {
      now.mockRestore();
    }
  });
});
