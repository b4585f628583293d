import { IncidentEventType, IncidentStatus, Severity } from "@runframe/contracts";
import {
  acknowledge,
  incidentId,
  occur,
  open,
  resolve,
  type AlertSnapshot,
  type EventRecord,
  type IncidentRecord,
} from "@runframe/incident-domain";

/**
 * Data written by the first release (0.1): incidents that never changed
 * after creation, with occurrences and acknowledgements only in their
 * timeline (events with random ids, sorted by id), and alert metadata as a
 * plain object. Upgrading replays each incident's old timeline through the
 * lifecycle, which yields the incident with its counts and a numbered
 * timeline, exactly as if it had been written by this version.
 */

export interface V1Incident {
  readonly organizationId: string;
  readonly number: number;
  readonly integrationId: string;
  readonly dedupKey: string;
  readonly serviceId: string;
  readonly status: string;
  readonly first: V1Alert;
  readonly createdAt: Date;
  readonly resolvedAt?: Date;
  readonly resolvedBy?: string;
}

export interface V1Event {
  readonly type: string;
  readonly actor: string;
  readonly summary: string;
  readonly createdAt: Date;
  readonly alert?: V1Alert;
}

export interface V1Alert {
  readonly title: string;
  readonly description: string;
  readonly severity: string;
  readonly sourceUrl: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly truncatedAlerts: number;
}

/** An old incident and its old timeline (oldest first) as this version stores them. */
export function replayV1(
  old: V1Incident,
  oldEvents: readonly V1Event[],
): { record: IncidentRecord; events: EventRecord[] } {
  const id = incidentId(old.number);
  const events = oldEvents.filter((e) => e.type !== IncidentEventType[IncidentEventType.CREATED]);
  const resolvedLater = events.some((e) => e.type === "RESOLVED");
  const status = statusOf(old.status);
  const opened = open({
    organizationId: old.organizationId,
    integrationId: old.integrationId,
    dedupKey: old.dedupKey,
    serviceId: old.serviceId,
    status: resolvedLater && status === IncidentStatus.RESOLVED ? IncidentStatus.NEW : status,
    alert: alertOf(old.first),
    at: old.createdAt,
    actor: oldEvents[0]?.actor ?? `integration:${old.integrationId}`,
  });
  let record: IncidentRecord = { ...opened.draft, id, number: old.number };
  const timeline: EventRecord[] = [{ ...opened.event, incidentId: id }];
  for (const event of events) {
    const change =
      event.type === "TRIGGERED"
        ? occur(record, alertOf(event.alert ?? old.first), event.createdAt, event.actor)
        : event.type === "ACKNOWLEDGED"
          ? acknowledge(record, event.createdAt, event.actor)
          : event.type === "RESOLVED"
            ? resolve(
                record,
                event.createdAt,
                event.actor,
                event.summary,
                event.alert && alertOf(event.alert),
              )
            : undefined;
    if (change !== undefined) {
      record = change.next;
      timeline.push(change.event);
    }
  }
  return { record, events: timeline };
}

function statusOf(name: string): IncidentStatus {
  const value = IncidentStatus[name as keyof typeof IncidentStatus];
  return typeof value === "number" ? value : IncidentStatus.NEW;
}

function alertOf(a: V1Alert): AlertSnapshot {
  const severity = Severity[a.severity as keyof typeof Severity];
  return {
    title: a.title,
    description: a.description,
    severity: typeof severity === "number" ? severity : Severity.UNSPECIFIED,
    sourceUrl: a.sourceUrl,
    metadata: { ...a.metadata },
    truncatedAlerts: a.truncatedAlerts,
  };
}
