import type { Page } from "@runframe/util";
import { createHash } from "node:crypto";
import {
  Severity,
  type IncidentEventType,
  type IncidentStatus,
  type IngestAction,
} from "@runframe/contracts";

/** What an alert said, kept on the incident (first) and on each occurrence. */
export interface AlertSnapshot {
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly sourceUrl: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly truncatedAlerts: number;
}

/** An alert snapshot as the stores keep it: the severity by name, so stored data reads well. */
export interface StoredAlert {
  readonly title: string;
  readonly description: string;
  readonly severity: string;
  readonly sourceUrl: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly truncatedAlerts: number;
}

export function toStoredAlert(a: AlertSnapshot): StoredAlert {
  return { ...a, severity: Severity[a.severity], metadata: { ...a.metadata } };
}

export function fromStoredAlert(a: StoredAlert): AlertSnapshot {
  return {
    ...a,
    severity: Severity[a.severity as keyof typeof Severity] ?? Severity.UNSPECIFIED,
    metadata: { ...a.metadata },
  };
}

/**
 * An incident as stored. The document is written once at creation and
 * changed only by resolution, so concurrent triggers never rewrite it (a
 * MongoDB-compatible server without atomic updates would otherwise lose
 * fields). Everything that accumulates — occurrences, acknowledgement, the
 * latest alert — lives in the timeline and is derived on read.
 */
export interface IncidentRecord {
  /** Readable and per organization: `INC-00001`. */
  readonly id: string;
  readonly number: number;
  readonly organizationId: string;
  readonly integrationId: string;
  readonly dedupKey: string;
  readonly serviceId: string;
  readonly status: IncidentStatus;
  readonly first: AlertSnapshot;
  readonly createdAt: Date;
  readonly resolvedAt?: Date;
  readonly resolvedBy?: string;
}

/** One timeline entry. Occurrences carry the alert that caused them. */
export interface EventRecord {
  readonly id: string;
  readonly organizationId: string;
  readonly incidentId: string;
  readonly type: IncidentEventType;
  readonly actor: string;
  readonly summary: string;
  readonly createdAt: Date;
  readonly alert?: AlertSnapshot;
}

/** What the timeline adds to an incident when it is read. */
export interface IncidentActivity {
  /** Triggers after the one that created the incident. */
  readonly retriggers: number;
  /** The latest trigger (creation or retrigger), if recorded. */
  readonly latest?: { readonly at: Date; readonly alert: AlertSnapshot };
  readonly acknowledged?: { readonly at: Date; readonly by: string };
}

/** A new incident, before the store gives it a number. */
export type IncidentDraft = Omit<IncidentRecord, "id" | "number">;

/** One page of a listing (shared with every store). */
export type { Page };

export interface IncidentFilter {
  readonly status?: IncidentStatus;
  readonly serviceId?: string;
  readonly integrationId?: string;
}

/** The answer for one alert, as stored for idempotent replays. */
export interface StoredResult {
  readonly incidentId: string;
  readonly action: IngestAction;
  readonly dedupKey: string;
}

/** The outcome of trying to claim a delivery key. */
export type DeliveryClaim =
  | { readonly state: "claimed" }
  | { readonly state: "done"; readonly results: readonly StoredResult[] }
  | { readonly state: "pending"; readonly claimedAt: Date };

/**
 * Persistence for incidents, built on two primitives every MongoDB-wire
 * server gives atomically: a single-document insert, and a unique index that
 * refuses a duplicate. No multi-document transactions, no atomic
 * read-modify-write of one document is assumed.
 */
export interface IncidentStore {
  /** The open incident with this dedup key in this integration, if any. */
  findOpen(
    organizationId: string,
    integrationId: string,
    dedupKey: string,
  ): Promise<IncidentRecord | undefined>;
  /**
   * Inserts the incident with the organization's next number. When its dedup
   * key already has an open incident, inserts nothing and returns that one.
   */
  create(draft: IncidentDraft): Promise<{ created: IncidentRecord } | { existing: IncidentRecord }>;
  /** Marks an open incident resolved; undefined when it was not open. */
  resolve(
    organizationId: string,
    id: string,
    at: Date,
    by: string,
  ): Promise<IncidentRecord | undefined>;
  get(organizationId: string, id: string): Promise<IncidentRecord | undefined>;
  list(
    organizationId: string,
    filter: IncidentFilter,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<IncidentRecord>>;
  appendEvent(event: EventRecord): Promise<void>;
  activity(organizationId: string, incidentId: string): Promise<IncidentActivity>;
  events(
    organizationId: string,
    incidentId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<EventRecord>>;

  serviceExists(organizationId: string, serviceId: string): Promise<boolean>;
  getService(
    organizationId: string,
    serviceId: string,
  ): Promise<{ id: string; name: string } | undefined>;
  putService(organizationId: string, service: { id: string; name: string }): Promise<void>;
  listServices(
    organizationId: string,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<{ id: string; name: string }>>;

  /** Claims a delivery key for processing, or reports what became of it. */
  claimDelivery(
    key: string,
    organizationId: string,
    integrationId: string,
    at: Date,
  ): Promise<DeliveryClaim>;
  /** Stores the answer of a processed delivery (the delivery log). */
  completeDelivery(key: string, results: readonly StoredResult[]): Promise<void>;
  /** Gives up a claim whose processing failed, so a retry can run. */
  releaseDelivery(key: string): Promise<void>;
  /** The stored result of alert `index` of a delivery, if an earlier attempt applied it. */
  alertResult(key: string, index: number): Promise<StoredResult | undefined>;
  /**
   * Records that alert `index` of a delivery was applied, so a retry after a
   * failure part-way through skips it instead of applying it twice.
   */
  saveAlertResult(key: string, index: number, result: StoredResult, at: Date): Promise<void>;
  /** Records a delivery without a key in the delivery log. */
  logDelivery(
    organizationId: string,
    integrationId: string,
    at: Date,
    results: readonly StoredResult[],
  ): Promise<void>;
}

/** The readable id of an incident number. */
export function incidentId(number: number): string {
  return `INC-${String(number).padStart(5, "0")}`;
}

/** The number in a readable id, or undefined if `id` is not one. */
export function incidentNumber(id: string): number | undefined {
  const match = /^INC-(\d{1,15})$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

/**
 * What makes an open incident unique: a digest of its deduplication scope
 * (organization, integration, dedup key), fixed-length whatever the key.
 */
export function openKeyOf(organizationId: string, integrationId: string, dedupKey: string): string {
  return createHash("sha256")
    .update(`${organizationId}\n${integrationId}\n${dedupKey}`)
    .digest("base64url");
}
