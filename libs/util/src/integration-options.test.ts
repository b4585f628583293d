import { create } from "@bufbuild/protobuf";
import {
  InsufficientDataAction,
  IntegrationOptionsSchema,
  IntegrationType,
  Severity,
  type IntegrationOptions,
} from "@runframe/contracts";
import { PROVIDERS } from "@runframe/providers";
import { describe, expect, it } from "vitest";
import {
  OPTION_LIMITS,
  checkIntegrationOptions,
  normalizeOptions,
  severityKey,
} from "./integration-options.js";

const options = (init: Parameters<typeof create<typeof IntegrationOptionsSchema>>[1]) =>
  create(IntegrationOptionsSchema, init);
const fields = (type: IntegrationType, o: IntegrationOptions) =>
  checkIntegrationOptions(type, o, "options").map((v) => `${v.field}: ${v.description}`);

describe("integration options", () => {
  it("accept the defaults for every provider", () => {
    for (const p of PROVIDERS) {
      expect(fields(p.type, options({})), p.name).toEqual([]);
    }
  });

  it("redrive throttled deliveries by default only for senders that never retry a 429", () => {
    const on = PROVIDERS.filter((p) => normalizeOptions(p.type, undefined).redriveThrottled);
    expect(on.map((p) => p.name).sort()).toEqual(["datadog", "prometheus"]);
    expect(
      normalizeOptions(IntegrationType.DATADOG, options({ redriveThrottled: false }))
        .redriveThrottled,
    ).toBe(false);
  });

  it("fold severity-override keys the way they are matched", () => {
    expect(severityKey("  Critical ")).toBe("critical");
    const normal = normalizeOptions(
      IntegrationType.SENTRY,
      options({ severityOverrides: { " FATAL": Severity.SEV0 } }),
    );
    expect(normal.severityOverrides).toEqual({ fatal: Severity.SEV0 });
  });

  it("accept the bounds and refuse one past them", () => {
    const [minutes, maxMinutes] = OPTION_LIMITS.autoResolveMinutes;
    const [interval] = OPTION_LIMITS.heartbeatIntervalSeconds;
    const ok = options({
      autoResolve: { afterMinutes: maxMinutes },
      flapping: { threshold: 2, windowMinutes: 1440 },
      heartbeat: { intervalSeconds: interval, graceSeconds: 0, severity: Severity.SEV0 },
    });
    expect(fields(IntegrationType.CUSTOM, ok)).toEqual([]);
    expect(
      fields(
        IntegrationType.CUSTOM,
        options({
          autoResolve: { afterMinutes: minutes - 1 },
          heartbeat: { intervalSeconds: interval - 1, severity: 99 as Severity },
        }),
      ),
    ).toEqual([
      "options.auto_resolve.after_minutes: must be from 1 to 43200, got 0",
      "options.heartbeat.interval_seconds: must be from 10 to 86400, got 9",
      "options.heartbeat.severity: must be SEV0 to SEV4",
    ]);
  });

  it("keep provider-specific options to their provider, and unknown enum values out", () => {
    const cw = options({ cloudwatchInsufficientData: InsufficientDataAction.IGNORE });
    expect(fields(IntegrationType.CLOUDWATCH, cw)).toEqual([]);
    expect(fields(IntegrationType.PROMETHEUS, cw)).toEqual([
      "options.cloudwatch_insufficient_data: applies only to CloudWatch integrations",
    ]);
    expect(
      fields(
        IntegrationType.CLOUDWATCH,
        options({ cloudwatchInsufficientData: 7 as InsufficientDataAction }),
      ),
    ).toEqual(["options.cloudwatch_insufficient_data: must be TRIGGER, RESOLVE or IGNORE"]);
  });

  it("refuse blank, long, clashing and too many severity keys", () => {
    const many = Object.fromEntries(
      Array.from({ length: OPTION_LIMITS.severityOverrides + 1 }, (_, i) => [
        `v${i}`,
        Severity.SEV1,
      ]),
    );
    expect(fields(IntegrationType.DATADOG, options({ severityOverrides: many }))).toEqual([
      "options.severity_overrides: must have at most 50 entries, got 51",
    ]);
    expect(
      fields(
        IntegrationType.DATADOG,
        options({
          severityOverrides: {
            " ": Severity.SEV1,
            ["x".repeat(101)]: Severity.SEV1,
            P1: Severity.SEV1,
            p1: Severity.SEV2,
          },
        }),
      ),
    ).toEqual([
      "options.severity_overrides: keys must not be blank",
      "options.severity_overrides: keys must be at most 100 characters",
      'options.severity_overrides.p1: is the same key as "P1" (keys ignore case)',
    ]);
  });
});
