/**
 * Every native provider's fixtures through its normalizer, in one suite.
 * A fixture is a payload in the provider's real shape (written by us) and
 * the alerts it must produce, field by field. Adding a provider means adding
 * a row to `providers` and a fixtures folder.
 */
import { normalizeCloudWatch } from "@runframe/normalizers-cloudwatch";
import { normalizeDatadog } from "@runframe/normalizers-datadog";
import { normalizePrometheus } from "@runframe/normalizers-prometheus";
import { normalizeSentry } from "@runframe/normalizers-sentry";
import type { Normalize } from "@runframe/util";
import { fixtureInput, plainAlert, type AlertFixture } from "@runframe/normalizers-kit/testing";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const providers: Record<string, Normalize> = {
  prometheus: normalizePrometheus,
  datadog: normalizeDatadog,
  sentry: normalizeSentry,
  cloudwatch: normalizeCloudWatch,
};

const root = join(import.meta.dirname, "../../libs/normalizers");

const cases = Object.keys(providers).flatMap((provider) => {
  const dir = join(root, provider, "src/fixtures");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((file) => ({
      provider,
      file,
      fixture: JSON.parse(readFileSync(join(dir, file), "utf8")) as AlertFixture,
    }));
});

describe("native provider fixtures", () => {
  it("has fixtures for every provider", () => {
    for (const provider of Object.keys(providers)) {
      expect(cases.filter((c) => c.provider === provider).length).toBeGreaterThanOrEqual(5);
    }
  });

  it.each(cases)("$provider / $file", ({ provider, fixture }) => {
    expect(providers[provider]!(fixtureInput(fixture)).map(plainAlert)).toEqual(fixture.expected);
  });
});
