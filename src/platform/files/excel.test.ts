import { describe, expect, it } from "vitest";
import { inlineStringXlsx } from "../../../test/helpers/zip.js";
import { firstSheetRows, sheetNumber } from "./excel.js";

describe("a sheet's number", () => {
  it("is the run of digits its part's name ends in before .xml, else 1", () => {
    expect(sheetNumber("xl/worksheets/sheet1.xml")).toBe("1");
    expect(sheetNumber("xl/worksheets/sheet12.xml")).toBe("12");
    expect(sheetNumber("xl/worksheets/sheet007.xml")).toBe("007");
    expect(sheetNumber("xl/worksheets2/s3x45.xml")).toBe("45");
    expect(sheetNumber("xl/worksheets/sheet.xml")).toBe("1");
    expect(sheetNumber("xl/worksheets/sheet2.XML")).toBe("1");
    expect(sheetNumber("xl/worksheets/sheet2.xml.bak")).toBe("1");
    expect(sheetNumber("xl/worksheets/sheet2x.xml")).toBe("1");
  });

  it("reads a long run of digits once", () => {
    // The pattern set out again from each digit of a run not followed by `.xml` and read to the
    // run's end: a part named by 64 KiB of digits (the most a zip names one with) took 4 s, and
    // these 512 KiB over three minutes each. The minute this test is given is no measure of the
    // reading (it takes milliseconds): a reading that starts over so fails it, once it is done.
    const digits = "1".repeat(512 * 1024);
    expect(sheetNumber(`xl/worksheets/sheet${digits}x.xml`)).toBe("1");
    expect(sheetNumber(`xl/worksheets/sheet${digits}x2.xml`)).toBe("2");
    expect(sheetNumber(`xl/worksheets/${digits}.xml`)).toBe(digits);
  }, 60_000);

  it("is read from a workbook whose first sheet is named by 65,000 digits", async () => {
    const workbook = await inlineStringXlsx(
      [
        {
          name: "units",
          rows: [
            ["code", "name"],
            ["HZ", "杭州区域"],
          ],
        },
      ],
      [0],
      () => `sheet${"1".repeat(65_000)}x.xml`,
    );
    const rows: string[][] = [];
    for await (const row of firstSheetRows(workbook, 1024 * 1024)) rows.push(row);
    expect(rows).toEqual([
      ["code", "name"],
      ["HZ", "杭州区域"],
    ]);
  });
});
