import { create } from "@bufbuild/protobuf";
import { DeliveryEnvelopeSchema, DeliveryOutcome, IntegrationType } from "@runframe/contracts";
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
