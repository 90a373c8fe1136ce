import { lookup as dnsLookup } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * Outbound requests to tenant-supplied URLs (webhooks): only http(s), and never to
 * loopback, link-local, private, unique-local or otherwise internal addresses unless
 * explicitly allowed. The check runs on the addresses DNS returns *at connect time*
 * (a custom `lookup`), so a name that resolves to a public address when registered and
 * to 127.0.0.1 when delivered (DNS rebinding) is still refused.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  // Unspecified, loopback and the deprecated IPv4-compatible block: [::127.0.0.1] is loopback.
  ["::", 96],
  ["100::", 64],
  // Teredo and 6to4 embed an IPv4 address that the relay would reach on our behalf.
  ["2001::", 32],
  ["2002::", 16],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  // NAT64 (the well-known and the local-use prefix) and IPv4-translated addresses (SIIT): a
  // translator on the way would carry them to the IPv4 address inside, internal or not.
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["::ffff:0:0:0", 96],
  // Site-local: deprecated, still routed inside some networks.
  ["fec0::", 10],
] as const) {
  blocked.addSubnet(net, prefix, "ipv6");
}

export class SsrfError extends Error {
  readonly code = "webhook_url_refused";
}

/** True for addresses a webhook must not reach (IPv4-mapped IPv6 checked as IPv4). */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, "ipv4");
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family === 6) return blocked.check(address, "ipv6");
  return true;
}

/** Syntax check at registration: scheme, no credentials; the address check runs per request. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfError("not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SsrfError(`scheme ${url.protocol.replace(":", "")} is not allowed; use http or https`);
  }
  if (url.username || url.password) throw new SsrfError("URLs with credentials are not allowed");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!allowPrivate) {
    if (isIP(host) && isInternalAddress(host)) throw new SsrfError(`address ${host} is internal`);
    if (host === "localhost" || host.endsWith(".localhost")) throw new SsrfError(`host ${host} is internal`);
  }
  return url;
}

export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 4);
      const list = addresses as { address: string; family: number }[];
      if (list.length === 0) return callback(new SsrfError(`${hostname} has no address`), "", 4);
      if (!allowPrivate) {
        // The message reaches the tenant's delivery log: naming the address would let a tenant
        // map our internal names to internal addresses.
        if (list.some((a) => isInternalAddress(a.address)))
          return callback(new SsrfError(`${hostname} resolves to an internal address`), "", 4);
      }
      if ((options as { all?: boolean }).all)
        return (callback as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

export interface OutboundResponse {
  status: number;
  /** At most `maxBodyBytes` of the body, as text. */
  body: string;
}

export const WEBHOOK_TIMEOUT_MS = 10_000;
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs `body` with the SSRF guard, a hard timeout over the whole exchange and a cap on
 * how much of the response is read. Redirects are not followed.
 */
export async function postGuarded(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  options: { allowPrivate: boolean; timeoutMs?: number; maxBodyBytes?: number },
): Promise<OutboundResponse> {
  const url = checkWebhookUrl(rawUrl, options.allowPrivate);
  const maxBody = options.maxBodyBytes ?? MAX_RESPONSE_BYTES;
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(
      url,
      {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "Vouchsafe-Webhooks/1",
        },
        // Literal IPs skip DNS: check them here; names are checked by the lookup.
        lookup: guardedLookup(options.allowPrivate),
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          if (size < maxBody) chunks.push(chunk.subarray(0, maxBody - size));
          size += chunk.length;
          if (size >= maxBody) response.destroy();
        });
        const done = () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        response.on("end", done);
        response.on("close", done);
        response.on("error", done);
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    request.on("close", () => clearTimeout(timer));
    request.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (!options.allowPrivate && isIP(host) && isInternalAddress(host)) {
      request.destroy(new SsrfError(`address ${host} is internal`));
      return;
    }
    request.end(body);
  });
}
