/**
 * Prometheus Alertmanager, at a glance (the rules in full are on
 * normalizePrometheus below):
 *
 * - Dedup:   `alertmanager:<fingerprint>`, one incident per alert of a
 *            group; without a fingerprint, a hash of the alert's labels.
 *            With the integration's `alert_grouping` GROUP:
 *            `alertmanager:group:<groupKey>`, one incident per group.
 * - Resolve: the alert's own `status` is `resolved` (the group's `status`
 *            stays `firing` while any alert fires, so it is ignored); in
 *            group mode, the group's `status` is `resolved`.
 * - Example: src/fixtures/firing-group-with-resolved-alert.json, and
 *            src/fixtures/group-mode-firing.json for group mode.
 *
 * Alertmanager payloads are not under the sender's control, so long fields
 * are truncated with a marker rather than refused. A link over the limit is
 * skipped (falling back to `externalURL`), never cut.
 */

import { AlertAction, AlertGrouping, Severity, type NormalizedAlert } from "@runframe/contracts";
import {
  Violations,
  field,
  nativeAlert,
  objectField,
  parseTime,
  severityOverride,
  severityTable,
  sha256Hex,
  stringField,
  type JsonObject,
} from "@runframe/normalizers-kit";
import { decodeJsonObject, type Normalize, type NormalizeInput } from "@runframe/util";

/** `truncated_alerts` is a uint32; a larger count could not be serialized. */
const UINT32_MAX = 0xffff_ffff;

/**
 * The dedup-key namespace: Alertmanager's name, as senders know it and as
 * stored incidents are keyed. The provider is `prometheus` everywhere else;
 * this is its `dedupNamespace` in the provider registry (libs/providers),
 * which the fixture suite checks.
 */
const DEDUP_NAMESPACE = "alertmanager";
const FALLBACK_TITLE = "Alertmanager alert";
const FALLBACK_GROUP_TITLE = "Alertmanager group";
/** Hex digits kept of a computed fingerprint: as long as Alertmanager's own. */
const COMPUTED_FINGERPRINT_HEX_CHARS = 16;
/**
 * Labels copied into metadata before any other, in this order; `receiver` is
 * the payload's, the rest are the alert's labels.
 */
const METADATA_FIRST = ["alertname", "instance", "job", "namespace", "severity", "receiver"];

/**
 * Alertmanager has no severity field, only the `severity` label by
 * convention, whose values vary between rule sets. The label value is
 * matched case-insensitively and without surrounding spaces; a value not in
 * this table, or no label at all, gives UNSPECIFIED rather than a guess. An
 * integration's `severity_overrides` for a label value win over the table.
 *
 * - page, emergency, disaster → SEV0 (someone must be woken now)
 * - critical → SEV1
 * - error, high, major → SEV2
 * - warning, warn, medium → SEV3
 * - info, low, minor, none → SEV4
 * - sev0 … sev4 → SEV0 … SEV4, for teams that label with our scale directly
 */
export const PROMETHEUS_SEVERITIES: ReadonlyMap<string, Severity> = severityTable({
  SEV0: ["page", "emergency", "disaster", "sev0"],
  SEV1: ["critical", "sev1"],
  SEV2: ["error", "high", "major", "sev2"],
  SEV3: ["warning", "warn", "medium", "sev3"],
  SEV4: ["info", "low", "minor", "none", "sev4"],
});

const ACTIONS: ReadonlyMap<string, AlertAction> = new Map([
  ["firing", AlertAction.TRIGGER],
  ["resolved", AlertAction.RESOLVE],
]);

/** Group-level fields shared by every alert of one notification. */
interface Group {
  readonly receiver: string | undefined;
  /** As sent; used only when it is a usable link. */
  readonly externalUrl: unknown;
  readonly truncatedAlerts: number;
  /** The top-level `status`, when it is `firing` or `resolved`. */
  readonly action: AlertAction | undefined;
  readonly groupKey: string | undefined;
  readonly groupLabels: ReadonlyMap<string, string>;
  readonly commonLabels: ReadonlyMap<string, string>;
  readonly commonAnnotations: ReadonlyMap<string, string>;
}

/** One element of `alerts` whose status was understood. */
interface AlertEntry {
  readonly action: AlertAction;
  readonly fields: JsonObject;
}

/**
 * Normalizes one Alertmanager webhook notification (payload version 4) into
 * one alert per element of `alerts`, in payload order; for an integration
 * in group mode, into the triggers or the resolve of the group's one
 * incident instead (see normalizeGroup).
 *
 * Rules, each a deliberate choice:
 * - Each alert's own `status` decides trigger or resolve; the group `status`
 *   is ignored, as it stays `firing` while any alert of the group fires.
 * - `version` is not checked: a newer version would more likely add fields
 *   than change these, and a refused notification is lost for good
 *   (Alertmanager retries only on 5xx).
 * - An empty `alerts` array gives no alerts rather than an error.
 * - The dedup key is `alertmanager:<fingerprint>`. Without a fingerprint it
 *   is computed from the alert's labels, so the same label set always gives
 *   the same key and repeat notifications update one incident.
 * - A label with an empty value is treated as absent, as Prometheus does.
 *   Labels and annotations that are not strings are ignored, and JSON
 *   `null` anywhere means absent.
 * - Annotations and labels used as text (title, description, service id)
 *   are trimmed, since templated annotations often carry the template's
 *   line breaks; a blank value counts as absent.
 * - `endsAt` (resolves) and `startsAt` (triggers) must be RFC 3339 times;
 *   Go's zero time `0001-01-01T00:00:00Z` means unset, and an unset or
 *   unreadable time gives the receive time. Precision is milliseconds.
 * - The group's `truncatedAlerts` is recorded on every alert of the
 *   notification, as no single alert is the one that was cut.
 *
 * @throws ValidationError when the body is not a JSON object (`body`),
 * `alerts` is missing or not an array (`alerts`), or an element is not an
 * object (`alerts[i]`) or has a status other than `firing` or `resolved`
 * (`alerts[i].status`). Every bad element is reported at once.
 */
export const normalizePrometheus: Normalize = (input) => {
  const payload = decodeJsonObject(input.body);
  const entries = readAlerts(payload);
  // Alerts past the cap are dropped the way Alertmanager's own max_alerts
  // drops them: counted in truncatedAlerts, so one delivery stays bounded.
  const dropped = Math.max(0, entries.length - MAX_ALERTS_PER_DELIVERY);
  const status = stringField(payload, "status");
  const group: Group = {
    receiver: stringField(payload, "receiver"),
    externalUrl: field(payload, "externalURL"),
    truncatedAlerts: Math.min(UINT32_MAX, count(field(payload, "truncatedAlerts")) + dropped),
    action: status === undefined ? undefined : ACTIONS.get(status),
    groupKey: stringField(payload, "groupKey"),
    groupLabels: stringMap(objectField(payload, "groupLabels"), { dropEmpty: true }),
    commonLabels: stringMap(objectField(payload, "commonLabels"), { dropEmpty: true }),
    commonAnnotations: stringMap(objectField(payload, "commonAnnotations"), { dropEmpty: false }),
  };
  const kept = entries.slice(0, MAX_ALERTS_PER_DELIVERY);
  return input.integration.options?.alertGrouping === AlertGrouping.GROUP
    ? normalizeGroup(kept, group, input)
    : kept.map((entry) => normalizeAlert(entry, group, input));
};

/** The most alerts one delivery turns into incidents; the rest are counted as truncated. */
export const MAX_ALERTS_PER_DELIVERY = 1000;

/** The one structural check: `alerts` is a list of alerts with a known status. */
function readAlerts(payload: JsonObject): AlertEntry[] {
  const violations = new Violations();
  const alerts = violations.array("alerts", field(payload, "alerts"), "is required");
  if (alerts === undefined) {
    throw violations.error();
  }
  const entries: AlertEntry[] = [];
  alerts.forEach((value, i) => {
    const path = `alerts[${i}]`;
    const alert = violations.object(path, value);
    if (alert === undefined) {
      return;
    }
    const status = violations.string(`${path}.status`, field(alert, "status"), "is required");
    const action = status === undefined ? undefined : ACTIONS.get(status);
    if (action !== undefined) {
      entries.push({ action, fields: alert });
    } else if (status !== undefined) {
      violations.add(`${path}.status`, 'must be "firing" or "resolved"');
    }
  });
  violations.throwIfAny();
  return entries;
}

/** What one alert says, read the one way both modes read it. */
interface AlertReading {
  readonly labels: ReadonlyMap<string, string>;
  readonly annotations: ReadonlyMap<string, string>;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  /** `startsAt` of a firing alert, `endsAt` of a resolved one. */
  readonly occurTime: Date | undefined;
}

function readAlert(entry: AlertEntry, input: NormalizeInput): AlertReading {
  const labels = stringMap(objectField(entry.fields, "labels"), { dropEmpty: true });
  const annotations = stringMap(objectField(entry.fields, "annotations"), { dropEmpty: false });
  const resolve = entry.action === AlertAction.RESOLVE;
  return {
    labels,
    annotations,
    title: titleOf(labels, annotations),
    description:
      trimmedValue(annotations, "description") ?? trimmedValue(annotations, "message") ?? "",
    severity: severityOf(labels.get("severity"), input),
    occurTime: parseTime(field(entry.fields, resolve ? "endsAt" : "startsAt"), "rfc3339"),
  };
}

function normalizeAlert(entry: AlertEntry, group: Group, input: NormalizeInput): NormalizedAlert {
  const alert = readAlert(entry, input);
  return nativeAlert({
    action: entry.action,
    title: alert.title,
    description: alert.description,
    severity: alert.severity,
    serviceId:
      trimmedValue(alert.labels, "service_id") ??
      trimmedValue(alert.annotations, "service_id") ??
      input.integration.defaultServiceId,
    links: [field(entry.fields, "generatorURL"), group.externalUrl],
    namespace: DEDUP_NAMESPACE,
    naturalKey: fingerprintOf(field(entry.fields, "fingerprint"), alert.labels),
    metadata: metadataOf(alert.labels, group.receiver),
    occurTime: alert.occurTime ?? input.receiveTime,
    truncatedAlerts: group.truncatedAlerts,
  });
}

/**
 * Group mode (`alert_grouping` GROUP): the whole notification is one
 * incident, keyed `alertmanager:group:<groupKey>`.
 *
 * - While the group fires, each firing alert is one trigger, so the
 *   incident gets one occurrence per firing alert of every notification;
 *   resolved alerts of a still-firing group add nothing.
 * - When the group resolves (top-level `status` `resolved`; without a usable
 *   one, when every alert listed is resolved) one resolve closes it.
 * - Title: `commonAnnotations.summary`, else the group's `alertname` and its
 *   other group labels (`HighErrorRate (team=checkout)`), so every
 *   occurrence keeps the incident's title; each trigger's description starts
 *   with its own alert's title, and its metadata is the alert's labels.
 * - Severity: the most severe of the notification's alerts, on every alert
 *   of it, so the incident is as severe as its worst alert.
 * - Service: `service_id` among the common labels (then common annotations),
 *   else the integration's default: one incident has one service.
 * - Without a `groupKey` the key hashes the receiver and group labels,
 *   which is what Alertmanager's own key is made of.
 */
function normalizeGroup(
  entries: readonly AlertEntry[],
  group: Group,
  input: NormalizeInput,
): NormalizedAlert[] {
  const alerts = entries.map((entry) => ({ entry, alert: readAlert(entry, input) }));
  const resolved =
    group.action === undefined
      ? entries.length > 0 && entries.every((e) => e.action === AlertAction.RESOLVE)
      : group.action === AlertAction.RESOLVE;
  const shared = {
    title: groupTitle(group),
    severity: mostSevere(alerts.map(({ alert }) => alert.severity)),
    serviceId:
      trimmedValue(group.commonLabels, "service_id") ??
      trimmedValue(group.commonAnnotations, "service_id") ??
      input.integration.defaultServiceId,
    namespace: DEDUP_NAMESPACE,
    naturalKey: `group:${groupKeyOf(group)}`,
    truncatedAlerts: group.truncatedAlerts,
  };
  if (resolved) {
    const ended = alerts.flatMap(({ alert }) => (alert.occurTime ? [alert.occurTime] : []));
    return [
      nativeAlert({
        ...shared,
        action: AlertAction.RESOLVE,
        description: "",
        links: [group.externalUrl],
        metadata: metadataOf(group.groupLabels, group.receiver),
        occurTime: ended.length > 0 ? latest(ended) : input.receiveTime,
      }),
    ];
  }
  return alerts
    .filter(({ entry }) => entry.action === AlertAction.TRIGGER)
    .map(({ entry, alert }) =>
      nativeAlert({
        ...shared,
        action: AlertAction.TRIGGER,
        description: [alert.title, alert.description].filter((t) => t !== "").join("\n\n"),
        links: [field(entry.fields, "generatorURL"), group.externalUrl],
        metadata: metadataOf(alert.labels, group.receiver),
        occurTime: alert.occurTime ?? input.receiveTime,
      }),
    );
}

function groupTitle(group: Group): string {
  const summary = trimmedValue(group.commonAnnotations, "summary");
  if (summary !== undefined) {
    return summary;
  }
  const name =
    trimmedValue(group.groupLabels, "alertname") ?? trimmedValue(group.commonLabels, "alertname");
  const others = [...group.groupLabels]
    .filter(([key]) => key !== "alertname")
    .sort(byName)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
  if (name === undefined) {
    return others === "" ? FALLBACK_GROUP_TITLE : `${FALLBACK_GROUP_TITLE} (${others})`;
  }
  return others === "" ? name : `${name} (${others})`;
}

/** Alertmanager's `groupKey`, else what it is made of: the receiver and the group labels. */
function groupKeyOf(group: Group): string {
  if (group.groupKey !== undefined && group.groupKey.trim() !== "") {
    return group.groupKey;
  }
  return sha256Hex(
    JSON.stringify([group.receiver ?? "", [...group.groupLabels].sort(byName)]),
  ).slice(0, COMPUTED_FINGERPRINT_HEX_CHARS);
}

/** SEV0 is the most severe; unspecified only when no alert says. */
function mostSevere(severities: readonly Severity[]): Severity {
  const known = severities.filter((s) => s !== Severity.UNSPECIFIED);
  return known.length === 0 ? Severity.UNSPECIFIED : Math.min(...known);
}

function latest(times: readonly Date[]): Date {
  return times.reduce((a, b) => (b > a ? b : a));
}

function titleOf(labels: ReadonlyMap<string, string>, annotations: ReadonlyMap<string, string>) {
  const summary = trimmedValue(annotations, "summary");
  if (summary !== undefined) {
    return summary;
  }
  const alertname = trimmedValue(labels, "alertname");
  if (alertname === undefined) {
    return FALLBACK_TITLE;
  }
  const instance = trimmedValue(labels, "instance");
  return instance === undefined ? alertname : `${alertname} on ${instance}`;
}

function severityOf(label: string | undefined, input: NormalizeInput): Severity {
  return (
    severityOverride(input.integration, label) ??
    PROMETHEUS_SEVERITIES.get(label?.trim().toLowerCase() ?? "") ??
    Severity.UNSPECIFIED
  );
}

/**
 * Alertmanager's fingerprint identifies an alert by its label set, so the
 * fallback hashes the same thing. The pairs are hashed as JSON so that no
 * value, whatever characters it holds, can make two label sets collide.
 */
function fingerprintOf(fingerprint: unknown, labels: ReadonlyMap<string, string>): string {
  return typeof fingerprint === "string" && fingerprint.trim() !== ""
    ? fingerprint
    : sha256Hex(JSON.stringify([...labels].sort(byName))).slice(0, COMPUTED_FINGERPRINT_HEX_CHARS);
}

/**
 * The labels people filter on first, then the remaining labels by name.
 * Keys a metadata map cannot carry (`__proto__`, over-long names) are
 * skipped, not refused.
 */
function metadataOf(
  labels: ReadonlyMap<string, string>,
  receiver: string | undefined,
): (readonly [string, string | undefined])[] {
  return [
    ...METADATA_FIRST.map((key) => [key, key === "receiver" ? receiver : labels.get(key)] as const),
    ...[...labels].sort(byName),
  ];
}

/** The string-valued entries of a JSON object (labels, annotations); others are skipped. */
function stringMap(
  object: JsonObject | undefined,
  options: { dropEmpty: boolean },
): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, entry] of Object.entries(object ?? {})) {
    if (typeof entry === "string" && !(options.dropEmpty && entry === "")) {
      map.set(key, entry);
    }
  }
  return map;
}

/** The trimmed value under `key`, or undefined when absent or blank. */
function trimmedValue(map: ReadonlyMap<string, string>, key: string): string | undefined {
  const value = map.get(key)?.trim();
  return value === "" ? undefined : value;
}

/** A count Alertmanager sends as a JSON number; anything else means none. */
function count(value: unknown): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? Math.min(value, UINT32_MAX)
    : 0;
}

function byName([a]: readonly [string, string], [b]: readonly [string, string]): number {
  // Code-unit order, not localeCompare: the fingerprint must not depend on
  // the locale of the machine that computes it.
  return a < b ? -1 : a > b ? 1 : 0;
}
