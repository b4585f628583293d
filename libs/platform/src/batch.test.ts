import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import {
  AuthService,
  BadRequestSchema,
  ErrorInfoSchema,
  type AuthenticateRequest,
  type AuthenticateResponse,
} from "@runframe/contracts";
import { ResourceExhaustedError, UnauthenticatedError, ValidationError } from "@runframe/util";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { BATCH_MAX_BYTES, batchedCall, settleBatch } from "./batch.js";
import { retryAfterSeconds } from "./errors.js";
import { withRequest } from "./context.js";
import { errorInterceptor, internalCallInterceptor, requestIdInterceptor } from "./interceptors.js";
import { createMetrics } from "./metrics.js";
import { RecordingTracer } from "./testing/tracing.js";

const logger = pino({ level: "silent" });

/** An Authenticate that answers or refuses by routing key, like the real one would. */
async function authenticate(req: AuthenticateRequest) {
  switch (req.routingKey) {
    case "bad-field":
      throw new ValidationError([{ field: "body", description: "must be JSON" }]);
    case "limited":
      throw new ResourceExhaustedError("rate limit exceeded", 7, {
        limit: 100,
        remaining: 0,
        resetAt: new Date(1_000_000),
      });
    case "unknown":
      throw new UnauthenticatedError("unknown routing key", { reason: "ROUTING_KEY_INVALID" });
    case "bug":
      throw new Error("a bug with a secret inside");
    default:
      return { deliveryKey: `delivery-of-${req.routingKey}` };
  }
}

function clients(
  batchCalls: { count: number; sizes?: number[]; traceparents?: string[] },
  implementBatch = true,
  weigh?: (request: { routingKey: string; body?: Uint8Array }) => number,
) {
  const transport = createRouterTransport(
    (router) =>
      router.service(AuthService, {
        authenticate,
        ...(implementBatch && {
          authenticateBatch: async (req) => {
            batchCalls.count++;
            batchCalls.sizes?.push(req.requests.length);
            batchCalls.traceparents = req.traceparents;
            return {
              results: await settleBatch(req, authenticate, {
                logger,
                metrics: createMetrics("test"),
                method: AuthService.method.authenticate,
              }),
            };
          },
        }),
      }),
    {
      router: { interceptors: [requestIdInterceptor(), errorInterceptor(logger)] },
      transport: { interceptors: [internalCallInterceptor("t".repeat(40))] },
    },
  );
  const client = createClient(AuthService, transport);
  return {
    unary: (routingKey: string) => client.authenticate({ routingKey }),
    batched: batchedCall<{ routingKey: string; body?: Uint8Array }, AuthenticateResponse>(
      (batch, options) => client.authenticateBatch(batch, options),
      (request, options) => client.authenticate(request, options),
      { method: AuthService.method.authenticate, ...(weigh && { weigh }) },
    ),
  };
}

const keys = ["ok-1", "bad-field", "limited", "unknown", "bug", "ok-2"];

describe("batched calls", () => {
  it("answers every item exactly as the single call would, details included, in one batch", async () => {
    const calls = { count: 0 };
    const { unary, batched } = clients(calls);
    const settle = (p: Promise<unknown>) =>
      p.then(
        (value) => ({ value }),
        (error: unknown) => {
          const err = ConnectError.from(error);
          return {
            code: err.code,
            message: err.rawMessage,
            fields: err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations),
            reason: err.findDetails(ErrorInfoSchema)[0]?.reason,
            retryAfter: retryAfterSeconds(err),
          };
        },
      );
    const viaBatch = await Promise.all(
      keys.map((routingKey) => settle(batched({ routingKey }, { timeoutMs: 5_000 }))),
    );
    const single = await Promise.all(keys.map((key) => settle(unary(key))));
    expect(calls.count).toBe(1);
    expect(JSON.stringify(viaBatch)).toBe(JSON.stringify(single));
    expect(viaBatch[1]).toMatchObject({ code: Code.InvalidArgument, fields: [{ field: "body" }] });
    expect(viaBatch[2]).toMatchObject({ code: Code.ResourceExhausted, retryAfter: 7 });
    expect(viaBatch[3]).toMatchObject({ reason: "ROUTING_KEY_INVALID" });
    expect(viaBatch[4]).toMatchObject({ code: Code.Internal, message: "internal error" });
  });

  it("keeps a batch's bodies within BATCH_MAX_BYTES, a larger body going alone", async () => {
    const calls = { count: 0, sizes: [] as number[] };
    const { batched } = clients(calls, true, (request) => request.body?.length ?? 0);
    const sizes = [0.4, 0.4, 0.4, 1.5, 0.1].map((mib) => Math.floor(mib * BATCH_MAX_BYTES));
    const answers = await Promise.all(
      sizes.map((size, i) =>
        batched({ routingKey: `ok-${i}`, body: new Uint8Array(size) }, { timeoutMs: 5_000 }),
      ),
    );
    expect(answers).toHaveLength(5);
    expect(calls.sizes).toEqual([2, 1, 1, 1]);
  });

  it("falls back to single calls where the service has no batch RPC (a rolling upgrade)", async () => {
    const calls = { count: 0 };
    const { batched } = clients(calls, false);
    const answers = await Promise.all(
      ["a", "b"].map((routingKey) => batched({ routingKey }, { timeoutMs: 5_000 })),
    );
    expect(answers.map((a) => a.deliveryKey)).toEqual(["delivery-of-a", "delivery-of-b"]);
  });
});

describe("batched calls, traced", () => {
  /**
   * Sends each key as its own webhook (a root span and a request id of its
   * own) through `batched`, all at once, and returns what each settled to.
   */
  async function webhooks(
    tracer: RecordingTracer,
    batched: ReturnType<typeof clients>["batched"],
    keys: readonly string[],
  ) {
    const roots = keys.map((key) => tracer.start(`webhook ${key}`, "server", undefined));
    await Promise.all(
      keys.map((routingKey, i) =>
        withRequest({ requestId: `req-${routingKey}`, span: roots[i] }, () =>
          batched({ routingKey }, { timeoutMs: 5_000 }).catch(() => undefined),
        ),
      ),
    );
    return roots;
  }

  /** Each webhook's chain: its root, the client span under it, the server span under that. */
  function expectChains(tracer: RecordingTracer, keys: readonly string[]) {
    const method = "runframe.auth.v1.AuthService/Authenticate";
    for (const key of keys) {
      const [root] = tracer.named(`webhook ${key}`);
      const client = tracer.named(method).find((s) => s.parentSpanId === root!.spanId);
      expect(client, key).toMatchObject({ kind: "client", traceId: root!.traceId, ended: true });
      const server = tracer.named(method).filter((s) => s.parentSpanId === client!.spanId);
      expect(server, key).toHaveLength(1);
      expect(server[0]).toMatchObject({
        kind: "server",
        traceId: root!.traceId,
        ended: true,
        attributes: { "rpc.method": "Authenticate", "runframe.request_id": `req-${key}` },
      });
      if (key === "unknown") {
        expect(client!.failed).toBe("unauthenticated");
        expect(server[0]!.failed).toBe("unauthenticated");
      }
    }
    expect(tracer.spans.filter((s) => s.name.endsWith("Batch"))).toEqual([]);
  }

  it("continues every item's own trace through one batch RPC", async () => {
    const tracer = new RecordingTracer().install();
    try {
      const calls: { count: number; traceparents?: string[] } = { count: 0 };
      const keys = ["ok-1", "unknown", "ok-2"];
      await webhooks(tracer, clients(calls).batched, keys);
      expect(calls.count).toBe(1);
      expect(calls.traceparents).toHaveLength(3);
      expectChains(tracer, keys);
    } finally {
      tracer.uninstall();
    }
  });

  it("continues them through single calls where the service has no batch RPC", async () => {
    const tracer = new RecordingTracer().install();
    try {
      const keys = ["ok-1", "unknown"];
      await webhooks(tracer, clients({ count: 0 }, false).batched, keys);
      expectChains(tracer, keys);
    } finally {
      tracer.uninstall();
    }
  });

  it("sends no trace context while tracing is off", async () => {
    const calls: { count: number; traceparents?: string[] } = { count: 0 };
    const { batched } = clients(calls);
    await withRequest({ requestId: "req-1" }, () =>
      batched({ routingKey: "ok-1" }, { timeoutMs: 5_000 }),
    );
    expect(calls.traceparents).toEqual([]);
  });
});
