import { createPrivateKey, createPublicKey } from "node:crypto";
import type { Selectable } from "kysely";
import { type Static, Type } from "typebox";
import type { Tx } from "../../../db/database.js";
import type { Json, Timestamp } from "../../../db/schema.js";
import { recordAudit } from "../../../platform/audit/audit.js";
import type { RequestContext } from "../../../platform/auth/actor.js";
import { Obj } from "../../../platform/http/schemas.js";
import type { PaymentProvider } from "../payment-providers.js";
import { type ProviderResolver, providerResolver } from "../provider-registry.js";
import { WalletsError } from "../wallets.errors.js";
import { seal, unseal } from "./sealed.js";

export const REAL_PROVIDERS = ["alipay", "wechatpay", "stripe"] as const;
export type RealProvider = (typeof REAL_PROVIDERS)[number];

export interface PaymentProviderConfigsTable {
  tenant_id: string;
  provider: RealProvider;
  settings: Json<Record<string, string>>;
  sealed_secrets: string;
  enabled: boolean;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

declare module "../../../db/schema.js" {
  interface DB {
    payment_provider_configs: PaymentProviderConfigsTable;
  }
}

export type ProviderConfigRow = Selectable<PaymentProviderConfigsTable>;

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Pem = Text(8192);
const Url = Type.String({ format: "uri", maxLength: 512 });

/** What each provider needs: public settings (returned) and secrets (sealed, never returned). */
export const ProviderConfigBodies = {
  alipay: Obj({
    settings: Obj({
      app_id: Text(32),
      alipay_public_key: Pem,
      gateway: Type.Optional(Url),
      notify_url: Type.Optional(Url),
    }),
    secrets: Obj({ app_private_key: Pem }),
    enabled: Type.Optional(Type.Boolean()),
  }),
  wechatpay: Obj({
    settings: Obj({
      mch_id: Text(32),
      app_id: Text(32),
      merchant_serial: Text(64),
      platform_serial: Text(64),
      platform_public_key: Pem,
      notify_url: Type.Optional(Url),
    }),
    secrets: Obj({ merchant_private_key: Pem, api_v3_key: Type.String({ minLength: 32, maxLength: 32 }) }),
    enabled: Type.Optional(Type.Boolean()),
  }),
  stripe: Obj({
    settings: Obj({ account_label: Type.Optional(Text(64)) }),
    secrets: Obj({ secret_key: Text(256), webhook_secret: Text(256) }),
    enabled: Type.Optional(Type.Boolean()),
  }),
};
export type ProviderConfigBody = Static<(typeof ProviderConfigBodies)[RealProvider]>;

const aad = (tenantId: string, provider: string) => `${tenantId}:${provider}`;

function checkKeys(provider: RealProvider, body: ProviderConfigBody) {
  const s = body.settings as Record<string, string>;
  const x = body.secrets as Record<string, string>;
  const keys: [string, string, "private" | "public"][] =
    provider === "alipay"
      ? [
          ["/body/secrets/app_private_key", x.app_private_key!, "private"],
          ["/body/settings/alipay_public_key", s.alipay_public_key!, "public"],
        ]
      : provider === "wechatpay"
        ? [
            ["/body/secrets/merchant_private_key", x.merchant_private_key!, "private"],
            ["/body/settings/platform_public_key", s.platform_public_key!, "public"],
          ]
        : [];
  const errors = keys.flatMap(([field, pem, kind]) => {
    try {
      if (kind === "private") createPrivateKey(pem);
      else createPublicKey(pem);
      return [];
    } catch {
      return [{ field, message: `not a PEM ${kind} key` }];
    }
  });
  if (errors.length > 0) throw new WalletsError("validation_failed", "A key does not parse", { errors });
}

/** Saves a tenant's provider configuration; the secrets are sealed and never read back out. */
export async function saveProviderConfig(
  trx: Tx,
  ctx: RequestContext,
  signingSecret: string,
  provider: RealProvider,
  body: ProviderConfigBody & { enabled?: boolean },
  now: Date,
): Promise<ProviderConfigRow> {
  const tenantId = ctx.actor.tenantId;
  checkKeys(provider, body);
  const values = {
    settings: JSON.stringify(body.settings),
    sealed_secrets: seal(signingSecret, aad(tenantId, provider), body.secrets as Record<string, string>),
    enabled: body.enabled ?? true,
    updated_by: ctx.actor.id,
    updated_at: now,
  };
  const row = await trx
    .insertInto("payment_provider_configs")
    .values({ tenant_id: tenantId, provider, created_at: now, ...values })
    .onConflict((oc) => oc.columns(["tenant_id", "provider"]).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "payment_provider.configured",
      targetType: "payment_provider",
      targetId: provider,
      summary: { settings: body.settings, secrets: Object.keys(body.secrets) },
    },
    now,
  );
  return row;
}

export async function listProviderConfigs(trx: Tx, tenantId: string): Promise<ProviderConfigRow[]> {
  return trx
    .selectFrom("payment_provider_configs")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("provider")
    .execute();
}

/** Network stand-ins for tests (an axios adapter for WeChat Pay, a fetch for Stripe). */
export interface ProviderTransports {
  wechatpayAdapter?: unknown;
  stripeFetch?: typeof fetch;
}

/** Builds the tenant's adapter from its configuration; null when it has none (or it is off). */
export function tenantAdapters(signingSecret: string, transports: ProviderTransports = {}) {
  return async (trx: Tx, tenantId: string, name: string): Promise<PaymentProvider | null> => {
    if (!(REAL_PROVIDERS as readonly string[]).includes(name)) return null;
    const row = await trx
      .selectFrom("payment_provider_configs")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("provider", "=", name as RealProvider)
      .executeTakeFirst();
    if (!row?.enabled) return null;
    const s = row.settings;
    const x = unseal(signingSecret, aad(tenantId, row.provider), row.sealed_secrets);
    // Each adapter's module (and its provider's SDK) loads when a tenant first uses it.
    if (row.provider === "alipay") {
      const { AlipayProvider } = await import("./alipay.js");
      return new AlipayProvider({
        appId: s.app_id!,
        privateKey: x.app_private_key!,
        alipayPublicKey: s.alipay_public_key!,
        ...(s.gateway ? { gateway: s.gateway } : {}),
        ...(s.notify_url ? { notifyUrl: s.notify_url } : {}),
      });
    }
    if (row.provider === "wechatpay") {
      const { WechatpayProvider } = await import("./wechatpay.js");
      return new WechatpayProvider({
        mchId: s.mch_id!,
        appId: s.app_id!,
        merchantSerial: s.merchant_serial!,
        merchantPrivateKey: x.merchant_private_key!,
        apiV3Key: x.api_v3_key!,
        platformSerial: s.platform_serial!,
        platformPublicKey: s.platform_public_key!,
        ...(s.notify_url ? { notifyUrl: s.notify_url } : {}),
        ...(transports.wechatpayAdapter ? { adapter: transports.wechatpayAdapter } : {}),
      });
    }
    const { StripeProvider } = await import("./stripe.js");
    return new StripeProvider({
      secretKey: x.secret_key!,
      webhookSecret: x.webhook_secret!,
      ...(transports.stripeFetch ? { fetch: transports.stripeFetch } : {}),
    });
  };
}

/** The resolver every flow that sells online uses: the test provider or the tenant's own adapter. */
export function tenantProviders(
  signingSecret: string,
  transports: ProviderTransports = {},
): ProviderResolver {
  return providerResolver(signingSecret, tenantAdapters(signingSecret, transports));
}
