import { pino, type Logger } from "pino";
import { currentRequest } from "./context.js";

export type { Logger } from "pino";

/**
 * JSON logs on stdout, one object per line, each tagged with the service
 * name and, inside a request, its request id. Paths that could hold
 * credentials are redacted as a second line of defence; the first is never
 * passing secrets to the logger.
 */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const request = currentRequest();
      return request ? { requestId: request.requestId } : {};
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
  });
}
