import type { ConnectRouter } from "@connectrpc/connect";
import { IncidentService, IncidentStatus } from "@runframe/contracts";
import {
  toIncident,
  toIncidentEvent,
  type Incidents,
  type IncidentStore,
} from "@runframe/incident-domain";
import { teamCaller } from "@runframe/platform";
import { clampPageSize, NotFoundError, ValidationError } from "@runframe/util";

/** Binds the RPCs to the domain: protocol in, domain call, protocol out. */
export function incidentRoutes(incidents: Incidents, store: IncidentStore) {
  return (router: ConnectRouter) => {
    router.service(IncidentService, {
      ingest: (req) =>
        incidents
          .ingest(req)
          .then(({ results, replayed }) => ({ results: [...results], replayed })),
      async listIncidents(req, ctx) {
        const { views, next } = await incidents.list(
          teamCaller(ctx),
          {
            ...(req.status !== IncidentStatus.UNSPECIFIED && { status: req.status }),
            ...(req.serviceId && { serviceId: req.serviceId }),
            ...(req.integrationId && { integrationId: req.integrationId }),
          },
          clampPageSize(req.pageSize),
          req.pageToken,
        );
        return { incidents: views.map(toIncident), nextPageToken: next };
      },
      getIncident: async (req, ctx) => ({
        incident: toIncident(await incidents.get(teamCaller(ctx), req.incidentId)),
      }),
      acknowledgeIncident: async (req, ctx) => ({
        incident: toIncident(await incidents.acknowledge(teamCaller(ctx), req.incidentId)),
      }),
      resolveIncident: async (req, ctx) => ({
        incident: toIncident(await incidents.resolve(teamCaller(ctx), req.incidentId, req.note)),
      }),
      async listIncidentEvents(req, ctx) {
        const { events, next } = await incidents.events(
          teamCaller(ctx),
          req.incidentId,
          clampPageSize(req.pageSize),
          req.pageToken,
        );
        return { events: events.map(toIncidentEvent), nextPageToken: next };
      },
      async listServices(req, ctx) {
        const page = await store.listServices(
          teamCaller(ctx).organizationId,
          clampPageSize(req.pageSize),
          req.pageToken || undefined,
        );
        return { services: [...page.items], nextPageToken: page.next ?? "" };
      },
      async getService(req, ctx) {
        if (req.serviceId === "") {
          throw new ValidationError([{ field: "service_id", description: "is required" }]);
        }
        const service = await store.getService(teamCaller(ctx).organizationId, req.serviceId);
        if (service === undefined) {
          throw new NotFoundError(`service ${req.serviceId} not found`);
        }
        return { service };
      },
      checkService: async (req) => ({
        exists:
          req.organizationId !== "" &&
          req.serviceId !== "" &&
          (await store.serviceExists(req.organizationId, req.serviceId)),
      }),
    });
  };
}
