import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { currentRequest } from "./context.js";

export type { Logger } from "pino";

/**
 * JSON logs on stdout, one object per line, each tagged with the service
 * name and, inside a request, its request id (and, while tracing is on, the
 * trace and span it belongs to). Tests may pass a `destination` to read the
 * lines back. Paths that could hold
 * credentials are redacted as a second line of defence; the first is never
 * passing secrets to the logger.
 */
export function createLogger(
  service: string,
  level: string,
  destination?: DestinationStream,
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
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
