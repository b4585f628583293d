import {
  createAdminHandler,
  REQUEST_ID_HEADER,
  requestIdFrom,
  sendJson,
  withRequest,
  type Logger,
  type Metrics,
  type ReadinessCheck,
} from "@runframe/platform";
import { createServer, type Server, type ServerResponse } from "node:http";
import { Histogram } from "prom-client";
import { handleHeartbeat } from "./heartbeat.js";
import { handleEnqueue } from "./pagerduty.js";
import { handleWebhook, type WebhookAnswer, type WebhookDeps } from "./webhook.js";

export interface EdgeServerOptions {
  readonly deps: WebhookDeps;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: readonly ReadinessCheck[];
  /** Called once shutdown starts, so /readyz can turn 503 at once. */
  readonly serving: () => boolean;
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
 * stack trace.
 */
export function createEdgeServer(options: EdgeServerOptions): Server {
  const { logger, metrics } = options;
  const duration = new Histogram({
    name: "http_server_duration_seconds",
    help: "Time to answer one HTTP request, by route and status.",
    labelNames: ["route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics.registry],
  });
  const admin = createAdminHandler({
    registry: metrics.registry,
    logger,
    checks: options.readiness,
    serving: options.serving,
  });

  return createServer((req, res) => {
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
    const [route, handle] = match
      ? [
          "/webhooks/{routingKey}",
          () => handleWebhook(options.deps, req, safeDecode(match[1] ?? "")),
        ]
      : beat
        ? [
            "/webhooks/{routingKey}/heartbeat",
            () => handleHeartbeat(options.deps, req, safeDecode(beat[1] ?? "")),
          ]
        : ["/v2/enqueue", () => handleEnqueue(options.deps, req)];
    void withRequest({ requestId }, () => serveWebhook(handle, res, logger)).finally(() => {
      duration.observe(
        { route, status: String(res.statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
  });
}

async function serveWebhook(
  handle: () => Promise<WebhookAnswer>,
  res: ServerResponse,
  logger: Logger,
): Promise<void> {
  try {
    const answer = await handle();
    sendJson(res, answer.status, answer.body, answer.headers);
  } catch (error) {
    logger.error({ err: error }, "unexpected error handling webhook");
    if (!res.headersSent) {
      sendJson(res, 500, { error: { code: "internal_error", message: "internal error" } });
    }
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}
