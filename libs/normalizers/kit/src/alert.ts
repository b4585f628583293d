import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  IncidentStatus,
  NormalizedAlertSchema,
  Severity,
  type Integration,
  type NormalizedAlert,
} from "@runframe/contracts";
import { severityKey } from "@runframe/util";
import { dedupKey } from "./keys.js";
import { DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS } from "./limits.js";
import { isHttpUrl } from "./links.js";
import { buildMetadata } from "./metadata.js";
import { truncate } from "./text.js";

/** The public severity names, most severe first. */
export type SeverityName = "SEV0" | "SEV1" | "SEV2" | "SEV3" | "SEV4";

/**
 * Severities by their public names, `SEV0`…`SEV4`, in order: how the custom
 * schema's `severity` and the providers' `severity=SEVn` tokens write them.
 */
export const SEVERITY_BY_NAME: ReadonlyMap<string, Severity> = new Map(
  (["SEV0", "SEV1", "SEV2", "SEV3", "SEV4"] as const).map((name) => [name, Severity[name]]),
);

/**
 * A provider's severity table, written the way its documentation reads:
 * which of the provider's values mean each severity, e.g.
 * `{ SEV1: ["fatal"], SEV4: ["info", "debug"] }`. Lookups are exact; a
 * provider that matches ignoring case lists lower-case values and lowers
 * what it looks up.
 */
export function severityTable(
  values: Partial<Readonly<Record<SeverityName, readonly string[]>>>,
): ReadonlyMap<string, Severity> {
  const table = new Map<string, Severity>();
  for (const [name, words] of Object.entries(values) as [SeverityName, readonly string[]][]) {
    for (const word of words) {
      table.set(word, Severity[name]);
    }
  }
  return table;
}

/**
 * The integration's own severity for a value of the provider's (its
 * `options.severity_overrides`, matched ignoring case and surrounding
 * spaces), or undefined when it has none for `value`. A normalizer asks this
 * before its own table, for each value its table reads.
 */
export function severityOverride(
  integration: Integration,
  value: string | undefined,
): Severity | undefined {
  const overrides = integration.options?.severityOverrides;
  const key = value === undefined ? "" : severityKey(value);
  // Own keys only: a map is a plain object, and `constructor` is a value too.
  return overrides !== undefined && Object.hasOwn(overrides, key) ? overrides[key] : undefined;
}

/** What a native normalizer read from a payload, before the shared rules apply. */
export interface NativeAlertDraft {
  readonly action: AlertAction;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly serviceId: string;
  /** Candidate links, preferred first; the first that {@link isHttpUrl} accepts is kept. */
  readonly links: readonly unknown[];
  /**
   * The provider's dedup-key namespace (`datadog`, `alertmanager`, …), or
   * undefined for a sender's own key, used as sent (the provider registry's
   * `dedupNamespace`): its normalizer refuses one over the limit, as the
   * sender's API publishes it.
   */
  readonly namespace: string | undefined;
  /** What identifies the alert within the namespace; see {@link dedupKey}. */
  readonly naturalKey: string | undefined;
  /** Candidate metadata pairs, most useful first; see {@link buildMetadata}. */
  readonly metadata: Iterable<readonly [string, string | undefined]>;
  readonly occurTime: Date;
  /** Alerts the sender left out of this delivery; 0 when absent. */
  readonly truncatedAlerts?: number;
}

/**
 * The normalized alert of a native payload, with every rule the native
 * normalizers share applied in one place:
 * - title and description cut to the published limits with the marker,
 *   never refused (the sender cannot change a native payload);
 * - the status follows the action: a resolve is `resolved`, anything else `new`;
 * - the first usable link, a namespaced dedup key (hashed when too long) and
 *   bounded metadata.
 */
export function nativeAlert(draft: NativeAlertDraft): NormalizedAlert {
  const resolve = draft.action === AlertAction.RESOLVE;
  return create(NormalizedAlertSchema, {
    action: draft.action,
    title: truncate(draft.title, TITLE_MAX_CHARS),
    description: truncate(draft.description, DESCRIPTION_MAX_CHARS),
    severity: draft.severity,
    status: resolve ? IncidentStatus.RESOLVED : IncidentStatus.NEW,
    serviceId: draft.serviceId,
    sourceUrl: draft.links.find(isHttpUrl) ?? "",
    dedupKey:
      draft.namespace === undefined
        ? (draft.naturalKey ?? "")
        : dedupKey(draft.namespace, draft.naturalKey),
    metadata: buildMetadata(draft.metadata),
    occurTime: timestampFromDate(draft.occurTime),
    truncatedAlerts: draft.truncatedAlerts ?? 0,
  });
}
