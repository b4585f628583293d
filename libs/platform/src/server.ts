import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "@runframe/contracts";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import {
  createServer as createH2Server,
  type Http2Server,
  type ServerHttp2Session,
} from "node:http2";
import type { AddressInfo } from "node:net";
import { createAdminHandler, sendJson, type ReadinessCheck } from "./admin.js";
import { INTERNAL_MAX_BYTES } from "./clients.js";
import { createHealthService, HealthState } from "./health.js";
import {
  errorInterceptor,
  observabilityInterceptor,
  requestIdInterceptor,
  serviceCredentialInterceptor,
} from "./interceptors.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

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
 * Serves Connect, gRPC and gRPC-Web on one h2c port, the standard health
 * service beside the app's own, and /healthz, /readyz and /metrics on an
 * HTTP/1.1 admin port.
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
    routes(router) {
      options.routes(router);
      serviceNames.push(...new Set(router.handlers.map((h) => h.service.typeName)));
      health = new HealthState(serviceNames);
      router.service(Health, createHealthService(health));
    },
  });
  if (health === undefined) {
    throw new Error("connectNodeAdapter did not call routes");
  }
  const state = health;

  const rpc = createH2Server(handler);
  const sessions = new Set<ServerHttp2Session>();
  rpc.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

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

  const rpcPort = await listen(rpc, options.host, options.port);
  const adminPort = await listen(adminServer, options.host, options.adminPort);
  logger.info({ rpcPort, adminPort, services: serviceNames }, "listening");

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
    logger.info({ inFlightSessions: sessions.size }, "draining");
    state.drain();
    const closed = new Promise<void>((resolve) => rpc.close(() => resolve()));
    for (const session of sessions) {
      session.close();
    }
    const timer = setTimeout(() => {
      logger.warn({ sessions: sessions.size }, "grace period over; cancelling remaining calls");
      for (const session of sessions) {
        session.destroy();
      }
    }, options.shutdownGraceMs);
    await closed;
    clearTimeout(timer);
    await closeHttp(adminServer);
    logger.info("stopped");
  }
}

function listen(server: HttpServer | Http2Server, host: string, port: number): Promise<number> {
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
