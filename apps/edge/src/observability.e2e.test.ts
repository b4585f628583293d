import {
  repoRoot,
  startApp,
  startOtlpReceiver,
  startStack,
  type ListeningApp,
  type OtlpReceiver,
  type ReceivedSpan,
  type Stack,
} from "@runframe/platform/testing";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Fresh routing keys each run: rate-limit windows live in the shared Redis.
const routingKey = `obs-${randomBytes(24).toString("base64url")}`;
const bootstrap = {
  organizations: [
    {
      id: "org-obs",
      name: "Observability",
      apiKeys: [],
      services: [{ id: "SER-00001", name: "Checkout API" }],
      integrations: [{ id: "int-obs", type: "custom", name: "Scripts", routingKey }],
    },
  ],
};
const alert = (title: string) => JSON.stringify({ title, service_id: "SER-00001" });

const SERVER = 2;
const CLIENT = 3;

/**
 * The spans of the trace whose root, the edge's server span, carries
 * `requestId`, once it and `count` spans in all have arrived (the root ends
 * last, after the answer, so it may come in a later export than its
 * children, which carry the request id too).
 */
async function traceOf(receiver: OtlpReceiver, requestId: string, count: number) {
  let spans: ReceivedSpan[] = [];
  await expect
    .poll(
      () => {
        const root = receiver.spans.find(
          (s) =>
            s.service.startsWith("edge") &&
            s.kind === SERVER &&
            s.attributes["runframe.request_id"] === requestId,
        );
        spans = root ? receiver.spans.filter((s) => s.traceId === root.traceId) : [];
        return spans.length;
      },
      { timeout: 15_000 },
    )
    .toBeGreaterThanOrEqual(count);
  const one = (service: string, name: string) => {
    const found = spans.filter((s) => s.service === service && s.name === name);
    expect(found, `${service}: ${name}`).toHaveLength(1);
    return found[0]!;
  };
  return { spans, one };
}

/** The value of `metric`'s sample whose labels include every one of `labels`. */
async function sample(app: ListeningApp, metric: string, labels: string[] = []): Promise<number> {
  const text = await (await fetch(`${app.adminUrl}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${metric}{`) && labels.every((label) => l.includes(label)));
  return Number(line?.split(" ")[1] ?? 0);
}

describe("observability: traces, the access log and business metrics across every app", () => {
  let receiver: OtlpReceiver;
  let stack: Stack;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startStack({
      bootstrap,
      normalizers: ["custom"],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_BSP_SCHEDULE_DELAY: "100" },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it("gives one webhook one trace, edge → auth → normalizer → incident → store, parented correctly", async () => {
    const res = await stack.webhook(routingKey, alert("Traced"), { "x-request-id": "req-trace-1" });
    expect(res.status).toBe(202);
    const { spans, one } = await traceOf(receiver, "req-trace-1", 9);

    const root = one("edge", "POST /webhooks/{routingKey}");
    expect(root).toMatchObject({ parentSpanId: "", kind: SERVER });
    expect(root.attributes).toMatchObject({
      "http.response.status_code": 202,
      "runframe.integration.id": "int-obs",
      "runframe.integration.type": "custom",
    });
    const hops = [
      ["auth", "runframe.auth.v1.AuthService/Authenticate"],
      ["normalizer-custom", "runframe.normalizer.v1.NormalizerService/Normalize"],
      ["incident", "runframe.incident.v1.IncidentService/Ingest"],
    ] as const;
    for (const [service, method] of hops) {
      const client = one("edge", method);
      expect(client, method).toMatchObject({ kind: CLIENT, parentSpanId: root.spanId });
      const server = one(service, method);
      expect(server, method).toMatchObject({ kind: SERVER, parentSpanId: client.spanId });
      expect(server.attributes["runframe.request_id"]).toBe("req-trace-1");
    }
    const ingest = one("incident", "runframe.incident.v1.IncidentService/Ingest");
    expect(one("incident", "incident store ingest").parentSpanId).toBe(ingest.spanId);
    const authenticate = one("auth", "runframe.auth.v1.AuthService/Authenticate");
    const limiter = spans.filter((s) => s.service === "auth" && s.name.startsWith("ratelimit"));
    expect(limiter.length).toBeGreaterThan(0);
    expect(limiter.every((s) => s.parentSpanId === authenticate.spanId)).toBe(true);
    // Batch calls carry many traces: they have no span of their own in any.
    expect(receiver.spans.filter((s) => s.name.endsWith("Batch"))).toEqual([]);
    expect(JSON.stringify(receiver.spans)).not.toContain(routingKey);
    expect(receiver.exports.every((protocol) => protocol === "http/protobuf")).toBe(true);

    // Log lines name the trace they belong to.
    await expect
      .poll(() => stack.edge.logs.find((l) => l["requestId"] === "req-trace-1")?.["traceId"])
      .toBe(root.traceId);
  });

  it("exports over OTLP/gRPC and OTLP/JSON too, within the same traces", async () => {
    const edges = await Promise.all(
      (
        [
          ["grpc", receiver.grpcUrl],
          ["http/json", receiver.httpUrl],
        ] as const
      ).map(([protocol, endpoint]) =>
        startApp("edge", {
          RUNFRAME_INTERNAL_TOKEN: stack.token,
          RUNFRAME_AUTH_URL: stack.auth[0]!.url,
          RUNFRAME_INCIDENT_URL: stack.incident.url,
          RUNFRAME_NORMALIZER_CUSTOM_URL: stack.normalizers["custom"]!.url,
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_SERVICE_NAME: `edge-${protocol}`,
          OTEL_BSP_SCHEDULE_DELAY: "100",
        }),
      ),
    );
    try {
      for (const [i, protocol] of ["grpc", "http/json"].entries()) {
        const requestId = `req-${protocol.replace("/", "-")}`;
        const res = await fetch(`${edges[i]!.url}/webhooks/${routingKey}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": requestId },
          body: alert(`Over ${protocol}`),
        });
        expect(res.status).toBe(202);
        const { one } = await traceOf(receiver, requestId, 9);
        const root = one(`edge-${protocol}`, "POST /webhooks/{routingKey}");
        const client = one(`edge-${protocol}`, "runframe.incident.v1.IncidentService/Ingest");
        expect(client.parentSpanId).toBe(root.spanId);
        expect(one("incident", "runframe.incident.v1.IncidentService/Ingest").parentSpanId).toBe(
          client.spanId,
        );
      }
      expect(new Set(receiver.exports)).toEqual(new Set(["http/protobuf", "grpc", "http/json"]));
    } finally {
      await Promise.all(edges.map((edge) => edge.stop()));
    }
  });

  it("writes one access-log line per webhook, never with the routing key", async () => {
    const requestIds = ["req-log-1", "req-log-2", "req-log-3"];
    const answers = await Promise.all([
      stack.webhook(routingKey, alert("Logged"), { "x-request-id": requestIds[0]! }),
      stack.webhook(routingKey, JSON.stringify({ title: "No service" }), {
        "x-request-id": requestIds[1]!,
      }),
      stack.webhook(`unknown-${randomBytes(16).toString("hex")}`, alert("Lost"), {
        "x-request-id": requestIds[2]!,
      }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([202, 400, 401]);
    const lines = () =>
      stack.edge.logs.filter(
        (l) => l["msg"] === "webhook" && requestIds.includes(String(l["requestId"])),
      );
    await expect.poll(() => lines().length).toBe(3);
    const byId = new Map(lines().map((l) => [l["requestId"], l]));
    expect(byId.get("req-log-1")).toMatchObject({
      level: "info",
      integrationId: "int-obs",
      integrationType: "custom",
      status: 202,
      alerts: 1,
      actions: { created: 1 },
      source: expect.stringMatching(/^10\./),
    });
    expect(byId.get("req-log-2")).toMatchObject({
      status: 400,
      reason: "invalid_request",
      integrationType: "custom",
    });
    expect(byId.get("req-log-3")).toMatchObject({ status: 401, reason: "routing_key_invalid" });
    expect(JSON.stringify(stack.edge.logs)).not.toContain(routingKey);
  });

  it("moves the business metrics on every app's /metrics", async () => {
    const normalizer = stack.normalizers["custom"]!;
    const before = {
      accepted: await sample(stack.edge, "runframe_webhooks_total", [
        'integration_type="custom"',
        'outcome="accepted"',
      ]),
      created: await sample(stack.incident, "runframe_alerts_total", ['action="created"']),
      applied: await sample(stack.incident, "runframe_ingest_deliveries_total", [
        'outcome="applied"',
      ]),
      refused: await sample(normalizer, "runframe_normalizer_refusals_total", [
        'provider="custom"',
        'reason="service_id"',
      ]),
      unknownKeys: await sample(stack.auth[0]!, "runframe_auth_refusals_total", [
        'integration_type="unknown"',
        'reason="routing_key_invalid"',
      ]),
      limiter: await sample(stack.auth[0]!, "runframe_auth_limiter_duration_seconds_count", [
        'outcome="allowed"',
      ]),
      units: await sample(stack.incident, "runframe_incident_store_unit_duration_seconds_count", [
        'outcome="ok"',
      ]),
    };
    expect(before.accepted).toBeGreaterThan(0);
    expect(
      (
        await Promise.all([
          stack.webhook(routingKey, alert("Counted")),
          stack.webhook(routingKey, JSON.stringify({ title: "No service" })),
          stack.webhook(`unknown-${randomBytes(16).toString("hex")}`, alert("Lost")),
        ])
      ).map((a) => a.status),
    ).toEqual([202, 400, 401]);
    await expect
      .poll(() =>
        sample(stack.edge, "runframe_webhooks_total", [
          'integration_type="custom"',
          'outcome="accepted"',
        ]),
      )
      .toBe(before.accepted + 1);
    expect(await sample(stack.incident, "runframe_alerts_total", ['action="created"'])).toBe(
      before.created + 1,
    );
    expect(
      await sample(stack.incident, "runframe_ingest_deliveries_total", ['outcome="applied"']),
    ).toBe(before.applied + 1);
    expect(
      await sample(normalizer, "runframe_normalizer_refusals_total", [
        'provider="custom"',
        'reason="service_id"',
      ]),
    ).toBe(before.refused + 1);
    expect(
      await sample(stack.auth[0]!, "runframe_auth_refusals_total", [
        'integration_type="unknown"',
        'reason="routing_key_invalid"',
      ]),
    ).toBe(before.unknownKeys + 1);
    expect(
      await sample(stack.auth[0]!, "runframe_auth_limiter_duration_seconds_count", [
        'outcome="allowed"',
      ]),
    ).toBeGreaterThan(before.limiter);
    expect(
      await sample(stack.incident, "runframe_incident_store_unit_duration_seconds_count", [
        'outcome="ok"',
      ]),
    ).toBeGreaterThan(before.units);
    for (const app of [stack.edge, stack.auth[0]!, stack.incident, normalizer]) {
      expect(await (await fetch(`${app.adminUrl}/metrics`)).text()).not.toContain(routingKey);
    }
  });
});

describe("tracing off", () => {
  it("costs nothing: no app bundle imports OpenTelemetry until an endpoint asks for it", async () => {
    for (const app of ["edge", "auth", "incident", "normalizer-custom"]) {
      const bundle = await readFile(join(repoRoot, "dist", `${app}.js`), "utf8");
      expect(bundle, app).not.toMatch(/^\s*import\b[^;(]*["']@opentelemetry\//m);
      expect(bundle, app).toContain('import("@opentelemetry/sdk-trace")');
    }
  });
});
