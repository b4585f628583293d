import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type Interceptor,
  type StreamRequest,
  type UnaryRequest,
} from "@connectrpc/connect";
import { Health } from "@runframe/contracts";
import { DomainError } from "@runframe/util";
import { currentRequest, REQUEST_ID_HEADER, requestIdFrom, withRequest } from "./context.js";
import { bearerToken, secretsEqual } from "./credentials.js";
import { codeName, runframeError, toConnectError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import {
  activeTracer,
  BATCH_METHODS,
  TRACEPARENT_HEADER,
  type SpanAttributes,
  type Tracer,
} from "./tracing.js";

/**
 * Outermost server interceptor: adopts the caller's `x-request-id` (or makes
 * one), makes it visible to logs and outgoing calls for the whole call, and
 * echoes it in the response headers. While tracing is on, the call is also
 * a server span, the child of the caller's `traceparent` (see tracedCall).
 */
export function requestIdInterceptor(): Interceptor {
  return (next) => async (req) => {
    const requestId = requestIdFrom(req.header.get(REQUEST_ID_HEADER));
    const tracer = activeTracer();
    const res =
      tracer === undefined || !isTraced(req.method)
        ? await withRequest({ requestId }, () => next(req))
        : await tracedCall(tracer, req, requestId, () => next(req));
    res.header.set(REQUEST_ID_HEADER, requestId);
    return res;
  };
}

/**
 * Whether a call gets a span of its own: not batch calls, whose items are
 * traced one by one (settleBatch), nor health checks, which balancers make
 * every few seconds and belong to no request.
 */
function isTraced(method: DescMethod): boolean {
  return !BATCH_METHODS.has(method) && method.parent.typeName !== Health.typeName;
}

/** Serves one call inside its server span, marked failed with the code it fails with. */
async function tracedCall<T>(
  tracer: Tracer,
  req: UnaryRequest | StreamRequest,
  requestId: string,
  serve: () => Promise<T>,
): Promise<T> {
  const span = tracer.start(
    `${req.service.typeName}/${req.method.name}`,
    "server",
    req.header.get(TRACEPARENT_HEADER) ?? undefined,
    rpcAttributes(req.method, requestId),
  );
  try {
    return await withRequest({ requestId, span }, serve);
  } catch (error) {
    span.fail(codeName(ConnectError.from(error).code));
    throw error;
  } finally {
    span.end();
  }
}

/** The attributes of a span that stands for one call of `method`. */
export function rpcAttributes(method: DescMethod, requestId: string): SpanAttributes {
  return {
    "rpc.service": method.parent.typeName,
    "rpc.method": method.name,
    "runframe.request_id": requestId,
  };
}

/** Records every call's duration and outcome, and logs failures. */
export function observabilityInterceptor(metrics: Metrics, logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = process.hrtime.bigint();
    const service = req.service.typeName;
    let code = Code[Code.Unknown];
    try {
      const res = await next(req);
      code = "ok";
      return res;
    } catch (error) {
      const connectError = ConnectError.from(error);
      code = codeName(connectError.code);
      const level = connectError.code === Code.Internal ? "error" : "debug";
      logger[level](
        {
          rpc: `${service}/${req.method.name}`,
          code,
          err: connectError.cause ?? connectError,
        },
        "rpc failed",
      );
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.rpcDurationOf.get(service, req.method.name, code).observe(seconds);
    }
  };
}

/**
 * Maps what handlers throw to what clients see. Typed domain errors become
 * their Connect code with structured details; ConnectErrors pass through;
 * anything else is a bug, logged in full and answered with a generic
 * `Internal` that reveals nothing about our internals.
 */
export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      throw publicError(error, logger, `${req.service.typeName}/${req.method.name}`);
    }
  };
}

/**
 * What a client may see of a failure: typed domain errors as their code
 * with structured details, ConnectErrors as they are, a store outage as
 * UNAVAILABLE, anything else (a bug, logged in full) as a generic INTERNAL.
 * Used for whole calls and for the items of batch calls alike.
 */
export function publicError(error: unknown, logger: Logger, rpc: string): ConnectError {
  if (error instanceof ConnectError) {
    return error;
  }
  if (error instanceof DomainError) {
    return toConnectError(error);
  }
  if (isBackendOutage(error)) {
    logger.warn({ err: error, rpc }, "storage unavailable");
    return runframeError(
      "storage temporarily unavailable; retry later",
      Code.Unavailable,
      "STORAGE_UNAVAILABLE",
      { cause: error },
    );
  }
  logger.error({ err: error, rpc }, "unexpected error");
  return runframeError("internal error", Code.Internal, "INTERNAL", { cause: error });
}

/** Driver errors that mean "try again later", recognised by name so platform needs no driver. */
const OUTAGE_NAMES = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoTopologyClosedError",
  "MongoNotConnectedError",
  "MaxRetriesPerRequestError",
]);
const OUTAGE_CODES = new Set([
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
]);

/**
 * True for failures of a backing store that a retry may fix: connections
 * refused or lost, no server selectable, a database busy past its timeout.
 * These become UNAVAILABLE (503 with Retry-After at the edge), not INTERNAL.
 */
export function isBackendOutage(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  return (
    OUTAGE_NAMES.has(error.name) ||
    (typeof code === "string" && OUTAGE_CODES.has(code)) ||
    error.message === "Connection is closed."
  );
}

/**
 * The reason of a refused service credential. To the edge it means its own
 * deployment is wrong (a token mismatch between apps), not that the sender
 * is: it answers 503 so the sender retries.
 */
export const SERVICE_CREDENTIAL_INVALID = "SERVICE_CREDENTIAL_INVALID";

/**
 * Requires the service credential (`Authorization: Bearer <token>`) on the
 * given services (every method) and methods. Everything else (health, and
 * team-facing RPCs that authenticate with organization API keys) passes
 * through untouched.
 */
export function serviceCredentialInterceptor(
  token: string,
  internal: readonly (DescService | DescMethod)[],
): Interceptor {
  const names = new Set(internal.map(internalName));
  return (next) => async (req) => {
    if (names.has(req.service.typeName) || names.has(internalName(req.method))) {
      const presented = bearerToken(req.header.get("authorization"));
      if (presented === undefined || !secretsEqual(presented, token)) {
        throw runframeError(
          "missing or invalid service credential",
          Code.Unauthenticated,
          SERVICE_CREDENTIAL_INVALID,
        );
      }
    }
    return next(req);
  };
}

function internalName(desc: DescService | DescMethod): string {
  return desc.kind === "service" ? desc.typeName : `${desc.parent.typeName}/${desc.name}`;
}

/**
 * Client interceptor for calls between Runframe services: presents the
 * service credential and forwards the current request id and, while
 * tracing is on, the current span as `traceparent` (batch calls carry
 * theirs per item instead).
 */
export function internalCallInterceptor(token: string): Interceptor {
  const authorization = `Bearer ${token}`;
  return (next) => (req) => {
    req.header.set("authorization", authorization);
    const request = currentRequest();
    if (request) {
      req.header.set(REQUEST_ID_HEADER, request.requestId);
      if (request.span !== undefined && !BATCH_METHODS.has(req.method)) {
        req.header.set(TRACEPARENT_HEADER, request.span.traceparent);
      }
    }
    return next(req);
  };
}
