import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "@runframe/contracts";
import type { DomainError, Violation } from "@runframe/util";
import { ResourceExhaustedError, ValidationError, type ErrorKind } from "@runframe/util";

/**
 * The `google.rpc.ErrorInfo` domain of every error a Runframe service
 * raises. A caller (the edge first of all) tells our answers from failures
 * of the transport or the framework by it: only errors in this domain carry
 * a message written for the caller.
 */
export const ERROR_DOMAIN = "runframe.io";

/** How long a caller should wait before retrying UNAVAILABLE when nothing better is known. */
export const UNAVAILABLE_RETRY_SECONDS = 5;

/**
 * The reason of a domain error thrown without one of its own. Specific
 * reasons (ROUTING_KEY_INVALID, INCIDENT_NOT_FOUND, …) are set where the
 * error is thrown; these cover the rest, so every error has a reason.
 */
const defaultReason: Record<ErrorKind, string> = {
  "invalid-argument": "INVALID_REQUEST",
  "not-found": "NOT_FOUND",
  "already-exists": "ALREADY_EXISTS",
  "failed-precondition": "FAILED_PRECONDITION",
  unauthenticated: "UNAUTHENTICATED",
  "permission-denied": "PERMISSION_DENIED",
  "resource-exhausted": "RATE_LIMITED",
  unavailable: "UNAVAILABLE",
};

const codeOfKind: Record<ErrorKind, Code> = {
  "invalid-argument": Code.InvalidArgument,
  "not-found": Code.NotFound,
  "already-exists": Code.AlreadyExists,
  "failed-precondition": Code.FailedPrecondition,
  unauthenticated: Code.Unauthenticated,
  "permission-denied": Code.PermissionDenied,
  "resource-exhausted": Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

export interface RunframeErrorOptions {
  /** Every invalid field, as a `google.rpc.BadRequest` detail. */
  readonly violations?: readonly Violation[];
  /** Extra facts for machines, as `google.rpc.ErrorInfo` metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * When to retry, as `google.rpc.RetryInfo`. Defaults to
   * UNAVAILABLE_RETRY_SECONDS on UNAVAILABLE and RESOURCE_EXHAUSTED, the
   * codes a caller should retry; no other code carries it.
   */
  readonly retryAfterSeconds?: number;
  /** The real failure, for our logs only: Connect never sends it. */
  readonly cause?: unknown;
}

/**
 * A ConnectError as every Runframe service raises it: a code, a message
 * written for the caller, and the standard details — `google.rpc.ErrorInfo`
 * (reason, domain `runframe.io`) always, `google.rpc.BadRequest` for field
 * problems, `google.rpc.RetryInfo` on the codes worth retrying — so that
 * grpcurl, grpcio-status, connect-go and connect-es clients read them
 * without Runframe's own protos.
 */
export function runframeError(
  message: string,
  code: Code,
  reason: string,
  options: RunframeErrorOptions = {},
): ConnectError {
  const details: NonNullable<ConstructorParameters<typeof ConnectError>[3]> = [
    {
      desc: ErrorInfoSchema,
      value: {
        reason,
        domain: ERROR_DOMAIN,
        ...(options.metadata && { metadata: { ...options.metadata } }),
      },
    },
  ];
  if (options.violations && options.violations.length > 0) {
    details.push({
      desc: BadRequestSchema,
      value: {
        fieldViolations: options.violations.map(({ field, description }) => ({
          field,
          description,
        })),
      },
    });
  }
  if (code === Code.Unavailable || code === Code.ResourceExhausted) {
    const seconds = options.retryAfterSeconds ?? UNAVAILABLE_RETRY_SECONDS;
    details.push({ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(seconds * 1000) } });
  }
  return new ConnectError(message, code, undefined, details, options.cause);
}

/**
 * Converts an expected domain failure into the ConnectError a client sees:
 * its code, its message, and the standard details. A rate limit's window
 * travels as ErrorInfo metadata (`limit`, `remaining`, `resetTime` in
 * RFC 3339) beside RetryInfo, so any gRPC client can read it without our
 * protos. The domain error stays attached as `cause` for our logs only.
 */
export function toConnectError(error: DomainError): ConnectError {
  const exhausted = error instanceof ResourceExhaustedError ? error : undefined;
  const limit = exhausted?.limit;
  return runframeError(
    error.message,
    codeOfKind[error.kind],
    error.reason ?? defaultReason[error.kind],
    {
      cause: error,
      ...(error instanceof ValidationError && { violations: error.violations }),
      ...(exhausted && { retryAfterSeconds: exhausted.retryAfterSeconds }),
      ...(limit && {
        metadata: {
          limit: String(limit.limit),
          remaining: String(limit.remaining),
          resetTime: limit.resetAt.toISOString(),
        },
      }),
    },
  );
}

/** The ErrorInfo of `error` if a Runframe service raised it, else undefined. */
export function runframeErrorInfo(error: ConnectError) {
  return error.findDetails(ErrorInfoSchema).find((info) => info.domain === ERROR_DOMAIN);
}

/** Seconds until a retry, from the RetryInfo detail, or undefined. */
export function retryAfterSeconds(error: ConnectError): number | undefined {
  const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return delay === undefined ? undefined : Math.ceil(Number(delay.seconds) + delay.nanos / 1e9);
}

/** Snake-case name of a Connect code, as gRPC and Prometheus labels spell it. */
export function codeName(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}
