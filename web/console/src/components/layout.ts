/** A row of fields on a line of its own: two rows in a row would otherwise flow into one line. */
export const ROW = { display: "flex" } as const;
