import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RateLimitStateSchema } from "@runframe/contracts";

/** A JSON error answer: `{"error":{"code","message","fields"?}}` plus headers. */
export interface HttpError {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: {
    readonly error: {
      readonly code: string;
      readonly message: string;
      readonly fields?: readonly { field: string; description: string }[];
    };
  };
}

/** Seconds a sender should wait before retrying a 503. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export function httpError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpError {
  return { status, headers, body: { error: { code, message } } };
}

/**
 * Maps an RPC failure to the answer a webhook sender sees (DESIGN §2).
 * Refusals our services made on purpose carry a structured detail; their
 * messages are written for senders and shown. Everything else — a service
 * that died mid-call (a reset connection arrives as ABORTED), a refused
 * stream during a graceful shutdown, our own service credential refused, a
 * bug — is answered 503 with Retry-After and a generic message: senders
 * such as Alertmanager and Datadog retry only 5xx, and nothing internal
 * leaks.
 */
export function httpErrorFromRpc(error: unknown): HttpError {
  const err = ConnectError.from(error);
  if (err.code === Code.DeadlineExceeded) {
    return httpError(504, "timeout", "processing the webhook took too long; retry later", {
      "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS),
    });
  }
  if (err.code === Code.ResourceExhausted && isMessageSizeLimit(err)) {
    // A message over an internal size limit, which no retry can fix (and
    // 429 would make some senders drop it silently).
    return httpError(
      413,
      "payload_too_large",
      "the payload produces more data than one webhook may carry",
    );
  }
  if (!fromOurServices(err)) {
    // A connection reset, a refused stream, a service that crashed or is
    // misconfigured: the sender must retry, and nothing of it is shown.
    return unavailable();
  }
  const reason = err.findDetails(ErrorInfoSchema)[0]?.reason;
  switch (err.code) {
    case Code.Unauthenticated:
      return httpError(401, reasonCode(reason, "unauthenticated"), err.rawMessage);
    case Code.PermissionDenied:
      return httpError(403, reasonCode(reason, "permission_denied"), err.rawMessage);
    case Code.InvalidArgument:
    case Code.OutOfRange: {
      const violations = err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
      return {
        status: 400,
        headers: {},
        body: {
          error: {
            code: reasonCode(reason, "invalid_request"),
            message: err.rawMessage,
            ...(violations.length > 0 && {
              fields: violations.map(({ field, description }) => ({ field, description })),
            }),
          },
        },
      };
    }
    case Code.ResourceExhausted: {
      const state = err.findDetails(RateLimitStateSchema)[0];
      if (state === undefined) {
        return unavailable();
      }
      const retryAfter = Math.max(1, state.retryAfterSeconds);
      const headers: Record<string, string> = { "retry-after": String(retryAfter) };
      if (state.limit > 0) {
        Object.assign(headers, rateLimitHeaders(state.limit, 0, state.resetTime?.seconds));
      }
      return httpError(429, "rate_limited", err.rawMessage, headers);
    }
    case Code.NotFound:
      return httpError(404, reasonCode(reason, "not_found"), err.rawMessage);
    case Code.AlreadyExists:
    case Code.FailedPrecondition:
      return httpError(409, reasonCode(reason, "conflict"), err.rawMessage);
    default:
      return unavailable();
  }
}

/**
 * Our services describe every client-visible refusal with a structured
 * detail (a reason, field violations or rate-limit state). An error without
 * one came from the transport or a failure we did not foresee, and its
 * message is not for senders.
 */
function fromOurServices(err: ConnectError): boolean {
  return (
    err.findDetails(ErrorInfoSchema).length > 0 ||
    err.findDetails(BadRequestSchema).length > 0 ||
    err.findDetails(RateLimitStateSchema).length > 0
  );
}

/** Connect's refusal of a message over `readMaxBytes` / `writeMaxBytes`. */
function isMessageSizeLimit(err: ConnectError): boolean {
  return /message size .* is larger than configured (read|write)MaxBytes/.test(err.rawMessage);
}

function unavailable(): HttpError {
  return httpError(503, "unavailable", "temporarily unavailable; retry later", {
    "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS),
  });
}

function reasonCode(reason: string | undefined, fallback: string): string {
  return reason === undefined ? fallback : reason.toLowerCase();
}

/** `X-RateLimit-*` headers; Reset is a Unix time in seconds. */
export function rateLimitHeaders(
  limit: number,
  remaining: number,
  resetSeconds: bigint | undefined,
): Record<string, string> {
  return {
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(remaining),
    ...(resetSeconds !== undefined && { "x-ratelimit-reset": String(resetSeconds) }),
  };
}
