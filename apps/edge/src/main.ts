/**
 * edge: the public HTTP adapter. Turns each `POST /webhooks/{routingKey}`
 * into RPCs to auth, the provider's normalizer and incident.
 */
import { createClient } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  AuthService,
  DeliveryService,
  IncidentService,
  type AuthenticateRequestSchema,
  type AuthenticateResponse,
  type ExplainIngestRequestSchema,
  type IdentifyRoutingKeyRequestSchema,
  type IngestRequestSchema,
  type IngestResponse,
} from "@runframe/contracts";
import {
  batchedCall,
  oneBatchPerReplica,
  closeHttp,
  createLogger,
  createObservability,
  normalizerClients,
  runMain,
  serviceTransports,
  type ReadinessCheck,
} from "@runframe/platform";
import type { AddressInfo } from "node:net";
import { trustedProxies } from "./client-address.js";
import { InboxRecorder } from "./inbox.js";
import { createEdgeServer } from "./server.js";
import { settings } from "./settings.js";

type AuthenticateInit = MessageInitShape<typeof AuthenticateRequestSchema>;
type IngestInit = MessageInitShape<typeof IngestRequestSchema>;
type IdentifyInit = MessageInitShape<typeof IdentifyRoutingKeyRequestSchema>;
type ExplainInit = MessageInitShape<typeof ExplainIngestRequestSchema>;

/** How long recording one delivery in the inbox may take. */
const RECORD_TIMEOUT_MS = 5_000;

runMain(settings, async (config) => {
  const { logger, metrics } = await createObservability("edge", config);
  const transport = serviceTransports(config, logger);
  const authTransport = transport("auth", config.RUNFRAME_AUTH_URL);
  const incidentTransport = transport("incident", config.RUNFRAME_INCIDENT_URL);
  // One normalizer per provider of the registry, where its URL setting says.
  const normalizers = normalizerClients(config, transport);
  const auth = createClient(AuthService, authTransport);
  const incident = createClient(IncidentService, incidentTransport);
  const deliveries = createClient(DeliveryService, incidentTransport);
  const inbox = new InboxRecorder({
    send: async (reports) => {
      await deliveries.recordDeliveries({ reports }, { timeoutMs: RECORD_TIMEOUT_MS });
    },
    logger,
  });
  const deps = {
    authenticate: batchedCall<AuthenticateInit, AuthenticateResponse>(
      (batch, options) => auth.authenticateBatch(batch, options),
      (request, options) => auth.authenticate(request, options),
      {
        method: AuthService.method.authenticate,
        concurrency: oneBatchPerReplica(authTransport),
        weigh: (request) => request.body?.length ?? 0,
      },
    ),
    ingest: batchedCall<IngestInit, IngestResponse>(
      (batch, options) => incident.ingestBatch(batch, options),
      (request, options) => incident.ingest(request, options),
      {
        method: IncidentService.method.ingest,
        concurrency: oneBatchPerReplica(incidentTransport),
        // The raw body in the envelope, and alerts made of it.
        weigh: (request) => 2 * (request.envelope?.body?.length ?? 0),
      },
    ),
    explain: (request: ExplainInit, options: { timeoutMs: number }) =>
      incident.explainIngest(request, options),
    normalizers: new Map(normalizers.map((n) => [n.provider.type, n.normalize])),
    identify: (request: IdentifyInit, options: { timeoutMs: number }) =>
      auth.identifyRoutingKey(request, options),
    inbox,
    logger,
    maxBodyBytes: config.RUNFRAME_MAX_BODY_BYTES,
    bodyTimeoutMs: config.RUNFRAME_BODY_TIMEOUT_MS,
    timeoutMs: config.RUNFRAME_WEBHOOK_TIMEOUT_MS,
    trustedProxies: trustedProxies(config.RUNFRAME_TRUSTED_PROXIES),
  };

  // Ready while some replica of auth and of incident serves: every webhook
  // needs both. A normalizer without replicas fails only its own provider's
  // webhooks (503 + Retry-After), so it shows in /readyz as degraded but
  // never takes the edge out of rotation for every other provider.
  const readiness: ReadinessCheck[] = [
    { name: "auth", optional: false, check: () => authTransport.ready() },
    { name: "incident", optional: false, check: () => incidentTransport.ready() },
    ...normalizers.map((n) => ({
      name: n.provider.app,
      optional: true,
      check: () => n.transport.ready(),
    })),
  ];

  let serving = true;
  const server = createEdgeServer({
    deps,
    logger,
    accessLog: createLogger("edge", config.LOG_LEVEL, { redact: false }),
    metrics,
    readiness,
    serving: () => serving,
    headersTimeoutMs: config.RUNFRAME_HEADERS_TIMEOUT_MS,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, "listening");

  return {
    async close() {
      serving = false;
      logger.info("draining");
      const timer = setTimeout(
        () => server.closeAllConnections(),
        config.RUNFRAME_SHUTDOWN_GRACE_MS,
      );
      await closeHttp(server);
      clearTimeout(timer);
      inbox.close();
      for (const t of [authTransport, incidentTransport, ...normalizers.map((n) => n.transport)]) {
        t.close();
      }
      logger.info("stopped");
    },
  };
});
