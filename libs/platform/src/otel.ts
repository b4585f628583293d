/**
 * The OpenTelemetry SDK behind tracing.ts, loaded by startTracing only
 * when an OTLP endpoint is set. Every OpenTelemetry package is imported
 * dynamically (a static import here would be hoisted into every app's
 * bundle and load the SDK at start, tracing or not).
 */
import type * as OtelApi from "@opentelemetry/api";
import type { Context, Span as OtelSpan } from "@opentelemetry/api";
import type * as OtelSdk from "@opentelemetry/sdk-trace";
import type { Sampler, SpanExporter } from "@opentelemetry/sdk-trace";
import type { Logger } from "./logger.js";
import {
  formatTraceparent,
  parseTraceparent,
  type OtlpProtocol,
  type Span,
  type SpanAttributes,
  type SpanKind,
  type Tracer,
  type TracingSettings,
} from "./tracing.js";

type Api = typeof OtelApi;
type Sdk = typeof OtelSdk;

/** How long shutdown waits for the last export. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/** At most one warning from the SDK (export failed, spans dropped) in this long. */
const DIAG_INTERVAL_MS = 10_000;

/** The tracer of the OpenTelemetry SDK, exporting over OTLP as `settings` say. */
export async function createOtelTracer(
  settings: TracingSettings,
  service: string,
  logger: Logger,
): Promise<Tracer> {
  const protocol =
    settings.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? settings.OTEL_EXPORTER_OTLP_PROTOCOL;
  const [api, sdk, resources, exporter] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/resources"),
    createExporter(protocol, tracesEndpoint(settings, protocol)),
  ]);
  // The SDK reports failed exports and dropped spans through its diagnostic
  // logger, silent by default: one warning per interval at most, as a
  // collector that is down would otherwise be reported on every export.
  let quietUntil = 0;
  let suppressed = 0;
  const warn = (message: string, ...args: unknown[]) => {
    const now = Date.now();
    if (now < quietUntil) {
      suppressed++;
      return;
    }
    quietUntil = now + DIAG_INTERVAL_MS;
    logger.warn(
      { detail: args.map((arg) => (arg instanceof Error ? arg.message : String(arg))), suppressed },
      `OpenTelemetry: ${message}`,
    );
    suppressed = 0;
  };
  api.diag.setLogger(
    {
      error: warn,
      warn,
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    api.DiagLogLevel.WARN,
  );
  const provider = new sdk.TracerProvider({
    resource: resources.defaultResource().merge(
      resources.resourceFromAttributes({
        ...settings.OTEL_RESOURCE_ATTRIBUTES,
        "service.name": settings.OTEL_SERVICE_NAME ?? service,
      }),
    ),
    sampler: sampler(sdk, settings),
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: settings.OTEL_BSP_SCHEDULE_DELAY,
      }),
    ],
  });
  const tracer = provider.getTracer("runframe");
  return {
    start: (name, kind, parent, attributes) =>
      new OtelSpanHandle(
        api,
        tracer.startSpan(
          name,
          { kind: spanKind(api, kind), ...(attributes && { attributes: defined(attributes) }) },
          parentContext(api, parent),
        ),
      ),
    shutdown: () =>
      Promise.race([
        provider.shutdown(),
        new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref()),
      ]),
  };
}

/**
 * Where spans go: the traces endpoint as given, else the base endpoint
 * (with `/v1/traces` appended for the HTTP protocols), as the OTLP
 * exporter specification says.
 */
export function tracesEndpoint(settings: TracingSettings, protocol: OtlpProtocol): string {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined) {
    return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  }
  const base = settings.OTEL_EXPORTER_OTLP_ENDPOINT ?? "";
  return protocol === "grpc" ? base : `${base.replace(/\/+$/, "")}/v1/traces`;
}

/**
 * The OTLP exporter of a protocol. Headers, timeout, compression and
 * certificates it reads from its standard OTEL_EXPORTER_OTLP_* variables
 * itself.
 */
async function createExporter(protocol: OtlpProtocol, url: string): Promise<SpanExporter> {
  switch (protocol) {
    case "grpc":
      return new (await import("@opentelemetry/exporter-trace-otlp-grpc")).OTLPTraceExporter({
        url,
      });
    case "http/json":
      return new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter({
        url,
      });
    case "http/protobuf":
      return new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter({
        url,
      });
  }
}

function sampler(sdk: Sdk, settings: TracingSettings): Sampler {
  const ratio = () => new sdk.TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_ARG ?? 1);
  switch (settings.OTEL_TRACES_SAMPLER) {
    case "always_on":
      return new sdk.AlwaysOnSampler();
    case "always_off":
      return new sdk.AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_off":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new sdk.ParentBasedSampler({ root: ratio() });
    case "parentbased_always_on":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}

function spanKind(api: Api, kind: SpanKind) {
  switch (kind) {
    case "server":
      return api.SpanKind.SERVER;
    case "client":
      return api.SpanKind.CLIENT;
    case "internal":
      return api.SpanKind.INTERNAL;
  }
}

function parentContext(api: Api, parent: Span | string | undefined): Context {
  if (parent instanceof OtelSpanHandle) {
    return api.trace.setSpan(api.ROOT_CONTEXT, parent.span);
  }
  const remote = typeof parent === "string" ? parseTraceparent(parent) : undefined;
  if (remote === undefined) {
    return api.ROOT_CONTEXT;
  }
  return api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: remote.traceId,
    spanId: remote.spanId,
    traceFlags: remote.sampled ? api.TraceFlags.SAMPLED : api.TraceFlags.NONE,
    isRemote: true,
  });
}

function defined(attributes: SpanAttributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

/** A span of the SDK as tracing.ts's Span. */
class OtelSpanHandle implements Span {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceparent: string;

  constructor(
    private readonly api: Api,
    readonly span: OtelSpan,
  ) {
    const context = span.spanContext();
    this.traceId = context.traceId;
    this.spanId = context.spanId;
    this.traceparent = formatTraceparent(
      context.traceId,
      context.spanId,
      (context.traceFlags & api.TraceFlags.SAMPLED) !== 0,
    );
  }

  setAttributes(attributes: SpanAttributes): void {
    this.span.setAttributes(defined(attributes));
  }

  fail(reason: string): void {
    this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: reason });
  }

  end(): void {
    this.span.end();
  }
}
