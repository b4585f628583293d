/**
 * Typed errors that domain code throws. They name what went wrong in the
 * domain's terms; the platform's error interceptor maps each kind to one
 * Connect code, so domain libraries never depend on the transport.
 */

/** One invalid field: its path and why its value is refused. */
export interface Violation {
  readonly field: string;
  readonly description: string;
}

/** The closed set of failure kinds; each maps to exactly one Connect code. */
export type ErrorKind =
  | "invalid-argument"
  | "not-found"
  | "already-exists"
  | "failed-precondition"
  | "unauthenticated"
  | "permission-denied"
  | "resource-exhausted"
  | "unavailable";

/** Base class of every expected, client-visible failure. */
export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;

  /**
   * A stable machine-readable reason such as `ROUTING_KEY_INVALID`, for
   * callers that must tell apart failures sharing a kind. Clients see it as
   * the `google.rpc.ErrorInfo` reason; without one, the platform gives the
   * kind's generic reason (`INVALID_REQUEST`, `NOT_FOUND`, …).
   */
  readonly reason: string | undefined;

  constructor(message: string, options?: { reason?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.reason = options?.reason;
  }
}

/** Input that can never succeed as sent; lists every bad field at once. */
export class ValidationError extends DomainError {
  readonly kind = "invalid-argument";

  constructor(
    readonly violations: readonly Violation[],
    message = describeViolations(violations),
  ) {
    super(message);
  }
}

/** The named resource does not exist for this caller. */
export class NotFoundError extends DomainError {
  readonly kind = "not-found";
}

/** A resource with the same identity already exists. */
export class AlreadyExistsError extends DomainError {
  readonly kind = "already-exists";
}

/** The resource is not in a state that allows the operation. */
export class FailedPreconditionError extends DomainError {
  readonly kind = "failed-precondition";
}

/** The caller did not prove who it is (bad key, token or signature). */
export class UnauthenticatedError extends DomainError {
  readonly kind = "unauthenticated";
}

/** The caller is known but not allowed to do this. */
export class PermissionDeniedError extends DomainError {
  readonly kind = "permission-denied";
}

/** The state of a rate-limit window, reported to the client. */
export interface RateLimitInfo {
  readonly limit: number;
  readonly remaining: number;
  readonly resetAt: Date;
}

/** A quota is used up; `retryAfterSeconds` says when to come back. */
export class ResourceExhaustedError extends DomainError {
  readonly kind = "resource-exhausted";

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    readonly limit?: RateLimitInfo,
    options?: { reason?: string; cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A dependency is down or overloaded; the same call may succeed later. */
export class UnavailableError extends DomainError {
  readonly kind = "unavailable";
}

function describeViolations(violations: readonly Violation[]): string {
  const first = violations[0];
  if (first === undefined) {
    return "invalid request";
  }
  const rest = violations.length > 1 ? ` (and ${violations.length - 1} more)` : "";
  return `${first.field}: ${first.description}${rest}`;
}
