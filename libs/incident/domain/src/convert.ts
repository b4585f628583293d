import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  DeliverySchema,
  IncidentEventSchema,
  IncidentSchema,
  Severity,
  type Delivery,
  type Incident,
  type IncidentEvent,
} from "@runframe/contracts";
import { notReplayable } from "./deliveries.js";
import type { InboxRecord } from "./inbox.js";
import type { EventRecord, IncidentRecord } from "./model.js";

/** Incidents created without a severity are SEV3 (documented default). */
export const DEFAULT_SEVERITY = Severity.SEV3;

/** The public view of an incident. */
export function toIncident(record: IncidentRecord): Incident {
  const { latest } = record;
  return create(IncidentSchema, {
    id: record.id,
    organizationId: record.organizationId,
    integrationId: record.integrationId,
    title: latest.title,
    description: latest.description,
    severity: latest.severity === Severity.UNSPECIFIED ? DEFAULT_SEVERITY : latest.severity,
    status: record.status,
    serviceId: record.serviceId,
    dedupKey: record.dedupKey,
    sourceUrl: record.sourceUrl,
    metadata: { ...latest.metadata },
    occurrenceCount: record.occurrences,
    createTime: timestampFromDate(record.createdAt),
    updateTime: timestampFromDate(record.updatedAt),
    lastSeenTime: timestampFromDate(record.lastSeenAt),
    ...(record.resolvedAt && { resolveTime: timestampFromDate(record.resolvedAt) }),
    ...(record.acknowledgedAt && {
      acknowledgeTime: timestampFromDate(record.acknowledgedAt),
      acknowledgedBy: record.acknowledgedBy ?? "",
    }),
    truncatedAlerts: record.truncatedAlerts,
    flapping: record.flapping === true,
  });
}

/** The public view of a timeline entry; its id is its position in the timeline. */
export function toIncidentEvent(event: EventRecord): IncidentEvent {
  return create(IncidentEventSchema, {
    id: String(event.seq),
    incidentId: event.incidentId,
    type: event.type,
    actor: event.actor,
    summary: event.summary,
    createTime: timestampFromDate(event.createdAt),
  });
}

/** The public view of a recorded delivery; listings come without bodies. */
export function toDelivery(record: InboxRecord): Delivery {
  return create(DeliverySchema, {
    id: record.id,
    organizationId: record.organizationId,
    integrationId: record.integrationId,
    integrationType: record.integrationType,
    outcome: record.outcome,
    status: record.status,
    reason: record.reason,
    answer: record.answer,
    requestId: record.requestId,
    sourceAddress: record.sourceAddress,
    headers: [...record.headers],
    body: record.body,
    bodySize: BigInt(record.bodySize),
    fieldErrors: [...record.fieldErrors],
    results: [...record.results, ...(record.replay?.results ?? [])],
    receiveTime: timestampFromDate(record.receivedAt),
    replayable: notReplayable(record) === undefined,
    ...(record.replay && {
      replayTime: timestampFromDate(record.replay.at),
      replayedBy: record.replay.by,
      replayError: record.replay.error ?? "",
    }),
  });
}
