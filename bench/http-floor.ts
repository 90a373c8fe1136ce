/**
 * What an HTTP request costs a Node.js process on this machine before Vouchsafe does anything:
 * the checkout bench's quote (its request body, and the answer a real server gives it) served
 * at 32 clients by (1) `node:http` alone, parsing the body and sending the stored answer,
 * (2) Fastify, as the service builds it at the least (a JSON body parsed, a string answer), and
 * (3) the service's own quote route on the same machine in the same run. Each line gives the
 * server's CPU per request and the whole machine's, so the floors and the route can be set side
 * by side: what is left between (2) and (3) is the service's own work (auth, validation, the
 * snapshot read, pricing, serialization) and PostgreSQL's.
 *
 *   npx tsx bench/http-floor.ts [--seconds 10] [--rounds 3]
 *
 * Bounded: rounds × 3 × (2 + seconds) seconds of load, then it stops every server it started.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { withClient } from "../src/db/database.js";
import { freePort } from "../src/db/embedded.js";
import { runBench, withBenchDatabase } from "./bench-db.js";
import { median } from "./percentile.js";
import { type BenchProcess, START_NODE_FLAGS, startBenchProcess, stopChild } from "./processes.js";
import { seedQuoteTenant } from "./quote-setup.js";
import { measureRoute, type RouteCost } from "./route-measure.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, rounds: { type: "string", default: "3" } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
if (!(seconds >= 1 && seconds <= 60) || !Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
  process.stderr.write("usage: npx tsx bench/http-floor.ts [--seconds 1..60] [--rounds 1..10]\n");
  process.exit(2);
}
const CLIENTS = 32;

/** A server of one of the floors, answering every POST with the stored answer. */
const FLOOR_SERVERS = {
  "node:http": `
    const http = require("node:http");
    const answer = require("node:fs").readFileSync(process.env.ANSWER_FILE, "utf8");
    http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        JSON.parse(Buffer.concat(chunks).toString("utf8"));
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        res.end(answer);
      });
    }).listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("listening\\n"));`,
  fastify: `
    const answer = require("node:fs").readFileSync(process.env.ANSWER_FILE, "utf8");
    const app = require("fastify")();
    app.post("/v1/checkout/quotes", async (request, reply) => {
      reply.type("application/json; charset=utf-8");
      return answer;
    });
    app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" }).then(() => process.stdout.write("listening\\n"));`,
} as const;

async function startFloor(kind: keyof typeof FLOOR_SERVERS, answerFile: string): Promise<BenchProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...START_NODE_FLAGS.split(" "), "-e", FLOOR_SERVERS[kind]], {
    cwd: ROOT,
    env: { ...process.env, ANSWER_FILE: answerFile, PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      if (c.toString().includes("listening")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`${kind} floor server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

runBench(async () => {
  await withBenchDatabase("floor", async (databaseUrl) => {
    const temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-floor-"));
    const apiKey = randomBytes(30).toString("base64url");
    const started: BenchProcess[] = [];
    try {
      const service: BenchProcess = await startBenchProcess({
        databaseUrl,
        apiKey,
        dataDir: path.join(temp, "data"),
      });
      started.push(service);
      const body = await seedQuoteTenant(service.url, apiKey);
      await withClient(databaseUrl, (owner) => owner.query("analyze"));
      const res = await fetch(`${service.url}/v1/checkout/quotes`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body,
      });
      const answer = await res.text();
      if (res.status !== 200) throw new Error(`quote: ${res.status} ${answer.slice(0, 200)}`);
      const answerFile = path.join(temp, "answer.json");
      await writeFile(answerFile, answer);
      process.stdout.write(
        `http-floor: request ${body.length} bytes, answer ${answer.length} bytes, ${CLIENTS} clients, ${seconds} s a round, ${rounds} rounds\n`,
      );
      const node = await startFloor("node:http", answerFile);
      started.push(node);
      const fastify = await startFloor("fastify", answerFile);
      started.push(fastify);
      const targets = [
        { name: "node:http alone", url: node.url, pid: node.child.pid! },
        { name: "Fastify alone", url: fastify.url, pid: fastify.child.pid! },
        { name: "the quote route", url: service.url, pid: service.child.pid! },
      ];
      const costs = targets.map(() => [] as RouteCost[]);
      // Round 0 warms each up; then each round measures all three in turn, the order rotated.
      for (let round = 0; round <= rounds; round++) {
        for (let k = 0; k < targets.length; k++) {
          const i = (k + round) % targets.length;
          const target = targets[i]!;
          const cost = await measureRoute({
            url: target.url,
            pid: target.pid,
            apiKey,
            method: "POST",
            path: "/v1/checkout/quotes",
            body,
            clients: CLIENTS,
            warmupSeconds: 2,
            seconds: round === 0 ? Math.min(seconds, 5) : seconds,
          });
          if (cost.errors > 0)
            throw new Error(`${target.name}: ${cost.errors} errors, first ${cost.firstError}`);
          if (round > 0) costs[i]!.push(cost);
        }
      }
      const summary: string[] = [];
      for (const [i, target] of targets.entries()) {
        const c = costs[i]!;
        const cpu = median(c.map((x) => x.cpuMicrosPerRequest));
        const machine = median(c.map((x) => x.machineMicrosPerRequest));
        process.stdout.write(
          `${target.name}: ${median(c.map((x) => x.requestsPerSecond)).toFixed(0)} requests/s, server CPU ${cpu.toFixed(0)} µs per request, machine ${machine.toFixed(0)} µs (medians of ${c.length})\n`,
        );
        summary.push(`${["node_http", "fastify", "quote"][i]}_us=${cpu.toFixed(0)}`);
      }
      process.stdout.write(`http-floor ${summary.join(" ")} load_average=${os.loadavg()[0]!.toFixed(1)}\n`);
    } finally {
      for (const server of started) await server.stop();
      await rm(temp, { recursive: true, force: true });
    }
  });
});
