import type { Page } from "@runframe/util";
import { createHash } from "node:crypto";
import {
  IncidentStatus,
  type IncidentEventType,
  type IngestAction,
  type Severity,
} from "@runframe/contracts";

/** What one alert said, as kept on the incident (latest) and on its timeline. */
export interface AlertSnapshot {
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly sourceUrl: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly truncatedAlerts: number;
}

/**
 * An incident with everything it has accumulated: the counts and the latest
 * alert are kept on the record as they change, never recounted from the
 * timeline on read. `seq` is the length of its timeline, whose events are
 * numbered 1, 2, … in the order they happened.
 */
export interface IncidentRecord {
  /** Readable and per organization: `INC-00001`. */
  readonly id: string;
  readonly number: number;
  readonly organizationId: string;
  readonly integrationId: string;
  readonly dedupKey: string;
  readonly serviceId: string;
  readonly createdAt: Date;
  readonly status: IncidentStatus;
  readonly resolvedAt?: Date;
  readonly resolvedBy?: string;
  /** Triggers absorbed, the one that opened it included. */
  readonly occurrences: number;
  readonly lastSeenAt: Date;
  /** The latest trigger's alert. */
  readonly latest: AlertSnapshot;
  /** The latest non-empty source URL any trigger carried. */
  readonly sourceUrl: string;
  /** The most further alerts a source reported dropping from a payload that touched it. */
  readonly truncatedAlerts: number;
  readonly acknowledgedAt?: Date;
  readonly acknowledgedBy?: string;
  readonly updatedAt: Date;
  readonly seq: number;
  /**
   * Opened as flapping (its integration's `flapping` option): resolves are
   * held, and it resolves once no trigger follows one for the option's window.
   */
  readonly flapping?: true;
  /** The latest resolve held because it is flapping, until a trigger follows. */
  readonly resolveHeldAt?: Date;
}

/**
 * Where an event came from, when a webhook delivery caused it: the delivery
 * key and the alert's index, so a retry taking over an interrupted delivery
 * can tell which of its alerts were applied.
 */
export interface EventCause {
  readonly deliveryKey: string;
  readonly alertIndex: number;
}

/** One timeline entry: the `seq`-th thing that happened to an incident. */
export interface EventRecord {
  readonly organizationId: string;
  readonly incidentId: string;
  readonly seq: number;
  readonly type: IncidentEventType;
  readonly actor: string;
  readonly summary: string;
  readonly createdAt: Date;
  /** The alert of a creation or a trigger (and of a resolving alert). */
  readonly alert?: AlertSnapshot;
  readonly cause?: EventCause;
  /** What the event did, for a retry that finds it (webhook events only). */
  readonly action?: IngestAction;
}

/** One change to an incident: its new state and the event that records it. */
export interface Change {
  readonly next: IncidentRecord;
  readonly event: EventRecord;
}

/** A new incident before the store gives it a number. */
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

/** (organization, integration, dedup key): the scope of deduplication. */
export interface DedupScope {
  readonly organizationId: string;
  readonly integrationId: string;
  readonly dedupKey: string;
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
export function openKeyOf(scope: DedupScope): string {
  return createHash("sha256")
    .update(`${scope.organizationId}\n${scope.integrationId}\n${scope.dedupKey}`)
    .digest("base64url");
}

/**
 * The key an incident holds in the stores' unique open-key index: its dedup
 * scope's while it is open and has a dedup key, so a scope has at most one
 * open incident; none otherwise (each store fills in a value the index lets
 * repeat).
 */
export function heldOpenKey(r: IncidentRecord): string | undefined {
  return r.dedupKey !== "" && r.status !== IncidentStatus.RESOLVED ? openKeyOf(r) : undefined;
}
