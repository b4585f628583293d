import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "@runframe/contracts";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdminHandler, sendJson, type ReadinessCheck } from "./admin.js";
import { INTERNAL_MAX_BYTES } from "./clients.js";
import { createHealthService, HealthState } from "./health.js";
import { unimplemented, withCors, type CorsOrigins } from "./http-protocols.js";
import {
  errorInterceptor,
  observabilityInterceptor,
  requestIdInterceptor,
  serviceCredentialInterceptor,
} from "./interceptors.js";
import { listenHttp1And2, type TlsFiles } from "./listener.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { registerReflection } from "./reflection.js";
import { strictJsonRouter } from "./strict-json.js";

export interface RpcServerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  /** Registers the app's services; health is added automatically. */
  readonly routes: (router: ConnectRouter) => void;
  /** The service credential, and the services that require it. */
  readonly internalToken: string;
  readonly internal: readonly (DescService | DescMethod)[];
  /** Extra interceptors run inside the standard ones (for example API keys). */
  readonly interceptors?: readonly Interceptor[];
  readonly readiness?: readonly ReadinessCheck[];
  /** How long in-flight calls may run once shutdown starts. */
  readonly shutdownGraceMs: number;
  /** Serve TLS (ALPN h2 and http/1.1) with this certificate; plaintext otherwise. */
  readonly tls?: TlsFiles | undefined;
  /** Browser origins allowed by CORS; none by default. */
  readonly corsOrigins?: CorsOrigins;
  /** Serve gRPC server reflection (v1 and v1alpha) for the app's services. */
  readonly reflection?: boolean;
}

/** A running RPC server and its admin endpoint. */
export interface RunningServer {
  readonly rpcPort: number;
  readonly adminPort: number;
  /**
   * Drains and stops: health turns NOT_SERVING, new connections and streams
   * are refused (HTTP/2 GOAWAY), in-flight calls complete within the grace
   * period, then both listeners close.
   */
  close(): Promise<void>;
}

/**
 * Serves Connect, gRPC and gRPC-Web on one port over HTTP/1.1 and HTTP/2
 * (h2c, or TLS when configured), the standard health service beside the
 * app's own, optionally gRPC reflection and CORS, and /healthz, /readyz and
 * /metrics on an HTTP/1.1 admin port.
 */
export async function startRpcServer(options: RpcServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const serviceNames: string[] = [];
  let health: HealthState | undefined;
  const handler = connectNodeAdapter({
    readMaxBytes: INTERNAL_MAX_BYTES,
    interceptors: [
      requestIdInterceptor(),
      observabilityInterceptor(options.metrics, logger),
      errorInterceptor(logger),
      serviceCredentialInterceptor(options.internalToken, options.internal),
      ...(options.interceptors ?? []),
    ],
    fallback: unimplemented,
    routes(router) {
      options.routes(strictJsonRouter(router));
      const services = [...new Set(router.handlers.map((h) => h.service))];
      serviceNames.push(...services.map((s) => s.typeName));
      health = new HealthState(serviceNames);
      router.service(Health, createHealthService(health));
      if (options.reflection) {
        registerReflection(router, [...services, Health]);
      }
    },
  });
  if (health === undefined) {
    throw new Error("connectNodeAdapter did not call routes");
  }
  const state = health;

  const admin = createAdminHandler({
    registry: options.metrics.registry,
    logger,
    checks: options.readiness ?? [],
    serving: () => state.serving,
  });
  const adminServer = createHttpServer((req, res) => {
    if (!admin(req, res)) {
      sendJson(res, 404, { error: { code: "not_found", message: "no such endpoint" } });
    }
  });

  const rpc = await listenHttp1And2(withCors(options.corsOrigins ?? [], handler), {
    host: options.host,
    port: options.port,
    tls: options.tls,
  });
  const rpcPort = rpc.port;
  const adminPort = await listen(adminServer, options.host, options.adminPort);
  logger.info(
    {
      rpcPort,
      adminPort,
      services: serviceNames,
      tls: options.tls !== undefined,
      cors: options.corsOrigins ?? [],
      reflection: options.reflection === true,
    },
    "listening",
  );

  let closing: Promise<void> | undefined;
  return {
    rpcPort,
    adminPort,
    close: () => {
      closing ??= drain();
      return closing;
    },
  };

  async function drain(): Promise<void> {
    logger.info({ connections: rpc.connections() }, "draining");
    state.drain();
    await rpc.close(options.shutdownGraceMs, () =>
      logger.warn(
        { connections: rpc.connections() },
        "grace period over; cancelling remaining calls",
      ),
    );
    await closeHttp(adminServer);
    logger.info("stopped");
  }
}

function listen(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops an HTTP/1.1 server: idle connections now, busy ones when done. */
export function closeHttp(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
