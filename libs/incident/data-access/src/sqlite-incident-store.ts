import { IncidentStatus } from "@runframe/contracts";
import {
  DELIVERY_RETENTION_MS,
  incidentId,
  incidentNumber,
  heldOpenKey,
  openKeyOf,
  type Change,
  type ChangedIncident,
  type ChangeFeed,
  type ChangePosition,
  type ClaimRequest,
  type DedupScope,
  type DeliveryClaim,
  type DeliveryInbox,
  type DeliveryLog,
  type DeliveryRecord,
  type EventRecord,
  type IncidentDraft,
  type IncidentFilter,
  type IncidentReader,
  type IncidentRecord,
  type IncidentStorage,
  type IncidentWriter,
  type Page,
  type Service,
  type ServiceCatalog,
  type StoredResult,
  type TimelineReader,
  type WriteUnit,
} from "@runframe/incident-domain";
import { AlreadyExistsError, pageOf, timeOrderedId } from "@runframe/util";
import { DeferredSync, type FileSync } from "@runframe/storage";
import type { Database, Statement } from "better-sqlite3";
import { replayV1, type V1Alert } from "./migrate-v1.js";
import { INBOX_SCHEMA, insertInbox, SqliteInbox } from "./sqlite-inbox.js";
import { SCHEDULES_SCHEMA, SqliteSchedules } from "./sqlite-schedules.js";
import {
  decodeEvent,
  decodeIncident,
  decodeResults,
  encodeEvent,
  encodeIncident,
  encodeResults,
  type StoredEvent,
  type StoredIncident,
  type StoredResultRecord,
} from "./codec.js";
import { idAfter, numberAfter } from "./page-positions.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents_v2 (
  organization_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  integration_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  status TEXT NOT NULL,
  open_key TEXT UNIQUE,
  state TEXT NOT NULL,
  PRIMARY KEY (organization_id, number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS incidents_v2_status ON incidents_v2 (organization_id, status, number);
CREATE INDEX IF NOT EXISTS incidents_v2_service ON incidents_v2 (organization_id, service_id, number);
CREATE INDEX IF NOT EXISTS incidents_v2_integration ON incidents_v2 (organization_id, integration_id, number);
CREATE INDEX IF NOT EXISTS incidents_v2_status_service ON incidents_v2 (organization_id, status, service_id, number);
CREATE INDEX IF NOT EXISTS incidents_v2_status_integration ON incidents_v2 (organization_id, status, integration_id, number);
CREATE INDEX IF NOT EXISTS incidents_v2_service_integration ON incidents_v2 (organization_id, service_id, integration_id, number);
CREATE INDEX IF NOT EXISTS incidents_v2_status_service_integration ON incidents_v2 (organization_id, status, service_id, integration_id, number);
CREATE INDEX IF NOT EXISTS incidents_v2_updated ON incidents_v2 (organization_id, json_extract(state, '$.updatedAt'), number);
CREATE TABLE IF NOT EXISTS incident_events_v2 (
  organization_id TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (organization_id, incident_id, seq)
) WITHOUT ROWID;
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
`;

interface IncidentRow {
  state: string;
}

/**
 * The incident service's storage in the embedded SQLite file. A unit of
 * writes is one IMMEDIATE transaction (the file lock serializes writers,
 * across processes too), so "find the open incident, then update it or
 * create one" is atomic and a whole batch of deliveries shares one commit
 * and one fsync. Reads use a second connection, which sees only committed
 * data.
 */
export class SqliteIncidentStorage implements IncidentStorage {
  readonly incidents: IncidentReader;
  readonly timeline: TimelineReader;
  readonly services: ServiceCatalog;
  readonly deliveries: DeliveryLog;
  readonly inbox: DeliveryInbox;
  readonly writer: IncidentWriter;
  readonly changes: ChangeFeed;
  readonly schedules: SqliteSchedules;

  readonly #write: Database;
  readonly #writer: SqliteWriter;

  /**
   * `sync` flushes the WAL after commits (see DeferredSync); tests inject
   * one to see when it is called.
   */
  constructor(write: Database, read: Database = write, sync?: FileSync) {
    write.exec(SCHEMA);
    write.exec(INBOX_SCHEMA);
    write.exec(SCHEDULES_SCHEMA);
    this.#write = write;
    const queries = new Queries(read);
    const writer = new SqliteWriter(write, sync);
    this.incidents = {
      get: async (organizationId, id) => queries.get(organizationId, id),
      list: async (organizationId, filter, pageSize, after) =>
        queries.list(organizationId, filter, pageSize, after),
      findOpen: async (scope) => queries.findOpen(scope),
    };
    this.timeline = {
      events: async (organizationId, incidentId, pageSize, after) =>
        queries.events(organizationId, incidentId, pageSize, after),
    };
    this.services = {
      get: async (organizationId, serviceId) => queries.service(organizationId, serviceId),
      put: (organizationId, service) =>
        writer.exclusive(() => {
          write
            .prepare(
              `INSERT INTO services (organization_id, service_id, name) VALUES (?, ?, ?)
               ON CONFLICT (organization_id, service_id) DO UPDATE SET name = excluded.name`,
            )
            .run(organizationId, service.id, service.name);
        }),
      create: (organizationId, service) =>
        writer.exclusive(() => {
          try {
            write
              .prepare("INSERT INTO services (organization_id, service_id, name) VALUES (?, ?, ?)")
              .run(organizationId, service.id, service.name);
          } catch (error) {
            if (
              error instanceof Error &&
              "code" in error &&
              error.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
            ) {
              throw new AlreadyExistsError(`service ${service.id} already exists`, {
                cause: error,
              });
            }
            throw error;
          }
        }),
      update: (organizationId, service) =>
        writer.exclusive(
          () =>
            write
              .prepare("UPDATE services SET name = ? WHERE organization_id = ? AND service_id = ?")
              .run(service.name, organizationId, service.id).changes === 1,
        ),
      delete: (organizationId, serviceId) =>
        writer.exclusive(
          () =>
            write
              .prepare("DELETE FROM services WHERE organization_id = ? AND service_id = ?")
              .run(organizationId, serviceId).changes === 1,
        ),
      list: async (organizationId, pageSize, after) =>
        queries.services(organizationId, pageSize, after),
    };
    this.deliveries = {
      purgeExpired: (now) =>
        writer.exclusive(
          () =>
            write.prepare("DELETE FROM deliveries WHERE expires_at < ?").run(now.getTime()).changes,
        ),
      answered: async (keys) => queries.answered(keys),
    };
    this.inbox = new SqliteInbox(write, read, (work) => writer.exclusive(work));
    this.schedules = new SqliteSchedules(write, read, (work) => writer.exclusive(work));
    this.writer = writer;
    this.#writer = writer;
    this.changes = {
      lagMs: 0,
      after: async (organizationId, after, limit) => queries.changes(organizationId, after, limit),
    };
  }

  /**
   * Throws once a flush of the WAL has failed: from then on no write can be
   * confirmed durable, and only a restart recovers (readiness reports it).
   */
  checkDurable(): void {
    this.#writer.checkDurable();
  }

  /** Upgrades data of an earlier release in place; how many incidents were moved. */
  migrate(): Promise<number> {
    return this.#writer.exclusive(() => migrateV1(this.#write));
  }
}

/** Moves incidents written by the first release (0.1) to this version's tables, once. */
function migrateV1(db: Database): number {
  const old = db
    .prepare<[], { n: number }>(
      "SELECT count(*) AS n FROM pragma_table_info('incidents') WHERE name = 'first_alert'",
    )
    .get();
  if (!old || old.n === 0) {
    return 0;
  }
  const incidents = db
    .prepare<[], V1IncidentRow>("SELECT * FROM incidents ORDER BY organization_id, number")
    .all();
  const events = db.prepare<[string, string], V1EventRow>(
    "SELECT * FROM incident_events WHERE organization_id = ? AND incident_id = ? ORDER BY id",
  );
  const insert = db.prepare<IncidentRowValues>(INSERT_INCIDENT);
  const append = db.prepare<EventRowValues>(INSERT_EVENT);
  db.transaction(() => {
    for (const row of incidents) {
      const { record, events: timeline } = replayV1(
        {
          organizationId: row.organization_id,
          number: row.number,
          integrationId: row.integration_id,
          dedupKey: row.dedup_key,
          serviceId: row.service_id,
          status: row.status,
          first: JSON.parse(row.first_alert) as V1Alert,
          createdAt: new Date(row.created_at),
        },
        events.all(row.organization_id, incidentId(row.number)).map((e) => ({
          type: e.type,
          actor: e.actor,
          summary: e.summary,
          createdAt: new Date(e.created_at),
          ...(e.alert !== null && { alert: JSON.parse(e.alert) as V1Alert }),
        })),
      );
      insert.run(...incidentRow(record));
      for (const event of timeline) {
        append.run(...eventRow(event));
      }
    }
    db.exec(
      "DROP TABLE incidents; DROP TABLE incident_events; DROP TABLE IF EXISTS delivery_progress;",
    );
  }).immediate();
  return incidents.length;
}

interface V1IncidentRow {
  organization_id: string;
  number: number;
  integration_id: string;
  dedup_key: string;
  service_id: string;
  status: string;
  first_alert: string;
  created_at: number;
}

interface V1EventRow {
  type: string;
  actor: string;
  summary: string;
  created_at: number;
  alert: string | null;
}

/** Reads, on a connection that sees committed data only. */
class Queries {
  readonly #get: Statement<[string, number], IncidentRow>;
  readonly #findOpen: Statement<[string], IncidentRow>;
  readonly #delivery: Statement<[string], { state: string; results: string }>;

  constructor(private readonly db: Database) {
    this.#get = db.prepare(SELECT_BY_NUMBER);
    this.#findOpen = db.prepare(SELECT_OPEN);
    this.#delivery = db.prepare(SELECT_DELIVERY);
  }

  /** Rows are current and open keys unique: the committed open incident, exactly. */
  findOpen(scope: DedupScope): IncidentRecord | undefined {
    const row = this.#findOpen.get(openKeyOf(scope));
    return row && decodeIncident(JSON.parse(row.state) as StoredIncident);
  }

  answered(keys: readonly string[]): readonly StoredResult[] | undefined {
    for (const key of keys) {
      const row = this.#delivery.get(key);
      if (row?.state === "done") {
        return decodeResults(JSON.parse(row.results) as StoredResultRecord[]);
      }
    }
    return undefined;
  }

  get(organizationId: string, id: string): IncidentRecord | undefined {
    const number = incidentNumber(id);
    const row = number === undefined ? undefined : this.#get.get(organizationId, number);
    return row && decodeIncident(JSON.parse(row.state) as StoredIncident);
  }

  list(
    organizationId: string,
    filter: IncidentFilter,
    pageSize: number,
    after: string | undefined,
  ): Page<IncidentRecord> {
    const where = ["organization_id = @organizationId"];
    const params: Record<string, unknown> = { organizationId, limit: pageSize + 1 };
    // Each combination of filters has its index, named after the filters,
    // and the query names it: without statistics (nothing runs ANALYZE)
    // SQLite prefers the primary key's (organization, number) order and
    // filters every row of the organization, and a missing index fails
    // the listing instead of making it scan.
    const index = ["incidents_v2"];
    if (filter.status !== undefined) {
      where.push("status = @status");
      params["status"] = IncidentStatus[filter.status];
      index.push("status");
    }
    if (filter.serviceId) {
      where.push("service_id = @serviceId");
      params["serviceId"] = filter.serviceId;
      index.push("service");
    }
    if (filter.integrationId) {
      where.push("integration_id = @integrationId");
      params["integrationId"] = filter.integrationId;
      index.push("integration");
    }
    if (after !== undefined) {
      where.push("number < @after");
      params["after"] = numberAfter(after);
    }
    const indexed = index.length > 1 ? `INDEXED BY ${index.join("_")}` : "";
    const rows = this.db
      .prepare<[Record<string, unknown>], IncidentRow>(
        `SELECT state FROM incidents_v2 ${indexed} WHERE ${where.join(" AND ")}
         ORDER BY number DESC LIMIT @limit`,
      )
      .all(params);
    return pageOf(
      rows,
      pageSize,
      (row) => decodeIncident(JSON.parse(row.state) as StoredIncident),
      (last) => last.number,
    );
  }

  events(
    organizationId: string,
    incidentId: string,
    pageSize: number,
    after: string | undefined,
  ): Page<EventRecord> {
    const from = after === undefined ? 0 : numberAfter(after);
    const rows = this.db
      .prepare<[string, string, number, number], { data: string }>(
        `SELECT data FROM incident_events_v2 WHERE organization_id = ? AND incident_id = ? AND seq > ?
         ORDER BY seq LIMIT ?`,
      )
      .all(organizationId, incidentId, from, pageSize + 1);
    return pageOf(
      rows,
      pageSize,
      (row) => decodeEvent(JSON.parse(row.data) as StoredEvent),
      (last) => last.seq,
    );
  }

  /**
   * Rows by the expression index on (organization, updatedAt, number):
   * `updatedAt` is an ISO 8601 text in the state JSON, which sorts as time
   * does. Rows are current, so each is the incident's latest state.
   */
  changes(organizationId: string, after: ChangePosition, limit: number): ChangedIncident[] {
    const since = after.updatedAt.toISOString();
    const rows = this.db
      .prepare<[string, string, string, number, number], IncidentRow>(
        // The first range lets the index seek; the row value is the exact cut.
        `SELECT state FROM incidents_v2
         WHERE organization_id = ? AND json_extract(state, '$.updatedAt') >= ?
           AND (json_extract(state, '$.updatedAt'), number) > (?, ?)
         ORDER BY json_extract(state, '$.updatedAt'), number LIMIT ?`,
      )
      .all(organizationId, since, since, after.number, limit);
    const event = this.db.prepare<[string, string, number], { data: string }>(
      "SELECT data FROM incident_events_v2 WHERE organization_id = ? AND incident_id = ? AND seq = ?",
    );
    return rows.map((row) => {
      const incident = decodeIncident(JSON.parse(row.state) as StoredIncident);
      const latest = event.get(organizationId, incident.id, incident.seq);
      return {
        position: { updatedAt: incident.updatedAt, number: incident.number },
        incident,
        latestEvent: latest && decodeEvent(JSON.parse(latest.data) as StoredEvent),
      };
    });
  }

  service(organizationId: string, serviceId: string): Service | undefined {
    const row = this.db
      .prepare<[string, string], { service_id: string; name: string }>(
        "SELECT service_id, name FROM services WHERE organization_id = ? AND service_id = ?",
      )
      .get(organizationId, serviceId);
    return row && { id: row.service_id, name: row.name };
  }

  services(organizationId: string, pageSize: number, after: string | undefined): Page<Service> {
    const cursor = after === undefined ? "" : idAfter(after);
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
}

/**
 * The last unit queued per database file in this process. Units on one file
 * run one at a time in a process: a unit awaits between its statements, and
 * a second connection of the same process starting a transaction meanwhile
 * would wait on the file lock synchronously, with the first unable to
 * finish. Other processes wait on the file lock.
 */
const tails = new Map<string, Promise<unknown>>();

/** WAL pages after which a commit checkpoints (see SqliteWriter). */
const CHECKPOINT_PAGES = 10_000;

/** Units of writes as transactions, one at a time per database file. */
class SqliteWriter implements IncidentWriter {
  readonly #unit: SqliteUnit;
  readonly #sync: DeferredSync;

  constructor(
    private readonly db: Database,
    sync: FileSync | undefined,
  ) {
    this.#unit = new SqliteUnit(db);
    this.#sync = new DeferredSync(db, sync);
    // A checkpoint copies the WAL into the database file on the event loop,
    // writing each page once however many commits changed it: at SQLite's
    // default of 1,000 pages every sixth commit under load was one and they
    // took 75% of COMMIT time. Every 10,000 pages (a WAL of up to 40 MB),
    // COMMIT went from 2.3 to 1.2 ms on average, and the throughput
    // benchmark (custom, 64 connections) from 1,424 to 1,580-1,591/s.
    db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
  }

  /**
   * Answers once the unit's commit is on disk. The fsync runs off the event
   * loop (see DeferredSync) and outside the writer's queue, so the next
   * unit commits while this one's fsync is in flight.
   */
  unit<T>(work: (unit: WriteUnit) => Promise<T>): Promise<T> {
    return this.#durably(async () => {
      this.db.exec("BEGIN IMMEDIATE");
      this.#unit.begin();
      try {
        const result = await work(this.#unit);
        this.db.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.db.inTransaction) {
          this.db.exec("ROLLBACK");
        }
        throw error;
      }
    });
  }

  /** Throws once writes can no longer be confirmed durable (see DeferredSync). */
  checkDurable(): void {
    if (this.#sync.failure !== undefined) {
      throw this.#sync.failure;
    }
  }

  /** Runs other writes between units, never inside one; answers once they are on disk. */
  exclusive<T>(work: () => T): Promise<T> {
    return this.#durably(async () => work());
  }

  /** Runs `work` in the writer's queue and answers once its commit is on disk. */
  async #durably<T>(work: () => Promise<T>): Promise<T> {
    const result = await this.#serially(work);
    await this.#sync.durable();
    return result;
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = (tails.get(this.db.name) ?? Promise.resolve()).then(work);
    tails.set(
      this.db.name,
      run.catch(() => undefined),
    );
    return run;
  }
}

/** The statements of a unit; they run inside the writer's open transaction. */
class SqliteUnit implements WriteUnit {
  readonly #delivery: Statement<[string], { state: string; results: string }>;
  readonly #done: Statement<[string, string, string, string, number, number]>;
  readonly #findOpen: Statement<[string], IncidentRow>;
  readonly #get: Statement<[string, number], IncidentRow>;
  readonly #lastNumber: Statement<[string], { n: number | null }>;
  readonly #insert: Statement<IncidentRowValues>;
  readonly #update: Statement<[string, string | null, string, string, number]>;
  readonly #event: Statement<EventRowValues>;
  readonly #numbers = new Map<string, number>();
  /** Delivery keys claimed in the open unit. */
  readonly #claimed = new Set<string>();

  constructor(private readonly db: Database) {
    this.#delivery = db.prepare(SELECT_DELIVERY);
    this.#done = db.prepare(
      `INSERT INTO deliveries (key, organization_id, integration_id, state, results, claimed_at, expires_at)
       VALUES (?, ?, ?, 'done', ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET state = 'done', results = excluded.results`,
    );
    this.#findOpen = db.prepare(SELECT_OPEN);
    this.#get = db.prepare(SELECT_BY_NUMBER);
    this.#lastNumber = db.prepare(
      "SELECT max(number) AS n FROM incidents_v2 WHERE organization_id = ?",
    );
    this.#insert = db.prepare(INSERT_INCIDENT);
    this.#update = db.prepare(
      `UPDATE incidents_v2 SET status = ?, open_key = ?, state = ?
       WHERE organization_id = ? AND number = ?`,
    );
    this.#event = db.prepare(INSERT_EVENT);
  }

  async claim(requests: readonly ClaimRequest[]): Promise<DeliveryClaim[]> {
    return requests.map((request) => {
      const rows = request.keys.map((key) => this.#delivery.get(key));
      const done = rows.find((row) => row?.state === "done");
      if (done !== undefined) {
        const results = decodeResults(JSON.parse(done.results) as StoredResultRecord[]);
        // Every identity of this delivery answers the same from now on.
        this.#complete({ ...request, results });
        return { state: "done", results };
      }
      // Claimed earlier in this same unit (the same delivery twice in one
      // batch), or a pending row an earlier release left behind.
      if (request.keys.some((key, i) => this.#claimed.has(key) || rows[i] !== undefined)) {
        return { state: "pending" };
      }
      // Nothing is written for a claim: the unit holds the write lock until
      // it commits, and complete() writes the delivery's row in the same
      // transaction, so no other writer can see the delivery half-claimed.
      for (const key of request.keys) {
        this.#claimed.add(key);
      }
      // A transaction applies a delivery whole or not at all: nothing partial to skip.
      return { state: "claimed", applied: new Map() };
    });
  }

  complete(records: readonly DeliveryRecord[]): void {
    for (const record of records) {
      if (!record.replayed) {
        this.#complete(record);
      }
    }
    insertInbox(
      this.db,
      records.flatMap((record) => (record.inbox ? [record.inbox] : [])),
    );
  }

  #complete(record: DeliveryRecord): void {
    const results = JSON.stringify(encodeResults(record.results));
    const keys = record.keys.length > 0 ? record.keys : [`log:${timeOrderedId()}`];
    for (const key of keys) {
      this.#done.run(
        key,
        record.organizationId,
        record.integrationId,
        results,
        record.at.getTime(),
        record.at.getTime() + DELIVERY_RETENTION_MS,
      );
    }
  }

  async prefetch(): Promise<void> {
    // Lookups are local reads inside the transaction: nothing to read ahead.
  }

  /** Always exact: the lookup is a local read inside the transaction. */
  async findOpen(scope: DedupScope): Promise<IncidentRecord | undefined> {
    const row = this.#findOpen.get(openKeyOf(scope));
    return row && decodeIncident(JSON.parse(row.state) as StoredIncident);
  }

  async get(organizationId: string, id: string): Promise<IncidentRecord | undefined> {
    const number = incidentNumber(id);
    const row = number === undefined ? undefined : this.#get.get(organizationId, number);
    return row && decodeIncident(JSON.parse(row.state) as StoredIncident);
  }

  /** Starts a unit: numbers are read afresh, since other processes may have written. */
  begin(): void {
    this.#numbers.clear();
    this.#claimed.clear();
  }

  async create(draft: IncidentDraft, event: EventRecord): Promise<IncidentRecord> {
    // Within a unit this process holds the write lock: the organization's
    // last number is read once, then counted on.
    const number =
      (this.#numbers.get(draft.organizationId) ??
        this.#lastNumber.get(draft.organizationId)?.n ??
        0) + 1;
    this.#numbers.set(draft.organizationId, number);
    const record = decodeIncident(encodeIncident({ ...draft, id: "", number }));
    this.#insert.run(...incidentRow(record));
    this.#append({ ...event, incidentId: record.id });
    return record;
  }

  update({ next, event }: Change): void {
    this.#update.run(
      IncidentStatus[next.status],
      openKey(next),
      JSON.stringify(encodeIncident(next)),
      next.organizationId,
      next.number,
    );
    this.#append(event);
  }

  async flush(): Promise<ReadonlySet<number>> {
    // Inside one transaction nothing can overtake a write.
    return new Set();
  }

  #append(event: EventRecord): void {
    this.#event.run(...eventRow(event));
  }
}

/** The open incident of an open key, on either connection. */
const SELECT_OPEN = "SELECT state FROM incidents_v2 WHERE open_key = ?";
/** An incident by its number, on either connection. */
const SELECT_BY_NUMBER = "SELECT state FROM incidents_v2 WHERE organization_id = ? AND number = ?";
/** A delivery's row by one of its keys, on either connection. */
const SELECT_DELIVERY = "SELECT state, results FROM deliveries WHERE key = ?";
const INSERT_INCIDENT = `INSERT INTO incidents_v2 (organization_id, number, integration_id, service_id, status, open_key, state)
   VALUES (?, ?, ?, ?, ?, ?, ?)`;
const INSERT_EVENT = `INSERT INTO incident_events_v2 (organization_id, incident_id, seq, data) VALUES (?, ?, ?, ?)`;
type IncidentRowValues = [string, number, string, string, string, string | null, string];
type EventRowValues = [string, string, number, string];

/** An incident's values for INSERT_INCIDENT, in its column order. */
function incidentRow(record: IncidentRecord): IncidentRowValues {
  return [
    record.organizationId,
    record.number,
    record.integrationId,
    record.serviceId,
    IncidentStatus[record.status],
    openKey(record),
    JSON.stringify(encodeIncident(record)),
  ];
}

/** A timeline event's values for INSERT_EVENT, in its column order. */
function eventRow(event: EventRecord): EventRowValues {
  return [event.organizationId, event.incidentId, event.seq, JSON.stringify(encodeEvent(event))];
}

/** The incident's open key; NULL (no constraint) when it holds none. */
function openKey(record: IncidentRecord): string | null {
  return heldOpenKey(record) ?? null;
}
