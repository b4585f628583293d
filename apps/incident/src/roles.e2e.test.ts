import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ApiKeyService,
  DeliveryOutcome,
  DeliveryService,
  IncidentService,
  IntegrationService,
  IntegrationType,
} from "@runframe/contracts";
import { INCIDENT_INTERNAL } from "./routes.js";
import { startStack, type Stack } from "@runframe/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const adminKey = "roles-test-admin-key-000000000000000000000000";
const viewerKey = "roles-test-viewer-key-00000000000000000000000";
const routingKey = "roles_test_routing_key_000000000000000000000";

/** A throttled delivery recorded for the test: the one delivery RPCs are called on. */
let deliveryId = "";

/** A request for every team RPC, so each is called with each role. */
const requests: Record<string, Record<string, (incidentId: string) => unknown>> = {
  [DeliveryService.typeName]: {
    listDeliveries: () => ({}),
    getDelivery: () => ({ deliveryId }),
    getDeliveryStats: () => ({}),
    replayDelivery: () => ({ deliveryId }),
  },
  [IncidentService.typeName]: {
    listIncidents: () => ({}),
    getIncident: (id) => ({ incidentId: id }),
    acknowledgeIncident: (id) => ({ incidentId: id }),
    resolveIncident: (id) => ({ incidentId: id }),
    listIncidentEvents: (id) => ({ incidentId: id }),
    listServices: () => ({}),
    getService: () => ({ serviceId: "SER-00001" }),
    createService: () => ({ service: { id: `SER-${Date.now()}`, name: "made by a test" } }),
    updateService: () => ({ service: { id: "SER-00001", name: "Checkout (renamed)" } }),
    deleteService: () => ({ serviceId: "SER-SPARE" }),
    watchIncidents: () => ({}),
  },
  [ApiKeyService.typeName]: {
    createApiKey: () => ({ name: "made by a test", role: "viewer" }),
    listApiKeys: () => ({}),
    revokeApiKey: () => ({ apiKeyId: "key-spare" }),
  },
  [IntegrationService.typeName]: {
    createIntegration: () => ({ type: IntegrationType.CUSTOM, name: "made by a test" }),
    getIntegration: () => ({ integrationId: "int-roles" }),
    listIntegrations: () => ({}),
    rotateRoutingKey: () => ({ integrationId: "int-roles-spare" }),
    setSigningSecret: () => ({
      integrationId: "int-roles-spare",
      signingSecret: "s".repeat(32),
    }),
    disableIntegration: () => ({ integrationId: "int-roles-spare" }),
    updateIntegration: () => ({
      integration: { id: "int-roles-spare", name: "renamed by a test" },
    }),
  },
};

/** The methods a viewer may call: the reads. */
const reads = new Set([
  "listIncidents",
  "getIncident",
  "listIncidentEvents",
  "listServices",
  "getService",
  "getIntegration",
  "listIntegrations",
  "watchIncidents",
  "listApiKeys",
  "listDeliveries",
  "getDelivery",
  "getDeliveryStats",
]);

describe("API key roles", () => {
  let stack: Stack;
  let incidentId: string;

  beforeAll(async () => {
    stack = await startStack({
      bootstrap: {
        organizations: [
          {
            id: "org-roles",
            name: "Roles",
            apiKeys: [
              { id: "key-admin", secret: adminKey, role: "admin" },
              { id: "key-viewer", secret: viewerKey, role: "viewer" },
              { id: "key-spare", secret: `${viewerKey}-spare`, role: "viewer" },
            ],
            services: [
              { id: "SER-00001", name: "Checkout" },
              { id: "SER-SPARE", name: "Spare" },
            ],
            integrations: [
              { id: "int-roles", type: "custom", name: "Roles", routingKey },
              {
                id: "int-roles-spare",
                type: "custom",
                name: "Spare",
                routingKey: `${routingKey}_spare`,
              },
            ],
          },
        ],
      },
    });
    const res = await stack.webhook(
      routingKey,
      JSON.stringify({ title: "Disk full", service_id: "SER-00001", dedup_key: "disk" }),
    );
    expect(res.status).toBe(202);
    incidentId = ((await res.json()) as { incidents: { id: string }[] }).incidents[0]!.id;
    // A throttled delivery, as the edge records one, for the delivery RPCs.
    const internal = createClient(DeliveryService, transport(stack.incident.url, stack.token));
    await internal.recordDeliveries({
      reports: [
        {
          envelope: {
            requestId: "req-roles",
            body: new TextEncoder().encode(
              JSON.stringify({ title: "Throttled", service_id: "SER-00001" }),
            ),
            verified: true,
            integration: {
              id: "int-roles",
              organizationId: "org-roles",
              type: IntegrationType.CUSTOM,
            },
          },
          outcome: DeliveryOutcome.THROTTLED,
          status: 429,
          reason: "rate_limited",
        },
      ],
    });
    const deliveries = createClient(DeliveryService, transport(stack.incident.url, adminKey));
    const throttled = await deliveries.listDeliveries({ outcome: DeliveryOutcome.THROTTLED });
    deliveryId = throttled.deliveries[0]!.id;
  });
  afterAll(() => stack?.stop());

  const transport = (url: string, key: string): Transport =>
    createGrpcTransport({
      baseUrl: url,
      interceptors: [
        (next) => (req) => (req.header.set("authorization", `Bearer ${key}`), next(req)),
      ],
    });

  /** Calls `method` of `service` with `key`; the Connect code it ended with, or "ok". */
  async function call(service: DescService, method: DescMethod, key: string): Promise<string> {
    const servedByIncident = [IncidentService.typeName, DeliveryService.typeName];
    const url = servedByIncident.includes(service.typeName)
      ? stack.incident.url
      : stack.auth[0]!.url;
    const client = createClient(service, transport(url, key)) as unknown as Record<
      string,
      (req: unknown, options: { signal: AbortSignal }) => Promise<unknown> | AsyncIterable<unknown>
    >;
    const cancel = new AbortController();
    try {
      const answer = client[method.localName]!(
        requests[service.typeName]![method.localName]!(incidentId),
        { signal: cancel.signal },
      );
      if (method.methodKind === "server_streaming") {
        // The first message (a checkpoint) proves the stream was allowed.
        await (answer as AsyncIterable<unknown>)[Symbol.asyncIterator]().next();
      } else {
        await answer;
      }
      return "ok";
    } catch (error) {
      return Code[ConnectError.from(error).code];
    } finally {
      cancel.abort();
    }
  }

  const teamMethods = [IncidentService, DeliveryService, IntegrationService, ApiKeyService].flatMap(
    (service) =>
      service.methods
        .filter((m) => !INCIDENT_INTERNAL.includes(m))
        .map((method) => ({ service, method })),
  );

  it("has a request for every team RPC (a new RPC must be classified here)", () => {
    for (const { service, method } of teamMethods) {
      expect(requests[service.typeName]?.[method.localName], method.name).toBeDefined();
    }
  });

  it("lets a viewer key call only the reads, and a refused write changes nothing", async () => {
    for (const { service, method } of teamMethods) {
      const code = await call(service, method, viewerKey);
      if (reads.has(method.localName)) {
        expect(code, `viewer ${method.name}`).toBe("ok");
      } else {
        expect(code, `viewer ${method.name}`).toBe(Code[Code.PermissionDenied]);
      }
    }
    const incidents = createClient(IncidentService, transport(stack.incident.url, adminKey));
    const { incident } = await incidents.getIncident({ incidentId });
    expect(incident?.acknowledgeTime).toBeUndefined();
    expect(incident?.resolveTime).toBeUndefined();
    const integrations = createClient(IntegrationService, transport(stack.auth[0]!.url, adminKey));
    const listed = await integrations.listIntegrations({});
    expect(listed.integrations.map((i) => i.id).sort()).toEqual(["int-roles", "int-roles-spare"]);
    expect(listed.integrations.every((i) => i.enabled && !i.signingSecretConfigured)).toBe(true);
    const services = await incidents.listServices({});
    expect(services.services).toContainEqual(
      expect.objectContaining({ id: "SER-00001", name: "Checkout" }),
    );
    expect(services.services.map((s) => s.id)).toContain("SER-SPARE");
    const keys = createClient(ApiKeyService, transport(stack.auth[0]!.url, adminKey));
    const listedKeys = await keys.listApiKeys({});
    expect(listedKeys.apiKeys).toHaveLength(3);
    expect(listedKeys.apiKeys.every((k) => k.revokeTime === undefined)).toBe(true);
    expect(
      (await stack.webhook(routingKey, JSON.stringify({ title: "t", service_id: "SER-00001" })))
        .status,
    ).toBe(202);
  });

  it("lets an admin key call every team RPC", async () => {
    for (const { service, method } of teamMethods) {
      expect(await call(service, method, adminKey), `admin ${method.name}`).toBe("ok");
    }
  });
});
