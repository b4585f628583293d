/**
 * Every native provider's fixtures through its normalizer, in one suite.
 * A fixture is a payload in the provider's real shape (written by us) and
 * the alerts it must produce, field by field. Adding a provider means adding
 * a row to `providers` and a fixtures folder.
 */
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
import { normalizeCloudWatch } from "@runframe/normalizers-cloudwatch";
import { normalizeDatadog } from "@runframe/normalizers-datadog";
import { normalizePrometheus } from "@runframe/normalizers-prometheus";
import { normalizeSentry } from "@runframe/normalizers-sentry";
import type { Normalize } from "@runframe/util";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const providers: Record<string, Normalize> = {
  prometheus: normalizePrometheus,
  datadog: normalizeDatadog,
  sentry: normalizeSentry,
  cloudwatch: normalizeCloudWatch,
};

interface Fixture {
  readonly description: string;
  readonly integration?: { readonly defaultServiceId?: string };
  readonly headers?: Record<string, string>;
  readonly receiveTime?: string;
  readonly body: unknown;
  readonly expected: unknown[];
}

const root = join(import.meta.dirname, "../../libs/normalizers");

const cases = Object.keys(providers).flatMap((provider) => {
  const dir = join(root, provider, "src/fixtures");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((file) => ({
      provider,
      file,
      fixture: JSON.parse(readFileSync(join(dir, file), "utf8")) as Fixture,
    }));
});

describe("native provider fixtures", () => {
  it("has fixtures for every provider", () => {
    for (const provider of Object.keys(providers)) {
      expect(cases.filter((c) => c.provider === provider).length).toBeGreaterThanOrEqual(5);
    }
  });

  it.each(cases)("$provider / $file", ({ provider, fixture }) => {
    const body = typeof fixture.body === "string" ? fixture.body : JSON.stringify(fixture.body);
    const alerts = providers[provider]!({
      integration: create(IntegrationSchema, {
        defaultServiceId: fixture.integration?.defaultServiceId ?? "SER-00001",
      }),
      headers: Object.entries(fixture.headers ?? {}).map(([name, value]) =>
        create(HeaderSchema, { name, value }),
      ),
      body: new TextEncoder().encode(body),
      receiveTime: new Date(fixture.receiveTime ?? "2026-11-27T12:00:00.000Z"),
    });
    expect(alerts.map(plain)).toEqual(fixture.expected);
  });
});

/** A normalized alert in the fixtures' plain JSON vocabulary. */
function plain(alert: NormalizedAlert): Record<string, unknown> {
  return {
    action: alert.action === AlertAction.RESOLVE ? "resolve" : "trigger",
    status: IncidentStatus[alert.status].toLowerCase(),
    severity: Severity[alert.severity],
    title: alert.title,
    description: alert.description,
    serviceId: alert.serviceId,
    sourceUrl: alert.sourceUrl,
    dedupKey: alert.dedupKey,
    metadata: { ...alert.metadata },
    occurTime: alert.occurTime ? timestampDate(alert.occurTime).toISOString() : null,
    truncatedAlerts: alert.truncatedAlerts,
  };
}
