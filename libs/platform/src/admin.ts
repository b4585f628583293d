import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { Logger } from "./logger.js";

/** One dependency the process needs to serve, checked by /readyz. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency answers; rejects or times out otherwise. */
  check(): Promise<void>;
  /**
   * A dependency only some work needs (one provider's normalizer): when it
   * fails, /readyz still answers 200 and lists it under `degraded`, because
   * taking the process out of rotation would stop the work that still works.
   */
  readonly optional?: boolean;
}

export interface AdminOptions {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly checks: readonly ReadinessCheck[];
  /** False once the process is draining; /readyz then answers 503. */
  readonly serving: () => boolean;
  /** How long one readiness check may take before it counts as failed. */
  readonly checkTimeoutMs?: number;
}

/**
 * Serves the operator endpoints over HTTP/1.1, which is what Kubernetes
 * probes and Prometheus speak:
 * - `/healthz`: the process is alive (its event loop answers).
 * - `/readyz`: it can serve now: not draining, and every required dependency
 *   answers (optional ones that fail are listed as `degraded`).
 * - `/metrics`: Prometheus text format.
 * Returns undefined for any other path so the caller can route it.
 */
export function createAdminHandler(
  options: AdminOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      return false;
    }
    switch (path) {
      case "/healthz":
        sendJson(res, 200, { status: "ok" });
        return true;
      case "/readyz":
        void readiness(options, timeoutMs).then(({ ready, failing, degraded }) => {
          sendJson(res, ready ? 200 : 503, {
            status: ready ? "ready" : "not ready",
            ...(failing.length > 0 && { failing }),
            ...(degraded.length > 0 && { degraded }),
          });
        });
        return true;
      case "/metrics":
        options.registry.metrics().then(
          (text) => {
            res.writeHead(200, { "content-type": options.registry.contentType });
            res.end(text);
          },
          (error: unknown) => {
            options.logger.error({ err: error }, "collecting metrics failed");
            sendJson(res, 500, { status: "error" });
          },
        );
        return true;
      default:
        return false;
    }
  };
}

async function readiness(
  options: AdminOptions,
  timeoutMs: number,
): Promise<{ ready: boolean; failing: string[]; degraded: string[] }> {
  if (!options.serving()) {
    return { ready: false, failing: ["draining"], degraded: [] };
  }
  const results = await Promise.allSettled(
    options.checks.map((c) => withTimeout(c.check(), timeoutMs, c.name)),
  );
  const failing: string[] = [];
  const degraded: string[] = [];
  results.forEach((result, i) => {
    if (result.status === "rejected") {
      const check = options.checks[i];
      const name = check?.name ?? "unknown";
      (check?.optional ? degraded : failing).push(name);
      options.logger.debug(
        { check: name, err: result.reason as unknown },
        "readiness check failed",
      );
    }
  });
  return { ready: failing.length === 0, failing, degraded };
}

async function withTimeout(promise: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes a small JSON response. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}
