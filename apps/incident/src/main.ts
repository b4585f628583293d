/**
 * incident: stores deduplicated incidents and serves the team API.
 */
import { createClient } from "@connectrpc/connect";
import { AuthService } from "@runframe/contracts";
import {
  applyProvisioning,
  Deliveries,
  Incidents,
  IncidentWatcher,
  ServiceAdmin,
  type IncidentStorage,
} from "@runframe/incident-domain";
import {
  createObservability,
  normalizerClients,
  periodic,
  runMain,
  serve,
  serviceTransports,
} from "@runframe/platform";
import { parseBootstrap } from "@runframe/util";
import { readFile } from "node:fs/promises";
import { cachedApiKeyVerifier } from "./api-keys.js";
import { incidentMetrics, timedWriter } from "./observability.js";
import { INCIDENT_INTERNAL, incidentRoutes, incidentTeamApiKeys } from "./routes.js";
import { remoteServiceReferences } from "./service-references.js";
import { remoteNormalizers, remoteQuota } from "./replay-gateways.js";
import { inboxLimits, settings } from "./settings.js";
import { openStorage } from "./storage.js";

/** How often expired delivery-log entries are purged where TTL indexes are missing. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** How often the delivery inbox drops what is past retention or over an integration's caps. */
const TRIM_INTERVAL_MS = 5 * 60 * 1000;

runMain(settings, async (config) => {
  const { logger, metrics } = await createObservability("incident", config);

  const opened = await openStorage(config, logger);
  const counters = incidentMetrics(metrics.registry);
  const storage: IncidentStorage = {
    ...opened.storage,
    writer: timedWriter(opened.storage.writer, counters),
  };
  if (config.RUNFRAME_BOOTSTRAP) {
    const services = await applyProvisioning(
      parseBootstrap(await readFile(config.RUNFRAME_BOOTSTRAP, "utf8")),
      storage.services,
    );
    logger.info({ file: config.RUNFRAME_BOOTSTRAP, services }, "provisioning applied");
  }
  const transport = serviceTransports(config, logger);
  const authTransport = transport("auth", config.RUNFRAME_AUTH_URL);
  const auth = createClient(AuthService, authTransport);
  const normalizers = normalizerClients(config, transport);
  const limits = inboxLimits(config);
  const incidents = new Incidents(storage, undefined, limits.retentionMs);
  const deliveries = new Deliveries(
    storage.inbox,
    incidents,
    remoteNormalizers(normalizers),
    limits,
    undefined,
    (record, error) =>
      logger.warn(
        { err: error, delivery: record.id, integration: record.integrationId },
        "redrive failed; it is tried again",
      ),
  );
  const stopping = new AbortController();
  const server = await serve({
    config,
    logger,
    metrics,
    reflection: true,
    internal: INCIDENT_INTERNAL,
    interceptors: [incidentTeamApiKeys(cachedApiKeyVerifier(auth))],
    routes: incidentRoutes({
      incidents,
      deliveries,
      storage,
      services: new ServiceAdmin(storage, incidents, remoteServiceReferences(auth)),
      watcher: new IncidentWatcher(storage.changes),
      stopping: stopping.signal,
      observability: { logger, metrics, incident: counters, store: opened.system },
    }),
    // Ingest needs only the store; auth (API-key checks of the team API,
    // redrive quotas) is reported when it is missing but does not take
    // incident out of rotation, nor do normalizers (replays only).
    readiness: [
      opened.readiness,
      { name: "auth", optional: true, check: () => authTransport.ready() },
    ],
  });

  const quota = remoteQuota(auth);
  const tasks = [
    periodic(logger, "purging the delivery log", PURGE_INTERVAL_MS, async () =>
      counters.purged.inc(await storage.deliveries.purgeExpired(new Date())),
    ),
    periodic(logger, "trimming the delivery inbox", TRIM_INTERVAL_MS, async () => {
      const deleted = await deliveries.trim();
      counters.trimmed.inc(deleted);
      if (deleted > 0) {
        logger.info({ deleted }, "delivery inbox trimmed");
      }
    }),
    // Every replica redrives; each throttled delivery is claimed by one.
    periodic(
      logger,
      "redriving throttled deliveries",
      config.RUNFRAME_REDRIVE_INTERVAL_MS,
      async () => {
        const round = await deliveries.redrive(quota);
        counters.replays.get("redrive", "applied").inc(round.applied);
        counters.replays.get("redrive", "refused").inc(round.refused);
        if (round.applied + round.refused > 0) {
          logger.info(round, "throttled deliveries redriven");
        }
      },
    ),
  ];
  return {
    async close() {
      await Promise.all(tasks.map((t) => t.stop()));
      // Streams would hold the drain for its whole grace period: end them
      // first (UNAVAILABLE, so clients reconnect elsewhere with their cursor).
      stopping.abort();
      await server.close();
      for (const t of [authTransport, ...normalizers.map((n) => n.transport)]) {
        t.close();
      }
      await opened.close();
    },
  };
});
