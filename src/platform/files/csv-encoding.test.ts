import { describe, expect, it } from "vitest";
import { decodeCsv, detectCsvEncoding } from "./csv-encoding.js";

const gb18030 = (text: string) => {
  // Node encodes only UTF-8: the few characters these tests need, from the GB18030 table.
  const table: Record<string, number[]> = {
    张: [0xd5, 0xc5],
    三: [0xc8, 0xfd],
    你: [0xc4, 0xe3],
    好: [0xba, 0xc3],
  };
  return Buffer.from([...text].flatMap((c) => table[c] ?? [...Buffer.from(c)]));
};

describe("CSV encodings", () => {
  it("takes valid UTF-8 (with or without its byte order mark) as UTF-8, and plain ASCII too", async () => {
    expect(await detectCsvEncoding([Buffer.from("name\n张三\n")])).toBe("utf-8");
    expect(await detectCsvEncoding([Buffer.from("\ufeffname\n张三\n")])).toBe("utf-8");
    expect(await detectCsvEncoding([Buffer.from("name\nZhang San\n")])).toBe("utf-8");
    expect(await decodeCsv(Buffer.from("\ufeffname\n张三\n"))).toBe("name\n张三\n");
  });

  it("takes what is not UTF-8 but is GB18030 as GB18030, also when a character straddles two chunks", async () => {
    const bytes = gb18030("name\n张三,你好\n");
    expect(await detectCsvEncoding([bytes])).toBe("gb18030");
    const cut = bytes.indexOf(0xc5); // the middle of 张
    expect(await detectCsvEncoding([bytes.subarray(0, cut), bytes.subarray(cut)])).toBe("gb18030");
    expect(await decodeCsv(bytes)).toBe("name\n张三,你好\n");
  });

  it("finds no encoding for bytes neither reads, and decodeCsv refuses them", async () => {
    const bytes = Buffer.from([0x61, 0xff, 0xfe, 0x0a]);
    expect(await detectCsvEncoding([bytes])).toBeNull();
    await expect(decodeCsv(bytes)).rejects.toMatchObject({ code: "import_invalid" });
    // A UTF-8 sequence cut off at the end of the file is no UTF-8.
    expect(await detectCsvEncoding([Buffer.from([0x61, 0xe5, 0xbc])])).not.toBe("utf-8");
  });
});
