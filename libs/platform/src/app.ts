import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { ReadinessCheck } from "./admin.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { startRpcServer, type RunningServer } from "./server.js";

/** Logging and metrics for one app, created before anything else. */
export interface AppObservability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function createObservability(app: string, logLevel: string): AppObservability {
  return { logger: createLogger(app, logLevel), metrics: createMetrics(app) };
}

export interface ServeOptions extends AppObservability {
  readonly config: {
    readonly HOST: string;
    readonly PORT: number;
    readonly ADMIN_PORT: number;
    readonly RUNFRAME_INTERNAL_TOKEN: string;
    readonly RUNFRAME_SHUTDOWN_GRACE_MS: number;
  };
  readonly routes: (router: ConnectRouter) => void;
  readonly internal: readonly (DescService | DescMethod)[];
  readonly interceptors?: readonly Interceptor[];
  readonly readiness?: readonly ReadinessCheck[];
}

/** Starts an app's RPC server from its validated settings. */
export function serve(options: ServeOptions): Promise<RunningServer> {
  const { config } = options;
  return startRpcServer({
    logger: options.logger,
    metrics: options.metrics,
    host: config.HOST,
    port: config.PORT,
    adminPort: config.ADMIN_PORT,
    internalToken: config.RUNFRAME_INTERNAL_TOKEN,
    shutdownGraceMs: config.RUNFRAME_SHUTDOWN_GRACE_MS,
    routes: options.routes,
    internal: options.internal,
    ...(options.interceptors && { interceptors: options.interceptors }),
    ...(options.readiness && { readiness: options.readiness }),
  });
}
