/**
 * edge: the public HTTP adapter. Turns each `POST /webhooks/{routingKey}`
 * into RPCs to auth, the provider's normalizer and incident.
 */
import { createClient } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  AuthService,
  IncidentService,
  IntegrationType,
  NormalizerService,
  type AuthenticateRequestSchema,
  type AuthenticateResponse,
  type IngestRequestSchema,
  type IngestResponse,
  type NormalizeRequestSchema,
  type NormalizeResponse,
} from "@runframe/contracts";
import {
  batchedCall,
  closeHttp,
  createInternalTransport,
  createObservability,
  runMain,
  type InternalTransport,
  type ReadinessCheck,
} from "@runframe/platform";
import type { AddressInfo } from "node:net";
import { trustedProxies } from "./client-address.js";
import { createEdgeServer } from "./server.js";
import { settings } from "./settings.js";

type AuthenticateInit = MessageInitShape<typeof AuthenticateRequestSchema>;
type NormalizeInit = MessageInitShape<typeof NormalizeRequestSchema>;
type IngestInit = MessageInitShape<typeof IngestRequestSchema>;

runMain(settings, async (config) => {
  const { logger, metrics } = createObservability("edge", config.LOG_LEVEL);
  const downstream = {
    auth: config.RUNFRAME_AUTH_URL,
    incident: config.RUNFRAME_INCIDENT_URL,
    "normalizer-custom": config.RUNFRAME_NORMALIZER_CUSTOM_URL,
    "normalizer-datadog": config.RUNFRAME_NORMALIZER_DATADOG_URL,
    "normalizer-sentry": config.RUNFRAME_NORMALIZER_SENTRY_URL,
    "normalizer-prometheus": config.RUNFRAME_NORMALIZER_PROMETHEUS_URL,
    "normalizer-cloudwatch": config.RUNFRAME_NORMALIZER_CLOUDWATCH_URL,
  };
  const transports = Object.fromEntries(
    Object.entries(downstream).map(([name, baseUrl]) => [
      name,
      createInternalTransport({
        baseUrl,
        token: config.RUNFRAME_INTERNAL_TOKEN,
        protocol: config.RUNFRAME_RPC_PROTOCOL,
        balancing: { name, logger, resolveIntervalMs: config.RUNFRAME_RESOLVE_INTERVAL_MS },
      }),
    ]),
  ) as Record<keyof typeof downstream, InternalTransport>;
  // Calls made while earlier ones are in flight travel together in one batch
  // RPC per service: under load one round trip carries many webhooks.
  const normalizer = (name: keyof typeof downstream) => {
    const client = createClient(NormalizerService, transports[name]);
    return batchedCall<NormalizeInit, NormalizeResponse>(
      (batch, options) => client.normalizeBatch(batch, options),
      (request, options) => client.normalize(request, options),
    );
  };
  const auth = createClient(AuthService, transports.auth);
  const incident = createClient(IncidentService, transports.incident);
  const deps = {
    authenticate: batchedCall<AuthenticateInit, AuthenticateResponse>(
      (batch, options) => auth.authenticateBatch(batch, options),
      (request, options) => auth.authenticate(request, options),
    ),
    ingest: batchedCall<IngestInit, IngestResponse>(
      (batch, options) => incident.ingestBatch(batch, options),
      (request, options) => incident.ingest(request, options),
    ),
    normalizers: new Map([
      [IntegrationType.CUSTOM, normalizer("normalizer-custom")],
      [IntegrationType.DATADOG, normalizer("normalizer-datadog")],
      [IntegrationType.SENTRY, normalizer("normalizer-sentry")],
      [IntegrationType.PROMETHEUS, normalizer("normalizer-prometheus")],
      [IntegrationType.CLOUDWATCH, normalizer("normalizer-cloudwatch")],
    ]),
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
  const readiness: ReadinessCheck[] = Object.entries(transports).map(([name, transport]) => ({
    name,
    optional: name.startsWith("normalizer-"),
    check: () => transport.ready(),
  }));

  let serving = true;
  const server = createEdgeServer({ deps, logger, metrics, readiness, serving: () => serving });
  // Slowloris: headers must arrive within 10 s and the whole request within
  // that plus the body allowance (Node answers 408 and closes the socket).
  server.headersTimeout = 10_000;
  server.requestTimeout = server.headersTimeout + config.RUNFRAME_BODY_TIMEOUT_MS + 1_000;
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
      for (const transport of Object.values(transports)) {
        transport.close();
      }
      logger.info("stopped");
    },
  };
});
