import type { DeliveryInbox, InboxRecord } from "./inbox.js";
import type { Schedules } from "./schedules.js";
import type {
  Change,
  DedupScope,
  EventRecord,
  IncidentDraft,
  IncidentFilter,
  IncidentRecord,
  Page,
  StoredResult,
} from "./model.js";

/**
 * The incident service's storage, as cohesive ports. Each has one contract
 * suite run against SQLite and MongoDB (FerretDB in CI) with the same
 * assertions. MongoDB is used the way a server without transactions or
 * atomic updates allows: every write that must not race is an insert under
 * a unique index.
 */

/** Reads of incidents, for the team API. Every query is served by an index. */
export interface IncidentReader {
  get(organizationId: string, id: string): Promise<IncidentRecord | undefined>;
  /** Newest first (by number). */
  list(
    organizationId: string,
    filter: IncidentFilter,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IncidentRecord>>;
  /**
   * The open incident of a dedup scope in its latest stored state, exactly
   * (never the optimistic answer a unit may give), writing nothing: what
   * ExplainIngest decides against.
   */
  findOpen(scope: DedupScope): Promise<IncidentRecord | undefined>;
}

/** Reads of one incident's timeline, oldest first. */
export interface TimelineReader {
  events(
    organizationId: string,
    incidentId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<EventRecord>>;
}

/**
 * Where an incident's stored row stands in its organization's change
 * order: its `updatedAt`, then its number.
 */
export interface ChangePosition {
  readonly updatedAt: Date;
  readonly number: number;
}

/** An incident found changed, as the store has it now. */
export interface ChangedIncident {
  /** Where its stored row stands; on MongoDB its document's, which may lag its latest state. */
  readonly position: ChangePosition;
  /** Its latest state. */
  readonly incident: IncidentRecord;
  /** The newest entry of its timeline (at `incident.seq`). */
  readonly latestEvent: EventRecord | undefined;
}

/**
 * Incidents by when their stored row last changed: what WatchIncidents
 * polls, served by an index on (organization, updatedAt, number) in both
 * stores. SQLite rows are current; a MongoDB incident document is a hint
 * refreshed at each commit, and each incident is read forward to its
 * latest state.
 */
export interface ChangeFeed {
  /**
   * How long after its `updatedAt` a change may first show in the feed
   * beyond commit time: 0 where rows are written with the change (SQLite);
   * on MongoDB the interval at which incident documents are refreshed.
   */
  readonly lagMs: number;
  /** At most `limit` of the organization's incidents whose rows stand after `after`, in position order. */
  after(organizationId: string, after: ChangePosition, limit: number): Promise<ChangedIncident[]>;
}

/** An organization's service catalog. */
export interface ServiceCatalog {
  get(organizationId: string, serviceId: string): Promise<Service | undefined>;
  /** Creates or renames (the provisioning file). */
  put(organizationId: string, service: Service): Promise<void>;
  /** Creates; throws AlreadyExistsError when the organization has a service with this id. */
  create(organizationId: string, service: Service): Promise<void>;
  /** Renames; false when the organization has no such service. */
  update(organizationId: string, service: Service): Promise<boolean>;
  /** Deletes; false when the organization had no such service. */
  delete(organizationId: string, serviceId: string): Promise<boolean>;
  list(organizationId: string, pageSize: number, after: string | undefined): Promise<Page<Service>>;
}

export interface Service {
  readonly id: string;
  readonly name: string;
}

/** Retention of the delivery log: what makes redeliveries recognisable for 7 days. */
export interface DeliveryLog {
  /** Deletes every delivery record (and what belongs to it) that expired before `now`. */
  purgeExpired(now: Date): Promise<number>;
  /**
   * The results of an applied delivery with one of these identities (its
   * key, then its alias), as a redelivery of it would be answered; undefined
   * when none was applied (or one is still being applied). Writes nothing.
   */
  answered(keys: readonly string[]): Promise<readonly StoredResult[] | undefined>;
}

/** How long the delivery log keeps a delivery (and so recognises its redeliveries). */
export const DELIVERY_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** One delivery to claim: its identities (key, then alias) and its owner. */
export interface ClaimRequest {
  readonly keys: readonly string[];
  readonly organizationId: string;
  readonly integrationId: string;
  readonly at: Date;
}

/** What became of a delivery's identities when claimed. */
export type DeliveryClaim =
  /**
   * Ours to apply. `applied` holds what an interrupted earlier attempt
   * already did, by alert index, so those alerts are not applied twice.
   */
  | { readonly state: "claimed"; readonly applied: ReadonlyMap<number, StoredResult> }
  /** Applied before: these are its results. */
  | { readonly state: "done"; readonly results: readonly StoredResult[] }
  /** Another attempt is applying it right now. */
  | { readonly state: "pending" };

/** A delivery's outcome, for the delivery log. */
export interface DeliveryRecord {
  readonly keys: readonly string[];
  readonly organizationId: string;
  readonly integrationId: string;
  readonly at: Date;
  readonly results: readonly StoredResult[];
  /** Its inbox record, written in the same commit, when the edge sent its envelope. */
  readonly inbox?: InboxRecord;
  /** A redelivery answered from the log: only its inbox record is new. */
  readonly replayed?: true;
}

/**
 * One unit of writes. Reads see the unit's own writes. SQLite makes the
 * whole unit one transaction; MongoDB, which has none to rely on, inserts
 * what the unit wrote at `flush` and reports the writes a concurrent writer
 * (another replica) got in first, so the caller decides those again on
 * fresh state. Every write carries a `tag` of the caller's choosing, which
 * is what `flush` reports.
 */
export interface WriteUnit {
  claim(requests: readonly ClaimRequest[]): Promise<DeliveryClaim[]>;
  /** Records delivery outcomes (the delivery log) once their writes are in. */
  complete(records: readonly DeliveryRecord[]): void;
  /** Reads ahead the open incidents of scopes about to be resolved or acknowledged, all at once. */
  prefetch(scopes: readonly DedupScope[]): Promise<void>;
  /**
   * The open incident of a scope. For a `trigger` the answer may be
   * optimistic: a store that cannot tell cheaply may answer none, and if an
   * incident was open after all, creating one is refused at `flush` and
   * the alert is decided again, when the answer is exact. For a `resolve`
   * or an `acknowledge`, which create nothing, it is always exact.
   */
  findOpen(
    scope: DedupScope,
    intent: "trigger" | "resolve" | "acknowledge",
  ): Promise<IncidentRecord | undefined>;
  get(organizationId: string, id: string): Promise<IncidentRecord | undefined>;
  /** Adds a new incident with the organization's next number, and its first event. */
  create(draft: IncidentDraft, event: EventRecord, tag: number): Promise<IncidentRecord>;
  /** Records an incident's next state and the event that records the change. */
  update(change: Change, tag: number): void;
  /** Makes the writes so far durable; the tags of writes refused because another writer came first. */
  flush(): Promise<ReadonlySet<number>>;
}

/** Runs units of writes one at a time. */
export interface IncidentWriter {
  /**
   * Runs `work` as one unit; its writes are durable when the promise
   * resolves. If `work` throws, what it wrote is rolled back where the store
   * can (SQLite) and, where it cannot (MongoDB), its claims stay pending
   * and a later attempt takes them over, skipping what was applied.
   */
  unit<T>(work: (unit: WriteUnit) => Promise<T>): Promise<T>;
}

/** Everything the incident service stores. */
export interface IncidentStorage {
  readonly incidents: IncidentReader;
  readonly timeline: TimelineReader;
  readonly services: ServiceCatalog;
  readonly deliveries: DeliveryLog;
  readonly inbox: DeliveryInbox;
  readonly writer: IncidentWriter;
  readonly changes: ChangeFeed;
  readonly schedules: Schedules;
}
