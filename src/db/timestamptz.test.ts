import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/db.js";
import { parseTimestamptz } from "./timestamptz.js";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
/**
 * node-postgres's own date parser, the reference. It registers the same one for timestamp
 * (1114) and timestamptz (1184); the database module replaces only timestamptz's, maybe
 * already (test files of a worker share modules), so the reference is read from timestamp.
 */
const parseGeneral = pg.types.getTypeParser(1114) as (value: string) => Date;

describe("timestamptz text", () => {
  it("reads the usual form to the same instant as node-postgres's general parser", () => {
    expect(parseGeneral.name).toBe("parseDate");
    const offsets = ["+00", "-00", "+08", "-05", "+05:30", "-03:30", "+00:19:32", "-00:01:15", "+14", "-12"];
    const fractions = ["", ".1", ".12", ".123", ".1234", ".12345", ".123456", ".999999", ".000001", ".5"];
    // Every three-digit fraction: the general parser multiplies a float, this one cuts digits.
    for (let f = 0; f < 1000; f++) fractions.push(`.${pad(f, 3)}`, `.${pad(f, 3)}999`);
    let checked = 0;
    for (let i = 0; i < 4000; i++) {
      const year = 1000 + Math.floor(Math.random() * 9000);
      const text = `${year}-${pad(1 + Math.floor(Math.random() * 12))}-${pad(1 + Math.floor(Math.random() * 28))} ${pad(Math.floor(Math.random() * 24))}:${pad(Math.floor(Math.random() * 60))}:${pad(Math.floor(Math.random() * 60))}${fractions[i % fractions.length]}${offsets[i % offsets.length]}`;
      const fast = parseTimestamptz(text);
      expect(fast, text).toBeInstanceOf(Date);
      expect(fast!.getTime(), text).toBe(parseGeneral(text).getTime());
      checked++;
    }
    expect(checked).toBe(4000);
  });

  it("leaves other forms to the general parser", () => {
    for (const text of [
      "infinity",
      "-infinity",
      "0044-03-15 12:00:00+00 BC",
      "0099-01-01 00:00:00+00",
      "12026-01-01 00:00:00+00",
      "2026-03-01",
    ]) {
      expect(parseTimestamptz(text), text).toBeUndefined();
    }
  });
});

describe("timestamptz from PostgreSQL", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("reads what the server writes in any session time zone, old dates' odd offsets among them", async () => {
    const client = await t.db.pool.connect();
    try {
      for (const zone of ["UTC", "Asia/Shanghai", "Asia/Kolkata", "America/St_Johns", "Europe/Amsterdam"]) {
        await client.query(`set time zone '${zone}'`);
        for (const iso of [
          "2026-03-01T08:00:00.123Z",
          "1850-06-01T00:00:00Z",
          "2001-09-09T01:46:40.5Z",
          "1999-12-31T23:59:59.999Z",
        ]) {
          const { rows } = await client.query("select $1::timestamptz as at, $1::timestamptz::text as text", [
            iso,
          ]);
          expect(parseTimestamptz(rows[0].text), `${zone} ${rows[0].text}`).toEqual(new Date(iso));
          expect(rows[0].at, `${zone} ${rows[0].text}`).toEqual(new Date(iso));
        }
      }
    } finally {
      await client.query("reset time zone").catch(() => {});
      client.release();
    }
  });
});
