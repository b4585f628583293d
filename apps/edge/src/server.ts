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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Histogram } from "prom-client";
import { createWebhookRecorder } from "./access.js";
import { clientAddress, fromTrustedProxy } from "./client-address.js";
import { handleWebhook, type WebhookAnswer, type WebhookDeps } from "./webhook.js";

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
}

const webhookPath = /^\/webhooks\/([^/?#]*)\/?(?:\?.*)?$/;

/**
 * The edge's one HTTP/1.1 listener: `POST /webhooks/{routingKey}`, plus the
 * operator endpoints /healthz, /readyz and /metrics. Every answer carries an
 * `X-Request-Id`; an unexpected failure is logged and answered with a
 * generic 500, never a stack trace. Every webhook gets one access-log line
 * and is counted (access.ts); while tracing is on it is the root span of
 * its trace (or continues a trusted proxy's).
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
  const durationOf = new LabelCache((status) => duration.labels("/webhooks/{routingKey}", status));
  const record = createWebhookRecorder(options.accessLog ?? logger, metrics.registry);
  const admin = createAdminHandler({
    registry: metrics.registry,
    logger,
    checks: options.readiness,
    serving: options.serving,
  });

  return createServer((req, res) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER] as string | undefined);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const match = webhookPath.exec(req.url ?? "");
    if (match === null) {
      if (!admin(req, res)) {
        sendJson(res, 404, { error: { code: "not_found", message: "no such endpoint" } });
      }
      return;
    }
    const started = process.hrtime.bigint();
    const routingKey = safeDecode(match[1] ?? "");
    const socketAddress = req.socket.remoteAddress ?? "";
    const source = clientAddress(
      socketAddress,
      headerText(req.headers["x-forwarded-for"]),
      deps.trustedProxies,
    );
    const span = activeTracer()?.start(
      "POST /webhooks/{routingKey}",
      "server",
      fromTrustedProxy(socketAddress, deps.trustedProxies)
        ? headerText(req.headers[TRACEPARENT_HEADER])
        : undefined,
      {
        "http.request.method": req.method,
        "http.route": "/webhooks/{routingKey}",
        "client.address": source,
        "runframe.request_id": requestId,
      },
    );
    void withRequest({ requestId, span }, async () => {
      const answer = await serveWebhook(deps, req, res, routingKey, source, logger);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      durationOf.get(String(res.statusCode)).observe(seconds);
      record(answer, seconds, source, span);
    });
  });
}

/** Answers one webhook; what it answered, a generic 500 when handling it failed unexpectedly. */
async function serveWebhook(
  deps: WebhookDeps,
  req: IncomingMessage,
  res: ServerResponse,
  routingKey: string,
  source: string,
  logger: Logger,
): Promise<WebhookAnswer> {
  try {
    const answer = await handleWebhook(deps, req, routingKey, source);
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

/** A header's value, its occurrences joined as HTTP allows for lists. */
function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}
