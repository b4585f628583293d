import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import {
  rateLimitState,
  RefusedDelivery,
  type ApiKeys,
  type Authenticator,
  type Integrations,
} from "@runframe/auth-domain";
import {
  ApiKeyService,
  AuthService,
  Disposition,
  IntegrationSchema,
  IntegrationService,
  type AuthenticateRequest,
} from "@runframe/contracts";
import {
  apiKeyInterceptor,
  publicError,
  settleBatch,
  teamCaller,
  type Logger,
  type Metrics,
} from "@runframe/platform";

export interface AuthDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly authenticator: Authenticator;
  readonly integrations: Integrations;
  readonly apiKeys: ApiKeys;
}

/** What only other Runframe services may call, with the service credential. */
export const AUTH_INTERNAL = [AuthService] as const;

/**
 * The team API's credential: an organization API key, which auth owns and
 * verifies itself, on every IntegrationService and ApiKeyService RPC.
 */
export function authTeamApiKeys(apiKeys: ApiKeys): Interceptor {
  return apiKeyInterceptor(
    async (secret) => {
      const key = await apiKeys.verify(secret);
      return { organizationId: key.organizationId, keyId: key.id, role: key.role };
    },
    [IntegrationService, ApiKeyService],
  );
}

/** Binds the RPCs to the domain: protocol in, domain call, protocol out. */
export function authRoutes({ authenticator, integrations, apiKeys, logger, metrics }: AuthDeps) {
  return (router: ConnectRouter) => {
    const rpc = `${AuthService.typeName}/${AuthService.method.authenticate.name}`;
    const authenticate = async (req: AuthenticateRequest) => {
      const result = await authenticator.authenticate(req).catch((error: unknown) => {
        if (error instanceof RefusedDelivery) {
          // The edge records refusals of known keys in the integration's inbox.
          const answer = publicError(error.failure, logger, rpc);
          answer.details.push({ desc: IntegrationSchema, value: error.integration });
          throw answer;
        }
        throw error;
      });
      if (result.disposition === Disposition.HANDLED) {
        // Deliveries auth consumes itself (SNS confirmations) leave a record here.
        logger.info(
          { integration: result.integration?.id, outcome: result.message },
          "delivery handled by auth",
        );
      }
      return result;
    };
    router.service(AuthService, {
      authenticate,
      authenticateBatch: async (req) => ({
        results: await settleBatch(req, authenticate, {
          logger,
          metrics,
          method: AuthService.method.authenticate,
        }),
      }),
      async verifyApiKey(req) {
        const key = await apiKeys.verify(req.secret);
        return { organizationId: key.organizationId, keyId: key.id, role: key.role };
      },
      identifyRoutingKey: async (req) => ({
        integration: await authenticator.identify(req.routingKey, req.sourceAddress),
      }),
      async consumeQuota(req) {
        const decision = await authenticator.consumeQuota(req.organizationId, req.integrationId);
        return { allowed: decision.allowed, rateLimit: rateLimitState(decision) };
      },
      listIntegrationsByService: async (req) => ({
        integrationIds:
          req.organizationId === "" || req.serviceId === ""
            ? []
            : await integrations.usingService(req.organizationId, req.serviceId),
      }),
    });
    router.service(ApiKeyService, {
      createApiKey: (req, ctx) => apiKeys.create(teamCaller(ctx), req),
      listApiKeys: (req, ctx) => apiKeys.list(teamCaller(ctx), req.pageSize, req.pageToken),
      revokeApiKey: async (req, ctx) => ({
        apiKey: await apiKeys.revoke(teamCaller(ctx), req.apiKeyId),
      }),
    });
    router.service(IntegrationService, {
      createIntegration: (req, ctx) => integrations.create(teamCaller(ctx), req),
      getIntegration: async (req, ctx) => ({
        integration: await integrations.get(teamCaller(ctx), req.integrationId),
      }),
      listIntegrations: (req, ctx) =>
        integrations.list(teamCaller(ctx), req.pageSize, req.pageToken),
      rotateRoutingKey: (req, ctx) =>
        integrations.rotateRoutingKey(teamCaller(ctx), req.integrationId),
      setSigningSecret: async (req, ctx) => ({
        integration: await integrations.setSigningSecret(teamCaller(ctx), req),
      }),
      disableIntegration: async (req, ctx) => ({
        integration: await integrations.disable(teamCaller(ctx), req.integrationId),
      }),
      updateIntegration: async (req, ctx) => ({
        integration: await integrations.update(teamCaller(ctx), req),
      }),
    });
  };
}
