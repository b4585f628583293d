import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  type Http2SessionManager,
} from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "@runframe/contracts";
import {
  BalancedSessionManager,
  wasRefusedUnprocessed,
  type BalancedEndpoint,
  type BalancerOptions,
  type EndpointStatus,
} from "./balancer.js";
import { internalCallInterceptor } from "./interceptors.js";

/** Largest message accepted between services (a 1 MiB webhook plus its envelope). */
export const INTERNAL_MAX_BYTES = 4 * 1024 * 1024;

/** How long one replica's health check may take before it counts as failed. */
const PROBE_TIMEOUT_MS = 1_500;

/** How many times a unary call is sent in all when servers refuse it unprocessed. */
const MAX_ATTEMPTS = 3;

/** The wire protocol for calls between Runframe services. */
export type RpcProtocol = "connect" | "grpc";

export interface InternalTransportOptions {
  /**
   * Where the service is: one URL or a comma-separated list, each host a
   * name (every address it resolves to is a replica) or an IP address.
   */
  readonly baseUrl: string;
  readonly token: string;
  /**
   * Connect (binary protobuf over h2) is the default: on these machines it
   * serves about twice the calls per second of gRPC for unary RPCs. gRPC is
   * there for parity with non-Node peers.
   */
  readonly protocol?: RpcProtocol;
  /** Resolution, ejection and probing settings; the defaults suit production. */
  readonly balancing?: Omit<BalancerOptions, "urls" | "probe" | "session">;
}

/** A transport that balances over every replica of one service. */
export interface InternalTransport extends Transport {
  /**
   * Checks every replica's `grpc.health.v1` status now. Resolves when at
   * least one serves; rejects, naming each replica's problem, when none does.
   */
  ready(): Promise<void>;
  /** Every replica known and whether it is in rotation. */
  endpoints(): EndpointStatus[];
  /** How many replicas are in rotation now. */
  healthyCount(): number;
  /** Closes every connection and stops resolving and probing. */
  close(): void;
}

/**
 * A transport to another Runframe service over h2c that presents the service
 * credential and forwards the request id. It keeps one HTTP/2 session per
 * replica and spreads calls over them round-robin (see
 * BalancedSessionManager for resolution, ejection and retries). HTTP/2
 * sessions live long, so balancing has to happen here: a Kubernetes Service
 * or a TCP load balancer would pin every call of a client to one replica.
 */
export function createInternalTransport(options: InternalTransportOptions): InternalTransport {
  const make = (
    baseUrl: string,
    sessionManager: Http2SessionManager,
    interceptors: Interceptor[],
  ) => {
    const common = {
      baseUrl,
      httpVersion: "2" as const,
      sessionManager,
      useBinaryFormat: true,
      interceptors,
      // Answers are bounded like requests: a runaway response is refused, not buffered.
      readMaxBytes: INTERNAL_MAX_BYTES,
      // No compression between services on one network: it cost every app a
      // few percent of its CPU (gzip of batch answers) and saves nothing here.
      acceptCompression: [],
    };
    return options.protocol === "grpc"
      ? createGrpcTransport(common)
      : createConnectTransport(common);
  };
  const probes = new WeakMap<BalancedEndpoint, Client<typeof Health>>();
  const balancer = new BalancedSessionManager({
    ...options.balancing,
    urls: options.baseUrl,
    // A connection idle for 30 s is checked with a PING before its next call;
    // 5 s without an answer (rather than connect-node's 15 s) and the call
    // moves to a fresh connection or, failing that, another replica.
    session: { pingIntervalMs: 30_000, pingTimeoutMs: 5_000 },
    // A replica is in rotation while its own health service says SERVING:
    // a draining replica says NOT_SERVING before it stops accepting calls.
    async probe(endpoint) {
      let health = probes.get(endpoint);
      if (health === undefined) {
        health = createClient(Health, make(endpoint.url.href, endpoint.manager, []));
        probes.set(endpoint, health);
      }
      const { status } = await health.check({}, { timeoutMs: PROBE_TIMEOUT_MS });
      if (status !== ServingStatus.SERVING) {
        throw new Error(`health is ${ServingStatus[status]}`);
      }
    },
  });
  const transport = make(balancer.baseUrl, balancer, [
    retryRefusedStreams(),
    internalCallInterceptor(options.token),
  ]);
  return Object.assign(transport, {
    async ready() {
      const replicas = await balancer.checkHealth();
      if (!replicas.some((r) => r.healthy)) {
        const problems = replicas.map((r) => `${r.address}: ${r.reason ?? "unknown"}`);
        throw new Error(
          `no replica serving (${problems.length > 0 ? problems.join("; ") : "no address resolved"})`,
        );
      }
    },
    endpoints: () => balancer.endpoints(),
    healthyCount: () => balancer.healthyCount(),
    close: () => balancer.close(),
  });
}

/** A typed client for `service` at `baseUrl` with the service credential. */
export function createInternalClient<S extends DescService>(
  service: S,
  options: InternalTransportOptions,
): Client<S> {
  return createClient(service, createInternalTransport(options));
}

/**
 * Sends a unary call again when a server refused its stream unprocessed
 * (REFUSED_STREAM, or a GOAWAY that cut it off while the server drained):
 * the protocol guarantees the first attempt had no effect. The balancer then
 * places the retry on a fresh connection. Any other failure is the caller's,
 * because the call may have been processed.
 */
function retryRefusedStreams(): Interceptor {
  return (next) => async (req) => {
    if (req.stream) {
      return next(req);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || req.signal.aborted || !wasRefusedUnprocessed(error)) {
          throw error;
        }
      }
    }
  };
}
