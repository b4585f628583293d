import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { currentRequest } from "./context.js";

export type { Logger } from "pino";

/** How a logger is made; the defaults are every app's. */
export interface LoggerSettings {
  /** Where lines go instead of stdout (tests read them back). */
  readonly destination?: DestinationStream;
  /**
   * Redact the paths that could hold credentials (the default). Only a
   * logger whose every line is built from fields known to hold none may
   * skip it: the pass visits every field of every line for its wildcard
   * paths and costs more than the rest of the line (about 6 of 10 µs here),
   * which matters for the edge's access log, one line per webhook.
   */
  readonly redact?: boolean;
}

/**
 * JSON logs on stdout, one object per line, each tagged with the service
 * name and, inside a request, its request id (and, while tracing is on, the
 * trace and span it belongs to). Paths that could hold credentials are
 * redacted as a second line of defence; the first is never passing secrets
 * to the logger.
 */
export function createLogger(
  service: string,
  level: string,
  settings: LoggerSettings = {},
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const request = currentRequest();
      if (request === undefined) {
        return {};
      }
      const { span } = request;
      return span === undefined
        ? { requestId: request.requestId }
        : { requestId: request.requestId, traceId: span.traceId, spanId: span.spanId };
    },
    ...(settings.redact !== false && {
      redact: {
        paths: [
          "authorization",
          "*.authorization",
          "headers.authorization",
          "*.headers.authorization",
          "routingKey",
          "*.routingKey",
          "signingSecret",
          "*.signingSecret",
          "token",
          "*.token",
        ],
        censor: "[redacted]",
      },
    }),
  };
  return settings.destination === undefined ? pino(options) : pino(options, settings.destination);
}
