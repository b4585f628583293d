import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  IncidentEventSchema,
  IncidentSchema,
  Severity,
  type Incident,
  type IncidentEvent,
} from "@runframe/contracts";
import type { IncidentView } from "./incidents.js";
import type { EventRecord } from "./model.js";

/** Incidents created without a severity are SEV3 (documented default). */
export const DEFAULT_SEVERITY = Severity.SEV3;

/** The public view of an incident, with what its timeline adds. */
export function toIncident({ record, activity }: IncidentView): Incident {
  const latest = activity.latest?.alert ?? record.first;
  const lastSeen = activity.latest?.at ?? record.createdAt;
  const updated = [lastSeen, record.resolvedAt, activity.acknowledged?.at]
    .filter((d): d is Date => d !== undefined)
    .reduce((a, b) => (a > b ? a : b), record.createdAt);
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
    sourceUrl: latest.sourceUrl || record.first.sourceUrl,
    metadata: { ...latest.metadata },
    occurrenceCount: 1 + activity.retriggers,
    createTime: timestampFromDate(record.createdAt),
    updateTime: timestampFromDate(updated),
    lastSeenTime: timestampFromDate(lastSeen),
    ...(record.resolvedAt && { resolveTime: timestampFromDate(record.resolvedAt) }),
    ...(activity.acknowledged && {
      acknowledgeTime: timestampFromDate(activity.acknowledged.at),
      acknowledgedBy: activity.acknowledged.by,
    }),
    truncatedAlerts: Math.max(record.first.truncatedAlerts, latest.truncatedAlerts),
  });
}

export function toIncidentEvent(event: EventRecord): IncidentEvent {
  return create(IncidentEventSchema, {
    id: event.id,
    incidentId: event.incidentId,
    type: event.type,
    actor: event.actor,
    summary: event.summary,
    createTime: timestampFromDate(event.createdAt),
  });
}
