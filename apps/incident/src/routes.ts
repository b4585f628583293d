import type { DescMethod } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import {
  DeliveryOutcome,
  DeliveryService,
  IncidentService,
  IncidentStatus,
  type IngestRequest,
} from "@runframe/contracts";
import {
  toDelivery,
  toIncident,
  toIncidentEvent,
  type Deliveries,
  type Incidents,
  type IncidentStorage,
  type IncidentWatcher,
  type ServiceAdmin,
} from "@runframe/incident-domain";
import {
  activeTracer,
  apiKeyInterceptor,
  codeName,
  currentRequest,
  publicError,
  runframeError,
  settleBatch,
  teamCaller,
  type Logger,
  type Metrics,
  type TeamCaller,
} from "@runframe/platform";
import { DomainError, pageSize, ValidationError } from "@runframe/util";
import type { IncidentMetrics } from "./observability.js";

/** What only other Runframe services may call, with the service credential. */
export const INCIDENT_INTERNAL: readonly DescMethod[] = [
  IncidentService.method.ingest,
  IncidentService.method.ingestBatch,
  IncidentService.method.explainIngest,
  IncidentService.method.checkService,
  DeliveryService.method.recordDeliveries,
];

/** The most deliveries one RecordDeliveries call may carry. */
const MAX_REPORTS = 1000;

/**
 * The team API's credential on every other RPC: an organization API key,
 * which auth owns; `verify` asks it (apps/incident/src/api-keys.ts).
 */
export function incidentTeamApiKeys(verify: (secret: string) => Promise<TeamCaller>): Interceptor {
  return apiKeyInterceptor(
    verify,
    [...IncidentService.methods, ...DeliveryService.methods].filter(
      (m) => !INCIDENT_INTERNAL.includes(m),
    ),
  );
}

export interface IncidentDeps {
  readonly incidents: Incidents;
  readonly deliveries: Deliveries;
  readonly storage: IncidentStorage;
  readonly services: ServiceAdmin;
  readonly watcher: IncidentWatcher;
  /** Aborted when the process starts shutting down: open streams end, new ones are refused. */
  readonly stopping: AbortSignal;
  readonly observability: IncidentObservability;
}

/** What the routes report to: logs, metrics, and which store (for spans). */
export interface IncidentObservability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly incident: IncidentMetrics;
  /** The store's system (`mongodb`, `sqlite`), as spans name it. */
  readonly store: string;
}

/** Binds the RPCs to the domain: protocol in, domain call, protocol out. */
export function incidentRoutes({
  incidents,
  deliveries,
  storage,
  services,
  watcher,
  stopping,
  observability,
}: IncidentDeps) {
  const { logger, metrics } = observability;
  const ingest = ingestObserved(incidents, observability);
  return (router: ConnectRouter) => {
    router.service(IncidentService, {
      ingest,
      ingestBatch: async (req) => ({
        results: await settleBatch(req, ingest, {
          logger,
          metrics,
          method: IncidentService.method.ingest,
        }),
      }),
      async explainIngest(req) {
        if (req.ingest === undefined) {
          throw new ValidationError([{ field: "ingest", description: "is required" }]);
        }
        const { explanations, replayed } = await incidents.explain(req.ingest);
        return {
          explanations: explanations.map(({ result, newIncidentAlert }) => ({
            result,
            ...(newIncidentAlert !== undefined && { newIncidentAlert }),
          })),
          replayed,
        };
      },
      async listIncidents(req, ctx) {
        const { incidents: page, next } = await incidents.list(
          teamCaller(ctx),
          {
            ...(req.status !== IncidentStatus.UNSPECIFIED && { status: req.status }),
            ...(req.serviceId && { serviceId: req.serviceId }),
            ...(req.integrationId && { integrationId: req.integrationId }),
          },
          pageSize(req.pageSize),
          req.pageToken,
        );
        return { incidents: page.map(toIncident), nextPageToken: next };
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
          pageSize(req.pageSize),
          req.pageToken,
        );
        return { events: events.map(toIncidentEvent), nextPageToken: next };
      },
      async listServices(req, ctx) {
        const page = await storage.services.list(
          teamCaller(ctx).organizationId,
          pageSize(req.pageSize),
          req.pageToken || undefined,
        );
        return { services: [...page.items], nextPageToken: page.next ?? "" };
      },
      getService: async (req, ctx) => ({
        service: await incidents.service(teamCaller(ctx), req.serviceId),
      }),
      createService: async (req, ctx) => ({
        service: await services.create(teamCaller(ctx), req.service),
      }),
      updateService: async (req, ctx) => ({
        service: await services.update(teamCaller(ctx), req.service),
      }),
      deleteService: async (req, ctx) => {
        await services.delete(teamCaller(ctx), req.serviceId);
        return {};
      },
      // Not a generator itself: the caller and the start are checked before
      // the stream begins, inside the interceptors that map errors.
      watchIncidents(req, ctx) {
        const caller = teamCaller(ctx);
        if (stopping.aborted) {
          throw shuttingDown();
        }
        const origin = watcher.origin({
          cursor: req.cursor,
          ...(req.startTime && { startTime: timestampDate(req.startTime) }),
        });
        const signal = AbortSignal.any([ctx.signal, stopping]);
        return (async function* () {
          try {
            for await (const item of watcher.watch(caller.organizationId, origin, signal)) {
              yield item.kind === "change"
                ? {
                    incident: toIncident(item.incident),
                    ...(item.latestEvent && { latestEvent: toIncidentEvent(item.latestEvent) }),
                    revision: item.incident.seq,
                    cursor: item.cursor,
                  }
                : { cursor: item.cursor };
            }
          } catch (error) {
            // Errors raised while a stream runs escape the error interceptor
            // (which sees only its start), so they are mapped here the same way.
            throw publicError(error, logger, "IncidentService/WatchIncidents");
          }
          if (stopping.aborted && !ctx.signal.aborted) {
            throw shuttingDown();
          }
        })();
      },
      checkService: async (req) => ({
        exists:
          req.organizationId !== "" &&
          req.serviceId !== "" &&
          (await incidents.serviceExists(req.organizationId, req.serviceId)),
      }),
    });
    router.service(DeliveryService, {
      async listDeliveries(req, ctx) {
        const from = req.startTime && timestampDate(req.startTime);
        const to = req.endTime && timestampDate(req.endTime);
        if (from && to && from >= to) {
          throw new ValidationError([
            { field: "end_time", description: "must be after start_time" },
          ]);
        }
        const page = await deliveries.list(
          teamCaller(ctx),
          {
            ...(req.integrationId && { integrationId: req.integrationId }),
            ...(req.outcome !== DeliveryOutcome.UNSPECIFIED && { outcome: req.outcome }),
            ...(from && { from }),
            ...(to && { to }),
          },
          pageSize(req.pageSize),
          req.pageToken,
        );
        return { deliveries: page.items.map(toDelivery), nextPageToken: page.next ?? "" };
      },
      getDelivery: async (req, ctx) => ({
        delivery: toDelivery(await deliveries.get(teamCaller(ctx), req.deliveryId)),
      }),
      async replayDelivery(req, ctx) {
        const replays = observability.incident.replays;
        const outcome = await deliveries
          .replay(teamCaller(ctx), req.deliveryId)
          .catch((error: unknown) => {
            replays.get("api", outcomeOfFailure(error)).inc();
            throw error;
          });
        replays.get("api", outcome.replayed ? "applied" : "duplicate").inc();
        return {
          delivery: toDelivery(outcome.record),
          results: [...outcome.results],
          replayed: outcome.replayed,
        };
      },
      async getDeliveryStats(req, ctx) {
        const stats = await deliveries.stats(teamCaller(ctx), req.integrationId);
        const count = (n: number | undefined) => BigInt(n ?? 0);
        return {
          created: count(stats.actions.get("created")),
          updated: count(stats.actions.get("updated")),
          resolved: count(stats.actions.get("resolved")),
          ignored: count(stats.actions.get("ignored")),
          accepted: count(stats.byOutcome.get(DeliveryOutcome.ACCEPTED)),
          throttled: count(stats.byOutcome.get(DeliveryOutcome.THROTTLED)),
          failed: count(stats.byOutcome.get(DeliveryOutcome.FAILED)),
          refused: Object.fromEntries([...stats.refused].map(([reason, n]) => [reason, count(n)])),
          ...(stats.last && { lastDelivery: toDelivery(stats.last) }),
          ...(stats.lastError && { lastError: toDelivery(stats.lastError) }),
        };
      },
      async recordDeliveries(req) {
        if (req.reports.length > MAX_REPORTS) {
          throw new ValidationError([
            { field: "reports", description: `must hold at most ${MAX_REPORTS} deliveries` },
          ]);
        }
        await deliveries.record(req.reports);
        return {};
      },
    });
  };
}

function shuttingDown() {
  return runframeError(
    "this incident replica is shutting down; reconnect with the last cursor",
    Code.Unavailable,
    "SHUTTING_DOWN",
  );
}

/**
 * Ingest, counted (deliveries by outcome, applied alerts by action) and,
 * while tracing is on, a span of the delivery's time in the store: its
 * validation (service lookups), its wait for the group commit it joins and
 * that commit. A unit of writes serves many deliveries, hence many traces,
 * so each delivery's trace gets a span of its own rather than one span of
 * the shared unit in one of them.
 */
function ingestObserved(incidents: Incidents, observability: IncidentObservability) {
  const { incident: counters } = observability;
  return async (req: IngestRequest) => {
    const parent = currentRequest()?.span;
    const span =
      parent &&
      activeTracer()?.start("incident store ingest", "internal", parent, {
        "db.system": observability.store,
        "runframe.alerts": req.alerts.length,
      });
    try {
      const { results, replayed } = await incidents.ingest(req);
      counters.deliveries.get(replayed ? "duplicate" : "applied").inc();
      if (!replayed) {
        for (const result of results) {
          counters.alerts(result.action).inc();
        }
      }
      span?.setAttributes({ "runframe.duplicate": replayed });
      return { results: [...results], replayed };
    } catch (error) {
      const outcome = outcomeOfFailure(error);
      counters.deliveries.get(outcome).inc();
      span?.fail(
        outcome === "refused" ? "invalid_argument" : codeName(ConnectError.from(error).code),
      );
      throw error;
    } finally {
      span?.end();
    }
  };
}

/**
 * A failed ingest or replay, as the metrics' outcome: `refused` when the
 * request can never succeed as sent (invalid, unknown, not replayable),
 * `failed` when it may later (an outage, a delivery still in progress).
 */
function outcomeOfFailure(error: unknown): "refused" | "failed" {
  return error instanceof DomainError &&
    error.kind !== "unavailable" &&
    error.kind !== "resource-exhausted"
    ? "refused"
    : "failed";
}
