import type { DescMethod } from "@bufbuild/protobuf";
import { AuthService, IncidentService, NormalizerService } from "@runframe/contracts";
import type { Logger } from "./logger.js";

/**
 * Traces, as the rest of the code sees them: a small interface over the
 * OpenTelemetry SDK. The SDK is loaded only when an OTLP endpoint is
 * configured (startTracing); until then `activeTracer()` is undefined, no
 * span is made, no `traceparent` is read or written and no OpenTelemetry
 * module is even imported, so a process without tracing pays one
 * `undefined` check where a span would start.
 *
 * A span travels in the request context (context.ts) beside the request
 * id: the span of the current hop, which onward calls name as their parent.
 */

/** What a span stands for, as OpenTelemetry's SpanKind. */
export type SpanKind = "server" | "client" | "internal";

/** Span attributes; undefined values are left out. */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** One span being recorded (or, when not sampled, only propagated). */
export interface Span {
  /** The W3C `traceparent` that makes the next hop a child of this span. */
  readonly traceparent: string;
  readonly traceId: string;
  readonly spanId: string;
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed, with a short reason (a Connect code name, an HTTP status). */
  fail(reason: string): void;
  end(): void;
}

/** Makes spans. */
export interface Tracer {
  /**
   * Starts a span: a child of `parent` (a span of this process, or a
   * `traceparent` received from another), or the root of a new trace when
   * there is none or the `traceparent` does not parse.
   */
  start(
    name: string,
    kind: SpanKind,
    parent: Span | string | undefined,
    attributes?: SpanAttributes,
  ): Span;
  /** Exports what is still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/** The header that carries a span's context between services (W3C Trace Context). */
export const TRACEPARENT_HEADER = "traceparent";

/**
 * Batch RPCs carry one trace context per item (their `traceparents` field,
 * see settleBatch and batchedCall): the call as a whole belongs to no one
 * webhook, so it is neither traced nor sends a `traceparent` header.
 */
export const BATCH_METHODS: ReadonlySet<DescMethod> = new Set([
  AuthService.method.authenticateBatch,
  NormalizerService.method.normalizeBatch,
  IncidentService.method.ingestBatch,
]);

let active: Tracer | undefined;

/** The process's tracer while tracing is on; undefined otherwise (the default). */
export function activeTracer(): Tracer | undefined {
  return active;
}

/** Installs (or, with undefined, removes) the process's tracer. For startTracing and tests. */
export function setTracer(tracer: Tracer | undefined): void {
  active = tracer;
}

/** The standard OpenTelemetry settings every app reads (tracingSpecs in config.ts). */
export interface TracingSettings {
  readonly OTEL_SDK_DISABLED: boolean;
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  readonly OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  readonly OTEL_EXPORTER_OTLP_PROTOCOL: OtlpProtocol;
  readonly OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: OtlpProtocol | undefined;
  readonly OTEL_SERVICE_NAME?: string | undefined;
  readonly OTEL_RESOURCE_ATTRIBUTES: Readonly<Record<string, string>>;
  readonly OTEL_TRACES_SAMPLER: TracesSampler;
  readonly OTEL_TRACES_SAMPLER_ARG?: number | undefined;
  readonly OTEL_BSP_SCHEDULE_DELAY: number;
}

/** The OTLP transports the specification defines. */
export const OTLP_PROTOCOLS = ["http/protobuf", "http/json", "grpc"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The samplers the specification names (OTEL_TRACES_SAMPLER). */
export const TRACES_SAMPLERS = [
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
  "always_on",
  "always_off",
  "traceidratio",
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

/** True when the settings ask for traces: an OTLP endpoint, and the SDK not disabled. */
export function tracingWanted(settings: TracingSettings): boolean {
  return (
    !settings.OTEL_SDK_DISABLED &&
    (settings.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined ||
      settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined)
  );
}

/**
 * Turns tracing on when the settings ask for it: loads the OpenTelemetry
 * SDK and the OTLP exporter of the configured protocol, and installs the
 * tracer. Otherwise does nothing and loads nothing.
 */
export async function startTracing(
  settings: TracingSettings,
  service: string,
  logger: Logger,
): Promise<void> {
  if (!tracingWanted(settings)) {
    return;
  }
  const { createOtelTracer } = await import("./otel.js");
  const tracer = await createOtelTracer(settings, service, logger);
  setTracer(tracer);
  logger.info(
    {
      protocol: settings.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? settings.OTEL_EXPORTER_OTLP_PROTOCOL,
      sampler: settings.OTEL_TRACES_SAMPLER,
    },
    "tracing on: exporting spans over OTLP",
  );
}

/** Exports the spans still buffered and turns tracing off (runMain, on shutdown). */
export async function stopTracing(): Promise<void> {
  const tracer = active;
  active = undefined;
  await tracer?.shutdown();
}

/** A span context received in a `traceparent`. */
export interface RemoteSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a W3C `traceparent` (version 00, or a later version's first four
 * fields, as the specification asks). Undefined when it is malformed, names
 * the all-zero trace or span, or claims the invalid version ff.
 */
export function parseTraceparent(header: string | null | undefined): RemoteSpanContext | undefined {
  const match = header ? traceparentPattern.exec(header.trim()) : null;
  if (match === null) {
    return undefined;
  }
  const [, version, traceId, spanId, flags, rest] = match;
  if (
    version === "ff" ||
    (version === "00" && rest !== undefined) ||
    /^0+$/.test(traceId!) ||
    /^0+$/.test(spanId!)
  ) {
    return undefined;
  }
  return { traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 };
}

/** The `traceparent` of a span context. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}
