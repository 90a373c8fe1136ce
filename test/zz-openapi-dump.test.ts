import { writeFileSync } from "node:fs";
import { it } from "vitest";
import { createTestApp } from "./helpers/app.js";

it("dumps openapi", async () => {
  const t = await createTestApp();
  const res = await t.app.inject({ method: "GET", url: "/openapi.json" });
  writeFileSync(
    process.env.OPENAPI_OUT ?? "/tmp/shape/openapi.json",
    JSON.stringify(JSON.parse(res.body), null, 2),
  );
  await t.close();
});
