/**
 * Alertmanager's group mode end to end, on MongoDB and on the embedded
 * store: the option is set through the team API (Connect JSON with a field
 * mask, as the docs show it), then a 10-alert group goes through the edge.
 */
import type { Client } from "@connectrpc/connect";
import { IncidentEventType, IncidentService, IncidentStatus } from "@runframe/contracts";
import { startStack, teamClient, type Stack } from "@runframe/platform/testing";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const apiKey = "alertmanager-groups-api-key-0000000000000";
const routingKey = `am-groups-${randomBytes(24).toString("base64url")}`;

interface Answer {
  incidents: { id: string | null; action: string; dedupKey: string | null }[];
}

/** One notification of the group `HighLatency` holding `count` alerts, all with `status`. */
function notification(count: number, status: "firing" | "resolved"): string {
  return JSON.stringify({
    version: "4",
    groupKey: '{}:{alertname="HighLatency"}',
    truncatedAlerts: 0,
    status,
    receiver: "runframe",
    groupLabels: { alertname: "HighLatency" },
    commonLabels: { alertname: "HighLatency", job: "api" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.com:9093",
    alerts: Array.from({ length: count }, (_, i) => ({
      status,
      labels: {
        alertname: "HighLatency",
        instance: `api-${i}:8080`,
        job: "api",
        severity: "warning",
      },
      annotations: { summary: `p99 latency above 2s on api-${i}` },
      startsAt: "2026-11-27T11:50:00Z",
      endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2026-11-27T11:58:00Z",
      generatorURL: "http://prometheus.example.com:9090/graph?g0.expr=x",
      fingerprint: `fp${String(i).padStart(14, "0")}`,
    })),
  });
}

describe.each([
  { store: "MongoDB", embedded: false },
  { store: "the embedded store", embedded: true },
])("Alertmanager group mode through the edge on $store", ({ embedded }) => {
  let stack: Stack;
  let team: Client<typeof IncidentService>;

  beforeAll(async () => {
    stack = await startStack({
      embedded,
      normalizers: ["prometheus"],
      bootstrap: {
        organizations: [
          {
            id: "org-groups",
            name: "Groups",
            apiKeys: [{ id: "key-groups", secret: apiKey, role: "admin" }],
            services: [{ id: "SER-00001", name: "API" }],
            integrations: [
              {
                id: "int-am",
                type: "prometheus",
                name: "Alertmanager",
                routingKey,
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

  const send = async (body: string) => {
    const res = await stack.webhook(routingKey, body, { "content-type": "application/json" });
    expect(res.status).toBe(202);
    return (await res.json()) as Answer;
  };

  it("is one incident per alert until the option is set through UpdateIntegration", async () => {
    const perAlert = await send(notification(2, "firing"));
    expect(perAlert.incidents.map((i) => i.action)).toEqual(["created", "created"]);

    const res = await fetch(
      `${stack.auth[0]!.url}/runframe.auth.v1.IntegrationService/UpdateIntegration`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({
          integration: { id: "int-am", options: { alertGrouping: "ALERT_GROUPING_GROUP" } },
          updateMask: "options.alertGrouping",
        }),
      },
    );
    expect(res.status).toBe(200);
    const updated = (await res.json()) as { integration: { options: Record<string, unknown> } };
    expect(updated.integration.options).toEqual({
      alertGrouping: "ALERT_GROUPING_GROUP",
      redriveThrottled: true,
    });
  });

  it("turns a 10-alert group into one incident with 10 occurrences and resolves it with the group", async () => {
    const firing = await send(notification(10, "firing"));
    expect(firing.incidents.map((i) => i.action)).toEqual([
      "created",
      ...Array<string>(9).fill("updated"),
    ]);
    const ids = new Set(firing.incidents.map((i) => i.id));
    expect(ids.size).toBe(1);
    const id = firing.incidents[0]!.id!;
    expect(firing.incidents[0]!.dedupKey).toBe('alertmanager:group:{}:{alertname="HighLatency"}');
    expect((await team.getIncident({ incidentId: id })).incident).toMatchObject({
      status: IncidentStatus.NEW,
      occurrenceCount: 10,
      title: "HighLatency",
    });

    const resolved = await send(notification(10, "resolved"));
    expect(resolved.incidents).toEqual([
      { id, action: "resolved", dedupKey: firing.incidents[0]!.dedupKey },
    ]);
    const incident = (await team.getIncident({ incidentId: id })).incident;
    expect(incident).toMatchObject({ status: IncidentStatus.RESOLVED, occurrenceCount: 10 });
    const events = (await team.listIncidentEvents({ incidentId: id, pageSize: 100 })).events;
    expect(events.map((e) => e.type)).toEqual([
      IncidentEventType.CREATED,
      ...Array<IncidentEventType>(9).fill(IncidentEventType.TRIGGERED),
      IncidentEventType.RESOLVED,
    ]);

    const again = await send(notification(10, "firing"));
    expect(again.incidents[0]!.action).toBe("created");
    expect(again.incidents[0]!.id).not.toBe(id);
  });
});
