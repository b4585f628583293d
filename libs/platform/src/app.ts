import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import type { ReadinessCheck } from "./admin.js";
import { ConfigError } from "./config.js";
import type { TlsFiles } from "./listener.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { startRpcServer, type RunningServer } from "./server.js";
import { startTracing, type TracingSettings } from "./tracing.js";

/** Logging and metrics for one app, created before anything else. */
export interface AppObservability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The app's logger and metrics registry, and its tracer when the settings
 * name an OTLP endpoint (tracing.ts; runMain stops it after the app).
 */
export async function createObservability(
  app: string,
  settings: TracingSettings & { readonly LOG_LEVEL: string },
): Promise<AppObservability> {
  const logger = createLogger(app, settings.LOG_LEVEL);
  await startTracing(settings, app, logger);
  return { logger, metrics: createMetrics(app) };
}

export interface ServeOptions extends AppObservability {
  readonly config: {
    readonly HOST: string;
    readonly PORT: number;
    readonly ADMIN_PORT: number;
    readonly RUNFRAME_INTERNAL_TOKEN: string;
    readonly RUNFRAME_SHUTDOWN_GRACE_MS: number;
    readonly RUNFRAME_TLS_CERT_FILE?: string | undefined;
    readonly RUNFRAME_TLS_KEY_FILE?: string | undefined;
    readonly RUNFRAME_CORS_ORIGINS?: readonly string[];
  };
  readonly routes: (router: ConnectRouter) => void;
  readonly internal: readonly (DescService | DescMethod)[];
  readonly interceptors?: readonly Interceptor[];
  readonly readiness?: readonly ReadinessCheck[];
  /** Serve gRPC server reflection (the team-API apps do). */
  readonly reflection?: boolean;
}

/** Starts an app's RPC server from its validated settings. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { config } = options;
  const tls = await loadTls(config.RUNFRAME_TLS_CERT_FILE, config.RUNFRAME_TLS_KEY_FILE);
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
    tls,
    corsOrigins: config.RUNFRAME_CORS_ORIGINS ?? [],
    reflection: options.reflection === true,
  });
}

/** The TLS certificate and key, both or neither; a ConfigError names what is wrong. */
async function loadTls(
  certFile: string | undefined,
  keyFile: string | undefined,
): Promise<TlsFiles | undefined> {
  if (certFile === undefined && keyFile === undefined) {
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError([
      "RUNFRAME_TLS_CERT_FILE and RUNFRAME_TLS_KEY_FILE must be set together (or neither)",
    ]);
  }
  const problems: string[] = [];
  const read = (name: string, file: string) =>
    readFile(file).catch((error: unknown) => {
      problems.push(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
      return Buffer.alloc(0);
    });
  const [cert, key] = await Promise.all([
    read("RUNFRAME_TLS_CERT_FILE", certFile),
    read("RUNFRAME_TLS_KEY_FILE", keyFile),
  ]);
  if (problems.length === 0) {
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      problems.push(
        `RUNFRAME_TLS_CERT_FILE/RUNFRAME_TLS_KEY_FILE: not a usable certificate and key (${(error as Error).message})`,
      );
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return { cert, key };
}
