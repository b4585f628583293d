import { create, type DescMethod } from "@bufbuild/protobuf";
import { anyPack, AnySchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { StatusSchema, type Status } from "@runframe/contracts";
import { Batcher, ValidationError } from "@runframe/util";
import { currentRequest, requestIdFrom, withRequest } from "./context.js";
import { codeName } from "./errors.js";
import { publicError, rpcAttributes } from "./interceptors.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { activeTracer, type Span } from "./tracing.js";

/**
 * Batch RPCs (AuthenticateBatch, NormalizeBatch, IngestBatch) carry many
 * items of the single-item RPC in one call. Each item is answered as the
 * single call would have answered it: its response, or its error as a
 * `google.rpc.Status` with the same code, message and details, which the
 * caller turns back into the same ConnectError. So a caller cannot tell a
 * batched call from a single one, and items never fail because of each
 * other.
 */

/** One item's outcome on the wire: the `oneof outcome` of every batch result. */
export type BatchOutcome<R> =
  | { readonly case: "response"; readonly value: R }
  | { readonly case: "error"; readonly value: Status };

/** The most items one batch call may carry. */
export const MAX_BATCH_ITEMS = 1000;

/**
 * The most payload bytes one batch call carries (see batchedCall's `weigh`):
 * a quarter of INTERNAL_MAX_BYTES, leaving room for the answer to be larger
 * than the request. A single larger request goes alone.
 */
export const BATCH_MAX_BYTES = 1024 * 1024;

/** Where a batch RPC's items are accounted: as calls of the single-item method. */
export interface BatchContext {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The single-item method the batch stands for, for example NormalizerService/Normalize. */
  readonly method: DescMethod;
}

/**
 * Runs `handle` for every item at once and settles each into its outcome.
 * Each item runs in its own request context (its request id in every log
 * line and onward call) and is measured and logged as one call of the
 * single-item method, so dashboards and logs read the same whether senders
 * were batched or not. While tracing is on, each item is also a server
 * span of that method, the child of the item's own `traceparent`: one
 * batch call continues as many traces as it carries items.
 */
export async function settleBatch<Req, Res>(
  batch: {
    readonly requests: readonly Req[];
    readonly requestIds: readonly string[];
    readonly traceparents?: readonly string[];
  },
  handle: (request: Req) => Promise<Res>,
  context: BatchContext,
): Promise<{ outcome: BatchOutcome<Res> }[]> {
  const { requests, requestIds, traceparents = [] } = batch;
  if (requests.length > MAX_BATCH_ITEMS) {
    throw new ValidationError([
      { field: "requests", description: `must hold at most ${MAX_BATCH_ITEMS} items` },
    ]);
  }
  const service = context.method.parent.typeName;
  const method = context.method.name;
  const rpc = `${service}/${method}`;
  const tracer = activeTracer();
  return Promise.all(
    requests.map((request, i) => {
      const requestId = requestIdFrom(requestIds[i]);
      const span = tracer?.start(
        rpc,
        "server",
        traceparents[i] || undefined,
        rpcAttributes(context.method, requestId),
      );
      return withRequest({ requestId, span }, async () => {
        const started = process.hrtime.bigint();
        let code = "ok";
        try {
          return { outcome: { case: "response" as const, value: await handle(request) } };
        } catch (error) {
          const failure = publicError(error, context.logger, rpc);
          code = codeName(failure.code);
          span?.fail(code);
          context.logger.debug({ rpc, code, err: failure.cause ?? failure }, "rpc failed");
          return { outcome: { case: "error" as const, value: toStatus(failure) } };
        } finally {
          span?.end();
          context.metrics.rpcDurationOf
            .get(service, method, code)
            .observe(Number(process.hrtime.bigint() - started) / 1e9);
        }
      });
    }),
  );
}

/** A ConnectError as a google.rpc.Status, details packed as Any. */
export function toStatus(error: ConnectError): Status {
  return create(StatusSchema, {
    code: error.code,
    message: error.rawMessage,
    details: error.details.map((detail) =>
      "desc" in detail
        ? anyPack(detail.desc, create(detail.desc, detail.value))
        : create(AnySchema, {
            typeUrl: `type.googleapis.com/${detail.type}`,
            value: detail.value,
          }),
    ),
  });
}

/** The ConnectError a google.rpc.Status describes, details readable with `findDetails`. */
export function fromStatus(status: Status): ConnectError {
  const error = new ConnectError(status.message, status.code in Code ? status.code : Code.Unknown);
  // As Connect itself reads details off the wire: by type name, decoded on demand.
  error.details.push(
    ...status.details.map((any) => ({
      type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1),
      value: any.value,
    })),
  );
  return error;
}

/**
 * A request with the deadline its caller allows it, its request id and,
 * while tracing is on, the client span that stands for it.
 */
interface Deadlined<Req> {
  readonly request: Req;
  readonly deadline: number;
  readonly requestId: string;
  readonly span?: Span | undefined;
}

/**
 * A single-item call made of a batch RPC: calls made while `concurrency`
 * batches are in flight go together in the next one (see Batcher). The batch
 * runs until the latest deadline among its items (they arrive within
 * milliseconds of each other). A service that does not have the batch RPC
 * yet (an older replica during a rolling upgrade answers UNIMPLEMENTED) gets
 * single calls for a minute, then the batch RPC is tried again.
 *
 * While tracing is on, each call is a client span of `method` (the
 * single-item method the batch stands for), the child of the caller's
 * span, and travels as the item's `traceparent`, so every item continues
 * its own trace whichever batch carries it.
 */
export function batchedCall<Req, Res>(
  sendBatch: (
    batch: { requests: Req[]; requestIds: string[]; traceparents: string[] },
    options: { timeoutMs: number },
  ) => Promise<{ results: { outcome: BatchOutcome<Res> | { case: undefined } }[] }>,
  sendOne: (request: Req, options: { timeoutMs: number }) => Promise<Res>,
  options: {
    readonly method: DescMethod;
    readonly maxBatch?: number;
    /**
     * Batches in flight at once (1 by default); give a client of a
     * balanced service `oneBatchPerReplica(transport)`. Each further batch
     * in flight splits the same load into smaller batches, and every batch
     * has a fixed cost at both ends: with 4 in flight instead of one to a
     * single replica, the webhook path measured 1,175 against 1,468
     * webhooks/s at 64 connections and 523 against 805 at 16, and p99 at a
     * constant 1,000/s went from 72 to 196 ms (tools/bench/throughput.ts).
     */
    readonly concurrency?: number | (() => number);
    /**
     * About how many bytes a request is on the wire (its bodies): a batch
     * holds at most BATCH_MAX_BYTES of them, so that it stays well within
     * INTERNAL_MAX_BYTES, and so does its answer.
     */
    readonly weigh?: (request: Req) => number;
  },
): (request: Req, options: { timeoutMs: number }) => Promise<Res> {
  const { weigh } = options;
  let singleUntil = 0;
  const batcher = new Batcher<Deadlined<Req>, Res>(
    async (items) => {
      const deadline = Math.max(...items.map((item) => item.deadline));
      const timeoutMs = Math.max(1, deadline - Date.now());
      const oneByOne = () =>
        Promise.all(
          items.map((item) =>
            withRequest({ requestId: requestIdFrom(item.requestId), span: item.span }, () =>
              sendOne(item.request, { timeoutMs }),
            ).catch((error: unknown) => ConnectError.from(error)),
          ),
        );
      if (Date.now() < singleUntil) {
        return oneByOne();
      }
      let results;
      try {
        ({ results } = await sendBatch(
          {
            requests: items.map((item) => item.request),
            requestIds: items.map((item) => item.requestId),
            traceparents: activeTracer() ? items.map((item) => item.span?.traceparent ?? "") : [],
          },
          { timeoutMs },
        ));
      } catch (error) {
        if (ConnectError.from(error).code !== Code.Unimplemented) {
          throw error;
        }
        singleUntil = Date.now() + 60_000;
        return oneByOne();
      }
      return items.map((_, i) => {
        const outcome = results[i]?.outcome;
        if (outcome?.case === "response") {
          return outcome.value;
        }
        return outcome?.case === "error"
          ? fromStatus(outcome.value)
          : new ConnectError("the batch answer lacks this item", Code.Internal);
      });
    },
    {
      maxBatch: Math.min(options.maxBatch ?? 256, MAX_BATCH_ITEMS),
      concurrency: options.concurrency ?? 1,
      ...(weigh && {
        weigh: (item: Deadlined<Req>) => weigh(item.request),
        maxWeight: BATCH_MAX_BYTES,
      }),
    },
  );
  const rpc = `${options.method.parent.typeName}/${options.method.name}`;
  return (request, { timeoutMs }) => {
    const caller = currentRequest();
    const deadline = Date.now() + timeoutMs;
    const requestId = caller?.requestId ?? "";
    if (caller?.span === undefined) {
      return batcher.submit({ request, deadline, requestId });
    }
    const span = activeTracer()?.start(
      rpc,
      "client",
      caller.span,
      rpcAttributes(options.method, requestId),
    );
    return batcher.submit({ request, deadline, requestId, span }).then(
      (response) => {
        span?.end();
        return response;
      },
      (error: unknown) => {
        span?.fail(codeName(ConnectError.from(error).code));
        span?.end();
        throw error;
      },
    );
  };
}
