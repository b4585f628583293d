import { create } from "@bufbuild/protobuf";
import { Code, createRouterTransport } from "@connectrpc/connect";
import {
  AlertAction,
  AuthService,
  Disposition,
  IncidentService,
  IngestAction,
  IntegrationSchema,
  IntegrationType,
  NormalizedAlertSchema,
  NormalizerService,
} from "@runframe/contracts";
import { createLogger, createMetrics, runframeError, type Metrics } from "@runframe/platform";
import { RecordingTracer } from "@runframe/platform/testing";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outcomeOf } from "./access.js";
import { trustedProxies } from "./client-address.js";
import { createEdgeServer } from "./server.js";
import { memoryDeps } from "./memory-deps.js";
import type { WebhookDeps } from "./webhook.js";

const KEYS = {
  ok: "ok".padEnd(43, "0"),
  badSignature: "badsig".padEnd(43, "0"),
  badPayload: "badpayload".padEnd(43, "0"),
  throttled: "throttled".padEnd(43, "0"),
};

/** Auth, a normalizer and incident in memory, answering by routing key and body. */
function deps(logger: WebhookDeps["logger"], proxies: string[]): WebhookDeps {
  const transport = createRouterTransport((router) => {
    router.service(AuthService, {
      authenticate(req) {
        switch (req.routingKey) {
          case KEYS.badSignature:
            throw runframeError("signature mismatch", Code.Unauthenticated, "SIGNATURE_INVALID");
          case KEYS.throttled:
            throw runframeError("rate limit exceeded", Code.ResourceExhausted, "RATE_LIMITED");
          default:
            return {
              integration: create(IntegrationSchema, {
                id: "int-custom",
                type: IntegrationType.CUSTOM,
              }),
              disposition: Disposition.PROCEED,
            };
        }
      },
    });
    router.service(NormalizerService, {
      normalize(req) {
        if (new TextDecoder().decode(req.body) === "bad") {
          throw runframeError("title: is required", Code.InvalidArgument, "INVALID_REQUEST");
        }
        const alert = create(NormalizedAlertSchema, { action: AlertAction.TRIGGER });
        return { alerts: [alert, alert] };
      },
    });
    router.service(IncidentService, {
      ingest: () => ({
        results: [
          { incidentId: "INC-1", action: IngestAction.CREATED },
          { incidentId: "INC-2", action: IngestAction.UPDATED },
        ],
      }),
      explainIngest: () => ({
        explanations: [
          { result: { action: IngestAction.CREATED }, newIncidentAlert: 0 },
          { result: { action: IngestAction.UPDATED }, newIncidentAlert: 0 },
        ],
      }),
    });
  });
  return memoryDeps(transport, IntegrationType.CUSTOM, {
    logger,
    bodyTimeoutMs: 1_000,
    trustedProxies: trustedProxies(proxies),
  });
}

describe("the edge's access log, metrics and spans", () => {
  const lines: Record<string, unknown>[] = [];
  let metrics: Metrics;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const destination = {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    };
    const logger = createLogger("edge", "info", { destination });
    metrics = createMetrics("edge");
    server = createEdgeServer({
      deps: deps(logger, ["127.0.0.0/8", "::1/128"]),
      logger,
      accessLog: createLogger("edge", "info", { destination, redact: false }),
      metrics,
      readiness: [],
      serving: () => true,
      headersTimeoutMs: 10_000,
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const send = (key: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${url}/webhooks/${key}`, {
      method: "POST",
      body: "{}",
      ...init,
      headers: { "content-type": "application/json", ...init.headers },
    });

  const accessLines = () => lines.filter((line) => line["msg"] === "webhook");

  it("writes one line per webhook with what happened, never the routing key", async () => {
    lines.length = 0;
    const res = await send(KEYS.ok, {
      headers: { "x-request-id": "req-access-1", "x-forwarded-for": "203.0.113.9" },
    });
    expect(res.status).toBe(202);
    await Promise.all([
      send(KEYS.ok, { method: "PUT" }),
      send(KEYS.badSignature),
      send(KEYS.badPayload, { body: "bad" }),
      send(KEYS.throttled),
    ]);
    await expect.poll(() => accessLines().length).toBe(5);
    const byStatus = new Map(accessLines().map((line) => [line["status"], line]));
    expect(byStatus.get(202)).toEqual({
      level: "info",
      time: expect.any(String),
      service: "edge",
      msg: "webhook",
      requestId: "req-access-1",
      integrationId: "int-custom",
      integrationType: "custom",
      status: 202,
      alerts: 2,
      actions: { created: 1, updated: 1 },
      durationMs: expect.any(Number),
      source: "203.0.113.9",
    });
    expect(byStatus.get(405)).toMatchObject({ reason: "method_not_allowed", source: "127.0.0.1" });
    expect(byStatus.get(405)).not.toHaveProperty("integrationId");
    expect(byStatus.get(401)).toMatchObject({ reason: "signature_invalid" });
    expect(byStatus.get(400)).toMatchObject({
      reason: "invalid_request",
      integrationType: "custom",
    });
    expect(byStatus.get(429)).toMatchObject({ reason: "rate_limited" });
    for (const key of Object.values(KEYS)) {
      expect(JSON.stringify(lines)).not.toContain(key);
    }
  });

  it("counts webhooks by integration type, outcome and reason", async () => {
    const text = await metrics.registry.metrics();
    const count = (labels: string) =>
      Number(
        new RegExp(`^runframe_webhooks_total\\{${labels},app="edge"\\} (\\d+)$`, "m").exec(
          text,
        )?.[1] ?? 0,
      );
    expect(count('integration_type="custom",outcome="accepted",reason=""')).toBe(1);
    expect(count('integration_type="unknown",outcome="refused",reason="method_not_allowed"')).toBe(
      1,
    );
    expect(
      count('integration_type="unknown",outcome="refused_auth",reason="signature_invalid"'),
    ).toBe(1);
    expect(
      count('integration_type="custom",outcome="refused_payload",reason="invalid_request"'),
    ).toBe(1);
    expect(count('integration_type="unknown",outcome="throttled",reason="rate_limited"')).toBe(1);
  });

  it("logs and counts dry runs apart from deliveries, refused ones included", async () => {
    lines.length = 0;
    const dry = (key: string) =>
      fetch(`${url}/webhooks/${key}?dry_run=true`, {
        method: "POST",
        body: "{}",
        headers: { "content-type": "application/json" },
      });
    expect((await dry(KEYS.ok)).status).toBe(200);
    expect((await dry(KEYS.badSignature)).status).toBe(401);
    await expect.poll(() => accessLines().length).toBe(2);
    const [ok, refused] = accessLines();
    expect(ok).toMatchObject({ status: 200, dryRun: true, alerts: 2, integrationType: "custom" });
    expect(ok).not.toHaveProperty("actions");
    expect(refused).toMatchObject({ status: 401, dryRun: true, reason: "signature_invalid" });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /^runframe_webhooks_total\{integration_type="custom",outcome="dry_run",reason=""[^}]*\} 1$/m,
    );
    expect(text).toMatch(
      /^runframe_webhooks_total\{integration_type="unknown",outcome="dry_run",reason="signature_invalid"[^}]*\} 1$/m,
    );
    expect(text).toMatch(
      /^runframe_webhooks_total\{integration_type="unknown",outcome="refused_auth",reason="signature_invalid"[^}]*\} 1$/m,
    );
  });

  it("maps statuses to the delivery outcomes", () => {
    expect(
      [202, 200, 400, 401, 403, 404, 408, 413, 415, 429, 500, 503, 504].map(outcomeOf),
    ).toEqual([
      "accepted",
      "handled",
      "refused_payload",
      "refused_auth",
      "refused_auth",
      "refused",
      "refused",
      "too_large",
      "refused",
      "throttled",
      "failed",
      "failed",
      "failed",
    ]);
  });

  it("makes each webhook the root of its trace, or a child of a trusted proxy's span", async () => {
    const tracer = new RecordingTracer().install();
    try {
      const proxy = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      await send(KEYS.ok, { headers: { traceparent: proxy, "x-request-id": "req-traced" } });
      await send(KEYS.badSignature);
      await expect.poll(() => tracer.spans.filter((s) => s.ended).length).toBe(2);
      const [traced, refused] = tracer.named("POST /webhooks/{routingKey}");
      expect(traced).toMatchObject({
        kind: "server",
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        parentSpanId: "00f067aa0ba902b7",
        attributes: {
          "http.route": "/webhooks/{routingKey}",
          "http.response.status_code": 202,
          "runframe.integration.type": "custom",
          "runframe.request_id": "req-traced",
        },
      });
      expect(refused).toMatchObject({ parentSpanId: "" });
      expect(refused?.attributes["http.response.status_code"]).toBe(401);
      expect(JSON.stringify(tracer.spans)).not.toContain(KEYS.ok);
      const line = accessLines().find((l) => l["requestId"] === "req-traced");
      expect(line).toMatchObject({ traceId: traced!.traceId, spanId: traced!.spanId });
    } finally {
      tracer.uninstall();
    }
  });
});
