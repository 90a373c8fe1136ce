import { createWriteStream, type WriteStream } from "node:fs";
import { loadExcel } from "./excel.js";
import { type Cell, defuseFormula, spreadsheetCell } from "./registry.js";

/** Where an export's rows go: CSV or xlsx written as a stream, with back-pressure. */

export interface RowSink {
  write(cells: Cell[]): Promise<void>;
  close(): Promise<void>;
}

function waitDrain(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    stream.once("error", onError);
    stream.once("drain", () => {
      stream.off("error", onError);
      resolve();
    });
  });
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One RFC 4180 field: quoted when it holds a quote, comma or line break. Text that a
 * spreadsheet would take for a formula gets a leading apostrophe; numbers stay numbers.
 */
export function csvField(cell: Cell): string {
  if (cell === null) return "";
  if (typeof cell === "number" || typeof cell === "boolean") return String(cell);
  const text = defuseFormula(cell instanceof Date ? cell.toISOString() : cell);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(cells: Cell[]): string {
  return `${cells.map(csvField).join(",")}\r\n`;
}

/** CSV with a UTF-8 byte-order mark, so Excel opens Chinese text correctly. */
export async function csvSink(file: string, headers: string[]): Promise<RowSink> {
  const out = createWriteStream(file);
  out.write(`\ufeff${csvLine(headers)}`);
  let pending = "";
  let rows = 0;
  const flush = async () => {
    if (pending === "") return;
    const text = pending;
    pending = "";
    if (!out.write(text)) await waitDrain(out);
  };
  return {
    write: async (cells) => {
      pending += csvLine(cells);
      if (++rows % 1000 === 0) await flush();
    },
    close: async () => {
      await flush();
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    },
  };
}

interface Buffered {
  _writableState?: { length?: number };
  _readableState?: { length?: number };
}

/** exceljs and archiver use readable-stream copies: read the queue lengths from their state. */
function queued(stream: Buffered | undefined): number {
  if (!stream) return 0;
  return (stream._writableState?.length ?? 0) + (stream._readableState?.length ?? 0);
}

/** Bytes queued between exceljs's sheet buffer, the zip compressor and the file. */
function xlsxBacklog(workbook: unknown, sheet: unknown): number {
  const w = workbook as { zip?: Buffered; stream?: Buffered };
  const pipes = (sheet as { _stream?: { pipes?: Buffered[] } })._stream?.pipes ?? [];
  return queued(w.stream) + queued(w.zip) + pipes.reduce((n, p) => n + queued(p), 0);
}

const XLSX_MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * exceljs's streaming writer: rows are committed (written and released) one by one. Its
 * writes ignore back-pressure, so every 1000 rows the sink waits for the compressor and
 * the file to catch up; otherwise a fast database outruns zlib and memory grows with the
 * row count.
 */
export async function xlsxSink(file: string, sheetName: string, headers: string[]): Promise<RowSink> {
  const ExcelJS = await loadExcel();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: file,
    useStyles: false,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31));
  sheet.addRow(headers).commit();
  let rows = 0;
  return {
    write: async (cells) => {
      sheet.addRow(cells.map(spreadsheetCell)).commit();
      if (++rows % 1000 === 0) {
        while (xlsxBacklog(workbook, sheet) > XLSX_MAX_BACKLOG_BYTES) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
    },
    close: async () => {
      sheet.commit();
      await workbook.commit();
    },
  };
}
