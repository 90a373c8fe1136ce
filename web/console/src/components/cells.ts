import type { CSSProperties } from "react";

/** A long id in a table cell: one line, cut, the whole id on hover (give the cell a title). */
export const CLIPPED: CSSProperties = {
  display: "inline-block",
  maxWidth: 160,
  overflow: "hidden",
  textOverflow: "ellipsis",
  whiteSpace: "nowrap",
  verticalAlign: "bottom",
};

/** Short headings over narrow figures stay on one line. */
export const oneLineHeader = () => ({ style: { whiteSpace: "nowrap" as const } });

/** Dates and amounts stay on one line instead of breaking between year, month and day. */
export const oneLineCell = () => ({ style: { whiteSpace: "nowrap" as const } });
