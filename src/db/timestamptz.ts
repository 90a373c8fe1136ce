/**
 * PostgreSQL's usual text form of a timestamptz, `2026-03-01 08:00:00.123456+08` (offset in
 * hours, or hours and minutes, or hours, minutes and seconds), read character by character: a
 * bulk batch reads two of them for each of thousands of locked accounts, and node-postgres's
 * general parser (several regular expressions and string slices each) showed in its profile.
 * Anything else (years before 1000 or after 9999, BC, infinity) answers undefined, for the
 * general parser to read. The instant is the general parser's: fractions cut to milliseconds.
 */
export function parseTimestamptz(value: string): Date | undefined {
  const n = value.length;
  if (n < 22 || value.charCodeAt(0) === 48) return undefined;
  if (value[4] !== "-" || value[7] !== "-" || value[10] !== " " || value[13] !== ":" || value[16] !== ":") {
    return undefined;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let i = 19;
  let ms = 0;
  if (value[i] === ".") {
    i++;
    const start = i;
    while (i < n && i - start < 6) {
      const d = value.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (i - start < 3) ms = ms * 10 + d;
      i++;
    }
    const count = i - start;
    if (count === 0) return undefined;
    for (let k = count; k < 3; k++) ms *= 10;
  }
  const sign = value[i];
  if (sign !== "+" && sign !== "-") return undefined;
  // ±HH, ±HH:MM or ±HH:MM:SS, and nothing after it.
  let offset = 0;
  let scale = 3600;
  for (let part = 0; part < 3; part++) {
    const v = digits(value, i + 1, 2);
    if (v < 0) return undefined;
    offset += v * scale;
    scale /= 60;
    i += 3;
    if (i === n) break;
    if (value[i] !== ":" || part === 2) return undefined;
  }
  if (i !== n) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return new Date(sign === "+" ? utc - offset * 1000 : utc + offset * 1000);
}

/** The decimal number of `count` digits at `at`, or -1 if any is not a digit. */
function digits(value: string, at: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) {
    const d = value.charCodeAt(at + k) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}
