import { Code, ConnectError, type Client } from "@connectrpc/connect";
import {
  IncidentEventType,
  IncidentService,
  IntegrationService,
  IntegrationType,
  type WatchIncidentsResponse,
} from "@runframe/contracts";
import { startStack, teamClient, type Stack } from "@runframe/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const adminKey = "team-api-test-admin-key-00000000000000000000";
const viewerKey = "team-api-test-viewer-key-0000000000000000000";
const routingKey = "team_api_test_routing_key_00000000000000000";

/** The code a call failed with and its message, or "ok". */
async function failure(call: Promise<unknown>): Promise<{ code: string; message: string } | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    const err = ConnectError.from(error);
    return { code: Code[err.code], message: err.rawMessage };
  }
}

describe("team API: services and WatchIncidents, across two incident replicas", () => {
  let stack: Stack;
  let admin: Client<typeof IncidentService>[];
  let integrations: Client<typeof IntegrationService>;

  beforeAll(async () => {
    stack = await startStack({
      replicas: { incident: 2 },
      bootstrap: {
        organizations: [
          {
            id: "org-team",
            name: "Team",
            apiKeys: [
              { id: "key-admin", secret: adminKey, role: "admin" },
              { id: "key-viewer", secret: viewerKey, role: "viewer" },
            ],
            services: [{ id: "SER-00001", name: "Checkout" }],
            integrations: [{ id: "int-team", type: "custom", name: "Team", routingKey }],
          },
        ],
      },
    });
    admin = stack.incidents.map((app) => teamClient(IncidentService, app.url, adminKey));
    integrations = teamClient(IntegrationService, stack.auth[0]!.url, adminKey);
  });
  afterAll(() => stack?.stop());

  const send = async (body: Record<string, unknown>) => {
    const res = await stack.webhook(routingKey, JSON.stringify(body));
    return { status: res.status, body: (await res.json()) as { incidents?: { id: string }[] } };
  };

  it("creates, renames and deletes services; a service in use cannot be deleted", async () => {
    const { service } = await admin[0]!.createService({
      service: { id: "SER-PAYMENTS", name: "Payments" },
    });
    expect(service).toMatchObject({ id: "SER-PAYMENTS", name: "Payments" });
    expect(
      await failure(admin[1]!.createService({ service: { id: "SER-PAYMENTS", name: "x" } })),
    ).toMatchObject({ code: "AlreadyExists" });
    expect(
      await failure(admin[0]!.createService({ service: { id: "has space", name: "" } })),
    ).toMatchObject({ code: "InvalidArgument", message: /service.id/ });
    await admin[1]!.updateService({ service: { id: "SER-PAYMENTS", name: "Payments API" } });
    expect((await admin[0]!.getService({ serviceId: "SER-PAYMENTS" })).service?.name).toBe(
      "Payments API",
    );

    // A webhook may name it at once.
    const opened = await send({
      title: "Card declines",
      service_id: "SER-PAYMENTS",
      dedup_key: "cards",
    });
    expect(opened.status).toBe(202);
    const incidentId = opened.body.incidents![0]!.id;
    const { integration } = await integrations.createIntegration({
      type: IntegrationType.DATADOG,
      name: "Payments monitors",
      defaultServiceId: "SER-PAYMENTS",
    });

    const refused = await failure(admin[0]!.deleteService({ serviceId: "SER-PAYMENTS" }));
    expect(refused).toMatchObject({ code: "FailedPrecondition" });
    expect((refused as { message: string }).message).toContain(incidentId);
    expect((refused as { message: string }).message).toContain(integration!.id);

    await admin[0]!.resolveIncident({ incidentId, note: "fixed" });
    await integrations.disableIntegration({ integrationId: integration!.id });
    await admin[0]!.deleteService({ serviceId: "SER-PAYMENTS" });
    expect(await failure(admin[1]!.getService({ serviceId: "SER-PAYMENTS" }))).toMatchObject({
      code: "NotFound",
    });
    expect(await failure(admin[1]!.deleteService({ serviceId: "SER-PAYMENTS" }))).toMatchObject({
      code: "NotFound",
    });
    // History keeps the id.
    expect((await admin[1]!.getIncident({ incidentId })).incident?.serviceId).toBe("SER-PAYMENTS");
  });

  it("streams created, triggered, acknowledged and resolved changes from any replica, and resumes from a cursor", async () => {
    const viewer = teamClient(IncidentService, stack.incidents[1]!.url, viewerKey);
    const abort = new AbortController();
    const stream = viewer.watchIncidents({}, { signal: abort.signal })[Symbol.asyncIterator]();
    const first = await stream.next();
    expect(first.value).toMatchObject({ cursor: expect.any(String), revision: 0 });
    expect((first.value as WatchIncidentsResponse).incident).toBeUndefined();

    const until = async (
      it: AsyncIterator<WatchIncidentsResponse>,
      id: string,
      type: IncidentEventType,
    ) => {
      for (;;) {
        const { value } = await it.next();
        const message = value as WatchIncidentsResponse;
        if (message.incident?.id === id && message.latestEvent?.type === type) {
          return message;
        }
      }
    };
    const sentAt = Date.now();
    const created = await send({
      title: "Queue backlog",
      service_id: "SER-00001",
      dedup_key: "queue",
    });
    const id = created.body.incidents![0]!.id;
    const createdMessage = await until(stream, id, IncidentEventType.CREATED);
    const latency = Date.now() - sentAt;
    expect(latency).toBeLessThan(2_500);
    expect(createdMessage).toMatchObject({
      revision: 1,
      incident: { title: "Queue backlog", occurrenceCount: 1 },
      latestEvent: { actor: "integration:int-team" },
    });

    await send({ title: "Queue backlog growing", service_id: "SER-00001", dedup_key: "queue" });
    expect(await until(stream, id, IncidentEventType.TRIGGERED)).toMatchObject({
      revision: 2,
      incident: { occurrenceCount: 2, title: "Queue backlog growing" },
    });
    await admin[0]!.acknowledgeIncident({ incidentId: id });
    const acked = await until(stream, id, IncidentEventType.ACKNOWLEDGED);
    expect(acked).toMatchObject({ revision: 3, latestEvent: { actor: "api-key:key-admin" } });

    // Disconnected while it is resolved; a new stream with the cursor delivers that.
    abort.abort();
    await admin[0]!.resolveIncident({ incidentId: id, note: "drained" });
    // Clients end a stream by cancelling it: a stream merely left unread stays open.
    const stop = new AbortController();
    const resumed = viewer
      .watchIncidents({ cursor: acked.cursor }, { signal: stop.signal })
      [Symbol.asyncIterator]();
    expect(await until(resumed, id, IncidentEventType.RESOLVED)).toMatchObject({
      revision: 4,
      incident: { resolveTime: expect.anything() },
    });
    stop.abort();
  });

  it("refuses a bad cursor, and a cursor with a start time", async () => {
    const refused = async (
      req: Parameters<Client<typeof IncidentService>["watchIncidents"]>[0],
    ) => {
      try {
        for await (const _ of admin[0]!.watchIncidents(req)) {
          return "ok";
        }
      } catch (error) {
        return Code[ConnectError.from(error).code];
      }
      return "ended";
    };
    expect(await refused({ cursor: "not-a-cursor" })).toBe("InvalidArgument");
    expect(await refused({ cursor: "WzEsMCwwXQ", startTime: { seconds: 1n, nanos: 0 } })).toBe(
      "InvalidArgument",
    );
  });

  it("ends open streams with UNAVAILABLE at once when a replica shuts down", async () => {
    const client = teamClient(IncidentService, stack.incidents[1]!.url, viewerKey);
    const stream = client.watchIncidents({})[Symbol.asyncIterator]();
    await stream.next();
    const stopping = Date.now();
    const [ended, exit] = await Promise.all([
      (async () => {
        try {
          for (;;) {
            if ((await stream.next()).done) {
              return "done";
            }
          }
        } catch (error) {
          return Code[ConnectError.from(error).code];
        }
      })(),
      stack.incidents[1]!.stop(),
    ]);
    expect(ended).toBe("Unavailable");
    expect(exit).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5_000);
  });
});
