/**
 * Datadog, at a glance (the rules in full are on normalizeDatadog below):
 *
 * - Dedup:   `datadog:<alert_id>:<alert_scope>` (else `:<aggreg_key>`), else
 *            `datadog:<aggreg_key>`, else `datadog:<title without markers>`,
 *            else `datadog:<alert_id>`; one monitor alerts for many groups,
 *            so its id alone is not the key.
 * - Resolve: `alert_transition` is `Recovered`; without one, a `[Recovered…]`
 *            title marker or `alert_type` `success`.
 * - Example: src/fixtures/recommended-template-triggered-web-1.json.
 *
 * Datadog posts whatever JSON template the user pasted into its webhook
 * integration, with `$VARIABLES` replaced by strings. There is no schema to
 * enforce: every field may be missing, null, empty or left unsubstituted
 * (Datadog leaves a variable it has no value for as the literal `$NAME`), so
 * everything except the body being a JSON object is optional. Two shapes are
 * understood: Datadog's documented default template and the richer one in
 * src/recommended-template.json.
 */

import { AlertAction, Severity, type Integration } from "@runframe/contracts";
import {
  SERVICE_ID_MAX_CHARS,
  charLength,
  field,
  nativeAlert,
  objectField,
  parseTime,
  severityOverride,
  severityTable,
  type JsonObject,
} from "@runframe/normalizers-kit";
import { decodeJsonObject, type Normalize } from "@runframe/util";

/** The title of an alert whose payload names none. */
export const DEFAULT_TITLE = "Datadog alert";

/**
 * How Datadog's fields map to a severity, checked in this order:
 *
 * | field            | value          | severity |
 * |------------------|----------------|----------|
 * | `alert_priority` | P1             | SEV1     |
 * | `alert_priority` | P2             | SEV2     |
 * | `alert_priority` | P3             | SEV3     |
 * | `alert_priority` | P4, P5         | SEV4     |
 * | `alert_type`     | error          | SEV2     |
 * | `alert_type`     | warning        | SEV3     |
 * | `alert_type`     | info, success  | SEV4     |
 * | neither usable   |                | UNSPECIFIED |
 *
 * The monitor's priority is what its owner chose, so it wins over the alert
 * type, which only says which threshold was crossed. SEV0 is never derived:
 * Datadog has nothing above P1, and declaring a SEV0 is a human decision.
 * Both fields are matched ignoring case and surrounding spaces. An
 * integration's `severity_overrides` for a priority (`p1`) or an alert type
 * (`warning`) win over this table, the priority's first.
 */
export const DATADOG_SEVERITY_TABLE: {
  readonly alertPriority: ReadonlyMap<string, Severity>;
  readonly alertType: ReadonlyMap<string, Severity>;
} = {
  alertPriority: severityTable({ SEV1: ["p1"], SEV2: ["p2"], SEV3: ["p3"], SEV4: ["p4", "p5"] }),
  alertType: severityTable({ SEV2: ["error"], SEV3: ["warning"], SEV4: ["info", "success"] }),
};

/**
 * Normalizes one Datadog webhook delivery into exactly one alert: Datadog
 * sends one webhook per monitor notification, per group.
 *
 * - Resolve when `alert_transition` is `Recovered` (any case). Without a
 *   usable `alert_transition` (the default template), resolve when the title
 *   (`alert_title` or `title`) starts with a `[Recovered]` or
 *   `[Recovered on {…}]` marker (possibly after `[P1]`), or `alert_type` is
 *   `success`. Everything
 *   else triggers, `No Data` included: a monitor that stops receiving data
 *   is usually as broken as one that fires.
 * - Dedup key, first that applies (one monitor alerts for many groups, so
 *   its id alone is not enough):
 *   1. `datadog:<alert_id>:<alert_scope>`, else `datadog:<alert_id>:<aggreg_key>`;
 *   2. `datadog:<aggreg_key>`;
 *   3. `datadog:<title key>`: the title without its transition and priority
 *      markers, keeping the group a multi-alert title names
 *      (`[Triggered on {host:web-1}] CPU` → `[host:web-1] CPU`), so trigger
 *      and recovery of one monitor and group share it;
 *   4. `datadog:<alert_id>`;
 *   5. none: every such delivery opens its own incident.
 *   A key longer than 255 characters becomes `datadog:sha256:<hex>` of it.
 *   The scope's comma-separated tags are trimmed, so `a, b` and `a,b` match.
 * - Title: `alert_title`, else `title`, each without its markers (as in the
 *   title key: the state changes with every notification while the incident
 *   stays the same) and skipped when nothing else is left, else
 *   "Datadog alert". Description: `body`, without the `%%%` fences Datadog
 *   wraps Markdown in. Source URL: `link`, if an absolute http(s) URL.
 * - Service: a `service_id:` tag in `alert_scope` (the group that alerted),
 *   else in `tags`, else the integration's default. Datadog lowercases tag
 *   values, so `ser-00002` is restored to `SER-00002`.
 * - Occurred at: `date`, else `last_updated`, as epoch milliseconds, epoch
 *   seconds or an ISO 8601 date and time (UTC unless it names a zone); else
 *   the receive time.
 * - Metadata, when present: monitor_id, alert_scope, alert_priority,
 *   alert_transition, alert_type, alert_metric, hostname, org_name,
 *   event_type, event_id (ten keys, values cut to 1000 characters).
 * - A value that is null, blank, not a string or number, or an unsubstituted
 *   `$VARIABLE` counts as absent. Over-long values are truncated with a
 *   marker, never refused.
 *
 * @throws ValidationError on `body` only when the body is not one JSON
 * object (Datadog's "Encode as form" option is not supported).
 */
export const normalizeDatadog: Normalize = (input) => {
  const payload = decodeJsonObject(input.body);
  const fields = readFields(payload);

  const title = [fields.alertTitle, fields.title]
    .map((raw) => (raw === undefined ? undefined : displayTitle(parseTitle(raw))))
    .find((shown) => shown !== undefined);

  return [
    nativeAlert({
      action: isResolve(fields) ? AlertAction.RESOLVE : AlertAction.TRIGGER,
      severity: severityOf(fields, input.integration),
      title: title ?? DEFAULT_TITLE,
      description: stripMarkdownFences(fields.body ?? ""),
      serviceId:
        serviceOverride(fields.alertScope) ??
        serviceOverride(fields.tags) ??
        input.integration.defaultServiceId,
      links: [fields.link],
      namespace: "datadog",
      naturalKey: naturalKeyOf(fields, title),
      metadata: metadataOf(fields),
      occurTime:
        parseDatadogTime(fields.date) ?? parseDatadogTime(fields.lastUpdated) ?? input.receiveTime,
    }),
  ];
};

/** The payload fields this normalizer reads, each a usable value or absent. */
interface Fields {
  readonly eventId: string | undefined;
  readonly alertId: string | undefined;
  readonly aggregKey: string | undefined;
  readonly alertTransition: string | undefined;
  readonly alertType: string | undefined;
  readonly alertPriority: string | undefined;
  readonly alertScope: string | undefined;
  readonly alertTitle: string | undefined;
  readonly title: string | undefined;
  readonly body: string | undefined;
  readonly link: string | undefined;
  readonly tags: string | undefined;
  readonly hostname: string | undefined;
  readonly date: string | undefined;
  readonly lastUpdated: string | undefined;
  readonly eventType: string | undefined;
  readonly orgName: string | undefined;
  readonly alertMetric: string | undefined;
}

function readFields(payload: JsonObject): Fields {
  return {
    eventId: variable(payload, "id"),
    alertId: variable(payload, "alert_id"),
    aggregKey: variable(payload, "aggreg_key"),
    alertTransition: variable(payload, "alert_transition"),
    alertType: variable(payload, "alert_type"),
    alertPriority: variable(payload, "alert_priority"),
    alertScope: variable(payload, "alert_scope"),
    alertTitle: variable(payload, "alert_title"),
    title: variable(payload, "title"),
    body: variable(payload, "body", { trim: false }),
    link: variable(payload, "link"),
    tags: variable(payload, "tags"),
    hostname: variable(payload, "hostname"),
    date: variable(payload, "date"),
    lastUpdated: variable(payload, "last_updated"),
    eventType: variable(payload, "event_type"),
    orgName: variable(objectField(payload, "org"), "name"),
    alertMetric: variable(payload, "alert_metric"),
  };
}

/** What Datadog leaves in the payload for a variable it has no value for. */
const UNSUBSTITUTED = /^\$[A-Z][A-Z0-9_]*$/;

/**
 * A template variable's value, or undefined when it carries nothing: absent,
 * blank, unsubstituted, or neither a string nor a number. Numbers are
 * accepted because a template may leave a variable unquoted
 * (`"date": $DATE`). Values are trimmed unless the spacing is content (the
 * message body).
 */
function variable(
  object: JsonObject | undefined,
  key: string,
  options: { trim: boolean } = { trim: true },
): string | undefined {
  const value = field(object, key);
  let s: string;
  if (typeof value === "string") {
    s = value;
  } else if (typeof value === "number" && Number.isFinite(value)) {
    s = String(value);
  } else {
    return undefined;
  }
  const trimmed = s.trim();
  if (trimmed === "" || UNSUBSTITUTED.test(trimmed)) {
    return undefined;
  }
  return options.trim ? trimmed : s;
}

function isResolve(fields: Fields): boolean {
  if (fields.alertTransition !== undefined) {
    return fields.alertTransition.toLowerCase() === "recovered";
  }
  return (
    fields.alertType?.toLowerCase() === "success" ||
    [fields.alertTitle, fields.title].some((raw) => raw !== undefined && parseTitle(raw).recovered)
  );
}

/** The priority's severity, else the alert type's; an integration's override for either wins. */
function severityOf(fields: Fields, integration: Integration): Severity {
  const { alertPriority, alertType } = DATADOG_SEVERITY_TABLE;
  return (
    severityOverride(integration, fields.alertPriority) ??
    alertPriority.get(fields.alertPriority?.toLowerCase() ?? "") ??
    severityOverride(integration, fields.alertType) ??
    alertType.get(fields.alertType?.toLowerCase() ?? "") ??
    Severity.UNSPECIFIED
  );
}

/** A Datadog title split into its leading markers and the monitor's name. */
interface ParsedTitle {
  /** The title without its markers; may be empty. */
  readonly name: string;
  /** The group a multi-alert marker names (`host:web-1`), normalized. */
  readonly group: string | undefined;
  /** True when a marker says the monitor recovered. */
  readonly recovered: boolean;
}

/**
 * One leading marker: a priority (`[P1]`) or a transition (`[Triggered]`,
 * `[Recovered on {host:web-1}]`, `[Re-No Data]` …). Datadog may put several
 * in front of a title (`[P1] [Triggered on {…}] CPU high`).
 */
const TITLE_MARKER =
  /^\[\s*(P[1-5]|Re-Triggered|Triggered|Recovered|Re-Warn|Warn|Re-No Data|No Data|Renotify)(?:\s+on\s+\{([^}]*)\})?\s*\]\s*/i;

function parseTitle(title: string): ParsedTitle {
  let rest = title;
  let group: string | undefined;
  let recovered = false;
  for (let match = TITLE_MARKER.exec(rest); match !== null; match = TITLE_MARKER.exec(rest)) {
    recovered ||= match[1]?.toLowerCase() === "recovered";
    group ??= normalizeTagList(match[2] ?? "");
    rest = rest.slice(match[0].length);
  }
  return { name: rest.trim(), group, recovered };
}

/**
 * The title to show and, with the group kept, to key on: the state markers
 * change with each notification of the same monitor and group, the rest
 * does not.
 */
function displayTitle(parsed: ParsedTitle): string | undefined {
  if (parsed.group === undefined) {
    return parsed.name === "" ? undefined : parsed.name;
  }
  return parsed.name === "" ? `[${parsed.group}]` : `[${parsed.group}] ${parsed.name}`;
}

/** The key before namespacing and hashing; see the rules on normalizeDatadog. */
function naturalKeyOf(fields: Fields, title: string | undefined): string | undefined {
  const scope = fields.alertScope === undefined ? undefined : normalizeTagList(fields.alertScope);
  const group = scope ?? fields.aggregKey;
  if (fields.alertId !== undefined && group !== undefined) {
    return `${fields.alertId}:${group}`;
  }
  return fields.aggregKey ?? title ?? fields.alertId;
}

/**
 * Datadog writes tag lists both as `a:1, b:2` and `a:1,b:2`; trimming each
 * tag makes the two the same key. Undefined when no tag is left.
 */
function normalizeTagList(list: string): string | undefined {
  const tags = splitTags(list);
  return tags.length === 0 ? undefined : tags.join(",");
}

function splitTags(list: string): string[] {
  return list
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
}

const SERVICE_TAG = "service_id:";
/** Datadog lowercases tags; our service ids are `SER-` and digits. */
const LOWERCASED_SERVICE_ID = /^ser-\d+$/;

/** The value of the first usable `service_id:` tag in a comma-separated list. */
function serviceOverride(list: string | undefined): string | undefined {
  for (const tag of splitTags(list ?? "")) {
    if (tag.slice(0, SERVICE_TAG.length).toLowerCase() !== SERVICE_TAG) {
      continue;
    }
    const value = tag.slice(SERVICE_TAG.length).trim();
    if (value !== "" && charLength(value) <= SERVICE_ID_MAX_CHARS) {
      return LOWERCASED_SERVICE_ID.test(value) ? value.toUpperCase() : value;
    }
  }
  return undefined;
}

/**
 * `$EVENT_MSG` arrives as `%%%\n…markdown…\n%%%`, Datadog's markers for
 * Markdown text; they mean nothing to a reader of the incident.
 */
function stripMarkdownFences(body: string): string {
  const match = /^\s*%%%\s*\n([\s\S]*?)\n\s*%%%\s*$/.exec(body);
  return match?.[1] ?? body;
}

/**
 * `$DATE` and `$LAST_UPDATED` are epoch milliseconds, as text; epoch seconds
 * and ISO 8601 are accepted for hand-written templates.
 */
function parseDatadogTime(value: string | undefined): Date | undefined {
  const epoch = value !== undefined && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  return parseTime(epoch, "iso8601", "seconds-or-milliseconds");
}

/** The identifiers an on-call engineer looks for first, in a fixed order. */
function metadataOf(fields: Fields): [string, string | undefined][] {
  return [
    ["monitor_id", fields.alertId],
    ["alert_scope", fields.alertScope],
    ["alert_priority", fields.alertPriority],
    ["alert_transition", fields.alertTransition],
    ["alert_type", fields.alertType],
    ["alert_metric", fields.alertMetric],
    ["hostname", fields.hostname],
    ["org_name", fields.orgName],
    ["event_type", fields.eventType],
    ["event_id", fields.eventId],
  ];
}
