import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../../app-types.js";
import { errorResponses, listOf, StringEnum, Timestamp } from "../../../platform/http/schemas.js";
import { WalletsError } from "../wallets.errors.js";
import {
  listProviderConfigs,
  ProviderConfigBodies,
  type ProviderConfigRow,
  REAL_PROVIDERS,
  type RealProvider,
  saveProviderConfig,
} from "./provider-configs.js";

const ProviderConfig = Type.Object(
  {
    object: Type.Literal("payment_provider_config"),
    provider: StringEnum(REAL_PROVIDERS),
    enabled: Type.Boolean(),
    settings: Type.Record(Type.String(), Type.String()),
    secrets_set: Type.Boolean({ description: "Secrets are sealed at rest and never returned" }),
    updated_at: Timestamp,
  },
  {
    examples: [
      {
        object: "payment_provider_config",
        provider: "alipay",
        enabled: true,
        settings: { app_id: "2021000000000000" },
        secrets_set: true,
        updated_at: "2026-11-23T08:00:00.000Z",
      },
    ],
  },
);
const serialize = (r: ProviderConfigRow) => ({
  object: "payment_provider_config" as const,
  provider: r.provider,
  enabled: r.enabled,
  settings: r.settings,
  secrets_set: r.sealed_secrets.length > 0,
  updated_at: r.updated_at.toISOString(),
});

/** A tenant's own payment provider credentials: set (secrets sealed) and listed (secrets never). */
export async function paymentProviderRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  for (const provider of REAL_PROVIDERS) {
    app.put(
      `/v1/payment-providers/${provider}`,
      {
        config: { permission: "wallets.settings" },
        schema: {
          operationId: `configure${provider[0]!.toUpperCase()}${provider.slice(1)}`,
          tags: ["wallets"],
          summary: `Set the tenant's ${provider} credentials (secrets are sealed and never returned)`,
          body: ProviderConfigBodies[provider],
          response: { 200: ProviderConfig, ...errorResponses(422) },
        },
      },
      async (request) => {
        if (request.actor.orgUnitId)
          throw new WalletsError("forbidden", "Only tenant-wide staff set payment providers");
        const row = await db.tenantTx(request.actor.tenantId, (trx) =>
          saveProviderConfig(
            trx,
            { actor: request.actor, requestId: request.id },
            deps.config.signingSecret,
            provider as RealProvider,
            request.body as never,
            clock.now(),
          ),
        );
        return serialize(row);
      },
    );
  }
  app.get(
    "/v1/payment-providers",
    {
      config: { permission: "wallets.read" },
      schema: {
        operationId: "listPaymentProviders",
        tags: ["wallets"],
        summary: "The tenant's configured payment providers (settings only; secrets are never returned)",
        response: { 200: listOf(ProviderConfig), ...errorResponses() },
      },
    },
    async (request) => {
      const rows = await db.tenantTx(request.actor.tenantId, (trx) =>
        listProviderConfigs(trx, request.actor.tenantId),
      );
      return { object: "list" as const, data: rows.map(serialize), has_more: false };
    },
  );
}
