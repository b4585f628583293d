import { createHash } from "node:crypto";
import { AlertAction, IncidentStatus, Severity, type NormalizedAlert } from "@runframe/contracts";
import * as kit from "@runframe/normalizers-kit";
import * as harness from "@runframe/normalizers-kit/testing";
import type { Violation } from "@runframe/util";
import { describe, expect, it } from "vitest";
import errorCreatedLongTitle from "./fixtures/error-created-long-title.json" with { type: "json" };
import eventAlertServiceTag from "./fixtures/event-alert-service-tag.json" with { type: "json" };
import installationCreated from "./fixtures/installation-created.json" with { type: "json" };
import issueAssigned from "./fixtures/issue-assigned.json" with { type: "json" };
import issueCreated from "./fixtures/issue-created.json" with { type: "json" };
import issueResolved from "./fixtures/issue-resolved.json" with { type: "json" };
import issueUnresolvedNulls from "./fixtures/issue-unresolved-nulls.json" with { type: "json" };
import legacyPlugin from "./fixtures/legacy-plugin.json" with { type: "json" };
import metricAlertCritical from "./fixtures/metric-alert-critical.json" with { type: "json" };
import metricAlertResolved from "./fixtures/metric-alert-resolved.json" with { type: "json" };
import { LEVEL_SEVERITIES, normalizeSentry } from "./normalize.js";

const FIXTURES: Readonly<Record<string, harness.AlertFixture>> = {
  "issue-created": issueCreated,
  "issue-resolved": issueResolved,
  "issue-assigned": issueAssigned,
  "issue-unresolved-nulls": issueUnresolvedNulls,
  "event-alert-service-tag": eventAlertServiceTag,
  "error-created-long-title": errorCreatedLongTitle,
  "metric-alert-critical": metricAlertCritical,
  "metric-alert-resolved": metricAlertResolved,
  "installation-created": installationCreated,
  "legacy-plugin": legacyPlugin,
};

const DEFAULT_RECEIVE_TIME = harness.DEFAULT_FIXTURE_RECEIVE_TIME;
const DEFAULT_SERVICE = "SER-00001";
const sentry = harness.normalizerHarness(normalizeSentry);

type Headers = Readonly<Record<string, string>>;

function run(body: unknown, headers: Headers = {}): NormalizedAlert[] {
  return sentry.run(body, { headers });
}

/** Runs a delivery that must produce exactly one alert. */
function one(
  body: unknown,
  headers: Headers = {},
  options: { defaultServiceId?: string } = {},
): NormalizedAlert {
  return sentry.accept(body, { headers, ...options });
}

/** Runs a delivery that must be refused; returns its violations. */
function refuse(body: unknown, headers: Headers = {}): readonly Violation[] {
  return sentry.refuse(body, { headers });
}

const ISSUE = { "sentry-hook-resource": "issue" };
const EVENT_ALERT = { "sentry-hook-resource": "event_alert" };
const ERROR = { "sentry-hook-resource": "error" };
const METRIC_ALERT = { "sentry-hook-resource": "metric_alert" };

const issueBody = (issue: Record<string, unknown>, action = "created") => ({
  action,
  installation: { uuid: "7a485448-a9e2-4c85-8a3c-4f44175783c9" },
  data: { issue: { id: "42", title: "Boom", level: "error", ...issue } },
  actor: { type: "application", id: "sentry", name: "Sentry" },
});

const eventBody = (event: Record<string, unknown>, action = "triggered") => ({
  action,
  data: { event: { event_id: "ev1", issue_id: "42", title: "Boom", ...event } },
});

const metricBody = (
  metricAlert: Record<string, unknown>,
  action = "critical",
  data: Record<string, unknown> = {},
) => ({
  action,
  data: {
    description_title: "Critical: Slow checkout",
    metric_alert: { id: "53", alert_rule: { id: "7", name: "Slow checkout" }, ...metricAlert },
    ...data,
  },
});

describe("normalizeSentry: fixtures", () => {
  it.each(Object.entries(FIXTURES))("%s", (_name, fixture) => {
    expect(normalizeSentry(harness.fixtureInput(fixture)).map(harness.plainAlert)).toEqual(
      fixture.expected,
    );
  });

  it("returns NormalizedAlert messages", () => {
    const alert = one(issueBody({}), ISSUE);
    expect(alert.$typeName).toBe("runframe.normalizer.v1.NormalizedAlert");
  });
});

describe("normalizeSentry: which deliveries raise alerts", () => {
  it.each(["assigned", "archived", "ignored", "deleted", "some_future_action"])(
    "acknowledges issue %s with no alert, even without data",
    (action) => {
      expect(run({ action }, ISSUE)).toEqual([]);
      expect(run(issueBody({}, action), ISSUE)).toEqual([]);
    },
  );

  it.each(["installation", "comment", "seer", "activity_alert", "uninstallation"])(
    "acknowledges the %s resource with no alert, whatever the body",
    (resource) => {
      expect(
        run({ action: "created", data: { x: 1 } }, { "sentry-hook-resource": resource }),
      ).toEqual([]);
      expect(run({}, { "sentry-hook-resource": resource })).toEqual([]);
    },
  );

  it("reads the resource header trimmed and ignoring case, and the action ignoring case", () => {
    const alert = one(issueBody({}, "Resolved"), { "sentry-hook-resource": " Issue " });
    expect(alert.action).toBe(AlertAction.RESOLVE);
    expect(alert.status).toBe(IncidentStatus.RESOLVED);
  });

  it("treats a blank resource header as no header: a legacy payload", () => {
    const alert = one({ id: "9", message: "legacy" }, { "sentry-hook-resource": "  " });
    expect(alert.dedupKey).toBe("sentry:issue:9");
  });

  it("acknowledges event_alert, error and metric_alert actions it does not know", () => {
    expect(run(eventBody({}, "snoozed"), EVENT_ALERT)).toEqual([]);
    expect(run({ action: "updated" }, ERROR)).toEqual([]);
    expect(run(metricBody({}, "closed"), METRIC_ALERT)).toEqual([]);
  });

  it("maps metric alert warning to SEV3 and resolved to UNSPECIFIED", () => {
    expect(one(metricBody({}, "warning"), METRIC_ALERT).severity).toBe(Severity.SEV3);
    const resolved = one(metricBody({}, "resolved"), METRIC_ALERT);
    expect(resolved.severity).toBe(Severity.UNSPECIFIED);
    expect(resolved.action).toBe(AlertAction.RESOLVE);
  });
});

describe("normalizeSentry: dedup keys", () => {
  it("gives an issue webhook, an issue alert and an error of one issue the same key", () => {
    const keys = [
      one(issueBody({ id: "42" }), ISSUE).dedupKey,
      one(issueBody({ id: 42 }, "resolved"), ISSUE).dedupKey,
      one(eventBody({ issue_id: "42" }), EVENT_ALERT).dedupKey,
      one({ action: "created", data: { error: { issue_id: 42, event_id: "e" } } }, ERROR).dedupKey,
      one({ id: 42 }).dedupKey,
    ];
    expect(new Set(keys)).toEqual(new Set(["sentry:issue:42"]));
  });

  it("falls back to the event id, then to no key, when an event has no issue id", () => {
    expect(one(eventBody({ issue_id: null }), EVENT_ALERT).dedupKey).toBe("sentry:event:ev1");
    expect(one(eventBody({ issue_id: null, event_id: null }), EVENT_ALERT).dedupKey).toBe("");
  });

  it("leaves the key empty for an issue with no usable id", () => {
    expect(one(issueBody({ id: null }), ISSUE).dedupKey).toBe("");
    expect(one(issueBody({ id: { nested: true } }), ISSUE).dedupKey).toBe("");
    expect(one(issueBody({ id: 1.5 }), ISSUE).dedupKey).toBe("");
  });

  it("keys a metric alert by its rule, in a separate space, when the incident id is missing", () => {
    expect(one(metricBody({ id: null }), METRIC_ALERT).dedupKey).toBe("sentry:metric_alert:rule:7");
    expect(one(metricBody({ id: null, alert_rule: null }), METRIC_ALERT).dedupKey).toBe("");
  });

  it("keeps a key of exactly 255 characters and hashes a longer one", () => {
    const prefix = "sentry:issue:";
    const fits = "9".repeat(kit.DEDUP_KEY_MAX_CHARS - prefix.length);
    expect(one(issueBody({ id: fits }), ISSUE).dedupKey).toBe(prefix + fits);

    const long = fits + "9";
    const hashed = one(issueBody({ id: long }), ISSUE).dedupKey;
    const hex = createHash("sha256")
      .update(prefix + long)
      .digest("hex");
    expect(hashed).toBe(`sentry:sha256:${hex}`);
    expect(kit.charLength(hashed)).toBeLessThanOrEqual(kit.DEDUP_KEY_MAX_CHARS);
  });
});

describe("normalizeSentry: severity", () => {
  it.each([...LEVEL_SEVERITIES])("maps level %s", (level, severity) => {
    expect(one(issueBody({ level }), ISSUE).severity).toBe(severity);
  });

  it("matches levels ignoring case and leaves unknown ones unspecified", () => {
    expect(one(issueBody({ level: "FATAL" }), ISSUE).severity).toBe(Severity.SEV1);
    expect(one(issueBody({ level: "critical" }), ISSUE).severity).toBe(Severity.UNSPECIFIED);
    expect(one(issueBody({ level: 3 }), ISSUE).severity).toBe(Severity.UNSPECIFIED);
  });

  it("takes the integration's severity for a level or a metric alert's action", () => {
    const options = { severityOverrides: { fatal: Severity.SEV0, critical: Severity.SEV0 } };
    expect(sentry.accept(issueBody({ level: "Fatal" }), { headers: ISSUE, options }).severity).toBe(
      Severity.SEV0,
    );
    expect(sentry.accept(issueBody({ level: "error" }), { headers: ISSUE, options }).severity).toBe(
      Severity.SEV2,
    );
    expect(sentry.accept(metricBody({}), { headers: METRIC_ALERT, options }).severity).toBe(
      Severity.SEV0,
    );
  });

  it("reads an event's level from its tags when the field is missing", () => {
    const alert = one(eventBody({ level: null, tags: [["level", "warning"]] }), EVENT_ALERT);
    expect(alert.severity).toBe(Severity.SEV3);
  });
});

describe("normalizeSentry: service routing", () => {
  it("reads service_id from [key, value] tags and from {key, value} tags", () => {
    expect(one(eventBody({ tags: [["service_id", "SER-00042"]] }), EVENT_ALERT).serviceId).toBe(
      "SER-00042",
    );
    expect(
      one(eventBody({ tags: [{ key: "service_id", value: "SER-00043" }] }), EVENT_ALERT).serviceId,
    ).toBe("SER-00043");
    expect(one({ id: "1", event: { tags: [["service_id", "SER-00044"]] } }).serviceId).toBe(
      "SER-00044",
    );
  });

  it("uses the integration default when the tag is missing, blank or malformed", () => {
    for (const tags of [
      null,
      "service_id=SER-1",
      { service_id: "SER-1" },
      [["service_id", ""]],
      [["service_id", 5]],
      [["service_id"]],
      [null, 7, "x"],
      [{ key: "service_id", value: null }],
    ]) {
      expect(
        one(eventBody({ tags }), EVENT_ALERT, { defaultServiceId: "SER-00009" }).serviceId,
      ).toBe("SER-00009");
    }
  });

  it("leaves the service empty when there is neither a tag nor a default", () => {
    expect(one(issueBody({}), ISSUE, { defaultServiceId: "" }).serviceId).toBe("");
  });
});

describe("normalizeSentry: text and links", () => {
  it("falls back through title sources when the title is missing", () => {
    expect(one(issueBody({ title: "  ", shortId: "API-1" }), ISSUE).title).toBe(
      "Sentry issue API-1",
    );
    expect(one(issueBody({ title: null, id: null }), ISSUE).title).toBe("Sentry issue");
    expect(one(eventBody({ title: null, message: "msg" }), EVENT_ALERT).title).toBe("msg");
    expect(one(eventBody({ title: null }), EVENT_ALERT).title).toBe("Sentry event ev1");
    expect(one({ action: "created", data: { error: { event_id: "e9" } } }, ERROR).title).toBe(
      "Sentry error e9",
    );
    expect(one(metricBody({}, "critical", { description_title: null }), METRIC_ALERT).title).toBe(
      "Slow checkout",
    );
    expect(one({ id: "5", culprit: "mod in fn" }).title).toBe("mod in fn");
    expect(one({ id: "5" }).title).toBe("Sentry issue 5");
  });

  it("adds the legacy message to the description only when it says something new", () => {
    expect(one({ id: "5", message: "m", culprit: "c", event: { title: "t" } }).description).toBe(
      "c\nm",
    );
    expect(one({ id: "5", message: "t", culprit: "c", event: { title: "t" } }).description).toBe(
      "c",
    );
  });

  it("truncates the title and description with the marker, counting code points", () => {
    const title = "😀".repeat(kit.TITLE_MAX_CHARS + 1);
    const culprit = "x".repeat(kit.DESCRIPTION_MAX_CHARS + 10);
    const alert = one(issueBody({ title, culprit }), ISSUE);
    harness.expectTruncated(alert.title, kit.TITLE_MAX_CHARS);
    expect(alert.title.startsWith("😀".repeat(10))).toBe(true);
    harness.expectTruncated(alert.description, kit.DESCRIPTION_MAX_CHARS);
  });

  it("keeps a title of exactly the limit unchanged", () => {
    const title = "t".repeat(kit.TITLE_MAX_CHARS);
    expect(one(issueBody({ title }), ISSUE).title).toBe(title);
  });

  it("uses the first absolute http(s) link and drops others", () => {
    const url = (web_url: unknown, permalink: unknown = null) =>
      one(issueBody({ web_url, permalink }), ISSUE).sourceUrl;
    expect(url("https://acme.sentry.io/issues/42/")).toBe("https://acme.sentry.io/issues/42/");
    expect(url("/issues/42/", "https://acme.sentry.io/share/issue/abc/")).toBe(
      "https://acme.sentry.io/share/issue/abc/",
    );
    expect(url("javascript:alert(1)")).toBe("");
    expect(url("https://acme.sentry.io/a b")).toBe("");
    expect(url("http:acme.sentry.io")).toBe("");
    expect(url(42)).toBe("");
    expect(url(`https://acme.sentry.io/${"a".repeat(2100)}`)).toBe("");
  });

  it("keeps at most ten metadata pairs, skips empty values and truncates long ones", () => {
    const alert = one(
      issueBody({
        shortId: "API-1",
        culprit: "c",
        status: "unresolved",
        substatus: "",
        project: { slug: "api" },
        firstSeen: "f".repeat(kit.METADATA_VALUE_MAX_CHARS + 1),
      }),
      ISSUE,
    );
    expect(Object.keys(alert.metadata).length).toBeLessThanOrEqual(kit.METADATA_MAX_KEYS);
    expect(alert.metadata).not.toHaveProperty("substatus");
    harness.expectTruncated(alert.metadata["first_seen"]!, kit.METADATA_VALUE_MAX_CHARS);
  });
});

describe("normalizeSentry: occurrence time", () => {
  const at = (lastSeen: unknown) => harness.occurredAt(one(issueBody({ lastSeen }), ISSUE));

  it("reads ISO 8601 times with microseconds, offsets or no zone (UTC)", () => {
    expect(at("2026-11-27T11:58:41.512345Z")).toBe("2026-11-27T11:58:41.512Z");
    expect(at("2026-11-27T13:58:41+02:00")).toBe("2026-11-27T11:58:41.000Z");
    expect(at("2026-11-27T06:28:41-0530")).toBe("2026-11-27T11:58:41.000Z");
    expect(at("2026-11-27T11:58:41")).toBe("2026-11-27T11:58:41.000Z");
    expect(at("2026-11-27 11:58")).toBe("2026-11-27T11:58:00.000Z");
  });

  it("falls back to the receive time for invalid times", () => {
    for (const value of [
      "2026-02-30T00:00:00Z",
      "2026-11-27T24:00:00Z",
      "2026-11-27T11:58:41+25:00",
      "yesterday",
      "1",
      "",
      0,
      -5,
      1e20,
      true,
    ]) {
      expect(at(value)).toBe(DEFAULT_RECEIVE_TIME);
    }
  });

  it("reads an event's epoch-seconds timestamp when datetime is missing", () => {
    const alert = one(eventBody({ datetime: null, timestamp: 1795780752.677 }), EVENT_ALERT);
    expect(harness.occurredAt(alert)).toBe("2026-11-27T11:59:12.677Z");
  });

  it("times an issue resolve at receipt, not at lastSeen", () => {
    const alert = one(issueBody({ lastSeen: "2026-11-20T00:00:00Z" }, "resolved"), ISSUE);
    expect(harness.occurredAt(alert)).toBe(DEFAULT_RECEIVE_TIME);
  });

  it("times a metric alert at detection, or at start when detection is missing", () => {
    const time = (metricAlert: Record<string, unknown>, action = "critical") =>
      harness.occurredAt(one(metricBody(metricAlert, action), METRIC_ALERT));
    expect(
      time({ date_detected: "2026-11-27T11:57:00Z", date_started: "2026-11-27T11:56:00Z" }),
    ).toBe("2026-11-27T11:57:00.000Z");
    expect(time({ date_started: "2026-11-27T11:56:00Z" })).toBe("2026-11-27T11:56:00.000Z");
    expect(time({ date_started: "2026-11-27T11:56:00Z" }, "resolved")).toBe(DEFAULT_RECEIVE_TIME);
  });
});

describe("normalizeSentry: refusals", () => {
  it.each([
    ...harness.NON_OBJECT_BODIES,
    ["not JSON", "{not json", expect.any(String) as string] as const,
  ])(
    "refuses a body that is %s on `body`, with or without the resource header",
    (_case, body, description) => {
      expect(refuse(body, ISSUE)).toEqual([{ field: "body", description }]);
      expect(refuse(body)).toEqual([{ field: "body", description }]);
    },
  );

  it.each([
    ["issue", ISSUE, "data.issue"],
    ["event_alert", EVENT_ALERT, "data.event"],
    ["error", ERROR, "data.error"],
    ["metric_alert", METRIC_ALERT, "data.metric_alert"],
  ])("refuses %s without data, or without its object under data", (resource, headers, path) => {
    const action =
      resource === "event_alert"
        ? "triggered"
        : resource === "metric_alert"
          ? "critical"
          : "created";
    expect(refuse({ action }, headers)).toEqual([
      { field: "data", description: `is required for the ${resource} resource` },
    ]);
    expect(refuse({ action, data: null }, headers).map((v) => v.field)).toEqual(["data"]);
    expect(refuse({ action, data: [] }, headers)).toEqual([
      { field: "data", description: "must be an object, got an array" },
    ]);
    expect(refuse({ action, data: {} }, headers)).toEqual([
      { field: path, description: `is required for the ${resource} resource` },
    ]);
    expect(refuse({ action, data: { [path.slice(5)]: "x" } }, headers)).toEqual([
      { field: path, description: "must be an object, got a string" },
    ]);
  });

  it("refuses a missing or non-string action, together with missing data", () => {
    expect(refuse({}, ISSUE)).toEqual([
      { field: "action", description: "is required for the issue resource" },
      { field: "data", description: "is required for the issue resource" },
    ]);
    expect(refuse({ action: 1, data: { issue: {} } }, ISSUE)).toEqual([
      { field: "action", description: "must be a string, got a number" },
    ]);
  });

  it("refuses a body without the header that has no legacy issue id, naming `id`", () => {
    const [violation, ...rest] = refuse({ action: "created", data: { issue: { id: "1" } } });
    expect(rest).toEqual([]);
    expect(violation?.field).toBe("id");
    expect(violation?.description).toContain("sentry-hook-resource");
    expect(refuse({ id: { group: 1 } })).toEqual([
      { field: "id", description: "must be a string or an integer, got an object" },
    ]);
    expect(refuse({ id: "  " }).map((v) => v.field)).toEqual(["id"]);
  });

  it("accepts a legacy payload with only its id", () => {
    const alert = one({ id: "77", event: null, tags: null, level: null });
    expect(alert).toMatchObject({
      action: AlertAction.TRIGGER,
      status: IncidentStatus.NEW,
      title: "Sentry issue 77",
      severity: Severity.UNSPECIFIED,
      dedupKey: "sentry:issue:77",
      serviceId: DEFAULT_SERVICE,
      metadata: { issue_id: "77" },
    });
  });
});
