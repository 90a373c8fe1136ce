import { randomFillSync } from "node:crypto";

/**
 * Prefixed, opaque, time-ordered ids (`mbr_01JD…`): 48-bit millisecond time then
 * 80 random bits, Crockford base32. Time order gives lists a stable cursor order.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = 0;
const lastRandom = Buffer.alloc(10);

/**
 * Random bytes are drawn from the system 256 ids' worth at a time: a draw per id (every new
 * millisecond) showed in the write path's profile. The bytes are as unpredictable either way.
 */
const RANDOM_POOL = Buffer.alloc(10 * 256);
let poolOffset = RANDOM_POOL.length;

function freshRandom(target: Buffer): void {
  if (poolOffset + target.length > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    poolOffset = 0;
  }
  RANDOM_POOL.copy(target, 0, poolOffset, poolOffset + target.length);
  poolOffset += target.length;
}

/** `digits` base32 characters of `n` (a non-negative integer below 2^53), most significant first. */
function base32(n: number, digits: number): string {
  let out = "";
  for (let i = 0; i < digits; i++) {
    out = ALPHABET[n % 32]! + out;
    n = Math.floor(n / 32);
  }
  return out;
}

/**
 * The 26 characters after the prefix: 10 for the time, 16 for the 80 random bits. The random
 * bits go as two 40-bit halves (8 characters each, exact as doubles): a bulk batch makes
 * thousands of ids, and BigInt arithmetic per id showed in its profile.
 */
export function encodeId(time: number, random: Uint8Array): string {
  const high =
    (random[0]! * 256 + random[1]!) * 2 ** 24 + ((random[2]! << 16) | (random[3]! << 8) | random[4]!);
  const low =
    (random[5]! * 256 + random[6]!) * 2 ** 24 + ((random[7]! << 16) | (random[8]! << 8) | random[9]!);
  return base32(time, 10) + base32(high, 8) + base32(low, 8);
}

/** Monotonic within a process: ids made in the same millisecond still sort in creation order. */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now <= lastTime) {
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      lastRandom[i] = (lastRandom[i]! + 1) & 0xff;
      if (lastRandom[i] !== 0) break;
    }
  } else {
    lastTime = now;
    freshRandom(lastRandom);
  }
  return `${prefix}_${encodeId(lastTime, lastRandom)}`;
}

export function isId(value: string, prefix: string): boolean {
  return value.startsWith(`${prefix}_`) && /^[0-9a-z]{26}$/.test(value.slice(prefix.length + 1));
}
