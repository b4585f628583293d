/**
 * incident: stores deduplicated incidents and serves the team API.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { AuthService, IncidentService } from "@runframe/contracts";
import {
  applyProvisioning,
  Incidents,
  IncidentWatcher,
  ServiceAdmin,
} from "@runframe/incident-domain";
import {
  apiKeyInterceptor,
  clientSpecs,
  createInternalTransport,
  createObservability,
  loadConfig,
  mongoUrl,
  runMain,
  serve,
  serverSpecs,
  serviceUrl,
} from "@runframe/platform";
import { parseBootstrap } from "@runframe/util";
import { str } from "envalid";
import { readFile } from "node:fs/promises";
import { cachedApiKeyVerifier } from "./api-keys.js";
import { incidentRoutes } from "./routes.js";
import { remoteServiceReferences } from "./service-references.js";
import { openStorage } from "./storage.js";

/** How often expired delivery-log entries are purged where TTL indexes are missing. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

runMain(async () => {
  const config = loadConfig(process.env, {
    ...serverSpecs(7002),
    MONGO_URL: mongoUrl({ default: undefined, desc: "MongoDB holding incidents" }),
    RUNFRAME_DATA_DIR: str({
      default: "./data",
      desc: "embedded SQLite store, used without MONGO_URL",
    }),
    RUNFRAME_BOOTSTRAP: str({ default: undefined, desc: "provisioning file applied at start" }),
    RUNFRAME_AUTH_URL: serviceUrl({ default: "http://127.0.0.1:7001", desc: "verifies API keys" }),
    ...clientSpecs(),
  });
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
  const internal: readonly DescMethod[] = [
    IncidentService.method.ingest,
    IncidentService.method.ingestBatch,
    IncidentService.method.checkService,
  ];
  const server = await serve({
    config,
    logger,
    metrics,
    internal,
    interceptors: [
      apiKeyInterceptor(
        cachedApiKeyVerifier(auth),
        IncidentService.methods.filter((m) => !internal.includes(m)),
      ),
    ],
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
