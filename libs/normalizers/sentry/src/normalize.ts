import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  IncidentStatus,
  NormalizedAlertSchema,
  Severity,
  type Header,
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
 * Sentry posts two unrelated shapes to the same kind of URL:
 * - the integration platform (internal integrations and alert-rule actions)
 *   names the resource in the `sentry-hook-resource` header and wraps it as
 *   `{action, installation, data, actor}`;
 * - the legacy webhooks plugin sends no such header and a flat issue summary
 *   `{id, project, culprit, level, message, url, event, ...}`.
 * The header alone decides which one a delivery is: the bodies share no
 * field that could tell them apart reliably.
 *
 * Lengths are Unicode code points. Native payloads are never refused for
 * length: over-long text is cut with a visible marker.
 */

/** The header that names an integration-platform resource. */
export const RESOURCE_HEADER = "sentry-hook-resource";
/** `title`: the NormalizedAlert limit. */
export const TITLE_MAX_CHARS = 500;
/** `description`: the NormalizedAlert limit. */
export const DESCRIPTION_MAX_CHARS = 5000;
/** `dedup_key`: longer natural keys are replaced by their SHA-256. */
export const DEDUP_KEY_MAX_CHARS = 255;
/** `metadata`: at most this many pairs per alert, the most useful first. */
export const METADATA_MAX_KEYS = 10;
/** `metadata` values: longer values are truncated with a marker. */
export const METADATA_VALUE_MAX_CHARS = 1000;
/**
 * `source_url`: a link cut short would be broken, so a longer URL is dropped
 * instead; 2048 is what browsers and servers reliably handle.
 */
export const SOURCE_URL_MAX_CHARS = 2048;

/**
 * Runframe severity for each Sentry event/issue `level` (matched ignoring
 * case); any other or missing level is `UNSPECIFIED`:
 *
 * | Sentry level                | Severity |
 * |-----------------------------|----------|
 * | `fatal`                     | SEV1     |
 * | `error`                     | SEV2     |
 * | `warning`                   | SEV3     |
 * | `info`, `debug`, `sample`   | SEV4     |
 *
 * Nothing maps to SEV0: Sentry cannot tell a crash of one client from an
 * outage, so the top severity is left to people. Metric alerts carry no level
 * and use {@link METRIC_ALERT_SEVERITIES}.
 */
export const LEVEL_SEVERITIES: ReadonlyMap<string, Severity> = new Map([
  ["fatal", Severity.SEV1],
  ["error", Severity.SEV2],
  ["warning", Severity.SEV3],
  ["info", Severity.SEV4],
  ["debug", Severity.SEV4],
  ["sample", Severity.SEV4],
]);

/**
 * Runframe severity for each metric-alert `action`: `critical` is SEV1 and
 * `warning` SEV3. A `resolved` metric alert says nothing about severity, so
 * it is `UNSPECIFIED`.
 */
export const METRIC_ALERT_SEVERITIES: ReadonlyMap<string, Severity> = new Map([
  ["critical", Severity.SEV1],
  ["warning", Severity.SEV3],
]);

type Json = Record<string, unknown>;

/** What a resource's payload says, before limits and defaults are applied. */
interface Draft {
  readonly action: AlertAction;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  /** Candidate links in order of preference; the first usable one wins. */
  readonly sourceUrls: readonly unknown[];
  /** The namespaced natural key, or undefined when the payload has none. */
  readonly naturalKey: string | undefined;
  /** Sentry tags (`[[key, value], ...]` or `[{key, value}, ...]`), if any. */
  readonly tags: unknown;
  /** Candidate pairs in order of usefulness; empty values are skipped. */
  readonly metadata: readonly (readonly [string, unknown])[];
  readonly occurTime: Date | undefined;
}

/** One integration-platform resource that can raise alerts. */
interface ResourceRule {
  /** The key under `data` holding the resource itself. */
  readonly subject: string;
  /** The actions that raise an alert, and which; any other is acknowledged. */
  readonly actions: ReadonlyMap<string, AlertAction>;
  readonly draft: (envelope: Envelope) => Draft;
}

/** An integration-platform body whose action raises an alert. */
interface Envelope {
  readonly resource: string;
  /** The action as sent (lower-cased). */
  readonly actionName: string;
  readonly action: AlertAction;
  readonly payload: Json;
  readonly data: Json;
  /** `data[rule.subject]`. */
  readonly subject: Json;
}

const RESOURCES: ReadonlyMap<string, ResourceRule> = new Map<string, ResourceRule>([
  [
    "issue",
    {
      subject: "issue",
      actions: new Map([
        ["created", AlertAction.TRIGGER],
        ["unresolved", AlertAction.TRIGGER],
        ["resolved", AlertAction.RESOLVE],
      ]),
      draft: issueDraft,
    },
  ],
  [
    "event_alert",
    {
      subject: "event",
      actions: new Map([["triggered", AlertAction.TRIGGER]]),
      draft: eventDraft,
    },
  ],
  [
    "error",
    {
      subject: "error",
      actions: new Map([["created", AlertAction.TRIGGER]]),
      draft: eventDraft,
    },
  ],
  [
    "metric_alert",
    {
      subject: "metric_alert",
      actions: new Map([
        ["critical", AlertAction.TRIGGER],
        ["warning", AlertAction.TRIGGER],
        ["resolved", AlertAction.RESOLVE],
      ]),
      draft: metricAlertDraft,
    },
  ],
]);

/**
 * Normalizes one Sentry webhook delivery into zero or one alert.
 *
 * Integration platform (`sentry-hook-resource` header present; its value is
 * trimmed and matched ignoring case):
 * - `issue`: `created` and `unresolved` (a regression) trigger, `resolved`
 *   resolves; `assigned`, `archived` and `ignored` change who owns an issue
 *   or whether it notifies, not whether it is broken, so they raise nothing.
 *   Dedup key `sentry:issue:<id>`.
 * - `event_alert` `triggered` and `error` `created` trigger, keyed by
 *   `sentry:issue:<issue_id>` so that alerts, errors and issue webhooks of
 *   one issue share an incident (and an issue `resolved` closes it), else by
 *   `sentry:event:<event_id>`.
 * - `metric_alert`: `critical` and `warning` trigger, `resolved` resolves;
 *   keyed by `sentry:metric_alert:<metric_alert.id>` (Sentry's incident id,
 *   shared by warning, critical and resolved), else
 *   `sentry:metric_alert:rule:<alert_rule.id>`, a separate space so a rule id
 *   can never match an incident id.
 * - `installation` and every other resource (`comment`, `seer`, ...) and any
 *   other action are acknowledged with no alert: Sentry adds resources and
 *   actions over time, and refusing them would only make it retry.
 *
 * Legacy webhooks plugin (no header): always a trigger, keyed by
 * `sentry:issue:<id>`, the top-level issue (group) id.
 *
 * Shared rules, each a deliberate choice:
 * - Ids sent as integers are read as their decimal strings, so `123` and
 *   `"123"` name the same issue.
 * - Severity comes from the level ({@link LEVEL_SEVERITIES}), or the metric
 *   alert's action ({@link METRIC_ALERT_SEVERITIES}).
 * - A tag `service_id` on the event routes the alert; otherwise the
 *   integration's default service. Issue and metric-alert payloads carry no
 *   tags, so they always use the default.
 * - The alert's time is the event's `datetime`/`timestamp`, the issue's
 *   `lastSeen`, or the metric alert's `date_detected`/`date_started`
 *   (`date_closed` for a resolve). An issue `resolved` uses the receive time:
 *   `lastSeen` is when the error last happened, not when it was resolved.
 *   Times without a valid ISO 8601 form (or epoch seconds) fall back to the
 *   receive time too; a time without a zone is UTC, as Sentry writes them.
 * - Fields sent as `null`, of the wrong type or blank count as absent. With no
 *   id at all the dedup key is empty, so each such delivery opens its own
 *   incident rather than merging with an unrelated one.
 *
 * @throws ValidationError when the body is not a JSON object (`body`); for an
 * alerting resource, when `action` is missing or not a string, or `data` or
 * the resource object under it (`data.issue`, `data.event`, `data.error`,
 * `data.metric_alert`) is missing or not an object; for a legacy payload,
 * when the issue `id` is missing or neither a string nor an integer.
 */
export const normalizeSentry: Normalize = (input) => {
  const payload = decodeJsonObject(input.body);
  const resource = hookResource(input.headers);
  const draft = resource === undefined ? legacyDraft(payload) : platformDraft(resource, payload);
  return draft === undefined ? [] : [finish(draft, input)];
};

/** The named resource, or undefined when the header is absent or blank. */
function hookResource(headers: readonly Header[]): string | undefined {
  const value = headers.find((header) => header.name === RESOURCE_HEADER)?.value.trim();
  return value === undefined || value === "" ? undefined : value.toLowerCase();
}

/** Undefined when the resource or its action raises no alert. */
function platformDraft(resource: string, payload: Json): Draft | undefined {
  const rule = RESOURCES.get(resource);
  if (rule === undefined) {
    return undefined;
  }
  const violations: Violation[] = [];
  const rawAction = field(payload, "action");
  let actionName: string | undefined;
  if (rawAction === undefined) {
    violations.push({ field: "action", description: `is required for the ${resource} resource` });
  } else if (typeof rawAction !== "string") {
    violations.push({
      field: "action",
      description: `must be a string, got ${describeJsonValue(rawAction)}`,
    });
  } else {
    actionName = rawAction.trim().toLowerCase();
  }
  const action = actionName === undefined ? undefined : rule.actions.get(actionName);
  // An action that raises nothing needs no data: acknowledge it as it is.
  if (actionName !== undefined && action === undefined) {
    return undefined;
  }

  const data = requireObject(payload, "data", "data", resource, violations);
  const subjectPath = `data.${rule.subject}`;
  const subject =
    data === undefined
      ? undefined
      : requireObject(data, rule.subject, subjectPath, resource, violations);
  if (
    violations.length > 0 ||
    actionName === undefined ||
    action === undefined ||
    data === undefined ||
    subject === undefined
  ) {
    throw new ValidationError(violations);
  }
  return rule.draft({ resource, actionName, action, payload, data, subject });
}

function issueDraft(envelope: Envelope): Draft {
  const issue = envelope.subject;
  const id = idField(issue, "id");
  const shortId = text(issue, "shortId");
  const level = text(issue, "level");
  const project = object(issue, "project");
  return {
    action: envelope.action,
    title: text(issue, "title") ?? `Sentry issue ${shortId ?? id ?? ""}`.trim(),
    description: text(issue, "culprit") ?? "",
    severity: levelSeverity(level),
    sourceUrls: [field(issue, "web_url"), field(issue, "permalink")],
    naturalKey: id === undefined ? undefined : `sentry:issue:${id}`,
    tags: undefined,
    metadata: [
      ["resource", envelope.resource],
      ["action", envelope.actionName],
      ["issue_id", id],
      ["short_id", shortId],
      ["project", text(project, "slug") ?? text(project, "name")],
      ["level", level],
      ["status", text(issue, "status")],
      ["substatus", text(issue, "substatus")],
      ["first_seen", text(issue, "firstSeen")],
      ["actor", text(object(envelope.payload, "actor"), "name")],
    ],
    occurTime:
      envelope.action === AlertAction.RESOLVE ? undefined : parseTime(field(issue, "lastSeen")),
  };
}

/** `event_alert` (`data.event`) and `error` (`data.error`) share one shape. */
function eventDraft(envelope: Envelope): Draft {
  const event = envelope.subject;
  const tags = field(event, "tags");
  const issueId = idField(event, "issue_id");
  const eventId = idField(event, "event_id");
  const level = text(event, "level") ?? tagValue(tags, "level");
  return {
    action: envelope.action,
    title:
      text(event, "title") ??
      text(event, "message") ??
      `Sentry ${envelope.resource === "error" ? "error" : "event"} ${eventId ?? ""}`.trim(),
    description: text(event, "culprit") ?? "",
    severity: levelSeverity(level),
    sourceUrls: [field(event, "web_url"), field(event, "url")],
    naturalKey: eventKey(issueId, eventId),
    tags,
    metadata: [
      ["resource", envelope.resource],
      ["action", envelope.actionName],
      ["issue_id", issueId],
      ["event_id", eventId],
      ["triggered_rule", text(envelope.data, "triggered_rule")],
      ["level", level],
      ["environment", text(event, "environment") ?? tagValue(tags, "environment")],
      ["release", text(event, "release") ?? tagValue(tags, "release")],
      ["platform", text(event, "platform")],
      ["logger", text(event, "logger") ?? tagValue(tags, "logger")],
    ],
    occurTime: parseTime(field(event, "datetime")) ?? parseTime(field(event, "timestamp")),
  };
}

function metricAlertDraft(envelope: Envelope): Draft {
  const { data, subject: metricAlert } = envelope;
  const rule = object(metricAlert, "alert_rule");
  const incidentId = idField(metricAlert, "id");
  const ruleId = idField(rule, "id");
  const ruleName = text(rule, "name");
  const projects = field(rule, "projects");
  const resolve = envelope.action === AlertAction.RESOLVE;
  return {
    action: envelope.action,
    title:
      text(data, "description_title") ??
      text(metricAlert, "title") ??
      ruleName ??
      "Sentry metric alert",
    description: text(data, "description_text") ?? "",
    severity: METRIC_ALERT_SEVERITIES.get(envelope.actionName) ?? Severity.UNSPECIFIED,
    sourceUrls: [field(data, "web_url")],
    naturalKey:
      incidentId !== undefined
        ? `sentry:metric_alert:${incidentId}`
        : ruleId !== undefined
          ? `sentry:metric_alert:rule:${ruleId}`
          : undefined,
    tags: undefined,
    metadata: [
      ["resource", envelope.resource],
      ["action", envelope.actionName],
      ["metric_alert_id", incidentId],
      ["alert_rule_id", ruleId],
      ["alert_rule", ruleName],
      ["aggregate", text(rule, "aggregate")],
      ["query", text(rule, "query")],
      ["dataset", text(rule, "dataset")],
      ["environment", text(rule, "environment")],
      ["projects", Array.isArray(projects) ? joinStrings(projects) : undefined],
    ],
    occurTime: resolve
      ? parseTime(field(metricAlert, "date_closed"))
      : (parseTime(field(metricAlert, "date_detected")) ??
        parseTime(field(metricAlert, "date_started"))),
  };
}

function legacyDraft(payload: Json): Draft {
  const rawId = field(payload, "id");
  const id = idField(payload, "id");
  if (id === undefined) {
    const description =
      rawId === undefined
        ? `is required: a body without the ${RESOURCE_HEADER} header must be a legacy webhooks-plugin payload`
        : `must be a string or an integer, got ${describeJsonValue(rawId)}`;
    throw new ValidationError([{ field: "id", description }]);
  }
  const event = object(payload, "event");
  const tags = field(event, "tags");
  const eventId = idField(event, "event_id");
  const level = text(payload, "level") ?? text(event, "level") ?? tagValue(tags, "level");
  const message = text(payload, "message");
  const title = text(event, "title") ?? message ?? text(payload, "culprit") ?? `Sentry issue ${id}`;
  const rules = field(payload, "triggering_rules");
  return {
    action: AlertAction.TRIGGER,
    title,
    description: joinDistinct([text(payload, "culprit"), message], title),
    severity: levelSeverity(level),
    sourceUrls: [field(payload, "url")],
    naturalKey: `sentry:issue:${id}`,
    tags,
    metadata: [
      ["issue_id", id],
      ["event_id", eventId],
      ["project", text(payload, "project_slug") ?? text(payload, "project")],
      ["project_name", text(payload, "project_name")],
      ["level", level],
      ["logger", text(payload, "logger") ?? tagValue(tags, "logger")],
      [
        "triggering_rules",
        Array.isArray(rules) ? joinStrings(rules) : text(payload, "triggering_rules"),
      ],
      ["environment", text(event, "environment") ?? tagValue(tags, "environment")],
      ["release", text(event, "release") ?? tagValue(tags, "release")],
    ],
    occurTime:
      parseTime(field(event, "datetime")) ??
      parseTime(field(event, "timestamp")) ??
      parseTime(field(payload, "datetime")),
  };
}

/** Applies the limits and defaults every alert shares. */
function finish(draft: Draft, input: NormalizeInput): NormalizedAlert {
  const resolve = draft.action === AlertAction.RESOLVE;
  return create(NormalizedAlertSchema, {
    action: draft.action,
    title: truncate(draft.title, TITLE_MAX_CHARS),
    description: truncate(draft.description, DESCRIPTION_MAX_CHARS),
    severity: draft.severity,
    status: resolve ? IncidentStatus.RESOLVED : IncidentStatus.NEW,
    serviceId: tagValue(draft.tags, "service_id") ?? input.integration.defaultServiceId,
    sourceUrl: draft.sourceUrls.find(isHttpUrl) ?? "",
    dedupKey: dedupKey(draft.naturalKey),
    metadata: metadata(draft.metadata),
    occurTime: timestampFromDate(draft.occurTime ?? input.receiveTime),
    truncatedAlerts: 0,
  });
}

/** `sentry:issue:<issue_id>` when the issue is known, so issue webhooks match. */
function eventKey(issueId: string | undefined, eventId: string | undefined): string | undefined {
  if (issueId !== undefined) {
    return `sentry:issue:${issueId}`;
  }
  return eventId === undefined ? undefined : `sentry:event:${eventId}`;
}

/** A key over the limit is hashed whole, so distinct long ids stay distinct. */
function dedupKey(natural: string | undefined): string {
  if (natural === undefined) {
    return "";
  }
  if (charLength(natural) <= DEDUP_KEY_MAX_CHARS) {
    return natural;
  }
  return `sentry:sha256:${createHash("sha256").update(natural, "utf8").digest("hex")}`;
}

function metadata(candidates: readonly (readonly [string, unknown])[]): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [key, value] of candidates) {
    if (entries.length === METADATA_MAX_KEYS) {
      break;
    }
    if (typeof value === "string" && value.trim() !== "") {
      entries.push([key, truncate(value, METADATA_VALUE_MAX_CHARS)]);
    }
  }
  return Object.fromEntries(entries);
}

function levelSeverity(level: string | undefined): Severity {
  return (
    (level === undefined ? undefined : LEVEL_SEVERITIES.get(level.toLowerCase())) ??
    Severity.UNSPECIFIED
  );
}

/**
 * The value of the first tag named `key` with a non-blank string value.
 * Sentry serializes tags as `[key, value]` pairs; some of its payloads (and
 * its API) use `{key, value}` objects instead.
 */
function tagValue(tags: unknown, key: string): string | undefined {
  if (!Array.isArray(tags)) {
    return undefined;
  }
  for (const tag of tags) {
    let name: unknown;
    let value: unknown;
    if (Array.isArray(tag)) {
      [name, value] = tag as unknown[];
    } else if (isJsonObject(tag)) {
      name = field(tag, "key");
      value = field(tag, "value");
    }
    if (name === key && typeof value === "string" && value.trim() !== "") {
      return value;
    }
  }
  return undefined;
}

/**
 * Reads a required object, recording why it is unusable. The path names the
 * field in the payload (`data.issue`), for the sender.
 */
function requireObject(
  parent: Json,
  key: string,
  path: string,
  resource: string,
  violations: Violation[],
): Json | undefined {
  const value = field(parent, key);
  if (value === undefined) {
    violations.push({ field: path, description: `is required for the ${resource} resource` });
    return undefined;
  }
  if (!isJsonObject(value)) {
    violations.push({
      field: path,
      description: `must be an object, got ${describeJsonValue(value)}`,
    });
    return undefined;
  }
  return value;
}

/** Own properties only, and JSON null folded into absent. */
function field(parent: Json | undefined, key: string): unknown {
  if (parent === undefined || !Object.hasOwn(parent, key)) {
    return undefined;
  }
  const value = parent[key];
  return value === null ? undefined : value;
}

function object(parent: Json | undefined, key: string): Json | undefined {
  const value = field(parent, key);
  return isJsonObject(value) ? value : undefined;
}

/** A non-blank string, kept as sent; anything else is absent. */
function text(parent: Json | undefined, key: string): string | undefined {
  const value = field(parent, key);
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** Sentry ids are strings of digits or hex, sometimes sent as integers. */
function idField(parent: Json | undefined, key: string): string | undefined {
  const value = field(parent, key);
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  }
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** The non-blank strings of a list, comma-separated; undefined when none. */
function joinStrings(values: readonly unknown[]): string | undefined {
  const strings = values.filter((v): v is string => typeof v === "string" && v.trim() !== "");
  return strings.length === 0 ? undefined : strings.join(", ");
}

/** Present parts that differ from each other and from `title`, one per line. */
function joinDistinct(parts: readonly (string | undefined)[], title: string): string {
  const kept: string[] = [];
  for (const part of parts) {
    if (part !== undefined && part !== title && !kept.includes(part)) {
      kept.push(part);
    }
  }
  return kept.join("\n");
}

/**
 * The WHATWG parser accepts `http:example.com` and strips whitespace; a link
 * shown to people must already be the plain absolute form.
 */
function isHttpUrl(value: unknown): value is string {
  return (
    typeof value === "string" &&
    charLength(value) <= SOURCE_URL_MAX_CHARS &&
    /^https?:\/\//i.test(value) &&
    !/[\s\p{Cc}]/u.test(value) &&
    URL.canParse(value)
  );
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/** 9999-12-31T23:59:59Z in epoch seconds, the last time a Timestamp holds. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

/**
 * An ISO 8601 date-time (Sentry writes `2019-08-19T21:06:17.677000Z`; a
 * missing zone means UTC) or epoch seconds (event `timestamp`). Parsed by
 * hand because Date.parse accepts almost anything and rolls February 30 over
 * into March.
 */
function parseTime(value: unknown): Date | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value > 0 && value <= MAX_EPOCH_SECONDS
      ? new Date(Math.round(value * 1000))
      : undefined;
  }
  if (typeof value !== "string") {
    return undefined;
  }
  const match = ISO_TIME.exec(value.trim());
  if (match === null) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? "0");
  const offset = zoneOffsetMinutes(zone);
  const valid =
    offset !== undefined &&
    year >= 1970 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= new Date(Date.UTC(year, month, 0)).getUTCDate() &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59;
  if (!valid) {
    return undefined;
  }
  const millis = Number((fraction ?? "").padEnd(3, "0").slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return new Date(utc - offset * 60_000);
}

/** Minutes east of UTC; undefined for an offset no zone has. */
function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === "Z") {
    return 0;
  }
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) {
    return undefined;
  }
  return (zone.startsWith("-") ? -1 : 1) * (hours * 60 + minutes);
}
