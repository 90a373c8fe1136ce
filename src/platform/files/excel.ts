import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import type ExcelJS from "exceljs";
import { DomainError } from "../../shared/errors.js";
import { loadOnce } from "../../shared/load-once.js";

/** exceljs, loaded when a spreadsheet is first read or written (see `loadOnce`). */
export const loadExcel = loadOnce(
  async () => ((await import("exceljs")) as unknown as { default: typeof ExcelJS }).default,
);

/**
 * A cell's text as the spreadsheet shows it, for every import that reads a workbook: rich text
 * is its runs joined, a link its text, a formula its last result; any other object (an error
 * cell) is empty, never "[object Object]". A date cell is its day (YYYY-MM-DD), as a birthday
 * is typed; one that also holds a time of day keeps it (a full ISO time), so a date-time column
 * does not lose its time. exceljs gives a cell's date and time as the same numbers in UTC.
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso;
  }
  if (typeof value === "object") {
    const cell = value as { richText?: { text: string }[]; text?: unknown; result?: unknown };
    if (Array.isArray(cell.richText)) return cell.richText.map((r) => r.text).join("");
    if (cell.text !== undefined) return cellText(cell.text);
    if (cell.result !== undefined) return cellText(cell.result);
    return "";
  }
  return String(value);
}

/** A part of a zip, as its central directory lists it. */
interface ZipPart {
  path: string;
  type: "File" | "Directory";
  /** Its decompressed bytes. */
  stream(): Readable;
}
interface Unzipper {
  Open: { buffer(bytes: Buffer): PromiseLike<{ files: ZipPart[] }> };
}

/** The zip library exceljs itself depends on (resolved from exceljs, so it is the same copy). */
const loadUnzipper = loadOnce(async () => {
  const fromApp = createRequire(import.meta.url);
  return createRequire(fromApp.resolve("exceljs"))("unzipper") as Unzipper;
});

/**
 * What a workbook's cell styles may unpack to. Imports read them to know a date cell from a
 * number, and the reader keeps them all parsed: some ten times their size in memory, so a small
 * upload could otherwise fill a worker's heap. Excel's own limit, 64,000 cell formats, is rarely
 * approached; 4 MiB holds tens of thousands of them.
 */
export const MAX_XLSX_STYLES_BYTES = 4 * 1024 * 1024;
/**
 * Parts a workbook may have. A workbook of a few sheets has a dozen or two; the central
 * directory's records are all parsed before any part is read, and a 20 MiB upload of nothing
 * but records would declare some 400,000 of them.
 */
export const MAX_XLSX_PARTS = 10_000;
/** A sheet's columns, A to XFD, as Excel has them. */
export const MAX_XLSX_COLUMNS = 16_384;
const STYLES_PART = "xl/styles.xml";
const NOT_A_WORKBOOK = "The file is not a readable xlsx workbook";

/** What the parts read so far may still unpack to, and their sum so far. */
interface UnpackBudget {
  readonly maxBytes: number;
  unpacked: number;
}

/**
 * A part's decompressed bytes, counted as they come out of the decompressor (never taken from
 * the sizes the zip declares, which can say anything). Reading stops at the first byte past
 * the budget, or past MAX_XLSX_STYLES_BYTES for the cell styles: a small upload can otherwise
 * inflate to gigabytes of shared strings or styles, which the reader keeps in memory.
 */
async function* unpacked(part: ZipPart, budget: UnpackBudget): AsyncGenerator<Buffer> {
  const source = part.stream();
  // An abandoned part's decompressor may still report an error; it must not go uncaught.
  source.on("error", () => {});
  let own = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      own += chunk.length;
      budget.unpacked += chunk.length;
      if (part.path === STYLES_PART && own > MAX_XLSX_STYLES_BYTES) {
        throw new DomainError(
          "file_too_large",
          `The workbook's cell styles unpack to more than ${MAX_XLSX_STYLES_BYTES / 1024 / 1024} MiB; ` +
            "copy its values into a new workbook",
        );
      }
      if (budget.unpacked > budget.maxBytes) {
        throw new DomainError(
          "file_too_large",
          `The workbook unpacks to more than ${budget.maxBytes / 1024 / 1024} MiB; split it into smaller files`,
        );
      }
      yield chunk;
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError("invalid_file", NOT_A_WORKBOOK);
  } finally {
    source.destroy();
  }
}

/** The number of parts an archive's end-of-central-directory record declares, if it has one. */
function declaredPartCount(bytes: Buffer): number | undefined {
  // The record is 22 bytes and a comment of up to 65,535 follows it.
  const end = bytes.lastIndexOf(END_OF_DIRECTORY, bytes.length - 22);
  if (end < 0 || end < bytes.length - 22 - 0xffff) return undefined;
  const count = bytes.readUInt16LE(end + 10);
  if (count !== 0xffff) return count;
  // Zip64: the count is in the zip64 record, which the locator just before this one points to.
  const locator = end - 20;
  if (locator < 0 || bytes.readUInt32LE(locator) !== ZIP64_LOCATOR) return undefined;
  const record = Number(bytes.readBigUInt64LE(locator + 8));
  if (record + 56 > locator || bytes.readUInt32LE(record) !== ZIP64_END_OF_DIRECTORY) return undefined;
  return Number(bytes.readBigUInt64LE(record + 32));
}
const END_OF_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;

/**
 * An xlsx's parts, by path, as its central directory lists them. The parts are found through
 * the directory at the archive's end, not by a pass over the archive in stored order: the
 * streaming pass exceljs's own reader makes loses entries now and then (it has read an
 * archive without its `xl/workbook.xml` and failed on "reading 'sheets'"), and so would any
 * check made through it. A file is held in memory while it is read; uploads are at most
 * MAX_UPLOAD_BYTES.
 */
async function openXlsx(source: string | Buffer): Promise<Map<string, ZipPart>> {
  const bytes = typeof source === "string" ? await readFile(source) : source;
  const count = declaredPartCount(bytes);
  if (count === undefined) throw new DomainError("invalid_file", NOT_A_WORKBOOK);
  if (count > MAX_XLSX_PARTS) {
    throw new DomainError("invalid_file", `The workbook has more than ${MAX_XLSX_PARTS} parts`);
  }
  const unzipper = await loadUnzipper();
  let parts: ZipPart[];
  try {
    parts = (await unzipper.Open.buffer(bytes)).files;
  } catch {
    throw new DomainError("invalid_file", NOT_A_WORKBOOK);
  }
  return new Map(parts.filter((p) => p.type === "File").map((p) => [p.path, p]));
}

/**
 * Refuses an xlsx whose parts unpack to more than `maxBytes` in total, or whose cell styles
 * unpack to more than MAX_XLSX_STYLES_BYTES (see `unpacked`), and one that is no zip.
 */
export async function assertXlsxUnpacksWithin(file: string, maxBytes: number): Promise<void> {
  const budget: UnpackBudget = { maxBytes, unpacked: 0 };
  for (const part of (await openXlsx(file)).values()) {
    for await (const _ of unpacked(part, budget)) {
      // counted
    }
  }
}

/** The parts of exceljs's streaming reader that read one part each (exceljs 4.4). */
interface WorkbookReaderParts {
  workbookRels?: { Id: string; Target: string }[];
  model?: { sheets?: { rId: string }[] };
  _parseRels(part: Readable): Promise<void>;
  _parseWorkbook(part: Readable): Promise<void>;
  _parseSharedStrings(part: Readable): AsyncIterable<unknown>;
  _parseStyles(part: Readable): Promise<void>;
  _parseWorksheet(
    part: Readable,
    sheetNo: string,
  ): Iterable<{ eventType: string; value: AsyncIterable<{ values: unknown; number: number }> }>;
}

/** The path of the workbook's first sheet, in the workbook's order; else the lowest-numbered. */
function firstSheetPath(reader: WorkbookReaderParts, parts: Map<string, ZipPart>): string | undefined {
  const first = reader.model?.sheets?.[0];
  const target = first && reader.workbookRels?.find((r) => r.Id === first.rId)?.Target;
  if (target) {
    const listed = target.startsWith("/") ? target.slice(1) : `xl/${target}`;
    if (parts.has(listed)) return listed;
  }
  const numbered = [...parts.keys()]
    .map((p) => ({ path: p, no: /^xl\/worksheets\/sheet(\d+)\.xml$/.exec(p)?.[1] }))
    .filter((p) => p.no !== undefined)
    .sort((a, b) => Number(a.no) - Number(b.no));
  return numbered[0]?.path;
}

/**
 * The number a sheet's part is named by (`xl/worksheets/sheet3.xml`: "3"), else "1". Its digits
 * are read from where their run begins: as `(\d+)\.xml$`, the pattern set out again from each
 * digit of a run not followed by `.xml` and read to the run's end, and a part named by 64 KiB of
 * digits, which a zip can hold, took 4 s.
 */
export function sheetNumber(path: string): string {
  return /(?<!\d)(\d+)\.xml$/.exec(path)?.[1] ?? "1";
}

/**
 * The first sheet's rows of an xlsx (a file, or its bytes), each as its cells' text
 * (`cellText`), blank rows left out, read one by one; a row with a cell past `maxColumns` is
 * refused. The parts the sheet needs (the workbook and its relations, the shared strings, the
 * cell styles) are read first, each through exceljs's own parser, then the sheet as a stream;
 * all of it within `maxBytes` unpacked. Nothing is written to disk, and a reader stopped early
 * leaves nothing open.
 */
export async function* firstSheetRows(
  source: string | Buffer,
  maxBytes: number,
  maxColumns = MAX_XLSX_COLUMNS,
): AsyncGenerator<string[]> {
  const parts = await openXlsx(source);
  const budget: UnpackBudget = { maxBytes, unpacked: 0 };
  const part = (path: string) => {
    const found = parts.get(path);
    return found && Readable.from(unpacked(found, budget), { objectMode: false });
  };
  const ExcelJS = await loadExcel();
  // The reader is given each part as a stream of its own; what it is built with is never read.
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([]), {
    sharedStrings: "cache",
    hyperlinks: "ignore",
    // Without its style a date cell is a bare serial number (32947 for 1990-03-15).
    styles: "cache",
    worksheets: "emit",
  }) as unknown as WorkbookReaderParts;
  try {
    const rels = part("xl/_rels/workbook.xml.rels");
    if (rels) await reader._parseRels(rels);
    const workbook = part("xl/workbook.xml");
    if (workbook) await reader._parseWorkbook(workbook);
    const strings = part("xl/sharedStrings.xml");
    if (strings) {
      for await (const _ of reader._parseSharedStrings(strings)) {
        // cached on the reader
      }
    }
    const styles = part(STYLES_PART);
    if (styles) await reader._parseStyles(styles);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError("invalid_file", NOT_A_WORKBOOK);
  }
  const sheetPath = firstSheetPath(reader, parts);
  if (!sheetPath) return;
  // The reader names the sheet from the workbook's model, which a workbook without one lacks.
  reader.model ??= { sheets: [] };
  const sheetNo = sheetNumber(sheetPath);
  try {
    for (const { value: sheet } of reader._parseWorksheet(part(sheetPath)!, sheetNo)) {
      for await (const row of sheet) {
        // Sparse, from column 1: a row of two cells, one of them in the last column, is as
        // long as the sheet is wide, and is measured before a row of its width is built.
        const cells = row.values as unknown[];
        if (cells.length - 1 > maxColumns) {
          throw new DomainError("invalid_file", `Row ${row.number} has a cell past column ${maxColumns}`);
        }
        const values = Array.from({ length: Math.max(cells.length - 1, 0) }, (_, i) =>
          cellText(cells[i + 1]),
        );
        if (values.every((v) => v.trim() === "")) continue;
        yield values;
      }
    }
  } catch (error) {
    // The sheet's XML is parsed as it is read: a damaged one fails part of the way through.
    if (error instanceof DomainError) throw error;
    throw new DomainError("invalid_file", NOT_A_WORKBOOK);
  }
}
