import { once } from "node:events";
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import type { Readable, Writable } from "node:stream";
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

/** An entry of the zip parser, as its stream of decompressed bytes. */
type ZipEntry = Readable & { path: string };
interface Unzipper {
  Parse(options: { forceStream: true }): Writable & AsyncIterable<ZipEntry>;
}

/**
 * The zip parser exceljs's streaming reader itself uses (resolved from exceljs, so it is the
 * same copy): an archive measured with it is the archive that reader will unpack, entry for
 * entry.
 */
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
const STYLES_PART = "xl/styles.xml";

/**
 * Refuses an xlsx whose parts unpack to more than `maxBytes` in total, or whose cell styles
 * unpack to more than MAX_XLSX_STYLES_BYTES. The bytes are counted as they come out of the
 * decompressor, never taken from the sizes the zip headers declare (those can say anything),
 * and reading stops at the first byte past the limit: a small upload can otherwise inflate to
 * gigabytes of shared strings or styles, which the reader keeps in memory.
 */
export async function assertXlsxUnpacksWithin(file: string, maxBytes: number): Promise<void> {
  const unzipper = await loadUnzipper();
  const source = createReadStream(file);
  const zip = unzipper.Parse({ forceStream: true });
  // The parser reports a file that ends inside an entry on itself, not on that entry, which
  // would then wait forever for its end (also when the entry is only handed over after the
  // error): the error is passed on to it. Late errors (an inflater written to after its entry
  // was abandoned) must not go uncaught either.
  let current: ZipEntry | undefined;
  let failure: Error | undefined;
  zip.on("error", (error: Error) => {
    failure ??= error;
    current?.destroy(error);
  });
  source.on("error", (error) => zip.destroy(error));
  source.pipe(zip);
  let unpacked = 0;
  try {
    for await (const entry of zip) {
      current = entry;
      // An entry left early is destroyed with an abort error, which the inflater piping into it
      // would otherwise rethrow as uncaught.
      entry.on("error", () => {});
      if (failure) throw failure;
      const styles = entry.path === STYLES_PART;
      let part = 0;
      for await (const chunk of entry) {
        unpacked += (chunk as Buffer).length;
        part += (chunk as Buffer).length;
        if (styles && part > MAX_XLSX_STYLES_BYTES) {
          throw new DomainError(
            "file_too_large",
            `The workbook's cell styles unpack to more than ${MAX_XLSX_STYLES_BYTES / 1024 / 1024} MiB; ` +
              "copy its values into a new workbook",
          );
        }
        if (unpacked > maxBytes) {
          throw new DomainError(
            "file_too_large",
            `The workbook unpacks to more than ${maxBytes / 1024 / 1024} MiB; split it into smaller files`,
          );
        }
      }
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError("invalid_file", "The file is not a readable xlsx workbook");
  } finally {
    current?.destroy();
    zip.destroy();
    if (!source.closed) {
      const closed = once(source, "close");
      source.destroy();
      await closed;
    }
  }
}
