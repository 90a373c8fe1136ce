import { ApartmentOutlined, AuditOutlined, FileTextOutlined, GiftOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { lazy, type ReactNode } from "react";
import { matchPath } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import type { MessageKey } from "./i18n/i18n";
import { DEPOSIT_PAGES } from "./pages/deposits";
import { useSession } from "./session";

const Issuance = lazy(() => import("./pages/reseller/Issuance"));
const VoucherList = lazy(() => import("./pages/reseller/VoucherList"));
const VoucherUsage = lazy(() => import("./pages/reseller/VoucherUsage"));
const Quotas = lazy(() => import("./pages/reseller/Quotas"));
const Benefits = lazy(() => import("./pages/enterprise/Benefits"));

/** The org unit kinds whose users work in a partner portal instead of the merchant's pages. */
export type Portal = "distributor" | "reseller" | "enterprise" | "merchant";
const PORTALS: readonly string[] = ["distributor", "reseller", "enterprise", "merchant"];

export interface PortalPage {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  needs: string;
  element: ReactNode;
  /** Menu group: the seed's "Customer Business", "Accounting Management", or the deposit center. */
  group: "partner.group.customer" | "partner.group.accounting" | "nav.deposits";
  /** Pages reached from a list (no menu entry). */
  hidden?: boolean;
}

const PAGES: Record<Portal, PortalPage[]> = {
  reseller: [
    {
      path: "/reseller/issuance",
      label: "nav.voucherIssuance",
      icon: <GiftOutlined />,
      needs: "GET /v1/voucher-templates",
      element: <Issuance />,
      group: "partner.group.customer",
    },
    {
      path: "/reseller/vouchers",
      label: "nav.customerVouchers",
      icon: <FileTextOutlined />,
      needs: "GET /v1/vouchers",
      element: <VoucherList />,
      group: "partner.group.customer",
    },
    {
      path: "/reseller/vouchers/:id",
      label: "nav.customerVouchers",
      icon: null,
      needs: "GET /v1/vouchers/{id}/usages",
      element: <VoucherUsage />,
      group: "partner.group.customer",
      hidden: true,
    },
    {
      path: "/reseller/quota",
      label: "nav.voucherQuota",
      icon: <AuditOutlined />,
      needs: "GET /v1/voucher-quotas",
      element: <Quotas />,
      group: "partner.group.customer",
    },
  ],
  distributor: [
    {
      path: "/distributor/quotas",
      label: "nav.voucherQuotas",
      icon: <AuditOutlined />,
      needs: "POST /v1/voucher-quotas/adjustments",
      element: <Quotas />,
      group: "partner.group.customer",
    },
    {
      path: "/distributor/vouchers",
      label: "nav.customerVouchers",
      icon: <FileTextOutlined />,
      needs: "GET /v1/vouchers",
      element: <VoucherList />,
      group: "partner.group.customer",
    },
    {
      path: "/distributor/vouchers/:id",
      label: "nav.customerVouchers",
      icon: null,
      needs: "GET /v1/vouchers/{id}/usages",
      element: <VoucherUsage />,
      group: "partner.group.customer",
      hidden: true,
    },
  ],
  // The merchant deposit center (seed 003).
  merchant: DEPOSIT_PAGES.map((p) => ({ ...p, group: "nav.deposits" as const })),
  enterprise: [
    {
      path: "/enterprise/benefits",
      label: "nav.benefitsManagement",
      icon: <ApartmentOutlined />,
      needs: "GET /v1/enterprises/{id}/members",
      element: <Benefits />,
      group: "partner.group.accounting",
    },
  ],
};

/**
 * The portal of the signed-in user: a user bound to a distributor, reseller, enterprise
 * master or merchant works only there (their unit's subtree is all the API shows them anyway).
 */
export function usePortal(): { pending: boolean; portal?: Portal; unit?: { id: string; name: string } } {
  const { user } = useSession();
  const unitId = user.org_unit_id;
  const query = useQuery({
    queryKey: ["my-org-unit", unitId],
    enabled: Boolean(unitId),
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () => unwrap(api.GET("/v1/org-units/{id}", { params: { path: { id: unitId! } } })),
  });
  if (!unitId) return { pending: false };
  if (query.isPending) return { pending: true };
  const unit = query.data;
  if (!unit || !PORTALS.includes(unit.kind)) return { pending: false };
  return { pending: false, portal: unit.kind as Portal, unit: { id: unit.id, name: unit.name } };
}

/** Whether an address is a page of some portal: one the user may not open is "no access", not "not found". */
export function isPortalPath(pathname: string): boolean {
  return Object.values(PAGES).some((pages) => pages.some((p) => matchPath(p.path, pathname)));
}

/** The portal's pages the user's role may use. */
export function portalPages(portal: Portal, can: (operation: string) => boolean): PortalPage[] {
  return PAGES[portal].filter((p) => can(p.needs));
}

/** The signed-in partner's own unit (pages of a portal render only for a bound user). */
export function usePartnerUnit(): { id: string; name: string; portal: Portal } {
  const { portal, unit } = usePortal();
  if (!portal || !unit) throw new Error("partner page outside a portal");
  return { ...unit, portal };
}
