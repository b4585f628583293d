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
import { AlreadyExistsError, pageOf, timeOrderedId, UnavailableError } from "@runframe/util";
import {
  MongoBulkWriteError,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Filter,
  type OptionalUnlessRequiredId,
  type WriteError,
} from "mongodb";
import { replayV1, type V1Event, type V1Incident } from "./migrate-v1.js";
import { MongoInbox } from "./mongo-inbox.js";
import { MongoSchedules } from "./mongo-schedules.js";
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

/**
 * An incident document: what it was when last written (the creation, a
 * resolution, or a refresh of this hint), plus its unique `openKey`. The
 * incident's true current state is that of the newest event in its
 * timeline, which may be ahead of the document.
 */
interface IncidentDoc extends StoredIncident {
  _id: string;
  /** The first event of its timeline, written with it (seq 1). */
  created: StoredEvent;
  /**
   * Unique across the collection: while open with a dedup key, a digest of
   * (organization, integration, key), so a second open incident with that
   * key cannot be inserted; otherwise the incident's own `_id`.
   */
  openKey: string;
}

/**
 * One timeline event, `_id` = incident `_id` + `#` + zero-padded seq. A
 * unique `_id` makes appending the `seq`-th event an atomic claim of that
 * position: of two writers appending to one incident, one gets it and the
 * other learns it was overtaken. `state` is the incident as of this event.
 */
interface EventDoc extends StoredEvent {
  _id: string;
  state: StoredIncident;
}

/** The lookup of an open incident by dedup scope: `_id` is the open key. */
interface OpenKeyDoc {
  _id: string;
  incident: string;
}

interface DeliveryDoc {
  _id: string;
  organizationId: string;
  integrationId: string;
  /** `pending` while an attempt applies it; `abandoned` when that attempt failed; `done`. */
  state: "pending" | "abandoned" | "done";
  results: StoredResultRecord[];
  claimedAt: Date;
  expiresAt: Date;
}

interface ServiceDoc {
  _id: string;
  organizationId: string;
  serviceId: string;
  name: string;
}

/** After this, a claim whose attempt never finished may be taken over. */
const CLAIM_LEASE_MS = 15_000;
/**
 * A unit holding claims writes nothing once it has run this share of the
 * lease: what is left covers its last writes in flight and the clock skew
 * between replicas, so no unit writes for a delivery another attempt took over.
 */
const LEASE_WRITE_SHARE = 2 / 3;
/** How many open incidents each process keeps the latest state of. */
const OPEN_CACHE_ENTRIES = 50_000;
/** Numbers reserved at once at most (unused ones are lost only when the process stops). */
const MAX_NUMBER_BLOCK = 64;
/** Reservations tried in a row, each refused whole, before a unit gives up (retryably). */
const MAX_RESERVE_ATTEMPTS = 12;
/** The largest block a reservation catching up with a lagging counter asks for. */
const MAX_CATCH_UP_BLOCK = 1024;
const DONE = "done:";
/** How often incident documents are moved to their newest state (a hint for readers). */
const HINT_INTERVAL_MS = 5_000;

/**
 * The incident service's storage on MongoDB, written for servers without
 * transactions or atomic updates (FerretDB, where an update is a
 * read-modify-write of the whole document): every write that must not race
 * is an insert under a unique index, and the webhook path writes in bulk.
 *
 * - An incident's history is a timeline of events numbered 1, 2, …; the
 *   event `_id` makes each position claimable once, so concurrent writers
 *   (replicas) are ordered and none is lost. Counts and the latest alert
 *   are carried on each event and kept on the incident document as a hint;
 *   a read takes the document and looks for newer events by `_id`.
 * - One open incident per dedup scope: the unique `openKey` index, with
 *   `open_dedup_keys` as its lookup by `_id`.
 * - Incident numbers: blocks reserved with `$inc` on a counter, then each
 *   number claimed by inserting its own document (`incident_numbers`), so a
 *   number is this process's alone before any incident takes it. `$inc` is
 *   atomic on MongoDB; FerretDB v1 hands the same block to several callers
 *   at once (and loses increments), and a number held by two replicas let
 *   one unit mistake another replica's incident for its own new one.
 * - Idempotent deliveries: the delivery's key is a document `_id`.
 *
 * Hot-path reads are by `_id` only: FerretDB v1 pushes nothing else down
 * to its storage. Each process keeps the latest state of the open
 * incidents it has seen, checked by the unique `_id` of the next event.
 */
export class MongoIncidentStorage implements IncidentStorage {
  readonly incidents: IncidentReader;
  readonly timeline: TimelineReader;
  readonly services: ServiceCatalog;
  readonly deliveries: DeliveryLog;
  readonly inbox: MongoInbox;
  readonly writer: IncidentWriter;
  readonly changes: ChangeFeed;
  readonly schedules: MongoSchedules;
  readonly #c: Collections;

  constructor(db: Db, options: { readonly claimLeaseMs?: number } = {}) {
    const c: Collections = {
      incidents: db.collection("incidents"),
      events: db.collection("incident_events"),
      openKeys: db.collection("open_dedup_keys"),
      counters: db.collection("incident_counters"),
      numbers: db.collection("incident_numbers"),
      deliveries: db.collection("deliveries"),
      services: db.collection("services"),
      schema: db.collection("schema_versions"),
    };
    this.#c = c;
    this.incidents = {
      get: (organizationId, id) => readIncident(c, docId(organizationId, id)),
      list: (organizationId, filter, pageSize, after) =>
        listIncidents(c, organizationId, filter, pageSize, after),
      findOpen: (scope) => findOpenIncident(c, openKeyOf(scope)),
    };
    this.timeline = {
      events: (organizationId, id, pageSize, after) =>
        listEvents(c, organizationId, id, pageSize, after),
    };
    this.services = {
      async get(organizationId, serviceId) {
        const doc = await c.services.findOne({ _id: serviceDocId(organizationId, serviceId) });
        return doc === null ? undefined : { id: doc.serviceId, name: doc.name };
      },
      async put(organizationId, service) {
        await c.services.replaceOne(
          { _id: serviceDocId(organizationId, service.id) },
          { organizationId, serviceId: service.id, name: service.name },
          { upsert: true },
        );
      },
      async create(organizationId, service) {
        try {
          await c.services.insertOne({
            _id: serviceDocId(organizationId, service.id),
            organizationId,
            serviceId: service.id,
            name: service.name,
          });
        } catch (error) {
          if (error instanceof MongoServerError && error.code === 11000) {
            throw new AlreadyExistsError(`service ${service.id} already exists`, { cause: error });
          }
          throw error;
        }
      },
      async update(organizationId, service) {
        const result = await c.services.updateOne(
          { _id: serviceDocId(organizationId, service.id) },
          { $set: { name: service.name } },
        );
        return result.matchedCount === 1;
      },
      async delete(organizationId, serviceId) {
        const result = await c.services.deleteOne({ _id: serviceDocId(organizationId, serviceId) });
        return result.deletedCount === 1;
      },
      list: (organizationId, pageSize, after) => listServices(c, organizationId, pageSize, after),
    };
    this.deliveries = {
      purgeExpired: async (now) =>
        (await c.deliveries.deleteMany({ expiresAt: { $lt: now } })).deletedCount,
      answered: (keys) => answeredDelivery(c, keys),
    };
    this.inbox = new MongoInbox(db);
    this.schedules = new MongoSchedules(db);
    this.writer = new MongoWriter(c, this.inbox, options.claimLeaseMs ?? CLAIM_LEASE_MS);
    this.changes = {
      // Triggers and acknowledgements reach the incident document (what
      // the feed reads) when hints are next written.
      lagMs: HINT_INTERVAL_MS,
      after: (organizationId, after, limit) => changes(c, organizationId, after, limit),
    };
  }

  /** Upgrades data of an earlier release in place, once; how many incidents were moved. */
  async migrate(): Promise<number> {
    const c = this.#c;
    const marker = await c.schema.findOne({ _id: "incidents" });
    if (marker !== null && marker.version >= 2) {
      return 0;
    }
    const olds = await c.incidents.find({ seq: { $exists: false } }).toArray();
    for (const old of olds as unknown as (V1Incident & { _id: string })[]) {
      const oldEvents = await c.events
        .find({
          organizationId: old.organizationId,
          incidentId: incidentId(old.number),
          seq: { $exists: false },
        })
        .sort({ _id: 1 })
        .toArray();
      const { record, events } = replayV1(old, oldEvents as unknown as V1Event[]);
      const [created, ...rest] = events;
      await insertAll(
        c.events,
        rest.map((event) => eventDoc(old._id, event, record)),
      );
      await c.incidents.replaceOne({ _id: old._id }, incidentDoc(old._id, record, created!));
      await Promise.all(oldEvents.map((e) => c.events.deleteOne({ _id: e._id })));
    }
    await c.schema.replaceOne({ _id: "incidents" }, { version: 2 }, { upsert: true });
    return olds.length;
  }

  /** Creates the indexes; safe to run on every start. */
  async init(): Promise<void> {
    const c = this.#c;
    await this.inbox.init();
    await this.schedules.init();
    await c.incidents.createIndex(
      { organizationId: 1, number: 1 },
      { unique: true, name: "org_number" },
    );
    await c.incidents.createIndex({ openKey: 1 }, { unique: true, name: "open_key" });
    await c.incidents.createIndex(
      { organizationId: 1, status: 1, number: -1 },
      { name: "org_status_number" },
    );
    await c.incidents.createIndex(
      { organizationId: 1, serviceId: 1, number: -1 },
      { name: "org_service_number" },
    );
    await c.incidents.createIndex(
      { organizationId: 1, integrationId: 1, number: -1 },
      { name: "org_integration_number" },
    );
    // Every combination of ListIncidents' filters has its index: equalities, then the order.
    await c.incidents.createIndex(
      { organizationId: 1, status: 1, serviceId: 1, number: -1 },
      { name: "org_status_service_number" },
    );
    await c.incidents.createIndex(
      { organizationId: 1, status: 1, integrationId: 1, number: -1 },
      { name: "org_status_integration_number" },
    );
    await c.incidents.createIndex(
      { organizationId: 1, serviceId: 1, integrationId: 1, number: -1 },
      { name: "org_service_integration_number" },
    );
    await c.incidents.createIndex(
      { organizationId: 1, status: 1, serviceId: 1, integrationId: 1, number: -1 },
      { name: "org_status_service_integration_number" },
    );
    await c.incidents.createIndex(
      { organizationId: 1, updatedAt: 1, number: 1 },
      { name: "org_updated_number" },
    );
    await c.events.createIndex({ deliveryKey: 1 }, { name: "delivery", sparse: true });
    await c.incidents.createIndex(
      { "created.deliveryKey": 1 },
      { name: "created_delivery", sparse: true },
    );
    await c.services.createIndex(
      { organizationId: 1, serviceId: 1 },
      { unique: true, name: "org_service" },
    );
    try {
      await c.deliveries.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: "expiry" });
    } catch (error) {
      // FerretDB has no TTL indexes; purgeExpired() does the same job there.
      if (!(error instanceof MongoServerError && error.codeName === "NotImplemented")) {
        throw error;
      }
      await c.deliveries.createIndex({ expiresAt: 1 }, { name: "expiry" });
    }
  }
}

interface Collections {
  readonly incidents: Collection<IncidentDoc>;
  readonly events: Collection<EventDoc>;
  readonly openKeys: Collection<OpenKeyDoc>;
  readonly counters: Collection<{ _id: string; last: number }>;
  /** One document per incident number handed out: `<organization>/<number>`. */
  readonly numbers: Collection<{ _id: string }>;
  readonly deliveries: Collection<DeliveryDoc>;
  readonly services: Collection<ServiceDoc>;
  readonly schema: Collection<{ _id: string; version: number }>;
}

/** An incident's current state: its document, then any newer events found by `_id`. */
async function readIncident(c: Collections, id: string): Promise<IncidentRecord | undefined> {
  const doc = await c.incidents.findOne({ _id: id });
  if (doc === null) {
    return undefined;
  }
  return latestState(c, id, decodeIncident(doc));
}

/**
 * The open incident of an open key, read only, as a unit's lookup decides
 * it (readHolder) without the repairs the lookup makes (it leaves those to
 * the next real write). It always queries `openKey` when no entry names an
 * incident: that query is served by its unique index on MongoDB and scans
 * on FerretDB, and this is made for dry runs of keys with no open incident
 * only, which their own rate limit keeps few, never on the webhook path.
 */
async function findOpenIncident(c: Collections, key: string): Promise<IncidentRecord | undefined> {
  const record = await readHolder(c, key, true);
  return record?.status === IncidentStatus.RESOLVED ? undefined : record;
}

/**
 * The incident holding an open key: the one its lookup entry names, else
 * (`queryWithoutEntry`: a creation of ours was refused, or nothing tells
 * whether one was) the one whose `openKey` is the key, which a creator that
 * stopped before inserting the entry leaves behind. An entry can name an
 * incident that is not this scope's: the leftover of a creation that was
 * refused, until its writer takes it back, whose number another scope's
 * incident holds (numbers handed out twice by a release before numbers
 * were claimed one by one, on FerretDB). That incident must not take this
 * scope's alerts, so then the `openKey` query decides. The incident found
 * may have been resolved since without releasing the key.
 */
async function readHolder(
  c: Collections,
  key: string,
  queryWithoutEntry: boolean,
): Promise<IncidentRecord | undefined> {
  const entry = await c.openKeys.findOne({ _id: key });
  const record = entry === null ? undefined : await readIncident(c, entry.incident);
  const leftover = entry !== null && (record === undefined || openKeyOf(record) !== key);
  if (!leftover && (entry !== null || !queryWithoutEntry)) {
    return record;
  }
  // FerretDB scans for this query: this path is rare.
  const doc = await c.incidents.findOne({ openKey: key });
  return doc === null ? undefined : latestState(c, doc._id, decodeIncident(doc));
}

/** The results of an applied delivery under one of its identities, as a unit's claim reads them. */
async function answeredDelivery(
  c: Collections,
  keys: readonly string[],
): Promise<readonly StoredResult[] | undefined> {
  for (const key of keys) {
    const done = await c.deliveries.findOne({ _id: DONE + key });
    if (done !== null) {
      return decodeResults(done.results);
    }
  }
  for (const key of keys) {
    // Completed by the first release, which marked the claim itself done.
    const claim = await c.deliveries.findOne({ _id: key });
    if (claim?.state === "done") {
      return decodeResults(claim.results);
    }
  }
  return undefined;
}

/**
 * The newest state of an incident known to be at least `known`: the
 * timeline has no gaps, so the newest event is found by doubling the step
 * past `known.seq` until an `_id` is missing, then halving back.
 */
async function latestState(
  c: Collections,
  id: string,
  known: IncidentRecord,
): Promise<IncidentRecord> {
  const exists = async (seq: number) =>
    (await c.events.findOne({ _id: eventId(id, seq) })) !== null;
  let low = known.seq;
  let step = 1;
  while (await exists(low + step)) {
    low += step;
    step *= 2;
  }
  let high = low + step;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await exists(mid)) {
      low = mid;
    } else {
      high = mid;
    }
  }
  if (low === known.seq) {
    return known;
  }
  const newest = await c.events.findOne({ _id: eventId(id, low) });
  return newest === null ? known : decodeIncident(newest.state);
}

async function listIncidents(
  c: Collections,
  organizationId: string,
  filter: IncidentFilter,
  pageSize: number,
  after: string | undefined,
): Promise<Page<IncidentRecord>> {
  const query: Record<string, unknown> = { organizationId };
  if (filter.status !== undefined) {
    query["status"] = IncidentStatus[filter.status];
  }
  if (filter.serviceId) {
    query["serviceId"] = filter.serviceId;
  }
  if (filter.integrationId) {
    query["integrationId"] = filter.integrationId;
  }
  if (after !== undefined) {
    query["number"] = { $lt: numberAfter(after) };
  }
  const docs = await c.incidents
    .find(query as Filter<IncidentDoc>)
    .sort({ number: -1 })
    .limit(pageSize + 1)
    .toArray();
  const page = pageOf(docs, pageSize, decodeIncident, (last) => last.number);
  const items = await Promise.all(
    page.items.map((r) => latestState(c, docId(r.organizationId, r.id), r)),
  );
  return { items, next: page.next };
}

/**
 * Incident documents by (organization, updatedAt, number). A document is
 * a hint refreshed at each commit, so each is read forward to its latest
 * state; its position stays the document's.
 */
async function changes(
  c: Collections,
  organizationId: string,
  after: ChangePosition,
  limit: number,
): Promise<ChangedIncident[]> {
  const docs = await c.incidents
    .find({
      organizationId,
      $or: [
        { updatedAt: { $gt: after.updatedAt } },
        { updatedAt: after.updatedAt, number: { $gt: after.number } },
      ],
    })
    .sort({ updatedAt: 1, number: 1 })
    .limit(limit)
    .toArray();
  return Promise.all(
    docs.map(async (doc) => {
      const hint = decodeIncident(doc);
      const incident = await latestState(c, doc._id, hint);
      // The creation travels with the incident document; the rest are events.
      const latest =
        incident.seq === 1
          ? decodeEvent(doc.created)
          : await c.events
              .findOne({ _id: eventId(doc._id, incident.seq) })
              .then((e) => e && fromEventDoc(e));
      return {
        position: { updatedAt: hint.updatedAt, number: hint.number },
        incident,
        latestEvent: latest ?? undefined,
      };
    }),
  );
}

/** A page of the timeline, read by `_id`: positions are dense, so no query scans. */
async function listEvents(
  c: Collections,
  organizationId: string,
  id: string,
  pageSize: number,
  after: string | undefined,
): Promise<Page<EventRecord>> {
  const _id = docId(organizationId, id);
  const doc = await c.incidents.findOne({ _id });
  if (doc === null) {
    return { items: [], next: undefined };
  }
  const incident = await latestState(c, _id, decodeIncident(doc));
  const from = after === undefined ? 0 : numberAfter(after);
  const last = Math.min(incident.seq, from + pageSize + 1);
  // The creation travels with the incident document; the rest are events.
  const first = from === 0 ? [decodeEvent(doc.created)] : [];
  const docs = await Promise.all(
    Array.from({ length: Math.max(0, last - Math.max(from, 1)) }, (_, i) =>
      c.events.findOne({ _id: eventId(_id, Math.max(from, 1) + 1 + i) }),
    ),
  );
  return pageOf(
    [...first, ...docs.filter((d): d is EventDoc => d !== null).map(fromEventDoc)],
    pageSize,
    (e) => e,
    (e) => e.seq,
  );
}

async function listServices(
  c: Collections,
  organizationId: string,
  pageSize: number,
  after: string | undefined,
): Promise<Page<Service>> {
  const query: Filter<ServiceDoc> = { organizationId };
  if (after !== undefined) {
    query.serviceId = { $gt: idAfter(after) };
  }
  const docs = await c.services
    .find(query)
    .sort({ serviceId: 1 })
    .limit(pageSize + 1)
    .toArray();
  return pageOf(
    docs,
    pageSize,
    (d) => ({ id: d.serviceId, name: d.name }),
    (last) => last.id,
  );
}

/**
 * Units of writes, one at a time per process. Keeps what outlives a unit:
 * the latest state of open incidents this process has seen (by open key)
 * and the incident numbers it has reserved.
 */
class MongoWriter implements IncidentWriter {
  #tail: Promise<unknown> = Promise.resolve();
  readonly open = new Map<string, IncidentRecord>();
  /** Numbers this process has claimed and not yet used, by organization. */
  readonly numbers = new Map<string, { free: number[] }>();

  constructor(
    readonly c: Collections,
    readonly inbox: MongoInbox,
    readonly claimLeaseMs: number,
  ) {}

  unit<T>(work: (unit: WriteUnit) => Promise<T>): Promise<T> {
    const run = this.#tail.then(async () => {
      const unit = new MongoUnit(this);
      try {
        const result = await work(unit);
        await unit.commit();
        return result;
      } catch (error) {
        await unit.abandon();
        throw error;
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Incidents advanced past their document's hint, with their newest state, not yet written back. */
  readonly #hints = new Map<string, IncidentRecord>();
  #lastHints = 0;
  #hintTimer: NodeJS.Timeout | undefined;

  /**
   * Notes incidents a unit advanced. Their documents are moved to the new
   * state at most every 5 s (and a moment after the last unit), in one
   * bulk write: where updates are whole-document read-modify-writes
   * (FerretDB) a write per occurrence would cost more than the occurrence.
   * The document is only a hint: readers walk the timeline forward from it.
   */
  advanced(states: ReadonlyMap<string, IncidentRecord>): void {
    for (const [_id, state] of states) {
      if (state.seq > 1 && state.status !== IncidentStatus.RESOLVED) {
        this.#hints.set(_id, state);
      }
    }
    if (this.#hints.size > 0 && Date.now() - this.#lastHints >= HINT_INTERVAL_MS) {
      void this.#writeHints();
    } else if (this.#hints.size > 0 && this.#hintTimer === undefined) {
      this.#hintTimer = setTimeout(() => void this.#writeHints(), HINT_INTERVAL_MS);
      this.#hintTimer.unref();
    }
  }

  #writeHints(): Promise<void> {
    clearTimeout(this.#hintTimer);
    this.#hintTimer = undefined;
    this.#lastHints = Date.now();
    const updates: AnyBulkWriteOperation<IncidentDoc>[] = [...this.#hints].map(([_id, state]) => ({
      updateOne: {
        filter: { _id, seq: { $lt: state.seq } },
        update: { $set: encodeIncident(state) },
      },
    }));
    this.#hints.clear();
    // Beside the units, not between them: a hint needs no ordering, and
    // holding units back for it would stall webhooks on every refresh.
    return updateInCommands(this.c.incidents, updates).then(
      () => undefined,
      // Only a hint: a reader walks forward from an older one.
      () => undefined,
    );
  }

  remember(record: IncidentRecord): void {
    if (record.dedupKey === "") {
      return;
    }
    const key = openKeyOf(record);
    this.open.delete(key);
    if (record.status === IncidentStatus.RESOLVED) {
      return;
    }
    if (this.open.size >= OPEN_CACHE_ENTRIES) {
      this.open.delete(this.open.keys().next().value!);
    }
    this.open.set(key, record);
  }

  /** How many incidents the last unit created, per organization. */
  readonly demand = new Map<string, number>();

  /** Numbers reserved, then not used (a refused creation), handed out first. */
  readonly #returned = new Map<string, number[]>();

  giveBack(organizationId: string, number: number): void {
    const returned = this.#returned.get(organizationId) ?? [];
    returned.push(number);
    returned.sort((a, b) => a - b);
    this.#returned.set(organizationId, returned);
  }

  async nextNumber(organizationId: string, expected: number): Promise<number> {
    const returned = this.#returned.get(organizationId)?.shift();
    if (returned !== undefined) {
      return returned;
    }
    let pool = this.numbers.get(organizationId);
    if (pool === undefined || pool.free.length === 0) {
      // As many as the last unit created in this organization: one
      // reservation per unit under steady load, one number at a time when quiet.
      const block = Math.min(
        MAX_NUMBER_BLOCK,
        Math.max(1, expected, this.demand.get(organizationId) ?? 1),
      );
      pool = { free: await this.#reserve(organizationId, block) };
      this.numbers.set(organizationId, pool);
    }
    return pool.free.shift()!;
  }

  /** Numbers of a block from the counter that this process claimed, in order; at least one. */
  async #reserve(organizationId: string, first: number): Promise<number[]> {
    let block = first;
    for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt++) {
      let end: number;
      try {
        const counter = await this.c.counters.findOneAndUpdate(
          { _id: organizationId },
          { $inc: { last: block } },
          { upsert: true, returnDocument: "after" },
        );
        end = counter?.last ?? block;
      } catch (error) {
        // Two first upserts at once (FerretDB): the counter exists now, so
        // the same block is asked for again.
        if (error instanceof MongoServerError && error.code === 11000) {
          continue;
        }
        throw error;
      }
      const wanted = Array.from({ length: block }, (_, i) => end - block + 1 + i);
      const taken = await insertAll(
        this.c.numbers,
        wanted.map((n) => ({ _id: numberId(organizationId, n) })),
      );
      const mine = wanted.filter((n) => !taken.has(numberId(organizationId, n)));
      if (mine.length > 0) {
        return mine;
      }
      // A block refused whole means the counter lags the claims (increments
      // lost on FerretDB): the next block is twice as large, to catch up fast.
      block = Math.min(2 * block, MAX_CATCH_UP_BLOCK);
    }
    throw new UnavailableError("could not reserve incident numbers; retry", {
      reason: "NUMBERS_CONTENDED",
    });
  }
}

/** An incident this unit reads or writes. */
interface Touched {
  /** Its state as this unit sees it, with its pending writes applied. */
  record: IncidentRecord;
  /** Inserted by this unit (not yet, until flushed). */
  created?: { readonly tag: number; inserted: boolean };
  /** Events waiting to be inserted, in order, with the state after each. */
  readonly pending: { event: EventRecord; next: IncidentRecord; tag: number }[];
  /** The newest state known to be stored. */
  stored: IncidentRecord | undefined;
}

class MongoUnit implements WriteUnit {
  readonly #w: MongoWriter;
  readonly #c: Collections;
  readonly #touched = new Map<string, Touched>();
  /** Open key → incident `_id` (or none) as this unit sees it. */
  readonly #openKeys = new Map<string, string | undefined>();
  readonly #completions: DeliveryRecord[] = [];
  readonly #claimed: string[] = [];
  readonly #creates = new Map<string, number>();
  /** Scopes whose creation was refused in this unit: looked up in full. */
  readonly #contested = new Set<string>();
  /** What prefetch found (or found missing) for scopes not in the cache. */
  readonly #prefetched = new Map<string, IncidentRecord | undefined>();
  /** Incidents whose timeline this unit advanced, with their newest state. */
  readonly #advanced = new Map<string, IncidentRecord>();
  /** When this unit began, on this process's clock: the time its claims carry. */
  readonly #since = new Date();

  constructor(writer: MongoWriter) {
    this.#w = writer;
    this.#c = writer.c;
  }

  async claim(requests: readonly ClaimRequest[]): Promise<DeliveryClaim[]> {
    if (requests.length === 0) {
      return [];
    }
    const docs = requests.flatMap((r) =>
      r.keys.map((key) => claimDoc(key, r, "pending", this.#since)),
    );
    // By position, not by key: the same delivery twice in one unit inserts
    // one claim and is refused the other, under one key.
    const refused = await insertRefused(this.#c.deliveries, docs);
    // Contests run at once (a retry storm brings hundreds per unit), except
    // that one sharing an identity with an earlier one waits for it.
    const contests = new Map<string, Promise<unknown>>();
    let position = 0;
    return Promise.all(
      requests.map((request): Promise<DeliveryClaim> => {
        const mine = request.keys.map(() => !refused.has(position++));
        const ours = request.keys.filter((_, i) => mine[i]);
        this.#claimed.push(...ours);
        if (mine.every(Boolean)) {
          return Promise.resolve({ state: "claimed", applied: new Map() });
        }
        const before = request.keys.flatMap((key) => contests.get(key) ?? []);
        const contest = Promise.all(before).then(() => this.#contest(request, ours));
        for (const key of request.keys) {
          contests.set(
            key,
            contest.catch(() => undefined),
          );
        }
        return contest;
      }),
    );
  }

  /**
   * A delivery some of whose identities were claimed before: done (answer
   * as then, under every identity), still being applied elsewhere
   * (pending), or abandoned by an attempt that failed or died, which this
   * one then takes over, skipping the alerts it applied.
   */
  async #contest(request: ClaimRequest, ours: readonly string[]): Promise<DeliveryClaim> {
    for (const key of request.keys) {
      const done = await this.#c.deliveries.findOne({ _id: DONE + key });
      if (done !== null) {
        const results = decodeResults(done.results);
        this.#completions.push({ ...request, results });
        return { state: "done", results };
      }
    }
    for (const key of request.keys.filter((k) => !ours.includes(k))) {
      const claim = await this.#c.deliveries.findOne({ _id: key });
      if (claim?.state === "done") {
        // Completed by the first release, which marked the claim itself done.
        const results = decodeResults(claim.results);
        this.#completions.push({ ...request, results });
        return { state: "done", results };
      }
      const stale =
        claim === null ||
        claim.state === "abandoned" ||
        Date.now() - claim.claimedAt.getTime() > this.#w.claimLeaseMs;
      const takenOver =
        stale &&
        (claim === null ||
          (await this.#c.deliveries.deleteOne({ _id: key, claimedAt: claim.claimedAt }))
            .deletedCount === 1) &&
        (await insertAll(this.#c.deliveries, [claimDoc(key, request, "pending", this.#since)]))
          .size === 0;
      if (!takenOver) {
        // Not ours to apply: give back the identities claimed beside it.
        await Promise.all(ours.map((id) => this.#c.deliveries.deleteOne({ _id: id })));
        this.#unclaim(ours);
        return { state: "pending" };
      }
      this.#claimed.push(key);
    }
    return { state: "claimed", applied: await this.#applied(request.keys[0]!) };
  }

  #unclaim(keys: readonly string[]): void {
    const remaining = this.#claimed.filter((key) => !keys.includes(key));
    this.#claimed.length = 0;
    this.#claimed.push(...remaining);
  }

  /** What the events of an interrupted attempt at a delivery applied, by alert index. */
  async #applied(deliveryKey: string): Promise<Map<number, StoredResult>> {
    const [events, created] = await Promise.all([
      this.#c.events.find({ deliveryKey }).toArray(),
      this.#c.incidents.find({ "created.deliveryKey": deliveryKey }).toArray(),
    ]);
    const applied = new Map<number, StoredResult>();
    for (const [stored, dedupKey] of [
      ...events.map((doc) => [doc, doc.state.dedupKey] as const),
      ...created.map((doc) => [doc.created, doc.dedupKey] as const),
    ]) {
      const event = decodeEvent(stored);
      if (event.cause && event.action !== undefined) {
        applied.set(event.cause.alertIndex, {
          incidentId: event.incidentId,
          action: event.action,
          dedupKey,
        });
      }
    }
    return applied;
  }

  complete(records: readonly DeliveryRecord[]): void {
    this.#completions.push(...records);
  }

  async prefetch(scopes: readonly DedupScope[]): Promise<void> {
    const keys = new Set(scopes.map(openKeyOf).filter((key) => !this.#w.open.has(key)));
    await Promise.all(
      [...keys].map(async (key) => this.#prefetched.set(key, await this.#lookup(key))),
    );
  }

  /**
   * A trigger for a scope this process knows nothing about is answered
   * "none open" without a read: most such scopes are new, and if one is open
   * after all, the unique open key refuses the creation and the alert is
   * decided again, this time with a read.
   */
  async findOpen(
    scope: DedupScope,
    intent: "trigger" | "resolve" | "acknowledge",
  ): Promise<IncidentRecord | undefined> {
    const key = openKeyOf(scope);
    if (this.#openKeys.has(key)) {
      const id = this.#openKeys.get(key);
      return id === undefined ? undefined : this.#touched.get(id)?.record;
    }
    const cached = this.#w.open.get(key) ?? this.#prefetched.get(key);
    if (cached === undefined && intent === "trigger" && !this.#contested.has(key)) {
      return undefined;
    }
    const found = cached ?? (await this.#lookup(key));
    const id = found && docId(found.organizationId, found.id);
    this.#openKeys.set(key, id);
    if (found === undefined || id === undefined) {
      return undefined;
    }
    return this.#touch(id, found).record;
  }

  async get(organizationId: string, id: string): Promise<IncidentRecord | undefined> {
    const _id = docId(organizationId, id);
    const touched = this.#touched.get(_id);
    if (touched !== undefined) {
      return touched.record;
    }
    const record = await readIncident(this.#c, _id);
    return record && this.#touch(_id, record).record;
  }

  async create(draft: IncidentDraft, event: EventRecord, tag: number): Promise<IncidentRecord> {
    const expected = (this.#creates.get(draft.organizationId) ?? 0) + 1;
    this.#creates.set(draft.organizationId, expected);
    const number = await this.#w.nextNumber(draft.organizationId, expected);
    const record: IncidentRecord = { ...draft, id: incidentId(number), number };
    const _id = docId(record.organizationId, record.id);
    this.#touched.set(_id, {
      record,
      created: { tag, inserted: false },
      pending: [{ event: { ...event, incidentId: record.id }, next: record, tag }],
      stored: undefined,
    });
    const key = heldOpenKey(record);
    if (key !== undefined) {
      this.#openKeys.set(key, _id);
    }
    return record;
  }

  update(change: Change, tag: number): void {
    const _id = docId(change.next.organizationId, change.next.id);
    const touched = this.#touch(_id, change.next);
    touched.record = change.next;
    touched.pending.push({ event: change.event, next: change.next, tag });
    if (change.next.status === IncidentStatus.RESOLVED && change.next.dedupKey !== "") {
      this.#openKeys.set(openKeyOf(change.next), undefined);
    }
  }

  async flush(): Promise<ReadonlySet<number>> {
    if (
      this.#claimed.length > 0 &&
      Date.now() - this.#since.getTime() > this.#w.claimLeaseMs * LEASE_WRITE_SHARE
    ) {
      // Past this point another attempt at the same deliveries may take
      // them over and apply them; so this one stops, and its claims stay
      // for a retry to take over, skipping what this unit already wrote.
      throw new UnavailableError("took too long to apply these deliveries; retry later", {
        reason: "CLAIM_LEASE_EXPIRED",
      });
    }
    const refused = new Set<number>();
    const overtaken: Touched[] = [];
    const refuseFrom = (touched: Touched, from: number) => {
      for (const p of touched.pending.slice(from)) {
        refused.add(p.tag);
      }
      overtaken.push(touched);
    };

    // One round trip for most units: new incidents (each carrying its
    // creation event), their lookup entries, and the events of incidents
    // that already exist, all at once. The later events of an incident
    // created in this unit wait for it: had its number been taken by
    // another replica, they would land in that incident's timeline.
    const creating = [...this.#touched.entries()].filter(
      ([, t]) => t.created && !t.created.inserted,
    );
    const lookups = creating
      .filter(([_id, t]) => openKeyOfRecord(t.pending[0]!.next) !== _id)
      .map(([_id, t]) => ({ _id: openKeyOfRecord(t.pending[0]!.next), incident: _id }));
    const existing = [...this.#touched.entries()].filter(([, t]) => !t.created);
    const advanced = new Map<string, IncidentRecord>();
    const [refusedIds, refusedLookups] = await Promise.all([
      insertAll(
        this.#c.incidents,
        creating.map(([_id, t]) => incidentDoc(_id, t.pending[0]!.next, t.pending[0]!.event)),
      ),
      insertAll(this.#c.openKeys, lookups),
      this.#appendEvents(existing, advanced, refuseFrom),
    ]);
    const later: [string, Touched][] = [];
    for (const [_id, touched] of creating) {
      if (refusedIds.has(_id)) {
        await this.#refusedCreation(_id, touched.record);
        refuseFrom(touched, 0);
        const key = openKeyOfRecord(touched.record);
        if (key !== _id && !refusedLookups.has(key)) {
          // Our lookup entry went in beside a refused incident: take it back.
          await this.#c.openKeys.deleteOne({ _id: key, incident: _id });
        }
        continue;
      }
      touched.created!.inserted = true;
      advanced.set(_id, touched.pending[0]!.next);
      touched.pending.shift();
      if (touched.pending.length > 0) {
        later.push([_id, touched]);
      }
      const key = openKeyOfRecord(touched.record);
      if (refusedLookups.has(key)) {
        // A leftover of a resolution that did not finish: this incident owns the scope now.
        await this.#c.openKeys.replaceOne({ _id: key }, { incident: _id });
      }
    }
    await this.#appendEvents(later, advanced, refuseFrom);

    // Resolutions: update what listings filter on, and free the dedup scope.
    const resolutions: AnyBulkWriteOperation<IncidentDoc>[] = [];
    const freed: AnyBulkWriteOperation<OpenKeyDoc>[] = [];
    for (const [_id, stored] of advanced) {
      this.#advanced.set(_id, stored);
      this.#touched.get(_id)!.stored = stored;
      this.#w.remember(stored);
      if (stored.status === IncidentStatus.RESOLVED && stored.seq > 1) {
        resolutions.push({
          updateOne: {
            filter: { _id },
            update: { $set: { ...encodeIncident(stored), openKey: _id } },
          },
        });
        if (stored.dedupKey !== "") {
          freed.push({ deleteOne: { filter: { _id: openKeyOf(stored), incident: _id } } });
        }
      }
    }
    for (const touched of this.#touched.values()) {
      touched.pending.length = 0;
    }
    for (const touched of overtaken) {
      this.#forget(touched);
    }
    await updateInCommands(this.#c.incidents, resolutions);
    if (freed.length > 0) {
      await this.#c.openKeys.bulkWrite(freed, { ordered: false });
    }
    return refused;
  }

  /** Inserts incidents' pending events, in order per incident; the first refused stops its incident. */
  async #appendEvents(
    incidents: readonly [string, Touched][],
    advanced: Map<string, IncidentRecord>,
    refuseFrom: (touched: Touched, from: number) => void,
  ): Promise<void> {
    // The next event of every incident at once, unordered: a refusal (another
    // writer took that position) stops only its own incident, in one round
    // trip however many incidents were overtaken.
    const heads = incidents.filter(([, touched]) => touched.pending.length > 0);
    const refusedHeads = await insertAll(
      this.#c.events,
      heads.map(([_id, touched]) =>
        eventDoc(_id, touched.pending[0]!.event, touched.pending[0]!.next),
      ),
    );
    const ahead: [string, Touched][] = [];
    for (const [_id, touched] of heads) {
      if (refusedHeads.has(eventId(_id, touched.pending[0]!.event.seq))) {
        refuseFrom(touched, 0);
      } else {
        advanced.set(_id, touched.pending[0]!.next);
        ahead.push([_id, touched]);
      }
    }
    let queue = ahead.flatMap(([_id, touched]) =>
      touched.pending.slice(1).map((p, i) => ({ _id, touched, p, index: i + 1 })),
    );
    while (queue.length > 0) {
      const failedAt = await insertOrdered(
        this.#c.events,
        queue.map(({ _id, p }) => eventDoc(_id, p.event, p.next)),
      );
      for (const { _id, p } of failedAt === undefined ? queue : queue.slice(0, failedAt)) {
        advanced.set(_id, p.next);
      }
      if (failedAt === undefined) {
        return;
      }
      const failed = queue[failedAt]!;
      refuseFrom(failed.touched, failed.index);
      queue = queue.slice(failedAt + 1).filter(({ touched }) => touched !== failed.touched);
    }
  }

  /** Makes the unit durable: its last writes, then the delivery log. */
  async commit(): Promise<void> {
    await this.flush();
    this.#w.advanced(this.#advanced);
    for (const [organizationId, created] of this.#creates) {
      this.#w.demand.set(organizationId, created);
    }
    const docs = this.#completions
      .filter((record) => !record.replayed)
      .flatMap((record) => {
        const keys =
          record.keys.length > 0 ? record.keys.map((k) => DONE + k) : [`log:${timeOrderedId()}`];
        return keys.map((key) => ({
          ...claimDoc(key, record, "done"),
          results: encodeResults(record.results),
        }));
      });
    await Promise.all([
      insertAll(this.#c.deliveries, docs),
      this.#w.inbox.record(
        this.#completions.flatMap((record) => (record.inbox ? [record.inbox] : [])),
      ),
    ]);
  }

  /** After a failure: marks this unit's claims abandoned, so a retry may take them over at once. */
  async abandon(): Promise<void> {
    for (const touched of this.#touched.values()) {
      this.#forget(touched);
    }
    if (this.#claimed.length === 0) {
      return;
    }
    await updateInCommands(
      this.#c.deliveries,
      this.#claimed.map((key) => ({
        // Only claims still ours: one taken over meanwhile belongs to its new attempt.
        updateOne: {
          filter: { _id: key, claimedAt: this.#since },
          update: { $set: { state: "abandoned" as const } },
        },
      })),
    ).catch(() => undefined);
  }

  /**
   * A creation was refused: its scope had an open incident after all, or
   * its number was taken by another replica. The scope is looked up in full
   * from now on, and the number goes back to the pool when nobody has it.
   */
  async #refusedCreation(_id: string, record: IncidentRecord): Promise<void> {
    if (record.dedupKey !== "") {
      this.#contested.add(openKeyOf(record));
    }
    if ((await this.#c.incidents.findOne({ _id }, { projection: { _id: 1 } })) === null) {
      this.#w.giveBack(record.organizationId, record.number);
    } else {
      this.#w.numbers.delete(record.organizationId);
    }
  }

  /** Finds the open incident of a scope by its lookup entry, cleaning up after an unfinished resolution. */
  async #lookup(key: string): Promise<IncidentRecord | undefined> {
    // Where our creation was refused, an incident holds the key; its creator
    // inserts the lookup entry just after it (or died in between).
    let record = await readHolder(this.#c, key, this.#contested.has(key));
    if (record && record.status === IncidentStatus.RESOLVED) {
      const _id = docId(record.organizationId, record.id);
      await this.#c.incidents.updateOne(
        { _id },
        { $set: { ...encodeIncident(record), openKey: _id } },
      );
      await this.#c.openKeys.deleteOne({ _id: key, incident: _id });
      record = undefined;
    }
    if (record) {
      this.#w.remember(record);
    }
    return record;
  }

  #touch(_id: string, record: IncidentRecord): Touched {
    let touched = this.#touched.get(_id);
    if (touched === undefined) {
      touched = { record, pending: [], stored: record };
      this.#touched.set(_id, touched);
    }
    return touched;
  }

  /**
   * Drops what this process believed about an incident, so it is read
   * afresh: its scope is contested, looked up in full from now on.
   */
  #forget(touched: Touched): void {
    const record = touched.record;
    if (record.dedupKey !== "") {
      const key = openKeyOf(record);
      this.#w.open.delete(key);
      this.#openKeys.delete(key);
      this.#prefetched.delete(key);
      this.#contested.add(key);
    }
    this.#touched.delete(docId(record.organizationId, record.id));
  }
}

/**
 * Statements per update command. FerretDB v1 keeps a connection of its
 * SQLite pool (100) for every statement of an update command until the
 * command ends, and each statement takes one more to write: a command of
 * 100 updates waits for itself forever, and a few large ones at once (every
 * replica writes hints) starve each other, after which the server answers
 * nothing at all. Small commands keep even a dozen at once clear of that;
 * MongoDB takes them as easily.
 */
const UPDATES_PER_COMMAND = 8;

/** Runs update statements in small unordered commands, one after another; stops at the first failure. */
async function updateInCommands<T extends { _id: string }>(
  collection: Collection<T>,
  updates: readonly AnyBulkWriteOperation<T>[],
): Promise<void> {
  for (let i = 0; i < updates.length; i += UPDATES_PER_COMMAND) {
    await collection.bulkWrite(updates.slice(i, i + UPDATES_PER_COMMAND), { ordered: false });
  }
}

/** The `_id` of the document that claims an incident number. */
function numberId(organizationId: string, number: number): string {
  return `${organizationId}/${number}`;
}

/** Inserts without stopping at duplicates; the `_id`s a unique index refused. */
async function insertAll<T extends { _id: string }>(
  collection: Collection<T>,
  docs: readonly T[],
): Promise<Set<string>> {
  const refused = await insertRefused(collection, docs);
  return new Set([...refused].map((index) => docs[index]!._id));
}

/** Inserts without stopping at duplicates; the positions of the documents a unique index refused. */
async function insertRefused<T extends { _id: string }>(
  collection: Collection<T>,
  docs: readonly T[],
): Promise<Set<number>> {
  if (docs.length === 0) {
    return new Set();
  }
  try {
    await collection.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: false });
    return new Set();
  } catch (error) {
    return new Set(duplicates(error));
  }
}

/** Inserts in order; the index of the first document a unique index refused, if any. */
async function insertOrdered<T extends { _id: string }>(
  collection: Collection<T>,
  docs: readonly T[],
): Promise<number | undefined> {
  if (docs.length === 0) {
    return undefined;
  }
  try {
    await collection.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: true });
    return undefined;
  } catch (error) {
    return duplicates(error)[0];
  }
}

/** The indexes of documents refused as duplicates; anything else is rethrown. */
function duplicates(error: unknown): number[] {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors: readonly WriteError[] = Array.isArray(error.writeErrors)
      ? (error.writeErrors as WriteError[])
      : [error.writeErrors as WriteError];
    if (writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000)) {
      return writeErrors.map((e) => e.index);
    }
  }
  throw error;
}

/** A delivery's claim (pending since `claimedAt`), or its record (done; claimed when received). */
function claimDoc(
  key: string,
  owner: { organizationId: string; integrationId: string; at: Date },
  state: DeliveryDoc["state"],
  claimedAt = owner.at,
): DeliveryDoc {
  return {
    _id: key,
    organizationId: owner.organizationId,
    integrationId: owner.integrationId,
    state,
    results: [],
    claimedAt,
    expiresAt: new Date(owner.at.getTime() + DELIVERY_RETENTION_MS),
  };
}

function incidentDoc(_id: string, record: IncidentRecord, created: EventRecord): IncidentDoc {
  return {
    _id,
    ...encodeIncident(record),
    openKey: openKeyOfRecord(record),
    created: encodeEvent({ ...created, incidentId: record.id }),
  };
}

/** The unique open key of an incident document: its own id when it holds none. */
function openKeyOfRecord(record: IncidentRecord): string {
  return heldOpenKey(record) ?? docId(record.organizationId, record.id);
}

function eventDoc(incidentDocId: string, event: EventRecord, next: IncidentRecord): EventDoc {
  return {
    _id: eventId(incidentDocId, event.seq),
    ...encodeEvent(event),
    state: encodeIncident(next),
  };
}

function fromEventDoc(doc: EventDoc): EventRecord {
  return decodeEvent(doc);
}

function docId(organizationId: string, id: string): string {
  return `${organizationId}/${id}`;
}

function eventId(incidentDocId: string, seq: number): string {
  return `${incidentDocId}#${String(seq).padStart(10, "0")}`;
}

function serviceDocId(organizationId: string, serviceId: string): string {
  return `${organizationId}/${serviceId}`;
}

/** Kept for callers that pass readable ids. */
export { incidentNumber };
