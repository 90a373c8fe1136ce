/**
 * Builds the operator console once before any test file starts, when this run includes the
 * console's browser tests and the sources changed: built inside a test file, the minute of
 * bundling would compete for the CPU with timing-sensitive tests running beside it.
 */
export default async function setup() {
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith("-") && arg !== "run");
  const includesConsole =
    filters.length === 0 ||
    filters.some((f) => "test/console".includes(f) || f.includes("console") || f.includes("member"));
  if (!includesConsole) return;
  const { buildConsole } = await import("../../scripts/build-console.mjs");
  await buildConsole({ log: (line) => process.stdout.write(`${line}\n`) });
}
