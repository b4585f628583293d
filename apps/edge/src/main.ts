/**
 * edge: the public HTTP adapter. Turns each `POST /webhooks/{routingKey}`
 * into RPCs to auth, the provider's normalizer and incident.
 */
import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  AuthService,
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  IncidentService,
  IntegrationType,
  NormalizerService,
} from "@runframe/contracts";
import {
  closeHttp,
  createInternalClient,
  createObservability,
  listenPort,
  loadConfig,
  positiveInt,
  runMain,
  secret,
  serviceUrl,
  type InternalTransportOptions,
  type ReadinessCheck,
} from "@runframe/platform";
import { str } from "envalid";
import type { AddressInfo } from "node:net";
import { createEdgeServer } from "./server.js";

runMain(async () => {
  const config = loadConfig(process.env, {
    HOST: str({ default: "127.0.0.1" }),
    PORT: listenPort({ default: 3000 }),
    LOG_LEVEL: str({
      default: "info",
      choices: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    }),
    RUNFRAME_INTERNAL_TOKEN: secret(),
    RUNFRAME_RPC_PROTOCOL: str({ default: "connect", choices: ["connect", "grpc"] }),
    RUNFRAME_MAX_BODY_BYTES: positiveInt({ default: 1024 * 1024 }),
    RUNFRAME_WEBHOOK_TIMEOUT_MS: positiveInt({
      default: 10_000,
      desc: "deadline for the RPCs behind one webhook, counted once its body is in",
    }),
    RUNFRAME_BODY_TIMEOUT_MS: positiveInt({
      default: 30_000,
      desc: "how long a sender may take to upload a webhook body (408 beyond)",
    }),
    RUNFRAME_SHUTDOWN_GRACE_MS: positiveInt({ default: 10_000 }),
    RUNFRAME_AUTH_URL: serviceUrl({ default: "http://127.0.0.1:7001" }),
    RUNFRAME_INCIDENT_URL: serviceUrl({ default: "http://127.0.0.1:7002" }),
    RUNFRAME_NORMALIZER_CUSTOM_URL: serviceUrl({ default: "http://127.0.0.1:7101" }),
    RUNFRAME_NORMALIZER_DATADOG_URL: serviceUrl({ default: "http://127.0.0.1:7102" }),
    RUNFRAME_NORMALIZER_SENTRY_URL: serviceUrl({ default: "http://127.0.0.1:7103" }),
    RUNFRAME_NORMALIZER_PROMETHEUS_URL: serviceUrl({ default: "http://127.0.0.1:7104" }),
    RUNFRAME_NORMALIZER_CLOUDWATCH_URL: serviceUrl({ default: "http://127.0.0.1:7105" }),
  });
  const { logger, metrics } = createObservability("edge", config.LOG_LEVEL);
  const transport = (baseUrl: string): InternalTransportOptions => ({
    baseUrl,
    token: config.RUNFRAME_INTERNAL_TOKEN,
    protocol: config.RUNFRAME_RPC_PROTOCOL as "connect" | "grpc",
  });

  const downstream = {
    auth: config.RUNFRAME_AUTH_URL,
    incident: config.RUNFRAME_INCIDENT_URL,
    "normalizer-custom": config.RUNFRAME_NORMALIZER_CUSTOM_URL,
    "normalizer-datadog": config.RUNFRAME_NORMALIZER_DATADOG_URL,
    "normalizer-sentry": config.RUNFRAME_NORMALIZER_SENTRY_URL,
    "normalizer-prometheus": config.RUNFRAME_NORMALIZER_PROMETHEUS_URL,
    "normalizer-cloudwatch": config.RUNFRAME_NORMALIZER_CLOUDWATCH_URL,
  };
  const normalizer = (url: string) => createInternalClient(NormalizerService, transport(url));
  const deps = {
    auth: createInternalClient(AuthService, transport(downstream.auth)),
    incident: createInternalClient(IncidentService, transport(downstream.incident)),
    normalizers: new Map<IntegrationType, Client<typeof NormalizerService>>([
      [IntegrationType.CUSTOM, normalizer(downstream["normalizer-custom"])],
      [IntegrationType.DATADOG, normalizer(downstream["normalizer-datadog"])],
      [IntegrationType.SENTRY, normalizer(downstream["normalizer-sentry"])],
      [IntegrationType.PROMETHEUS, normalizer(downstream["normalizer-prometheus"])],
      [IntegrationType.CLOUDWATCH, normalizer(downstream["normalizer-cloudwatch"])],
    ]),
    logger,
    maxBodyBytes: config.RUNFRAME_MAX_BODY_BYTES,
    bodyTimeoutMs: config.RUNFRAME_BODY_TIMEOUT_MS,
    timeoutMs: config.RUNFRAME_WEBHOOK_TIMEOUT_MS,
  };

  // Ready only when every service behind the edge reports SERVING.
  const readiness: ReadinessCheck[] = Object.entries(downstream).map(([name, url]) => {
    const health = createInternalClient(Health, transport(url));
    return {
      name,
      async check() {
        const res = await health.check(create(HealthCheckRequestSchema), { timeoutMs: 1500 });
        if (res.status !== ServingStatus.SERVING) {
          throw new Error(`${name} is ${ServingStatus[res.status]}`);
        }
      },
    };
  });

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
      logger.info("stopped");
    },
  };
});
