import type { FastifyInstance } from "fastify";
import { routeRoundTrips } from "../../src/platform/http/metrics.js";

/** The database round trips `/metrics` has counted for one route: requests so far and their total. */
export async function roundTripsOf(
  app: Pick<FastifyInstance, "inject">,
  method: string,
  route: string,
): Promise<{ text: string; count: number; sum: number }> {
  const text = (await app.inject({ url: "/metrics" })).body;
  return { text, ...routeRoundTrips(text, method, route) };
}
