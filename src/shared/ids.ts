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

const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));

/**
 * An id's characters as codes, filled in place and made a string in one step: built a
 * character at a time, each id left some 26 short strings behind, about 600 bytes of garbage
 * per id, and a bulk batch makes thousands (the collector took a third of its CPU).
 */
const chars: number[] = [];
/** The id's time part as codes, for the time last encoded (thousands of ids share one). */
const timeCodes: number[] = new Array(10).fill(0);
let timeCodesFor = -1;

/** `digits` base32 codes of `n` (a non-negative integer below 2^53) into `out` at `at`, most significant first. */
function base32Into(out: number[], at: number, n: number, digits: number): void {
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = CODES[n % 32]!;
    n = Math.floor(n / 32);
  }
}

/** The id's characters after `at` in `chars`: 10 for the time, 16 for the 80 random bits. */
function encodeInto(at: number, time: number, random: Uint8Array): void {
  if (time !== timeCodesFor) {
    base32Into(timeCodes, 0, time, 10);
    timeCodesFor = time;
  }
  for (let i = 0; i < 10; i++) chars[at + i] = timeCodes[i]!;
  const high =
    (random[0]! * 256 + random[1]!) * 2 ** 24 + ((random[2]! << 16) | (random[3]! << 8) | random[4]!);
  const low =
    (random[5]! * 256 + random[6]!) * 2 ** 24 + ((random[7]! << 16) | (random[8]! << 8) | random[9]!);
  base32Into(chars, at + 10, high, 8);
  base32Into(chars, at + 18, low, 8);
}

/**
 * The 26 characters after the prefix: 10 for the time, 16 for the 80 random bits. The random
 * bits go as two 40-bit halves (8 characters each, exact as doubles): a bulk batch makes
 * thousands of ids, and BigInt arithmetic per id showed in its profile.
 */
export function encodeId(time: number, random: Uint8Array): string {
  chars.length = 26;
  encodeInto(0, time, random);
  return String.fromCharCode.apply(null, chars);
}

/** `prefix_` and the encoded id, as one flat string. */
function idOf(prefix: string, time: number, random: Uint8Array): string {
  const at = prefix.length + 1;
  chars.length = at + 26;
  for (let i = 0; i < prefix.length; i++) chars[i] = prefix.charCodeAt(i);
  chars[prefix.length] = 95; // "_"
  encodeInto(at, time, random);
  return String.fromCharCode.apply(null, chars);
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
  return idOf(prefix, lastTime, lastRandom);
}

export function isId(value: string, prefix: string): boolean {
  return value.startsWith(`${prefix}_`) && /^[0-9a-z]{26}$/.test(value.slice(prefix.length + 1));
}
