import { describe, expect, it } from "vitest";
import { periodWindow, type ValidityMode } from "./validity.js";

const iso = (w: { startsAt: Date; endsAt: Date }) => [w.startsAt.toISOString(), w.endsAt.toISOString()];

describe("validity modes: the seed's 3-day package bought at 23:00 on Dec 8", () => {
  // Shanghai is UTC+8 all year: 23:00 Dec 8 local = 15:00Z.
  const bought = new Date("2026-12-08T15:00:00Z");
  it.each([
    // until 23:00 Dec 11
    ["immediate", "2026-12-08T15:00:00.000Z", "2026-12-11T15:00:00.000Z"],
    // from 00:00 Dec 8 until 23:59 Dec 10 (ends as Dec 11 begins)
    ["purchase_day", "2026-12-07T16:00:00.000Z", "2026-12-10T16:00:00.000Z"],
    // from 00:00 Dec 9 until 23:59 Dec 11
    ["next_day", "2026-12-08T16:00:00.000Z", "2026-12-11T16:00:00.000Z"],
  ] as const)("%s: %s → %s (Asia/Shanghai)", (mode, start, end) => {
    expect(iso(periodWindow(mode as ValidityMode, 3, bought, "Asia/Shanghai"))).toEqual([start, end]);
  });
});

describe("across a DST change the wall-clock end is kept (America/New_York)", () => {
  // Clocks go back at 02:00 on 1 Nov 2026: 23:00 EDT 30 Oct = 03:00Z 31 Oct.
  const autumn = new Date("2026-10-31T03:00:00Z");
  it.each([
    ["immediate", "2026-10-31T03:00:00.000Z", "2026-11-03T04:00:00.000Z", 73],
    ["purchase_day", "2026-10-30T04:00:00.000Z", "2026-11-02T05:00:00.000Z", 73],
    ["next_day", "2026-10-31T04:00:00.000Z", "2026-11-03T05:00:00.000Z", 73],
  ] as const)("autumn %s: ends 23:00 / midnight local, %i hours", (mode, start, end, hours) => {
    const w = periodWindow(mode as ValidityMode, 3, autumn, "America/New_York");
    expect(iso(w)).toEqual([start, end]);
    expect((w.endsAt.getTime() - w.startsAt.getTime()) / 3_600_000).toBe(hours);
  });

  it("spring forward: a 3-day immediate period bought 23:00 EST 7 Mar lasts 71 hours", () => {
    const w = periodWindow("immediate", 3, new Date("2026-03-08T04:00:00Z"), "America/New_York");
    expect(w.endsAt.toISOString()).toBe("2026-03-11T03:00:00.000Z");
    expect((w.endsAt.getTime() - w.startsAt.getTime()) / 3_600_000).toBe(71);
  });
});

describe("early renewal", () => {
  it("starts exactly when the current period ends, whatever the mode, and runs N days from there", () => {
    const end = new Date("2026-12-11T15:00:00Z");
    for (const mode of ["immediate", "purchase_day", "next_day"] as const) {
      const w = periodWindow(mode, 90, new Date("2026-12-09T02:00:00Z"), "Asia/Shanghai", end);
      expect(iso(w)).toEqual(["2026-12-11T15:00:00.000Z", "2027-03-11T15:00:00.000Z"]);
    }
  });
});
