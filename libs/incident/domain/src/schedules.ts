import type { Severity } from "@runframe/contracts";
import type { DedupScope } from "./model.js";

/**
 * What the incident service's scheduled work keeps in the store, so that
 * any replica can pick it up after any other stopped: heartbeats (DESIGN
 * §14), timers on incidents (auto-resolve, flapping), when each dedup key
 * opened its recent incidents (flap detection), and the lease that lets one
 * replica at a time act on them. One contract suite runs it on SQLite and
 * MongoDB. Nothing here needs an atomic update: each record has one writer
 * at a time (the lease holder, or the deliveries of one integration, whose
 * beats only ever move a time forward).
 */
export interface Schedules {
  /**
   * Records a beat: the monitor as given, except that `lastBeatAt` and
   * `dueAt` never move back. Answers the monitor as it was before, if it
   * existed.
   */
  beat(monitor: HeartbeatMonitor): Promise<HeartbeatMonitor | undefined>;
  monitor(organizationId: string, integrationId: string): Promise<HeartbeatMonitor | undefined>;
  /** Stops watching an integration (its option was removed). */
  unwatch(organizationId: string, integrationId: string): Promise<void>;
  /** Monitors whose `dueAt` is at or before `now`, the longest overdue first. */
  silent(now: Date, limit: number): Promise<HeartbeatMonitor[]>;
  /** The `lastBeatAt` of the latest silence of the integration already handled, if any. */
  silenceHandled(organizationId: string, integrationId: string): Promise<Date | undefined>;
  /** Notes that the silence after `lastBeatAt` was handled (an incident is open for it). */
  markSilence(organizationId: string, integrationId: string, lastBeatAt: Date): Promise<void>;

  /** Sets timers, each replacing the timer of its incident and kind. */
  setTimers(timers: readonly IncidentTimer[]): Promise<void>;
  /** Timers whose `dueAt` is at or before `now`, the earliest first. */
  dueTimers(now: Date, limit: number): Promise<IncidentTimer[]>;
  clearTimer(organizationId: string, incidentId: string, kind: TimerKind): Promise<void>;

  /** When the scope's recent incidents were opened, oldest first. */
  openings(scope: DedupScope): Promise<Date[]>;
  /** Adds an opening of the scope, keeping the newest `keep`. */
  recordOpening(scope: DedupScope, at: Date, keep: number): Promise<void>;

  /**
   * Takes the lease `name` for `holder` until `now + ttlMs`, or renews it if
   * `holder` has it: false while another holder's lease runs. Of several
   * takers of an expired lease, one wins.
   */
  lease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean>;
}

/** An integration expected to deliver regularly (its `heartbeat` option). */
export interface HeartbeatMonitor {
  readonly organizationId: string;
  readonly integrationId: string;
  /** Its name when it last beat, for the incident's title. */
  readonly integrationName: string;
  /** Where its silence incident goes: its default service (may be empty). */
  readonly serviceId: string;
  readonly intervalMs: number;
  readonly graceMs: number;
  readonly severity: Severity;
  readonly lastBeatAt: Date;
  /** `lastBeatAt` + interval + grace: silent from then on. */
  readonly dueAt: Date;
}

/** What a timer does when due: resolve a quiet incident, or settle a flapping one. */
export type TimerKind = "auto-resolve" | "flap-settle";

/**
 * A check due on one incident. The checker decides from the incident's
 * state when it is due; `periodMs` is the quiet time the option asks for.
 */
export interface IncidentTimer {
  readonly organizationId: string;
  readonly incidentId: string;
  readonly kind: TimerKind;
  readonly dueAt: Date;
  readonly periodMs: number;
}
