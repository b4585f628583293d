/**
 * Dry runs end to end through the edge (issue 14 item 4), on MongoDB
 * (FerretDB) with Redis and on the embedded store: `?dry_run=true` stores
 * nothing (incidents, timelines and the delivery inbox unchanged) and
 * predicts exactly what the same request then does; signatures are
 * verified as for a real delivery; dry runs use none of the routing key's
 * quota and stop at their own limit.
 */
import type { Client } from "@connectrpc/connect";
import { DeliveryService, IncidentService } from "@runframe/contracts";
import {
  customSignatureHeaders,
  startStack,
  teamClient,
  type Stack,
} from "@runframe/platform/testing";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const apiKey = "dry-run-e2e-admin-key-0000000000000000000000";
const newKey = (name: string) => `${name}-${randomBytes(24).toString("base64url")}`;
const signingSecret = "dry-run-e2e-signing-secret-0123456789";

interface Answer {
  status: number;
  headers: Headers;
  body: {
    status?: string;
    redelivery?: boolean;
    incidents?: {
      id: string | null;
      action: string;
      dedupKey: string | null;
      createdByAlert?: number;
      replayedAction?: string;
    }[];
    alerts?: Record<string, unknown>[];
    error?: { code: string; message: string };
    dedup_key?: string;
    message?: string;
  };
}

/** One Alertmanager notification: `db-1` firing, `db-2` resolved. */
function alertmanager(run: string): string {
  const alert = (instance: string, status: string) => ({
    status,
    labels: { alertname: "DiskFull", instance, severity: "critical" },
    annotations: { summary: `Disk full on ${instance}` },
    startsAt: "2026-11-30T10:00:00Z",
    endsAt: status === "resolved" ? "2026-11-30T10:05:00Z" : "0001-01-01T00:00:00Z",
    fingerprint: `${run}-${instance}`,
  });
  return JSON.stringify({
    version: "4",
    groupKey: `{}:{alertname="DiskFull"}`,
    truncatedAlerts: 0,
    status: "firing",
    receiver: "runframe",
    groupLabels: { alertname: "DiskFull" },
    commonLabels: { alertname: "DiskFull" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.com:9093",
    alerts: [alert("db-1", "firing"), alert("db-2", "resolved")],
  });
}

describe.each([
  { store: "MongoDB", embedded: false },
  { store: "the embedded store", embedded: true },
])("dry runs through the edge on $store", ({ embedded }) => {
  const keys = {
    custom: newKey("custom"),
    signed: newKey("signed"),
    quota: newKey("quota"),
    am: newKey("am"),
    pd: newKey("pd"),
  };
  let stack: Stack;
  let incidents: Client<typeof IncidentService>;
  let deliveries: Client<typeof DeliveryService>;

  beforeAll(async () => {
    stack = await startStack({
      embedded,
      normalizers: ["custom", "prometheus", "pagerduty"],
      bootstrap: {
        organizations: [
          {
            id: "org-dry",
            name: "Dry runs",
            apiKeys: [{ id: "key-dry", secret: apiKey, role: "admin" }],
            services: [{ id: "SER-00001", name: "API" }],
            integrations: [
              { id: "int-custom", type: "custom", name: "Scripts", routingKey: keys.custom },
              {
                id: "int-signed",
                type: "custom",
                name: "Signed",
                routingKey: keys.signed,
                signingSecret,
              },
              { id: "int-quota", type: "custom", name: "Quota", routingKey: keys.quota },
              {
                id: "int-am",
                type: "prometheus",
                name: "AM",
                routingKey: keys.am,
                defaultServiceId: "SER-00001",
              },
              {
                id: "int-pd",
                type: "pagerduty",
                name: "PD",
                routingKey: keys.pd,
                defaultServiceId: "SER-00001",
              },
            ],
          },
        ],
      },
    });
    incidents = teamClient(IncidentService, stack.incident.url, apiKey);
    deliveries = teamClient(DeliveryService, stack.incident.url, apiKey);
  });
  afterAll(() => stack?.stop());

  const send = async (
    path: string,
    body: string,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const res = await fetch(`${stack.edge.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Answer["body"] };
  };
  const webhook = (key: string, body: string, headers?: Record<string, string>) =>
    send(`/webhooks/${key}`, body, headers);
  const dryRun = (key: string, body: string, headers?: Record<string, string>) =>
    send(`/webhooks/${key}?dry_run=true`, body, headers);

  /** Everything a delivery can leave behind: incidents, their timelines, the inbox. */
  const stored = async () => {
    const { incidents: all } = await incidents.listIncidents({ pageSize: 100 });
    const timelines = await Promise.all(
      all.map(async (i) => (await incidents.listIncidentEvents({ incidentId: i.id })).events),
    );
    const inbox = await deliveries.listDeliveries({ pageSize: 100 });
    return { all, timelines, inbox: inbox.deliveries };
  };

  /**
   * Dry-runs `body`, checks nothing was stored, then sends it for real:
   * the prediction must be what the real delivery did.
   */
  const predictThenSend = async (
    key: string,
    body: string,
    headers: () => Record<string, string> = () => ({}),
  ) => {
    const before = await stored();
    const predicted = await dryRun(key, body, headers());
    expect(predicted.status, JSON.stringify(predicted.body)).toBe(200);
    expect(predicted.body.status).toBe("dry_run");
    expect(await stored()).toEqual(before);
    const real = await webhook(key, body, headers());
    expect(real.status, JSON.stringify(real.body)).toBe(202);
    const done = real.body.incidents!;
    expect(predicted.body.incidents).toHaveLength(done.length);
    predicted.body.incidents!.forEach((p, i) => {
      expect(p.action, `alert ${i}`).toBe(`would_${done[i]!.action.replace(/d$/, "")}`);
      expect(p.dedupKey).toBe(done[i]!.dedupKey);
      const expectedId = p.createdByAlert === undefined ? p.id : done[p.createdByAlert]!.id;
      expect(expectedId, `alert ${i}`).toBe(done[i]!.id);
    });
    return { predicted: predicted.body, real: real.body };
  };

  it("stores nothing and predicts create, update, resolve and ignore as the real requests then do", async () => {
    const trigger = JSON.stringify({
      title: "Checkout down",
      service_id: "SER-00001",
      severity: "SEV1",
      dedup_key: "checkout",
      metadata: { region: "eu-west-1" },
    });
    const resolve = JSON.stringify({
      title: "Checkout back",
      service_id: "SER-00001",
      status: "resolved",
      dedup_key: "checkout",
    });

    const created = await predictThenSend(keys.custom, trigger);
    expect(created.predicted).toEqual({
      status: "dry_run",
      incidents: [{ id: null, action: "would_create", dedupKey: "checkout", createdByAlert: 0 }],
      alerts: [
        {
          action: "trigger",
          title: "Checkout down",
          description: "",
          severity: "SEV1",
          status: "new",
          serviceId: "SER-00001",
          sourceUrl: null,
          dedupKey: "checkout",
          metadata: { region: "eu-west-1" },
          occurredAt: expect.any(String),
          truncatedAlerts: 0,
        },
      ],
    });
    const id = created.real.incidents![0]!.id!;
    const updated = await predictThenSend(keys.custom, trigger);
    expect(updated.predicted.incidents).toEqual([
      { id, action: "would_update", dedupKey: "checkout" },
    ]);
    const resolved = await predictThenSend(keys.custom, resolve);
    expect(resolved.predicted.incidents).toEqual([
      { id, action: "would_resolve", dedupKey: "checkout" },
    ]);
    const ignored = await predictThenSend(keys.custom, resolve);
    expect(ignored.predicted.incidents).toEqual([
      { id: null, action: "would_ignore", dedupKey: "checkout" },
    ]);
    // Without a key every request creates.
    await predictThenSend(
      keys.custom,
      JSON.stringify({ title: "No key", service_id: "SER-00001" }),
    );
  });

  it("predicts every alert of an Alertmanager group", async () => {
    const run = randomBytes(4).toString("hex");
    const { predicted } = await predictThenSend(keys.am, alertmanager(run));
    expect(predicted.incidents!.map((i) => i.action)).toEqual(["would_create", "would_ignore"]);
    expect(predicted.alerts!.map((a) => a["action"])).toEqual(["trigger", "resolve"]);
    const again = await predictThenSend(keys.am, alertmanager(run));
    expect(again.predicted.incidents!.map((i) => i.action)).toEqual([
      "would_update",
      "would_ignore",
    ]);
  });

  it("answers a payload the real request would refuse with the same 400, storing nothing", async () => {
    const before = await stored();
    const body = JSON.stringify({ title: "x", service_id: "SER-09999", severity: "SEV9" });
    const predicted = await dryRun(keys.custom, body);
    expect(await stored()).toEqual(before);
    const real = await webhook(keys.custom, body);
    expect(predicted.status).toBe(400);
    expect(predicted.body).toEqual(real.body);
  });

  it("verifies signatures: a forged one is refused and recorded nowhere, and a dry run leaves the delivery fresh", async () => {
    const body = JSON.stringify({
      title: "Deploy failed",
      service_id: "SER-00001",
      dedup_key: "deploy",
    });
    const before = await stored();
    const forged = await dryRun(keys.signed, body, customSignatureHeaders(body, "not-the-secret"));
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe("signature_invalid");
    const unsigned = await dryRun(keys.signed, body);
    expect(unsigned.status).toBe(401);
    expect(await stored()).toEqual(before);

    // The same signed bytes: dry run, then the real delivery is applied, not
    // answered as a redelivery of the dry run; a dry run of them again now
    // predicts the redelivery.
    const headers = customSignatureHeaders(body, signingSecret);
    const predicted = await dryRun(keys.signed, body, headers);
    expect(predicted.body.incidents).toEqual([
      { id: null, action: "would_create", dedupKey: "deploy", createdByAlert: 0 },
    ]);
    const real = await webhook(keys.signed, body, headers);
    expect(real.body.incidents).toEqual([
      { id: expect.stringMatching(/^INC-\d{5}$/), action: "created", dedupKey: "deploy" },
    ]);
    const replay = await dryRun(keys.signed, body, headers);
    expect(replay.body).toMatchObject({
      status: "dry_run",
      redelivery: true,
      incidents: [
        {
          id: real.body.incidents![0]!.id,
          action: "would_replay",
          replayedAction: "created",
          dedupKey: "deploy",
        },
      ],
    });
    const redelivered = await webhook(keys.signed, body, headers);
    expect(redelivered.body.incidents).toEqual(real.body.incidents);
  });

  it("uses none of the routing key's quota and stops at its own limit of 10 a minute", async () => {
    const body = JSON.stringify({ title: "Quota", service_id: "SER-00001" });
    for (let i = 0; i < 10; i++) {
      const answer = await dryRun(keys.quota, body);
      expect(answer.status, `dry run ${i + 1}`).toBe(200);
      expect(answer.headers.get("x-ratelimit-limit")).toBe("10");
      expect(answer.headers.get("x-ratelimit-remaining")).toBe(String(9 - i));
    }
    const limited = await dryRun(keys.quota, body);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(limited.body.error?.message).toBe("too many dry runs for this routing key");
    expect((await deliveries.listDeliveries({ integrationId: "int-quota" })).deliveries).toEqual(
      [],
    );

    // The key's quota of 100 is whole: the first real delivery leaves 99.
    const real = await webhook(keys.quota, body);
    expect(real.status).toBe(202);
    expect(real.headers.get("x-ratelimit-limit")).toBe("100");
    expect(real.headers.get("x-ratelimit-remaining")).toBe("99");
  });

  it("refuses a dry_run value other than true or false, naming it", async () => {
    const answer = await send(`/webhooks/${keys.custom}?dry_run=yes`, "{}");
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: "invalid_request" });
    expect(JSON.stringify(answer.body)).toContain('"field":"dry_run"');
  });

  it("dry-runs PagerDuty events on /v2/enqueue, acknowledge included", async () => {
    const event = (action: string) =>
      JSON.stringify({
        routing_key: keys.pd,
        event_action: action,
        dedup_key: "pd-disk",
        payload: { summary: "Disk full", source: "db-1", severity: "error" },
      });
    const enqueue = (body: string, dry: boolean) =>
      send(`/v2/enqueue${dry ? "?dry_run=true" : ""}`, body);

    const before = await stored();
    const predicted = await enqueue(event("trigger"), true);
    expect(await stored()).toEqual(before);
    expect(predicted.status).toBe(200);
    expect(predicted.body).toMatchObject({
      status: "dry_run",
      message: "Event not processed: dry run",
      dedup_key: "pd-disk",
      incidents: [{ id: null, action: "would_create", dedupKey: "pd-disk" }],
    });
    expect((await enqueue(event("trigger"), false)).body).toMatchObject({
      status: "success",
      dedup_key: "pd-disk",
    });
    const { incidents: list } = await incidents.listIncidents({ integrationId: "int-pd" });
    const acknowledge = await enqueue(event("acknowledge"), true);
    expect(acknowledge.body.incidents).toEqual([
      { id: list[0]!.id, action: "would_acknowledge", dedupKey: "pd-disk" },
    ]);
    const { incident } = await incidents.getIncident({ incidentId: list[0]!.id });
    expect(incident?.acknowledgeTime).toBeUndefined();
  });
});
