import { AlertGrouping, Severity } from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import { parseBootstrap } from "./bootstrap.js";
import { ValidationError } from "./errors.js";

const withKey = (key: Record<string, unknown>) =>
  JSON.stringify({
    organizations: [
      { id: "org-a", name: "A", apiKeys: [{ id: "key-a", secret: "k".repeat(40), ...key }] },
    ],
  });

describe("parseBootstrap", () => {
  it("accepts the admin and viewer roles, and admin when none is given", () => {
    for (const role of ["admin", "viewer"]) {
      expect(parseBootstrap(withKey({ role })).organizations[0]!.apiKeys[0]!.role).toBe(role);
    }
    expect(parseBootstrap(withKey({})).organizations[0]!.apiKeys[0]!.role).toBe("admin");
  });

  it("refuses an unknown role, naming the field", () => {
    expect(() => parseBootstrap(withKey({ role: "superuser" }))).toThrow(ValidationError);
    expect(() => parseBootstrap(withKey({ role: "superuser" }))).toThrow(
      /organizations\[0\]\.apiKeys\[0\]\.role must be one of admin, viewer/,
    );
  });
});

const withIntegration = (integration: Record<string, unknown>) =>
  JSON.stringify({
    organizations: [
      {
        id: "org-a",
        name: "A",
        integrations: [{ id: "int-a", name: "A", routingKey: "r".repeat(40), ...integration }],
      },
    ],
  });

describe("parseBootstrap: integration options", () => {
  it("reads them in proto JSON, normalized, with the provider's redrive default", () => {
    const [prometheus] = parseBootstrap(
      withIntegration({
        type: "prometheus",
        options: {
          alertGrouping: "ALERT_GROUPING_GROUP",
          severity_overrides: { Page: "SEVERITY_SEV0" },
          heartbeat: { intervalSeconds: 60, graceSeconds: 30 },
        },
      }),
    ).organizations[0]!.integrations;
    expect(prometheus!.options).toMatchObject({
      alertGrouping: AlertGrouping.GROUP,
      severityOverrides: { page: Severity.SEV0 },
      heartbeat: { intervalSeconds: 60, graceSeconds: 30 },
      redriveThrottled: true,
    });
    const [custom] = parseBootstrap(withIntegration({ type: "custom" })).organizations[0]!
      .integrations;
    expect(custom!.options.redriveThrottled).toBe(false);
  });

  it("names the refused option, or says why the JSON is not the message", () => {
    expect(() =>
      parseBootstrap(
        withIntegration({ type: "custom", options: { alertGrouping: "ALERT_GROUPING_GROUP" } }),
      ),
    ).toThrow(/organizations\[0\]\.integrations\[0\]\.options\.alert_grouping applies only to/);
    expect(() =>
      parseBootstrap(withIntegration({ type: "prometheus", options: { alertGrouping: "group" } })),
    ).toThrow(/organizations\[0\]\.integrations\[0\]\.options cannot decode enum .*"group"/);
  });
});
