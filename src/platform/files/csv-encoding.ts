import { createReadStream, type ReadStream } from "node:fs";
import { type Readable, Transform } from "node:stream";
import type { CastingContext } from "csv-parse";
import { DomainError } from "../../shared/errors.js";

/**
 * The encodings a CSV upload may come in. UTF-8 is what every tool can write; GB18030 (a
 * superset of GBK and GB2312) is what Excel writes as "CSV" on a Chinese Windows, the file a
 * merchant's staff most often export from a spreadsheet. Refusing it, or reading it as UTF-8
 * (every Chinese character turned into U+FFFD), would leave them no way but to learn about
 * encodings; reading it as what it is costs one more pass over the file.
 */
export type CsvEncoding = "utf-8" | "gb18030";

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The encoding of CSV bytes, chunk by chunk: UTF-8 when every sequence is valid UTF-8 (a UTF-8
 * byte order mark settles it), else GB18030 when every sequence is valid there, else none.
 * Valid UTF-8 of anything but plain ASCII is almost never also meant as GB18030, so UTF-8 is
 * asked first. A Latin-1 file mostly decodes as GB18030 too, into the wrong characters: such
 * files are not what this product's users export, and UTF-8 is what the docs ask for.
 */
export async function detectCsvEncoding(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<CsvEncoding | null> {
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const gb18030 = new TextDecoder("gb18030", { fatal: true });
  let utf8Valid = true;
  let gb18030Valid = true;
  let first = true;
  for await (const chunk of chunks) {
    if (first && chunk.subarray(0, 3).equals(UTF8_BOM)) return "utf-8";
    first = false;
    if (utf8Valid) utf8Valid = decodes(utf8, chunk);
    if (gb18030Valid) gb18030Valid = decodes(gb18030, chunk);
    if (!utf8Valid && !gb18030Valid) return null;
  }
  if (utf8Valid && decodes(utf8)) return "utf-8";
  return gb18030Valid && decodes(gb18030) ? "gb18030" : null;
}

function decodes(decoder: InstanceType<typeof TextDecoder>, chunk?: Buffer): boolean {
  try {
    if (chunk === undefined) decoder.decode();
    else decoder.decode(chunk, { stream: true });
    return true;
  } catch {
    return false;
  }
}

const notText = () =>
  new DomainError(
    "import_invalid",
    "The CSV file is neither UTF-8 nor GB18030 text; save it from the spreadsheet as CSV UTF-8",
  );

/** CSV bytes as text, in the encoding `detectCsvEncoding` would find; `import_invalid` if none. */
export async function decodeCsv(bytes: Buffer): Promise<string> {
  const encodings: CsvEncoding[] = bytes.subarray(0, 3).equals(UTF8_BOM) ? ["utf-8"] : ["utf-8", "gb18030"];
  for (const encoding of encodings) {
    try {
      return new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch {
      // Not this encoding: the next one, if any.
    }
  }
  throw notText();
}

/**
 * A CSV file on disk as a stream for a parser to read, and the file's own stream (to close
 * when the parser stops early): its bytes as they are when they are UTF-8, else its text
 * decoded from GB18030. The encoding is found by a first pass over the file, so no more of it
 * than a chunk is ever held.
 */
export async function openCsv(file: string): Promise<{ source: ReadStream; readable: Readable }> {
  const encoding = await detectCsvEncoding(createReadStream(file) as AsyncIterable<Buffer>);
  if (encoding === null) throw notText();
  const source = createReadStream(file);
  if (encoding === "utf-8") return { source, readable: source };
  const decoder = new TextDecoder(encoding, { fatal: true });
  const readable = source.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        try {
          done(null, decoder.decode(chunk, { stream: true }));
        } catch {
          done(notText());
        }
      },
      flush(done) {
        try {
          done(null, decoder.decode());
        } catch {
          done(notText());
        }
      },
    }),
  );
  return { source, readable };
}

/**
 * csv-parse's `cast` for a reader that refuses a line reaching past `maxColumns` cells, as
 * soon as it does: a line of nothing but commas would otherwise become one row of millions of
 * cells, built in full before the import sees it. `refuse` makes the error, from the line.
 */
export function columnsAtMost(maxColumns: number, refuse: (line: number) => Error) {
  return (value: string, context: CastingContext): string => {
    if (context.index >= maxColumns) throw refuse(context.lines);
    return value;
  };
}
