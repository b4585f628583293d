import type { ConnectRouter } from "@connectrpc/connect";
import type { ApiKeys, Authenticator, Integrations } from "@runframe/auth-domain";
import { AuthService, IntegrationService } from "@runframe/contracts";
import { teamCaller } from "@runframe/platform";

export interface AuthDeps {
  readonly authenticator: Authenticator;
  readonly integrations: Integrations;
  readonly apiKeys: ApiKeys;
}

/** Binds the RPCs to the domain: protocol in, domain call, protocol out. */
export function authRoutes({ authenticator, integrations, apiKeys }: AuthDeps) {
  return (router: ConnectRouter) => {
    router.service(AuthService, {
      authenticate: (req) => authenticator.authenticate(req),
      async verifyApiKey(req) {
        const key = await apiKeys.verify(req.secret);
        return { organizationId: key.organizationId, keyId: key.id, role: key.role };
      },
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
    });
  };
}
