import type { FastifyInstance } from "fastify";

/** The database round trips `/metrics` has counted for one route: requests so far and their total. */
export async function roundTripsOf(
  app: Pick<FastifyInstance, "inject">,
  method: string,
  route: string,
): Promise<{ text: string; count: number; sum: number }> {
  const text = (await app.inject({ url: "/metrics" })).body;
  const series = (name: string) =>
    Number(
      text.match(
        new RegExp(
          `^vouchsafe_db_round_trips_per_request_${name}\\{method="${method}",route="${route}"\\} (\\d+)$`,
          "m",
        ),
      )?.[1] ?? 0,
    );
  return { text, count: series("count"), sum: series("sum") };
}
