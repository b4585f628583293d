/**
 * incident: stores deduplicated incidents and serves the team API.
 */
import { createClient } from "@connectrpc/connect";
import { AuthService } from "@runframe/contracts";
import {
  applyProvisioning,
  Incidents,
  IncidentWatcher,
  ServiceAdmin,
} from "@runframe/incident-domain";
import { createInternalTransport, createObservability, runMain, serve } from "@runframe/platform";
import { parseBootstrap } from "@runframe/util";
import { readFile } from "node:fs/promises";
import { cachedApiKeyVerifier } from "./api-keys.js";
import { INCIDENT_INTERNAL, incidentRoutes, incidentTeamApiKeys } from "./routes.js";
import { remoteServiceReferences } from "./service-references.js";
import { settings } from "./settings.js";
import { openStorage } from "./storage.js";

/** How often expired delivery-log entries are purged where TTL indexes are missing. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

runMain(settings, async (config) => {
  const { logger, metrics } = createObservability("incident", config.LOG_LEVEL);

  const opened = await openStorage(config, logger);
  const { storage } = opened;
  if (config.RUNFRAME_BOOTSTRAP) {
    const services = await applyProvisioning(
      parseBootstrap(await readFile(config.RUNFRAME_BOOTSTRAP, "utf8")),
      storage.services,
    );
    logger.info({ file: config.RUNFRAME_BOOTSTRAP, services }, "provisioning applied");
  }
  const purge = setInterval(() => {
    storage.deliveries
      .purgeExpired(new Date())
      .catch((error: unknown) => logger.warn({ err: error }, "purging the delivery log failed"));
  }, PURGE_INTERVAL_MS);
  purge.unref();

  const authTransport = createInternalTransport({
    baseUrl: config.RUNFRAME_AUTH_URL,
    token: config.RUNFRAME_INTERNAL_TOKEN,
    protocol: config.RUNFRAME_RPC_PROTOCOL,
    balancing: { name: "auth", logger, resolveIntervalMs: config.RUNFRAME_RESOLVE_INTERVAL_MS },
  });
  const auth = createClient(AuthService, authTransport);
  const incidents = new Incidents(storage);
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
      storage,
      services: new ServiceAdmin(storage, incidents, remoteServiceReferences(auth)),
      watcher: new IncidentWatcher(storage.changes),
      stopping: stopping.signal,
      observability: { logger, metrics },
    }),
    // Ingest needs only the store; auth (API-key checks of the team API) is
    // reported when it is missing but does not take incident out of rotation.
    readiness: [
      opened.readiness,
      { name: "auth", optional: true, check: () => authTransport.ready() },
    ],
  });
  return {
    async close() {
      clearInterval(purge);
      // Streams would hold the drain for its whole grace period: end them
      // first (UNAVAILABLE, so clients reconnect elsewhere with their cursor).
      stopping.abort();
      await server.close();
      authTransport.close();
      await opened.close();
    },
  };
});
