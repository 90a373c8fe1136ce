import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import type { AliyunSmsConfig } from "./platform/notify/aliyun-sms.js";

/** Typed configuration read once from the environment; every problem is reported together. */
export interface Config {
  port: number;
  host: string;
  /** Where the embedded PostgreSQL keeps its cluster and where exports are stored. */
  dataDir: string;
  /** When set, Vouchsafe uses this server and starts no embedded one. */
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  demoApiKey: string | undefined;
  logLevel: string;
  /** Secret for signing member tokens and session tokens (HMAC-SHA256). */
  signingSecret: string;
  memberTokenTtlSeconds: number;
  runWorker: boolean;
  /** The demo tenant's first start also runs a small shop through the API (src/demo-catalog.ts). */
  demoCatalog: boolean;
  /** Allow webhook targets on loopback/private addresses (tests, local development). */
  webhooksAllowPrivate: boolean;
  smtpUrl: string | undefined;
  /** Aliyun SMS when ALIYUN_SMS_ACCESS_KEY_ID is set; otherwise SMS is written to the log. */
  aliyunSms: AliyunSmsConfig | undefined;
  /** Delivered webhooks and dispatched events are removed after this many days. */
  eventRetentionDays: number;
  poolSize: number;
  /** How long a transaction may wait for its next statement before the server ends it. */
  idleTransactionTimeoutSeconds: number;
  ledgerBatching: boolean;
  /** Ledger-only batches decide on what the committing ones leave (ADR 0009). */
  ledgerCarryForward: boolean;
  /** Requests per minute per API key (and per IP for unauthenticated calls); 0 turns it off. */
  rateLimitPerMinute: number;
  /** Mark the session cookie `Secure` (serve the console over https, or behind a TLS proxy). */
  secureCookies: boolean;
  /**
   * The address the outside world reaches this service at (`https://pay.example.com`): the
   * origin of the payment notification URLs and member-center links it hands out. Unset, each
   * is built from the request's own Host header, which whoever sends the request chooses.
   */
  publicUrl: string | undefined;
  /** Login attempts per minute per client IP, apart from the general rate limit; 0 turns it off. */
  loginRateLimitPerMinute: number;
  /**
   * The longest a client may take to send a whole request, headers and body; past it the
   * request is answered 408 and its connection closed. Fastify's default is none, which lets a
   * client that sends its body a byte at a time hold a connection for ever.
   */
  requestTimeoutSeconds: number;
  /**
   * Failed authentications per minute per client address (unknown, revoked or expired API
   * keys; member-center codes that match no link) before the address is refused; 0 turns it off.
   */
  authFailuresPerMinute: number;
  /**
   * Proxies (IPs and CIDR ranges) whose X-Forwarded-For is believed. When the connection comes
   * from one of them, the client address is the right-most forwarded address that is not itself
   * listed; otherwise (and always when the list is empty) it is the connection's peer.
   */
  trustedProxies: string[];
  /** A console session ends after this long without requests, and after sessionMaxHours in any case. */
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  /**
   * Rows one export may write; past it the export is refused (`export_too_large`). At most an
   * Excel sheet's 1,048,576 rows less the header, so an xlsx export always opens in Excel.
   */
  exportMaxRows: number;
  /** Each route's database round trips are counted for one request per this many ms (0: all; ADR 0011). */
  roundTripSampleMs: number;
}

/** Rows an export may write unless VOUCHSAFE_EXPORT_MAX_ROWS says otherwise. */
export const DEFAULT_EXPORT_MAX_ROWS = 1_000_000;
/** An Excel sheet holds 1,048,576 rows; an export's header takes one of them. */
export const XLSX_MAX_DATA_ROWS = 1_048_575;

export class ConfigError extends Error {}

const URL_SAFE = /^[A-Za-z0-9_-]{32,128}$/;

function int(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  problems: string[],
  min = 0,
  max = 65535,
) {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean, problems: string[]) {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
  if (["0", "false", "no", "off"].includes(raw.toLowerCase())) return false;
  problems.push(`${name} must be true or false (got "${raw}")`);
  return fallback;
}

/**
 * A comma-separated list of IP addresses and CIDR ranges. Only these forms: anything else
 * (a host name, a zone index, a prefix too long for its family) stops the start.
 */
function addressList(env: NodeJS.ProcessEnv, name: string, problems: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return [];
  const entries = raw.split(",").map((e) => e.trim());
  const bad = entries.filter((entry) => {
    const [ip = "", prefix, ...rest] = entry.split("/");
    const family = isIP(ip);
    if (family === 0 || ip.includes("%") || rest.length > 0) return true;
    if (prefix === undefined) return false;
    return !/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128);
  });
  if (bad.length > 0) {
    problems.push(
      `${name} must be a comma-separated list of IP addresses and CIDR ranges such as 10.0.0.0/8 (not: ${bad.map((b) => `"${b}"`).join(", ")})`,
    );
    return [];
  }
  return entries;
}

/** An http(s) origin, with no path, query or credentials; answered without a trailing slash. */
function publicUrl(env: NodeJS.ProcessEnv, name: string, problems: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL("invalid:");
  }
  const bare =
    (url.protocol === "https:" || url.protocol === "http:") &&
    url.pathname === "/" &&
    url.search === "" &&
    url.hash === "" &&
    url.username === "" &&
    url.password === "";
  if (!bare) {
    problems.push(`${name} must be an http(s) origin such as https://pay.example.com (no path or query)`);
    return undefined;
  }
  return url.origin;
}

/** All of the ALIYUN_SMS_* settings or none (then SMS goes to the log). */
function aliyunSms(env: NodeJS.ProcessEnv, problems: string[]): AliyunSmsConfig | undefined {
  if (!env.ALIYUN_SMS_ACCESS_KEY_ID) return undefined;
  const required = ["ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_TEMPLATE_CODE"];
  const missing = required.filter((name) => !env[name]);
  if (missing.length > 0) {
    problems.push(`ALIYUN_SMS_ACCESS_KEY_ID is set, so ${missing.join(", ")} must be set too`);
    return undefined;
  }
  return {
    accessKeyId: env.ALIYUN_SMS_ACCESS_KEY_ID,
    accessKeySecret: env.ALIYUN_SMS_ACCESS_KEY_SECRET ?? "",
    signName: env.ALIYUN_SMS_SIGN_NAME ?? "",
    templateCode: env.ALIYUN_SMS_TEMPLATE_CODE ?? "",
    templateParam: env.ALIYUN_SMS_TEMPLATE_PARAM || "content",
    endpoint: env.ALIYUN_SMS_ENDPOINT || "dysmsapi.aliyuncs.com",
    protocol: "HTTPS",
  };
}

/**
 * Two connections per core and one more (ADR 0016): enough to keep PostgreSQL's share of the
 * cores busy while a round trip is in flight; more backends only compete with the API's own
 * thread for the same cores, and the requests wait in the pool's queue instead, in order.
 */
export function defaultPoolSize(cores = os.availableParallelism()): number {
  return 2 * Math.max(1, cores) + 1;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const demoApiKey = env.VOUCHSAFE_DEMO_API_KEY || undefined;
  if (demoApiKey !== undefined && !URL_SAFE.test(demoApiKey)) {
    problems.push("VOUCHSAFE_DEMO_API_KEY must be 32-128 URL-safe characters (A-Z a-z 0-9 _ -)");
  }
  const dataDir = path.resolve(env.VOUCHSAFE_DATA_DIR || ".data");
  const signingSecret = env.VOUCHSAFE_SIGNING_SECRET || "";
  if (signingSecret !== "" && signingSecret.length < 32) {
    problems.push("VOUCHSAFE_SIGNING_SECRET must be at least 32 characters");
  }
  const config: Config = {
    port: int(env, "PORT", 3000, problems),
    host: env.HOST || "127.0.0.1",
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedPgPort: int(env, "VOUCHSAFE_PG_PORT", 54329, problems, 1024),
    demoApiKey,
    logLevel: env.LOG_LEVEL || "info",
    signingSecret,
    memberTokenTtlSeconds: int(env, "VOUCHSAFE_MEMBER_TOKEN_TTL_SECONDS", 900, problems, 60, 86400),
    runWorker: bool(env, "VOUCHSAFE_RUN_WORKER", true, problems),
    demoCatalog: bool(env, "VOUCHSAFE_DEMO_CATALOG", true, problems),
    webhooksAllowPrivate: bool(env, "VOUCHSAFE_WEBHOOKS_ALLOW_PRIVATE", false, problems),
    smtpUrl: env.SMTP_URL || undefined,
    aliyunSms: aliyunSms(env, problems),
    eventRetentionDays: int(env, "VOUCHSAFE_EVENT_RETENTION_DAYS", 30, problems, 1, 3650),
    // At least two: an export reports its progress on a second connection while its read runs.
    poolSize: int(env, "VOUCHSAFE_DB_POOL_SIZE", defaultPoolSize(), problems, 2, 200),
    idleTransactionTimeoutSeconds: int(
      env,
      "VOUCHSAFE_DB_IDLE_TRANSACTION_TIMEOUT_SECONDS",
      60,
      problems,
      1,
      3600,
    ),
    ledgerBatching: bool(env, "VOUCHSAFE_LEDGER_BATCHING", true, problems),
    ledgerCarryForward: bool(env, "VOUCHSAFE_LEDGER_CARRY_FORWARD", false, problems),
    rateLimitPerMinute: int(env, "VOUCHSAFE_RATE_LIMIT_PER_MINUTE", 6000, problems, 0, 10_000_000),
    secureCookies: bool(env, "VOUCHSAFE_SECURE_COOKIES", false, problems),
    publicUrl: publicUrl(env, "VOUCHSAFE_PUBLIC_URL", problems),
    loginRateLimitPerMinute: int(env, "VOUCHSAFE_LOGIN_RATE_LIMIT_PER_MINUTE", 10, problems, 0, 100_000),
    // Node's own default: room for a 20 MiB upload at about 0.6 Mbit/s.
    requestTimeoutSeconds: int(env, "VOUCHSAFE_REQUEST_TIMEOUT_SECONDS", 300, problems, 1, 3600),
    authFailuresPerMinute: int(env, "VOUCHSAFE_AUTH_FAILURES_PER_MINUTE", 20, problems, 0, 100_000),
    trustedProxies: addressList(env, "VOUCHSAFE_TRUSTED_PROXIES", problems),
    sessionIdleMinutes: int(env, "VOUCHSAFE_SESSION_IDLE_MINUTES", 120, problems, 1, 7 * 24 * 60),
    sessionMaxHours: int(env, "VOUCHSAFE_SESSION_MAX_HOURS", 12, problems, 1, 24 * 30),
    exportMaxRows: int(
      env,
      "VOUCHSAFE_EXPORT_MAX_ROWS",
      DEFAULT_EXPORT_MAX_ROWS,
      problems,
      1,
      XLSX_MAX_DATA_ROWS,
    ),
    roundTripSampleMs: int(env, "VOUCHSAFE_ROUND_TRIP_SAMPLE_MS", 1000, problems, 0, 3_600_000),
  };
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(config.logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  return config;
}
