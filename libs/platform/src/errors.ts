import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RateLimitStateSchema } from "@runframe/contracts";
import type { DomainError } from "@runframe/util";
import { ResourceExhaustedError, ValidationError, type ErrorKind } from "@runframe/util";

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

/**
 * Converts an expected domain failure into the ConnectError a client sees:
 * its code, its message, and structured details (field violations, a
 * reason, rate-limit state). The domain error stays attached as `cause` for
 * our logs only; Connect never serialises it.
 */
export function toConnectError(error: DomainError): ConnectError {
  const details: ConstructorParameters<typeof ConnectError>[3] = [];
  if (error instanceof ValidationError) {
    details.push({
      desc: BadRequestSchema,
      value: { fieldViolations: error.violations.map((v) => ({ ...v })) },
    });
  }
  if (error.reason !== undefined) {
    details.push({ desc: ErrorInfoSchema, value: { reason: error.reason } });
  }
  if (error instanceof ResourceExhaustedError) {
    const { limit } = error;
    details.push({
      desc: RateLimitStateSchema,
      value: {
        retryAfterSeconds: error.retryAfterSeconds,
        ...(limit && {
          limit: limit.limit,
          remaining: limit.remaining,
          resetTime: timestampFromDate(limit.resetAt),
        }),
      },
    });
  }
  return new ConnectError(error.message, codeOfKind[error.kind], undefined, details, error);
}

/** Snake-case name of a Connect code, as gRPC and Prometheus labels spell it. */
export function codeName(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}
