import type { Tx } from "../../db/database.js";
import { packageSummaries } from "../packages/index.js";
import { loadSettings } from "./students.repository.js";

/**
 * What a member sees before verifying: the page's title, body and images, the linked
 * student-only packages that are on sale now (inactive or archived ones are left out), and
 * the gift a verification gives.
 */
export async function verificationPage(trx: Tx, tenantId: string) {
  const settings = await loadSettings(trx, tenantId);
  const packages = await packageSummaries(trx, tenantId, settings.page.package_ids);
  const order = new Map(settings.page.package_ids.map((id, i) => [id, i]));
  return {
    object: "student_verification_page" as const,
    title: settings.page.title,
    body: settings.page.body,
    image_ids: settings.page.image_ids,
    packages: packages
      .filter((p) => p.status === "active")
      .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
      .map((p) => ({ id: p.id, name: p.name, status: p.status })),
    gift: settings.gift,
  };
}
