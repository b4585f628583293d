/**
 * Test support for normalizers, in one place: the fixture format every
 * provider's fixtures are written in (used by each provider's tests and by
 * the suite that runs every provider's fixtures, in tools/testing), the
 * harness each provider's unit tests drive their normalizer with, and the
 * tables of refusals every provider makes in the kit's one wording.
 *
 * Only tests import this module (as a namespace, `harness`, beside the
 * kit's `kit`): it asserts with vitest's `expect`.
 */

import {
  create,
  fromBinary,
  fromJson,
  toBinary,
  type JsonValue,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  HeaderSchema,
  IncidentStatus,
  IntegrationOptionsSchema,
  IntegrationSchema,
  NormalizedAlertSchema,
  Severity,
  type Header,
  type Integration,
  type IntegrationOptions,
  type NormalizedAlert,
} from "@runframe/contracts";
import {
  ValidationError,
  type Normalize,
  type NormalizeInput,
  type Violation,
} from "@runframe/util";
import { expect } from "vitest";
import { TRUNCATION_MARKER, charLength } from "./text.js";

/**
 * A fixture: a payload in the provider's real shape and the alerts it must
 * produce, in plain JSON terms.
 */
export interface AlertFixture {
  readonly description: string;
  /**
   * Defaults to `{ defaultServiceId: "SER-00001" }` and no options;
   * `options` is IntegrationOptions in proto JSON, as the API takes it.
   */
  readonly integration?: { readonly defaultServiceId?: string; readonly options?: JsonValue };
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
  return {
    integration: testIntegration(
      fixture.integration?.defaultServiceId ?? "SER-00001",
      fromJson(IntegrationOptionsSchema, fixture.integration?.options ?? {}),
    ),
    headers: headerList(fixture.headers),
    body: encodeBody(fixture.body),
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
    occurTime: alert.occurTime === undefined ? undefined : occurredAt(alert),
    truncatedAlerts: alert.truncatedAlerts,
  };
}

/**
 * Bodies every normalizer refuses on `body` before it reads a field, in the
 * one wording of `decodeJsonObject`: what each is, the body, the
 * description. Each provider's tests run them all.
 */
export const NON_OBJECT_BODIES: readonly (readonly [string, string, string])[] = [
  ["empty", "", "must not be empty"],
  ["blank", " \r\n\t", "must not be empty"],
  ["an array", "[]", "must be a JSON object, got an array"],
  ["a string", '"alert"', "must be a JSON object, got a string"],
  ["a number", "500", "must be a JSON object, got a number"],
  ["null", "null", "must be a JSON object, got null"],
];

/**
 * Values a required string field refuses, in the one wording of the kit's
 * `Violations.string`: what each is, the value, the description. A provider
 * adds the values its own field refuses.
 */
export const NOT_A_STRING: readonly (readonly [string, unknown, string])[] = [
  ["missing", undefined, "is required"],
  ["null", null, "is required"],
  ["a number", 1, "must be a string, got a number"],
];

/** A payload as a sender posts it: bytes as they are, text as is, anything else as its JSON. */
export function encodeBody(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) {
    return body;
  }
  return new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
}

/** An alert's `occurTime` as ISO 8601 text. */
export function occurredAt(alert: NormalizedAlert): string {
  if (alert.occurTime === undefined) {
    throw new Error("the alert has no occurTime");
  }
  return timestampDate(alert.occurTime).toISOString();
}

/** `alert` after a trip through the protobuf binary format, as it travels between services. */
export function roundTrip(alert: NormalizedAlert): NormalizedAlert {
  return fromBinary(NormalizedAlertSchema, toBinary(NormalizedAlertSchema, alert));
}

/** Asserts that `text` was cut to exactly `maxChars` code points, ending in the marker. */
export function expectTruncated(text: string, maxChars: number): void {
  expect(charLength(text)).toBe(maxChars);
  expect(text.endsWith(TRUNCATION_MARKER)).toBe(true);
}

/** The only alert of `alerts`, which must hold exactly one. */
export function onlyAlert(alerts: readonly NormalizedAlert[]): NormalizedAlert {
  expect(alerts).toHaveLength(1);
  return alerts[0]!;
}

/** What `normalize` throws, which must be a ValidationError: every violation. */
export function refusal(normalize: () => unknown): readonly Violation[] {
  let caught: unknown;
  try {
    normalize();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  return (caught as ValidationError).violations;
}

/** How one test delivery differs from the harness's defaults. */
export interface TestDelivery {
  /** Request headers by name (lower case, as the edge forwards them). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The integration's default service, instead of the harness's. */
  readonly defaultServiceId?: string;
  /** The integration's options, instead of the harness's. */
  readonly options?: MessageInitShape<typeof IntegrationOptionsSchema>;
}

/** The integration and receive time every delivery of a harness shares. */
export interface HarnessOptions {
  /** Defaults to `SER-00001`. */
  readonly defaultServiceId?: string;
  /** The integration's options; none by default. */
  readonly options?: MessageInitShape<typeof IntegrationOptionsSchema>;
  /** Defaults to {@link DEFAULT_FIXTURE_RECEIVE_TIME}. */
  readonly receiveTime?: Date;
}

/** One provider's normalizer, driven the way the edge drives it; its functions need no `this`. */
export interface NormalizerHarness {
  /** What the normalizer receives for `body`. */
  readonly input: (body: unknown, delivery?: TestDelivery) => NormalizeInput;
  /** Every alert a delivery gives. */
  readonly run: (body: unknown, delivery?: TestDelivery) => NormalizedAlert[];
  /** The alert of a delivery that must give exactly one. */
  readonly accept: (body: unknown, delivery?: TestDelivery) => NormalizedAlert;
  /** Every violation of a delivery that must be refused. */
  readonly refuse: (body: unknown, delivery?: TestDelivery) => readonly Violation[];
}

/** A harness for `normalize`. */
export function normalizerHarness(
  normalize: Normalize,
  options: HarnessOptions = {},
): NormalizerHarness {
  const defaultServiceId = options.defaultServiceId ?? "SER-00001";
  const receiveTime = options.receiveTime ?? new Date(DEFAULT_FIXTURE_RECEIVE_TIME);
  const input = (body: unknown, delivery: TestDelivery = {}): NormalizeInput => ({
    integration: testIntegration(
      delivery.defaultServiceId ?? defaultServiceId,
      create(IntegrationOptionsSchema, delivery.options ?? options.options ?? {}),
    ),
    headers: headerList(delivery.headers),
    body: encodeBody(body),
    receiveTime,
  });
  return {
    input,
    run: (body, delivery) => normalize(input(body, delivery)),
    accept: (body, delivery) => onlyAlert(normalize(input(body, delivery))),
    refuse: (body, delivery) => refusal(() => normalize(input(body, delivery))),
  };
}

/**
 * The integration a test delivery goes to. Normalizers read only its
 * default service and options; authentication, limits and the rest are the
 * auth service's business and already done.
 */
function testIntegration(defaultServiceId: string, options: IntegrationOptions): Integration {
  return create(IntegrationSchema, { defaultServiceId, options });
}

function headerList(headers: Readonly<Record<string, string>> = {}): Header[] {
  return Object.entries(headers).map(([name, value]) => create(HeaderSchema, { name, value }));
}
