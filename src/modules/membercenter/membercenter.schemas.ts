import { Type } from "typebox";
import { IdParam, Nullable, Obj, StringEnum, Timestamp } from "../../platform/http/schemas.js";

/** The pages a link may open; the page's router owns the rest of the URL. */
export const PAGES = [
  "home",
  "balance",
  "vouchers",
  "gift-cards",
  "points",
  "packages",
  "topup",
  "cashier",
  "student",
  "benefits",
] as const;
export type Page = (typeof PAGES)[number];

/** How long a link's code may wait to be used: long enough to open a page, too short to forward. */
export const CODE_TTL_SECONDS = 300;

export const LinkBody = Obj(
  {
    member_id: IdParam,
    page: Type.Optional(StringEnum(PAGES, { default: "home" })),
  },
  { examples: [{ member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g", page: "home" }] },
);

export const Link = Type.Object(
  {
    object: Type.Literal("member_center_link"),
    member_id: Type.String(),
    url: Type.String({ description: "Absolute, for this server's host: redirect the member to it" }),
    path: Type.String({ description: "The same link relative to the server, for a proxy in front of it" }),
    expires_at: Timestamp,
  },
  { $id: "MemberCenterLink" },
);

export const SessionBody = Obj(
  {
    tenant_id: IdParam,
    code: Type.String({ minLength: 16, maxLength: 128, pattern: "^[A-Za-z0-9_-]+$" }),
  },
  { examples: [{ tenant_id: "ten_01jd3m2x4y5z6a7b8c9d0e1f2g", code: "q3Kx…" }] },
);

export const Session = Type.Object(
  {
    object: Type.Literal("member_center_session"),
    token: Type.String({ description: "A member token: send it as 'Authorization: Bearer <token>'" }),
    member_id: Type.String(),
    page: StringEnum(PAGES),
    expires_at: Timestamp,
  },
  { $id: "MemberCenterSession" },
);

const HexColor = Type.String({ maxLength: 7, pattern: "^#[0-9a-fA-F]{6}$", examples: ["#c2410c"] });
const LogoUrl = Type.String({
  maxLength: 1024,
  // A path starts with one slash: "//host/…" and "/\host/…" are another host to a browser.
  pattern: "^(https://[^\\s/\\\\][^\\s]*|/(?![/\\\\])[^\\s]*)$",
  description: "An https URL or a path on this server",
});

export const SettingsBody = Obj({ brand_color: Nullable(HexColor), logo_url: Nullable(LogoUrl) });

export const Settings = Type.Object(
  {
    object: Type.Literal("member_center_settings"),
    brand_color: Nullable(Type.String()),
    logo_url: Nullable(Type.String()),
  },
  { $id: "MemberCenterSettings" },
);

export const Branding = Type.Object(
  {
    object: Type.Literal("member_center_branding"),
    tenant_id: Type.String(),
    name: Type.String(),
    logo_url: Nullable(Type.String()),
    brand_color: Nullable(Type.String()),
    locale: Type.String(),
    timezone: Type.String(),
    currency: Type.Object({
      code: Type.String(),
      scale: Type.Integer(),
      symbol: Nullable(
        Type.String({ description: "Set for a house currency (e.g. ★); null: the ISO symbol" }),
      ),
      name: Type.String(),
    }),
    hide_balance: Type.Boolean({
      description: "The merchant hides the balance (and top-up) in the member center",
    }),
    online_topup_enabled: Type.Boolean(),
    points_per_unit: Type.String({
      description: 'Points per one major unit when exchanging points into balance ("100": 100 points = 1.00)',
    }),
  },
  { $id: "MemberCenterBranding" },
);

export const TenantParams = Obj({ tenant_id: IdParam });

export const Me = Type.Object(
  {
    object: Type.Literal("member_center_member"),
    member_id: Type.String(),
    name: Type.String(),
    card_plan: Nullable(Type.String()),
    tier: Nullable(Type.String()),
    card_number: Nullable(Type.String()),
    card_expires_at: Nullable(Timestamp),
    points: Type.Integer({ description: "Shown even while the balance is hidden" }),
    referral_points: Type.Integer(),
  },
  { $id: "MemberCenterMember" },
);

export function serializeSettings(look: { brandColor: string | null; logoUrl: string | null }) {
  return { object: "member_center_settings" as const, brand_color: look.brandColor, logo_url: look.logoUrl };
}
