import {
  incidentId,
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
import { IncidentEventType, IncidentStatus } from "@runframe/contracts";
import { decodePageToken, pageOf } from "@runframe/util";
import { randomUUID } from "node:crypto";
import {
  MongoServerError,
  type Collection,
  type Db,
  type Filter,
  type OptionalUnlessRequiredId,
} from "mongodb";
import { IncidentNumbers } from "./incident-numbers.js";

interface IncidentDoc {
  _id: string;
  organizationId: string;
  number: number;
  integrationId: string;
  dedupKey: string;
  serviceId: string;
  status: string;
  first: StoredAlert;
  /**
   * Unique across the collection. While the incident is open and has a dedup
   * key it is a digest of (organization, integration, key), so a second open
   * incident with that key cannot be inserted; otherwise it is the
   * incident's own `_id`, which frees the key for the next incident.
   */
  openKey: string;
  createdAt: Date;
  resolvedAt?: Date;
  resolvedBy?: string;
}

interface EventDoc {
  _id: string;
  organizationId: string;
  incidentId: string;
  type: string;
  actor: string;
  summary: string;
  createdAt: Date;
  alert?: StoredAlert;
}

interface ServiceDoc {
  _id: string;
  organizationId: string;
  serviceId: string;
  name: string;
}

/** The lookup of an open incident by dedup key: `_id` is the incident's `openKey`. */
interface OpenKeyDoc {
  _id: string;
  incident: string;
}

interface DeliveryDoc {
  _id: string;
  organizationId: string;
  integrationId: string;
  state: "pending" | "done";
  results: StoredResult[];
  claimedAt: Date;
  expiresAt: Date;
}

/** How long the delivery log keeps entries (and so how long redeliveries are recognised). */
const DELIVERY_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** Attempts at taking the organization's next incident number under contention. */
const MAX_NUMBER_ATTEMPTS = 200;

/**
 * The incident store on MongoDB, written for servers without transactions
 * or atomic updates (FerretDB): every write that must not race is an insert
 * under a unique index.
 * - Incident numbers: insert with the next number; the unique
 *   (organizationId, number) index refuses a taken one and we try the next.
 * - One open incident per dedup key: the unique `openKey` index, with
 *   `open_dedup_keys` as its lookup by `_id`.
 * - Occurrences, acknowledgements: timeline inserts, counted on read.
 * - Idempotent deliveries: the delivery document's `_id` is the key.
 *
 * The webhook path reads and writes documents only by `_id`: FerretDB v1
 * pushes nothing else down to its storage and would scan whole collections.
 */
export class MongoIncidentStore implements IncidentStore {
  readonly #incidents: Collection<IncidentDoc>;
  readonly #events: Collection<EventDoc>;
  readonly #services: Collection<ServiceDoc>;
  readonly #deliveries: Collection<DeliveryDoc>;
  readonly #openKeys: Collection<OpenKeyDoc>;
  readonly #progress: Collection<{ _id: string; result: StoredResult; expiresAt: Date }>;
  readonly #numbers: IncidentNumbers;

  constructor(db: Db) {
    this.#openKeys = db.collection("open_dedup_keys");
    this.#progress = db.collection("delivery_progress");
    this.#numbers = new IncidentNumbers(db);
    this.#incidents = db.collection("incidents");
    this.#events = db.collection("incident_events");
    this.#services = db.collection("services");
    this.#deliveries = db.collection("deliveries");
  }

  /** Creates the indexes; safe to run on every start. */
  async init(): Promise<void> {
    await this.#incidents.createIndex(
      { organizationId: 1, number: 1 },
      { unique: true, name: "org_number" },
    );
    await this.#incidents.createIndex({ openKey: 1 }, { unique: true, name: "open_key" });
    await this.#events.createIndex(
      { organizationId: 1, incidentId: 1, createdAt: 1, _id: 1 },
      { name: "timeline" },
    );
    await this.#services.createIndex(
      { organizationId: 1, serviceId: 1 },
      { unique: true, name: "org_service" },
    );
    try {
      await this.#deliveries.createIndex(
        { expiresAt: 1 },
        { expireAfterSeconds: 0, name: "expiry" },
      );
    } catch (error) {
      // FerretDB has no TTL indexes; purgeExpired() does the same job there.
      if (!(error instanceof MongoServerError && error.codeName === "NotImplemented")) {
        throw error;
      }
      await this.#deliveries.createIndex({ expiresAt: 1 }, { name: "expiry" });
    }
  }

  /** Deletes expired delivery-log entries (for servers without TTL indexes). */
  async purgeExpired(now: Date = new Date()): Promise<number> {
    const progress = await this.#progress.deleteMany({ expiresAt: { $lt: now } });
    return (
      (await this.#deliveries.deleteMany({ expiresAt: { $lt: now } })).deletedCount +
      progress.deletedCount
    );
  }

  async findOpen(
    organizationId: string,
    integrationId: string,
    dedupKey: string,
  ): Promise<IncidentRecord | undefined> {
    const key = openKeyOf(organizationId, integrationId, dedupKey);
    const entry = await this.#openKeys.findOne({ _id: key });
    if (entry === null) {
      return undefined;
    }
    const doc = await this.#incidents.findOne({ _id: entry.incident });
    // An entry left behind by an interrupted resolve points at a closed
    // incident; it is treated as absent and overwritten by the next create.
    return doc !== null && doc.openKey === key ? fromDoc(doc) : undefined;
  }

  async create(
    draft: IncidentDraft,
  ): Promise<{ created: IncidentRecord } | { existing: IncidentRecord }> {
    const key =
      draft.dedupKey !== "" && draft.status !== IncidentStatus.RESOLVED
        ? openKeyOf(draft.organizationId, draft.integrationId, draft.dedupKey)
        : undefined;
    let number = await this.#numbers.next(draft.organizationId);
    for (let attempt = 1; attempt <= MAX_NUMBER_ATTEMPTS; attempt++) {
      const doc = toDoc({ ...draft, id: incidentId(number), number }, key);
      if (await insertUnique(this.#incidents, doc)) {
        if (key !== undefined) {
          await this.#openKeys.replaceOne({ _id: key }, { incident: doc._id }, { upsert: true });
        }
        await this.#numbers.used(draft.organizationId, number);
        return { created: fromDoc(doc) };
      }
      // Either the number or the dedup key was taken. The key's winner
      // records its lookup entry right after inserting; until then (or if it
      // died in between) the slow path finds it by the unique field itself.
      if (key !== undefined) {
        const existing =
          (await this.findOpen(draft.organizationId, draft.integrationId, draft.dedupKey)) ??
          (attempt % 5 === 0 ? await this.#findByOpenKey(key) : undefined);
        if (existing !== undefined) {
          return { existing };
        }
      }
      number = await this.#numbers.afterCollision(draft.organizationId, number, attempt);
    }
    throw new Error(`could not allocate an incident number for ${draft.organizationId}`);
  }

  async resolve(
    organizationId: string,
    id: string,
    at: Date,
    by: string,
  ): Promise<IncidentRecord | undefined> {
    const _id = docId(organizationId, id);
    const doc = await this.#incidents.findOne({ _id });
    if (doc === null || doc.status === IncidentStatus[IncidentStatus.RESOLVED]) {
      return undefined;
    }
    const resolved: IncidentDoc = {
      ...doc,
      status: IncidentStatus[IncidentStatus.RESOLVED],
      resolvedAt: at,
      resolvedBy: by,
      openKey: _id,
    };
    await this.#incidents.updateOne(
      { _id },
      { $set: { status: resolved.status, resolvedAt: at, resolvedBy: by, openKey: _id } },
    );
    if (doc.openKey !== _id) {
      // Only this incident's entry: a new incident may already own the key.
      await this.#openKeys.deleteOne({ _id: doc.openKey, incident: _id });
    }
    return fromDoc(resolved);
  }

  async get(organizationId: string, id: string): Promise<IncidentRecord | undefined> {
    const doc = await this.#incidents.findOne({ _id: docId(organizationId, id) });
    return doc !== null && doc.organizationId === organizationId ? fromDoc(doc) : undefined;
  }

  async list(
    organizationId: string,
    filter: IncidentFilter,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IncidentRecord>> {
    const query: Filter<IncidentDoc> = { organizationId };
    if (filter.status !== undefined) {
      query.status = IncidentStatus[filter.status];
    }
    if (filter.serviceId) {
      query.serviceId = filter.serviceId;
    }
    if (filter.integrationId) {
      query.integrationId = filter.integrationId;
    }
    if (after !== undefined) {
      query.number = { $lt: decodePageToken(after, isNumber) };
    }
    const docs = await this.#incidents
      .find(query)
      .sort({ number: -1 })
      .limit(pageSize + 1)
      .toArray();
    return pageOf(docs, pageSize, fromDoc, (last) => last.number);
  }

  async appendEvent(event: EventRecord): Promise<void> {
    await this.#events.insertOne({
      _id: event.id,
      organizationId: event.organizationId,
      incidentId: event.incidentId,
      type: IncidentEventType[event.type],
      actor: event.actor,
      summary: event.summary,
      createdAt: event.createdAt,
      ...(event.alert && { alert: toStoredAlert(event.alert) }),
    });
  }

  async activity(organizationId: string, incidentId: string): Promise<IncidentActivity> {
    const scope = { organizationId, incidentId };
    const [retriggers, latest, ack] = await Promise.all([
      this.#events.countDocuments({
        ...scope,
        type: IncidentEventType[IncidentEventType.TRIGGERED],
      }),
      this.#events.findOne(
        {
          ...scope,
          type: {
            $in: [
              IncidentEventType[IncidentEventType.CREATED],
              IncidentEventType[IncidentEventType.TRIGGERED],
            ],
          },
        },
        { sort: { _id: -1 } },
      ),
      this.#events.findOne(
        { ...scope, type: IncidentEventType[IncidentEventType.ACKNOWLEDGED] },
        { sort: { _id: 1 } },
      ),
    ]);
    return {
      retriggers,
      ...(latest?.alert && {
        latest: { at: latest.createdAt, alert: fromStoredAlert(latest.alert) },
      }),
      ...(ack && { acknowledged: { at: ack.createdAt, by: ack.actor } }),
    };
  }

  async events(
    organizationId: string,
    incidentId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<EventRecord>> {
    const query: Filter<EventDoc> = { organizationId, incidentId };
    if (after !== undefined) {
      query._id = { $gt: decodePageToken(after, isString) };
    }
    const docs = await this.#events
      .find(query)
      .sort({ _id: 1 })
      .limit(pageSize + 1)
      .toArray();
    return pageOf(docs, pageSize, fromEventDoc, (last) => last.id);
  }

  async serviceExists(organizationId: string, serviceId: string): Promise<boolean> {
    return (
      (await this.#services.findOne({ _id: serviceDocId(organizationId, serviceId) })) !== null
    );
  }

  async getService(
    organizationId: string,
    serviceId: string,
  ): Promise<{ id: string; name: string } | undefined> {
    const doc = await this.#services.findOne({ _id: serviceDocId(organizationId, serviceId) });
    return doc === null ? undefined : { id: doc.serviceId, name: doc.name };
  }

  async putService(organizationId: string, service: { id: string; name: string }): Promise<void> {
    await this.#services.replaceOne(
      { _id: serviceDocId(organizationId, service.id) },
      { organizationId, serviceId: service.id, name: service.name },
      { upsert: true },
    );
  }

  async listServices(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<{ id: string; name: string }>> {
    const query: Filter<ServiceDoc> = { organizationId };
    if (after !== undefined) {
      query.serviceId = { $gt: decodePageToken(after, isString) };
    }
    const docs = await this.#services
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

  async claimDelivery(
    key: string,
    organizationId: string,
    integrationId: string,
    at: Date,
  ): Promise<DeliveryClaim> {
    const claimed = await insertUnique(this.#deliveries, {
      _id: key,
      organizationId,
      integrationId,
      state: "pending",
      results: [],
      claimedAt: at,
      expiresAt: new Date(at.getTime() + DELIVERY_RETENTION_MS),
    });
    if (claimed) {
      return { state: "claimed" };
    }
    const existing = await this.#deliveries.findOne({ _id: key });
    if (existing === null) {
      // Released between our insert and this read: try again next round.
      return { state: "pending", claimedAt: at };
    }
    return existing.state === "done"
      ? { state: "done", results: existing.results }
      : { state: "pending", claimedAt: existing.claimedAt };
  }

  async completeDelivery(key: string, results: readonly StoredResult[]): Promise<void> {
    // Only the claimant writes this document, so the update cannot race.
    await this.#deliveries.updateOne(
      { _id: key },
      { $set: { state: "done", results: [...results] } },
    );
  }

  async releaseDelivery(key: string): Promise<void> {
    // Only the claimant, or a taker-over of an expired lease, releases.
    await this.#deliveries.deleteOne({ _id: key });
  }

  async alertResult(key: string, index: number): Promise<StoredResult | undefined> {
    const doc = await this.#progress.findOne({ _id: `${key}#${index}` });
    return doc?.result;
  }

  async saveAlertResult(key: string, index: number, result: StoredResult, at: Date): Promise<void> {
    // Insert-only and keyed by _id: a second writer (a lease takeover) is
    // refused by the primary key, and the first record stands.
    await insertUnique(this.#progress, {
      _id: `${key}#${index}`,
      result,
      expiresAt: new Date(at.getTime() + DELIVERY_RETENTION_MS),
    });
  }

  async logDelivery(
    organizationId: string,
    integrationId: string,
    at: Date,
    results: readonly StoredResult[],
  ): Promise<void> {
    await this.#deliveries.insertOne({
      _id: `log:${randomUUID()}`,
      organizationId,
      integrationId,
      state: "done",
      results: [...results],
      claimedAt: at,
      expiresAt: new Date(at.getTime() + DELIVERY_RETENTION_MS),
    });
  }

  async #findByOpenKey(key: string): Promise<IncidentRecord | undefined> {
    const doc = await this.#incidents.findOne({ openKey: key });
    if (doc === null) {
      return undefined;
    }
    await this.#openKeys.replaceOne({ _id: key }, { incident: doc._id }, { upsert: true });
    return fromDoc(doc);
  }
}

/** Inserts `doc`; false when a unique index refused it. */
async function insertUnique<T extends { _id: string }>(
  collection: Collection<T>,
  doc: T,
): Promise<boolean> {
  try {
    await collection.insertOne(doc as OptionalUnlessRequiredId<T>);
    return true;
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 11000) {
      return false;
    }
    throw error;
  }
}

function serviceDocId(organizationId: string, serviceId: string): string {
  return `${organizationId}/${serviceId}`;
}

function docId(organizationId: string, id: string): string {
  return `${organizationId}/${id}`;
}

function toDoc(r: IncidentRecord, key: string | undefined): IncidentDoc {
  const _id = docId(r.organizationId, r.id);
  return {
    _id,
    organizationId: r.organizationId,
    number: r.number,
    integrationId: r.integrationId,
    dedupKey: r.dedupKey,
    serviceId: r.serviceId,
    status: IncidentStatus[r.status],
    first: toStoredAlert(r.first),
    openKey: key ?? _id,
    createdAt: r.createdAt,
    ...(r.resolvedAt && { resolvedAt: r.resolvedAt }),
    ...(r.resolvedBy && { resolvedBy: r.resolvedBy }),
  };
}

function fromDoc(d: IncidentDoc): IncidentRecord {
  return {
    id: incidentId(d.number),
    number: d.number,
    organizationId: d.organizationId,
    integrationId: d.integrationId,
    dedupKey: d.dedupKey,
    serviceId: d.serviceId,
    status: IncidentStatus[d.status as keyof typeof IncidentStatus] ?? IncidentStatus.NEW,
    first: fromStoredAlert(d.first),
    createdAt: d.createdAt,
    ...(d.resolvedAt && { resolvedAt: d.resolvedAt }),
    ...(d.resolvedBy && { resolvedBy: d.resolvedBy }),
  };
}

function fromEventDoc(d: EventDoc): EventRecord {
  return {
    id: d._id,
    organizationId: d.organizationId,
    incidentId: d.incidentId,
    type:
      IncidentEventType[d.type as keyof typeof IncidentEventType] ?? IncidentEventType.UNSPECIFIED,
    actor: d.actor,
    summary: d.summary,
    createdAt: d.createdAt,
    ...(d.alert && { alert: fromStoredAlert(d.alert) }),
  };
}

const isNumber = (v: unknown): v is number => typeof v === "number";
const isString = (v: unknown): v is string => typeof v === "string";
