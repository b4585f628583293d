import { createHash } from "node:crypto";
import { AlertAction, IncidentStatus, Severity } from "@runframe/contracts";
import * as kit from "@runframe/normalizers-kit";
import * as harness from "@runframe/normalizers-kit/testing";
import { describe, expect, it } from "vitest";
import template from "./recommended-template.json" with { type: "json" };
import allFieldsNull from "./fixtures/all-fields-null.json" with { type: "json" };
import defaultRecovered from "./fixtures/default-template-recovered.json" with { type: "json" };
import defaultTriggered from "./fixtures/default-template-triggered.json" with { type: "json" };
import overLong from "./fixtures/over-long-fields-truncated.json" with { type: "json" };
import richRecovered from "./fixtures/recommended-template-recovered-web-1.json" with { type: "json" };
import richRetriggered from "./fixtures/recommended-template-retriggered-web-1.json" with { type: "json" };
import richWeb1 from "./fixtures/recommended-template-triggered-web-1.json" with { type: "json" };
import richWeb2 from "./fixtures/recommended-template-triggered-web-2.json" with { type: "json" };
import serviceOverride from "./fixtures/service-id-tag-override.json" with { type: "json" };
import unsubstituted from "./fixtures/unsubstituted-variables.json" with { type: "json" };
import { DATADOG_SEVERITY_TABLE, normalizeDatadog } from "./normalize.js";

const FIXTURES: Readonly<Record<string, harness.AlertFixture>> = {
  "default-template-triggered": defaultTriggered,
  "default-template-recovered": defaultRecovered,
  "recommended-template-triggered-web-1": richWeb1,
  "recommended-template-triggered-web-2": richWeb2,
  "recommended-template-retriggered-web-1": richRetriggered,
  "recommended-template-recovered-web-1": richRecovered,
  "unsubstituted-variables": unsubstituted,
  "service-id-tag-override": serviceOverride,
  "over-long-fields-truncated": overLong,
  "all-fields-null": allFieldsNull,
};

const DEFAULT_RECEIVE_TIME = harness.DEFAULT_FIXTURE_RECEIVE_TIME;
const { run: normalize, accept: one, refuse } = harness.normalizerHarness(normalizeDatadog);

/** The recommended template as a monitor alerting for web-1 fills it in. */
const RICH = richWeb1.body;
const withFields = (fields: Record<string, unknown>): Record<string, unknown> => ({
  ...RICH,
  ...fields,
});

describe("normalizeDatadog: fixtures", () => {
  it("has 5 to 10 fixtures", () => {
    expect(Object.keys(FIXTURES).length).toBeGreaterThanOrEqual(5);
    expect(Object.keys(FIXTURES).length).toBeLessThanOrEqual(10);
  });

  it.each(Object.entries(FIXTURES))("%s", (_name, fixture) => {
    expect(normalizeDatadog(harness.fixtureInput(fixture)).map(harness.plainAlert)).toEqual(
      fixture.expected,
    );
  });

  it("keys the trigger and recovery of the default template alike", () => {
    const [trigger] = normalizeDatadog(harness.fixtureInput(defaultTriggered));
    const [recovery] = normalizeDatadog(harness.fixtureInput(defaultRecovered));
    expect(recovery!.dedupKey).toBe(trigger!.dedupKey);
    expect([trigger!.action, recovery!.action]).toEqual([AlertAction.TRIGGER, AlertAction.RESOLVE]);
  });

  it("keys one monitor's hosts apart, and one host's notifications alike", () => {
    const key = (fixture: harness.AlertFixture): string =>
      normalizeDatadog(harness.fixtureInput(fixture))[0]!.dedupKey;
    expect(richWeb1.body.alert_id).toBe(richWeb2.body.alert_id);
    expect(key(richWeb1)).not.toBe(key(richWeb2));
    expect(key(richRetriggered)).toBe(key(richWeb1));
    expect(key(richRecovered)).toBe(key(richWeb1));
  });

  it("produces alerts that survive protobuf serialization unchanged", () => {
    for (const fixture of Object.values(FIXTURES)) {
      for (const alert of normalizeDatadog(harness.fixtureInput(fixture))) {
        expect(harness.roundTrip(alert)).toEqual(alert);
      }
    }
  });
});

describe("normalizeDatadog: the recommended template", () => {
  it("names only Datadog variables, each quoted so it arrives as a string", () => {
    const values = JSON.stringify(template).match(/"\$[A-Z_]+"/g) ?? [];
    expect(values).toHaveLength(22);
    expect(Object.keys(template)).toEqual([
      "id",
      "alert_id",
      "aggreg_key",
      "alert_transition",
      "alert_type",
      "alert_priority",
      "alert_scope",
      "alert_title",
      "title",
      "body",
      "link",
      "tags",
      "hostname",
      "date",
      "last_updated",
      "event_type",
      "org",
      "alert_metric",
      "alert_query",
      "alert_status",
      "alert_cycle_key",
    ]);
  });

  it("accepts the template itself, unfilled, as an alert with nothing in it", () => {
    expect(harness.plainAlert(one(template))).toEqual({
      action: "trigger",
      status: "new",
      severity: "UNSPECIFIED",
      title: "Datadog alert",
      description: "",
      serviceId: "SER-00001",
      sourceUrl: "",
      dedupKey: "",
      metadata: {},
      occurTime: DEFAULT_RECEIVE_TIME,
      truncatedAlerts: 0,
    });
  });
});

describe("normalizeDatadog: trigger or resolve", () => {
  it.each(["Recovered", "recovered", "RECOVERED", " Recovered "])(
    "resolves on alert_transition %j",
    (alert_transition) => {
      const alert = one(withFields({ alert_transition }));
      expect(alert.action).toBe(AlertAction.RESOLVE);
      expect(alert.status).toBe(IncidentStatus.RESOLVED);
    },
  );

  it.each(["Triggered", "Re-Triggered", "Warn", "Re-Warn", "No Data", "Re-No Data", "Renotify"])(
    "triggers on alert_transition %j",
    (alert_transition) => {
      const alert = one(withFields({ alert_transition }));
      expect(alert.action).toBe(AlertAction.TRIGGER);
      expect(alert.status).toBe(IncidentStatus.NEW);
    },
  );

  it("lets alert_transition decide over the title and alert_type", () => {
    const alert = one(
      withFields({
        alert_transition: "Triggered",
        alert_type: "success",
        title: "[Recovered] CPU usage high",
      }),
    );
    expect(alert.action).toBe(AlertAction.TRIGGER);
  });

  it.each([
    ["[Recovered] Disk full", AlertAction.RESOLVE],
    ["[Recovered on {host:db-1}] Disk full", AlertAction.RESOLVE],
    ["[P1] [Recovered on {host:db-1}] Disk full", AlertAction.RESOLVE],
    ["[recovered] Disk full", AlertAction.RESOLVE],
    ["[Triggered] Disk full", AlertAction.TRIGGER],
    ["[No Data] Disk full", AlertAction.TRIGGER],
    ["Disk full [Recovered]", AlertAction.TRIGGER],
    ["Recovered: disk full", AlertAction.TRIGGER],
  ])("without alert_transition, reads the title %j", (title, action) => {
    expect(one({ title }).action).toBe(action);
  });

  it("without alert_transition, resolves on alert_type success", () => {
    expect(one({ title: "Disk full", alert_type: "success" }).action).toBe(AlertAction.RESOLVE);
    expect(one({ title: "Disk full", alert_type: "error" }).action).toBe(AlertAction.TRIGGER);
  });

  it("reads alert_title's marker when there is no alert_transition", () => {
    expect(one({ alert_title: "[Recovered] Disk full" }).action).toBe(AlertAction.RESOLVE);
  });

  it("ignores an unsubstituted alert_transition and falls back to the title", () => {
    expect(
      one({ alert_transition: "$ALERT_TRANSITION", title: "[Recovered] Disk full" }).action,
    ).toBe(AlertAction.RESOLVE);
  });
});

describe("normalizeDatadog: severity", () => {
  it.each([
    ["P1", Severity.SEV1],
    ["P2", Severity.SEV2],
    ["P3", Severity.SEV3],
    ["P4", Severity.SEV4],
    ["P5", Severity.SEV4],
    ["p1", Severity.SEV1],
  ])("maps alert_priority %s over alert_type", (alert_priority, severity) => {
    expect(one(withFields({ alert_priority, alert_type: "info" })).severity).toBe(severity);
  });

  it.each([
    ["error", Severity.SEV2],
    ["warning", Severity.SEV3],
    ["info", Severity.SEV4],
    ["success", Severity.SEV4],
    ["Error", Severity.SEV2],
    ["unknown", Severity.UNSPECIFIED],
  ])("maps alert_type %s when there is no priority", (alert_type, severity) => {
    expect(one(withFields({ alert_priority: "$ALERT_PRIORITY", alert_type })).severity).toBe(
      severity,
    );
  });

  it("falls back to alert_type when the priority is not one it knows", () => {
    expect(one(withFields({ alert_priority: "P0", alert_type: "warning" })).severity).toBe(
      Severity.SEV3,
    );
  });

  it("takes the integration's severity for the priority, else for the alert type", () => {
    const options = { severityOverrides: { p1: Severity.SEV0, warning: Severity.SEV2 } };
    const severity = (fields: Record<string, unknown>) =>
      one(withFields(fields), { options }).severity;
    expect(severity({ alert_priority: "P1", alert_type: "warning" })).toBe(Severity.SEV0);
    expect(severity({ alert_priority: "P3", alert_type: "warning" })).toBe(Severity.SEV3);
    expect(severity({ alert_priority: "$ALERT_PRIORITY", alert_type: "Warning" })).toBe(
      Severity.SEV2,
    );
  });

  it("is UNSPECIFIED with neither field", () => {
    expect(one({ title: "t" }).severity).toBe(Severity.UNSPECIFIED);
  });

  it("never derives SEV0", () => {
    const all = [
      ...DATADOG_SEVERITY_TABLE.alertPriority.values(),
      ...DATADOG_SEVERITY_TABLE.alertType.values(),
    ];
    expect(all).not.toContain(Severity.SEV0);
  });
});

describe("normalizeDatadog: dedup key", () => {
  it("uses monitor id and scope, with the scope's tags trimmed", () => {
    expect(one(withFields({ alert_scope: " host:web-1 ,  env:prod " })).dedupKey).toBe(
      "datadog:4242:host:web-1,env:prod",
    );
  });

  it("uses monitor id and aggreg_key when the scope is empty or missing", () => {
    const expected = `datadog:4242:${RICH.aggreg_key}`;
    expect(one(withFields({ alert_scope: "" })).dedupKey).toBe(expected);
    expect(one(withFields({ alert_scope: null })).dedupKey).toBe(expected);
    expect(one(withFields({ alert_scope: " , " })).dedupKey).toBe(expected);
  });

  it("uses aggreg_key alone when the monitor id is missing", () => {
    expect(one(withFields({ alert_id: "$ALERT_ID" })).dedupKey).toBe(`datadog:${RICH.aggreg_key}`);
  });

  it("uses the title without markers when neither id nor aggreg_key is there", () => {
    expect(one({ title: "[P1] [Triggered] Disk full on db-1" }).dedupKey).toBe(
      "datadog:Disk full on db-1",
    );
    expect(one({ title: "Disk full on db-1" }).dedupKey).toBe("datadog:Disk full on db-1");
  });

  it("keeps a multi-alert title's group, so each group is its own incident", () => {
    const key = (title: string): string => one({ title }).dedupKey;
    expect(key("[Triggered on {host:db-1}] Disk full")).toBe("datadog:[host:db-1] Disk full");
    expect(key("[Recovered on {host:db-1}] Disk full")).toBe("datadog:[host:db-1] Disk full");
    expect(key("[Re-Triggered on {host:db-1}] Disk full")).toBe("datadog:[host:db-1] Disk full");
    expect(key("[Triggered on {host:db-2}] Disk full")).toBe("datadog:[host:db-2] Disk full");
  });

  it.each(["Triggered", "Re-Triggered", "Recovered", "Warn", "Re-Warn", "No Data", "Re-No Data"])(
    "strips the [%s] marker from the key",
    (word) => {
      expect(one({ title: `[${word}] Disk full` }).dedupKey).toBe("datadog:Disk full");
    },
  );

  it("prefers the title key to the monitor id alone", () => {
    expect(one({ alert_id: "99", title: "[Triggered on {host:a}] X" }).dedupKey).toBe(
      "datadog:[host:a] X",
    );
    expect(one({ alert_id: "99" }).dedupKey).toBe("datadog:99");
  });

  it("is empty when nothing identifies the alert", () => {
    expect(one({}).dedupKey).toBe("");
    expect(one({ id: "123", body: "text" }).dedupKey).toBe("");
  });

  it("hashes a key longer than the limit, and keeps one at the limit", () => {
    const prefix = "datadog:4242:";
    const atLimit = "s".repeat(kit.DEDUP_KEY_MAX_CHARS - prefix.length);
    expect(one(withFields({ alert_scope: atLimit })).dedupKey).toBe(prefix + atLimit);

    const over = `${atLimit}x`;
    const expected = createHash("sha256").update(`${prefix}${over}`).digest("hex");
    const key = one(withFields({ alert_scope: over })).dedupKey;
    expect(key).toBe(`datadog:sha256:${expected}`);
    expect(kit.charLength(key)).toBeLessThanOrEqual(kit.DEDUP_KEY_MAX_CHARS);
  });

  it("counts the key's length in code points", () => {
    const prefix = "datadog:4242:";
    const scope = "😀".repeat(kit.DEDUP_KEY_MAX_CHARS - prefix.length);
    expect(one(withFields({ alert_scope: scope })).dedupKey).toBe(prefix + scope);
  });
});

describe("normalizeDatadog: title, description and link", () => {
  it("prefers alert_title to title, each without markers", () => {
    expect(one({ alert_title: "[Triggered] A", title: "[P1] [Triggered] B" }).title).toBe("A");
    expect(one({ alert_title: "$ALERT_TITLE", title: "[P1] [Triggered] B" }).title).toBe("B");
  });

  it("falls back to the next title, then to Datadog alert, when one is only markers", () => {
    expect(one({ alert_title: "[Triggered]", title: "B" }).title).toBe("B");
    expect(one({ alert_title: "[Triggered]", title: "[P1]" }).title).toBe("Datadog alert");
    expect(one({ title: "[Triggered on {host:a}]" }).title).toBe("[host:a]");
    expect(one({ title: "   " }).title).toBe("Datadog alert");
  });

  it("truncates an over-long title with the marker", () => {
    const title = one({ title: "t".repeat(kit.TITLE_MAX_CHARS + 1) }).title;
    harness.expectTruncated(title, kit.TITLE_MAX_CHARS);
    expect(one({ title: "t".repeat(kit.TITLE_MAX_CHARS) }).title).toBe(
      "t".repeat(kit.TITLE_MAX_CHARS),
    );
  });

  it("truncates an over-long description in code points without splitting a pair", () => {
    const body = "😀".repeat(kit.DESCRIPTION_MAX_CHARS + 1);
    const description = one({ body }).description;
    expect(kit.charLength(description)).toBe(kit.DESCRIPTION_MAX_CHARS);
    expect(description).toBe(
      "😀".repeat(kit.DESCRIPTION_MAX_CHARS - kit.charLength(kit.TRUNCATION_MARKER)) +
        kit.TRUNCATION_MARKER,
    );
  });

  it("removes Datadog's %%% Markdown fences and keeps other text as sent", () => {
    expect(one({ body: "%%%\nline 1\n\nline 2\n%%%" }).description).toBe("line 1\n\nline 2");
    expect(one({ body: "  plain text\n" }).description).toBe("  plain text\n");
    expect(one({ body: "100%%% sure" }).description).toBe("100%%% sure");
  });

  it.each([
    ["https://app.datadoghq.com/monitors/1", "https://app.datadoghq.com/monitors/1"],
    ["http://dd.example/x", "http://dd.example/x"],
    ["/monitors/1", ""],
    ["javascript:alert(1)", ""],
    ["https://exa mple.com", ""],
    ["$LINK", ""],
  ])("takes link %j as %j", (link, sourceUrl) => {
    expect(one({ link }).sourceUrl).toBe(sourceUrl);
  });
});

describe("normalizeDatadog: service", () => {
  const service = (fields: Record<string, unknown>): string =>
    one({ title: "t", ...fields }).serviceId;

  it("uses the integration default without a service_id tag", () => {
    expect(service({ tags: "env:prod,team:web" })).toBe("SER-00001");
  });

  it("takes the service from tags, trimmed, restoring the SER- case", () => {
    expect(service({ tags: "env:prod , service_id:SER-00042 " })).toBe("SER-00042");
    expect(service({ tags: "service_id:ser-00042" })).toBe("SER-00042");
    expect(service({ tags: "service_id:checkout" })).toBe("checkout");
  });

  it("takes the service from alert_scope before tags", () => {
    expect(
      service({ alert_scope: "service_id:ser-00007,host:a", tags: "service_id:ser-00008" }),
    ).toBe("SER-00007");
  });

  it("ignores empty and over-long service_id tags", () => {
    expect(service({ tags: "service_id:, service_id:   " })).toBe("SER-00001");
    expect(service({ tags: `service_id:${"s".repeat(51)}` })).toBe("SER-00001");
    expect(service({ tags: `service_id:${"s".repeat(51)},service_id:SER-2` })).toBe("SER-2");
  });

  it("does not read service names that merely contain service_id", () => {
    expect(service({ tags: "my_service_id:SER-9,service:checkout" })).toBe("SER-00001");
  });
});

describe("normalizeDatadog: occurred at", () => {
  const occur = (fields: Record<string, unknown>): string =>
    harness.occurredAt(one({ title: "t", ...fields }));

  it.each([
    ["epoch milliseconds", "1795780800000", "2026-11-27T12:00:00.000Z"],
    ["epoch seconds", "1795780740", "2026-11-27T11:59:00.000Z"],
    ["fractional seconds", "1795780740.5", "2026-11-27T11:59:00.500Z"],
    ["ISO-8601", "2026-11-27T11:00:00Z", "2026-11-27T11:00:00.000Z"],
    ["ISO-8601 with offset", "2026-11-27T12:30:00+01:00", "2026-11-27T11:30:00.000Z"],
  ])("reads date as %s", (_kind, date, expected) => {
    expect(occur({ date })).toBe(expected);
  });

  it("accepts an unquoted number", () => {
    expect(occur({ date: 1795780740000 })).toBe("2026-11-27T11:59:00.000Z");
  });

  it("falls back to last_updated, then to the receive time", () => {
    expect(occur({ date: "$DATE", last_updated: "1795780740000" })).toBe(
      "2026-11-27T11:59:00.000Z",
    );
    for (const date of ["$DATE", "yesterday", "0", "-5", "2026-13-45T99:00:00Z", "1e400", null]) {
      expect(occur({ date })).toBe(DEFAULT_RECEIVE_TIME);
    }
  });

  it("reads times strictly: an impossible date is no time, and no zone means UTC", () => {
    expect(occur({ date: "2026-02-30T00:00:00Z" })).toBe(DEFAULT_RECEIVE_TIME);
    expect(occur({ date: "2026-11-27T11:00:00" })).toBe("2026-11-27T11:00:00.000Z");
    expect(occur({ date: "2026-11-27" })).toBe(DEFAULT_RECEIVE_TIME);
  });

  it("refuses times a protobuf Timestamp cannot hold", () => {
    expect(occur({ date: "999999999999999999" })).toBe(DEFAULT_RECEIVE_TIME);
  });
});

describe("normalizeDatadog: metadata", () => {
  it("keeps at most 10 keys in a fixed order", () => {
    const { metadata } = one(RICH);
    expect(Object.keys(metadata)).toEqual([
      "monitor_id",
      "alert_scope",
      "alert_priority",
      "alert_transition",
      "alert_type",
      "alert_metric",
      "hostname",
      "org_name",
      "event_type",
      "event_id",
    ]);
  });

  it("truncates values to the limit", () => {
    const value = one({ hostname: "h".repeat(kit.METADATA_VALUE_MAX_CHARS + 5) }).metadata
      .hostname!;
    harness.expectTruncated(value, kit.METADATA_VALUE_MAX_CHARS);
  });

  it("skips an org that is not an object", () => {
    expect(one({ org: "Acme" }).metadata).toEqual({});
    expect(one({ org: ["Acme"] }).metadata).toEqual({});
    expect(one({ org: { name: "$ORG_NAME" } }).metadata).toEqual({});
  });
});

describe("normalizeDatadog: odd values", () => {
  it("treats non-string values as absent, except numbers", () => {
    const alert = one({
      alert_id: 4242,
      alert_scope: ["host:a"],
      aggreg_key: { k: 1 },
      alert_priority: true,
      title: 12,
    });
    expect(alert.dedupKey).toBe("datadog:12");
    expect(alert.title).toBe("12");
    expect(alert.metadata).toEqual({ monitor_id: "4242" });
    expect(alert.severity).toBe(Severity.UNSPECIFIED);
  });

  it("treats only whole $UPPER_CASE values as unsubstituted", () => {
    const alert = one({ title: "Cost is $5 over $BUDGET", alert_scope: "$alert_scope" });
    expect(alert.title).toBe("Cost is $5 over $BUDGET");
    expect(alert.metadata.alert_scope).toBe("$alert_scope");
  });

  it("reads own fields only, so a __proto__ key is just an unknown field", () => {
    const alert = one('{"__proto__":{"title":"from proto"},"alert_title":"real"}');
    expect(alert.title).toBe("real");
    expect(({} as Record<string, unknown>).title).toBeUndefined();
  });

  it("gives one alert for an empty object", () => {
    expect(normalize({})).toHaveLength(1);
  });
});

describe("normalizeDatadog: refusals", () => {
  it.each(harness.NON_OBJECT_BODIES)("refuses a body that is %s", (_kind, body, description) => {
    expect(refuse(body)).toEqual([{ field: "body", description }]);
  });

  it("refuses a form-encoded body as not JSON", () => {
    expect(refuse("title=Disk+full&alert_id=1")).toEqual([
      { field: "body", description: expect.stringMatching(/^must be valid JSON: /) },
    ]);
  });
});
