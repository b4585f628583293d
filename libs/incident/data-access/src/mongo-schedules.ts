import { Severity } from "@runframe/contracts";
import {
  openKeyOf,
  type DedupScope,
  type HeartbeatMonitor,
  type IncidentTimer,
  type Schedules,
  type TimerKind,
} from "@runframe/incident-domain";
import type { Collection, Db } from "mongodb";
import { enumValue } from "./codec.js";
import { MongoLeases } from "./mongo-leases.js";

/** A heartbeat monitor: `_id` is organization/integration. */
interface MonitorDoc {
  _id: string;
  organizationId: string;
  integrationId: string;
  integrationName: string;
  serviceId: string;
  intervalMs: number;
  graceMs: number;
  severity: string;
  lastBeatAt: Date;
  dueAt: Date;
}

/** The latest silence handled per integration: `_id` is organization/integration. */
interface SilenceDoc {
  _id: string;
  lastBeatAt: Date;
}

/** `_id` is organization/incident/kind. */
interface TimerDoc {
  _id: string;
  organizationId: string;
  incidentId: string;
  kind: TimerKind;
  dueAt: Date;
  periodMs: number;
}

/** `_id` is the scope's open key (a digest). */
interface OpeningsDoc {
  _id: string;
  at: Date[];
}

/**
 * The scheduled work's records on MongoDB. Beats are one `findOneAndUpdate`
 * with `$max`, so a beat never moves a monitor back; everything else has
 * one writer at a time (the lease holder), and the lease itself is
 * MongoLeases.
 */
export class MongoSchedules implements Schedules {
  readonly #monitors: Collection<MonitorDoc>;
  readonly #silences: Collection<SilenceDoc>;
  readonly #timers: Collection<TimerDoc>;
  readonly #openings: Collection<OpeningsDoc>;
  readonly #leases: MongoLeases;

  constructor(db: Db) {
    this.#monitors = db.collection("heartbeats");
    this.#silences = db.collection("heartbeat_silences");
    this.#timers = db.collection("incident_timers");
    this.#openings = db.collection("dedup_openings");
    this.#leases = new MongoLeases(db.collection("leases"));
  }

  async init(): Promise<void> {
    await this.#monitors.createIndex({ dueAt: 1 }, { name: "due" });
    await this.#timers.createIndex({ dueAt: 1 }, { name: "due" });
    await this.#leases.init();
  }

  async beat(monitor: HeartbeatMonitor): Promise<HeartbeatMonitor | undefined> {
    const { _id, lastBeatAt, dueAt, ...rest } = monitorDoc(monitor);
    const before = await this.#monitors.findOneAndUpdate(
      { _id },
      { $set: rest, $max: { lastBeatAt, dueAt } },
      { upsert: true, returnDocument: "before" },
    );
    return before === null ? undefined : fromMonitorDoc(before);
  }

  async monitor(organizationId: string, integrationId: string) {
    const doc = await this.#monitors.findOne({ _id: `${organizationId}/${integrationId}` });
    return doc === null ? undefined : fromMonitorDoc(doc);
  }

  async unwatch(organizationId: string, integrationId: string): Promise<void> {
    const _id = `${organizationId}/${integrationId}`;
    await Promise.all([this.#monitors.deleteOne({ _id }), this.#silences.deleteOne({ _id })]);
  }

  async silent(now: Date, limit: number): Promise<HeartbeatMonitor[]> {
    const docs = await this.#monitors
      .find({ dueAt: { $lte: now } })
      .sort({ dueAt: 1 })
      .limit(limit)
      .toArray();
    return docs.map(fromMonitorDoc);
  }

  async silenceHandled(organizationId: string, integrationId: string) {
    const doc = await this.#silences.findOne({ _id: `${organizationId}/${integrationId}` });
    return doc?.lastBeatAt;
  }

  async markSilence(organizationId: string, integrationId: string, lastBeatAt: Date) {
    await this.#silences.replaceOne(
      { _id: `${organizationId}/${integrationId}` },
      { lastBeatAt },
      { upsert: true },
    );
  }

  async setTimers(timers: readonly IncidentTimer[]): Promise<void> {
    if (timers.length === 0) {
      return;
    }
    await this.#timers.bulkWrite(
      timers.map((t) => {
        const { _id, ...doc } = timerDoc(t);
        return { replaceOne: { filter: { _id }, replacement: doc, upsert: true } };
      }),
      { ordered: false },
    );
  }

  async dueTimers(now: Date, limit: number): Promise<IncidentTimer[]> {
    const docs = await this.#timers
      .find({ dueAt: { $lte: now } })
      .sort({ dueAt: 1 })
      .limit(limit)
      .toArray();
    return docs.map(({ _id: _, ...timer }) => timer);
  }

  async clearTimer(organizationId: string, incidentId: string, kind: TimerKind): Promise<void> {
    await this.#timers.deleteOne({ _id: `${organizationId}/${incidentId}/${kind}` });
  }

  async openings(scope: DedupScope): Promise<Date[]> {
    return (await this.#openings.findOne({ _id: openKeyOf(scope) }))?.at ?? [];
  }

  async recordOpening(scope: DedupScope, at: Date, keep: number): Promise<void> {
    const _id = openKeyOf(scope);
    const kept = [...(await this.openings(scope)), at]
      .sort((a, b) => a.getTime() - b.getTime())
      .slice(-keep);
    await this.#openings.replaceOne({ _id }, { at: kept }, { upsert: true });
  }

  lease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
    return this.#leases.take(name, now, ttlMs, holder);
  }
}

function monitorDoc(m: HeartbeatMonitor): MonitorDoc {
  return {
    _id: `${m.organizationId}/${m.integrationId}`,
    ...m,
    severity: Severity[m.severity],
  };
}

function fromMonitorDoc({ _id: _, ...doc }: MonitorDoc): HeartbeatMonitor {
  return { ...doc, severity: enumValue(Severity, doc.severity, Severity.UNSPECIFIED) };
}

function timerDoc(t: IncidentTimer): TimerDoc {
  return { _id: `${t.organizationId}/${t.incidentId}/${t.kind}`, ...t };
}
