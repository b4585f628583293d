/**
 * Heartbeats, auto-resolve and flapping end to end through the edge, on
 * MongoDB and on the embedded store, with two incident replicas sharing
 * the scheduled work through their lease. Heartbeats use the real minimum
 * interval (10 s); the options' minutes are 2 s here
 * (RUNFRAME_OPTION_MINUTE_MS) and the replicas check every 300 ms.
 */
import type { Client } from "@connectrpc/connect";
import {
  IncidentEventType,
  IncidentService,
  IncidentStatus,
  Severity,
  type Incident,
} from "@runframe/contracts";
import { startStack, teamClient, type Stack } from "@runframe/platform/testing";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const apiKey = "heartbeats-api-key-000000000000000000000000";
const MINUTE_MS = 2_000;
const key = (name: string) => `${name}-${randomBytes(24).toString("base64url")}`;
const keys = { beat: key("beat"), plain: key("plain"), auto: key("auto"), flap: key("flap") };

const integration = (id: string, routingKey: string, options?: unknown) => ({
  id,
  type: "custom",
  name: id === "int-beat" ? "Nightly backup" : id,
  routingKey,
  defaultServiceId: "SER-00001",
  rateLimitPerMinute: 1000,
  ...(options !== undefined && { options }),
});

describe.each([
  { store: "MongoDB", embedded: false },
  { store: "the embedded store", embedded: true },
])("scheduled work through the edge on $store, two incident replicas", ({ embedded }) => {
  let stack: Stack;
  let team: Client<typeof IncidentService>;

  beforeAll(async () => {
    stack = await startStack({
      embedded,
      replicas: { incident: 2 },
      env: { RUNFRAME_SCHEDULE_INTERVAL_MS: "300", RUNFRAME_OPTION_MINUTE_MS: String(MINUTE_MS) },
      bootstrap: {
        organizations: [
          {
            id: "org-beats",
            name: "Beats",
            apiKeys: [{ id: "key-beats", secret: apiKey, role: "admin" }],
            services: [{ id: "SER-00001", name: "Backups" }],
            integrations: [
              integration("int-beat", keys.beat, {
                heartbeat: { intervalSeconds: 10, graceSeconds: 0, severity: "SEVERITY_SEV2" },
              }),
              integration("int-plain", keys.plain),
              integration("int-auto", keys.auto, { autoResolve: { afterMinutes: 1 } }),
              integration("int-flap", keys.flap, {
                flapping: { threshold: 2, windowMinutes: 2 },
              }),
            ],
          },
        ],
      },
    });
    team = teamClient(IncidentService, stack.incident.url, apiKey);
  });
  afterAll(() => stack?.stop());

  const beat = (routingKey: string) =>
    fetch(`${stack.edge.url}/webhooks/${routingKey}/heartbeat`, { method: "POST" });
  const send = async (routingKey: string, body: Record<string, unknown>) => {
    const res = await stack.webhook(
      routingKey,
      JSON.stringify({ title: "CPU high", service_id: "SER-00001", ...body }),
    );
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { incidents: { id: string; action: string }[] };
    return answer.incidents[0]!;
  };
  const incidentsOf = async (integrationId: string) =>
    (await team.listIncidents({ integrationId })).incidents;
  /** Asks both replicas in turn until `check` holds. */
  const eventually = async <T>(
    probe: () => Promise<T>,
    check: (value: T) => boolean,
    timeoutMs: number,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (check(value) || Date.now() > deadline) {
        return value;
      }
      await sleep(200);
    }
  };
  const lastEvent = async (id: string) =>
    (await team.listIncidentEvents({ incidentId: id })).events.at(-1);

  it("opens an incident after 10 s of silence, across a restart of both replicas, and resolves it with the next beat", async () => {
    const first = await beat(keys.beat);
    expect(first.status).toBe(202);
    const beatAt = Date.now();
    const answer = (await first.json()) as {
      heartbeat: { integrationId: string; expectedBy: string };
    };
    expect(answer.heartbeat.integrationId).toBe("int-beat");
    expect(Date.parse(answer.heartbeat.expectedBy) - beatAt).toBeGreaterThan(9_000);

    // Both replicas crash and come back during the silence: the beat is in
    // the store, and whichever takes the lease finds it overdue.
    await Promise.all(stack.incidents.map((app) => stack.restart(app)));
    await sleep(Math.max(0, beatAt + 8_000 - Date.now()));
    expect(await incidentsOf("int-beat")).toEqual([]);
    const opened = await eventually(
      () => incidentsOf("int-beat"),
      (list) => list.length > 0,
      10_000,
    );
    expect(Date.now() - beatAt).toBeGreaterThanOrEqual(10_000);
    // Two replicas, one lease: one incident, not one each.
    await sleep(1_000);
    const list = await incidentsOf("int-beat");
    expect(list).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      dedupKey: "runframe:heartbeat",
      severity: Severity.SEV2,
      status: IncidentStatus.NEW,
      serviceId: "SER-00001",
    });
    expect(opened[0]!.title).toMatch(/^No heartbeat from Nightly backup since \d{4}-\d\d-\d\dT/);
    expect(await lastEvent(opened[0]!.id)).toMatchObject({
      type: IncidentEventType.CREATED,
      actor: "system:heartbeat",
    });

    expect((await beat(keys.beat)).status).toBe(202);
    const { incident } = await team.getIncident({ incidentId: opened[0]!.id });
    expect(incident?.status).toBe(IncidentStatus.RESOLVED);
    expect(await lastEvent(opened[0]!.id)).toMatchObject({
      type: IncidentEventType.RESOLVED,
      actor: "integration:int-beat",
    });
  });

  it("refuses a heartbeat for an integration without the option, and unknown keys", async () => {
    const res = await beat(keys.plain);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: "heartbeat_not_configured" } });
    expect((await beat(key("unknown"))).status).toBe(401);
    const get = await fetch(`${stack.edge.url}/webhooks/${keys.beat}/heartbeat`);
    expect(get.status).toBe(405);
  });

  it("auto-resolves an incident no trigger touched for the option's minutes", async () => {
    const created = await send(keys.auto, { dedup_key: "quiet" });
    expect(created.action).toBe("created");
    const resolved = await eventually(
      async () => (await team.getIncident({ incidentId: created.id })).incident!,
      (i: Incident) => i.status === IncidentStatus.RESOLVED,
      8_000,
    );
    expect(resolved.status).toBe(IncidentStatus.RESOLVED);
    expect(await lastEvent(created.id)).toMatchObject({
      type: IncidentEventType.RESOLVED,
      actor: "system:auto-resolve",
      summary: expect.stringMatching(/^auto-resolved: no trigger for 1 minute \(the last at /),
    });
  });

  it("keeps a flapping key's incident open, holding its resolves, and settles it once quiet", async () => {
    const actions: string[] = [];
    for (let i = 0; i < 3; i++) {
      actions.push((await send(keys.flap, { dedup_key: "cpu" })).action);
      actions.push((await send(keys.flap, { dedup_key: "cpu", status: "resolved" })).action);
    }
    expect(actions).toEqual(["created", "resolved", "created", "resolved", "created", "resolved"]);
    const flapping = await send(keys.flap, { dedup_key: "cpu" });
    expect(flapping.action).toBe("created");
    const held = await send(keys.flap, { dedup_key: "cpu", status: "resolved" });
    expect(held).toMatchObject({ id: flapping.id, action: "updated" });
    expect(await send(keys.flap, { dedup_key: "cpu" })).toMatchObject({
      id: flapping.id,
      action: "updated",
    });
    await send(keys.flap, { dedup_key: "cpu", status: "resolved" });
    const { incident } = await team.getIncident({ incidentId: flapping.id });
    expect(incident).toMatchObject({ flapping: true, status: IncidentStatus.NEW });
    expect(await incidentsOf("int-flap")).toHaveLength(4);

    const settled = await eventually(
      async () => (await team.getIncident({ incidentId: flapping.id })).incident!,
      (i: Incident) => i.status === IncidentStatus.RESOLVED,
      12_000,
    );
    expect(settled.status).toBe(IncidentStatus.RESOLVED);
    const events = (await team.listIncidentEvents({ incidentId: flapping.id })).events;
    expect(events.map((e) => e.type)).toEqual([
      IncidentEventType.CREATED,
      IncidentEventType.FLAPPING,
      IncidentEventType.FLAPPING,
      IncidentEventType.TRIGGERED,
      IncidentEventType.FLAPPING,
      IncidentEventType.RESOLVED,
    ]);
    expect(events.at(-1)).toMatchObject({ actor: "system:flapping" });
  });
});
