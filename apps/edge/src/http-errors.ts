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
 * Messages of client errors come from our own services and are written for
 * senders; server-side failures get a generic message so nothing internal
 * leaks. An UNAUTHENTICATED without a reason is our own service credential
 * being refused, a deployment fault, answered 503 so senders retry.
 */
export function httpErrorFromRpc(error: unknown): HttpError {
  const err = ConnectError.from(error);
  const reason = err.findDetails(ErrorInfoSchema)[0]?.reason;
  switch (err.code) {
    case Code.Unauthenticated:
      return reason === undefined
        ? unavailable()
        : httpError(401, reasonCode(reason, "unauthenticated"), err.rawMessage);
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
        // Not a rate limit: a message over an internal size limit, which no
        // retry can fix (and 429 would make some senders drop it silently).
        return httpError(
          413,
          "payload_too_large",
          "the payload produces more data than one webhook may carry",
        );
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
    case Code.Aborted:
    case Code.FailedPrecondition:
      return httpError(409, reasonCode(reason, "conflict"), err.rawMessage);
    case Code.Unimplemented:
      return httpError(501, "not_implemented", "this integration is not available yet");
    case Code.DeadlineExceeded:
      return httpError(504, "timeout", "processing the webhook took too long; retry later", {
        "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS),
      });
    case Code.Unavailable:
    case Code.Canceled:
      return unavailable();
    default:
      return httpError(500, "internal_error", "internal error");
  }
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
