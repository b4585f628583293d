import { Severity } from "@runframe/contracts";
import {
  openKeyOf,
  type DedupScope,
  type HeartbeatMonitor,
  type IncidentTimer,
  type Schedules,
  type TimerKind,
} from "@runframe/incident-domain";
import type { Database } from "better-sqlite3";
import { enumValue } from "./codec.js";

export const SCHEDULES_SCHEMA = `
CREATE TABLE IF NOT EXISTS heartbeats (
  organization_id TEXT NOT NULL,
  integration_id TEXT NOT NULL,
  integration_name TEXT NOT NULL,
  service_id TEXT NOT NULL,
  interval_ms INTEGER NOT NULL,
  grace_ms INTEGER NOT NULL,
  severity TEXT NOT NULL,
  last_beat_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  silence_handled INTEGER,
  PRIMARY KEY (organization_id, integration_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS heartbeats_due ON heartbeats (due_at);
CREATE TABLE IF NOT EXISTS incident_timers (
  organization_id TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  period_ms INTEGER NOT NULL,
  PRIMARY KEY (organization_id, incident_id, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS incident_timers_due ON incident_timers (due_at);
CREATE TABLE IF NOT EXISTS dedup_openings (
  open_key TEXT PRIMARY KEY,
  openings TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  until INTEGER NOT NULL
) WITHOUT ROWID;
`;

interface MonitorRow {
  organization_id: string;
  integration_id: string;
  integration_name: string;
  service_id: string;
  interval_ms: number;
  grace_ms: number;
  severity: string;
  last_beat_at: number;
  due_at: number;
}

interface TimerRow {
  organization_id: string;
  incident_id: string;
  kind: TimerKind;
  due_at: number;
  period_ms: number;
}

/**
 * The scheduled work's records in the embedded SQLite file. Every write
 * runs with the store's writer lock (`exclusive`), whose transactions the
 * file lock serializes across processes, so a beat and the lease are
 * atomic here without more.
 */
export class SqliteSchedules implements Schedules {
  constructor(
    private readonly write: Database,
    private readonly read: Database,
    private readonly exclusive: <T>(work: () => T) => Promise<T>,
  ) {}

  beat(m: HeartbeatMonitor): Promise<HeartbeatMonitor | undefined> {
    return this.exclusive(() =>
      this.write.transaction(() => {
        const before = this.#monitor(this.write, m.organizationId, m.integrationId);
        this.write
          .prepare(
            `INSERT INTO heartbeats (organization_id, integration_id, integration_name, service_id,
               interval_ms, grace_ms, severity, last_beat_at, due_at)
             VALUES (@organizationId, @integrationId, @integrationName, @serviceId,
               @intervalMs, @graceMs, @severity, @lastBeatAt, @dueAt)
             ON CONFLICT (organization_id, integration_id) DO UPDATE SET
               integration_name = excluded.integration_name, service_id = excluded.service_id,
               interval_ms = excluded.interval_ms, grace_ms = excluded.grace_ms,
               severity = excluded.severity,
               last_beat_at = max(last_beat_at, excluded.last_beat_at),
               due_at = max(due_at, excluded.due_at)`,
          )
          .run({
            ...m,
            severity: Severity[m.severity],
            lastBeatAt: m.lastBeatAt.getTime(),
            dueAt: m.dueAt.getTime(),
          });
        return before;
      })(),
    );
  }

  async monitor(organizationId: string, integrationId: string) {
    return this.#monitor(this.read, organizationId, integrationId);
  }

  unwatch(organizationId: string, integrationId: string): Promise<void> {
    return this.exclusive(() => {
      this.write
        .prepare("DELETE FROM heartbeats WHERE organization_id = ? AND integration_id = ?")
        .run(organizationId, integrationId);
    });
  }

  async silent(now: Date, limit: number): Promise<HeartbeatMonitor[]> {
    return this.read
      .prepare<[number, number], MonitorRow>(
        "SELECT * FROM heartbeats WHERE due_at <= ? ORDER BY due_at LIMIT ?",
      )
      .all(now.getTime(), limit)
      .map(fromMonitorRow);
  }

  async silenceHandled(organizationId: string, integrationId: string) {
    const row = this.read
      .prepare<[string, string], { silence_handled: number | null }>(
        "SELECT silence_handled FROM heartbeats WHERE organization_id = ? AND integration_id = ?",
      )
      .get(organizationId, integrationId);
    return row?.silence_handled == null ? undefined : new Date(row.silence_handled);
  }

  markSilence(organizationId: string, integrationId: string, lastBeatAt: Date): Promise<void> {
    return this.exclusive(() => {
      this.write
        .prepare(
          `UPDATE heartbeats SET silence_handled = max(coalesce(silence_handled, 0), ?)
           WHERE organization_id = ? AND integration_id = ?`,
        )
        .run(lastBeatAt.getTime(), organizationId, integrationId);
    });
  }

  setTimers(timers: readonly IncidentTimer[]): Promise<void> {
    return this.exclusive(() => {
      const put = this.write.prepare(
        `INSERT INTO incident_timers (organization_id, incident_id, kind, due_at, period_ms)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (organization_id, incident_id, kind) DO UPDATE SET
           due_at = excluded.due_at, period_ms = excluded.period_ms`,
      );
      this.write.transaction(() => {
        for (const t of timers) {
          put.run(t.organizationId, t.incidentId, t.kind, t.dueAt.getTime(), t.periodMs);
        }
      })();
    });
  }

  async dueTimers(now: Date, limit: number): Promise<IncidentTimer[]> {
    return this.read
      .prepare<[number, number], TimerRow>(
        "SELECT * FROM incident_timers WHERE due_at <= ? ORDER BY due_at LIMIT ?",
      )
      .all(now.getTime(), limit)
      .map((row) => ({
        organizationId: row.organization_id,
        incidentId: row.incident_id,
        kind: row.kind,
        dueAt: new Date(row.due_at),
        periodMs: row.period_ms,
      }));
  }

  clearTimer(organizationId: string, incidentId: string, kind: TimerKind): Promise<void> {
    return this.exclusive(() => {
      this.write
        .prepare(
          "DELETE FROM incident_timers WHERE organization_id = ? AND incident_id = ? AND kind = ?",
        )
        .run(organizationId, incidentId, kind);
    });
  }

  async openings(scope: DedupScope): Promise<Date[]> {
    return this.#openings(this.read, openKeyOf(scope));
  }

  recordOpening(scope: DedupScope, at: Date, keep: number): Promise<void> {
    const key = openKeyOf(scope);
    return this.exclusive(() =>
      this.write.transaction(() => {
        const kept = [...this.#openings(this.write, key), at]
          .sort((a, b) => a.getTime() - b.getTime())
          .slice(-keep);
        this.write
          .prepare(
            `INSERT INTO dedup_openings (open_key, openings) VALUES (?, ?)
             ON CONFLICT (open_key) DO UPDATE SET openings = excluded.openings`,
          )
          .run(key, JSON.stringify(kept.map((d) => d.getTime())));
      })(),
    );
  }

  lease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
    return this.exclusive(
      () =>
        this.write
          .prepare(
            `INSERT INTO leases (name, holder, until) VALUES (@name, @holder, @until)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE leases.until <= @now OR leases.holder = excluded.holder`,
          )
          .run({ name, holder, until: now.getTime() + ttlMs, now: now.getTime() }).changes === 1,
    );
  }

  #monitor(db: Database, organizationId: string, integrationId: string) {
    const row = db
      .prepare<[string, string], MonitorRow>(
        "SELECT * FROM heartbeats WHERE organization_id = ? AND integration_id = ?",
      )
      .get(organizationId, integrationId);
    return row && fromMonitorRow(row);
  }

  #openings(db: Database, key: string): Date[] {
    const row = db
      .prepare<[string], { openings: string }>(
        "SELECT openings FROM dedup_openings WHERE open_key = ?",
      )
      .get(key);
    return row ? (JSON.parse(row.openings) as number[]).map((t) => new Date(t)) : [];
  }
}

function fromMonitorRow(row: MonitorRow): HeartbeatMonitor {
  return {
    organizationId: row.organization_id,
    integrationId: row.integration_id,
    integrationName: row.integration_name,
    serviceId: row.service_id,
    intervalMs: row.interval_ms,
    graceMs: row.grace_ms,
    severity: enumValue(Severity, row.severity, Severity.UNSPECIFIED),
    lastBeatAt: new Date(row.last_beat_at),
    dueAt: new Date(row.due_at),
  };
}
