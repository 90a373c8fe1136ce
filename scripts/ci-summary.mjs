#!/usr/bin/env node
// Turns vitest's JSON report into CI's closing line "N passed, N failed[, N skipped]" and
// exits non-zero whenever that line counts a failure, whatever the test command returned:
// a runner whose exit code is swallowed must still fail CI.
// Usage: node scripts/ci-summary.mjs <report.json> <exit status of the test command>
import { existsSync, readFileSync } from "node:fs";

export function summarize(report, status) {
  if (!report) return { passed: 0, failed: 1, skipped: 0 };
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that fails to load has no tests but is still a failure.
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === "failed" && (file.assertionResults ?? []).length === 0,
  ).length;
  const counted = (report.numFailedTests ?? 0) + brokenFiles;
  const ranNothing = (report.numTotalTests ?? 0) === 0;
  // A run that exits non-zero (a crashed setup) or ran no test failed even with no failed test.
  const failed = Math.max(counted, status === 0 && !ranNothing ? 0 : 1);
  return { passed: report.numPassedTests ?? 0, failed, skipped };
}

export function closingLine({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, statusArg] = process.argv.slice(2);
  const report = file && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
  const summary = summarize(report, Number(statusArg ?? 1));
  console.log(closingLine(summary));
  process.exit(summary.failed > 0 ? 1 : 0);
}
