import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { internalCallInterceptor } from "./interceptors.js";

/** Largest message accepted between services (a 1 MiB webhook plus its envelope). */
export const INTERNAL_MAX_BYTES = 4 * 1024 * 1024;

/** The wire protocol for calls between Runframe services. */
export type RpcProtocol = "connect" | "grpc";

export interface InternalTransportOptions {
  readonly baseUrl: string;
  readonly token: string;
  /**
   * Connect (binary protobuf over h2) is the default: on these machines it
   * serves about twice the calls per second of gRPC for unary RPCs. gRPC is
   * there for parity with non-Node peers.
   */
  readonly protocol?: RpcProtocol;
}

/**
 * A transport to another Runframe service over h2c that presents the service
 * credential and forwards the request id. It keeps one HTTP/2 session per
 * target, reused by every call.
 */
export function createInternalTransport(options: InternalTransportOptions): Transport {
  const common = {
    baseUrl: options.baseUrl,
    httpVersion: "2" as const,
    useBinaryFormat: true,
    interceptors: [internalCallInterceptor(options.token)],
    pingIntervalMs: 30_000,
    // Answers are bounded like requests: a runaway response is refused, not buffered.
    readMaxBytes: INTERNAL_MAX_BYTES,
  };
  return options.protocol === "grpc" ? createGrpcTransport(common) : createConnectTransport(common);
}

/** A typed client for `service` at `baseUrl` with the service credential. */
export function createInternalClient<S extends DescService>(
  service: S,
  options: InternalTransportOptions,
): Client<S> {
  return createClient(service, createInternalTransport(options));
}
