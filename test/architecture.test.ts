import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  importViolations,
  LOADED_ON_FIRST_USE,
  packagesLoadedAtStart,
  sourceViolations,
} from "./architecture/rules.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const FIXTURE = path.join(import.meta.dirname, "fixtures", "architecture");

describe("architecture", () => {
  it("src keeps the module boundaries, has no cycles, and only the ledger writes ledger tables", async () => {
    expect(await importViolations(ROOT)).toEqual([]);
    expect(await sourceViolations(ROOT)).toEqual([]);
  });

  it("the rules fail on a folder that breaks each of them", async () => {
    const rules = (await importViolations(FIXTURE)).map((v) => `${v.rule}: ${v.from}`).sort();
    expect(rules).toEqual([
      "foundations-import-no-module: src/platform/uses-module.ts",
      "modules-only-through-index: src/modules/orders/place-order.ts",
      "no-cycles: src/modules/orders/a.ts",
      "shared-imports-nothing-above: src/shared/money.ts",
    ]);
    const scanned = (await sourceViolations(FIXTURE)).map((v) => `${v.rule}: ${v.from}`).sort();
    expect(scanned).toEqual([
      "modules-throw-typed-errors: src/modules/orders/place-order.ts",
      "only-ledger-writes-ledger-tables: src/modules/orders/place-order.ts",
    ]);
  });

  it("neither process loads the payment, SMS, mail or spreadsheet SDKs at start", async () => {
    const stripeAdapter = "src/modules/wallets/providers/stripe.ts";
    const loaded = await packagesLoadedAtStart(ROOT, ["src/server.ts", "src/worker.ts", stripeAdapter]);
    for (const entry of ["src/server.ts", "src/worker.ts"]) {
      // The walk sees the packages the process does load, so an empty intersection means something.
      expect(loaded.get(entry)).toEqual(expect.arrayContaining(["fastify", "kysely", "pg"]));
      expect(loaded.get(entry)!.filter((p) => LOADED_ON_FIRST_USE.includes(p))).toEqual([]);
    }
    // An adapter's own module still imports its SDK: the walk finds it from there.
    expect(loaded.get(stripeAdapter)).toContain("stripe");
  });
});
