import { describe, expect, it } from "vitest";
import { checkImage } from "./image-check.js";

const MAX_BYTES = 2 * 1024 * 1024;
const check = (svg: string) =>
  checkImage("image/svg+xml", Buffer.from(svg), {
    maxBytes: MAX_BYTES,
    invalidCode: "invalid_image",
    what: "image",
  });
const svgOf = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg">${body}</svg>`;

describe("an SVG's animations", () => {
  it("refuses an animation of a link, whatever it animates it to, and takes one of anything else", () => {
    expect(() => check(svgOf('<a><animate attributeName="href" values="#one;#two"/></a>'))).toThrow(
      expect.objectContaining({ code: "invalid_image" }),
    );
    expect(() => check(svgOf("<a><animate attributeName = 'xlink:href' to='#b'/></a>"))).toThrow(
      expect.objectContaining({ code: "invalid_image" }),
    );
    expect(check(svgOf('<circle r="4"><animate attributeName="r" values="4;3;4"/></circle>'))).toBe(
      "image/svg+xml",
    );
  });

  it("reads a link however the spaces and the quote around it fall", () => {
    for (const spelled of [
      "attributeName=href",
      "attributeName= \t href",
      'attributeName="  href"',
      "attributeName =\n' \nXLINK:HREF'",
      'attributeName=  " xlink:href"',
    ]) {
      expect(() => check(svgOf(`<a><animate ${spelled} to="#b"/></a>`)), spelled).toThrow(
        expect.objectContaining({ code: "invalid_image" }),
      );
    }
    for (const spelled of ['attributeName=" x href"', "attributeName=''href", 'attributeName=" "href"']) {
      expect(check(svgOf(`<circle><animate ${spelled} to="3"/></circle>`)), spelled).toBe("image/svg+xml");
    }
  });

  it("reads unclosed animation tags once, the link at their end included", () => {
    // Each `<animate` without a `>` after it was scanned to the end of the text again: 2 MiB of
    // them held the checking process for some twenty minutes, these 512 KiB for over a minute.
    // The minute this test is given is no measure of the check (it takes milliseconds): a
    // check that scans so fails it, once the scan ends.
    const unclosed = "<animate ".repeat(Math.floor((512 * 1024) / "<animate ".length));
    expect(check(svgOf(unclosed))).toBe("image/svg+xml");
    expect(() => check(svgOf(`${unclosed}<animate attributeName="href" values="#a;#b"/>`))).toThrow(
      expect.objectContaining({ code: "invalid_image" }),
    );
  }, 60_000);

  it("reads a long run of spaces after attributeName= once", () => {
    // The spaces were split every way between the two `\s*` around the optional quote: 64 KiB of
    // them held the checking process for 11 s, these 256 KiB for some three minutes, and 2 MiB
    // would for hours. The minute this test is given is no measure of the check (it takes
    // milliseconds): a check that splits them so fails it, once it is done.
    const spaces = " ".repeat(256 * 1024);
    expect(check(svgOf(`<animate attributeName=${spaces}"r" values="4;3;4"/>`))).toBe("image/svg+xml");
    expect(check(svgOf(`<animate attributeName=${spaces}r values="4;3;4"/>`))).toBe("image/svg+xml");
    expect(() => check(svgOf(`<a><animate attributeName=${spaces}"href" values="#a;#b"/></a>`))).toThrow(
      expect.objectContaining({ code: "invalid_image" }),
    );
  }, 60_000);
});
