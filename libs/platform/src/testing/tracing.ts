import { randomBytes } from "node:crypto";
import {
  formatTraceparent,
  parseTraceparent,
  setTracer,
  type Span,
  type SpanAttributes,
  type SpanKind,
  type Tracer,
} from "../tracing.js";

/** A span a RecordingTracer made, as a test inspects it. */
export interface RecordedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  /** The parent's span id; empty for a trace's root. */
  readonly parentSpanId: string;
  readonly attributes: Record<string, string | number | boolean>;
  failed?: string;
  ended: boolean;
}

/**
 * A tracer that keeps every span in memory instead of exporting it, for
 * tests of code that makes spans. `install()` makes it the process's
 * tracer (activeTracer) until `uninstall()`.
 */
export class RecordingTracer implements Tracer {
  readonly spans: RecordedSpan[] = [];

  start(
    name: string,
    kind: SpanKind,
    parent: Span | string | undefined,
    attributes: SpanAttributes = {},
  ): Span {
    const remote =
      typeof parent === "string"
        ? parseTraceparent(parent)
        : parent && { traceId: parent.traceId, spanId: parent.spanId };
    const recorded: RecordedSpan = {
      name,
      kind,
      traceId: remote?.traceId ?? randomBytes(16).toString("hex"),
      spanId: randomBytes(8).toString("hex"),
      parentSpanId: remote?.spanId ?? "",
      attributes: {},
      ended: false,
    };
    const set = (more: SpanAttributes) => {
      for (const [key, value] of Object.entries(more)) {
        if (value !== undefined) {
          recorded.attributes[key] = value;
        }
      }
    };
    set(attributes);
    this.spans.push(recorded);
    return {
      traceId: recorded.traceId,
      spanId: recorded.spanId,
      traceparent: formatTraceparent(recorded.traceId, recorded.spanId, true),
      setAttributes: set,
      fail: (reason) => {
        recorded.failed = reason;
      },
      end: () => {
        recorded.ended = true;
      },
    };
  }

  async shutdown(): Promise<void> {}

  install(): this {
    setTracer(this);
    return this;
  }

  uninstall(): void {
    setTracer(undefined);
  }

  /** The spans named `name`. */
  named(name: string): RecordedSpan[] {
    return this.spans.filter((span) => span.name === name);
  }
}
