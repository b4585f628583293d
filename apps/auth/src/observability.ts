import type {
  AuthEvents,
  DeliveryCount,
  RateLimitDecision,
  RateLimiter,
} from "@runframe/auth-domain";
import { activeTracer, currentRequest, LabelCache } from "@runframe/platform";
import { providerOf } from "@runframe/providers";
import { Counter, Histogram, type Registry } from "prom-client";

/**
 * auth's business metrics: refusals and throttles by integration type and
 * reason (docs/operations/observability.md). An unknown routing key counts
 * under integration type `unknown`.
 */
export function authMetrics(registry: Registry): AuthEvents {
  const refusals = new Counter({
    name: "runframe_auth_refusals_total",
    help: "Deliveries refused for their credentials (401/403): unknown or disabled routing key, bad signature or timestamp, SNS topic or certificate refused; by integration type and reason.",
    labelNames: ["integration_type", "reason"] as const,
    registers: [registry],
  });
  const throttles = new Counter({
    name: "runframe_auth_throttles_total",
    help: "Deliveries answered 429, by integration type and reason: quota (the key's limit), repeats (one delivery sent again too often), failed_attempts (too many refused attempts), dry_runs (too many dry runs).",
    labelNames: ["integration_type", "reason"] as const,
    registers: [registry],
  });
  const refusalsOf = new LabelCache((type, reason) => refusals.labels(type, reason));
  const throttlesOf = new LabelCache((type, reason) => throttles.labels(type, reason));
  const name = (type: Parameters<AuthEvents["refused"]>[0]) =>
    (type === undefined ? undefined : providerOf(type)?.name) ?? "unknown";
  return {
    refused: (type, reason) =>
      refusalsOf.get(name(type), reason.toLowerCase().replaceAll("-", "_")).inc(),
    throttled: (type, reason) => throttlesOf.get(name(type), reason).inc(),
  };
}

/**
 * The rate limiter, timed: `runframe_auth_limiter_duration_seconds` by
 * operation and outcome (allowed, refused, error), and a client span per
 * call while tracing is on. `system` names the backend (redis, memory).
 */
export function instrumentLimiter(
  limiter: RateLimiter,
  registry: Registry,
  system: string,
): RateLimiter {
  const duration = new Histogram({
    name: "runframe_auth_limiter_duration_seconds",
    help: "Time of one rate-limiter call (Redis or memory), by operation (consume: a count of refused attempts, consume_delivery: a delivery against its key's quota) and outcome (allowed, refused, error).",
    labelNames: ["operation", "outcome"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const durationOf = new LabelCache((operation, outcome) => duration.labels(operation, outcome));
  const timed = async <D extends RateLimitDecision>(
    operation: string,
    call: () => Promise<D>,
  ): Promise<D> => {
    const parent = currentRequest()?.span;
    const span =
      parent &&
      activeTracer()?.start(`ratelimit ${operation}`, "client", parent, { "db.system": system });
    const started = process.hrtime.bigint();
    let outcome = "error";
    try {
      const decision = await call();
      outcome = decision.allowed ? "allowed" : "refused";
      return decision;
    } finally {
      durationOf.get(operation, outcome).observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (span !== undefined) {
        if (outcome === "error") {
          span.fail("error");
        }
        span.end();
      }
    }
  };
  return {
    consume: (key, limit, windowMs) =>
      timed("consume", () => limiter.consume(key, limit, windowMs)),
    consumeDelivery: (count: DeliveryCount) =>
      timed("consume_delivery", () => limiter.consumeDelivery(count)),
  };
}
