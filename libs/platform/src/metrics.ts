import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** One Prometheus registry per process with the metrics every app exports. */
export interface Metrics {
  readonly registry: Registry;
  readonly rpcDuration: Histogram<"service" | "method" | "code">;
}

/** Creates the registry with process metrics and RPC latency histograms. */
export function createMetrics(app: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  const rpcDuration = new Histogram({
    name: "rpc_server_duration_seconds",
    help: "Time to serve one RPC, by service, method and Connect code.",
    labelNames: ["service", "method", "code"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, rpcDuration };
}
