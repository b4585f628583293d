import { IncidentEventType, IncidentStatus, IngestAction } from "@runframe/contracts";
import type { AlertSnapshot, Change, EventCause, IncidentDraft, IncidentRecord } from "./model.js";

/**
 * The incident lifecycle as pure functions: each takes an incident's state
 * and returns its next state with the timeline event that records the step
 * (event `seq` = the new length of the timeline). Stores persist what these
 * return; they never decide anything themselves.
 */

/** What opens an incident: its scope, first alert and opening status. */
export interface Opening {
  readonly organizationId: string;
  readonly integrationId: string;
  readonly dedupKey: string;
  readonly serviceId: string;
  readonly status: IncidentStatus;
  readonly alert: AlertSnapshot;
  readonly at: Date;
  readonly actor: string;
}

/** A new incident (unnumbered) and its first event, a creation. */
export function open(
  opening: Opening,
  cause?: EventCause,
): { draft: IncidentDraft; event: Change["event"] } {
  const { at, alert } = opening;
  const resolved = opening.status === IncidentStatus.RESOLVED;
  const draft: IncidentDraft = {
    organizationId: opening.organizationId,
    integrationId: opening.integrationId,
    dedupKey: opening.dedupKey,
    serviceId: opening.serviceId,
    createdAt: at,
    status: opening.status,
    ...(resolved && { resolvedAt: at, resolvedBy: opening.actor }),
    occurrences: 1,
    lastSeenAt: at,
    latest: alert,
    sourceUrl: alert.sourceUrl,
    truncatedAlerts: alert.truncatedAlerts,
    updatedAt: at,
    seq: 1,
  };
  return {
    draft,
    event: {
      organizationId: opening.organizationId,
      incidentId: "",
      seq: 1,
      type: IncidentEventType.CREATED,
      actor: opening.actor,
      summary: alert.title,
      createdAt: at,
      alert,
      ...(cause && { cause, action: IngestAction.CREATED }),
    },
  };
}

/**
 * A further trigger of an open incident: one more occurrence, and it
 * becomes the latest alert. It ends any resolve held while flapping.
 */
export function occur(
  incident: IncidentRecord,
  alert: AlertSnapshot,
  at: Date,
  actor: string,
  cause?: EventCause,
): Change {
  const { resolveHeldAt: _ended, ...current } = incident;
  return step(
    current,
    {
      occurrences: incident.occurrences + 1,
      lastSeenAt: later(incident.lastSeenAt, at),
      latest: alert,
      sourceUrl: alert.sourceUrl || incident.sourceUrl,
      truncatedAlerts: Math.max(incident.truncatedAlerts, alert.truncatedAlerts),
    },
    {
      type: IncidentEventType.TRIGGERED,
      actor,
      summary: alert.title,
      at,
      alert,
      ...(cause && { cause, action: IngestAction.UPDATED }),
    },
  );
}

/** Resolves an open incident; undefined when it is resolved already. */
export function resolve(
  incident: IncidentRecord,
  at: Date,
  actor: string,
  summary: string,
  alert?: AlertSnapshot,
  cause?: EventCause,
): Change | undefined {
  if (incident.status === IncidentStatus.RESOLVED) {
    return undefined;
  }
  return step(
    incident,
    { status: IncidentStatus.RESOLVED, resolvedAt: at, resolvedBy: actor },
    {
      type: IncidentEventType.RESOLVED,
      actor,
      summary,
      at,
      ...(alert && { alert }),
      ...(cause && { cause, action: IngestAction.RESOLVED }),
    },
  );
}

/** Marks an incident flapping, from now on holding the resolves it receives. */
export function markFlapping(incident: IncidentRecord, at: Date, summary: string): Change {
  return step(
    incident,
    { flapping: true },
    { type: IncidentEventType.FLAPPING, actor: FLAPPING_ACTOR, summary, at },
  );
}

/**
 * A resolve of a flapping incident, recorded and held: the incident stays
 * open (a trigger may follow at once), and resolves once none does.
 */
export function holdResolve(
  incident: IncidentRecord,
  at: Date,
  actor: string,
  summary: string,
  alert?: AlertSnapshot,
  cause?: EventCause,
): Change {
  return step(
    incident,
    { resolveHeldAt: at },
    {
      type: IncidentEventType.FLAPPING,
      actor,
      summary,
      at,
      ...(alert && { alert }),
      ...(cause && { cause, action: IngestAction.UPDATED }),
    },
  );
}

/** The actor of flap handling's own steps. */
export const FLAPPING_ACTOR = "system:flapping";

/**
 * Records the first acknowledgement; undefined when it was acknowledged
 * already. `cause` is set when an alert of a delivery acknowledges.
 */
export function acknowledge(
  incident: IncidentRecord,
  at: Date,
  actor: string,
  cause?: EventCause,
): Change | undefined {
  if (incident.acknowledgedAt !== undefined) {
    return undefined;
  }
  return step(
    incident,
    { acknowledgedAt: at, acknowledgedBy: actor },
    {
      type: IncidentEventType.ACKNOWLEDGED,
      actor,
      summary: "acknowledged",
      at,
      ...(cause && { cause, action: IngestAction.ACKNOWLEDGED }),
    },
  );
}

/** What a step records on the timeline, besides where. */
interface StepEvent {
  readonly type: IncidentEventType;
  readonly actor: string;
  readonly summary: string;
  readonly at: Date;
  readonly alert?: AlertSnapshot;
  readonly cause?: EventCause;
  readonly action?: IngestAction;
}

/** One step of an incident: `changes` applied, and the next timeline position recording it. */
function step(
  incident: IncidentRecord,
  changes: Partial<IncidentRecord>,
  { at, ...event }: StepEvent,
): Change {
  const seq = incident.seq + 1;
  return {
    next: { ...incident, ...changes, updatedAt: later(incident.updatedAt, at), seq },
    event: {
      organizationId: incident.organizationId,
      incidentId: incident.id,
      seq,
      createdAt: at,
      ...event,
    },
  };
}

function later(a: Date, b: Date): Date {
  return a > b ? a : b;
}
