/**
 * PagerDuty Events API v2, at a glance (the rules in full are on
 * createPagerDutyNormalizer below):
 *
 * - Dedup:   `dedup_key` exactly as sent, as PagerDuty keys its alerts; a
 *            trigger without one gets a new random key, which the answer
 *            carries so the sender can acknowledge and resolve with it.
 * - Resolve: `event_action` `resolve`. `acknowledge` records an
 *            acknowledgement on the key's open incident.
 * - Example: src/fixtures/alertmanager-trigger.json (Alertmanager's
 *            `pagerduty_configs`) and src/fixtures/documented-trigger.json.
 *
 * The Events API is a published contract that senders program against, so
 * what it declares invalid is refused, naming the field, as PagerDuty
 * refuses it with a 400: a sender learns of a broken event at once rather
 * than from an incident that never opened.
 */

import { AlertAction, Severity } from "@runframe/contracts";
import {
  DEDUP_KEY_MAX_CHARS,
  TITLE_MAX_CHARS,
  Violations,
  charLength,
  field,
  isWellFormed,
  nativeAlert,
  objectField,
  parseTime,
  severityOverride,
  severityTable,
  stringField,
  textField,
  type JsonObject,
} from "@runframe/normalizers-kit";
import { decodeJsonObject, isJsonObject, type Normalize } from "@runframe/util";
import { randomUUID } from "node:crypto";

/** `payload.summary`: PagerDuty's published limit. */
export const SUMMARY_MAX_CHARS = 1024;

/**
 * `payload.severity`, PagerDuty's four values, on Runframe's scale:
 *
 * | `payload.severity` | Runframe |
 * |--------------------|----------|
 * | `critical`         | SEV1     |
 * | `error`            | SEV2     |
 * | `warning`          | SEV3     |
 * | `info`             | SEV4     |
 *
 * The same words mean the same as in the Prometheus and Sentry tables.
 * SEV0 is never derived: PagerDuty has nothing above `critical`, and
 * declaring a customer-facing outage is a human decision (or an
 * integration's `severity_overrides`, e.g. `critical` → SEV0). Values are
 * matched exactly, lower case, as PagerDuty does.
 */
export const PAGERDUTY_SEVERITIES: ReadonlyMap<string, Severity> = severityTable({
  SEV1: ["critical"],
  SEV2: ["error"],
  SEV3: ["warning"],
  SEV4: ["info"],
});

const ACTIONS: ReadonlyMap<string, AlertAction> = new Map([
  ["trigger", AlertAction.TRIGGER],
  ["acknowledge", AlertAction.ACKNOWLEDGE],
  ["resolve", AlertAction.RESOLVE],
]);

/** Options of {@link createPagerDutyNormalizer}. */
export interface PagerDutyNormalizerOptions {
  /** A new dedup key for a trigger that names none; unique every call. */
  readonly newDedupKey: () => string;
}

/**
 * Builds the normalizer of one PagerDuty Events API v2 event (the body of
 * `POST /v2/enqueue`), which always gives exactly one alert.
 *
 * What is refused (every problem at once, each naming its field):
 * - `event_action` missing or not `trigger`, `acknowledge` or `resolve`;
 * - `dedup_key` not a string, over 255 characters, or missing on an
 *   `acknowledge` or `resolve` (a blank one counts as missing);
 * - on a `trigger`: `payload` missing or not an object; `payload.summary`
 *   missing, blank or over 1024 characters; `payload.source` missing or
 *   blank; `payload.severity` not one of `critical`, `error`, `warning`,
 *   `info`; `payload.timestamp` present but not an ISO 8601 time;
 *   `payload.component`, `group` and `class` present but not strings;
 * - `routing_key`, `client` and `client_url` present but not strings;
 *   `links` not an array of objects with a string `href`, `images` not an
 *   array of objects with a string `src`;
 * - text that is not valid Unicode (an escaped lone surrogate).
 *
 * Unknown fields are ignored, and so is the payload of an `acknowledge` or a
 * `resolve`, which PagerDuty does not read either; `routing_key` is the
 * edge's business (on `/webhooks/{routingKey}` the URL's key counts).
 *
 * What the alert holds:
 * - Title: `payload.summary`, cut to 500 characters with the marker; the
 *   whole summary then opens the description. An `acknowledge` or
 *   `resolve` without one is titled by its action.
 * - Description: `payload.custom_details`, one `key: value` line each
 *   (values that are not strings as JSON; empty ones left out).
 * - Severity: {@link PAGERDUTY_SEVERITIES}, after the integration's
 *   `severity_overrides`.
 * - Service: `payload.custom_details.service_id` when it is a non-blank
 *   string, else the integration's default service.
 * - Source URL: the first http(s) `links[].href`, else `client_url`, else
 *   the first image's `href`.
 * - Metadata: `source`, `component`, `group`, `class`, `client`, then the
 *   custom details whose values are scalars on one line, up to ten.
 * - Occurred at: `payload.timestamp`, else the receive time.
 */
export function createPagerDutyNormalizer(options: PagerDutyNormalizerOptions): Normalize {
  return (input) => {
    const event = decodeJsonObject(input.body);
    const v = new Violations();
    const text = (parent: JsonObject, path: string, name: string, ifMissing?: string) =>
      checkedText(v, parent, path, name, ifMissing);

    text(event, "", "routing_key");
    const actionName = text(event, "", "event_action", "is required");
    const action = actionName === undefined ? undefined : ACTIONS.get(actionName);
    if (actionName !== undefined && action === undefined) {
      v.add("event_action", "must be one of trigger, acknowledge, resolve");
    }
    const trigger = action === AlertAction.TRIGGER;
    const sentKey = blankAsAbsent(text(event, "", "dedup_key"));
    if (sentKey !== undefined && charLength(sentKey) > DEDUP_KEY_MAX_CHARS) {
      v.add("dedup_key", `must be at most ${DEDUP_KEY_MAX_CHARS} characters`);
    }
    if (action !== undefined && !trigger && sentKey === undefined) {
      v.add("dedup_key", `is required for ${actionName} events`);
    }
    const payload = trigger
      ? v.object("payload", field(event, "payload"), "is required for trigger events")
      : objectField(event, "payload");
    const read = trigger && payload !== undefined ? readTriggerPayload(v, payload) : undefined;
    const links = linkHrefs(v, event);
    const imageLinks = imageHrefs(v, event);
    const client = text(event, "", "client");
    const clientUrl = text(event, "", "client_url");
    v.throwIfAny();
    if (action === undefined) {
      // Unreachable: a missing or unknown action was recorded above.
      throw v.error();
    }

    const summary = read?.summary ?? textField(payload, "summary");
    const dedupKey = sentKey ?? (trigger ? options.newDedupKey() : "");
    const details = field(payload, "custom_details");
    const severityName = read?.severity;
    return [
      nativeAlert({
        action,
        title: summary ?? `PagerDuty ${actionName ?? "event"}`,
        description: [
          summary !== undefined && charLength(summary) > TITLE_MAX_CHARS ? summary : undefined,
          ...detailLines(details),
        ]
          .filter((line) => line !== undefined)
          .join("\n"),
        severity:
          severityOverride(input.integration, severityName) ??
          PAGERDUTY_SEVERITIES.get(severityName ?? "") ??
          Severity.UNSPECIFIED,
        serviceId:
          textField(isJsonObject(details) ? details : undefined, "service_id")?.trim() ??
          input.integration.defaultServiceId,
        links: [...links, clientUrl, ...imageLinks],
        namespace: undefined,
        naturalKey: dedupKey,
        metadata: [
          ["source", stringField(payload, "source")],
          ["component", stringField(payload, "component")],
          ["group", stringField(payload, "group")],
          ["class", stringField(payload, "class")],
          ["client", client],
          ...scalarDetails(details),
        ],
        occurTime: read?.timestamp ?? input.receiveTime,
      }),
    ];
  };
}

/**
 * The normalizer with PagerDuty's own key for a trigger without one: a
 * random UUID in 32 hex digits, so it never matches another alert.
 */
export const normalizePagerDuty: Normalize = createPagerDutyNormalizer({
  newDedupKey: () => randomUUID().replaceAll("-", ""),
});

interface TriggerPayload {
  readonly summary: string | undefined;
  readonly source: string | undefined;
  readonly severity: string | undefined;
  readonly timestamp: Date | undefined;
}

/** The fields PagerDuty requires of a trigger's payload, each checked. */
function readTriggerPayload(v: Violations, payload: JsonObject): TriggerPayload {
  const summary = checkedText(v, payload, "payload.", "summary", "is required");
  if (summary !== undefined && summary.trim() === "") {
    v.add("payload.summary", "must not be blank");
  } else if (summary !== undefined && charLength(summary) > SUMMARY_MAX_CHARS) {
    v.add("payload.summary", `must be at most ${SUMMARY_MAX_CHARS} characters`);
  }
  const source = checkedText(v, payload, "payload.", "source", "is required");
  if (source !== undefined && source.trim() === "") {
    v.add("payload.source", "must not be blank");
  }
  const severity = checkedText(v, payload, "payload.", "severity", "is required");
  if (severity !== undefined && !PAGERDUTY_SEVERITIES.has(severity)) {
    v.add("payload.severity", `must be one of ${[...PAGERDUTY_SEVERITIES.keys()].join(", ")}`);
  }
  const stamp = field(payload, "timestamp");
  const timestamp = parseTime(stamp, "iso8601");
  if (stamp !== undefined && timestamp === undefined) {
    v.add("payload.timestamp", "must be an ISO 8601 time, e.g. 2015-07-17T08:42:58.315+0000");
  }
  for (const name of ["component", "group", "class"]) {
    checkedText(v, payload, "payload.", name);
  }
  return { summary, source, severity, timestamp };
}

/** A string field (`prefix` + `name` in violations), which must be valid Unicode. */
function checkedText(
  v: Violations,
  parent: JsonObject,
  prefix: string,
  name: string,
  ifMissing?: string,
): string | undefined {
  const path = `${prefix}${name}`;
  const value = v.string(path, field(parent, name), ifMissing);
  if (value !== undefined && !isWellFormed(value)) {
    v.add(path, "must be valid Unicode (it contains an unpaired surrogate)");
    return undefined;
  }
  return value;
}

function blankAsAbsent(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** `links[].href`, each checked: `links` is an array of objects with a string `href`. */
function linkHrefs(v: Violations, event: JsonObject): string[] {
  return elements(v, event, "links", (link, path) =>
    checkedText(v, link, path, "href", "is required"),
  );
}

/** `images[].href`, the optional link of each image; each image needs a string `src`. */
function imageHrefs(v: Violations, event: JsonObject): string[] {
  return elements(v, event, "images", (image, path) => {
    checkedText(v, image, path, "src", "is required");
    checkedText(v, image, path, "alt");
    return checkedText(v, image, path, "href");
  });
}

/** What `read` finds in each object of the optional array `name`, checked in order. */
function elements(
  v: Violations,
  event: JsonObject,
  name: string,
  read: (element: JsonObject, path: string) => string | undefined,
): string[] {
  return (v.array(name, field(event, name)) ?? []).flatMap((item, i) => {
    const element = v.object(`${name}[${i}]`, item);
    return present(element === undefined ? undefined : read(element, `${name}[${i}].`));
  });
}

function present(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}

/** `custom_details` as `key: value` lines; anything but an object is one line. */
function detailLines(details: unknown): string[] {
  if (details === undefined) {
    return [];
  }
  if (!isJsonObject(details)) {
    return [asText(details)];
  }
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== "")
    .map(([key, value]) => `${key}: ${asText(value)}`);
}

/**
 * The custom details that fit a metadata value, a scalar on one line, as
 * metadata candidates; longer text is in the description.
 */
function scalarDetails(details: unknown): [string, string | undefined][] {
  if (!isJsonObject(details)) {
    return [];
  }
  return Object.entries(details).flatMap(([key, value]): [string, string][] => {
    const scalar = ["string", "number", "boolean"].includes(typeof value);
    return scalar && !String(value).includes("\n") ? [[key, String(value)]] : [];
  });
}

function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
