import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withClient } from "../src/db/database.js";
import { type EmbeddedPostgresHandle, freePort, startEmbeddedPostgres } from "../src/db/embedded.js";

/** The client address PostgreSQL sees for a connection to `url`: null through a Unix-domain socket. */
function clientAddressOf(url: string): Promise<string | null> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ client_addr: string | null }>(
      "select client_addr::text from pg_stat_activity where pid = pg_backend_pid()",
    );
    return rows[0]!.client_addr;
  });
}

const tcpUrl = (port: number) => `postgres://postgres:vouchsafe-local@127.0.0.1:${port}/postgres`;

describe("the embedded PostgreSQL", () => {
  let temp: string;
  let handle: EmbeddedPostgresHandle;
  beforeAll(async () => {
    temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-embedded-"));
    handle = await startEmbeddedPostgres({
      clusterDir: path.join(temp, "pg"),
      port: await freePort(),
      durable: false,
    });
  });
  afterAll(async () => {
    await handle?.stop();
    await rm(temp, { recursive: true, force: true });
  });

  it("is reached through the Unix-domain socket in its cluster folder, and still listens on loopback TCP for tools", async () => {
    expect(handle.host).toBe(path.join(temp, "pg"));
    expect(await clientAddressOf(handle.url())).toBeNull();
    expect(await clientAddressOf(tcpUrl(handle.port))).toBe("127.0.0.1/32");
  });

  it("when left running, is reused through the same socket", async () => {
    const again = await startEmbeddedPostgres({
      clusterDir: path.join(temp, "pg"),
      port: handle.port,
      durable: false,
    });
    expect(again.owned).toBe(false);
    expect(again.host).toBe(handle.host);
    expect(again.url("postgres")).toBe(handle.url("postgres"));
    expect(await clientAddressOf(again.url())).toBeNull();
  });
});

it("falls back to loopback TCP when the socket's path would be too long for the kernel", async () => {
  const temp = await mkdtemp(path.join(os.tmpdir(), "vouchsafe-embedded-"));
  const clusterDir = path.join(temp, "a-folder-name-long-enough-that-the-socket-path-passes-the-limit", "pg");
  const handle = await startEmbeddedPostgres({ clusterDir, port: await freePort(), durable: false });
  try {
    expect(handle.host).toBe("127.0.0.1");
    expect(handle.url("postgres")).toBe(tcpUrl(handle.port));
    expect(await clientAddressOf(handle.url())).toBe("127.0.0.1/32");
  } finally {
    await handle.stop();
    await rm(temp, { recursive: true, force: true });
  }
});
