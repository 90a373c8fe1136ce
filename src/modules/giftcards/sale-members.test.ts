import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { type giftCardClient, giftCardTenant } from "../../../test/helpers/giftcards.js";
import { expectProblem } from "../../../test/helpers/problem.js";

/** The members a sale names (buyer, holder) are members of the tenant the caller can see. */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let other: ReturnType<typeof giftCardClient>;
let planId: string;

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  ({ gc: other } = await giftCardTenant(t));
  planId = await gc.activePlan();
});
afterAll(async () => t?.close());

const cardCount = async () =>
  (
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      trx.selectFrom("gift_cards").select("id").where("tenant_id", "=", tenant.tenantId).execute(),
    )
  ).length;

const sell = (extra: object) =>
  gc.call("POST", "/v1/gift-cards", {
    plan_id: planId,
    amount: 10000,
    payment: { method: "offline", ref: "receipt" },
    ...extra,
  });

describe("a sale naming members", () => {
  it("refuses a holder or buyer that is no member of the tenant, and writes no card", async () => {
    const stranger = (await other.ok<{ id: string }>("POST", "/v1/members", { name: "Elsewhere" })).id;
    const before = await cardCount();
    expectProblem(
      await sell({ holder_member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g" }),
      404,
      "member_not_found",
    );
    expectProblem(await sell({ holder_member_id: stranger }), 404, "member_not_found");
    expectProblem(await sell({ buyer_member_id: stranger }), 404, "member_not_found");
    expect(await cardCount()).toBe(before);
  });

  it("records a member of the tenant as the card's holder and buyer", async () => {
    const ann = (await gc.ok<{ id: string }>("POST", "/v1/members", { name: "Ann" })).id;
    const sold = await sell({ holder_member_id: ann, buyer_member_id: ann });
    expect(sold.statusCode, sold.body).toBe(201);
    expect(await gc.card(JSON.parse(sold.body).card.id)).toMatchObject({
      holder_member_id: ann,
      buyer: { member_id: ann },
    });
  });
});
