import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** One Prometheus registry per process with the metrics every app exports. */
export interface Metrics {
  readonly registry: Registry;
  readonly rpcDuration: Histogram<"service" | "method" | "code">;
  /** rpcDuration's children by service, method and code (see LabelCache). */
  readonly rpcDurationOf: LabelCache<Histogram.Internal<"service" | "method" | "code">>;
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
  return {
    registry,
    rpcDuration,
    rpcDurationOf: new LabelCache((service, method, code) =>
      rpcDuration.labels(service, method, code),
    ),
  };
}

/**
 * The children of a labelled metric (`metric.labels(a, b, c)`), made once
 * per set of label values and found again without allocating: prom-client
 * otherwise builds and hashes a label object on every observation, which
 * the webhook path does several times per webhook. Label values must come
 * from closed sets (types, outcomes, reasons), never from ids.
 */
export class LabelCache<C> {
  readonly #children = new Map<string, Map<string, Map<string, C>>>();

  constructor(private readonly make: (a: string, b: string, c: string) => C) {}

  /** The child for these label values; metrics with fewer labels leave the rest out. */
  get(a: string, b = "", c = ""): C {
    let byA = this.#children.get(a);
    if (byA === undefined) {
      byA = new Map();
      this.#children.set(a, byA);
    }
    let byB = byA.get(b);
    if (byB === undefined) {
      byB = new Map();
      byA.set(b, byB);
    }
    let child = byB.get(c);
    if (child === undefined) {
      child = this.make(a, b, c);
      byB.set(c, child);
    }
    return child;
  }
}
