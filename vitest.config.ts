import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts", "test/helpers/console-setup.ts"],
    // Each file gets its own database cloned from a migrated template, so files run in parallel.
    pool: "forks",
    maxWorkers: 2,
    // Files of a worker share its loaded modules: evaluating the app's module graph once per
    // worker instead of once per file saves about half the suite's time. What a file leaves
    // behind is per database (each file clones its own) or keyed by globally unique ids.
    isolate: false,
    // Deadlines, not assertions: a shared two-core machine under load can be many times slower
    // than a quiet one, and a test must fail on a wrong answer, never on a slow one.
    testTimeout: 300_000,
    hookTimeout: 600_000,
    // CI also writes a machine-readable summary that .ci/run turns into its last line.
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".ci/test-results.json" }]] : ["default"],
  },
});
