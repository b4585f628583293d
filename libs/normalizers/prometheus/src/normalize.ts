import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  IncidentStatus,
  NormalizedAlertSchema,
  Severity,
  type NormalizedAlert,
} from "@runframe/contracts";
import { charLength, truncate } from "@runframe/normalizers-kit";
import {
  ValidationError,
  decodeJsonObject,
  describeJsonValue,
  isJsonObject,
  type Normalize,
  type NormalizeInput,
  type Violation,
} from "@runframe/util";

/*
 * Alertmanager payloads are not under the sender's control, so long fields
 * are truncated with a marker rather than refused. Limits are Unicode code
 * points, matching the published Custom Webhook limits.
 */
const TITLE_MAX_CHARS = 500;
const DESCRIPTION_MAX_CHARS = 5000;
const DEDUP_KEY_MAX_CHARS = 255;
const METADATA_MAX_KEYS = 10;
const METADATA_KEY_MAX_CHARS = 100;
const METADATA_VALUE_MAX_CHARS = 1000;
/**
 * The Custom Webhook's limit for links. A cut URL is a broken link, so a
 * longer one is skipped (falling back to `externalURL`), never truncated.
 */
const SOURCE_URL_MAX_CHARS = 2048;
/** `truncated_alerts` is a uint32; a larger count could not be serialized. */
const UINT32_MAX = 0xffff_ffff;

const DEDUP_PREFIX = "alertmanager:";
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
 * this table, or no label at all, gives UNSPECIFIED rather than a guess.
 *
 * - page, emergency, disaster → SEV0 (someone must be woken now)
 * - critical → SEV1
 * - error, high, major → SEV2
 * - warning, warn, medium → SEV3
 * - info, low, minor, none → SEV4
 * - sev0 … sev4 → SEV0 … SEV4, for teams that label with our scale directly
 */
export const PROMETHEUS_SEVERITIES: ReadonlyMap<string, Severity> = new Map([
  ["page", Severity.SEV0],
  ["emergency", Severity.SEV0],
  ["disaster", Severity.SEV0],
  ["critical", Severity.SEV1],
  ["error", Severity.SEV2],
  ["high", Severity.SEV2],
  ["major", Severity.SEV2],
  ["warning", Severity.SEV3],
  ["warn", Severity.SEV3],
  ["medium", Severity.SEV3],
  ["info", Severity.SEV4],
  ["low", Severity.SEV4],
  ["minor", Severity.SEV4],
  ["none", Severity.SEV4],
  ["sev0", Severity.SEV0],
  ["sev1", Severity.SEV1],
  ["sev2", Severity.SEV2],
  ["sev3", Severity.SEV3],
  ["sev4", Severity.SEV4],
]);

const ACTIONS: ReadonlyMap<string, AlertAction> = new Map([
  ["firing", AlertAction.TRIGGER],
  ["resolved", AlertAction.RESOLVE],
]);

/** Group-level fields shared by every alert of one notification. */
interface Group {
  readonly receiver: string | undefined;
  readonly externalUrl: string | undefined;
  readonly truncatedAlerts: number;
}

/** One element of `alerts` whose status was understood. */
interface AlertEntry {
  readonly action: AlertAction;
  readonly fields: Record<string, unknown>;
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
    receiver: nonEmptyString(field(payload, "receiver")),
    externalUrl: httpUrl(field(payload, "externalURL")),
    truncatedAlerts: Math.min(0xffffffff, count(field(payload, "truncatedAlerts")) + dropped),
  };
  return entries
    .slice(0, MAX_ALERTS_PER_DELIVERY)
    .map((entry) => normalizeAlert(entry, group, input));
};

/** The most alerts one delivery turns into incidents; the rest are counted as truncated. */
export const MAX_ALERTS_PER_DELIVERY = 1000;

/** The one structural check: `alerts` is a list of alerts with a known status. */
function readAlerts(payload: Record<string, unknown>): AlertEntry[] {
  const alerts = field(payload, "alerts");
  if (alerts === undefined) {
    throw new ValidationError([{ field: "alerts", description: "is required" }]);
  }
  if (!Array.isArray(alerts)) {
    throw new ValidationError([
      { field: "alerts", description: `must be an array, got ${describeJsonValue(alerts)}` },
    ]);
  }
  const violations: Violation[] = [];
  const entries: AlertEntry[] = [];
  alerts.forEach((alert: unknown, i) => {
    const path = `alerts[${i}]`;
    if (!isJsonObject(alert)) {
      violations.push({
        field: path,
        description: `must be an object, got ${describeJsonValue(alert)}`,
      });
      return;
    }
    const status = field(alert, "status");
    const action = typeof status === "string" ? ACTIONS.get(status) : undefined;
    if (action === undefined) {
      violations.push({ field: `${path}.status`, description: describeBadStatus(status) });
      return;
    }
    entries.push({ action, fields: alert });
  });
  if (violations.length > 0) {
    throw new ValidationError(violations);
  }
  return entries;
}

function describeBadStatus(status: unknown): string {
  if (status === undefined) {
    return "is required";
  }
  if (typeof status !== "string") {
    return `must be a string, got ${describeJsonValue(status)}`;
  }
  return 'must be "firing" or "resolved"';
}

function normalizeAlert(entry: AlertEntry, group: Group, input: NormalizeInput): NormalizedAlert {
  const labels = stringMap(field(entry.fields, "labels"), { dropEmpty: true });
  const annotations = stringMap(field(entry.fields, "annotations"), { dropEmpty: false });
  const resolve = entry.action === AlertAction.RESOLVE;
  const description = text(annotations, "description") ?? text(annotations, "message") ?? "";
  const occurTime = setTime(field(entry.fields, resolve ? "endsAt" : "startsAt"));
  return create(NormalizedAlertSchema, {
    action: entry.action,
    title: truncate(titleOf(labels, annotations), TITLE_MAX_CHARS),
    description: truncate(description, DESCRIPTION_MAX_CHARS),
    severity: severityOf(labels.get("severity")),
    status: resolve ? IncidentStatus.RESOLVED : IncidentStatus.NEW,
    serviceId:
      text(labels, "service_id") ??
      text(annotations, "service_id") ??
      input.integration.defaultServiceId,
    sourceUrl: httpUrl(field(entry.fields, "generatorURL")) ?? group.externalUrl ?? "",
    dedupKey: dedupKeyOf(field(entry.fields, "fingerprint"), labels),
    metadata: metadataOf(labels, group.receiver),
    occurTime: timestampFromDate(occurTime ?? input.receiveTime),
    truncatedAlerts: group.truncatedAlerts,
  });
}

function titleOf(labels: ReadonlyMap<string, string>, annotations: ReadonlyMap<string, string>) {
  const summary = text(annotations, "summary");
  if (summary !== undefined) {
    return summary;
  }
  const alertname = text(labels, "alertname");
  if (alertname === undefined) {
    return FALLBACK_TITLE;
  }
  const instance = text(labels, "instance");
  return instance === undefined ? alertname : `${alertname} on ${instance}`;
}

function severityOf(label: string | undefined): Severity {
  return PROMETHEUS_SEVERITIES.get(label?.trim().toLowerCase() ?? "") ?? Severity.UNSPECIFIED;
}

/**
 * Alertmanager's fingerprint identifies an alert by its label set, so the
 * fallback hashes the same thing. The pairs are hashed as JSON so that no
 * value, whatever characters it holds, can make two label sets collide.
 */
function dedupKeyOf(fingerprint: unknown, labels: ReadonlyMap<string, string>): string {
  const id =
    typeof fingerprint === "string" && fingerprint.trim() !== ""
      ? fingerprint
      : sha256Hex(JSON.stringify([...labels].sort(byName))).slice(
          0,
          COMPUTED_FINGERPRINT_HEX_CHARS,
        );
  const key = DEDUP_PREFIX + id;
  return charLength(key) <= DEDUP_KEY_MAX_CHARS ? key : `${DEDUP_PREFIX}sha256:${sha256Hex(key)}`;
}

/**
 * The labels people filter on first, then the remaining labels by name,
 * until the cap. Keys that protobuf-es maps cannot carry (`__proto__`) or
 * that are too long to be a readable name are skipped, not refused.
 */
function metadataOf(
  labels: ReadonlyMap<string, string>,
  receiver: string | undefined,
): Record<string, string> {
  const chosen = new Map<string, string>();
  const add = (key: string, value: string | undefined): void => {
    if (
      value !== undefined &&
      chosen.size < METADATA_MAX_KEYS &&
      !chosen.has(key) &&
      key !== "" &&
      key !== "__proto__" &&
      charLength(key) <= METADATA_KEY_MAX_CHARS
    ) {
      chosen.set(key, truncate(value, METADATA_VALUE_MAX_CHARS));
    }
  };
  for (const key of METADATA_FIRST) {
    add(key, key === "receiver" ? receiver : labels.get(key));
  }
  for (const [key, value] of [...labels].sort(byName)) {
    add(key, value);
  }
  // fromEntries defines properties, so no key can reach a prototype setter.
  return Object.fromEntries(chosen);
}

/** Own property only, with JSON null folded into absent. */
function field(object: Record<string, unknown>, name: string): unknown {
  const value = Object.hasOwn(object, name) ? object[name] : undefined;
  return value === null ? undefined : value;
}

/** The string-valued entries of a JSON object; anything else gives none. */
function stringMap(value: unknown, options: { dropEmpty: boolean }): Map<string, string> {
  const map = new Map<string, string>();
  if (isJsonObject(value)) {
    for (const [key, entry] of Object.entries(value)) {
      if (typeof entry === "string" && !(options.dropEmpty && entry === "")) {
        map.set(key, entry);
      }
    }
  }
  return map;
}

/** The trimmed value under `key`, or undefined when absent or blank. */
function text(map: ReadonlyMap<string, string>, key: string): string | undefined {
  const value = map.get(key)?.trim();
  return value === "" ? undefined : value;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A count Alertmanager sends as a JSON number; anything else means none. */
function count(value: unknown): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? Math.min(value, UINT32_MAX)
    : 0;
}

/**
 * A link safe to render: an absolute http(s) URL written out in full, with
 * no whitespace or control characters the WHATWG parser would silently drop.
 */
function httpUrl(value: unknown): string | undefined {
  return typeof value === "string" &&
    /^https?:\/\//i.test(value) &&
    !/[\s\p{Cc}]/u.test(value) &&
    charLength(value) <= SOURCE_URL_MAX_CHARS &&
    URL.canParse(value)
    ? value
    : undefined;
}

const RFC3339 =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})[Tt](?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?:\.(?<fraction>\d+))?(?:[Zz]|(?<sign>[+-])(?<offsetHour>\d{2}):(?<offsetMinute>\d{2}))$/;

/**
 * Go's zero `time.Time`, 0001-01-01T00:00:00Z, which Alertmanager sends for
 * "not set". It is also the earliest instant a protobuf Timestamp can hold.
 */
const GO_ZERO_TIME_MS = -62_135_596_800_000;
/** The last instant a protobuf Timestamp can hold: 9999-12-31T23:59:59.999Z. */
const LATEST_TIME_MS = 253_402_300_799_999;

/**
 * Parses an RFC 3339 time as Go writes it (up to nanoseconds, any offset);
 * Go's zero time and instants a Timestamp cannot hold give undefined.
 * Date.parse is not used: it accepts other formats and rolls impossible
 * dates such as February 30 over into March.
 */
function setTime(value: unknown): Date | undefined {
  const groups = typeof value === "string" ? RFC3339.exec(value)?.groups : undefined;
  if (groups === undefined) {
    return undefined;
  }
  const part = (name: string): number => Number(groups[name] ?? 0);
  const [year, month, day] = [part("year"), part("month"), part("day")];
  const [hour, minute, second] = [part("hour"), part("minute"), part("second")];
  const [offsetHour, offsetMinute] = [part("offsetHour"), part("offsetMinute")];
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) {
    return undefined;
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return undefined;
  }
  const millis = Number((groups["fraction"] ?? "").padEnd(3, "0").slice(0, 3));
  date.setUTCHours(hour, minute, second, millis);
  const offset = (groups["sign"] === "-" ? -1 : 1) * (offsetHour * 60 + offsetMinute) * 60_000;
  const time = date.getTime() - offset;
  return time > GO_ZERO_TIME_MS && time <= LATEST_TIME_MS ? new Date(time) : undefined;
}

function byName([a]: readonly [string, string], [b]: readonly [string, string]): number {
  // Code-unit order, not localeCompare: the fingerprint must not depend on
  // the locale of the machine that computes it.
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha256Hex(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}
