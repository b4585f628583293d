/**
 * Every provider's fixtures through its normalizer, in one suite: one
 * normalizer per row of the provider registry (libs/providers), checked by
 * the type of `normalizers` and by the first test. A fixture is a payload in
 * the provider's real shape (written by us) and the alerts it must produce,
 * field by field. Adding a provider means adding its normalizer here and a
 * fixtures folder (docs/providers/README.md has the whole checklist).
 */
import { normalizeCloudWatch } from "@runframe/normalizers-cloudwatch";
import { normalizeCustom } from "@runframe/normalizers-custom";
import { normalizeDatadog } from "@runframe/normalizers-datadog";
import { createPagerDutyNormalizer } from "@runframe/normalizers-pagerduty";
import { normalizePrometheus } from "@runframe/normalizers-prometheus";
import { normalizeSentry } from "@runframe/normalizers-sentry";
import { PROVIDERS, provider, type ProviderName } from "@runframe/providers";
import type { Normalize } from "@runframe/util";
import { fixtureInput, plainAlert, type AlertFixture } from "@runframe/normalizers-kit/testing";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const normalizers: Record<ProviderName, Normalize> = {
  custom: normalizeCustom,
  datadog: normalizeDatadog,
  sentry: normalizeSentry,
  prometheus: normalizePrometheus,
  cloudwatch: normalizeCloudWatch,
  // A trigger without a dedup_key gets a random key; the fixtures expect this one.
  pagerduty: createPagerDutyNormalizer({ newDedupKey: () => "generated-dedup-key" }),
};

const root = join(import.meta.dirname, "../../libs/normalizers");

const cases = PROVIDERS.flatMap(({ name }) => {
  const dir = join(root, name, "src/fixtures");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((file) => ({
      provider: name,
      file,
      fixture: JSON.parse(readFileSync(join(dir, file), "utf8")) as AlertFixture,
    }));
});

describe("provider fixtures", () => {
  it("has a normalizer for every provider of the registry, and no other", () => {
    expect(Object.keys(normalizers).sort()).toEqual(PROVIDERS.map((p) => p.name).sort());
  });

  it("has fixtures for every provider", () => {
    for (const name of Object.keys(normalizers)) {
      expect(cases.filter((c) => c.provider === name).length, name).toBeGreaterThanOrEqual(5);
    }
  });

  it("derives dedup keys in the provider's namespace of the registry", () => {
    let keyed = 0;
    for (const { provider: name, file, fixture } of cases) {
      const namespace = provider(name).dedupNamespace;
      for (const alert of fixture.expected as { dedupKey?: string }[]) {
        if (namespace !== undefined && alert.dedupKey) {
          expect(alert.dedupKey, `${name}/${file}`).toMatch(new RegExp(`^${namespace}:`));
          keyed++;
        }
      }
    }
    expect(keyed).toBeGreaterThanOrEqual(PROVIDERS.length - 1);
  });

  it.each(cases)("$provider / $file", ({ provider: name, fixture }) => {
    expect(normalizers[name](fixtureInput(fixture)).map(plainAlert)).toEqual(fixture.expected);
  });
});
