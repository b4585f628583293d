import type { Client } from "@connectrpc/connect";
import { IncidentService, IncidentStatus } from "@runframe/contracts";
import { repoRoot, startStack, teamClient, type Stack } from "@runframe/platform/testing";
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A fixture's payload and headers, as the provider sends them. */
function fixture(
  provider: string,
  name: string,
): { body: string; headers: Record<string, string> } {
  const path = join(repoRoot, "libs/normalizers", provider, "src/fixtures", `${name}.json`);
  const f = JSON.parse(readFileSync(path, "utf8")) as {
    body: unknown;
    headers?: Record<string, string>;
  };
  return {
    body: typeof f.body === "string" ? f.body : JSON.stringify(f.body),
    headers: f.headers ?? {},
  };
}

const key = (name: string) => `${name}-${randomBytes(24).toString("base64url")}`;
const keys = {
  prometheus: key("prom"),
  datadog: key("dd"),
  sentry: key("sentry"),
  sentryOpen: key("sentry-open"),
};
const sentrySecret = "sentry-client-secret-0123456789";
const apiKey = "native-webhooks-api-key-000000000000000000";
const services = [
  "SER-00001",
  "SER-00002",
  "SER-00003",
  "SER-00007",
  "SER-00010",
  "SER-00042",
  "SER-00077",
];

interface Answer {
  status: string;
  incidents: { id: string | null; action: string; dedupKey: string | null }[];
}

describe("native integrations end to end through the edge", () => {
  let stack: Stack;
  let team: Client<typeof IncidentService>;

  beforeAll(async () => {
    stack = await startStack({
      normalizers: ["prometheus", "datadog", "sentry"],
      bootstrap: {
        organizations: [
          {
            id: "org-native",
            name: "Native",
            apiKeys: [{ id: "key-native", secret: apiKey, role: "admin" }],
            services: services.map((id) => ({ id, name: id })),
            integrations: [
              {
                id: "int-prom",
                type: "prometheus",
                name: "AM",
                routingKey: keys.prometheus,
                defaultServiceId: "SER-00001",
              },
              {
                id: "int-dd",
                type: "datadog",
                name: "DD",
                routingKey: keys.datadog,
                defaultServiceId: "SER-00001",
              },
              {
                id: "int-sentry",
                type: "sentry",
                name: "Sentry",
                routingKey: keys.sentry,
                defaultServiceId: "SER-00001",
                signingSecret: sentrySecret,
              },
              {
                id: "int-sentry-open",
                type: "sentry",
                name: "Sentry",
                routingKey: keys.sentryOpen,
                defaultServiceId: "SER-00001",
              },
            ],
          },
        ],
      },
    });
    team = teamClient(IncidentService, stack.incident.url, apiKey);
  });
  afterAll(() => stack?.stop());

  const send = async (
    routingKey: string,
    f: { body: string; headers: Record<string, string> },
    extra = {},
  ) => {
    const res = await stack.webhook(routingKey, f.body, { ...f.headers, ...extra });
    return { status: res.status, answer: (await res.json()) as Answer };
  };

  describe("Prometheus Alertmanager", () => {
    it("opens one incident per firing alert and records truncated alerts", async () => {
      const { status, answer } = await send(
        keys.prometheus,
        fixture("prometheus", "two-firing-alerts"),
      );
      expect(status).toBe(202);
      expect(answer.incidents.map((i) => i.action)).toEqual(["created", "created"]);
      expect(new Set(answer.incidents.map((i) => i.id)).size).toBe(2);

      const truncated = await send(keys.prometheus, fixture("prometheus", "truncated-alerts"));
      const { incident } = await team.getIncident({
        incidentId: truncated.answer.incidents[0]!.id!,
      });
      expect(incident?.truncatedAlerts).toBe(3);
    });

    it("resolves by each alert's own status while the group still fires, then ignores a late resolve", async () => {
      // The same group a minute later: the top-level status still says
      // "firing", but the second alert has resolved.
      const group = JSON.parse(fixture("prometheus", "two-firing-alerts").body) as {
        alerts: { fingerprint: string; status: string; labels: Record<string, string> }[];
      };
      for (const alert of group.alerts) {
        alert.fingerprint = randomBytes(8).toString("hex");
      }
      const firing = await send(keys.prometheus, { body: JSON.stringify(group), headers: {} });
      expect(firing.answer.incidents.map((i) => i.action)).toEqual(["created", "created"]);

      group.alerts[1]!.status = "resolved";
      const mixed = await send(keys.prometheus, { body: JSON.stringify(group), headers: {} });
      expect(mixed.status).toBe(202);
      expect(mixed.answer.incidents.map((i) => i.action)).toEqual(["updated", "resolved"]);
      const resolvedId = mixed.answer.incidents[1]!.id!;
      expect(resolvedId).toBe(firing.answer.incidents[1]!.id);
      expect((await team.getIncident({ incidentId: resolvedId })).incident?.status).toBe(
        IncidentStatus.RESOLVED,
      );
      expect(
        (await team.getIncident({ incidentId: firing.answer.incidents[0]!.id! })).incident?.status,
      ).toBe(IncidentStatus.NEW);

      const late = await send(keys.prometheus, { body: JSON.stringify(group), headers: {} });
      expect(late.answer.incidents[1]?.action).toBe("ignored");
    });
  });

  describe("Datadog", () => {
    it("gives one monitor alerting for two hosts two incidents, and resolves one on Recovered", async () => {
      const web1 = await send(
        keys.datadog,
        fixture("datadog", "recommended-template-triggered-web-1"),
      );
      const web2 = await send(
        keys.datadog,
        fixture("datadog", "recommended-template-triggered-web-2"),
      );
      expect(web1.answer.incidents[0]?.action).toBe("created");
      expect(web2.answer.incidents[0]?.action).toBe("created");
      expect(web1.answer.incidents[0]?.id).not.toBe(web2.answer.incidents[0]?.id);

      const retriggered = await send(
        keys.datadog,
        fixture("datadog", "recommended-template-retriggered-web-1"),
      );
      expect(retriggered.answer.incidents[0]).toMatchObject({
        action: "updated",
        id: web1.answer.incidents[0]?.id,
      });
      const recovered = await send(
        keys.datadog,
        fixture("datadog", "recommended-template-recovered-web-1"),
      );
      expect(recovered.answer.incidents[0]).toMatchObject({
        action: "resolved",
        id: web1.answer.incidents[0]?.id,
      });
      const other = await team.getIncident({ incidentId: web2.answer.incidents[0]!.id! });
      expect(other.incident?.status).toBe(IncidentStatus.NEW);
    });

    it("pairs the default template's trigger and recovery", async () => {
      const triggered = await send(keys.datadog, fixture("datadog", "default-template-triggered"));
      const recovered = await send(keys.datadog, fixture("datadog", "default-template-recovered"));
      expect(recovered.answer.incidents[0]).toMatchObject({
        action: "resolved",
        id: triggered.answer.incidents[0]?.id,
      });
    });
  });

  describe("Sentry", () => {
    const sign = (body: string, secret = sentrySecret) =>
      createHmac("sha256", secret).update(body).digest("hex");

    it("accepts a valid signature over the exact bytes and resolves the issue later", async () => {
      const created = fixture("sentry", "issue-created");
      const first = await send(keys.sentry, created, {
        "sentry-hook-signature": sign(created.body),
      });
      expect(first.status).toBe(202);
      expect(first.answer.incidents[0]?.action).toBe("created");
      const resolved = fixture("sentry", "issue-resolved");
      const second = await send(keys.sentry, resolved, {
        "sentry-hook-signature": sign(resolved.body),
      });
      expect(second.answer.incidents[0]).toMatchObject({
        action: "resolved",
        id: first.answer.incidents[0]?.id,
      });
    });

    it("refuses a wrong or missing signature and stores nothing", async () => {
      const before = (await team.listIncidents({ pageSize: 100 })).incidents.length;
      const f = fixture("sentry", "event-alert-service-tag");
      const wrong = await send(keys.sentry, f, {
        "sentry-hook-signature": sign(f.body, "not-the-secret-at-all"),
      });
      expect(wrong.status).toBe(401);
      const reformatted = JSON.stringify(JSON.parse(f.body), null, 2);
      const overOther = await send(keys.sentry, f, { "sentry-hook-signature": sign(reformatted) });
      expect(overOther.status).toBe(401);
      const missing = await send(keys.sentry, f);
      expect(missing.status).toBe(401);
      expect((await team.listIncidents({ pageSize: 100 })).incidents.length).toBe(before);
    });

    it("needs no signature when no secret is configured", async () => {
      const { status, answer } = await send(
        keys.sentryOpen,
        fixture("sentry", "metric-alert-critical"),
      );
      expect(status).toBe(202);
      expect(answer.incidents[0]?.action).toBe("created");
    });

    it("acknowledges installation events without an incident", async () => {
      const { status, answer } = await send(
        keys.sentryOpen,
        fixture("sentry", "installation-created"),
      );
      expect(status).toBe(202);
      expect(answer.incidents).toEqual([]);
    });
  });
});
