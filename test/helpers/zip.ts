import { crc32, createDeflateRaw } from "node:zlib";

/**
 * A hand-written zip, for files a spreadsheet program would never write: parts that unpack
 * to far more than their headers say. Each part's content is produced piece by piece and
 * deflated as it comes, so a part of many megabytes never sits in memory whole.
 */
export interface ZipPart {
  name: string;
  content: () => Iterable<string>;
}

async function deflate(pieces: Iterable<string>) {
  const deflater = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflater.on("data", (chunk: Buffer) => out.push(chunk));
  const ended = new Promise((resolve, reject) => deflater.on("end", resolve).on("error", reject));
  let crc = 0;
  let size = 0;
  for (const piece of pieces) {
    const bytes = Buffer.from(piece);
    crc = crc32(bytes, crc);
    size += bytes.length;
    if (!deflater.write(bytes)) await new Promise((resolve) => deflater.once("drain", resolve));
  }
  deflater.end();
  await ended;
  return { data: Buffer.concat(out), crc, size };
}

/** The archive; `declared` is the unpacked size its headers state for a part of `size` bytes. */
export async function zip(parts: ZipPart[], declared = (size: number) => size): Promise<Buffer> {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const { data, crc, size } = await deflate(part.content());
    const name = Buffer.from(part.name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4); // version needed
    head.writeUInt16LE(0x800, 6); // UTF-8 names
    head.writeUInt16LE(8, 8); // deflate
    head.writeUInt32LE(crc >>> 0, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(declared(size), 22);
    head.writeUInt16LE(name.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc >>> 0, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(declared(size), 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    local.push(head, name, data);
    central.push(entry, name);
    offset += head.length + name.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, directory, end]);
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const RELS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"';
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/** What every workbook's package holds: its content types and where its workbook is. */
const PACKAGE_PARTS: ZipPart[] = [
  {
    name: "[Content_Types].xml",
    content: () => [
      `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
        `<Default Extension="xml" ContentType="application/xml"/></Types>`,
    ],
  },
  {
    name: "_rels/.rels",
    content: () => [
      `${XML}<Relationships ${RELS}><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
  },
];

/**
 * A one-sheet xlsx whose only row is `header`, as shared strings, and whose shared strings
 * then go on with `padding` bytes of one repeated letter: a few hundred kilobytes that
 * unpack to `padding` bytes, with headers declaring 1 KiB a part (or what `declared` says of a
 * part's true size). With `styles`, it also has cell styles of about that many bytes, all plain
 * cell formats.
 */
export async function inflatingXlsx(
  header: string[],
  padding: number,
  styles = 0,
  declared: (size: number) => number = () => 1024,
): Promise<Buffer> {
  const xf = '<xf numFmtId="0"/>';
  const xfs = xf.repeat(64 * 1024);
  const stylesPart: ZipPart = {
    name: "xl/styles.xml",
    content: function* () {
      yield `${XML}<styleSheet ${MAIN}><cellXfs>`;
      for (let written = 0; written < styles; written += xfs.length) yield xfs;
      yield "</cellXfs></styleSheet>";
    },
  };
  const cells = header.map((_, i) => `<c r="${String.fromCharCode(65 + i)}1" t="s"><v>${i}</v></c>`);
  const block = `<si><t>${"x".repeat(1024 * 1024)}</t></si>`;
  return zip(
    [
      ...PACKAGE_PARTS,
      {
        name: "xl/workbook.xml",
        content: () => [
          `${XML}<workbook ${MAIN} xmlns:r="${REL}"><sheets><sheet name="units" sheetId="1" r:id="rId1"/></sheets></workbook>`,
        ],
      },
      {
        name: "xl/_rels/workbook.xml.rels",
        content: () => [
          `${XML}<Relationships ${RELS}><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/>` +
            `<Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
        ],
      },
      ...(styles > 0 ? [stylesPart] : []),
      {
        name: "xl/sharedStrings.xml",
        content: function* () {
          yield `${XML}<sst ${MAIN}>`;
          for (const text of header) yield `<si><t>${text}</t></si>`;
          for (let written = 0; written < padding; written += block.length) yield block;
          yield "</sst>";
        },
      },
      {
        name: "xl/worksheets/sheet1.xml",
        content: () => [
          `${XML}<worksheet ${MAIN}><sheetData><row r="1">${cells.join("")}</row></sheetData></worksheet>`,
        ],
      },
    ],
    declared,
  );
}

/**
 * An xlsx as programs other than exceljs write one: cells as inline strings (no shared strings,
 * no styles), `sheets[i]` stored as `xl/worksheets/sheet{i+1}.xml` in that order (or as
 * `xl/worksheets/{partName(i)}`), and the workbook's tabs, which a spreadsheet program shows,
 * in `tabOrder` (indexes into `sheets`).
 */
export async function inlineStringXlsx(
  sheets: { name: string; rows: string[][] }[],
  tabOrder: number[],
  partName = (i: number) => `sheet${i + 1}.xml`,
): Promise<Buffer> {
  const column = (i: number) => String.fromCharCode(65 + i);
  const sheetXml = (rows: string[][]) =>
    `${XML}<worksheet ${MAIN}><sheetData>${rows
      .map(
        (row, r) =>
          `<row r="${r + 1}">${row
            .map((text, c) => `<c r="${column(c)}${r + 1}" t="inlineStr"><is><t>${text}</t></is></c>`)
            .join("")}</row>`,
      )
      .join("")}</sheetData></worksheet>`;
  return zip([
    ...PACKAGE_PARTS,
    ...sheets.map((sheet, i) => ({
      name: `xl/worksheets/${partName(i)}`,
      content: () => [sheetXml(sheet.rows)],
    })),
    {
      name: "xl/_rels/workbook.xml.rels",
      content: () => [
        `${XML}<Relationships ${RELS}>${sheets
          .map(
            (_, i) =>
              `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/${partName(i)}"/>`,
          )
          .join("")}</Relationships>`,
      ],
    },
    {
      name: "xl/workbook.xml",
      content: () => [
        `${XML}<workbook ${MAIN} xmlns:r="${REL}"><sheets>${tabOrder
          .map((i, tab) => `<sheet name="${sheets[i]!.name}" sheetId="${tab + 1}" r:id="rId${i + 1}"/>`)
          .join("")}</sheets></workbook>`,
      ],
    },
  ]);
}
