import { IncidentStatus, Severity, type Integration } from "@runframe/contracts";
import { TtlCache } from "@runframe/util";
import { type IncidentRules, minutesOf } from "./ingest.js";
import { FLAPPING_ACTOR, open, resolve } from "./lifecycle.js";
import type { DedupScope, IncidentRecord } from "./model.js";
import type { IncidentStorage } from "./ports.js";
import type { HeartbeatMonitor, IncidentTimer } from "./schedules.js";

/** The dedup key of an integration's silence incident (one open at a time, per integration). */
export const HEARTBEAT_DEDUP_KEY = "runframe:heartbeat";
/** The actor of the steps the incident service takes on its own. */
export const HEARTBEAT_ACTOR = "system:heartbeat";
export const AUTO_RESOLVE_ACTOR = "system:auto-resolve";

/** The lease the scheduled work runs under: one replica at a time acts. */
const LEASE = "scheduled-work";
/** Attempts at a change another writer keeps overtaking, within one round. */
const MAX_ATTEMPTS = 5;

/** What an integration's auto_resolve and flapping options ask of its incidents. */
export function rulesOf(
  integration: Integration | undefined,
  minuteMs = 60_000,
): IncidentRules | undefined {
  const options = integration?.options;
  const autoResolve = options?.autoResolve?.afterMinutes;
  const flapping = options?.flapping;
  if (!autoResolve && !flapping?.threshold) {
    return undefined;
  }
  return {
    ...(autoResolve && { autoResolveMs: autoResolve * minuteMs }),
    ...(flapping?.threshold && {
      flapping: { threshold: flapping.threshold, windowMs: flapping.windowMinutes * minuteMs },
    }),
  };
}

/** The heartbeat monitor of an integration beating at `at`, if its options ask for one. */
export function monitorOf(integration: Integration, at: Date): HeartbeatMonitor | undefined {
  const heartbeat = integration.options?.heartbeat;
  if (!heartbeat?.intervalSeconds) {
    return undefined;
  }
  const intervalMs = heartbeat.intervalSeconds * 1000;
  const graceMs = heartbeat.graceSeconds * 1000;
  return {
    organizationId: integration.organizationId,
    integrationId: integration.id,
    integrationName: integration.name || integration.id,
    serviceId: integration.defaultServiceId,
    intervalMs,
    graceMs,
    severity: heartbeat.severity,
    lastBeatAt: at,
    dueAt: new Date(at.getTime() + intervalMs + graceMs),
  };
}

function heartbeatScope(organizationId: string, integrationId: string): DedupScope {
  return { organizationId, integrationId, dedupKey: HEARTBEAT_DEDUP_KEY };
}

/**
 * Heartbeats (DESIGN §14): every delivery of a watched integration is a
 * beat, stored before the delivery is answered; a beat after the silence
 * began resolves the silence incident at once. Opening that incident is
 * the scheduled work's job (ScheduledWork).
 */
export class Heartbeats {
  /** Integrations known not to be watched: their deliveries write nothing for a minute. */
  readonly #unwatched = new TtlCache<string, true>(60_000, 100_000);

  constructor(
    private readonly storage: IncidentStorage,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Records a delivery of `integration` as a beat. An integration whose
   * options no longer ask for heartbeats stops being watched.
   */
  async beat(integration: Integration): Promise<void> {
    const at = this.now();
    const monitor = monitorOf(integration, at);
    const key = `${integration.organizationId}\n${integration.id}`;
    if (monitor === undefined) {
      if (this.#unwatched.get(key) === undefined) {
        await this.storage.schedules.unwatch(integration.organizationId, integration.id);
        this.#unwatched.set(key, true);
      }
      return;
    }
    this.#unwatched.delete(key);
    const before = await this.storage.schedules.beat(monitor);
    if (before !== undefined && before.dueAt <= at) {
      await this.resolveSilence(
        integration.organizationId,
        integration.id,
        `integration:${integration.id}`,
        `heartbeat received at ${at.toISOString()} after silence since ${before.lastBeatAt.toISOString()}`,
      );
    }
  }

  /** Resolves the integration's open silence incident, if any; its id. */
  async resolveSilence(
    organizationId: string,
    integrationId: string,
    actor: string,
    summary: string,
  ): Promise<string | undefined> {
    const scope = heartbeatScope(organizationId, integrationId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const outcome = await this.storage.writer.unit(async (unit) => {
        const incident = await unit.findOpen(scope, "resolve");
        const change = incident && resolve(incident, this.now(), actor, summary);
        if (change === undefined) {
          return { done: true, id: undefined };
        }
        unit.update(change, 0);
        return { done: !(await unit.flush()).has(0), id: incident!.id };
      });
      if (outcome.done) {
        return outcome.id;
      }
    }
    throw new Error(`the silence incident of ${integrationId} kept changing`);
  }
}

/** What one round of scheduled work did. */
export interface Round {
  /** Silence incidents opened. */
  readonly silences: number;
  /** Incidents resolved by auto-resolve, or settled after flapping. */
  readonly resolved: number;
}

export interface ScheduledWorkOptions {
  /** Who this replica is, for the lease. */
  readonly holder: string;
  /** How long a round may take before another replica may take over. */
  readonly leaseMs: number;
  /** How long the options' minutes are (shorter only in tests). */
  readonly minuteMs?: number;
  readonly now?: () => Date;
  /** The most monitors and timers one round handles of each. */
  readonly batch?: number;
}

/**
 * The incident service's scheduled work: opening silence incidents of
 * heartbeats and running incident timers (auto-resolve, flapping). Any
 * number of replicas run rounds; a lease in the store lets one act at a
 * time, and everything it decides on is read from the store, so a replica
 * taking over after another stopped (or a restart) misses nothing: an
 * overdue monitor or timer is simply found due. Should two act at once all
 * the same (a holder paused past its lease), the unique open key still
 * allows one silence incident per integration, and a resolution is written
 * once.
 */
export class ScheduledWork {
  readonly #heartbeats: Heartbeats;
  readonly #now: () => Date;
  readonly #minuteMs: number;
  readonly #batch: number;

  constructor(
    private readonly storage: IncidentStorage,
    private readonly options: ScheduledWorkOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
    this.#heartbeats = new Heartbeats(storage, this.#now);
    this.#minuteMs = options.minuteMs ?? 60_000;
    this.#batch = options.batch ?? 100;
  }

  /** One round, if this replica holds the lease (taking it if free); undefined if another does. */
  async round(): Promise<Round | undefined> {
    const { schedules } = this.storage;
    if (!(await schedules.lease(LEASE, this.options.holder, this.#now(), this.options.leaseMs))) {
      return undefined;
    }
    let silences = 0;
    for (const monitor of await schedules.silent(this.#now(), this.#batch)) {
      if (await this.#silence(monitor)) {
        silences++;
      }
    }
    let resolved = 0;
    for (const timer of await schedules.dueTimers(this.#now(), this.#batch)) {
      if (await this.#timer(timer)) {
        resolved++;
      }
    }
    return { silences, resolved };
  }

  /** Opens the incident of a silence not handled yet; whether it did. */
  async #silence(monitor: HeartbeatMonitor): Promise<boolean> {
    const { schedules } = this.storage;
    const { organizationId, integrationId, lastBeatAt } = monitor;
    const handled = await schedules.silenceHandled(organizationId, integrationId);
    if (handled !== undefined && handled.getTime() >= lastBeatAt.getTime()) {
      // Opened already, and maybe resolved by a person since: once per silence.
      return false;
    }
    // No read first: a store may answer from what it last saw, and a
    // silence incident another replica's beat resolved would look open.
    // If one is open, the unique open key refuses this one.
    const opened = await this.storage.writer.unit(async (unit) => {
      const at = this.#now();
      const since = lastBeatAt.toISOString();
      const { draft, event } = open({
        organizationId,
        integrationId,
        dedupKey: HEARTBEAT_DEDUP_KEY,
        serviceId: monitor.serviceId,
        status: IncidentStatus.NEW,
        alert: {
          title: `No heartbeat from ${monitor.integrationName} since ${since}`,
          description:
            `A delivery was expected every ${monitor.intervalMs / 1000} s ` +
            `(plus ${monitor.graceMs / 1000} s of grace); none has arrived since ${since}. ` +
            `The next one resolves this incident.`,
          severity: monitor.severity === Severity.UNSPECIFIED ? Severity.SEV3 : monitor.severity,
          sourceUrl: "",
          metadata: {},
          truncatedAlerts: 0,
        },
        at,
        actor: HEARTBEAT_ACTOR,
      });
      await unit.create(draft, event, 0);
      return !(await unit.flush()).has(0);
    });
    await schedules.markSilence(organizationId, integrationId, lastBeatAt);
    // A beat may have come between reading the monitor and opening: the
    // beat looked for an incident before there was one, so resolve it here.
    const now = await schedules.monitor(organizationId, integrationId);
    if (now === undefined || now.lastBeatAt > lastBeatAt) {
      await this.#heartbeats.resolveSilence(
        organizationId,
        integrationId,
        HEARTBEAT_ACTOR,
        now === undefined
          ? "heartbeats are no longer expected"
          : `heartbeat received at ${now.lastBeatAt.toISOString()}`,
      );
    }
    return opened;
  }

  /** Acts on a due timer, or moves it to when it is due now; whether it resolved its incident. */
  async #timer(timer: IncidentTimer): Promise<boolean> {
    const { schedules } = this.storage;
    const outcome = await this.storage.writer.unit(async (unit) => {
      const incident = await unit.get(timer.organizationId, timer.incidentId);
      if (incident === undefined || incident.status === IncidentStatus.RESOLVED) {
        return "clear" as const;
      }
      const since = timer.kind === "auto-resolve" ? incident.lastSeenAt : incident.resolveHeldAt;
      if (since === undefined) {
        // A trigger followed the held resolve: a later one sets a new timer.
        return "clear" as const;
      }
      const dueAt = new Date(since.getTime() + timer.periodMs);
      const now = this.#now();
      if (dueAt > now) {
        return { dueAt };
      }
      const change = resolve(...this.#resolution(incident, timer, since, now));
      unit.update(change!, 0);
      return (await unit.flush()).has(0) ? ("overtaken" as const) : ("resolved" as const);
    });
    if (outcome === "overtaken") {
      // Something changed it meanwhile: decided again next round.
      return false;
    }
    if (typeof outcome === "object") {
      await schedules.setTimers([{ ...timer, dueAt: outcome.dueAt }]);
      return false;
    }
    await schedules.clearTimer(timer.organizationId, timer.incidentId, timer.kind);
    return outcome === "resolved";
  }

  #resolution(
    incident: IncidentRecord,
    timer: IncidentTimer,
    since: Date,
    now: Date,
  ): Parameters<typeof resolve> {
    const period = minutesOf(timer.periodMs, this.#minuteMs);
    return timer.kind === "auto-resolve"
      ? [
          incident,
          now,
          AUTO_RESOLVE_ACTOR,
          `auto-resolved: no trigger for ${period} (the last at ${since.toISOString()})`,
        ]
      : [
          incident,
          now,
          FLAPPING_ACTOR,
          `resolved after flapping: no trigger for ${period} after the resolve held at ${since.toISOString()}`,
        ];
  }
}
