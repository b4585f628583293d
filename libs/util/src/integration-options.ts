import { create } from "@bufbuild/protobuf";
import {
  AlertGrouping,
  InsufficientDataAction,
  IntegrationOptionsSchema,
  IntegrationType,
  Severity,
  type IntegrationOptions,
} from "@runframe/contracts";
import { providerOf } from "@runframe/providers";
import type { Violation } from "./errors.js";

/**
 * Per-integration options (runframe.common.v1.IntegrationOptions): the one
 * validation and the one normal form, shared by IntegrationService (auth)
 * and the provisioning file, so both refuse the same values with the same
 * words. The proto comments are the reference for what each option means.
 */

/** The bounds the proto comments publish. */
export const OPTION_LIMITS = {
  severityOverrides: 50,
  severityKeyChars: 100,
  autoResolveMinutes: [1, 43_200],
  flappingThreshold: [2, 100],
  flappingWindowMinutes: [1, 1440],
  heartbeatIntervalSeconds: [10, 86_400],
  heartbeatGraceSeconds: [0, 86_400],
} as const;

/** How severity-override keys are matched: ignoring case and surrounding spaces. */
export function severityKey(value: string): string {
  return value.trim().toLowerCase();
}

/** Whether an integration of `type` redrives throttled deliveries unless told otherwise. */
export function redrivesThrottledByDefault(type: IntegrationType): boolean {
  return providerOf(type)?.redriveThrottledByDefault ?? false;
}

/**
 * `options` as stored and answered: severity-override keys folded the way
 * they are matched, and `redrive_throttled` resolved to the value in force
 * for `type`. Undefined options are the defaults. Call it on options that
 * passed {@link checkIntegrationOptions}.
 */
export function normalizeOptions(
  type: IntegrationType,
  options: IntegrationOptions | undefined,
): IntegrationOptions {
  const given = options ?? create(IntegrationOptionsSchema);
  return create(IntegrationOptionsSchema, {
    ...given,
    severityOverrides: Object.fromEntries(
      Object.entries(given.severityOverrides).map(([key, severity]) => [
        severityKey(key),
        severity,
      ]),
    ),
    redriveThrottled: given.redriveThrottled ?? redrivesThrottledByDefault(type),
  });
}

/**
 * Every problem with `options` for an integration of `type`, each named by
 * its path under `prefix` (`options.heartbeat.interval_seconds`).
 */
export function checkIntegrationOptions(
  type: IntegrationType,
  options: IntegrationOptions,
  prefix: string,
): Violation[] {
  const v: Violation[] = [];
  const add = (field: string, description: string) =>
    v.push({ field: `${prefix}.${field}`, description });
  const range = (field: string, value: number, [min, max]: readonly [number, number]) => {
    if (value < min || value > max) {
      add(field, `must be from ${min} to ${max}, got ${value}`);
    }
  };

  if (options.cloudwatchInsufficientData !== InsufficientDataAction.UNSPECIFIED) {
    if (InsufficientDataAction[options.cloudwatchInsufficientData] === undefined) {
      add("cloudwatch_insufficient_data", "must be TRIGGER, RESOLVE or IGNORE");
    } else if (type !== IntegrationType.CLOUDWATCH) {
      add("cloudwatch_insufficient_data", "applies only to CloudWatch integrations");
    }
  }
  if (options.alertGrouping !== AlertGrouping.UNSPECIFIED) {
    if (AlertGrouping[options.alertGrouping] === undefined) {
      add("alert_grouping", "must be ALERT or GROUP");
    } else if (type !== IntegrationType.PROMETHEUS) {
      add("alert_grouping", "applies only to Prometheus Alertmanager integrations");
    }
  }
  checkSeverityOverrides(type, options.severityOverrides, add);
  if (options.autoResolve !== undefined) {
    range(
      "auto_resolve.after_minutes",
      options.autoResolve.afterMinutes,
      OPTION_LIMITS.autoResolveMinutes,
    );
  }
  if (options.flapping !== undefined) {
    range("flapping.threshold", options.flapping.threshold, OPTION_LIMITS.flappingThreshold);
    range(
      "flapping.window_minutes",
      options.flapping.windowMinutes,
      OPTION_LIMITS.flappingWindowMinutes,
    );
  }
  if (options.heartbeat !== undefined) {
    const { intervalSeconds, graceSeconds, severity } = options.heartbeat;
    range("heartbeat.interval_seconds", intervalSeconds, OPTION_LIMITS.heartbeatIntervalSeconds);
    range("heartbeat.grace_seconds", graceSeconds, OPTION_LIMITS.heartbeatGraceSeconds);
    if (severity !== Severity.UNSPECIFIED && !isSev(severity)) {
      add("heartbeat.severity", "must be SEV0 to SEV4");
    }
  }
  return v;
}

function checkSeverityOverrides(
  type: IntegrationType,
  overrides: Readonly<Record<string, Severity>>,
  add: (field: string, description: string) => void,
): void {
  const entries = Object.entries(overrides);
  if (entries.length === 0) {
    return;
  }
  if (type === IntegrationType.CUSTOM) {
    add("severity_overrides", "applies only to native providers: custom webhooks name a SEVn");
    return;
  }
  if (entries.length > OPTION_LIMITS.severityOverrides) {
    add(
      "severity_overrides",
      `must have at most ${OPTION_LIMITS.severityOverrides} entries, got ${entries.length}`,
    );
  }
  const seen = new Map<string, string>();
  for (const [key, severity] of entries) {
    const folded = severityKey(key);
    const path = `severity_overrides.${key}`;
    if (folded === "") {
      add("severity_overrides", "keys must not be blank");
    } else if ([...folded].length > OPTION_LIMITS.severityKeyChars) {
      add(
        "severity_overrides",
        `keys must be at most ${OPTION_LIMITS.severityKeyChars} characters`,
      );
    } else if (seen.has(folded)) {
      add(path, `is the same key as ${JSON.stringify(seen.get(folded))} (keys ignore case)`);
    }
    seen.set(folded, key);
    if (!isSev(severity)) {
      add(path, "must be SEV0 to SEV4");
    }
  }
}

function isSev(severity: Severity): boolean {
  return severity >= Severity.SEV0 && severity <= Severity.SEV4;
}
