import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { cruise, type ICruiseResult, type IForbiddenRuleType } from "dependency-cruiser";

/**
 * The module boundaries of DESIGN.md §Layout and ADR 0005, as dependency-cruiser rules over
 * a `src/` folder, plus the one rule an import graph cannot see (who writes ledger tables).
 */
export const RULES: IForbiddenRuleType[] = [
  {
    name: "modules-only-through-index",
    comment: "A module calls another module's index.ts, never its other files",
    severity: "error",
    from: { path: "^src/modules/([^/]+)/" },
    to: { path: "^src/modules/[^/]+/", pathNot: ["^src/modules/$1/", "^src/modules/[^/]+/index\\.ts$"] },
  },
  {
    name: "shared-imports-nothing-above",
    comment: "src/shared is the bottom layer: it imports only itself and packages",
    severity: "error",
    from: { path: "^src/shared/" },
    to: { path: "^src/", pathNot: "^src/shared/" },
  },
  {
    name: "foundations-import-no-module",
    comment: "shared, platform and ledger import no module (modules register through manifests)",
    severity: "error",
    from: { path: "^src/(shared|platform|ledger|db)/" },
    to: { path: "^src/modules/" },
  },
  {
    name: "no-cycles",
    comment: "No import cycles (type-only imports are erased and do not count)",
    severity: "error",
    from: { path: "^src/" },
    to: { circular: true },
  },
];

export interface Violation {
  rule: string;
  from: string;
  to: string;
}

/**
 * The import graph of `<root>/src` without its tests, checked against RULES: type-only imports
 * are erased (they load nothing), packages are entered but not followed. Cruised once per root
 * (it takes seconds), as both the rules and the start-up walk read the same graph.
 */
const cruises = new Map<string, Promise<ICruiseResult>>();
function cruiseSrc(root: string): Promise<ICruiseResult> {
  let result = cruises.get(root);
  if (!result) {
    result = cruise(
      ["src"],
      {
        ruleSet: { forbidden: RULES },
        validate: true,
        baseDir: root,
        tsPreCompilationDeps: false,
        doNotFollow: { path: "node_modules" },
        exclude: { path: "\\.test\\.ts$" },
      },
      { extensionAlias: { ".js": [".ts", ".js"] } },
    ).then((output) => output.output as ICruiseResult);
    cruises.set(root, result);
  }
  return result;
}

/** Runs the import rules over `<root>/src`; returns every violation. */
export async function importViolations(root: string): Promise<Violation[]> {
  const result = await cruiseSrc(root);
  return (result.summary.violations ?? []).map((v) => ({
    rule: v.rule.name,
    from: v.from,
    to: v.cycle ? v.cycle.map((c) => c.name).join(" → ") : v.to,
  }));
}

/** Statements that write a ledger table: Kysely builders and raw SQL. */
const LEDGER_WRITE =
  /(insertInto|updateTable|deleteFrom|mergeInto)\(\s*["'`]ledger_|\b(insert\s+into|update|delete\s+from)\s+ledger_[a-z_]+/i;
/** Error codes are typed per module: modules throw their own `<Module>Error`. */
const UNTYPED_ERROR = /new DomainError\(/;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Only src/ledger writes ledger tables (everyone else submits transfers), and modules throw
 * only their typed errors. Source scans: the import graph cannot see either.
 */
export async function sourceViolations(root: string): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const file of await sourceFiles(path.join(root, "src"))) {
    const rel = path.relative(root, file).split(path.sep).join("/");
    const text = await readFile(file, "utf8");
    if (!rel.startsWith("src/ledger/") && !rel.startsWith("src/db/migrations/")) {
      const m = LEDGER_WRITE.exec(text);
      if (m) out.push({ rule: "only-ledger-writes-ledger-tables", from: rel, to: m[0] });
    }
    if (rel.startsWith("src/modules/") && UNTYPED_ERROR.test(text)) {
      out.push({ rule: "modules-throw-typed-errors", from: rel, to: "DomainError" });
    }
  }
  return out;
}

/**
 * SDKs a process loads when it first needs them (`loadOnce`, a dynamic `import()`), never at
 * start: together they held some 29 MB of every API process's heap, marked by each full
 * garbage collection whether a tenant used them or not.
 */
export const LOADED_ON_FIRST_USE = [
  "stripe",
  "alipay-sdk",
  "wechatpay-axios-plugin",
  "@alicloud/dysmsapi20170525",
  "@alicloud/openapi-core",
  "exceljs",
  "nodemailer",
];

/**
 * The packages each of `entries` (paths under `<root>`) loads at start: those its static
 * imports reach, following static imports through src (dynamic `import()` and type-only
 * imports are not followed).
 */
export async function packagesLoadedAtStart(root: string, entries: string[]): Promise<Map<string, string[]>> {
  const modules = new Map((await cruiseSrc(root)).modules.map((m) => [m.source, m]));
  const reached = new Map<string, string[]>();
  for (const entry of entries) {
    const packages = new Set<string>();
    const seen = new Set<string>();
    const pending = [entry];
    while (pending.length > 0) {
      const source = pending.pop()!;
      if (seen.has(source)) continue;
      seen.add(source);
      for (const dep of modules.get(source)?.dependencies ?? []) {
        if (dep.dynamic) continue;
        // Leftmost node_modules: the package the source imports, even when node_modules is a
        // link to another checkout's (its paths then start with ../).
        const inPackage = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(dep.resolved);
        if (inPackage) packages.add(inPackage[1]!);
        else if (dep.resolved.startsWith("src/")) pending.push(dep.resolved);
      }
    }
    reached.set(entry, [...packages].sort());
  }
  return reached;
}
