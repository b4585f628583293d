/**
 * Prometheus Alertmanager, at a glance (the rules in full are on
 * normalizePrometheus below):
 *
 * - Dedup:   `alertmanager:<fingerprint>`, one incident per alert of a
 *            group; without a fingerprint, a hash of the alert's labels.
 * - Resolve: the alert's own `status` is `resolved` (the group's `status`
 *            stays `firing` while any alert fires, so it is ignored).
 * - Example: src/fixtures/firing-group-with-resolved-alert.json.
 *
 * Alertmanager payloads are not under the sender's control, so long fields
 * are truncated with a marker rather than refused. A link over the limit is
 * skipped (falling back to `externalURL`), never cut.
 */

import { AlertAction, Severity, type NormalizedAlert } from "@runframe/contracts";
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
}

/** One element of `alerts` whose status was understood. */
interface AlertEntry {
  readonly action: AlertAction;
  readonly fields: JsonObject;
}

/**
 * Normalizes one Alertmanager webhook notification (payload version 4) into
 * one alert per element of `alerts`, in payload order.
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
  const group: Group = {
    receiver: stringField(payload, "receiver"),
    externalUrl: field(payload, "externalURL"),
    truncatedAlerts: Math.min(UINT32_MAX, count(field(payload, "truncatedAlerts")) + dropped),
  };
  return entries
    .slice(0, MAX_ALERTS_PER_DELIVERY)
    .map((entry) => normalizeAlert(entry, group, input));
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

function normalizeAlert(entry: AlertEntry, group: Group, input: NormalizeInput): NormalizedAlert {
  const labels = stringMap(objectField(entry.fields, "labels"), { dropEmpty: true });
  const annotations = stringMap(objectField(entry.fields, "annotations"), { dropEmpty: false });
  const resolve = entry.action === AlertAction.RESOLVE;
  const description =
    trimmedValue(annotations, "description") ?? trimmedValue(annotations, "message") ?? "";
  const occurTime = parseTime(field(entry.fields, resolve ? "endsAt" : "startsAt"), "rfc3339");
  return nativeAlert({
    action: entry.action,
    title: titleOf(labels, annotations),
    description,
    severity: severityOf(labels.get("severity"), input),
    serviceId:
      trimmedValue(labels, "service_id") ??
      trimmedValue(annotations, "service_id") ??
      input.integration.defaultServiceId,
    links: [field(entry.fields, "generatorURL"), group.externalUrl],
    namespace: DEDUP_NAMESPACE,
    naturalKey: fingerprintOf(field(entry.fields, "fingerprint"), labels),
    metadata: metadataOf(labels, group.receiver),
    occurTime: occurTime ?? input.receiveTime,
    truncatedAlerts: group.truncatedAlerts,
  });
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
