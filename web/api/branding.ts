/** The member center's colour when the merchant sets none: its pages and the console's preview of them share it. */
export const DEFAULT_BRAND_COLOR = "#c2410c";
