import { Code, ConnectError } from "@connectrpc/connect";
import type { ServiceCatalog } from "@runframe/auth-domain";
import { IncidentService } from "@runframe/contracts";
import { createInternalClient, type InternalTransportOptions } from "@runframe/platform";
import { UnavailableError } from "@runframe/util";

/**
 * The service catalog as the incident service (which owns it) answers it,
 * so an integration can only name a default service of its own organization.
 */
export function remoteServiceCatalog(options: InternalTransportOptions): ServiceCatalog {
  const incident = createInternalClient(IncidentService, options);
  return {
    async exists(organizationId, serviceId) {
      try {
        const res = await incident.checkService(
          { organizationId, serviceId },
          { timeoutMs: 3_000 },
        );
        return res.exists;
      } catch (error) {
        throw new UnavailableError("cannot check the service catalog right now; retry later", {
          reason: "SERVICE_CATALOG_UNAVAILABLE",
          cause: ConnectError.from(error, Code.Unavailable),
        });
      }
    },
  };
}
