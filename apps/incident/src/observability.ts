import { IngestAction } from "@runframe/contracts";
import type { IncidentWriter } from "@runframe/incident-domain";
import { LabelCache } from "@runframe/platform";
import { Counter, Histogram, type Registry } from "prom-client";

/**
 * incident's business metrics (docs/operations/observability.md). Labels
 * come from closed sets: never an incident, integration or organization id.
 */
export interface IncidentMetrics {
  /** `runframe_alerts_total` by action: what deduplication did with each applied alert. */
  alerts(action: IngestAction): Counter.Internal;
  /**
   * `runframe_ingest_deliveries_total` by outcome: applied, duplicate (a
   * redelivery answered with its first results, nothing applied),
   * refused (invalid for the store: an unknown service…), failed.
   */
  readonly deliveries: LabelCache<Counter.Internal>;
  /**
   * `runframe_deliveries_replayed_total` by `via` (api: ReplayDelivery;
   * redrive: the automatic redrive of throttled deliveries) and outcome
   * (applied; duplicate: applied before, answered with its results;
   * refused: not replayable, or its payload refused; failed).
   */
  readonly replays: LabelCache<Counter.Internal>;
  /** `runframe_delivery_log_purged_total`: delivery-log records the retention job deleted. */
  readonly purged: Counter;
  /** `runframe_delivery_inbox_trimmed_total`: inbox records past retention or over a cap, deleted. */
  readonly trimmed: Counter;
  /** `runframe_incident_store_unit_duration_seconds` by outcome (ok, error). */
  readonly unitDuration: LabelCache<Histogram.Internal<"outcome">>;
}

export function incidentMetrics(registry: Registry): IncidentMetrics {
  const alerts = new Counter({
    name: "runframe_alerts_total",
    help: "Alerts applied, by what deduplication did: created, updated, resolved, ignored (a resolve with nothing open).",
    labelNames: ["action"] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: "runframe_ingest_deliveries_total",
    help: "Deliveries ingested, by outcome: applied, duplicate (a redelivery answered from the delivery log), refused (invalid), failed.",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const replays = new Counter({
    name: "runframe_deliveries_replayed_total",
    help: "Stored deliveries replayed, by how (api: ReplayDelivery, redrive: automatic redrive of throttled deliveries) and outcome.",
    labelNames: ["via", "outcome"] as const,
    registers: [registry],
  });
  const purged = new Counter({
    name: "runframe_delivery_log_purged_total",
    help: "Delivery-log records deleted by the retention job (where the store has no TTL index).",
    registers: [registry],
  });
  const trimmed = new Counter({
    name: "runframe_delivery_inbox_trimmed_total",
    help: "Delivery-inbox records deleted because they were past retention or over their integration's caps.",
    registers: [registry],
  });
  const unitDuration = new Histogram({
    name: "runframe_incident_store_unit_duration_seconds",
    help: "Time of one unit of writes (a group commit of the deliveries that arrived together: claims, reads, writes, delivery log), by outcome.",
    labelNames: ["outcome"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // By action as the webhook answer names it (INGEST_ACTION_CREATED: created).
  const byAction = new Map<IngestAction, Counter.Internal>();
  return {
    alerts(action) {
      let child = byAction.get(action);
      if (child === undefined) {
        const name = action === IngestAction.UNSPECIFIED ? "IGNORED" : IngestAction[action];
        child = alerts.labels(name.toLowerCase());
        byAction.set(action, child);
      }
      return child;
    },
    deliveries: new LabelCache((outcome) => deliveries.labels(outcome)),
    replays: new LabelCache((via, outcome) => replays.labels(via, outcome)),
    purged,
    trimmed,
    unitDuration: new LabelCache((outcome) => unitDuration.labels(outcome)),
  };
}

/** The writer, each unit timed in `runframe_incident_store_unit_duration_seconds`. */
export function timedWriter(writer: IncidentWriter, metrics: IncidentMetrics): IncidentWriter {
  return {
    async unit(work) {
      const started = process.hrtime.bigint();
      let outcome = "error";
      try {
        const result = await writer.unit(work);
        outcome = "ok";
        return result;
      } finally {
        metrics.unitDuration.get(outcome).observe(Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
  };
}
