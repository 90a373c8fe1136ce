import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config.js";
import { createDatabase, type Database } from "./db/database.js";
import { verifyTenants } from "./ledger/index.js";
import { recordAudit } from "./platform/audit/audit.js";
import { ROLES, type Role, systemActor } from "./platform/auth/actor.js";
import { createApiKey, revokeApiKey } from "./platform/auth/api-keys.js";
import { createUser } from "./platform/auth/users.js";
import { seedDemo } from "./platform/demo.js";
import { clockStartRefusal } from "./platform/sandbox/tenant-clock.js";
import { createTenant } from "./platform/tenants.js";
import { ensureSigningSecret, openDatabase } from "./runtime.js";
import { systemClock } from "./shared/clock.js";

const USAGE = `Usage: vouchsafe <command> [options]

Commands:
  migrate                                       apply pending migrations
  tenant create --name N [--timezone Z] [--currency C] [--locale zh-CN|en] [--json]
                [--sandbox [--live-tenant T] [--clock-starts-at ISO]]
                                                create a tenant; prints its id and an owner API key
                                                (--sandbox: a test-clock tenant with vs_test_ keys)
  api-key create --tenant T --role R [--name N] [--org-unit O] [--expires-at ISO] [--json]
  api-key revoke --tenant T --id K
  user create --tenant T --email E --role R [--name N] [--org-unit O]
                                                the password is read from VOUCHSAFE_USER_PASSWORD or --password
  seed-demo [--json]                            create another demo tenant
  verify-ledger [--tenant T] [--json]           recompute every balance from the journal (all tenants
                                                unless --tenant); exits 1 on any difference

Configuration comes from the same environment variables as the server (see README).`;

class UsageError extends Error {}

type Flags = Record<string, string | boolean | undefined>;

function required(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

/** The sandbox's options; its clock starts within the bounds the API holds a test clock to. */
function sandboxFlags(flags: Flags, now: Date): { liveTenantId: string | null; clockStartsAt?: Date } {
  const live = flags["live-tenant"];
  const startsAt = flags["clock-starts-at"];
  if (startsAt !== undefined && (typeof startsAt !== "string" || Number.isNaN(Date.parse(startsAt)))) {
    throw new UsageError("--clock-starts-at must be an RFC 3339 instant");
  }
  const refusal = typeof startsAt === "string" ? clockStartRefusal(new Date(startsAt), now) : undefined;
  if (refusal) throw new UsageError(`--clock-starts-at ${refusal}`);
  return {
    liveTenantId: typeof live === "string" && live !== "" ? live : null,
    ...(typeof startsAt === "string" ? { clockStartsAt: new Date(startsAt) } : {}),
  };
}

function role(flags: Flags): Role {
  const value = required(flags, "role");
  if (!(ROLES as readonly string[]).includes(value))
    throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
  return value as Role;
}

function print(flags: Flags, data: Record<string, unknown>, lines: string[]) {
  process.stdout.write(flags.json ? `${JSON.stringify(data)}\n` : `${lines.join("\n")}\n`);
}

/** The CLI acts as the system; its changes are audited under the `cli` actor. */
const cliActor = (tenantId: string) => systemActor(tenantId, "cli");

async function run(command: string[], flags: Flags, db: Database): Promise<void> {
  const now = systemClock.now();
  const [noun, verb] = command;
  if (noun === "tenant" && verb === "create") {
    const created = await createTenant(
      db,
      {
        name: required(flags, "name"),
        timezone: flags.timezone as string | undefined,
        defaultCurrency: flags.currency as string | undefined,
        locale: flags.locale as "zh-CN" | "en" | undefined,
        ...(flags.sandbox ? { sandbox: sandboxFlags(flags, now) } : {}),
      },
      now,
    );
    await db.tenantTx(created.tenantId, (trx) =>
      recordAudit(
        trx,
        cliActor(created.tenantId),
        { action: "tenant.created", targetType: "tenant", targetId: created.tenantId },
        now,
      ),
    );
    print(
      flags,
      { tenant_id: created.tenantId, api_key: created.apiKey.secret, api_key_id: created.apiKey.record.id },
      [`tenant   ${created.tenantId}`, `api key  ${created.apiKey.secret}   (owner; shown once)`],
    );
    return;
  }
  if (noun === "api-key" && verb === "create") {
    const tenantId = required(flags, "tenant");
    const created = await db.tenantTx(tenantId, async (trx) => {
      const key = await createApiKey(
        trx,
        tenantId,
        {
          name: (flags.name as string | undefined) ?? "CLI key",
          role: role(flags),
          orgUnitId: (flags["org-unit"] as string | undefined) ?? null,
          expiresAt: flags["expires-at"] ? new Date(String(flags["expires-at"])) : null,
        },
        now,
      );
      await recordAudit(
        trx,
        cliActor(tenantId),
        { action: "api_key.created", targetType: "api_key", targetId: key.record.id },
        now,
      );
      return key;
    });
    print(flags, { id: created.record.id, api_key: created.secret, role: created.record.role }, [
      `api key  ${created.secret}   (${created.record.role}; shown once)`,
      `id       ${created.record.id}`,
    ]);
    return;
  }
  if (noun === "api-key" && verb === "revoke") {
    const tenantId = required(flags, "tenant");
    const id = required(flags, "id");
    const revoked = await db.tenantTx(tenantId, async (trx) => {
      const key = await revokeApiKey(trx, tenantId, id, now);
      await recordAudit(
        trx,
        cliActor(tenantId),
        { action: "api_key.revoked", targetType: "api_key", targetId: id },
        now,
      );
      return key;
    });
    print(flags, { id: revoked.id, revoked_at: revoked.revoked_at }, [`revoked  ${revoked.id}`]);
    return;
  }
  if (noun === "user" && verb === "create") {
    const tenantId = required(flags, "tenant");
    const password = (flags.password as string | undefined) ?? process.env.VOUCHSAFE_USER_PASSWORD;
    if (!password) throw new UsageError("set VOUCHSAFE_USER_PASSWORD (or --password)");
    const email = required(flags, "email");
    const user = await db.tenantTx(tenantId, async (trx) => {
      const created = await createUser(
        trx,
        tenantId,
        {
          email,
          name: (flags.name as string | undefined) ?? email.split("@")[0]!,
          password,
          role: role(flags),
          orgUnitId: (flags["org-unit"] as string | undefined) ?? null,
        },
        now,
      );
      await recordAudit(
        trx,
        cliActor(tenantId),
        { action: "user.created", targetType: "user", targetId: created.id },
        now,
      );
      return created;
    });
    print(flags, { id: user.id, email: user.email, role: user.role }, [
      `user     ${user.id}  ${user.email} (${user.role})`,
    ]);
    return;
  }
  if (noun === "seed-demo") {
    const demo = await seedDemo(db, now);
    print(flags, demo as unknown as Record<string, unknown>, [
      `tenant   ${demo.tenant_id}`,
      `api key  ${demo.api_key}`,
      ...demo.users.map((u) => `user     ${u.email} / ${u.password} (${u.role})`),
    ]);
    return;
  }
  if (noun === "verify-ledger") {
    const tenants = flags.tenant
      ? [String(flags.tenant)]
      : (await db.systemTx((trx) => trx.selectFrom("tenants").select("id").orderBy("id").execute())).map(
          (r) => r.id,
        );
    const reports = await verifyTenants(db, tenants);
    const failing = reports.filter((r) => !r.ok).length;
    print(
      flags,
      { ok: failing === 0, tenants: reports },
      reports.map(
        (r) =>
          `${r.ok ? "ok  " : "FAIL"} ${r.tenant_id}  ${r.accounts_checked} accounts, ${r.transfers_checked} transfers` +
          (r.ok
            ? ""
            : r.error
              ? `, could not be checked: ${r.error}`
              : `, ${r.differences.length} differences, ${r.flag_violations.length} flag violations`),
      ),
    );
    if (failing > 0) process.exitCode = 1;
    return;
  }
  throw new UsageError(`unknown command: ${command.join(" ") || "(none)"}`);
}

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: "string" },
      timezone: { type: "string" },
      currency: { type: "string" },
      locale: { type: "string" },
      tenant: { type: "string" },
      role: { type: "string" },
      id: { type: "string" },
      email: { type: "string" },
      password: { type: "string" },
      "org-unit": { type: "string" },
      "expires-at": { type: "string" },
      sandbox: { type: "boolean" },
      "live-tenant": { type: "string" },
      "clock-starts-at": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = await ensureSigningSecret(loadConfig());
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const opened = await openDatabase(config, log);
  if (positionals[0] === "migrate") {
    log(opened.applied.length ? `applied: ${opened.applied.join(", ")}` : "the database is up to date");
    if (opened.embedded?.owned) await opened.embedded.stop();
    return;
  }
  const db = createDatabase(opened.url, { poolSize: 2 });
  try {
    await run(positionals, values, db);
  } finally {
    await db.close();
    if (opened.embedded?.owned) await opened.embedded.stop();
  }
}

main(process.argv.slice(2)).catch((error) => {
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
  ) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const code = (error as { code?: string }).code;
  process.stderr.write(`error${code ? ` (${code})` : ""}: ${(error as Error).message}\n`);
  process.exit(1);
});
