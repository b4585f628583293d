import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  IncidentStatus,
  IngestAction,
  Severity,
  type ExplainIngestResponse,
  type NormalizedAlert,
} from "@runframe/contracts";
import { httpError, type HttpError } from "./http-errors.js";

/**
 * Dry runs: `?dry_run=true` on `POST /webhooks/{routingKey}` (and on
 * `POST /v2/enqueue`) authenticates and normalizes the delivery exactly as
 * a real one, then answers what ingesting it would do instead of doing it.
 * Nothing is stored: no incident or timeline entry, no inbox or
 * delivery-log record (not even of a refusal), no delivery identity seen,
 * nothing of the routing key's quota used (dry runs have a limit of their
 * own, kept by auth).
 */

/**
 * The `dry_run` query parameter of a request URL: absent or `false` is a
 * real delivery, `true` a dry run; anything else is refused naming it.
 */
export function dryRunOf(url: string | undefined): boolean | HttpError {
  const query = url?.indexOf("?") ?? -1;
  // Nearly every delivery has no query string: nothing to parse.
  const values = query < 0 ? [] : new URLSearchParams(url!.slice(query + 1)).getAll("dry_run");
  if (values.length === 0) {
    return false;
  }
  if (values.length === 1 && (values[0] === "true" || values[0] === "false")) {
    return values[0] === "true";
  }
  const refusal = httpError(400, "invalid_request", "the query parameter dry_run is invalid");
  return {
    ...refusal,
    body: {
      error: {
        ...refusal.body.error,
        fields: [{ field: "dry_run", description: "must be true or false, given once" }],
      },
    },
  };
}

/** What ingesting an alert would do, in a dry run's words. */
const WOULD: Record<IngestAction, string> = {
  [IngestAction.UNSPECIFIED]: "would_ignore",
  [IngestAction.CREATED]: "would_create",
  [IngestAction.UPDATED]: "would_update",
  [IngestAction.RESOLVED]: "would_resolve",
  [IngestAction.IGNORED]: "would_ignore",
  [IngestAction.ACKNOWLEDGED]: "would_acknowledge",
};

/** An enum value as the webhook API words it: its name in lower case, null when unspecified (0). */
function wordOf(names: Record<number, string>, value: number): string | null {
  return value === 0 ? null : (names[value]?.toLowerCase() ?? null);
}

/**
 * A dry run's answer: the published success body's shape, `status`
 * `dry_run`, one `incidents` entry per alert (in the order of `alerts`)
 * with what ingesting it would do, and the normalized `alerts` themselves.
 * - `action` is `would_create`, `would_update`, `would_resolve`,
 *   `would_acknowledge` or `would_ignore`; `id` names the existing incident
 *   it would apply to, or is null for a new one (numbers are given out
 *   when stored) and for an ignored alert; `createdByAlert`, the index of
 *   the alert that would create it, marks an incident this delivery itself
 *   would open (a trigger then a resolve of one new key).
 * - A redelivery (same signature, SNS MessageId, Sentry Request-ID or
 *   Idempotency-Key as a delivery already applied) would change nothing:
 *   `redelivery` is true and each entry is `would_replay`, with the first
 *   answer's `id` and its action (named by `actionNames`, the webhook
 *   answer's words) as `replayedAction`.
 */
export function dryRunBody(
  alerts: readonly NormalizedAlert[],
  { explanations, replayed }: ExplainIngestResponse,
  actionNames: Readonly<Record<IngestAction, string>>,
) {
  return {
    status: "dry_run",
    ...(replayed && { redelivery: true }),
    incidents: explanations.map(({ result, newIncidentAlert }) => {
      const action = result?.action ?? IngestAction.UNSPECIFIED;
      return {
        id: result?.incidentId || null,
        action: replayed ? "would_replay" : WOULD[action],
        dedupKey: result?.dedupKey || null,
        ...(replayed && { replayedAction: actionNames[action] }),
        ...(newIncidentAlert !== undefined && { createdByAlert: newIncidentAlert }),
      };
    }),
    alerts: alerts.map(alertJson),
  };
}

/** A normalized alert in the webhook API's words. */
function alertJson(alert: NormalizedAlert) {
  return {
    action: wordOf(AlertAction, alert.action),
    title: alert.title,
    description: alert.description,
    severity: alert.severity === Severity.UNSPECIFIED ? null : Severity[alert.severity],
    status: wordOf(IncidentStatus, alert.status),
    serviceId: alert.serviceId || null,
    sourceUrl: alert.sourceUrl || null,
    dedupKey: alert.dedupKey || null,
    metadata: alert.metadata,
    occurredAt: alert.occurTime ? timestampDate(alert.occurTime).toISOString() : null,
    truncatedAlerts: alert.truncatedAlerts,
  };
}
