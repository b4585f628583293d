import { create, fromBinary } from "@bufbuild/protobuf";
import {
  DeliveryEnvelopeSchema,
  DeliveryOutcome,
  IntegrationSchema,
  IntegrationType,
} from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import { inboxRecordOf } from "./deliveries.js";

/** Whether a throttled, verified delivery of this integration waits to be redriven. */
function redriven(type: IntegrationType, redriveThrottled?: boolean): boolean {
  const envelope = create(DeliveryEnvelopeSchema, {
    integration: {
      id: "int-1",
      type,
      ...(redriveThrottled !== undefined && { options: { redriveThrottled } }),
    },
    verified: true,
  });
  return inboxRecordOf(envelope, 60_000, {
    outcome: DeliveryOutcome.THROTTLED,
    status: 429,
    reason: "rate_limited",
    answer: "",
    fieldErrors: [],
  }).redrive;
}

describe("redrive of throttled deliveries", () => {
  it("follows the integration's redrive_throttled option", () => {
    expect(redriven(IntegrationType.PROMETHEUS, false)).toBe(false);
    expect(redriven(IntegrationType.CUSTOM, true)).toBe(true);
  });

  it("defaults to the provider's way when the integration carries no options", () => {
    expect(redriven(IntegrationType.PROMETHEUS)).toBe(true);
    expect(redriven(IntegrationType.DATADOG)).toBe(true);
    expect(redriven(IntegrationType.SENTRY)).toBe(false);
    expect(redriven(IntegrationType.PAGERDUTY)).toBe(false);
  });
});

describe("the integration snapshot of an inbox record", () => {
  const accepted = {
    outcome: DeliveryOutcome.ACCEPTED,
    status: 202,
    reason: "",
    answer: "",
    fieldErrors: [],
  };
  /** The snapshot of a delivery of this integration version, decoded. */
  const snapshot = (seconds: bigint, name: string) =>
    inboxRecordOf(
      create(DeliveryEnvelopeSchema, {
        integration: { id: "int-snap", organizationId: "org-a", name, updateTime: { seconds } },
      }),
      60_000,
      accepted,
    ).integration;

  it("is encoded once per integration version, and anew for each later version", () => {
    const first = snapshot(100n, "Checkout");
    expect(snapshot(100n, "Checkout")).toBe(first);
    const renamed = snapshot(101n, "Checkout EU");
    expect(renamed).not.toBe(first);
    expect(fromBinary(IntegrationSchema, renamed)).toMatchObject({
      id: "int-snap",
      name: "Checkout EU",
    });
    expect(fromBinary(IntegrationSchema, first).name).toBe("Checkout");
  });
});
