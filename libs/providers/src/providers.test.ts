import { IntegrationType, IntegrationTypeSchema } from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import {
  COMMON_FORWARDED_HEADERS,
  FORWARDED_HEADERS,
  PROVIDERS,
  providerNamed,
  providerOf,
  takesSigningSecret,
  takesSnsTopics,
} from "./providers.js";

describe("the provider registry", () => {
  it("has a row for every IntegrationType of the proto, and none for anything else", () => {
    const values = IntegrationTypeSchema.values.filter((v) => v.number !== 0);
    for (const value of values) {
      const row = providerOf(value.number);
      expect(row, `${value.name} has no row in PROVIDERS`).toBeDefined();
      expect(`INTEGRATION_TYPE_${row!.name.toUpperCase()}`).toBe(value.name);
    }
    expect(PROVIDERS.map((p) => p.type).sort()).toEqual(values.map((v) => v.number).sort());
    expect(providerOf(IntegrationType.UNSPECIFIED)).toBeUndefined();
  });

  it("names each provider once, in lower case, with its own port", () => {
    const names = PROVIDERS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of PROVIDERS) {
      expect(p.name).toMatch(/^[a-z][a-z0-9]*$/);
      expect(providerNamed(p.name)).toBe(p);
      expect(p.app).toBe(`normalizer-${p.name}`);
      expect(p.urlSetting).toBe(`RUNFRAME_NORMALIZER_${p.name.toUpperCase()}_URL`);
      expect(p.docs).toBe(`docs/providers/${p.name}.md`);
    }
    const ports = PROVIDERS.map((p) => p.defaultPort);
    expect(new Set(ports).size).toBe(ports.length);
    expect(providerNamed("alertmanager")).toBeUndefined();
  });

  it("keeps the dedup-key namespaces stored incidents were keyed with", () => {
    // Open incidents are found by these prefixes: changing one would open a
    // duplicate of every open incident of that provider after an upgrade.
    expect(Object.fromEntries(PROVIDERS.map((p) => [p.name, p.dedupNamespace]))).toEqual({
      custom: undefined,
      datadog: "datadog",
      sentry: "sentry",
      prometheus: "alertmanager",
      cloudwatch: "cloudwatch",
    });
  });

  it("forwards lower-case headers, each read by one provider", () => {
    const perProvider = PROVIDERS.flatMap((p) => p.forwardedHeaders);
    expect(new Set(perProvider).size).toBe(perProvider.length);
    for (const header of [...COMMON_FORWARDED_HEADERS, ...perProvider]) {
      expect(header).toBe(header.toLowerCase());
      expect(FORWARDED_HEADERS.has(header)).toBe(true);
    }
    expect(FORWARDED_HEADERS.size).toBe(COMMON_FORWARDED_HEADERS.length + perProvider.length);
  });

  it("says which integrations take a signing secret and which SNS topics", () => {
    const signed = PROVIDERS.filter((p) => takesSigningSecret(p.type)).map((p) => p.name);
    const sns = PROVIDERS.filter((p) => takesSnsTopics(p.type)).map((p) => p.name);
    expect(signed).toEqual(["custom", "sentry"]);
    expect(sns).toEqual(["cloudwatch"]);
    expect(takesSigningSecret(IntegrationType.UNSPECIFIED)).toBe(false);
  });
});
