import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import {
  AlertAction,
  AlertGrouping,
  IncidentStatus,
  IntegrationSchema,
  Severity,
  type NormalizedAlert,
} from "@runframe/contracts";
import * as kit from "@runframe/normalizers-kit";
import * as harness from "@runframe/normalizers-kit/testing";
import { describe, expect, it } from "vitest";
import alertWithoutFingerprint from "./fixtures/alert-without-fingerprint.json" with { type: "json" };
import groupModeFiring from "./fixtures/group-mode-firing.json" with { type: "json" };
import groupModeResolved from "./fixtures/group-mode-resolved.json" with { type: "json" };
import firingGroupWithResolvedAlert from "./fixtures/firing-group-with-resolved-alert.json" with { type: "json" };
import longSummary from "./fixtures/long-summary.json" with { type: "json" };
import nullAndMissingAnnotations from "./fixtures/null-and-missing-annotations.json" with { type: "json" };
import resolvedGroup from "./fixtures/resolved-group.json" with { type: "json" };
import serviceIdOverride from "./fixtures/service-id-override.json" with { type: "json" };
import truncatedAlerts from "./fixtures/truncated-alerts.json" with { type: "json" };
import twoFiringAlerts from "./fixtures/two-firing-alerts.json" with { type: "json" };
import {
  MAX_ALERTS_PER_DELIVERY,
  PROMETHEUS_SEVERITIES,
  normalizePrometheus,
} from "./normalize.js";

const FIXTURES: readonly (readonly [string, harness.AlertFixture])[] = [
  ["two-firing-alerts", twoFiringAlerts],
  ["firing-group-with-resolved-alert", firingGroupWithResolvedAlert],
  ["resolved-group", resolvedGroup],
  ["alert-without-fingerprint", alertWithoutFingerprint],
  ["truncated-alerts", truncatedAlerts],
  ["null-and-missing-annotations", nullAndMissingAnnotations],
  ["long-summary", longSummary],
  ["service-id-override", serviceIdOverride],
  ["group-mode-firing", groupModeFiring],
  ["group-mode-resolved", groupModeResolved],
];

const RECEIVED = new Date("2026-11-27T12:00:00.000Z");
const DEFAULT_SERVICE = "SER-00001";
const prometheus = harness.normalizerHarness(normalizePrometheus, { receiveTime: RECEIVED });

/** A complete, valid firing alert; tests replace the fields they are about. */
function firing(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: "firing",
    labels: { alertname: "HighLatency", instance: "api-1:8080", job: "api", severity: "warning" },
    annotations: { summary: "p99 latency above 2s", description: "p99 is 2.7s." },
    startsAt: "2026-11-27T11:50:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus.example.com:9090/graph?g0.expr=x",
    fingerprint: "0123456789abcdef",
    ...fields,
  };
}

/** A version 4 notification holding `alerts`, with group fields replaced by `fields`. */
function notification(
  alerts: unknown,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: "4",
    groupKey: '{}:{alertname="HighLatency"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "runframe",
    groupLabels: { alertname: "HighLatency" },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.com:9093",
    alerts,
    ...fields,
  };
}

function normalize(body: unknown, defaultServiceId = DEFAULT_SERVICE): NormalizedAlert[] {
  return prometheus.run(body, { defaultServiceId });
}

/** Normalizes a notification of one alert; returns that alert. */
function one(alert: Record<string, unknown>, group: Record<string, unknown> = {}): NormalizedAlert {
  return prometheus.accept(notification([alert], group));
}

/** Normalizes a payload that must be refused; returns every violation. */
const refuse = prometheus.refuse;

const sha256 = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

const ASTRAL = "😀"; // one character, two UTF-16 units

describe("normalizePrometheus: fixtures", () => {
  it.each(FIXTURES)("%s", (_name, fixture) => {
    expect(fixture.expected.length).toBeGreaterThan(0);
    const alerts = normalizePrometheus(harness.fixtureInput(fixture));
    expect(alerts.map(harness.plainAlert)).toEqual(fixture.expected);
  });

  it.each(FIXTURES)("%s survives protobuf serialization unchanged", (_name, fixture) => {
    for (const alert of normalizePrometheus(harness.fixtureInput(fixture))) {
      expect(alert.$typeName).toBe("runframe.normalizer.v1.NormalizedAlert");
      expect(harness.roundTrip(alert)).toEqual(alert);
    }
  });
});

describe("normalizePrometheus: refusals name the field", () => {
  it.each(harness.NON_OBJECT_BODIES)("refuses a body that is %s", (_name, body, description) => {
    expect(refuse(body)).toEqual([{ field: "body", description }]);
  });

  it("refuses a body that is not JSON", () => {
    expect(refuse("{alerts: []").map((v) => v.field)).toEqual(["body"]);
  });

  it.each([
    ["missing", undefined, "is required"],
    ["null", null, "is required"],
    ["an object", { 0: firing() }, "must be an array, got an object"],
    ["a string", "[]", "must be an array, got a string"],
  ])("refuses alerts %s", (_name, alerts, description) => {
    expect(refuse(notification(alerts))).toEqual([{ field: "alerts", description }]);
  });

  it.each([
    ...harness.NOT_A_STRING,
    ["capitalized", "Firing", 'must be "firing" or "resolved"'] as const,
    ["pending", "pending", 'must be "firing" or "resolved"'] as const,
    ["empty", "", 'must be "firing" or "resolved"'] as const,
  ])("refuses an alert whose status is %s", (_name, status, description) => {
    expect(refuse(notification([firing(), firing({ status })]))).toEqual([
      { field: "alerts[1].status", description },
    ]);
  });

  it("reports every bad element at once, and an element that is not an object", () => {
    expect(
      refuse(notification([firing({ status: "unknown" }), "alert", firing(), null, []])),
    ).toEqual([
      { field: "alerts[0].status", description: 'must be "firing" or "resolved"' },
      { field: "alerts[1]", description: "must be an object, got a string" },
      { field: "alerts[3]", description: "must be an object, got null" },
      { field: "alerts[4]", description: "must be an object, got an array" },
    ]);
  });
});

describe("normalizePrometheus: the group", () => {
  it("gives no alerts for an empty alerts array", () => {
    expect(normalize(notification([]))).toEqual([]);
  });

  it("keeps payload order", () => {
    const fingerprints = ["c", "a", "b"].map((f) => f.repeat(16));
    const alerts = normalize(
      notification(fingerprints.map((fingerprint) => firing({ fingerprint }))),
    );
    expect(alerts.map((a) => a.dedupKey)).toEqual(fingerprints.map((f) => `alertmanager:${f}`));
  });

  it.each(["resolved", "firing", undefined, 7])(
    "ignores the group status %j: each alert's own status decides",
    (status) => {
      const [trigger, resolve] = normalize(
        notification([firing(), firing({ status: "resolved" })], { status }),
      );
      expect([trigger?.action, trigger?.status]).toEqual([AlertAction.TRIGGER, IncidentStatus.NEW]);
      expect([resolve?.action, resolve?.status]).toEqual([
        AlertAction.RESOLVE,
        IncidentStatus.RESOLVED,
      ]);
    },
  );

  it.each([undefined, null, "3", "5", 4])("accepts version %j", (version) => {
    expect(one(firing(), { version }).title).toBe("p99 latency above 2s");
  });

  it.each([
    [3, 3],
    [0, 0],
    [-1, 0],
    [1.5, 0],
    ["3", 0],
    [null, 0],
    [undefined, 0],
    [2 ** 40, 0xffff_ffff],
  ])("records truncatedAlerts %j as %d on every alert", (count, expected) => {
    const alerts = normalize(notification([firing(), firing()], { truncatedAlerts: count }));
    expect(alerts.map((a) => a.truncatedAlerts)).toEqual([expected, expected]);
  });

  it("ignores the headers", () => {
    const body = harness.encodeBody(notification([firing()]));
    const withHeaders = prometheus.run(body, {
      headers: { "user-agent": "Alertmanager/0.27.0" },
    });
    expect(withHeaders).toEqual(normalize(notification([firing()])));
  });
});

describe("normalizePrometheus: one incident per group", () => {
  const grouped = (body: unknown) =>
    prometheus.run(body, { options: { alertGrouping: AlertGrouping.GROUP } });
  const storm = Array.from({ length: 10 }, (_, i) =>
    firing({
      labels: { alertname: "HighLatency", instance: `api-${i}:8080`, severity: "warning" },
      fingerprint: `f${i}`,
    }),
  );

  it("turns every firing alert of a group into a trigger of the group's one key", () => {
    const alerts = grouped(notification(storm));
    expect(alerts).toHaveLength(10);
    expect(new Set(alerts.map((a) => a.dedupKey))).toEqual(
      new Set(['alertmanager:group:{}:{alertname="HighLatency"}']),
    );
    expect(new Set(alerts.map((a) => a.title))).toEqual(new Set(["HighLatency"]));
    expect(alerts.every((a) => a.action === AlertAction.TRIGGER)).toBe(true);
    expect(alerts.map((a) => a.metadata["instance"])).toEqual(storm.map((_, i) => `api-${i}:8080`));
  });

  it("resolves once when the group resolves, and not while it still fires", () => {
    const resolvedAlerts = storm.map((a) => ({ ...a, status: "resolved" }));
    const resolve = grouped(notification(resolvedAlerts, { status: "resolved" }));
    expect(resolve.map((a) => [a.action, a.dedupKey])).toEqual([
      [AlertAction.RESOLVE, 'alertmanager:group:{}:{alertname="HighLatency"}'],
    ]);
    const partly = grouped(notification([storm[0], resolvedAlerts[1]], { status: "firing" }));
    expect(partly.map((a) => a.action)).toEqual([AlertAction.TRIGGER]);
  });

  it("reads the group's status from its alerts when the top-level one is unusable", () => {
    const resolvedAlert = firing({ status: "resolved" });
    expect(grouped(notification([resolvedAlert], { status: null })).map((a) => a.action)).toEqual([
      AlertAction.RESOLVE,
    ]);
    expect(grouped(notification([], { status: "odd" }))).toEqual([]);
  });

  it("keys a group without groupKey by its receiver and group labels", () => {
    const [a] = grouped(notification([firing()], { groupKey: null }));
    const [b] = grouped(notification([firing()], { groupKey: " " }));
    const [other] = grouped(notification([firing()], { groupKey: null, receiver: "other" }));
    expect(a!.dedupKey).toMatch(/^alertmanager:group:[0-9a-f]{16}$/);
    expect(b!.dedupKey).toBe(a!.dedupKey);
    expect(other!.dedupKey).not.toBe(a!.dedupKey);
  });

  it("routes the group by a common service_id, else the integration's default", () => {
    const withService = notification([firing({ labels: { service_id: "SER-00042" } })], {
      commonLabels: { service_id: "SER-00007" },
    });
    expect(grouped(withService)[0]!.serviceId).toBe("SER-00007");
    expect(
      grouped(notification([firing({ labels: { service_id: "SER-00042" } })]))[0]!.serviceId,
    ).toBe(DEFAULT_SERVICE);
  });

  it("leaves one incident per alert without the option", () => {
    expect(new Set(normalize(notification(storm)).map((a) => a.dedupKey)).size).toBe(10);
  });
});

describe("normalizePrometheus: severity", () => {
  it("has the documented table", () => {
    expect(Object.fromEntries(PROMETHEUS_SEVERITIES)).toEqual({
      page: Severity.SEV0,
      emergency: Severity.SEV0,
      disaster: Severity.SEV0,
      critical: Severity.SEV1,
      error: Severity.SEV2,
      high: Severity.SEV2,
      major: Severity.SEV2,
      warning: Severity.SEV3,
      warn: Severity.SEV3,
      medium: Severity.SEV3,
      info: Severity.SEV4,
      low: Severity.SEV4,
      minor: Severity.SEV4,
      none: Severity.SEV4,
      sev0: Severity.SEV0,
      sev1: Severity.SEV1,
      sev2: Severity.SEV2,
      sev3: Severity.SEV3,
      sev4: Severity.SEV4,
    });
  });

  const withSeverity = (severity: unknown) =>
    one(firing({ labels: { alertname: "A", severity } })).severity;

  it.each([...PROMETHEUS_SEVERITIES])("maps %s", (label, expected) => {
    expect(withSeverity(label)).toBe(expected);
    expect(withSeverity(label.toUpperCase())).toBe(expected);
  });

  it.each([
    ["Critical", Severity.SEV1],
    [" warning\n", Severity.SEV3],
    ["SEV0", Severity.SEV0],
  ])("ignores case and surrounding space: %j", (label, expected) => {
    expect(withSeverity(label)).toBe(expected);
  });

  it.each(["urgent", "sev5", "p1", "", 1, null, ["critical"]])(
    "gives UNSPECIFIED for %j",
    (label) => {
      expect(withSeverity(label)).toBe(Severity.UNSPECIFIED);
    },
  );

  it("gives UNSPECIFIED without labels", () => {
    expect(one(firing({ labels: undefined })).severity).toBe(Severity.UNSPECIFIED);
  });

  it("takes the integration's severity for a label value first, matched ignoring case", () => {
    const options = { severityOverrides: { page: Severity.SEV1, warning: Severity.SEV2 } };
    const severity = (label: string) =>
      prometheus.accept(notification([firing({ labels: { alertname: "A", severity: label } })]), {
        options,
      }).severity;
    expect(severity(" Warning")).toBe(Severity.SEV2);
    expect(severity("page")).toBe(Severity.SEV1);
    expect(severity("critical")).toBe(Severity.SEV1);
    expect(severity("constructor")).toBe(Severity.UNSPECIFIED);
  });

  it("reads the label, not an annotation", () => {
    const alert = one(
      firing({ labels: { alertname: "A" }, annotations: { severity: "critical" } }),
    );
    expect(alert.severity).toBe(Severity.UNSPECIFIED);
  });
});

describe("normalizePrometheus: dedup key", () => {
  const computed = (labels: unknown, fingerprint?: unknown) =>
    one(firing({ labels, fingerprint })).dedupKey;

  it("is the fingerprint, namespaced", () => {
    expect(computed({ alertname: "A" }, "1a30ba71cca2921f")).toBe("alertmanager:1a30ba71cca2921f");
  });

  it("is computed from the sorted label pairs without a fingerprint", () => {
    const labels = { b: "2", a: "1" };
    const expected = sha256(
      JSON.stringify([
        ["a", "1"],
        ["b", "2"],
      ]),
    ).slice(0, 16);
    expect(computed(labels)).toBe(`alertmanager:${expected}`);
    expect(computed(labels)).toMatch(/^alertmanager:[0-9a-f]{16}$/);
  });

  it.each([undefined, null, "", "  ", 42])(
    "is the same for the same labels in any order with fingerprint %j",
    (fingerprint) => {
      expect(computed({ a: "1", b: "2" }, fingerprint)).toBe(computed({ b: "2", a: "1" }));
    },
  );

  it("ignores empty and non-string labels, as Prometheus treats them as absent", () => {
    expect(computed({ a: "1", b: "", c: 3, d: null })).toBe(computed({ a: "1" }));
  });

  it("differs for different label sets, however the values are written", () => {
    const keys = [
      computed({ a: "1" }),
      computed({ a: "2" }),
      computed({ b: "1" }),
      computed({ a: "1", b: "2" }),
      computed({ a: '1"],["b","2' }),
      computed({ a: "1,b=2" }),
      computed({ "a=1,b": "2" }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("is stable for an alert without labels", () => {
    expect(computed(undefined)).toBe(computed({}));
    expect(computed(undefined)).toBe(`alertmanager:${sha256("[]").slice(0, 16)}`);
  });

  it("keeps a key of exactly 255 characters and hashes a longer one", () => {
    const room = 255 - kit.charLength("alertmanager:");
    const exact = ASTRAL.repeat(room);
    expect(computed({}, exact)).toBe(`alertmanager:${exact}`);
    const long = ASTRAL.repeat(room + 1);
    expect(computed({}, long)).toBe(`alertmanager:sha256:${sha256(`alertmanager:${long}`)}`);
  });
});

describe("normalizePrometheus: text", () => {
  const alertWith = (annotations: unknown, labels?: unknown) =>
    one(firing({ annotations, ...(labels === undefined ? {} : { labels }) }));

  it.each([
    [
      "the summary",
      { summary: " Disk almost full \n" },
      { alertname: "A", instance: "i" },
      "Disk almost full",
    ],
    [
      "alertname on instance",
      {},
      { alertname: "DiskFull", instance: "db-1:9100" },
      "DiskFull on db-1:9100",
    ],
    ["alertname alone", { summary: "" }, { alertname: "DiskFull" }, "DiskFull"],
    ["alertname when the instance is blank", null, { alertname: "A", instance: " " }, "A"],
    ["the fallback without alertname", "summary", { instance: "db-1:9100" }, "Alertmanager alert"],
    ["the fallback with a blank alertname", [], { alertname: "  " }, "Alertmanager alert"],
    ["the fallback for a non-string summary", { summary: 5 }, {}, "Alertmanager alert"],
  ])("titles with %s", (_name, annotations, labels, title) => {
    expect(alertWith(annotations, labels).title).toBe(title);
  });

  it.each([
    ["description", { description: "d", message: "m" }, "d"],
    ["message when description is blank", { description: "\n", message: " m " }, "m"],
    ["nothing else", { summary: "s", runbook_url: "https://r.example.com" }, ""],
    ["empty for null annotations", null, ""],
  ])("describes with %s", (_name, annotations, description) => {
    expect(alertWith(annotations).description).toBe(description);
  });

  it("truncates a summary over 500 characters to exactly 500, counting code points", () => {
    const title = one(firing({ annotations: { summary: ASTRAL.repeat(501) } })).title;
    expect(kit.charLength(title)).toBe(500);
    expect(title).toBe(
      ASTRAL.repeat(500 - kit.charLength(kit.TRUNCATION_MARKER)) + kit.TRUNCATION_MARKER,
    );
  });

  it("keeps a summary of exactly 500 characters", () => {
    const summary = ASTRAL.repeat(500);
    expect(one(firing({ annotations: { summary } })).title).toBe(summary);
  });

  it("truncates a description over 5000 characters to exactly 5000", () => {
    const description = one(firing({ annotations: { description: "x".repeat(6000) } })).description;
    expect(kit.charLength(description)).toBe(5000);
    expect(description.endsWith(`x${kit.TRUNCATION_MARKER}`)).toBe(true);
  });

  it("truncates an over-long alertname title", () => {
    const title = one(
      firing({ annotations: {}, labels: { alertname: "A".repeat(490), instance: "x".repeat(20) } }),
    ).title;
    harness.expectTruncated(title, 500);
  });
});

describe("normalizePrometheus: service", () => {
  const serviceOf = (labels: unknown, annotations: unknown, defaultServiceId = DEFAULT_SERVICE) =>
    normalize(notification([firing({ labels, annotations })]), defaultServiceId)[0]?.serviceId;

  it.each([
    ["the label first", { service_id: "SER-00002" }, { service_id: "SER-00003" }, "SER-00002"],
    ["the annotation next", {}, { service_id: "SER-00003" }, "SER-00003"],
    [
      "the annotation when the label is blank",
      { service_id: " " },
      { service_id: "SER-00003" },
      "SER-00003",
    ],
    ["trimmed", { service_id: " SER-00002\n" }, null, "SER-00002"],
    ["the default otherwise", { service_id: 2 }, { service_id: null }, DEFAULT_SERVICE],
  ])("takes %s", (_name, labels, annotations, expected) => {
    expect(serviceOf(labels, annotations)).toBe(expected);
  });

  it("is empty when nothing names a service and the integration has no default", () => {
    expect(serviceOf({}, {}, "")).toBe("");
  });
});

describe("normalizePrometheus: source URL", () => {
  const EXTERNAL = "http://alertmanager.example.com:9093";
  const GENERATOR = "https://prometheus.example.com/graph?g0.expr=up";
  const sourceOf = (generatorURL: unknown, externalURL: unknown = EXTERNAL) =>
    one(firing({ generatorURL }), { externalURL }).sourceUrl;

  it("is the generatorURL", () => {
    expect(sourceOf(GENERATOR)).toBe(GENERATOR);
  });

  it.each([
    undefined,
    null,
    "",
    "/graph?g0.expr=up",
    "prometheus:9090/graph",
    "javascript:alert(1)",
    "ftp://prometheus.example.com/",
    "https://prometheus.example.com/graph?g0.expr=up == 0",
    "https://prometheus.example.com/\ngraph",
    `https://prometheus.example.com/${"x".repeat(2048)}`,
    42,
  ])("falls back to externalURL when the generatorURL is %j", (generatorURL) => {
    expect(sourceOf(generatorURL)).toBe(EXTERNAL);
  });

  it("keeps a generatorURL of exactly 2048 characters", () => {
    const url = `https://p.example.com/${"x".repeat(2048 - "https://p.example.com/".length)}`;
    expect(sourceOf(url)).toBe(url);
  });

  it.each([null, "", "alertmanager:9093"])(
    "is empty when neither is usable (externalURL %j)",
    (externalURL) => {
      expect(sourceOf(null, externalURL)).toBe("");
    },
  );
});

describe("normalizePrometheus: occurrence time", () => {
  const triggerAt = (startsAt: unknown) => harness.occurredAt(one(firing({ startsAt })));
  const resolveAt = (endsAt: unknown) =>
    harness.occurredAt(
      one(firing({ status: "resolved", startsAt: "2026-11-27T10:00:00Z", endsAt })),
    );

  it.each([
    ["2026-11-27T11:50:00Z", "2026-11-27T11:50:00.000Z"],
    ["2026-11-27T11:50:00.123456789Z", "2026-11-27T11:50:00.123Z"],
    ["2026-11-27T11:50:00.5+02:00", "2026-11-27T09:50:00.500Z"],
    ["2026-11-27T11:50:00-03:30", "2026-11-27T15:20:00.000Z"],
    ["2026-11-27t11:50:00z", "2026-11-27T11:50:00.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["0001-01-01T00:00:00.001Z", "0001-01-01T00:00:00.001Z"],
    ["9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999Z"],
  ])("triggers at startsAt %s", (startsAt, expected) => {
    expect(triggerAt(startsAt)).toBe(expected);
  });

  it.each([
    undefined,
    null,
    "",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00.000000000Z",
    "0001-01-01T00:30:00+01:00",
    "2026-02-30T00:00:00Z",
    "2026-11-27T24:00:00Z",
    "2026-11-27T23:59:60Z",
    "2026-11-27 11:50:00Z",
    "2026-11-27T11:50:00",
    "Fri, 27 Nov 2026 11:50:00 GMT",
    "+275760-09-13T00:00:00Z",
    1795780200000,
  ])("triggers at the receive time when startsAt is %j", (startsAt) => {
    expect(triggerAt(startsAt)).toBe(RECEIVED.toISOString());
  });

  it("resolves at endsAt, not startsAt", () => {
    expect(resolveAt("2026-11-27T11:58:00Z")).toBe("2026-11-27T11:58:00.000Z");
  });

  it.each([undefined, null, "0001-01-01T00:00:00Z", "soon"])(
    "resolves at the receive time when endsAt is %j",
    (endsAt) => {
      expect(resolveAt(endsAt)).toBe(RECEIVED.toISOString());
    },
  );
});

describe("normalizePrometheus: metadata", () => {
  const metadataOf = (labels: unknown, receiver: unknown = "runframe") =>
    one(firing({ labels }), { receiver }).metadata;

  it("takes the known labels and the receiver first, then the others by name, up to 10", () => {
    const labels = {
      zeta: "z",
      severity: "critical",
      alpha: "a",
      namespace: "ns",
      job: "api",
      instance: "api-1",
      alertname: "A",
      beta: "b",
      gamma: "g",
      delta: "d",
      epsilon: "e",
    };
    expect(metadataOf(labels)).toEqual({
      alertname: "A",
      instance: "api-1",
      job: "api",
      namespace: "ns",
      severity: "critical",
      receiver: "runframe",
      alpha: "a",
      beta: "b",
      delta: "d",
      epsilon: "e",
    });
  });

  it("fills the cap from other labels when known ones are absent", () => {
    const labels = Object.fromEntries(
      Array.from({ length: 15 }, (_, i) => [`l${String(i).padStart(2, "0")}`, `v${i}`]),
    );
    const metadata = metadataOf(labels, null);
    expect(Object.keys(metadata)).toEqual(Object.keys(labels).slice(0, 10));
  });

  it("prefers the payload's receiver to a label named receiver", () => {
    expect(metadataOf({ receiver: "label" }, "payload")).toEqual({ receiver: "payload" });
    expect(metadataOf({ receiver: "label" }, null)).toEqual({ receiver: "label" });
  });

  it("skips empty and non-string values, __proto__ and over-long keys", () => {
    const labels = JSON.parse(
      JSON.stringify({
        a: "",
        b: 1,
        c: null,
        ["k".repeat(101)]: "long",
        ["k".repeat(100)]: "ok",
      }).replace('"a":', '"__proto__":"p","a":'),
    ) as unknown;
    const metadata = metadataOf(labels, "");
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(metadata).toEqual({ ["k".repeat(100)]: "ok" });
  });

  it("truncates values to 1000 characters", () => {
    const value = metadataOf({ pod: ASTRAL.repeat(1001) }).pod ?? "";
    harness.expectTruncated(value, 1000);
    expect(metadataOf({ pod: ASTRAL.repeat(1000) }).pod).toBe(ASTRAL.repeat(1000));
  });

  it("leaves out annotations", () => {
    const alert = one(
      firing({ labels: { alertname: "A" }, annotations: { runbook_url: "https://r" } }),
    );
    expect(alert.metadata).toEqual({ alertname: "A", receiver: "runframe" });
  });
});

describe("normalizePrometheus delivery size", () => {
  it("keeps the first MAX_ALERTS_PER_DELIVERY alerts and counts the rest as truncated", () => {
    const alerts = Array.from({ length: MAX_ALERTS_PER_DELIVERY + 5 }, (_, i) => ({
      status: "firing",
      fingerprint: `fp-${i}`,
      labels: { alertname: "Flood" },
    }));
    const result = normalizePrometheus({
      integration: create(IntegrationSchema, { defaultServiceId: "SER-00001" }),
      headers: [],
      body: new TextEncoder().encode(JSON.stringify({ version: "4", truncatedAlerts: 2, alerts })),
      receiveTime: new Date("2026-11-27T12:00:00Z"),
    });
    expect(result).toHaveLength(MAX_ALERTS_PER_DELIVERY);
    expect(result[0]?.truncatedAlerts).toBe(7);
  });
});
