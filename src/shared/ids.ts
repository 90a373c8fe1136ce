import { randomBytes } from "node:crypto";

/**
 * Prefixed, opaque, time-ordered ids (`mbr_01JD…`): 48-bit millisecond time then
 * 80 random bits, Crockford base32. Time order gives lists a stable cursor order.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = 0;
let lastRandom = Buffer.alloc(10);

function encode(time: number, random: Buffer): string {
  let out = "";
  let t = time;
  const timeChars: string[] = [];
  for (let i = 0; i < 10; i++) {
    timeChars.push(ALPHABET[t % 32]!);
    t = Math.floor(t / 32);
  }
  out = timeChars.reverse().join("");
  // 80 bits of randomness = 16 base32 characters.
  let bits = 0n;
  for (const byte of random) bits = (bits << 8n) | BigInt(byte);
  const randChars: string[] = [];
  for (let i = 0; i < 16; i++) {
    randChars.push(ALPHABET[Number(bits & 31n)]!);
    bits >>= 5n;
  }
  return out + randChars.reverse().join("");
}

/** Monotonic within a process: ids made in the same millisecond still sort in creation order. */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now <= lastTime) {
    const next = Buffer.from(lastRandom);
    for (let i = next.length - 1; i >= 0; i--) {
      next[i] = (next[i]! + 1) & 0xff;
      if (next[i] !== 0) break;
    }
    lastRandom = next;
  } else {
    lastTime = now;
    lastRandom = randomBytes(10);
  }
  return `${prefix}_${encode(lastTime, lastRandom)}`;
}

export function isId(value: string, prefix: string): boolean {
  return value.startsWith(`${prefix}_`) && /^[0-9a-z]{26}$/.test(value.slice(prefix.length + 1));
}
