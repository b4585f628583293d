import {
  DeliveryOutcome,
  IncidentEventType,
  IncidentStatus,
  IngestAction,
  IntegrationType,
  Severity,
} from "@runframe/contracts";
import {
  incidentId,
  type AlertSnapshot,
  type EventRecord,
  type InboxRecord,
  type InboxStats,
  type IncidentRecord,
  type Replay,
  type StoredResult,
} from "@runframe/incident-domain";
import type { Revived } from "@runframe/util";

/**
 * How both stores persist the incident service's records: one mapping per
 * record type, so SQLite (as JSON) and MongoDB (as documents) can never
 * drift apart. Enums are stored by name so stored data reads well; alert
 * metadata is a list of {key, value} entries, because a metadata key may be
 * anything the published schema allows (`k8s.pod.name`, `$ref`, NUL,
 * non-ASCII), and MongoDB refuses such field names (and FerretDB nested
 * arrays, so not [key, value] pairs either).
 */

export interface StoredAlert {
  readonly title: string;
  readonly description: string;
  readonly severity: string;
  readonly sourceUrl: string;
  readonly metadata: readonly { readonly key: string; readonly value: string }[];
  readonly truncatedAlerts: number;
}

export interface StoredIncident {
  readonly organizationId: string;
  readonly number: number;
  readonly integrationId: string;
  readonly dedupKey: string;
  readonly serviceId: string;
  readonly createdAt: Date;
  readonly status: string;
  readonly resolvedAt?: Date;
  readonly resolvedBy?: string;
  readonly occurrences: number;
  readonly lastSeenAt: Date;
  readonly latest: StoredAlert;
  readonly sourceUrl: string;
  readonly truncatedAlerts: number;
  readonly acknowledgedAt?: Date;
  readonly acknowledgedBy?: string;
  readonly updatedAt: Date;
  readonly seq: number;
  readonly flapping?: true;
  /** Null once cleared: MongoDB's `$set` of a document hint must overwrite it. */
  readonly resolveHeldAt?: Date | null;
}

export interface StoredEvent {
  readonly organizationId: string;
  readonly incidentId: string;
  readonly seq: number;
  readonly type: string;
  readonly actor: string;
  readonly summary: string;
  readonly createdAt: Date;
  readonly alert?: StoredAlert;
  readonly deliveryKey?: string;
  readonly alertIndex?: number;
  readonly action?: string;
}

export interface StoredResultRecord {
  readonly incidentId: string;
  readonly action: string;
  readonly dedupKey: string;
}

export function encodeAlert(a: AlertSnapshot): StoredAlert {
  return {
    title: a.title,
    description: a.description,
    severity: Severity[a.severity],
    sourceUrl: a.sourceUrl,
    metadata: Object.entries(a.metadata).map(([key, value]) => ({ key, value })),
    truncatedAlerts: a.truncatedAlerts,
  };
}

export function decodeAlert(a: StoredAlert): AlertSnapshot {
  return {
    title: a.title,
    description: a.description,
    severity: enumValue(Severity, a.severity, Severity.UNSPECIFIED),
    sourceUrl: a.sourceUrl,
    metadata: Object.fromEntries(a.metadata.map(({ key, value }) => [key, value])),
    truncatedAlerts: a.truncatedAlerts,
  };
}

export function encodeIncident(r: IncidentRecord): StoredIncident {
  return {
    organizationId: r.organizationId,
    number: r.number,
    integrationId: r.integrationId,
    dedupKey: r.dedupKey,
    serviceId: r.serviceId,
    createdAt: r.createdAt,
    status: IncidentStatus[r.status],
    ...(r.resolvedAt && { resolvedAt: r.resolvedAt }),
    ...(r.resolvedBy && { resolvedBy: r.resolvedBy }),
    occurrences: r.occurrences,
    lastSeenAt: r.lastSeenAt,
    latest: encodeAlert(r.latest),
    sourceUrl: r.sourceUrl,
    truncatedAlerts: r.truncatedAlerts,
    ...(r.acknowledgedAt && { acknowledgedAt: r.acknowledgedAt }),
    ...(r.acknowledgedBy && { acknowledgedBy: r.acknowledgedBy }),
    updatedAt: r.updatedAt,
    seq: r.seq,
    ...(r.flapping && { flapping: true as const }),
    ...(r.flapping && { resolveHeldAt: r.resolveHeldAt ?? null }),
  };
}

export function decodeIncident(s: Revived<StoredIncident>): IncidentRecord {
  return {
    id: incidentId(s.number),
    number: s.number,
    organizationId: s.organizationId,
    integrationId: s.integrationId,
    dedupKey: s.dedupKey,
    serviceId: s.serviceId,
    createdAt: new Date(s.createdAt),
    status: enumValue(IncidentStatus, s.status, IncidentStatus.NEW),
    ...(s.resolvedAt !== undefined && { resolvedAt: new Date(s.resolvedAt) }),
    ...(s.resolvedBy !== undefined && { resolvedBy: s.resolvedBy }),
    occurrences: s.occurrences,
    lastSeenAt: new Date(s.lastSeenAt),
    latest: decodeAlert(s.latest),
    sourceUrl: s.sourceUrl,
    truncatedAlerts: s.truncatedAlerts,
    ...(s.acknowledgedAt !== undefined && { acknowledgedAt: new Date(s.acknowledgedAt) }),
    ...(s.acknowledgedBy !== undefined && { acknowledgedBy: s.acknowledgedBy }),
    updatedAt: new Date(s.updatedAt),
    seq: s.seq,
    ...(s.flapping && { flapping: true as const }),
    ...(s.resolveHeldAt != null && { resolveHeldAt: new Date(s.resolveHeldAt) }),
  };
}

export function encodeEvent(e: EventRecord): StoredEvent {
  return {
    organizationId: e.organizationId,
    incidentId: e.incidentId,
    seq: e.seq,
    type: IncidentEventType[e.type],
    actor: e.actor,
    summary: e.summary,
    createdAt: e.createdAt,
    ...(e.alert && { alert: encodeAlert(e.alert) }),
    ...(e.cause && { deliveryKey: e.cause.deliveryKey, alertIndex: e.cause.alertIndex }),
    ...(e.action !== undefined && { action: IngestAction[e.action] }),
  };
}

export function decodeEvent(s: Revived<StoredEvent>): EventRecord {
  return {
    organizationId: s.organizationId,
    incidentId: s.incidentId,
    seq: s.seq,
    type: enumValue(IncidentEventType, s.type, IncidentEventType.UNSPECIFIED),
    actor: s.actor,
    summary: s.summary,
    createdAt: new Date(s.createdAt),
    ...(s.alert && { alert: decodeAlert(s.alert) }),
    ...(s.deliveryKey !== undefined && {
      cause: { deliveryKey: s.deliveryKey, alertIndex: s.alertIndex ?? 0 },
    }),
    ...(s.action !== undefined && {
      action: enumValue(IngestAction, s.action, IngestAction.UNSPECIFIED),
    }),
  };
}

export function encodeResults(results: readonly StoredResult[]): StoredResultRecord[] {
  return results.map((r) => ({ ...r, action: IngestAction[r.action] }));
}

export function decodeResults(
  stored: readonly (
    StoredResultRecord | { incidentId: string; action: number; dedupKey: string }
  )[],
): StoredResult[] {
  return stored.map((r) => ({
    incidentId: r.incidentId,
    dedupKey: r.dedupKey,
    // The first release stored the action's number.
    action:
      typeof r.action === "number"
        ? (r.action as IngestAction)
        : enumValue(IngestAction, r.action, IngestAction.UNSPECIFIED),
  }));
}

export function enumValue<E extends Record<string, string | number>>(
  e: E,
  name: string,
  fallback: E[keyof E],
): E[keyof E] {
  const value = e[name as keyof E];
  return typeof value === "number" ? value : fallback;
}

/**
 * An inbox record as both stores keep it, less its two byte fields (the
 * body and the integration snapshot), which each store keeps as bytes.
 */
export interface StoredInboxRecord {
  readonly organizationId: string;
  readonly integrationId: string;
  readonly integrationType: string;
  readonly outcome: string;
  readonly status: number;
  readonly reason: string;
  readonly answer: string;
  readonly requestId: string;
  readonly sourceAddress: string;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly bodySize: number;
  readonly fieldErrors: readonly { readonly field: string; readonly description: string }[];
  readonly results: readonly StoredResultRecord[];
  readonly receivedAt: Date;
  readonly expiresAt: Date;
  readonly verified: boolean;
  readonly deliveryKey: string;
  readonly redrive: boolean;
  readonly replay?: {
    readonly at: Date;
    readonly by: string;
    readonly results: readonly StoredResultRecord[];
    readonly error?: string;
  };
  /** Per applied alert action (accepted or replayed), for counting without reading results. */
  readonly actions: Readonly<Record<string, number>>;
}

/** How many alerts each action applied, accepted and replayed together. */
function actionsOf(results: readonly StoredResult[], replay: Replay | undefined) {
  const actions: Record<string, number> = {};
  for (const result of [...results, ...(replay?.results ?? [])]) {
    const name = IngestAction[result.action];
    actions[name] = (actions[name] ?? 0) + 1;
  }
  return actions;
}

export function encodeInbox(r: InboxRecord): StoredInboxRecord {
  return {
    organizationId: r.organizationId,
    integrationId: r.integrationId,
    integrationType: IntegrationType[r.integrationType],
    outcome: DeliveryOutcome[r.outcome],
    status: r.status,
    reason: r.reason,
    answer: r.answer,
    requestId: r.requestId,
    sourceAddress: r.sourceAddress,
    headers: r.headers.map(({ name, value }) => ({ name, value })),
    bodySize: r.bodySize,
    fieldErrors: r.fieldErrors.map(({ field, description }) => ({ field, description })),
    results: encodeResults(r.results),
    receivedAt: r.receivedAt,
    expiresAt: r.expiresAt,
    verified: r.verified,
    deliveryKey: r.deliveryKey,
    redrive: r.redrive,
    ...(r.replay && { replay: encodeReplay(r.replay) }),
    actions: actionsOf(r.results, r.replay),
  };
}

function encodeReplay(replay: Replay): NonNullable<StoredInboxRecord["replay"]> {
  return {
    at: replay.at,
    by: replay.by,
    results: encodeResults(replay.results),
    ...(replay.error !== undefined && { error: replay.error }),
  };
}

/** What a replay changes in a stored record: the replay, and the action counts. */
export function replayFields(
  stored: Revived<Pick<StoredInboxRecord, "results">>,
  replay: Replay,
): Pick<StoredInboxRecord, "replay" | "actions"> {
  return {
    replay: encodeReplay(replay),
    actions: actionsOf(decodeResults(stored.results), replay),
  };
}

export function decodeInbox(
  id: string,
  s: Revived<StoredInboxRecord>,
  body: Uint8Array,
  integration: Uint8Array,
): InboxRecord {
  return {
    id,
    organizationId: s.organizationId,
    integrationId: s.integrationId,
    integrationType: enumValue(IntegrationType, s.integrationType, IntegrationType.UNSPECIFIED),
    outcome: enumValue(DeliveryOutcome, s.outcome, DeliveryOutcome.UNSPECIFIED),
    status: s.status,
    reason: s.reason,
    answer: s.answer,
    requestId: s.requestId,
    sourceAddress: s.sourceAddress,
    headers: s.headers.map(({ name, value }) => ({ name, value })),
    body,
    bodySize: s.bodySize,
    fieldErrors: s.fieldErrors.map(({ field, description }) => ({ field, description })),
    results: decodeResults(s.results),
    receivedAt: new Date(s.receivedAt),
    expiresAt: new Date(s.expiresAt),
    integration,
    verified: s.verified,
    deliveryKey: s.deliveryKey,
    redrive: s.redrive,
    ...(s.replay && {
      replay: {
        at: new Date(s.replay.at),
        by: s.replay.by,
        results: decodeResults(s.replay.results),
        ...(s.replay.error !== undefined && { error: s.replay.error }),
      },
    }),
  };
}

/**
 * Every outcome a delivery's last error may have: each is read through its
 * own (…, outcome, received) index, since "not accepted" is no index range.
 */
export const ERROR_OUTCOMES: readonly DeliveryOutcome[] = Object.values(DeliveryOutcome).filter(
  (value): value is DeliveryOutcome =>
    typeof value === "number" &&
    value !== DeliveryOutcome.UNSPECIFIED &&
    value !== DeliveryOutcome.ACCEPTED,
);

/** The newest of `records` in listing order (received, then id). */
export function newestOf(records: readonly (InboxRecord | undefined)[]): InboxRecord | undefined {
  let newest: InboxRecord | undefined;
  for (const record of records) {
    if (
      record !== undefined &&
      (newest === undefined ||
        record.receivedAt.getTime() > newest.receivedAt.getTime() ||
        (record.receivedAt.getTime() === newest.receivedAt.getTime() && record.id > newest.id))
    ) {
      newest = record;
    }
  }
  return newest;
}

/** Stats from grouped counts, the same way on both stores. */
export function statsOf(
  counts: readonly { outcome: string; reason: string; n: number }[],
  actions: readonly { action: string; n: number }[],
  last: InboxRecord | undefined,
  lastError: InboxRecord | undefined,
): InboxStats {
  const byOutcome = new Map<DeliveryOutcome, number>();
  const refused = new Map<string, number>();
  for (const { outcome, reason, n } of counts) {
    const value = DeliveryOutcome[outcome as keyof typeof DeliveryOutcome];
    if (typeof value !== "number") {
      continue;
    }
    byOutcome.set(value, (byOutcome.get(value) ?? 0) + n);
    if (
      value === DeliveryOutcome.REFUSED_PAYLOAD ||
      value === DeliveryOutcome.REFUSED_SIGNATURE ||
      value === DeliveryOutcome.TOO_LARGE
    ) {
      refused.set(reason, (refused.get(reason) ?? 0) + n);
    }
  }
  const actionNames = new Map<string, number>();
  for (const { action, n } of actions) {
    const value = IngestAction[action as keyof typeof IngestAction];
    if (typeof value === "number") {
      actionNames.set(action.toLowerCase(), n);
    }
  }
  return {
    byOutcome,
    refused,
    actions: actionNames,
    ...(last && { last }),
    ...(lastError && { lastError }),
  };
}
