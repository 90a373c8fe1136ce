import { describe, expect, it } from "vitest";
import { ManualClock } from "../../shared/clock.js";
import { AttemptLimiter, clientAddressKey } from "./throttle.js";

describe("the sign-in limit's memory", () => {
  it("stays bounded, and many other addresses trying do not free an address over its limit", () => {
    const clock = new ManualClock("2026-11-23T08:00:00Z");
    const limiter = new AttemptLimiter(3, clock);
    const guesser = "203.0.113.5";
    for (let i = 0; i < 3; i++) expect(limiter.hit(guesser)).toBe(0);
    expect(limiter.hit(guesser)).toBeGreaterThan(0);
    // One attempt each from more addresses than are kept (a /48 holds 65,536 /64s).
    for (let i = 0; i < 60_000; i++) limiter.hit(`2001:db8:${(i >> 16) & 0xffff}:${i & 0xffff}::/64`);
    expect(limiter.hit(guesser)).toBeGreaterThan(0);
    expect(limiter.size).toBeLessThanOrEqual(50_000);
  });
});

describe("the address a limit counts", () => {
  it.each([
    ["203.0.113.5", "203.0.113.5"],
    ["::ffff:203.0.113.5", "203.0.113.5"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["64:ff9b:1:2::192.0.2.1", "64:ff9b:1:2::/64"],
  ])("%s counts as %s", (ip, key) => {
    expect(clientAddressKey(ip)).toBe(key);
  });
});
