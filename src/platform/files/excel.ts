import type ExcelJS from "exceljs";
import { loadOnce } from "../../shared/load-once.js";

/** exceljs, loaded when a spreadsheet is first read or written (see `loadOnce`). */
export const loadExcel = loadOnce(
  async () => ((await import("exceljs")) as unknown as { default: typeof ExcelJS }).default,
);
