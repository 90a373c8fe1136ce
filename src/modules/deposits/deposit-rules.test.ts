import { describe, expect, it } from "vitest";
import {
  breakerDecision,
  freezeSplit,
  invoiceCutoff,
  invoiceTotals,
  releaseSplit,
  scheduledStatus,
  topupSplit,
  warningDue,
} from "./deposit-rules.js";
import { dayWindowStart } from "./deposits.notices.js";

describe("deposit rules", () => {
  it.each([
    [false, 100_000, 100_000, "none"],
    [false, 99_999, 100_000, "suspend"],
    [true, 100_000, 100_000, "none"],
    [true, 100_001, 100_000, "resume"],
    [true, 0, 100_000, "none"],
    [false, 500_000, 100_000, "none"],
  ] as const)(
    "breaker tripped=%s available=%i threshold=%i → %s",
    (tripped, available, threshold, expected) => {
      expect(breakerDecision({ tripped, available, threshold })).toBe(expected);
    },
  );

  it("warns strictly below the warning value, never without one", () => {
    expect(warningDue(499_999, 500_000)).toBe(true);
    expect(warningDue(500_000, 500_000)).toBe(false);
    expect(warningDue(0, null)).toBe(false);
  });

  it.each([
    [5_000, 10_000, 5_000, 0],
    [10_000, 10_000, 10_000, 0],
    [10_001, 10_000, 10_000, 1],
    [7_000, 0, 0, 7_000],
    [7_000, -5, 0, 7_000],
  ])("freeze %i with %i available → frozen %i, arrears %i", (cost, available, frozen, arrears) => {
    expect(freezeSplit(cost, available)).toEqual({ frozen, arrears });
  });

  it("top-ups pay arrears first; releases cancel arrears first", () => {
    expect(topupSplit(300_000, 30_000)).toEqual({ repay: 30_000, available: 270_000 });
    expect(topupSplit(300_000, 400_000)).toEqual({ repay: 300_000, available: 0 });
    expect(topupSplit(300_000, 0)).toEqual({ repay: 0, available: 300_000 });
    expect(releaseSplit(25_000, { frozen: 50_000, arrears: 20_000 })).toEqual({
      arrears: 20_000,
      frozen: 5_000,
    });
    expect(releaseSplit(10_000, { frozen: 50_000, arrears: 20_000 })).toEqual({ arrears: 10_000, frozen: 0 });
  });

  it("moves campaigns along their schedule", () => {
    const c = { starts_at: new Date("2026-01-02T00:00:00Z"), ends_at: new Date("2026-01-05T00:00:00Z") };
    expect(scheduledStatus(c, new Date("2026-01-01T23:59:59Z"))).toBe("not_started");
    expect(scheduledStatus(c, new Date("2026-01-02T00:00:00Z"))).toBe("running");
    expect(scheduledStatus(c, new Date("2026-01-05T00:00:00Z"))).toBe("ended");
  });

  it("nets invoice candidates and counts 15 calendar days in the tenant's zone", () => {
    expect(
      invoiceTotals([
        { type: "settle", amount: 12_000 },
        { type: "settle", amount: 3_000 },
        { type: "settled_refund", amount: 5_001 },
      ]),
    ).toEqual({ settled: 15_000, refunded: 5_001, net: 9_999 });
    expect(invoiceCutoff(new Date("2026-03-20T16:30:00Z"), 15, "Asia/Shanghai").toISOString()).toBe(
      "2026-03-05T16:30:00.000Z",
    );
    // Across a DST change, calendar days are not 24-hour multiples.
    expect(invoiceCutoff(new Date("2026-03-20T12:00:00Z"), 15, "America/New_York").toISOString()).toBe(
      "2026-03-05T13:00:00.000Z",
    );
  });

  it("counts the warning day from local midnight", () => {
    expect(dayWindowStart(new Date("2026-11-25T15:59:59Z"), "Asia/Shanghai").toISOString()).toBe(
      "2026-11-24T16:00:00.000Z",
    );
    expect(dayWindowStart(new Date("2026-11-25T16:00:00Z"), "Asia/Shanghai").toISOString()).toBe(
      "2026-11-25T16:00:00.000Z",
    );
  });
});
