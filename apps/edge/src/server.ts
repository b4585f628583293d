import {
  activeTracer,
  createAdminHandler,
  LabelCache,
  REQUEST_ID_HEADER,
  requestIdFrom,
  sendJson,
  TRACEPARENT_HEADER,
  withRequest,
  type Logger,
  type Metrics,
  type ReadinessCheck,
} from "@runframe/platform";
import { createServer, type Server, type ServerResponse } from "node:http";
import { Histogram } from "prom-client";
import { createWebhookRecorder } from "./access.js";
import { fromTrustedProxy, headerText } from "./client-address.js";
import { handleHeartbeat } from "./heartbeat.js";
import { handleEnqueue } from "./pagerduty.js";
import { handleWebhook, sourceOf, type WebhookAnswer, type WebhookDeps } from "./webhook.js";

export interface EdgeServerOptions {
  readonly deps: WebhookDeps;
  readonly logger: Logger;
  /**
   * Where the access log goes: a logger without the redaction pass, as its
   * lines hold no secret by construction (see createLogger); `logger` when
   * unset.
   */
  readonly accessLog?: Logger;
  readonly metrics: Metrics;
  readonly readiness: readonly ReadinessCheck[];
  /** Called once shutdown starts, so /readyz can turn 503 at once. */
  readonly serving: () => boolean;
  /** How long a client may take to send a request's headers (slowloris). */
  readonly headersTimeoutMs: number;
}

const webhookPath = /^\/webhooks\/([^/?#]*)\/?(?:\?.*)?$/;
/** A bare beat of an integration with the heartbeat option. */
const heartbeatPath = /^\/webhooks\/([^/?#]*)\/heartbeat\/?(?:\?.*)?$/;
/** PagerDuty's Events API v2 path, where the routing key is in the body. */
const enqueuePath = /^\/v2\/enqueue\/?(?:\?.*)?$/;

/**
 * The edge's one HTTP/1.1 listener: `POST /webhooks/{routingKey}`, its
 * bare heartbeat `POST /webhooks/{routingKey}/heartbeat`, and PagerDuty's
 * `POST /v2/enqueue`, plus the operator endpoints /healthz,
 * /readyz and /metrics. Every answer carries an `X-Request-Id`; an
 * unexpected failure is logged and answered with a generic 500, never a
 * stack trace. Every webhook gets one access-log line and is counted
 * (access.ts); while tracing is on it is the root span of its trace (or
 * continues a trusted proxy's).
 */
export function createEdgeServer(options: EdgeServerOptions): Server {
  const { logger, metrics, deps } = options;
  const duration = new Histogram({
    name: "http_server_duration_seconds",
    help: "Time to answer one HTTP request, by route and status.",
    labelNames: ["route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics.registry],
  });
  const durationOf = new LabelCache((route, status) => duration.labels(route, status));
  const record = createWebhookRecorder(options.accessLog ?? logger, metrics.registry);
  const admin = createAdminHandler({
    registry: metrics.registry,
    logger,
    checks: options.readiness,
    serving: options.serving,
  });

  // Slowloris: headers must arrive within headersTimeoutMs and the whole
  // request within that plus the body allowance (Node answers 408 and
  // closes the socket). Node looks for late requests only every
  // connectionsCheckingInterval (30 s by default, which would triple a 10 s
  // bound), so it looks at least four times per header allowance.
  const timeouts = {
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.headersTimeoutMs + deps.bodyTimeoutMs + 1_000,
    connectionsCheckingInterval: Math.min(1_000, Math.ceil(options.headersTimeoutMs / 4)),
  };
  return createServer(timeouts, (req, res) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER] as string | undefined);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const url = req.url ?? "";
    const match = webhookPath.exec(url);
    const beat = heartbeatPath.exec(url);
    if (match === null && beat === null && !enqueuePath.test(url)) {
      if (!admin(req, res)) {
        sendJson(res, 404, { error: { code: "not_found", message: "no such endpoint" } });
      }
      return;
    }
    const started = process.hrtime.bigint();
    const socketAddress = req.socket.remoteAddress ?? "";
    const source = sourceOf(deps, req);
    const [route, handle] = match
      ? [
          "/webhooks/{routingKey}",
          () => handleWebhook(deps, req, safeDecode(match[1] ?? ""), source),
        ]
      : beat
        ? [
            "/webhooks/{routingKey}/heartbeat",
            () => handleHeartbeat(deps, req, safeDecode(beat[1] ?? ""), source),
          ]
        : ["/v2/enqueue", () => handleEnqueue(deps, req, source)];
    const span = activeTracer()?.start(
      `POST ${route}`,
      "server",
      fromTrustedProxy(socketAddress, deps.trustedProxies)
        ? headerText(req.headers[TRACEPARENT_HEADER])
        : undefined,
      {
        "http.request.method": req.method,
        "http.route": route,
        "client.address": source,
        "runframe.request_id": requestId,
      },
    );
    void withRequest({ requestId, span }, async () => {
      const answer = await serveWebhook(handle, res, logger);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      durationOf.get(route, String(res.statusCode)).observe(seconds);
      record(answer, seconds, source, span);
    });
  });
}

/** Answers one webhook; what it answered, a generic 500 when handling it failed unexpectedly. */
async function serveWebhook(
  handle: () => Promise<WebhookAnswer>,
  res: ServerResponse,
  logger: Logger,
): Promise<WebhookAnswer> {
  try {
    const answer = await handle();
    sendJson(res, answer.status, answer.body, answer.headers);
    return answer;
  } catch (error) {
    logger.error({ err: error }, "unexpected error handling webhook");
    const answer = {
      status: 500,
      headers: {},
      body: { error: { code: "internal_error", message: "internal error" } },
    };
    if (!res.headersSent) {
      sendJson(res, answer.status, answer.body);
    }
    return answer;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}
