import {
  AlertAction,
  IncidentStatus,
  InsufficientDataAction,
  Severity,
  type NormalizedAlert,
} from "@runframe/contracts";
import * as kit from "@runframe/normalizers-kit";
import * as harness from "@runframe/normalizers-kit/testing";
import type { NormalizeInput } from "@runframe/util";
import { describe, expect, it } from "vitest";
import composite from "./fixtures/composite.json" with { type: "json" };
import descriptionTokens from "./fixtures/description-tokens.json" with { type: "json" };
import insufficientDataIntegrationResolves from "./fixtures/insufficient-data-integration-resolves.json" with { type: "json" };
import insufficientData from "./fixtures/insufficient-data.json" with { type: "json" };
import longReason from "./fixtures/long-reason.json" with { type: "json" };
import metricAlarmOk from "./fixtures/metric-alarm-ok.json" with { type: "json" };
import metricAlarm from "./fixtures/metric-alarm.json" with { type: "json" };
import metricMath from "./fixtures/metric-math.json" with { type: "json" };
import noSubject from "./fixtures/no-subject.json" with { type: "json" };
import subscriptionConfirmation from "./fixtures/subscription-confirmation.json" with { type: "json" };
import {
  CLOUDWATCH_SEVERITY,
  createCloudWatchNormalizer,
  normalizeCloudWatch,
  type InsufficientDataMode,
} from "./normalize.js";

const FIXTURES: Record<string, harness.AlertFixture> = {
  "metric-alarm": metricAlarm,
  "metric-alarm-ok": metricAlarmOk,
  "insufficient-data": insufficientData,
  "insufficient-data-integration-resolves": insufficientDataIntegrationResolves,
  "metric-math": metricMath,
  composite,
  "no-subject": noSubject,
  "description-tokens": descriptionTokens,
  "long-reason": longReason,
  "subscription-confirmation": subscriptionConfirmation,
};

const DEFAULT_RECEIVE_TIME = harness.DEFAULT_FIXTURE_RECEIVE_TIME;
const cloudwatch = harness.normalizerHarness(normalizeCloudWatch);

/** The alarm of the simple metric-alarm fixture, as an object to vary. */
const baseAlarm = JSON.parse(metricAlarm.body.Message) as Record<string, unknown>;

/** An SNS Notification envelope around `alarm`, with envelope fields replaced. */
function envelope(
  alarm: Record<string, unknown> | string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...metricAlarm.body,
    Message: typeof alarm === "string" ? alarm : JSON.stringify(alarm),
    ...fields,
  };
}

/** The base alarm with some fields added or replaced. */
const alarmWith = (fields: Record<string, unknown>): Record<string, unknown> => ({
  ...baseAlarm,
  ...fields,
});

function input(body: unknown, defaultServiceId = "SER-00001"): NormalizeInput {
  return cloudwatch.input(body, { defaultServiceId });
}

/** Normalizes a delivery that must yield exactly one alert. */
function accept(body: unknown, normalize = normalizeCloudWatch): NormalizedAlert {
  return harness.onlyAlert(normalize(input(body)));
}

/** Normalizes a delivery that must be refused; returns every violation. */
const refuse = cloudwatch.refuse;

describe("normalizeCloudWatch: fixtures", () => {
  it.each(Object.entries(FIXTURES))("%s", (_name, fixture) => {
    const alerts = normalizeCloudWatch(harness.fixtureInput(fixture));
    expect(alerts.map(harness.plainAlert)).toEqual(fixture.expected);
    for (const alert of alerts) {
      expect(Object.keys(alert.metadata).length).toBeLessThanOrEqual(10);
      expect(harness.roundTrip(alert)).toEqual(alert);
    }
  });

  it("keys an alarm's ALARM and OK deliveries alike, so OK resolves the incident", () => {
    const [trigger] = normalizeCloudWatch(harness.fixtureInput(metricAlarm));
    const [resolve] = normalizeCloudWatch(harness.fixtureInput(metricAlarmOk));
    expect(trigger!.action).toBe(AlertAction.TRIGGER);
    expect(resolve!.action).toBe(AlertAction.RESOLVE);
    expect(resolve!.dedupKey).toBe(trigger!.dedupKey);
  });
});

describe("normalizeCloudWatch: envelope", () => {
  it.each(["SubscriptionConfirmation", "UnsubscribeConfirmation", "SomethingNew"])(
    "yields no alerts for Type %s, whatever else the envelope holds",
    (Type) => {
      expect(normalizeCloudWatch(input({ Type }))).toEqual([]);
      expect(normalizeCloudWatch(input(envelope("not json", { Type })))).toEqual([]);
    },
  );

  it("refuses a missing Type, and reports a bad Message in the same answer", () => {
    expect(refuse({ Message: 42 })).toEqual([
      {
        field: "Type",
        description: "is required (an SNS envelope; raw message delivery is not supported)",
      },
      { field: "Message", description: "must be a JSON string holding the alarm, got a number" },
    ]);
  });

  it("refuses a bare alarm (SNS raw message delivery) by naming Type", () => {
    expect(refuse(baseAlarm).map((v) => v.field)).toEqual(["Type", "Message"]);
  });

  it.each([
    ["null", null],
    ["a number", 1],
    ["an array", ["Notification"]],
  ])("refuses Type given as %s", (kind, Type) => {
    const violations = refuse(envelope(baseAlarm, { Type }));
    expect(violations).toEqual([
      Type === null
        ? {
            field: "Type",
            description: "is required (an SNS envelope; raw message delivery is not supported)",
          }
        : { field: "Type", description: `must be a string, got ${kind}` },
    ]);
  });

  it.each([
    ["missing", undefined, "is required"],
    ["null", null, "is required"],
    ["an object", baseAlarm, "must be a JSON string holding the alarm, got an object"],
    ["empty", "", "must not be empty"],
    ["a JSON array", "[1]", "must be a JSON object, got an array"],
    ["a JSON string", '"ALARM"', "must be a JSON object, got a string"],
    ["a JSON null", "null", "must be a JSON object, got null"],
  ])("refuses a Message that is %s", (_kind, Message, description) => {
    expect(refuse(envelope(baseAlarm, { Message }))).toEqual([{ field: "Message", description }]);
  });

  it("refuses a Message that is not JSON, giving the parser's reason", () => {
    expect(refuse(envelope("ALARM: checkout is down"))).toEqual([
      { field: "Message", description: expect.stringMatching(/^must be valid JSON: \S/) },
    ]);
  });

  it("refuses a Message nested too deeply", () => {
    const deep = `{"a":${"[".repeat(40)}${"]".repeat(40)}}`;
    expect(refuse(envelope(deep))).toEqual([
      { field: "Message", description: expect.stringMatching(/levels deep$/) },
    ]);
  });

  it.each(harness.NON_OBJECT_BODIES)("refuses a body that is %s", (_kind, body, description) => {
    expect(refuse(body)).toEqual([{ field: "body", description }]);
  });

  it("refuses a body that is not JSON on body", () => {
    expect(refuse("Type=Notification")[0]?.field).toBe("body");
  });
});

describe("normalizeCloudWatch: NewStateValue", () => {
  it.each([
    ...harness.NOT_A_STRING,
    ["unknown", "WARNING", "must be one of ALARM, OK, INSUFFICIENT_DATA"] as const,
    ["lower case", "alarm", "must be one of ALARM, OK, INSUFFICIENT_DATA"] as const,
  ])("refuses a NewStateValue that is %s", (_kind, NewStateValue, description) => {
    expect(refuse(envelope(alarmWith({ NewStateValue })))).toEqual([
      { field: "Message.NewStateValue", description },
    ]);
  });

  const modes: [InsufficientDataMode, AlertAction | undefined, IncidentStatus | undefined][] = [
    ["trigger", AlertAction.TRIGGER, IncidentStatus.NEW],
    ["resolve", AlertAction.RESOLVE, IncidentStatus.RESOLVED],
    ["ignore", undefined, undefined],
  ];

  it.each(modes)("INSUFFICIENT_DATA in mode %s", (insufficientData, action, status) => {
    const normalize = createCloudWatchNormalizer({ insufficientData });
    const alerts = normalize(input(envelope(alarmWith({ NewStateValue: "INSUFFICIENT_DATA" }))));
    if (action === undefined) {
      expect(alerts).toEqual([]);
      return;
    }
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ action, status, severity: Severity.SEV4 });
    expect(alerts[0]!.dedupKey).toBe(`cloudwatch:${baseAlarm.AlarmArn as string}`);
  });

  it.each(modes)("the mode %s leaves ALARM and OK alone", (insufficientData) => {
    const normalize = createCloudWatchNormalizer({ insufficientData });
    expect(accept(envelope(alarmWith({ NewStateValue: "ALARM" })), normalize).action).toBe(
      AlertAction.TRIGGER,
    );
    expect(accept(envelope(alarmWith({ NewStateValue: "OK" })), normalize).action).toBe(
      AlertAction.RESOLVE,
    );
  });

  it.each([
    [InsufficientDataAction.TRIGGER, "resolve", AlertAction.TRIGGER],
    [InsufficientDataAction.RESOLVE, "trigger", AlertAction.RESOLVE],
    [InsufficientDataAction.IGNORE, "trigger", undefined],
    [InsufficientDataAction.UNSPECIFIED, "resolve", AlertAction.RESOLVE],
  ] as const)(
    "takes the integration's option %s over the app's mode %s",
    (option, insufficientData, action) => {
      const normalize = createCloudWatchNormalizer({ insufficientData });
      const alerts = normalize(
        cloudwatch.input(envelope(alarmWith({ NewStateValue: "INSUFFICIENT_DATA" })), {
          options: { cloudwatchInsufficientData: option },
        }),
      );
      expect(alerts.map((a) => a.action)).toEqual(action === undefined ? [] : [action]);
    },
  );

  it("refuses an unknown mode when the normalizer is built", () => {
    expect(() =>
      createCloudWatchNormalizer({ insufficientData: "drop" as InsufficientDataMode }),
    ).toThrow(RangeError);
  });
});

describe("normalizeCloudWatch: severity and service tokens", () => {
  it("has the documented table", () => {
    expect(CLOUDWATCH_SEVERITY).toEqual({
      ALARM: Severity.SEV2,
      OK: Severity.SEV2,
      INSUFFICIENT_DATA: Severity.SEV4,
    });
  });

  it.each([
    ["severity=SEV0", Severity.SEV0],
    ["severity=sev1", Severity.SEV1],
    ["Severity=Sev3 and more", Severity.SEV3],
    ["(severity=SEV4).", Severity.SEV4],
    ["first severity=SEV1 then severity=SEV3", Severity.SEV1],
    ["severity=SEV5", Severity.SEV2],
    ["severity=SEV12", Severity.SEV2],
    ["max_severity=SEV0", Severity.SEV2],
    ["severity = SEV0", Severity.SEV2],
    ["severity=critical", Severity.SEV2],
  ])("reads %j from AlarmDescription", (AlarmDescription, severity) => {
    expect(accept(envelope(alarmWith({ AlarmDescription }))).severity).toBe(severity);
  });

  it("applies the token to OK, so the resolve carries the alarm's severity", () => {
    const alarm = alarmWith({ NewStateValue: "OK", AlarmDescription: "severity=SEV1" });
    expect(accept(envelope(alarm)).severity).toBe(Severity.SEV1);
  });

  it("takes the integration's severity for a state, below the alarm's own token", () => {
    const overrides = {
      options: { severityOverrides: { alarm: Severity.SEV1, insufficient_data: Severity.SEV3 } },
    };
    const severity = (alarm: Record<string, unknown>) =>
      harness.onlyAlert(normalizeCloudWatch(cloudwatch.input(envelope(alarm), overrides))).severity;
    expect(severity(baseAlarm)).toBe(Severity.SEV1);
    expect(severity(alarmWith({ AlarmDescription: "severity=SEV0" }))).toBe(Severity.SEV0);
    expect(severity(alarmWith({ NewStateValue: "OK" }))).toBe(Severity.SEV2);
    expect(severity(alarmWith({ NewStateValue: "INSUFFICIENT_DATA" }))).toBe(Severity.SEV3);
  });

  it("keeps INSUFFICIENT_DATA at SEV4 whatever the token says", () => {
    const alarm = alarmWith({
      NewStateValue: "INSUFFICIENT_DATA",
      AlarmDescription: "severity=SEV0",
    });
    expect(accept(envelope(alarm)).severity).toBe(Severity.SEV4);
  });

  it.each([
    ["service_id=SER-00002", "SER-00002"],
    ["Owned by payments (service_id=SER-00002).", "SER-00002"],
    ["service_id=SER-00002, severity=SEV1", "SER-00002"],
    ["SERVICE_ID=svc.payments:eu", "svc.payments:eu"],
    ["old_service_id=SER-00002", "SER-09999"],
    ["service_id=", "SER-09999"],
    ["service_id SER-00002", "SER-09999"],
  ])("reads the service from %j", (AlarmDescription, serviceId) => {
    const alerts = normalizeCloudWatch(
      input(envelope(alarmWith({ AlarmDescription })), "SER-09999"),
    );
    expect(alerts[0]!.serviceId).toBe(serviceId);
  });

  it("leaves the service empty when there is neither token nor default", () => {
    expect(normalizeCloudWatch(input(envelope(baseAlarm), ""))[0]!.serviceId).toBe("");
  });
});

describe("normalizeCloudWatch: dedup key", () => {
  it("uses the ARN, or else account, region and name", () => {
    expect(accept(envelope(baseAlarm)).dedupKey).toBe(
      "cloudwatch:arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-api-5xx-count",
    );
    expect(accept(envelope(alarmWith({ AlarmArn: null }))).dedupKey).toBe(
      "cloudwatch:123456789012:US East (N. Virginia):checkout-api-5xx-count",
    );
    expect(
      accept(envelope(alarmWith({ AlarmArn: "", AWSAccountId: null, Region: 7 }))).dedupKey,
    ).toBe("cloudwatch:::checkout-api-5xx-count");
  });

  it("has no key when nothing names the alarm", () => {
    expect(accept(envelope(alarmWith({ AlarmArn: null, AlarmName: null }))).dedupKey).toBe("");
  });

  it("hashes a key longer than 255 characters, deterministically", () => {
    const AlarmName = "n".repeat(255);
    const AlarmArn = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${AlarmName}`;
    const first = accept(envelope(alarmWith({ AlarmName, AlarmArn }))).dedupKey;
    expect(first).toMatch(/^cloudwatch:sha256:[0-9a-f]{64}$/);
    const again = accept(
      envelope(alarmWith({ AlarmName, AlarmArn, NewStateValue: "OK" })),
    ).dedupKey;
    expect(again).toBe(first);
    const other = accept(envelope(alarmWith({ AlarmName, AlarmArn: `${AlarmArn}x` }))).dedupKey;
    expect(other).not.toBe(first);
  });

  it("keeps a key of exactly 255 characters", () => {
    const prefix = "cloudwatch:arn:aws:cloudwatch:us-east-1:123456789012:alarm:";
    const AlarmArn = `${prefix.slice("cloudwatch:".length)}${"😀".repeat(255 - prefix.length)}`;
    const key = accept(envelope(alarmWith({ AlarmArn }))).dedupKey;
    expect(kit.charLength(key)).toBe(255);
    expect(key).toBe(`cloudwatch:${AlarmArn}`);
  });
});

describe("normalizeCloudWatch: title, description, source URL", () => {
  it("builds the title from state, name and region when Subject is absent or blank", () => {
    for (const Subject of [undefined, null, "", "  "]) {
      expect(accept(envelope(baseAlarm, { Subject })).title).toBe(
        'ALARM: "checkout-api-5xx-count" in US East (N. Virginia)',
      );
    }
    const alarm = alarmWith({ NewStateValue: "OK", Region: null });
    expect(accept(envelope(alarm, { Subject: undefined })).title).toBe(
      'OK: "checkout-api-5xx-count" in us-east-1',
    );
  });

  it("names the alarm from its ARN when AlarmName is missing, colons included", () => {
    const alarm = alarmWith({
      AlarmName: null,
      AlarmArn: "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:team:checkout latency",
    });
    const alert = accept(envelope(alarm, { Subject: undefined }));
    expect(alert.title).toBe('ALARM: "team:checkout latency" in US East (N. Virginia)');
    expect(alert.sourceUrl).toBe(
      "https://eu-west-2.console.aws.amazon.com/cloudwatch/home?region=eu-west-2#alarmsV2:alarm/team%3Acheckout%20latency",
    );
    expect(alert.metadata.alarm_name).toBe("team:checkout latency");
  });

  it("truncates an over-long title to 500 characters with the marker", () => {
    const alert = accept(envelope(baseAlarm, { Subject: "😀".repeat(600) }));
    harness.expectTruncated(alert.title, kit.TITLE_MAX_CHARS);
  });

  it("truncates an over-long description to 5000 characters with the marker", () => {
    const alert = accept(envelope(alarmWith({ NewStateReason: "😀".repeat(6000) })));
    expect(kit.charLength(alert.description)).toBe(kit.DESCRIPTION_MAX_CHARS);
    expect(alert.description).toBe(
      "😀".repeat(kit.DESCRIPTION_MAX_CHARS - kit.charLength(kit.TRUNCATION_MARKER)) +
        kit.TRUNCATION_MARKER,
    );
  });

  it("joins reason and description, leaving out whichever is missing", () => {
    const only = (fields: Record<string, unknown>) =>
      accept(envelope(alarmWith(fields))).description;
    expect(only({ NewStateReason: "why", AlarmDescription: "what" })).toBe("why\nwhat");
    expect(only({ NewStateReason: null, AlarmDescription: "what" })).toBe("what");
    expect(only({ NewStateReason: "why", AlarmDescription: "" })).toBe("why");
    expect(only({ NewStateReason: null, AlarmDescription: null })).toBe("");
  });

  it.each([
    [
      "cn-north-1",
      "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/a",
    ],
    [
      "us-gov-west-1",
      "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#alarmsV2:alarm/a",
    ],
    ["us-iso-east-1", ""],
    ["eu-isoe-west-1", ""],
  ])("links region %s to its partition's console", (region, url) => {
    const alarm = alarmWith({
      AlarmName: "a",
      AlarmArn: `arn:aws:cloudwatch:${region}:123456789012:alarm:a`,
    });
    expect(accept(envelope(alarm)).sourceUrl).toBe(url);
  });

  it("takes the region code from Region when there is no ARN and Region is a code", () => {
    const alarm = alarmWith({ AlarmArn: null, Region: "ap-southeast-2" });
    expect(accept(envelope(alarm)).sourceUrl).toBe(
      "https://ap-southeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-southeast-2#alarmsV2:alarm/checkout-api-5xx-count",
    );
  });

  it("gives no link for a long region name, a foreign ARN, or no name", () => {
    expect(accept(envelope(alarmWith({ AlarmArn: null }))).sourceUrl).toBe("");
    const foreign = alarmWith({ AlarmArn: "arn:aws:sns:us-east-1:123456789012:topic" });
    expect(accept(envelope(foreign)).sourceUrl).toBe("");
    const hostile = alarmWith({ AlarmArn: "arn:aws:cloudwatch:evil.example/x:1:alarm:a" });
    expect(accept(envelope(hostile)).sourceUrl).toBe("");
    const nameless = alarmWith({ AlarmName: null, AlarmArn: null, Region: "us-east-1" });
    expect(accept(envelope(nameless)).sourceUrl).toBe("");
  });
});

describe("normalizeCloudWatch: occurTime", () => {
  it.each([
    ["2026-11-27T11:58:30.123+0000", "2026-11-27T11:58:30.123Z"],
    ["2026-11-27T11:58:30.123Z", "2026-11-27T11:58:30.123Z"],
    ["2026-11-27T17:28:30+0530", "2026-11-27T11:58:30.000Z"],
    ["2026-11-27T06:58:30.1-05:00", "2026-11-27T11:58:30.100Z"],
    ["2026-11-27T11:58:30.123456789+0000", "2026-11-27T11:58:30.123Z"],
    ["2024-02-29T00:00:00.000+0000", "2024-02-29T00:00:00.000Z"],
  ])("parses StateChangeTime %s", (StateChangeTime, expected) => {
    expect(harness.occurredAt(accept(envelope(alarmWith({ StateChangeTime }))))).toBe(expected);
  });

  it.each([
    "2026-02-30T00:00:00.000+0000",
    "2026-11-27T24:00:00.000+0000",
    "2026-11-27 11:58:30",
    "yesterday",
    1795780800000,
    null,
  ])("falls back to the envelope Timestamp for StateChangeTime %j", (StateChangeTime) => {
    const alarm = alarmWith({ StateChangeTime });
    expect(
      harness.occurredAt(accept(envelope(alarm, { Timestamp: "2026-11-27T11:58:31.000Z" }))),
    ).toBe("2026-11-27T11:58:31.000Z");
  });

  it("falls back to the receive time when neither time is usable", () => {
    const alarm = alarmWith({ StateChangeTime: "soon" });
    expect(harness.occurredAt(accept(envelope(alarm, { Timestamp: null })))).toBe(
      DEFAULT_RECEIVE_TIME,
    );
  });
});

describe("normalizeCloudWatch: missing, null and odd fields", () => {
  it("normalizes an alarm holding nothing but its state", () => {
    const alert = accept({ Type: "Notification", Message: '{"NewStateValue":"ALARM"}' });
    expect(alert).toMatchObject({
      action: AlertAction.TRIGGER,
      status: IncidentStatus.NEW,
      severity: Severity.SEV2,
      title: 'ALARM: "unnamed alarm"',
      description: "",
      serviceId: "SER-00001",
      sourceUrl: "",
      dedupKey: "",
      metadata: { metric_name: "composite", new_state: "ALARM" },
      truncatedAlerts: 0,
    });
    expect(harness.occurredAt(alert)).toBe(DEFAULT_RECEIVE_TIME);
  });

  it("treats every optional field sent as null as absent", () => {
    const nulls = Object.fromEntries(Object.keys(baseAlarm).map((key) => [key, null]));
    const alarm = { ...nulls, NewStateValue: "OK" };
    const alert = accept(envelope(alarm, { Subject: null, TopicArn: null, Timestamp: null }));
    expect(alert).toMatchObject({
      action: AlertAction.RESOLVE,
      title: 'OK: "unnamed alarm"',
      dedupKey: "",
      metadata: { metric_name: "composite", new_state: "OK" },
    });
  });

  it("tolerates wrongly typed optional fields without crashing", () => {
    const alarm = alarmWith({
      AlarmName: 5,
      AlarmDescription: ["severity=SEV0"],
      Region: {},
      Trigger: { MetricName: 1, Namespace: [], Dimensions: "InstanceId=i-1", Threshold: {} },
    });
    const alert = accept(envelope(alarm, { Subject: 3 }));
    expect(alert.severity).toBe(Severity.SEV2);
    expect(alert.title).toBe('ALARM: "checkout-api-5xx-count" in us-east-1');
    expect(alert.metadata).not.toHaveProperty("dimensions");
    expect(alert.metadata).not.toHaveProperty("threshold");
  });

  it("reads dimensions in the API's and EventBridge's shapes too", () => {
    const withDimensions = (Dimensions: unknown) =>
      accept(envelope(alarmWith({ Trigger: { MetricName: "CPU", Dimensions } }))).metadata
        .dimensions;
    expect(withDimensions([{ Name: "InstanceId", Value: "i-1" }, { name: "AZ" }, 7])).toBe(
      "InstanceId=i-1",
    );
    expect(withDimensions({ InstanceId: "i-1", Port: 443 })).toBe("InstanceId=i-1,Port=443");
    expect(withDimensions([])).toBeUndefined();
  });

  it("tolerates metric-math queries of any shape", () => {
    const alarm = alarmWith({
      Trigger: { Metrics: [null, 3, { Id: "m1", MetricStat: "x" }, { Expression: "m1 * 2" }] },
    });
    expect(accept(envelope(alarm)).metadata).toMatchObject({
      metric_name: "metric-math",
      expression: "m1 * 2",
    });
  });

  it("truncates a long metadata value such as a composite rule", () => {
    const AlarmRule = Array.from({ length: 200 }, (_, i) => `ALARM("child-${i}")`).join(" OR ");
    const alarm = { ...alarmWith({ AlarmRule }), Trigger: undefined };
    const rule = accept(envelope(alarm)).metadata.alarm_rule!;
    harness.expectTruncated(rule, kit.METADATA_VALUE_MAX_CHARS);
  });

  it("ignores a __proto__ key in the alarm", () => {
    const message = JSON.stringify(baseAlarm).replace("{", '{"__proto__":{"AlarmName":"x"},');
    const alert = accept(envelope(message));
    expect(alert.metadata.alarm_name).toBe("checkout-api-5xx-count");
    expect(Object.getPrototypeOf(alert.metadata)).toBe(Object.prototype);
  });
});
