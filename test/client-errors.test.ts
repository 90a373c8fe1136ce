/**
 * What Node's HTTP server refuses before a request reaches a route, over a real socket: a
 * request that is not all received in time, headers past 16 KiB, bytes that are not HTTP.
 * Each is answered with problem+json and a stable code, and its connection is closed, so a
 * client that sends a byte now and then cannot hold connections open.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "./helpers/app.js";

let t: TestApp;
let tenant: TestTenant;
let port: number;

beforeAll(async () => {
  t = await createTestApp({ config: { requestTimeoutSeconds: 1 } });
  tenant = await createTestTenant(t, "Client errors");
  // Node looks for late requests every 30 s by default: often enough for a timeout of
  // minutes, too seldom for a test of one second.
  // (Read when the server starts listening; a server option, so the types do not show it.)
  (t.app.server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = 100;
  await t.app.listen({ host: "127.0.0.1", port: 0 });
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await t?.close();
});

/** Sends `first`, then `trickle.byte` every `trickle.everyMs` until the server closes; what came back. */
function exchange(first: string, trickle?: { byte: string; everyMs: number }) {
  return new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      socket.write(first);
      if (trickle) timer = setInterval(() => socket.writable && socket.write(trickle.byte), trickle.everyMs);
    });
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("error", () => {
      // The server closes the connection; a write racing the close fails here.
    });
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server kept the connection open for 20 s; it sent: ${answer}`));
    }, 20_000);
  });
}

function problemOf(answer: string) {
  const [head, body] = answer.split("\r\n\r\n");
  return {
    statusLine: head!.split("\r\n")[0],
    head: head!,
    body: JSON.parse(body!) as Record<string, unknown>,
  };
}

describe("refusals before a request reaches a route", () => {
  it("a body sent a byte at a time is cut off at the request timeout with 408 request_timeout", async () => {
    const head =
      "POST /v1/members HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
      `Authorization: ${tenant.auth.authorization}\r\nContent-Length: 1000\r\n\r\n{"name":"`;
    const { answer, closedAfterMs } = await exchange(head, { byte: "a", everyMs: 200 });
    const answered = problemOf(answer);
    expect(answered.statusLine).toBe("HTTP/1.1 408 Request Timeout");
    expect(answered.head).toMatch(/content-type: application\/problem\+json/i);
    expect(answered.body).toMatchObject({ status: 408, code: "request_timeout" });
    // Cut off near the limit of one second, not left to trickle for the test's 20.
    expect(closedAfterMs).toBeLessThan(10_000);
    const members = await t.database.owner
      .selectFrom("members")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(members).toEqual([]);
  });

  it("headers past 16 KiB are refused with 431 headers_too_large", async () => {
    const { answer } = await exchange(
      `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${"p".repeat(20_000)}\r\n\r\n`,
    );
    const answered = problemOf(answer);
    expect(answered.statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(answered.body).toMatchObject({ status: 431, code: "headers_too_large" });
  });

  it("bytes that are not HTTP are refused with 400 bad_request", async () => {
    const { answer } = await exchange("HELLO THERE\r\n\r\n");
    const answered = problemOf(answer);
    expect(answered.statusLine).toBe("HTTP/1.1 400 Bad Request");
    expect(answered.body).toMatchObject({ status: 400, code: "bad_request" });
  });

  it("a request sent whole in time is answered as usual", async () => {
    const { answer } = await exchange(
      "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
  });
});
