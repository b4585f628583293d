import { IncidentEventType, IncidentStatus } from "@runframe/contracts";
import {
  incidentId,
  incidentNumber,
  openKeyOf,
  fromStoredAlert,
  toStoredAlert,
  type StoredAlert,
  type DeliveryClaim,
  type EventRecord,
  type IncidentActivity,
  type IncidentDraft,
  type IncidentFilter,
  type IncidentRecord,
  type IncidentStore,
  type Page,
  type StoredResult,
} from "@runframe/incident-domain";
import { decodePageToken, pageOf } from "@runframe/util";
import type { Database } from "better-sqlite3";
import { randomUUID } from "node:crypto";

const DELIVERY_RETENTION_MS = 7 * 24 * 3600 * 1000;

interface IncidentRow {
  organization_id: string;
  number: number;
  integration_id: string;
  dedup_key: string;
  service_id: string;
  status: string;
  first_alert: string;
  open_key: string;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
}

interface EventRow {
  id: string;
  organization_id: string;
  incident_id: string;
  type: string;
  actor: string;
  summary: string;
  created_at: number;
  alert: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  organization_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  integration_id TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  service_id TEXT NOT NULL,
  status TEXT NOT NULL,
  first_alert TEXT NOT NULL,
  open_key TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  resolved_at INTEGER,
  resolved_by TEXT,
  PRIMARY KEY (organization_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incident_events (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  summary TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  alert TEXT
);
CREATE INDEX IF NOT EXISTS incident_events_timeline ON incident_events (organization_id, incident_id, type, id);
CREATE TABLE IF NOT EXISTS services (
  organization_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (organization_id, service_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
  key TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  integration_id TEXT NOT NULL,
  state TEXT NOT NULL,
  results TEXT NOT NULL,
  claimed_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_expiry ON deliveries (expires_at);
CREATE TABLE IF NOT EXISTS delivery_progress (
  key TEXT NOT NULL,
  idx INTEGER NOT NULL,
  result TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (key, idx)
) WITHOUT ROWID;
`;

/**
 * The incident store on the embedded SQLite file. Same contract and the same
 * guarantees as the MongoDB store (one shared test suite runs against both);
 * here a transaction makes "find the open incident or insert one with the
 * next number" a single atomic step, across processes too (the SQLite file
 * lock serializes writers).
 */
export class SqliteIncidentStore implements IncidentStore {
  readonly #create: (
    draft: IncidentDraft,
    key: string | undefined,
  ) => { created: IncidentRecord } | { existing: IncidentRecord };

  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
    const findByOpenKey = db.prepare<[string], IncidentRow>(
      "SELECT * FROM incidents WHERE open_key = ?",
    );
    const lastNumber = db.prepare<[string], { n: number | null }>(
      "SELECT max(number) AS n FROM incidents WHERE organization_id = ?",
    );
    const insert = db.prepare(
      `INSERT INTO incidents (organization_id, number, integration_id, dedup_key, service_id, status,
         first_alert, open_key, created_at, resolved_at, resolved_by)
       VALUES (@organization_id, @number, @integration_id, @dedup_key, @service_id, @status,
         @first_alert, @open_key, @created_at, @resolved_at, @resolved_by)`,
    );
    const create = db.transaction((draft: IncidentDraft, key: string | undefined) => {
      if (key !== undefined) {
        const existing = findByOpenKey.get(key);
        if (existing) {
          return { existing: fromRow(existing) };
        }
      }
      const number = (lastNumber.get(draft.organizationId)?.n ?? 0) + 1;
      const id = incidentId(number);
      const row = toRow({ ...draft, id, number }, key ?? `${draft.organizationId}/${id}`);
      insert.run(row);
      return { created: fromRow(row) };
    });
    // IMMEDIATE takes the write lock before reading, so two processes cannot
    // both see "no open incident" and both insert.
    this.#create = (draft, key) => create.immediate(draft, key);
  }

  async findOpen(
    organizationId: string,
    integrationId: string,
    dedupKey: string,
  ): Promise<IncidentRecord | undefined> {
    const row = this.db
      .prepare<[string], IncidentRow>("SELECT * FROM incidents WHERE open_key = ?")
      .get(openKeyOf(organizationId, integrationId, dedupKey));
    return row ? fromRow(row) : undefined;
  }

  async create(
    draft: IncidentDraft,
  ): Promise<{ created: IncidentRecord } | { existing: IncidentRecord }> {
    const key =
      draft.dedupKey !== "" && draft.status !== IncidentStatus.RESOLVED
        ? openKeyOf(draft.organizationId, draft.integrationId, draft.dedupKey)
        : undefined;
    return this.#create(draft, key);
  }

  async resolve(
    organizationId: string,
    id: string,
    at: Date,
    by: string,
  ): Promise<IncidentRecord | undefined> {
    const number = incidentNumber(id);
    const changed = this.db
      .prepare(
        `UPDATE incidents SET status = ?, resolved_at = ?, resolved_by = ?, open_key = organization_id || '/' || ?
         WHERE organization_id = ? AND number = ? AND status <> ?`,
      )
      .run(
        IncidentStatus[IncidentStatus.RESOLVED],
        at.getTime(),
        by,
        id,
        organizationId,
        number,
        IncidentStatus[IncidentStatus.RESOLVED],
      ).changes;
    return changed === 0 ? undefined : this.get(organizationId, id);
  }

  async get(organizationId: string, id: string): Promise<IncidentRecord | undefined> {
    const number = incidentNumber(id);
    if (number === undefined) {
      return undefined;
    }
    const row = this.db
      .prepare<[string, number], IncidentRow>(
        "SELECT * FROM incidents WHERE organization_id = ? AND number = ?",
      )
      .get(organizationId, number);
    return row ? fromRow(row) : undefined;
  }

  async list(
    organizationId: string,
    filter: IncidentFilter,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IncidentRecord>> {
    const where = ["organization_id = @organizationId"];
    const params: Record<string, unknown> = { organizationId, limit: pageSize + 1 };
    if (filter.status !== undefined) {
      where.push("status = @status");
      params["status"] = IncidentStatus[filter.status];
    }
    if (filter.serviceId) {
      where.push("service_id = @serviceId");
      params["serviceId"] = filter.serviceId;
    }
    if (filter.integrationId) {
      where.push("integration_id = @integrationId");
      params["integrationId"] = filter.integrationId;
    }
    if (after !== undefined) {
      where.push("number < @after");
      params["after"] = decodePageToken(after, isNumber);
    }
    const rows = this.db
      .prepare<[Record<string, unknown>], IncidentRow>(
        `SELECT * FROM incidents WHERE ${where.join(" AND ")} ORDER BY number DESC LIMIT @limit`,
      )
      .all(params);
    return pageOf(rows, pageSize, fromRow, (last) => last.number);
  }

  async appendEvent(event: EventRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO incident_events (id, organization_id, incident_id, type, actor, summary, created_at, alert)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        event.id,
        event.organizationId,
        event.incidentId,
        IncidentEventType[event.type],
        event.actor,
        event.summary,
        event.createdAt.getTime(),
        event.alert ? JSON.stringify(toStoredAlert(event.alert)) : null,
      );
  }

  async activity(organizationId: string, incidentId: string): Promise<IncidentActivity> {
    const typed = (type: IncidentEventType) => IncidentEventType[type];
    const retriggers = this.db
      .prepare<[string, string, string], { n: number }>(
        "SELECT count(*) AS n FROM incident_events WHERE organization_id = ? AND incident_id = ? AND type = ?",
      )
      .get(organizationId, incidentId, typed(IncidentEventType.TRIGGERED))!.n;
    const latest = this.db
      .prepare<[string, string, string, string], EventRow>(
        `SELECT * FROM incident_events WHERE organization_id = ? AND incident_id = ? AND type IN (?, ?)
         ORDER BY id DESC LIMIT 1`,
      )
      .get(
        organizationId,
        incidentId,
        typed(IncidentEventType.CREATED),
        typed(IncidentEventType.TRIGGERED),
      );
    const ack = this.db
      .prepare<[string, string, string], EventRow>(
        "SELECT * FROM incident_events WHERE organization_id = ? AND incident_id = ? AND type = ? ORDER BY id LIMIT 1",
      )
      .get(organizationId, incidentId, typed(IncidentEventType.ACKNOWLEDGED));
    return {
      retriggers,
      ...(latest?.alert && {
        latest: {
          at: new Date(latest.created_at),
          alert: fromStoredAlert(JSON.parse(latest.alert) as StoredAlert),
        },
      }),
      ...(ack && { acknowledged: { at: new Date(ack.created_at), by: ack.actor } }),
    };
  }

  async events(
    organizationId: string,
    incidentId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<EventRecord>> {
    const cursor = after === undefined ? "" : decodePageToken(after, isString);
    const rows = this.db
      .prepare<[string, string, string, number], EventRow>(
        `SELECT * FROM incident_events WHERE organization_id = ? AND incident_id = ? AND id > ?
         ORDER BY id LIMIT ?`,
      )
      .all(organizationId, incidentId, cursor, pageSize + 1);
    return pageOf(rows, pageSize, fromEventRow, (last) => last.id);
  }

  async serviceExists(organizationId: string, serviceId: string): Promise<boolean> {
    return (
      this.db
        .prepare("SELECT 1 FROM services WHERE organization_id = ? AND service_id = ?")
        .get(organizationId, serviceId) !== undefined
    );
  }

  async getService(
    organizationId: string,
    serviceId: string,
  ): Promise<{ id: string; name: string } | undefined> {
    const row = this.db
      .prepare<[string, string], { service_id: string; name: string }>(
        "SELECT service_id, name FROM services WHERE organization_id = ? AND service_id = ?",
      )
      .get(organizationId, serviceId);
    return row && { id: row.service_id, name: row.name };
  }

  async putService(organizationId: string, service: { id: string; name: string }): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO services (organization_id, service_id, name) VALUES (?, ?, ?)
         ON CONFLICT (organization_id, service_id) DO UPDATE SET name = excluded.name`,
      )
      .run(organizationId, service.id, service.name);
  }

  async listServices(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<{ id: string; name: string }>> {
    const cursor = after === undefined ? "" : decodePageToken(after, isString);
    const rows = this.db
      .prepare<[string, string, number], { service_id: string; name: string }>(
        "SELECT service_id, name FROM services WHERE organization_id = ? AND service_id > ? ORDER BY service_id LIMIT ?",
      )
      .all(organizationId, cursor, pageSize + 1);
    return pageOf(
      rows,
      pageSize,
      (r) => ({ id: r.service_id, name: r.name }),
      (last) => last.id,
    );
  }

  async claimDelivery(
    key: string,
    organizationId: string,
    integrationId: string,
    at: Date,
  ): Promise<DeliveryClaim> {
    const inserted = this.db
      .prepare(
        `INSERT INTO deliveries (key, organization_id, integration_id, state, results, claimed_at, expires_at)
         VALUES (?, ?, ?, 'pending', '[]', ?, ?) ON CONFLICT (key) DO NOTHING`,
      )
      .run(
        key,
        organizationId,
        integrationId,
        at.getTime(),
        at.getTime() + DELIVERY_RETENTION_MS,
      ).changes;
    if (inserted === 1) {
      return { state: "claimed" };
    }
    const row = this.db
      .prepare<[string], { state: string; results: string; claimed_at: number }>(
        "SELECT state, results, claimed_at FROM deliveries WHERE key = ?",
      )
      .get(key);
    if (row === undefined) {
      return { state: "pending", claimedAt: at };
    }
    return row.state === "done"
      ? { state: "done", results: JSON.parse(row.results) as StoredResult[] }
      : { state: "pending", claimedAt: new Date(row.claimed_at) };
  }

  async completeDelivery(key: string, results: readonly StoredResult[]): Promise<void> {
    this.db
      .prepare("UPDATE deliveries SET state = 'done', results = ? WHERE key = ?")
      .run(JSON.stringify(results), key);
  }

  async releaseDelivery(key: string): Promise<void> {
    this.db.prepare("DELETE FROM deliveries WHERE key = ?").run(key);
  }

  async alertResult(key: string, index: number): Promise<StoredResult | undefined> {
    const row = this.db
      .prepare<[string, number], { result: string }>(
        "SELECT result FROM delivery_progress WHERE key = ? AND idx = ?",
      )
      .get(key, index);
    return row ? (JSON.parse(row.result) as StoredResult) : undefined;
  }

  async saveAlertResult(key: string, index: number, result: StoredResult, at: Date): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO delivery_progress (key, idx, result, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key, idx) DO NOTHING`,
      )
      .run(key, index, JSON.stringify(result), at.getTime() + DELIVERY_RETENTION_MS);
  }

  async logDelivery(
    organizationId: string,
    integrationId: string,
    at: Date,
    results: readonly StoredResult[],
  ): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO deliveries (key, organization_id, integration_id, state, results, claimed_at, expires_at)
         VALUES (?, ?, ?, 'done', ?, ?, ?)`,
      )
      .run(
        `log:${randomUUID()}`,
        organizationId,
        integrationId,
        JSON.stringify(results),
        at.getTime(),
        at.getTime() + DELIVERY_RETENTION_MS,
      );
  }

  /** Deletes expired delivery-log entries. */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    return this.db.prepare("DELETE FROM deliveries WHERE expires_at < ?").run(now.getTime())
      .changes;
  }
}

function toRow(r: IncidentRecord, key: string): IncidentRow {
  return {
    organization_id: r.organizationId,
    number: r.number,
    integration_id: r.integrationId,
    dedup_key: r.dedupKey,
    service_id: r.serviceId,
    status: IncidentStatus[r.status],
    first_alert: JSON.stringify(toStoredAlert(r.first)),
    open_key: key,
    created_at: r.createdAt.getTime(),
    resolved_at: r.resolvedAt?.getTime() ?? null,
    resolved_by: r.resolvedBy ?? null,
  };
}

function fromRow(row: IncidentRow): IncidentRecord {
  return {
    id: incidentId(row.number),
    number: row.number,
    organizationId: row.organization_id,
    integrationId: row.integration_id,
    dedupKey: row.dedup_key,
    serviceId: row.service_id,
    status: IncidentStatus[row.status as keyof typeof IncidentStatus] ?? IncidentStatus.NEW,
    first: fromStoredAlert(JSON.parse(row.first_alert) as StoredAlert),
    createdAt: new Date(row.created_at),
    ...(row.resolved_at !== null && { resolvedAt: new Date(row.resolved_at) }),
    ...(row.resolved_by !== null && { resolvedBy: row.resolved_by }),
  };
}

function fromEventRow(row: EventRow): EventRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    incidentId: row.incident_id,
    type:
      IncidentEventType[row.type as keyof typeof IncidentEventType] ??
      IncidentEventType.UNSPECIFIED,
    actor: row.actor,
    summary: row.summary,
    createdAt: new Date(row.created_at),
    ...(row.alert !== null && { alert: fromStoredAlert(JSON.parse(row.alert) as StoredAlert) }),
  };
}

const isNumber = (v: unknown): v is number => typeof v === "number";
const isString = (v: unknown): v is string => typeof v === "string";
