import { describe, expect, it } from "vitest";
import {
  countingInto,
  countRoundTrip,
  countRoundTripsOf,
  RoundTripSampler,
  type RoundTrips,
} from "./round-trips.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("round-trip counting", () => {
  it("counts what the work it started does, across awaits, until released", async () => {
    const first: RoundTrips = { count: 0 };
    const second: RoundTrips = { count: 0 };
    let releaseFirst = () => {};
    let releaseSecond = () => {};
    const steps: Promise<void>[] = [];
    countRoundTripsOf(first, (release) => {
      releaseFirst = release;
      steps.push(
        (async () => {
          countRoundTrip();
          await tick();
          countRoundTrip();
        })(),
      );
    });
    countRoundTripsOf(second, (release) => {
      releaseSecond = release;
      steps.push(
        (async () => {
          await tick();
          countRoundTrip();
        })(),
      );
    });
    countRoundTrip(); // outside both: counted nowhere
    await Promise.all(steps);
    expect([first.count, second.count]).toEqual([2, 1]);

    // A counter's earlier release does not end a later run of it.
    let resumeLeftover = () => {};
    let leftover: Promise<void> = Promise.resolve();
    let releaseAgain = () => {};
    countRoundTripsOf(first, (release) => {
      releaseAgain = release;
      leftover = (async () => {
        await new Promise<void>((resolve) => {
          resumeLeftover = resolve;
        });
        countRoundTrip();
      })();
    });
    releaseFirst(); // the earlier release of the same counter does not end the new run
    releaseFirst();
    resumeLeftover();
    await leftover;
    expect(first.count).toBe(3);
    releaseSecond();
    releaseAgain();

    // Once nothing counted is in flight, what a released run left running is not counted.
    let resumeAfterRelease = () => {};
    let released: Promise<void> = Promise.resolve();
    countRoundTripsOf(second, (release) => {
      released = (async () => {
        await new Promise<void>((resolve) => {
          resumeAfterRelease = resolve;
        });
        countRoundTrip();
      })();
      release();
    });
    resumeAfterRelease();
    await released;
    expect(second.count).toBe(1);
  });

  it("counts work done on another's behalf into that other's counter, or into none", () => {
    const own: RoundTrips = { count: 0 };
    const other: RoundTrips = { count: 0 };
    countRoundTripsOf(own, (release) => {
      countingInto(other, () => countRoundTrip());
      countingInto(undefined, () => countRoundTrip());
      countRoundTrip();
      release();
    });
    expect([own.count, other.count]).toEqual([1, 1]);
  });
});

describe("RoundTripSampler", () => {
  it("counts every request at 0 ms", () => {
    const sampler = new RoundTripSampler(0);
    expect([1, 2, 3].map((at) => sampler.shouldCount("GET /a", at))).toEqual([true, true, true]);
  });

  it("counts about one request per route per interval, at a random place among them", () => {
    // A seeded generator (mulberry32), so the test always sees the same choices.
    let seed = 7;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const sampler = new RoundTripSampler(1000, random);
    // 100 seconds of a busy route: 50 bursts a second of 20 requests arriving together, the
    // first of each burst the one that will lead a batch.
    let counted = 0;
    let leaders = 0;
    for (let ms = 0; ms < 100_000; ms += 20) {
      for (let i = 0; i < 20; i++) {
        if (sampler.shouldCount("POST /v1/ledger/transfers", ms)) {
          counted++;
          if (i === 0) leaders++;
        }
      }
    }
    expect(counted).toBeGreaterThanOrEqual(70);
    expect(counted).toBeLessThanOrEqual(140);
    // One in twenty requests leads; a sample biased to the bursts' heads would be mostly leaders.
    expect(leaders / counted).toBeLessThan(0.2);

    // A quiet route is counted too, and independently of the busy one.
    expect(sampler.shouldCount("GET /v1/ledger/accounts/:id", 100_000)).toBe(true);
  });
});
