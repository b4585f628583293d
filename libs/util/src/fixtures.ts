import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  HeaderSchema,
  IncidentStatus,
  IntegrationSchema,
  Severity,
  type NormalizedAlert,
} from "@runframe/contracts";
import type { NormalizeInput } from "./normalizer.js";

/**
 * The fixture format every native provider's fixtures are written in: a
 * payload in the provider's real shape and the alerts it must produce, in
 * plain JSON terms. Used by each provider's own tests and by the one suite
 * that runs every provider's fixtures (tools/testing).
 */
export interface AlertFixture {
  readonly description: string;
  /** Defaults to `{ defaultServiceId: "SER-00001" }`. */
  readonly integration?: { readonly defaultServiceId?: string };
  readonly headers?: Readonly<Record<string, string>>;
  /** Defaults to {@link DEFAULT_FIXTURE_RECEIVE_TIME}. */
  readonly receiveTime?: string;
  /** A string is sent as is; anything else as its JSON. */
  readonly body: unknown;
  readonly expected: readonly unknown[];
}

export const DEFAULT_FIXTURE_RECEIVE_TIME = "2026-11-27T12:00:00.000Z";

/** What a normalizer receives for `fixture`. */
export function fixtureInput(fixture: AlertFixture): NormalizeInput {
  const body = typeof fixture.body === "string" ? fixture.body : JSON.stringify(fixture.body);
  return {
    integration: create(IntegrationSchema, {
      defaultServiceId: fixture.integration?.defaultServiceId ?? "SER-00001",
    }),
    headers: Object.entries(fixture.headers ?? {}).map(([name, value]) =>
      create(HeaderSchema, { name, value }),
    ),
    body: new TextEncoder().encode(body),
    receiveTime: new Date(fixture.receiveTime ?? DEFAULT_FIXTURE_RECEIVE_TIME),
  };
}

/** An alert in the fixtures' plain JSON terms: enum names, ISO time, every field listed. */
export function plainAlert(alert: NormalizedAlert): Record<string, unknown> {
  return {
    action: AlertAction[alert.action].toLowerCase(),
    status: IncidentStatus[alert.status].toLowerCase(),
    severity: Severity[alert.severity],
    title: alert.title,
    description: alert.description,
    serviceId: alert.serviceId,
    sourceUrl: alert.sourceUrl,
    dedupKey: alert.dedupKey,
    metadata: { ...alert.metadata },
    occurTime:
      alert.occurTime === undefined ? undefined : timestampDate(alert.occurTime).toISOString(),
    truncatedAlerts: alert.truncatedAlerts,
  };
}
