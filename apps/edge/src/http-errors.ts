import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@runframe/contracts";
import {
  retryAfterSeconds,
  runframeErrorInfo,
  SERVICE_CREDENTIAL_INVALID,
  UNAVAILABLE_RETRY_SECONDS,
} from "@runframe/platform";

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
 *
 * Only an error carrying our `google.rpc.ErrorInfo` (domain `runframe.io`)
 * is a refusal our services made on purpose: its code decides the status
 * and its message, written for senders, is shown. Everything else — a
 * service that died mid-call (a reset connection arrives as ABORTED), a
 * refused stream during a graceful shutdown, our own service credential
 * refused, a bug — is answered 503 with Retry-After and a generic message:
 * senders such as Alertmanager and Datadog retry only 5xx, and nothing
 * internal leaks.
 */
export function httpErrorFromRpc(error: unknown): HttpError {
  const err = ConnectError.from(error);
  const info = runframeErrorInfo(err);
  if (info === undefined) {
    return infrastructureError(err);
  }
  const reason = info.reason.toLowerCase();
  switch (err.code) {
    case Code.Unauthenticated:
      // Our own service credential refused: a deployment fault, not the sender's.
      return info.reason === SERVICE_CREDENTIAL_INVALID
        ? unavailable()
        : httpError(401, reason, err.rawMessage);
    case Code.PermissionDenied:
      return httpError(403, reason, err.rawMessage);
    case Code.InvalidArgument:
    case Code.OutOfRange: {
      const violations = err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
      return {
        status: 400,
        headers: {},
        body: {
          error: {
            code: "invalid_request",
            message: err.rawMessage,
            ...(violations.length > 0 && {
              fields: violations.map(({ field, description }) => ({ field, description })),
            }),
          },
        },
      };
    }
    case Code.ResourceExhausted: {
      const headers: Record<string, string> = {
        "retry-after": String(Math.max(1, retryAfterSeconds(err) ?? 1)),
      };
      const limit = Number(info.metadata["limit"] ?? 0);
      if (limit > 0) {
        const reset = Date.parse(info.metadata["resetTime"] ?? "");
        Object.assign(
          headers,
          rateLimitHeaders(
            limit,
            0,
            Number.isNaN(reset) ? undefined : BigInt(Math.floor(reset / 1000)),
          ),
        );
      }
      return httpError(429, "rate_limited", err.rawMessage, headers);
    }
    case Code.NotFound:
      return httpError(404, "not_found", err.rawMessage);
    case Code.AlreadyExists:
    case Code.FailedPrecondition:
      return httpError(409, "conflict", err.rawMessage);
    case Code.DeadlineExceeded:
      return timeout();
    default:
      return unavailable();
  }
}

/** A failure outside our domain: a timeout, an oversized message, or "retry later". */
function infrastructureError(err: ConnectError): HttpError {
  switch (err.code) {
    case Code.DeadlineExceeded:
      // The per-webhook deadline the edge set on its own calls ran out.
      return timeout();
    case Code.ResourceExhausted:
      if (isMessageSizeLimit(err)) {
        // A message over an internal size limit, which no retry can fix
        // (and 429 would make some senders drop it silently).
        return httpError(
          413,
          "payload_too_large",
          "the payload produces more data than one webhook may carry",
        );
      }
      return unavailable();
    default:
      return unavailable();
  }
}

/** Connect's refusal of a message over `readMaxBytes` / `writeMaxBytes`. */
function isMessageSizeLimit(err: ConnectError): boolean {
  return /message size .* is larger than configured (read|write)MaxBytes/.test(err.rawMessage);
}

function timeout(): HttpError {
  return httpError(504, "timeout", "processing the webhook took too long; retry later", {
    "retry-after": String(UNAVAILABLE_RETRY_SECONDS),
  });
}

function unavailable(): HttpError {
  return httpError(503, "unavailable", "temporarily unavailable; retry later", {
    "retry-after": String(UNAVAILABLE_RETRY_SECONDS),
  });
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
