import { AlertGrouping, Severity } from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import { decodeIntegration, type StoredIntegration } from "./codec.js";

const stored: StoredIntegration = {
  organizationId: "org-a",
  type: "DATADOG",
  name: "Datadog",
  defaultServiceId: "",
  enabled: true,
  rateLimitPerMinute: 100,
  routingKeyHash: "hash",
  routingKeyHint: "abcd",
  signingSecrets: [],
  snsTopicArns: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

describe("integration codec", () => {
  it("reads an integration stored before options existed with its provider's defaults", () => {
    expect(decodeIntegration("int-1", stored).options).toMatchObject({
      severityOverrides: {},
      alertGrouping: AlertGrouping.UNSPECIFIED,
      redriveThrottled: true,
    });
  });

  it("keeps the options a newer release knows and this one ignores what it does not", () => {
    const options = decodeIntegration("int-1", {
      ...stored,
      type: "PROMETHEUS",
      options: {
        alertGrouping: "ALERT_GROUPING_GROUP",
        severityOverrides: [{ key: "page", severity: "SEVERITY_SEV0" }],
        redriveThrottled: false,
        optionOfALaterRelease: { on: true },
      },
    }).options;
    expect(options).toMatchObject({
      alertGrouping: AlertGrouping.GROUP,
      severityOverrides: { page: Severity.SEV0 },
      redriveThrottled: false,
    });
  });
});
