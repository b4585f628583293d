import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { NormalizerService, NormalizeResponseSchema } from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, tracingSpecs } from "./config.js";
import { currentRequest, withRequest } from "./context.js";
import { internalCallInterceptor, requestIdInterceptor } from "./interceptors.js";
import { tracesEndpoint } from "./otel.js";
import { RecordingTracer } from "./testing/tracing.js";
import { activeTracer, parseTraceparent, tracingWanted, TRACEPARENT_HEADER } from "./tracing.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const spanId = "00f067aa0ba902b7";

describe("traceparent", () => {
  it("reads version 00 and the first fields of later versions", () => {
    expect(parseTraceparent(`00-${traceId}-${spanId}-01`)).toEqual({
      traceId,
      spanId,
      sampled: true,
    });
    expect(parseTraceparent(`00-${traceId}-${spanId}-00`)?.sampled).toBe(false);
    expect(parseTraceparent(`01-${traceId}-${spanId}-03-future`)).toMatchObject({ traceId });
  });

  it("refuses what the specification calls invalid", () => {
    for (const bad of [
      undefined,
      "",
      "garbage",
      `00-${traceId}-${spanId}-01-extra`,
      `ff-${traceId}-${spanId}-01`,
      `00-${"0".repeat(32)}-${spanId}-01`,
      `00-${traceId}-${"0".repeat(16)}-01`,
      `00-${traceId.toUpperCase()}-${spanId}-01`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });
});

describe("tracing settings", () => {
  const load = (env: Record<string, string>) => loadConfig(env, tracingSpecs());

  it("are off by default, and on with an endpoint unless the SDK is disabled", () => {
    expect(tracingWanted(load({}))).toBe(false);
    expect(tracingWanted(load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }))).toBe(
      true,
    );
    expect(
      tracingWanted(load({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" })),
    ).toBe(true);
    expect(
      tracingWanted(
        load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }),
      ),
    ).toBe(false);
  });

  it("send spans where the OTLP specification says", () => {
    const base = load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" });
    expect(tracesEndpoint(base, "http/protobuf")).toBe("http://collector:4318/v1/traces");
    expect(tracesEndpoint(base, "grpc")).toBe("http://collector:4318/");
    const own = load({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/otlp",
    });
    expect(tracesEndpoint(own, "http/json")).toBe("https://traces.example/otlp");
  });

  it("parse resource attributes and refuse malformed values, never echoing headers", () => {
    expect(
      load({ OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod,team=on%2Dcall" })
        .OTEL_RESOURCE_ATTRIBUTES,
    ).toEqual({ "deployment.environment.name": "prod", team: "on-call" });
    let error: unknown;
    try {
      load({
        OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
        OTEL_EXPORTER_OTLP_PROTOCOL: "thrift",
        OTEL_EXPORTER_OTLP_HEADERS: "api-key-s3cr3t",
        OTEL_TRACES_SAMPLER_ARG: "2",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of [
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_EXPORTER_OTLP_HEADERS",
      "OTEL_TRACES_SAMPLER_ARG",
    ]) {
      expect(problems).toContain(name);
    }
    expect(problems).not.toContain("s3cr3t");
  });
});

describe("trace context between services", () => {
  /** An in-memory normalizer that reports the `traceparent` it received and its own span. */
  function client() {
    const seen: { traceparent: string | null; spanId?: string | undefined }[] = [];
    const transport = createRouterTransport(
      (router) =>
        router.service(NormalizerService, {
          normalize(_req, context) {
            seen.push({
              traceparent: context.requestHeader.get(TRACEPARENT_HEADER),
              spanId: currentRequest()?.span?.spanId,
            });
            return create(NormalizeResponseSchema);
          },
        }),
      {
        router: { interceptors: [requestIdInterceptor()] },
        transport: { interceptors: [internalCallInterceptor("t".repeat(40))] },
      },
    );
    return { normalizer: createClient(NormalizerService, transport), seen };
  }

  it("is neither read nor written while tracing is off", async () => {
    expect(activeTracer()).toBeUndefined();
    const { normalizer, seen } = client();
    await withRequest({ requestId: "req-1" }, () => normalizer.normalize({}));
    expect(seen).toEqual([{ traceparent: null, spanId: undefined }]);
  });

  it("makes the callee's span a child of the caller's", async () => {
    const tracer = new RecordingTracer().install();
    try {
      const { normalizer, seen } = client();
      const caller = tracer.start("caller", "internal", undefined);
      await withRequest({ requestId: "req-1", span: caller }, () => normalizer.normalize({}));
      expect(seen[0]?.traceparent).toBe(caller.traceparent);
      const [server] = tracer.named("runframe.normalizer.v1.NormalizerService/Normalize");
      expect(server).toMatchObject({
        kind: "server",
        traceId: caller.traceId,
        parentSpanId: caller.spanId,
        spanId: seen[0]?.spanId,
        ended: true,
      });
    } finally {
      tracer.uninstall();
    }
  });
});
