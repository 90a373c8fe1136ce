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
 * Refuses an xlsx whose parts unpack to more than `maxBytes` in total. The bytes are counted as
 * they come out of the decompressor, never taken from the sizes the zip headers declare (those
 * can say anything), and reading stops at the first byte past the limit: a small upload can
 * otherwise inflate to gigabytes of shared strings, which the reader keeps in memory.
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
      for await (const chunk of entry) {
        unpacked += (chunk as Buffer).length;
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
