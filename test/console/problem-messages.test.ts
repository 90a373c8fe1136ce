import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { COMMON_ERROR_STATUSES, type ErrorSet } from "../../src/shared/errors.js";
import { enUS } from "../../web/console/src/i18n/en-US.js";
import { zhCN } from "../../web/console/src/i18n/zh-CN.js";
import { SERVER_SRC, serverSources } from "../helpers/console-sources.js";

function isErrorSet(value: unknown): value is ErrorSet<string> {
  const set = value as Partial<ErrorSet<string>> | null;
  return (
    typeof set === "object" && set !== null && Array.isArray(set.codes) && typeof set.statuses === "object"
  );
}

/**
 * Every problem code the API can answer with: the common ones, each `defineErrors` set's codes
 * (read from the modules that declare one, as loaded), and the codes the platform's routes throw
 * or answer with directly (`new DomainError("…")`, `problem(404, "…")`).
 */
async function apiProblemCodes(): Promise<{
  declared: Set<string>;
  all: Set<string>;
  declaringFiles: number;
}> {
  const declared = new Set<string>(Object.keys(COMMON_ERROR_STATUSES));
  const all = new Set<string>(declared);
  let declaringFiles = 0;
  for (const file of await serverSources()) {
    const text = await readFile(file, "utf8");
    if (/\bdefineErrors\(\s*\{/.test(text)) {
      declaringFiles++;
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const sets = Object.values(module).filter(isErrorSet);
      const where = path.relative(SERVER_SRC, file);
      expect(sets.length, `${where} exports its defineErrors set`).toBeGreaterThan(0);
      for (const set of sets) for (const code of set.codes) declared.add(code);
    }
    for (const match of text.matchAll(/new DomainError\(\s*"([a-z_]+)"/g)) all.add(match[1]!);
    for (const match of text.matchAll(/\bproblem\(\s*\d{3},\s*"([a-z_]+)"/g)) all.add(match[1]!);
  }
  for (const code of declared) all.add(code);
  return { declared, all, declaringFiles };
}

const problemKeys = (catalog: Record<string, string>) =>
  Object.keys(catalog)
    .filter((key) => key.startsWith("problem."))
    .sort();

describe("the console's messages for the API's refusals", () => {
  it("say every problem code the API declares or throws, in Chinese and in English", async () => {
    const { declared, all, declaringFiles } = await apiProblemCodes();
    // The scan finds what it should: a sample of each source, so a changed shape cannot empty it.
    expect(declaringFiles).toBeGreaterThanOrEqual(20);
    for (const code of ["gift_card_frozen", "invalid_credentials", "asset_exists", "clock_backwards"]) {
      expect(declared).toContain(code);
    }
    expect(declared).toContain("validation_failed");
    expect(all).toContain("org_unit_move_cycle");
    expect(all).toContain("store_group_not_found");
    for (const [lang, catalog] of Object.entries({ "en-US": enUS, "zh-CN": zhCN }) as [
      string,
      Record<string, string>,
    ][]) {
      const missing = [...all].filter((code) => !catalog[`problem.${code}`]?.trim()).sort();
      expect(missing, `${lang} lacks problem.<code> for these codes`).toEqual([]);
    }
  });

  it("have the same problem keys in both catalogs, each naming a code the API can answer with", async () => {
    expect(problemKeys(zhCN)).toEqual(problemKeys(enUS));
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(enUS).sort());
    const { all } = await apiProblemCodes();
    const stale = problemKeys(enUS).filter((key) => !all.has(key.slice("problem.".length)));
    expect(stale, "messages for codes the API no longer answers with").toEqual([]);
  });

  it("are written for the operator: no code, no English in the Chinese, no Chinese in the English", () => {
    for (const key of problemKeys(enUS)) {
      const english = enUS[key as keyof typeof enUS];
      const chinese = zhCN[key as keyof typeof enUS];
      expect(english, key).not.toMatch(/[\u4e00-\u9fff]/);
      expect(chinese, key).toMatch(/[\u4e00-\u9fff]/);
      // A message says what is wrong in words, not the code it stands for.
      const code = key.slice("problem.".length);
      if (code.includes("_")) expect(english, key).not.toContain(code);
    }
  });
});
