import { AlertAction, IncidentStatus, IngestAction } from "@runframe/contracts";
import type { InboxRecord } from "./inbox.js";
import { acknowledge, holdResolve, markFlapping, open, occur, resolve } from "./lifecycle.js";
import type { AlertSnapshot, DedupScope, StoredResult } from "./model.js";
import type { DeliveryClaim, DeliveryRecord, IncidentWriter, WriteUnit } from "./ports.js";
import type { IncidentTimer } from "./schedules.js";

/** One alert as the incident service ingests it: what it says, and where it goes. */
export interface AlertInput extends AlertSnapshot {
  readonly action: AlertAction;
  readonly serviceId: string;
  readonly dedupKey: string;
  /** The status a new incident opens in (new, investigating or resolved). */
  readonly status: IncidentStatus;
}

/** One webhook delivery's alerts, validated. */
export interface DeliveryInput {
  readonly organizationId: string;
  readonly integrationId: string;
  /** Identities that make it idempotent: its key, then its alias; empty when it has none. */
  readonly keys: readonly string[];
  readonly alerts: readonly AlertInput[];
  readonly receivedAt: Date;
  /** Its inbox record as the edge received it, completed with its results once applied. */
  readonly inbox?: InboxRecord;
  /** What its integration's options ask of its incidents. */
  readonly rules?: IncidentRules;
  /** With `rules.flapping`: when each of its trigger keys opened its recent incidents, oldest first. */
  readonly openings?: ReadonlyMap<string, readonly Date[]>;
}

/** What an integration's options ask of its incidents, in milliseconds. */
export interface IncidentRules {
  /** Resolve an open incident after this long without a trigger. */
  readonly autoResolveMs?: number;
  /** More than `threshold` resolve-and-trigger cycles of a key within `windowMs` is flapping. */
  readonly flapping?: { readonly threshold: number; readonly windowMs: number };
}

/** Writes that follow a delivery once it is applied: timers, and openings of watched keys. */
export interface FollowUps {
  readonly timers: readonly IncidentTimer[];
  readonly openings: readonly { readonly scope: DedupScope; readonly at: Date }[];
}

/** What became of one delivery. */
export type DeliveryResult =
  | {
      readonly state: "applied";
      readonly results: readonly StoredResult[];
      readonly followUps: FollowUps;
    }
  | { readonly state: "replayed"; readonly results: readonly StoredResult[] }
  /** The same delivery is being applied by another attempt right now: ask again shortly. */
  | { readonly state: "pending" };

/** Rounds of re-deciding alerts a concurrent writer overtook, before giving up. */
const MAX_ROUNDS = 20;

/**
 * Deduplication (DESIGN §4), for a batch of deliveries at once so they share
 * one durable commit. Scope is (organization, integration, dedup key); at
 * most one incident per scope is open, which the store guarantees with a
 * unique index rather than locks. Each alert is decided against the state
 * the unit of writes sees; an alert whose write another replica overtook is
 * decided again on fresh state, so it counts exactly once, on the incident
 * it is answered with.
 */
export class Ingestor {
  constructor(
    private readonly writer: IncidentWriter,
    private readonly now: () => Date = () => new Date(),
    /** How long the options' minutes are (shorter only in tests). */
    private readonly minuteMs = 60_000,
  ) {}

  ingest(batch: readonly DeliveryInput[]): Promise<DeliveryResult[]> {
    return this.writer.unit(async (unit) => {
      const keyed = batch.flatMap((delivery, i) => (delivery.keys.length > 0 ? [i] : []));
      const claims = new Map<number, DeliveryClaim>();
      const claimed = await unit.claim(
        keyed.map((i) => ({
          keys: batch[i]!.keys,
          organizationId: batch[i]!.organizationId,
          integrationId: batch[i]!.integrationId,
          at: batch[i]!.receivedAt,
        })),
      );
      keyed.forEach((i, n) => claims.set(i, claimed[n]!));

      const outcomes: DeliveryResult[] = [];
      const results: StoredResult[][] = [];
      // By task, so an alert decided again replaces what it first asked for.
      const followUps = new Map<number, FollowUp>();
      const todo: Task[] = [];
      batch.forEach((delivery, d) => {
        const claim = claims.get(d);
        if (claim?.state === "done") {
          outcomes[d] = { state: "replayed", results: claim.results };
          return;
        }
        if (claim?.state === "pending") {
          outcomes[d] = { state: "pending" };
          return;
        }
        results[d] = [];
        delivery.alerts.forEach((_, a) => {
          const applied = claim?.applied.get(a);
          if (applied !== undefined) {
            results[d]![a] = applied;
          } else {
            todo.push({ delivery: d, alert: a });
          }
        });
      });

      const scopes = (tasks: readonly Task[], all: boolean) =>
        tasks.flatMap(({ delivery, alert }) => {
          const input = batch[delivery]!.alerts[alert]!;
          const scope = scopeOf(batch[delivery]!, input);
          return scope && (all || input.action !== AlertAction.TRIGGER) ? [scope] : [];
        });
      await unit.prefetch(scopes(todo, false));
      let pending = todo;
      for (let round = 0; pending.length > 0; round++) {
        if (round === MAX_ROUNDS) {
          throw new Error("alerts kept being overtaken by concurrent writers");
        }
        if (round > 0) {
          // What another writer got in first is read again, all at once,
          // not one alert after another.
          await unit.prefetch(scopes(pending, true));
        }
        for (const task of pending) {
          const tag = tagOf(task);
          const decided = await decideAlert(
            unit,
            batch[task.delivery]!,
            task.alert,
            tag,
            this.now(),
            this.minuteMs,
          );
          results[task.delivery]![task.alert] = decided.result;
          followUps.set(tag, decided);
        }
        const refused = await unit.flush();
        pending = pending.filter((task) => refused.has(tagOf(task)));
      }

      const records: DeliveryRecord[] = [];
      for (const [d, delivery] of batch.entries()) {
        const earlier = outcomes[d];
        if (earlier?.state === "replayed" && delivery.inbox) {
          // A redelivery changes nothing, but the inbox shows it arrived.
          records.push({
            keys: delivery.keys,
            organizationId: delivery.organizationId,
            integrationId: delivery.integrationId,
            at: delivery.receivedAt,
            results: earlier.results,
            inbox: { ...delivery.inbox, results: earlier.results },
            replayed: true,
          });
        }
        if (earlier !== undefined) {
          continue;
        }
        const mine = delivery.alerts.flatMap((_, a) => {
          const decided = followUps.get(tagOf({ delivery: d, alert: a }));
          return decided ? [decided] : [];
        });
        outcomes[d] = {
          state: "applied",
          results: results[d]!,
          followUps: {
            timers: mine.flatMap((f) => f.timers ?? []),
            openings: mine.flatMap((f) => (f.opening ? [f.opening] : [])),
          },
        };
        records.push({
          keys: delivery.keys,
          organizationId: delivery.organizationId,
          integrationId: delivery.integrationId,
          at: delivery.receivedAt,
          results: results[d]!,
          ...(delivery.inbox && { inbox: { ...delivery.inbox, results: results[d]! } }),
        });
      }
      unit.complete(records);
      return outcomes;
    });
  }
}

/** What deciding an alert needs of a unit of writes: the open incident of a scope, and the writes. */
export type DecisionUnit = Pick<WriteUnit, "findOpen" | "create" | "update">;

/**
 * Deduplication's decision for the `index`-th alert of a delivery, made
 * against `unit` and written to it, with the timers and openings that
 * follow: the one place that says what an alert does. Ingest runs it on a
 * store's unit of writes; ExplainIngest (./explain.ts) on a unit that keeps
 * the writes to itself, so a prediction is made by this very code.
 */
export async function decideAlert(
  unit: DecisionUnit,
  delivery: DeliveryInput,
  index: number,
  tag: number,
  at: Date,
  /** How long the options' minutes are (shorter only in tests), for timeline summaries. */
  minuteMs = 60_000,
): Promise<FollowUp> {
  const alert = delivery.alerts[index]!;
  const actor = `integration:${delivery.integrationId}`;
  const cause = delivery.keys[0] ? { deliveryKey: delivery.keys[0], alertIndex: index } : undefined;
  const snapshot = snapshotOf(alert);
  const { dedupKey } = alert;
  const scope = scopeOf(delivery, alert);
  const resolving = alert.action === AlertAction.RESOLVE;
  const acknowledging = alert.action === AlertAction.ACKNOWLEDGE;
  const existing = scope ? await unit.findOpen(scope, intentOf(alert.action)) : undefined;
  const { rules } = delivery;
  const ignored = { result: { incidentId: "", action: IngestAction.IGNORED, dedupKey } };
  const autoResolve = (incidentId: string): IncidentTimer[] =>
    rules?.autoResolveMs === undefined
      ? []
      : [
          {
            organizationId: delivery.organizationId,
            incidentId,
            kind: "auto-resolve",
            dueAt: new Date(at.getTime() + rules.autoResolveMs),
            periodMs: rules.autoResolveMs,
          },
        ];

  if (acknowledging) {
    // Without a key or an open incident there is nothing to acknowledge.
    if (existing === undefined) {
      return ignored;
    }
    const change = acknowledge(existing, at, actor, cause);
    if (change !== undefined) {
      unit.update(change, tag);
    }
    return {
      result: { incidentId: existing.id, action: IngestAction.ACKNOWLEDGED, dedupKey },
    };
  }
  if (resolving && scope) {
    if (existing === undefined || existing.status === IncidentStatus.RESOLVED) {
      return ignored;
    }
    const flapping = rules?.flapping;
    if (existing.flapping && flapping !== undefined) {
      const window = minutesOf(flapping.windowMs, minuteMs);
      unit.update(
        holdResolve(
          existing,
          at,
          actor,
          `resolve held: flapping; it resolves once no trigger follows for ${window}`,
          snapshot,
          cause,
        ),
        tag,
      );
      return {
        result: { incidentId: existing.id, action: IngestAction.UPDATED, dedupKey },
        timers: [
          {
            organizationId: delivery.organizationId,
            incidentId: existing.id,
            kind: "flap-settle",
            dueAt: new Date(at.getTime() + flapping.windowMs),
            periodMs: flapping.windowMs,
          },
        ],
      };
    }
    unit.update(resolve(existing, at, actor, alert.title || "resolved", snapshot, cause)!, tag);
    return { result: { incidentId: existing.id, action: IngestAction.RESOLVED, dedupKey } };
  }
  if (existing !== undefined) {
    unit.update(occur(existing, snapshot, at, actor, cause), tag);
    return {
      result: { incidentId: existing.id, action: IngestAction.UPDATED, dedupKey },
      timers: autoResolve(existing.id),
    };
  }
  const { draft, event } = open(
    {
      organizationId: delivery.organizationId,
      integrationId: delivery.integrationId,
      dedupKey,
      serviceId: alert.serviceId,
      status: openingStatus(alert),
      alert: snapshot,
      at,
      actor,
    },
    cause,
  );
  const created = await unit.create(draft, event, tag);
  const cycles =
    scope && rules?.flapping && created.status !== IncidentStatus.RESOLVED
      ? cyclesWithin(delivery.openings?.get(dedupKey) ?? [], at, rules.flapping.windowMs)
      : 0;
  if (rules?.flapping && cycles > rules.flapping.threshold) {
    const window = minutesOf(rules.flapping.windowMs, minuteMs);
    unit.update(
      markFlapping(
        created,
        at,
        `flapping: ${cycles} resolve-and-trigger cycles within ${window} (more than ${rules.flapping.threshold}); ` +
          `this incident stays open and resolves once no trigger follows a resolve for ${window}`,
      ),
      tag,
    );
  }
  return {
    result: { incidentId: created.id, action: IngestAction.CREATED, dedupKey },
    timers: created.status === IncidentStatus.RESOLVED ? [] : autoResolve(created.id),
    ...(scope &&
      rules?.flapping &&
      created.status !== IncidentStatus.RESOLVED && {
        opening: { scope, at },
      }),
  };
}

/** One alert's result, and the writes that follow it. */
export interface FollowUp {
  readonly result: StoredResult;
  readonly timers?: readonly IncidentTimer[];
  readonly opening?: { readonly scope: DedupScope; readonly at: Date };
}

/**
 * How many resolve-and-trigger cycles fall within `windowMs` before `at`,
 * counting an opening at `at`: every opening of a key after its first is
 * one (the incident before it had resolved).
 */
export function cyclesWithin(openings: readonly Date[], at: Date, windowMs: number): number {
  const all = [...openings, at];
  const from = at.getTime() - windowMs;
  return all.filter((t, i) => i > 0 && t.getTime() >= from).length;
}

/** A period of the options, for a timeline summary: in the options' minutes. */
export function minutesOf(ms: number, minuteMs = 60_000): string {
  const minutes = Math.round(ms / minuteMs);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

interface Task {
  readonly delivery: number;
  readonly alert: number;
}

/** A task's tag for the unit of writes: unique within a batch. */
function tagOf(task: Task): number {
  return task.delivery * 100_000 + task.alert;
}

/**
 * The dedup scope of an alert that takes part in deduplication: a trigger
 * that opens in an open status, a resolve or an acknowledgement, with a
 * dedup key. Without a key every trigger creates its own incident.
 */
function scopeOf(delivery: DeliveryInput, alert: AlertInput): DedupScope | undefined {
  if (alert.dedupKey === "") {
    return undefined;
  }
  if (alert.action === AlertAction.TRIGGER && alert.status === IncidentStatus.RESOLVED) {
    return undefined;
  }
  return {
    organizationId: delivery.organizationId,
    integrationId: delivery.integrationId,
    dedupKey: alert.dedupKey,
  };
}

function intentOf(action: AlertAction): "trigger" | "resolve" | "acknowledge" {
  if (action === AlertAction.RESOLVE) {
    return "resolve";
  }
  return action === AlertAction.ACKNOWLEDGE ? "acknowledge" : "trigger";
}

function openingStatus(alert: AlertInput): IncidentStatus {
  if (alert.action === AlertAction.RESOLVE || alert.status === IncidentStatus.RESOLVED) {
    return IncidentStatus.RESOLVED;
  }
  return alert.status === IncidentStatus.INVESTIGATING
    ? IncidentStatus.INVESTIGATING
    : IncidentStatus.NEW;
}

function snapshotOf(alert: AlertInput): AlertSnapshot {
  return {
    title: alert.title,
    description: alert.description,
    severity: alert.severity,
    sourceUrl: alert.sourceUrl,
    metadata: { ...alert.metadata },
    truncatedAlerts: alert.truncatedAlerts,
  };
}
