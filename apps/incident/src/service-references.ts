import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { AuthService } from "@runframe/contracts";
import type { ServiceReferences } from "@runframe/incident-domain";
import { UnavailableError } from "@runframe/util";

/** The integrations that route alerts to a service, as auth (which owns them) answers. */
export function remoteServiceReferences(auth: Client<typeof AuthService>): ServiceReferences {
  return {
    async integrationsUsing(organizationId, serviceId) {
      try {
        const res = await auth.listIntegrationsByService(
          { organizationId, serviceId },
          { timeoutMs: 3_000 },
        );
        return res.integrationIds;
      } catch (error) {
        throw new UnavailableError("cannot check the integrations right now; retry later", {
          cause: ConnectError.from(error, Code.Unavailable),
        });
      }
    },
  };
}
