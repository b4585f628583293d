import { AlertAction, IncidentStatus, Severity } from "@runframe/contracts";
import * as harness from "@runframe/normalizers-kit/testing";
import { describe, expect, it } from "vitest";
import acknowledge from "./fixtures/acknowledge.json" with { type: "json" };
import alertmanagerResolve from "./fixtures/alertmanager-resolve.json" with { type: "json" };
import alertmanagerTrigger from "./fixtures/alertmanager-trigger.json" with { type: "json" };
import documentedTrigger from "./fixtures/documented-trigger.json" with { type: "json" };
import longSummary from "./fixtures/long-summary.json" with { type: "json" };
import resolve from "./fixtures/resolve.json" with { type: "json" };
import triggerWithoutDedupKey from "./fixtures/trigger-without-dedup-key.json" with { type: "json" };
import {
  PAGERDUTY_SEVERITIES,
  SUMMARY_MAX_CHARS,
  createPagerDutyNormalizer,
  normalizePagerDuty,
} from "./normalize.js";

const FIXTURES: Record<string, harness.AlertFixture> = {
  "documented-trigger": documentedTrigger,
  "trigger-without-dedup-key": triggerWithoutDedupKey,
  acknowledge,
  resolve,
  "long-summary": longSummary,
  "alertmanager-trigger": alertmanagerTrigger,
  "alertmanager-resolve": alertmanagerResolve,
};

/** The key the fixtures expect for a trigger that names none (random in production). */
const fixtureNormalize = createPagerDutyNormalizer({ newDedupKey: () => "generated-dedup-key" });
const pagerduty = harness.normalizerHarness(normalizePagerDuty);

/** A valid trigger; tests replace the fields they are about. */
function trigger(
  fields: Record<string, unknown> = {},
  payload: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    routing_key: "R0UT1NGKEYEXAMPLE0000000000000000",
    event_action: "trigger",
    dedup_key: "host-1/disk",
    payload: { summary: "Disk full on host-1", source: "host-1", severity: "error", ...payload },
    ...fields,
  };
}

const refused = (body: unknown) => pagerduty.refuse(body).map((v) => `${v.field} ${v.description}`);

describe("normalizePagerDuty: fixtures", () => {
  it.each(Object.entries(FIXTURES))("%s", (_name, fixture) => {
    const alerts = fixtureNormalize(harness.fixtureInput(fixture));
    expect(alerts.map(harness.plainAlert)).toEqual(fixture.expected);
    for (const alert of alerts) {
      expect(harness.roundTrip(alert)).toEqual(alert);
    }
  });

  it("keys Alertmanager's trigger and resolve of one group alike", () => {
    const [triggered] = normalizePagerDuty(harness.fixtureInput(alertmanagerTrigger));
    const [resolved] = normalizePagerDuty(harness.fixtureInput(alertmanagerResolve));
    expect(resolved!.dedupKey).toBe(triggered!.dedupKey);
    expect(resolved!.action).toBe(AlertAction.RESOLVE);
  });
});

describe("normalizePagerDuty: event actions and dedup keys", () => {
  it("maps the three actions", () => {
    expect(pagerduty.accept(trigger()).action).toBe(AlertAction.TRIGGER);
    const ack = pagerduty.accept({ event_action: "acknowledge", dedup_key: "k" });
    expect(ack).toMatchObject({ action: AlertAction.ACKNOWLEDGE, status: IncidentStatus.NEW });
    const res = pagerduty.accept({ event_action: "resolve", dedup_key: "k" });
    expect(res).toMatchObject({ action: AlertAction.RESOLVE, status: IncidentStatus.RESOLVED });
  });

  it("uses the sender's key as sent, up to 255 characters", () => {
    const key = `${"k".repeat(254)}😀`;
    expect(pagerduty.accept(trigger({ dedup_key: key })).dedupKey).toBe(key);
    expect(refused(trigger({ dedup_key: `${key}k` }))).toEqual([
      "dedup_key must be at most 255 characters",
    ]);
  });

  it("gives each trigger without a key a new random one of 32 hex digits", () => {
    const keys = ["", " ", null, undefined].map(
      (dedup_key) => pagerduty.accept(trigger({ dedup_key })).dedupKey,
    );
    for (const key of keys) {
      expect(key).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("refuses an acknowledge or a resolve without a key", () => {
    expect(refused({ event_action: "acknowledge" })).toEqual([
      "dedup_key is required for acknowledge events",
    ]);
    expect(refused({ event_action: "resolve", dedup_key: " " })).toEqual([
      "dedup_key is required for resolve events",
    ]);
  });

  it.each(harness.NON_OBJECT_BODIES)("refuses a body that is %s", (_kind, body, description) => {
    expect(refused(body)).toEqual([`body ${description}`]);
  });

  it("refuses a missing or unknown action, and the Events API v1 shape", () => {
    expect(refused(trigger({ event_action: undefined }))).toEqual(["event_action is required"]);
    expect(refused(trigger({ event_action: "Trigger" }))).toEqual([
      "event_action must be one of trigger, acknowledge, resolve",
    ]);
    expect(
      refused({ service_key: "k", event_type: "trigger", description: "v1", incident_key: "x" }),
    ).toEqual(["event_action is required"]);
  });

  it("does not check the payload of an acknowledge or a resolve", () => {
    const alert = pagerduty.accept({
      event_action: "resolve",
      dedup_key: "k",
      payload: { severity: "fatal", summary: 7 },
    });
    expect(alert.title).toBe("PagerDuty resolve");
  });
});

describe("normalizePagerDuty: a trigger's payload", () => {
  it("refuses every missing required field at once", () => {
    expect(refused(trigger({ payload: undefined }))).toEqual([
      "payload is required for trigger events",
    ]);
    expect(refused(trigger({ payload: {} }))).toEqual([
      "payload.summary is required",
      "payload.source is required",
      "payload.severity is required",
    ]);
    expect(refused(trigger({}, { summary: " ", source: "", severity: "critical" }))).toEqual([
      "payload.summary must not be blank",
      "payload.source must not be blank",
    ]);
  });

  it(`takes a summary of ${SUMMARY_MAX_CHARS} characters and refuses a longer one`, () => {
    const summary = "😀".repeat(SUMMARY_MAX_CHARS);
    const alert = pagerduty.accept(trigger({}, { summary }));
    harness.expectTruncated(alert.title, 500);
    expect(alert.description.startsWith(summary)).toBe(true);
    expect(refused(trigger({}, { summary: `${summary}x` }))).toEqual([
      "payload.summary must be at most 1024 characters",
    ]);
  });

  it("refuses wrong types and text that is not Unicode, naming each field", () => {
    expect(
      refused({
        routing_key: 1,
        event_action: "trigger",
        dedup_key: "\ud800",
        payload: { summary: "s", source: "h", severity: "error", component: 1, class: [] },
        client: {},
        links: [{ text: "no href" }, "x"],
        images: { src: "x" },
      }),
    ).toEqual([
      "routing_key must be a string, got a number",
      "dedup_key must be valid Unicode (it contains an unpaired surrogate)",
      "payload.component must be a string, got a number",
      "payload.class must be a string, got an array",
      "links[0].href is required",
      "links[1] must be an object, got a string",
      "images must be an array, got an object",
      "client must be a string, got an object",
    ]);
  });
});

describe("normalizePagerDuty: severity", () => {
  it("has the documented table", () => {
    expect(Object.fromEntries(PAGERDUTY_SEVERITIES)).toEqual({
      critical: Severity.SEV1,
      error: Severity.SEV2,
      warning: Severity.SEV3,
      info: Severity.SEV4,
    });
  });

  it.each(["Critical", "fatal", "", "sev1"])("refuses %j as PagerDuty does", (severity) => {
    expect(refused(trigger({}, { severity }))).toEqual([
      "payload.severity must be one of critical, error, warning, info",
    ]);
  });

  it("takes the integration's severity for a value first", () => {
    const options = { severityOverrides: { critical: Severity.SEV0 } };
    const severity = (value: string) =>
      pagerduty.accept(trigger({}, { severity: value }), { options }).severity;
    expect(severity("critical")).toBe(Severity.SEV0);
    expect(severity("warning")).toBe(Severity.SEV3);
  });
});

describe("normalizePagerDuty: time, service and link", () => {
  it.each([
    ["2015-07-17T08:42:58.315+0000", "2015-07-17T08:42:58.315Z"],
    ["2026-11-27T13:00:00+01:00", "2026-11-27T12:00:00.000Z"],
    ["2026-11-27 12:30", "2026-11-27T12:30:00.000Z"],
  ])("reads payload.timestamp %s", (timestamp, expected) => {
    expect(harness.occurredAt(pagerduty.accept(trigger({}, { timestamp })))).toBe(expected);
  });

  it.each(["yesterday", 1_700_000_000, "2026-02-30T00:00:00Z"])(
    "refuses payload.timestamp %j",
    (timestamp) => {
      expect(refused(trigger({}, { timestamp }))).toEqual([
        "payload.timestamp must be an ISO 8601 time, e.g. 2015-07-17T08:42:58.315+0000",
      ]);
    },
  );

  it("routes by custom_details.service_id, else the integration's default", () => {
    const routed = (custom_details: unknown) =>
      pagerduty.accept(trigger({}, { custom_details }), { defaultServiceId: "SER-00009" })
        .serviceId;
    expect(routed({ service_id: " SER-00002 " })).toBe("SER-00002");
    expect(routed({ service_id: 2 })).toBe("SER-00009");
    expect(routed("not an object")).toBe("SER-00009");
  });

  it("links to the first http(s) link, else client_url, else an image's href", () => {
    const link = (fields: Record<string, unknown>) => pagerduty.accept(trigger(fields)).sourceUrl;
    expect(
      link({
        links: [{ href: "ftp://x" }, { href: "https://a.example.com" }],
        client_url: "https://b.example.com",
      }),
    ).toBe("https://a.example.com");
    expect(
      link({
        client_url: "https://b.example.com",
        images: [{ src: "https://i", href: "https://c" }],
      }),
    ).toBe("https://b.example.com");
    expect(link({ images: [{ src: "https://i", href: "https://c.example.com" }] })).toBe(
      "https://c.example.com",
    );
  });

  it("writes custom details that are not text as JSON, and text as it is", () => {
    const alert = pagerduty.accept(
      trigger({}, { custom_details: { n: 1, list: [1, 2], no: null } }),
    );
    expect(alert.description).toBe("n: 1\nlist: [1,2]");
    expect(pagerduty.accept(trigger({}, { custom_details: "plain" })).description).toBe("plain");
  });
});
