import { stringify } from "csv-stringify/sync";
import { loadExcel } from "./excel.js";
import { spreadsheetCell } from "./registry.js";

export const EXPORT_FORMATS = ["csv", "xlsx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFile {
  contentType: string;
  filename: string;
  body: Buffer;
}

/**
 * A small table as a download, answered at once (large exports run as file jobs). Text a
 * spreadsheet would run as a formula gets a leading `'` in CSV and xlsx alike
 * (`spreadsheetCell`), so exported customer text cannot execute.
 */
export async function exportTable(
  name: string,
  format: ExportFormat,
  columns: string[],
  rows: (string | number | null)[][],
): Promise<ExportFile> {
  const safe = rows.map((row) => row.map(spreadsheetCell));
  if (format === "csv") {
    return {
      contentType: "text/csv; charset=utf-8",
      filename: `${name}.csv`,
      body: Buffer.from(stringify([columns, ...safe])),
    };
  }
  const ExcelJS = await loadExcel();
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(name.slice(0, 31));
  sheet.addRow(columns);
  for (const row of safe) sheet.addRow(row);
  const body = Buffer.from(await workbook.xlsx.writeBuffer());
  return {
    contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    filename: `${name}.xlsx`,
    body,
  };
}
