/**
 * PagerDuty Events API v2 end to end through the edge, on MongoDB and on
 * the embedded store: Alertmanager's own pagerduty_configs bodies (the
 * fixtures' bytes, with the test's routing key) create, acknowledge and
 * resolve through POST /v2/enqueue; refusals answer PagerDuty's shapes.
 */
import type { Client } from "@connectrpc/connect";
import { IncidentEventType, IncidentService, IncidentStatus, Severity } from "@runframe/contracts";
import { repoRoot, startStack, teamClient, type Stack } from "@runframe/platform/testing";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const apiKey = "pagerduty-e2e-api-key-00000000000000000000";
const newKey = (name: string) => `${name}-${randomBytes(24).toString("base64url")}`;

/** A fixture's body as text, with `routingKey` in place of the fixture's. */
function fixtureBody(name: string, routingKey: string): string {
  const path = join(repoRoot, "libs/normalizers/pagerduty/src/fixtures", `${name}.json`);
  const { body } = JSON.parse(readFileSync(path, "utf8")) as { body: unknown };
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return text.replace("R0UT1NGKEYEXAMPLE0000000000000000", routingKey);
}

interface PagerDutyAnswer {
  status: string;
  message: string;
  dedup_key?: string;
  errors?: string[];
}

describe.each([
  { store: "MongoDB", embedded: false },
  { store: "the embedded store", embedded: true },
])("PagerDuty Events API v2 through the edge on $store", ({ embedded }) => {
  const key = newKey("pd");
  const limitedKey = newKey("pd-limited");
  const customKey = newKey("custom");
  let stack: Stack;
  let team: Client<typeof IncidentService>;

  beforeAll(async () => {
    stack = await startStack({
      embedded,
      normalizers: ["pagerduty", "custom"],
      bootstrap: {
        organizations: [
          {
            id: "org-pd",
            name: "PagerDuty senders",
            apiKeys: [{ id: "key-pd", secret: apiKey, role: "admin" }],
            services: [{ id: "SER-00001", name: "API" }],
            integrations: [
              {
                id: "int-pd",
                type: "pagerduty",
                name: "PD",
                routingKey: key,
                defaultServiceId: "SER-00001",
              },
              {
                id: "int-pd-limited",
                type: "pagerduty",
                name: "PD limited",
                routingKey: limitedKey,
                defaultServiceId: "SER-00001",
                rateLimitPerMinute: 2,
              },
              { id: "int-custom", type: "custom", name: "Scripts", routingKey: customKey },
            ],
          },
        ],
      },
    });
    team = teamClient(IncidentService, stack.incident.url, apiKey);
  });
  afterAll(() => stack?.stop());

  const enqueue = async (body: string | object) => {
    const res = await fetch(`${stack.edge.url}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return {
      status: res.status,
      headers: res.headers,
      answer: (await res.json()) as PagerDutyAnswer,
    };
  };
  const incidentOf = async (dedupKey: string) =>
    (await team.listIncidents({ pageSize: 100 })).incidents.find((i) => i.dedupKey === dedupKey);

  it("creates, acknowledges and resolves with Alertmanager's pagerduty_configs bodies", async () => {
    const triggered = await enqueue(fixtureBody("alertmanager-trigger", key));
    expect(triggered.status).toBe(202);
    const dedupKey = triggered.answer.dedup_key!;
    expect(triggered.answer).toEqual({
      status: "success",
      message: "Event processed",
      dedup_key: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(triggered.headers.get("x-ratelimit-limit")).toBe("100");
    const incident = await incidentOf(dedupKey);
    expect(incident).toMatchObject({
      title: "[FIRING:2] HighErrorRate (api checkout)",
      status: IncidentStatus.NEW,
      occurrenceCount: 1,
      integrationId: "int-pd",
    });
    expect(incident?.acknowledgeTime).toBeUndefined();

    // Alertmanager repeats the notification: one incident, two occurrences.
    expect((await enqueue(fixtureBody("alertmanager-trigger", key))).status).toBe(202);

    const acknowledged = await enqueue({
      routing_key: key,
      dedup_key: dedupKey,
      event_action: "acknowledge",
    });
    expect(acknowledged).toMatchObject({
      status: 202,
      answer: { status: "success", message: "Event processed", dedup_key: dedupKey },
    });
    const acked = (await team.getIncident({ incidentId: incident!.id })).incident;
    expect(acked).toMatchObject({
      status: IncidentStatus.NEW,
      occurrenceCount: 2,
      acknowledgedBy: "integration:int-pd",
    });
    expect(acked?.acknowledgeTime).toBeDefined();

    const resolved = await enqueue(fixtureBody("alertmanager-resolve", key));
    expect(resolved).toMatchObject({ status: 202, answer: { dedup_key: dedupKey } });
    expect((await team.getIncident({ incidentId: incident!.id })).incident?.status).toBe(
      IncidentStatus.RESOLVED,
    );
    const events = await team.listIncidentEvents({ incidentId: incident!.id });
    expect(events.events.map((e) => [e.type, e.actor])).toEqual([
      [IncidentEventType.CREATED, "integration:int-pd"],
      [IncidentEventType.TRIGGERED, "integration:int-pd"],
      [IncidentEventType.ACKNOWLEDGED, "integration:int-pd"],
      [IncidentEventType.RESOLVED, "integration:int-pd"],
    ]);

    // Acknowledging or resolving what is no longer open stores nothing.
    const late = await enqueue({
      routing_key: key,
      dedup_key: dedupKey,
      event_action: "acknowledge",
    });
    expect(late.status).toBe(202);
  });

  it("returns a new key for a trigger without one, which then resolves it", async () => {
    const event = {
      routing_key: key,
      event_action: "trigger",
      payload: { summary: "Nightly backup failed", source: "backup-1", severity: "warning" },
    };
    const first = await enqueue(event);
    const second = await enqueue(event);
    expect(first.answer.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    expect(second.answer.dedup_key).not.toBe(first.answer.dedup_key);
    const resolved = await enqueue({
      routing_key: key,
      dedup_key: first.answer.dedup_key,
      event_action: "resolve",
    });
    expect(resolved.answer.dedup_key).toBe(first.answer.dedup_key);
    expect((await incidentOf(first.answer.dedup_key!))?.status).toBe(IncidentStatus.RESOLVED);
    expect(await incidentOf(second.answer.dedup_key!)).toMatchObject({
      status: IncidentStatus.NEW,
      severity: Severity.SEV3,
    });
  });

  it("answers invalid events with PagerDuty's 400 naming the problem, storing nothing", async () => {
    const before = (await team.listIncidents({ pageSize: 100 })).incidents.length;
    const missing = await enqueue({
      routing_key: key,
      event_action: "trigger",
      payload: { summary: "no source", severity: "urgent" },
    });
    expect(missing).toMatchObject({
      status: 400,
      answer: {
        status: "invalid event",
        message: "Event object is invalid",
        errors: [
          "payload.source is required",
          "payload.severity must be one of critical, error, warning, info",
        ],
      },
    });
    const noKey = await enqueue({ routing_key: key, event_action: "resolve" });
    expect(noKey.answer.errors).toEqual(["dedup_key is required for resolve events"]);
    const badAction = await enqueue({ routing_key: key, event_action: "close", dedup_key: "x" });
    expect(badAction.answer.errors).toEqual([
      "event_action must be one of trigger, acknowledge, resolve",
    ]);
    for (const routing_key of [newKey("unknown"), customKey]) {
      const refused = await enqueue({ routing_key, event_action: "resolve", dedup_key: "x" });
      expect(refused).toMatchObject({ status: 400, answer: { errors: ["Invalid routing key"] } });
    }
    const notJson = await enqueue("routing_key=x");
    expect(notJson).toMatchObject({ status: 400, answer: { status: "Unrecognized object" } });
    expect((await team.listIncidents({ pageSize: 100 })).incidents.length).toBe(before);
  });

  it("answers 429 with Retry-After over the integration's limit", async () => {
    const event = { routing_key: limitedKey, event_action: "resolve", dedup_key: "limited" };
    expect((await enqueue(event)).status).toBe(202);
    expect((await enqueue(event)).status).toBe(202);
    const throttled = await enqueue(event);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(throttled.answer.status).toBe("throttle event");
  });

  it("takes the same events on /webhooks/{routingKey}, answering as the webhook API does", async () => {
    const res = await stack.webhook(
      key,
      fixtureBody("documented-trigger", "ignored-on-this-path"),
      {
        "content-type": "application/json",
      },
    );
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { incidents: { action: string; dedupKey: string }[] };
    expect(answer.incidents).toEqual([
      { id: expect.stringMatching(/^INC-/), action: "created", dedupKey: "srv01/mysql" },
    ]);
    const ack = await stack.webhook(
      key,
      JSON.stringify({ dedup_key: "srv01/mysql", event_action: "acknowledge" }),
      { "content-type": "application/json" },
    );
    expect(((await ack.json()) as typeof answer).incidents[0]?.action).toBe("acknowledged");
  });
});
