/**
 * Sentry, at a glance (the rules in full are on normalizeSentry below):
 *
 * - Dedup:   `sentry:issue:<issue id>` for issues, issue alerts, errors and
 *            legacy plugin payloads alike (else `sentry:event:<event_id>`);
 *            `sentry:metric_alert:<incident id>` (else
 *            `sentry:metric_alert:rule:<alert rule id>`) for metric alerts.
 * - Resolve: issue `resolved` and metric alert `resolved`; every other
 *            alerting action triggers, and the rest raise nothing.
 * - Example: src/fixtures/issue-created.json.
 *
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

import { AlertAction, Severity, type Header, type NormalizedAlert } from "@runframe/contracts";
import {
  Violations,
  field,
  nativeAlert,
  objectField,
  parseTime,
  severityOverride,
  severityTable,
  textField,
  type JsonObject,
  type NativeAlertDraft,
} from "@runframe/normalizers-kit";
import {
  decodeJsonObject,
  isJsonObject,
  type Normalize,
  type NormalizeInput,
} from "@runframe/util";

/** The header that names an integration-platform resource. */
export const RESOURCE_HEADER = "sentry-hook-resource";

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
export const LEVEL_SEVERITIES: ReadonlyMap<string, Severity> = severityTable({
  SEV1: ["fatal"],
  SEV2: ["error"],
  SEV3: ["warning"],
  SEV4: ["info", "debug", "sample"],
});

/**
 * Runframe severity for each metric-alert `action`: `critical` is SEV1 and
 * `warning` SEV3. A `resolved` metric alert says nothing about severity, so
 * it is `UNSPECIFIED`.
 */
export const METRIC_ALERT_SEVERITIES: ReadonlyMap<string, Severity> = severityTable({
  SEV1: ["critical"],
  SEV3: ["warning"],
});

/**
 * What a resource's payload says. The service comes from its tags (or the
 * integration), and a missing time is the receive time.
 */
interface Draft extends Omit<NativeAlertDraft, "serviceId" | "namespace" | "occurTime"> {
  /** Sentry tags (`[[key, value], ...]` or `[{key, value}, ...]`), if any. */
  readonly tags: unknown;
  /**
   * What `severity` was read from (a level, or a metric alert's action),
   * whose integration override, if any, wins.
   */
  readonly severityValue: string | undefined;
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
  readonly payload: JsonObject;
  readonly data: JsonObject;
  /** `data[rule.subject]`. */
  readonly subject: JsonObject;
}

const { TRIGGER, RESOLVE } = AlertAction;

const RESOURCES: ReadonlyMap<string, ResourceRule> = new Map([
  [
    "issue",
    resource("issue", { created: TRIGGER, unresolved: TRIGGER, resolved: RESOLVE }, issueDraft),
  ],
  ["event_alert", resource("event", { triggered: TRIGGER }, eventDraft)],
  ["error", resource("error", { created: TRIGGER }, eventDraft)],
  [
    "metric_alert",
    resource(
      "metric_alert",
      { critical: TRIGGER, warning: TRIGGER, resolved: RESOLVE },
      metricAlertDraft,
    ),
  ],
]);

/** A resource's rule, with its alerting actions written as a table. */
function resource(
  subject: string,
  actions: Readonly<Record<string, AlertAction>>,
  draft: (envelope: Envelope) => Draft,
): ResourceRule {
  return { subject, actions: new Map(Object.entries(actions)), draft };
}

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
 *   alert's action ({@link METRIC_ALERT_SEVERITIES}); an integration's
 *   `severity_overrides` for that level or action win.
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
function platformDraft(resource: string, payload: JsonObject): Draft | undefined {
  const rule = RESOURCES.get(resource);
  if (rule === undefined) {
    return undefined;
  }
  const violations = new Violations();
  const required = `is required for the ${resource} resource`;
  const actionName = violations
    .string("action", field(payload, "action"), required)
    ?.trim()
    .toLowerCase();
  const action = actionName === undefined ? undefined : rule.actions.get(actionName);
  // An action that raises nothing needs no data: acknowledge it as it is.
  if (actionName !== undefined && action === undefined) {
    return undefined;
  }

  const data = violations.object("data", field(payload, "data"), required);
  const subjectPath = `data.${rule.subject}`;
  const subject =
    data === undefined
      ? undefined
      : violations.object(subjectPath, field(data, rule.subject), required);
  if (
    actionName === undefined ||
    action === undefined ||
    data === undefined ||
    subject === undefined
  ) {
    throw violations.error();
  }
  const draft = rule.draft({ resource, actionName, action, payload, data, subject });
  // What was sent comes first: every resource's alerts name it.
  return {
    ...draft,
    metadata: [["resource", resource], ["action", actionName], ...draft.metadata],
  };
}

function issueDraft(envelope: Envelope): Draft {
  const issue = envelope.subject;
  const id = idField(issue, "id");
  const shortId = textField(issue, "shortId");
  const level = textField(issue, "level");
  const project = objectField(issue, "project");
  return {
    action: envelope.action,
    title: textField(issue, "title") ?? `Sentry issue ${shortId ?? id ?? ""}`.trim(),
    description: textField(issue, "culprit") ?? "",
    severity: levelSeverity(level),
    severityValue: level,
    links: [field(issue, "web_url"), field(issue, "permalink")],
    naturalKey: id === undefined ? undefined : `issue:${id}`,
    tags: undefined,
    metadata: [
      ["issue_id", id],
      ["short_id", shortId],
      ["project", textField(project, "slug") ?? textField(project, "name")],
      ["level", level],
      ["status", textField(issue, "status")],
      ["substatus", textField(issue, "substatus")],
      ["first_seen", textField(issue, "firstSeen")],
      ["actor", textField(objectField(envelope.payload, "actor"), "name")],
    ],
    occurTime: envelope.action === AlertAction.RESOLVE ? undefined : timeField(issue, "lastSeen"),
  };
}

/** `event_alert` (`data.event`) and `error` (`data.error`) share one shape. */
function eventDraft(envelope: Envelope): Draft {
  const event = envelope.subject;
  const tags = field(event, "tags");
  const issueId = idField(event, "issue_id");
  const eventId = idField(event, "event_id");
  const level = textField(event, "level") ?? tagValue(tags, "level");
  return {
    action: envelope.action,
    title:
      textField(event, "title") ??
      textField(event, "message") ??
      `Sentry ${envelope.resource === "error" ? "error" : "event"} ${eventId ?? ""}`.trim(),
    description: textField(event, "culprit") ?? "",
    severity: levelSeverity(level),
    severityValue: level,
    links: [field(event, "web_url"), field(event, "url")],
    naturalKey: eventKey(issueId, eventId),
    tags,
    metadata: [
      ["issue_id", issueId],
      ["event_id", eventId],
      ["triggered_rule", textField(envelope.data, "triggered_rule")],
      ["level", level],
      ["environment", textField(event, "environment") ?? tagValue(tags, "environment")],
      ["release", textField(event, "release") ?? tagValue(tags, "release")],
      ["platform", textField(event, "platform")],
      ["logger", textField(event, "logger") ?? tagValue(tags, "logger")],
    ],
    occurTime: timeField(event, "datetime") ?? timeField(event, "timestamp"),
  };
}

function metricAlertDraft(envelope: Envelope): Draft {
  const { data, subject: metricAlert } = envelope;
  const rule = objectField(metricAlert, "alert_rule");
  const incidentId = idField(metricAlert, "id");
  const ruleId = idField(rule, "id");
  const ruleName = textField(rule, "name");
  const projects = field(rule, "projects");
  const resolve = envelope.action === AlertAction.RESOLVE;
  return {
    action: envelope.action,
    title:
      textField(data, "description_title") ??
      textField(metricAlert, "title") ??
      ruleName ??
      "Sentry metric alert",
    description: textField(data, "description_text") ?? "",
    severity: METRIC_ALERT_SEVERITIES.get(envelope.actionName) ?? Severity.UNSPECIFIED,
    severityValue: envelope.actionName,
    links: [field(data, "web_url")],
    naturalKey:
      incidentId !== undefined
        ? `metric_alert:${incidentId}`
        : ruleId !== undefined
          ? `metric_alert:rule:${ruleId}`
          : undefined,
    tags: undefined,
    metadata: [
      ["metric_alert_id", incidentId],
      ["alert_rule_id", ruleId],
      ["alert_rule", ruleName],
      ["aggregate", textField(rule, "aggregate")],
      ["query", textField(rule, "query")],
      ["dataset", textField(rule, "dataset")],
      ["environment", textField(rule, "environment")],
      ["projects", Array.isArray(projects) ? joinStrings(projects) : undefined],
    ],
    occurTime: resolve
      ? timeField(metricAlert, "date_closed")
      : (timeField(metricAlert, "date_detected") ?? timeField(metricAlert, "date_started")),
  };
}

function legacyDraft(payload: JsonObject): Draft {
  const rawId = field(payload, "id");
  const id = idField(payload, "id");
  if (id === undefined) {
    const violations = new Violations();
    if (rawId === undefined) {
      violations.add(
        "id",
        `is required: a body without the ${RESOURCE_HEADER} header must be a legacy webhooks-plugin payload`,
      );
    } else {
      violations.mustBe("id", "a string or an integer", rawId);
    }
    throw violations.error();
  }
  const event = objectField(payload, "event");
  const tags = field(event, "tags");
  const eventId = idField(event, "event_id");
  const level = textField(payload, "level") ?? textField(event, "level") ?? tagValue(tags, "level");
  const message = textField(payload, "message");
  const title =
    textField(event, "title") ?? message ?? textField(payload, "culprit") ?? `Sentry issue ${id}`;
  const rules = field(payload, "triggering_rules");
  return {
    action: AlertAction.TRIGGER,
    title,
    description: joinDistinct([textField(payload, "culprit"), message], title),
    severity: levelSeverity(level),
    severityValue: level,
    links: [field(payload, "url")],
    naturalKey: `issue:${id}`,
    tags,
    metadata: [
      ["issue_id", id],
      ["event_id", eventId],
      ["project", textField(payload, "project_slug") ?? textField(payload, "project")],
      ["project_name", textField(payload, "project_name")],
      ["level", level],
      ["logger", textField(payload, "logger") ?? tagValue(tags, "logger")],
      [
        "triggering_rules",
        Array.isArray(rules) ? joinStrings(rules) : textField(payload, "triggering_rules"),
      ],
      ["environment", textField(event, "environment") ?? tagValue(tags, "environment")],
      ["release", textField(event, "release") ?? tagValue(tags, "release")],
    ],
    occurTime:
      timeField(event, "datetime") ??
      timeField(event, "timestamp") ??
      timeField(payload, "datetime"),
  };
}

/** Applies the service, the time and every rule alerts share. */
function finish(draft: Draft, input: NormalizeInput): NormalizedAlert {
  return nativeAlert({
    ...draft,
    severity: severityOverride(input.integration, draft.severityValue) ?? draft.severity,
    serviceId: tagValue(draft.tags, "service_id") ?? input.integration.defaultServiceId,
    namespace: "sentry",
    occurTime: draft.occurTime ?? input.receiveTime,
  });
}

/** `issue:<issue_id>` when the issue is known, so issue webhooks match. */
function eventKey(issueId: string | undefined, eventId: string | undefined): string | undefined {
  if (issueId !== undefined) {
    return `issue:${issueId}`;
  }
  return eventId === undefined ? undefined : `event:${eventId}`;
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

/** Sentry ids are strings of digits or hex, sometimes sent as integers. */
function idField(parent: JsonObject | undefined, key: string): string | undefined {
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
 * A time as Sentry writes it: ISO 8601 (`2019-08-19T21:06:17.677000Z`; a
 * missing zone means UTC) or, for an event's `timestamp`, epoch seconds.
 */
function timeField(parent: JsonObject | undefined, key: string): Date | undefined {
  return parseTime(field(parent, key), "iso8601", "seconds");
}
