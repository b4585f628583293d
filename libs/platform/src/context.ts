import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Span } from "./tracing.js";

/** What follows one request across async work and RPC hops. */
export interface RequestContext {
  readonly requestId: string;
  /**
   * The span of this hop while tracing is on (tracing.ts): onward calls are
   * its children and log lines name its trace.
   */
  readonly span?: Span | undefined;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The header that carries the request id between services and to clients. */
export const REQUEST_ID_HEADER = "x-request-id";

const validRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** The context of the request being served, if any. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` visible to every log line and outgoing call. */
export function withRequest<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * The request id to use for an incoming request: the caller's, when it is a
 * sane token (so ids chain across hops and from load balancers), else a new
 * one. Arbitrary caller strings are never trusted into logs.
 */
export function requestIdFrom(header: string | null | undefined): string {
  return header && validRequestId.test(header) ? header : randomUUID();
}
