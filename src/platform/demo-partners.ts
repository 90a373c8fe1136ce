import type { Tx } from "../db/database.js";
import type { DemoCredentials } from "./demo.js";
import { insertOrgUnit } from "./tenants.js";

type Unit = { id: string; path: string };

/**
 * The demo's partners (seeds 000 and 002): customers of the reseller, a second reseller whose
 * things the first must not see, and an enterprise master with member accounts (associated
 * from its Enterprise Center). One console user per portal, bound to its unit.
 */
export async function seedPartners(
  trx: Tx,
  tenantId: string,
  units: { root: Unit; east: Unit; harbour: Unit },
  password: string,
  now: Date,
): Promise<{ people: DemoCredentials["users"]; units: Record<string, string> }> {
  const add = (parent: Unit, kind: string, name: string, code: string) =>
    insertOrgUnit(trx, tenantId, { parentId: parent.id, parentPath: parent.path, kind, name, code }, now);
  await add(units.harbour, "customer", "Bund Cafe", "CUS-BUND-CAFE");
  await add(units.harbour, "customer", "Lujiazui Books", "CUS-LJZ-BOOKS");
  const lakeside = await add(units.east, "reseller", "Lakeside Resellers", "RES-LAKESIDE");
  await add(lakeside, "customer", "West Lake Tea", "CUS-WL-TEA");
  const pudong = await add(units.root, "enterprise", "Pudong Tech Group", "ENT-PUDONG");
  for (const [n, name] of ["Research", "Sales", "Support"].entries()) {
    await add(pudong, "member_account", `Pudong ${name}`, `ENT-PUDONG-${n + 1}`);
  }
  const person = (local: string, unit: string) => ({
    email: `${local}@demo.vouchsafe.test`,
    password,
    role: "operator" as const,
    org_unit: unit,
  });
  return {
    people: [
      person("distributor", "East Distribution"),
      person("reseller", "Harbour Resellers"),
      person("enterprise", "Pudong Tech Group"),
    ],
    units: {
      "East Distribution": units.east.id,
      "Harbour Resellers": units.harbour.id,
      "Pudong Tech Group": pudong.id,
    },
  };
}
